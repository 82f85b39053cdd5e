/* Shared test fixtures for the trace core (fixture_graph.c, compiled into every trace test):
 * the small hand-built graph of the golden tests, and an empty graph for tests that build
 * their own. */
#ifndef TRACEBOT_TESTS_TRACE_FIXTURE_GRAPH_H
#define TRACEBOT_TESTS_TRACE_FIXTURE_GRAPH_H

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

/* Makes the fixture with optimizer options o (NULL: the defaults), backward run with
 * FIXTURE_FEEDBACK. Aborts on failure. */
void fixture_init(fixture *f, const trOptimizerOptions *o);

/* The same with the default options but a memory of `memory` pairs. */
void fixture_initMemory(fixture *f, int memory);

/* Builds the episode graph into f->g again (reset first) and runs backward with feedback. */
void fixture_episode(fixture *f, const char *feedback);

/* Renders the fixture's prompt into p (the test fails unless that succeeds); the caller
 * closes p with tr_promptClose. */
void fixture_render(const fixture *f, trPrompt *p);

void fixture_close(fixture *f);

/* Per-test setup and teardown (cmocka_unit_test_setup_teardown): *state is a fixture with
 * the default options. */
int fixture_setup(void **state);
int fixture_teardown(void **state);

/* An empty graph beside an optimizer with a code parameter "controller" (ctrl) and a number
 * parameter "unused" (other). */
typedef struct blankGraph {
  trOptimizer *opt;
  trParam *ctrl;
  trParam *other;
  trGraph *g;
} blankGraph;

/* Group setup and teardown (cmocka_run_group_tests) of tests that build their own graphs:
 * *state is a blankGraph. */
int blank_setup(void **state);
int blank_teardown(void **state);

#endif /* TRACEBOT_TESTS_TRACE_FIXTURE_GRAPH_H */
