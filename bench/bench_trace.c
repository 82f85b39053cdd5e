/* bench_trace: time to build, backward and render the prompt of a 10-step episode graph,
 * and to parse a typical response. Usage: bench_trace [iterations] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tracebot/trace.h"

#define STEPS 10

static const char CONTROLLER[] =
    "void controller(const obs_t *obs, double action[4]) {\n"
    "  for (int i = 0; i < 3; i++) {\n"
    "    action[i] = 10.0 * (obs->goal_pos[i] - obs->hand_pos[i]);\n"
    "  }\n"
    "  action[3] = -1.0;\n"
    "}\n";

static const char RESPONSE[] =
    "```json\n"
    "{\n"
    "  \"reasoning\": \"The hand stops short of the goal: the gain is too low and the gripper "
    "never closes. Raise the gain and close the gripper near the object.\",\n"
    "  \"answer\": \"\",\n"
    "  \"suggestion\": {\n"
    "    \"controller0\": \"void controller(const obs_t *obs, double action[4]) {\\n  for (int "
    "i = 0; i < 3; i++) {\\n    action[i] = 25.0 * (obs->goal_pos[i] - obs->hand_pos[i]);\\n "
    " }\\n  action[3] = obs->step > 5 ? 1.0 : -1.0;\\n}\\n\"\n"
    "  }\n"
    "}\n"
    "```\n";

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Builds the episode graph of the train loop: obs0, then action_t and obs_{t+1}. */
static trNode *build_episode(trGraph *g, trParam *ctrl) {
  trNode *c = tr_paramNode(g, ctrl);
  trNode *obs = tr_valuef(g, "obs", "obs",
                          "{hand_pos: [0.0, 0.6, 0.2], gripper_distance_apart: 1.0, "
                          "obj_pos: [0.1, 0.7, 0.02], goal_pos: [%.3f, 0.8, 0.2], step: 0, "
                          "horizon: %d, hint: \"move the hand toward the goal\"}",
                          -0.1, STEPS);
  for (int t = 0; t < STEPS; t++) {
    trNode *act = tr_op(g, "controller",
                        "Runs the controller on an observation and returns "
                        "the action [dx, dy, dz, gripper].",
                        (trArg[]){{"obs", obs}, {"controller", c}}, 2, "action", "vector",
                        "[0.0125, 0.0222, -0.0018, -1]");
    char v[256];
    snprintf(v, sizeof v,
             "{hand_pos: [%.4f, 0.61, 0.2], gripper_distance_apart: 1.0, obj_pos: [0.1, 0.7, "
             "0.02], goal_pos: [-0.1, 0.8, 0.2], step: %d, horizon: %d, hint: \"keep going\"}",
             0.01 * t, t + 1, STEPS);
    obs = tr_op(g, "step",
                "Moves the hand by the action for up to 20 simulation steps and "
                "returns the next observation.",
                (trArg[]){{"action", act}}, 1, "obs", "obs", v);
  }
  return obs;
}

int main(int argc, char **argv) {
  int iters = argc > 1 ? atoi(argv[1]) : 2000;
  if (iters <= 0) {
    iters = 2000;
  }
  char err[256];
  trOptimizerOptions o;
  tr_defaultOptimizerOptions(&o);
  o.memory = 5;
  trOptimizer *opt = tr_makeOptimizer(&o, err, sizeof err);
  trParam *ctrl =
      opt ? tr_addParam(opt, "controller", TR_CODE,
                        "void controller(const obs_t *obs, double action[4]);", err, sizeof err)
          : NULL;
  trGraph *g = tr_makeGraph();
  if (!ctrl || !g || tr_setText(ctrl, CONTROLLER, err, sizeof err) != 0) {
    fprintf(stderr, "bench_trace: setup failed: %s\n", err);
    return 1;
  }
  /* fill the memory with five past pairs so the prompt has its usual size */
  for (int k = 0; k < 5; k++) {
    tr_resetGraph(g);
    trNode *out = build_episode(g, ctrl);
    tr_backward(g, out, "Success: false\nReturn: 12.4", NULL, 0);
    tr_optimizerApply(opt, g, "{\"suggestion\": {}}", 17, NULL, NULL, 0);
  }

  /* build + backward + render */
  size_t chars = 0;
  double t0 = now_s();
  for (int i = 0; i < iters; i++) {
    tr_resetGraph(g);
    trNode *out = build_episode(g, ctrl);
    if (tr_backward(g, out, "Success: false\nReturn: 12.4", err, sizeof err) != 1) {
      fprintf(stderr, "bench_trace: backward failed: %s\n", err);
      return 1;
    }
    trPrompt p;
    if (tr_optimizerRender(opt, g, &p, err, sizeof err) != 0) {
      fprintf(stderr, "bench_trace: render failed: %s\n", err);
      return 1;
    }
    chars = strlen(p.system) + strlen(p.user);
    tr_promptClose(&p);
  }
  double per_graph = (now_s() - t0) / iters;

  /* parse a typical response */
  size_t rlen = strlen(RESPONSE);
  t0 = now_s();
  for (int i = 0; i < iters; i++) {
    trResponse r;
    tr_parseResponse(RESPONSE, rlen, &r);
    if (r.status != TR_RESPONSE_SUGGESTION) {
      fprintf(stderr, "bench_trace: typical response did not parse: %s\n", r.reason);
      return 1;
    }
    tr_responseClose(&r);
  }
  double per_parse = (now_s() - t0) / iters;

  printf("build+backward+render (10 steps, memory 5, %zu prompt chars): %.1f us\n", chars,
         per_graph * 1e6);
  printf("parse typical response (%zu bytes): %.1f us\n", rlen, per_parse * 1e6);
  tr_freeGraph(g);
  tr_freeOptimizer(opt);
  return 0;
}
