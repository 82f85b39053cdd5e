/* fixture_graph.c: the trace tests' fixtures (fixture_graph.h). */
#include "fixture_graph.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Adds the two parameters with their initial values. */
static void addParams(fixture *f) {
  char err[256];
  f->controller =
      tr_addParam(f->opt, "controller", TR_CODE,
                  "void controller(const obs_t *obs, double action[4]);", err, sizeof err);
  f->gain =
      tr_addParam(f->opt, "gain", TR_NUMBER, "a positive number, at most 50", err, sizeof err);
  if (!f->controller || !f->gain ||
      tr_setText(f->controller, FIXTURE_CONTROLLER, err, sizeof err) != 0 ||
      tr_setNumber(f->gain, 2.5, err, sizeof err) != 0) {
    fprintf(stderr, "fixture: %s\n", err);
    abort();
  }
}

void fixture_episode(fixture *f, const char *feedback) {
  tr_resetGraph(f->g);
  trGraph *g = f->g;
  trNode *c = tr_paramNode(g, f->controller);
  trNode *k = tr_paramNode(g, f->gain);
  trNode *obs =
      tr_value(g, "obs", "obs", "{hand_pos: [0, 0.6, 0.2], goal_pos: [0.1, 0.8, 0.2], step: 0}");
  const char *cdoc = "Runs the controller on an observation; returns [dx, dy, dz, grip].";
  const char *sdoc = "Moves the hand by the action and returns the next observation.";
  trNode *a0 = tr_op(g, "controller", cdoc, (trArg[]){{"obs", obs}, {"controller", c}, {"gain", k}},
                     3, "action", "vector", "[0.1, 0, 0, -1]");
  trNode *o1 = tr_op(g, "step", sdoc, (trArg[]){{"action", a0}}, 1, "obs", "obs",
                     "{hand_pos: [0.1, 0.6, 0.2], goal_pos: [0.1, 0.8, 0.2], step: 1}");
  trNode *a1 = tr_op(g, "controller", cdoc, (trArg[]){{"obs", o1}, {"controller", c}, {"gain", k}},
                     3, "action", "vector", "[0, 0, 0, -1]");
  f->out = tr_exception(g, "step", sdoc, (trArg[]){{"action", a1}}, 1,
                        "(crash) SIGSEGV in controller at step 1");
  char err[256];
  if (!f->out || tr_backward(g, f->out, feedback, err, sizeof err) != 2) {
    fprintf(stderr, "fixture: %s %s\n", tr_graphError(g) ? tr_graphError(g) : "", err);
    abort();
  }
}

void fixture_init(fixture *f, const trOptimizerOptions *o) {
  char err[256];
  memset(f, 0, sizeof *f);
  f->opt = tr_makeOptimizer(o, err, sizeof err);
  f->g = tr_makeGraph();
  if (!f->opt || !f->g) {
    fprintf(stderr, "fixture: %s\n", err);
    abort();
  }
  addParams(f);
  fixture_episode(f, FIXTURE_FEEDBACK);
}

void fixture_close(fixture *f) {
  tr_freeGraph(f->g);
  tr_freeOptimizer(f->opt);
  memset(f, 0, sizeof *f);
}

void fixture_initMemory(fixture *f, int memory) {
  trOptimizerOptions o;
  tr_defaultOptimizerOptions(&o);
  o.memory = memory;
  fixture_init(f, &o);
}

void fixture_render(const fixture *f, trPrompt *p) {
  char err[256] = "";
  if (tr_optimizerRender(f->opt, f->g, p, err, sizeof err) != 0) {
    fail_msg("tr_optimizerRender: %s", err);
  }
}

int fixture_setup(void **state) {
  fixture *f = calloc(1, sizeof(*f));
  if (f == NULL) {
    return -1;
  }
  fixture_init(f, NULL);
  *state = f;
  return 0;
}

int fixture_teardown(void **state) {
  fixture_close(*state);
  free(*state);
  return 0;
}

int blank_setup(void **state) {
  static blankGraph b;
  b.opt = tr_makeOptimizer(NULL, NULL, 0);
  b.ctrl = tr_addParam(b.opt, "controller", TR_CODE, NULL, NULL, 0);
  b.other = tr_addParam(b.opt, "unused", TR_NUMBER, NULL, NULL, 0);
  b.g = tr_makeGraph();
  *state = &b;
  return (b.opt && b.ctrl && b.other && b.g) ? 0 : -1;
}

int blank_teardown(void **state) {
  blankGraph *b = *state;
  tr_freeGraph(b->g);
  tr_freeOptimizer(b->opt);
  return 0;
}
