/* Tests of trace/dot.c: graphviz export. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_graph.h"

/* Per-test setup and teardown: *state is the dot text of the fixture graph. */
static int fixtureDot(void **state) {
  fixture f;
  fixture_init(&f, NULL);
  *state = tr_graphDot(f.g, NULL, 0);
  fixture_close(&f);
  return *state ? 0 : -1;
}

static int freeDot(void **state) {
  free(*state);
  return 0;
}

static void dot_should_draw_parameters_as_boxes(void **state) {
  const char *dot = *state;
  assert_true(strncmp(dot, "digraph trace {", 15) == 0);
  assert_non_null(strstr(dot, "\"controller0\" [shape=box"));
  assert_non_null(strstr(dot, "\"gain0\" [shape=box"));
  assert_non_null(strstr(dot, "\"obs0\" [shape=ellipse"));
}

static void dot_should_highlight_exceptions_and_outputs(void **state) {
  const char *dot = *state;
  const char *x = strstr(dot, "\"exception_step0\" [");
  assert_non_null(x);
  const char *eol = strchr(x, '\n');
  char line[512];
  size_t n = (size_t)(eol - x) < sizeof line - 1 ? (size_t)(eol - x) : sizeof line - 1;
  memcpy(line, x, n);
  line[n] = '\0';
  assert_non_null(strstr(line, "fillcolor=\"tomato\""));
  assert_non_null(strstr(line, "penwidth=2"));
  assert_non_null(strstr(line, "(crash) SIGSEGV"));
}

static void dot_should_label_edges_with_argument_names(void **state) {
  const char *dot = *state;
  assert_non_null(strstr(dot, "\"controller0\" -> \"action0\" [label=\"controller\"];"));
  assert_non_null(strstr(dot, "\"obs0\" -> \"action0\" [label=\"obs\"];"));
  assert_non_null(strstr(dot, "\"action1\" -> \"exception_step0\" [label=\"action\"];"));
}

static void dot_should_escape_quotes_and_cut_long_values(void **state) {
  (void)state;
  trGraph *g = tr_makeGraph();
  char big[400];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  tr_value(g, "q", NULL, "say \"hi\"\\ now");
  tr_value(g, "big", NULL, big);
  char *dot = tr_graphDot(g, NULL, 0);
  assert_non_null(dot);
  assert_non_null(strstr(dot, "say \\\"hi\\\"\\\\ now"));
  assert_null(strstr(dot, big));
  assert_non_null(strstr(dot, "xxx..."));
  free(dot);
  tr_freeGraph(g);
}

static void dot_should_reject_null(void **state) {
  (void)state;
  char err[64] = "";
  assert_null(tr_graphDot(NULL, err, sizeof err));
  assert_non_null(strstr(err, "NULL"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(dot_should_draw_parameters_as_boxes, fixtureDot, freeDot),
      cmocka_unit_test_setup_teardown(dot_should_highlight_exceptions_and_outputs, fixtureDot,
                                      freeDot),
      cmocka_unit_test_setup_teardown(dot_should_label_edges_with_argument_names, fixtureDot,
                                      freeDot),
      cmocka_unit_test(dot_should_escape_quotes_and_cut_long_values),
      cmocka_unit_test(dot_should_reject_null),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
