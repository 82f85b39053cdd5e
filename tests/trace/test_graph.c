/* Tests of trace/graph.c: names, arena reset, builder errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "fixture_graph.h"

static void names_should_count_per_base(void **state) {
  blankGraph *e = *state;
  tr_resetGraph(e->g);
  trNode *o0 = tr_value(e->g, "obs", NULL, "a");
  trNode *a0 = tr_op(e->g, "controller", "doc", (trArg[]){{"obs", o0}}, 1, "action", NULL, "x");
  trNode *o1 = tr_op(e->g, "step", "doc", (trArg[]){{"action", a0}}, 1, "obs", NULL, "b");
  trNode *a1 = tr_op(e->g, "controller", "doc", (trArg[]){{"obs", o1}}, 1, "action", NULL, "y");
  trNode *x = tr_op(e->g, "step", "doc", (trArg[]){{"action", a1}}, 1, NULL, NULL, "z");
  assert_string_equal(tr_nodeName(o0), "obs0");
  assert_string_equal(tr_nodeName(o1), "obs1");
  assert_string_equal(tr_nodeName(a0), "action0");
  assert_string_equal(tr_nodeName(a1), "action1");
  assert_string_equal(tr_nodeName(x), "step0");
  assert_int_equal(tr_graphNodeCount(e->g), 5);
  assert_null(tr_graphError(e->g));
}

static void reset_should_restart_counters_and_keep_working(void **state) {
  blankGraph *e = *state;
  for (int round = 0; round < 3; round++) {
    tr_resetGraph(e->g);
    assert_int_equal(tr_graphNodeCount(e->g), 0);
    trNode *c = tr_paramNode(e->g, e->ctrl);
    trNode *o = tr_value(e->g, "obs", NULL, "v");
    /* many nodes so the arena needs more than one chunk */
    for (int i = 0; i < 2000; i++) {
      o = tr_op(e->g, "step", "doc", (trArg[]){{"obs", o}, {"controller", c}}, 2, "obs", "obs",
                "a value that takes some room in the arena, repeated many times");
    }
    assert_non_null(o);
    assert_string_equal(tr_nodeName(o), "obs2000");
    assert_string_equal(tr_nodeName(c), "controller0");
  }
}

static void param_node_should_be_unique_per_graph(void **state) {
  blankGraph *e = *state;
  tr_resetGraph(e->g);
  trNode *a = tr_paramNode(e->g, e->ctrl);
  trNode *b = tr_paramNode(e->g, e->ctrl);
  assert_ptr_equal(a, b);
  assert_int_equal(tr_nodeKind(a), TR_NODE_PARAM);
  assert_ptr_equal(tr_nodeParam(a), e->ctrl);
  assert_int_equal(tr_graphNodeCount(e->g), 1);
}

static void param_node_should_reserve_its_name(void **state) {
  blankGraph *e = *state;
  tr_resetGraph(e->g);
  tr_paramNode(e->g, e->ctrl);
  trNode *v = tr_value(e->g, "controller", NULL, "not the parameter");
  assert_string_equal(tr_nodeName(v), "controller1");
}

static void param_node_should_fail_when_its_name_is_taken(void **state) {
  blankGraph *e = *state;
  tr_resetGraph(e->g);
  tr_value(e->g, "controller", NULL, "takes controller0");
  assert_null(tr_paramNode(e->g, e->ctrl));
  assert_non_null(strstr(tr_graphError(e->g), "controller0"));
}

static void null_input_should_propagate_the_first_error(void **state) {
  blankGraph *e = *state;
  tr_resetGraph(e->g);
  trNode *bad = tr_value(e->g, "bad name!", NULL, "x");
  assert_null(bad);
  const char *first = tr_graphError(e->g);
  assert_non_null(strstr(first, "bad name!"));
  trNode *next = tr_op(e->g, "step", "doc", (trArg[]){{"action", bad}}, 1, "obs", NULL, "y");
  assert_null(next);
  assert_non_null(strstr(tr_graphError(e->g), "bad name!"));
}

static void foreign_node_should_be_rejected(void **state) {
  blankGraph *e = *state;
  tr_resetGraph(e->g);
  trGraph *other = tr_makeGraph();
  trNode *o = tr_value(other, "obs", NULL, "x");
  tr_value(e->g, "obs", NULL, "mine");
  assert_null(tr_op(e->g, "step", "doc", (trArg[]){{"action", o}}, 1, "obs", NULL, "y"));
  assert_non_null(strstr(tr_graphError(e->g), "not a node of this graph"));
  tr_freeGraph(other);
}

static void valuef_should_format_the_value(void **state) {
  blankGraph *e = *state;
  tr_resetGraph(e->g);
  trNode *v = tr_valuef(e->g, "obs", "obs", "{step: %d, x: %.2f}", 3, 0.5);
  assert_string_equal(tr_nodeValue(v), "{step: 3, x: 0.50}");
  assert_int_equal(tr_nodeKind(v), TR_NODE_VALUE);
}

static void exception_should_be_named_after_its_op(void **state) {
  blankGraph *e = *state;
  tr_resetGraph(e->g);
  trNode *a = tr_value(e->g, "action", "vector", "[0,0,0,1]");
  trNode *x = tr_exception(e->g, "step", "doc", (trArg[]){{"action", a}}, 1, "(timeout) slow");
  assert_string_equal(tr_nodeName(x), "exception_step0");
  assert_int_equal(tr_nodeKind(x), TR_NODE_EXCEPTION);
  assert_string_equal(tr_nodeValue(x), "(timeout) slow");
}

static void builders_should_accept_null_graph(void **state) {
  (void)state;
  assert_null(tr_value(NULL, "obs", NULL, "x"));
  assert_null(tr_op(NULL, "step", NULL, NULL, 0, NULL, NULL, NULL));
  assert_null(tr_graphError(NULL));
  tr_freeGraph(NULL);
  tr_resetGraph(NULL);
}

static void strerror_should_describe_codes(void **state) {
  (void)state;
  assert_string_equal(tb_strerror(TB_OK), "ok");
  assert_non_null(strstr(tb_strerror(TB_ENOFEEDBACK), "feedback"));
  assert_string_equal(tb_strerror(12345), "unknown error");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(names_should_count_per_base),
      cmocka_unit_test(reset_should_restart_counters_and_keep_working),
      cmocka_unit_test(param_node_should_be_unique_per_graph),
      cmocka_unit_test(param_node_should_reserve_its_name),
      cmocka_unit_test(param_node_should_fail_when_its_name_is_taken),
      cmocka_unit_test(null_input_should_propagate_the_first_error),
      cmocka_unit_test(foreign_node_should_be_rejected),
      cmocka_unit_test(valuef_should_format_the_value),
      cmocka_unit_test(exception_should_be_named_after_its_op),
      cmocka_unit_test(builders_should_accept_null_graph),
      cmocka_unit_test(strerror_should_describe_codes),
  };
  return cmocka_run_group_tests(tests, blank_setup, blank_teardown);
}
