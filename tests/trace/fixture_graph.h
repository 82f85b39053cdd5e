/* Shared test fixtures for the trace core: the small hand-built graph of the golden tests.
 * Header-only (static functions), included by several test files. */
#ifndef TRACEBOT_TESTS_TRACE_FIXTURE_GRAPH_H
#define TRACEBOT_TESTS_TRACE_FIXTURE_GRAPH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracebot/trace.h"

#define FIXTURE_CONTROLLER                                  \
  "void controller(const obs_t *obs, double action[4]) {\n" \
  "  action[0] = obs->goal_pos[0] - obs->hand_pos[0];\n"    \
  "  action[1] = 0.0;\n"                                    \
  "  action[2] = 0.0;\n"                                    \
  "  action[3] = -1.0;\n"                                   \
  "}\n"

#define FIXTURE_FEEDBACK "Success: false\nReturn: 3.5\nThe episode ended with an error."

/* The fixture: two parameters (controller0 code, gain0 number), two controller calls, one
 * step, and a step that fails with an exception node as the output. */
typedef struct fixture {
  trOptimizer *opt;
  trParam *controller;
  trParam *gain;
  trGraph *g;
  trNode *out;
} fixture;

/* Adds the two parameters with their initial values. */
static void fixture_params(fixture *f) {
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

/* Builds the episode graph into f->g (reset first) and runs backward with feedback. */
static void fixture_episode(fixture *f, const char *feedback) {
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

static void fixture_init(fixture *f, const trOptimizerOptions *o) {
  char err[256];
  memset(f, 0, sizeof *f);
  f->opt = tr_makeOptimizer(o, err, sizeof err);
  f->g = tr_makeGraph();
  if (!f->opt || !f->g) {
    fprintf(stderr, "fixture: %s\n", err);
    abort();
  }
  fixture_params(f);
  fixture_episode(f, FIXTURE_FEEDBACK);
}

static void fixture_close(fixture *f) {
  tr_freeGraph(f->g);
  tr_freeOptimizer(f->opt);
  memset(f, 0, sizeof *f);
}

#endif /* TRACEBOT_TESTS_TRACE_FIXTURE_GRAPH_H */
