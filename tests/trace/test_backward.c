/* Tests of trace/backward.c: minimal subgraphs and merging (white-box via the private
 * header for the subgraph bitsets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "fixture_graph.h"
#include "trace_internal.h"

static int in_sub(const trNode *p, const trNode *n) {
  return p->sub && n->id < p->subwords * 64 && bit_get(p->sub, n->id);
}

static void subgraph_should_hold_paths_and_their_direct_inputs(void **state) {
  blankGraph *e = *state;
  trGraph *g = e->g;
  tr_resetGraph(g);
  trNode *c = tr_paramNode(g, e->ctrl);
  trNode *obs0 = tr_value(g, "obs", NULL, "o0");
  trNode *k = tr_value(g, "k", "number", "3");
  trNode *a0 = tr_op(g, "controller", "d", (trArg[]){{"obs", obs0}, {"controller", c}}, 2, "action",
                     NULL, "a0");
  trNode *obs1 = tr_op(g, "step", "d", (trArg[]){{"action", a0}}, 1, "obs", NULL, "o1");
  trNode *side = tr_op(g, "log", "d", (trArg[]){{"obs", obs1}}, 1, NULL, NULL, "side");
  trNode *a1 = tr_op(g, "controller", "d", (trArg[]){{"obs", obs1}, {"controller", c}, {"k", k}}, 3,
                     "action", NULL, "a1");
  trNode *free_op = tr_op(g, "scale", "d", (trArg[]){{"k", k}}, 1, NULL, NULL, "6");
  trNode *out =
      tr_op(g, "step", "d", (trArg[]){{"action", a1}, {"bias", free_op}}, 2, "obs", NULL, "o2");
  assert_int_equal(tr_backward(g, out, "fb", NULL, 0), 1);
  /* on a path from the parameter to the output */
  assert_true(in_sub(c, c));
  assert_true(in_sub(c, a0));
  assert_true(in_sub(c, obs1));
  assert_true(in_sub(c, a1));
  assert_true(in_sub(c, out));
  /* direct inputs of path nodes */
  assert_true(in_sub(c, obs0));
  assert_true(in_sub(c, k));
  assert_true(in_sub(c, free_op));
  /* neither on a path nor a direct input */
  assert_false(in_sub(c, side));
  assert_true(out->is_output);
  assert_string_equal(c->feedback->text, "fb");
  assert_null(c->feedback->next);
}

static void parameter_off_every_path_should_get_nothing(void **state) {
  blankGraph *e = *state;
  trGraph *g = e->g;
  tr_resetGraph(g);
  trNode *c = tr_paramNode(g, e->ctrl);
  trNode *u = tr_paramNode(g, e->other);
  trNode *a = tr_op(g, "controller", "d", (trArg[]){{"controller", c}}, 1, "action", NULL, "a");
  trNode *b = tr_op(g, "other", "d", (trArg[]){{"x", u}}, 1, NULL, NULL, "b");
  assert_non_null(b);
  assert_int_equal(tr_backward(g, a, "fb", NULL, 0), 1);
  assert_null(u->sub);
  assert_null(u->feedback);
  assert_non_null(c->sub);
}

static void several_calls_should_merge_subgraphs_and_feedback(void **state) {
  blankGraph *e = *state;
  trGraph *g = e->g;
  tr_resetGraph(g);
  trNode *c = tr_paramNode(g, e->ctrl);
  trNode *outs[2];
  trNode *firsts[2];
  for (int ep = 0; ep < 2; ep++) {
    trNode *o = tr_value(g, "obs", NULL, "start");
    firsts[ep] = o;
    trNode *a = tr_op(g, "controller", "d", (trArg[]){{"obs", o}, {"controller", c}}, 2, "action",
                      NULL, "a");
    outs[ep] = tr_op(g, "step", "d", (trArg[]){{"action", a}}, 1, "obs", NULL, "end");
  }
  assert_int_equal(tr_backward(g, outs[0], "episode 1 failed", NULL, 0), 1);
  assert_true(in_sub(c, firsts[0]));
  assert_false(in_sub(c, firsts[1]));
  assert_int_equal(tr_backward(g, outs[1], "episode 2 failed", NULL, 0), 1);
  assert_int_equal(tr_backward(g, outs[1], "episode 2 failed", NULL, 0), 1);
  assert_true(in_sub(c, firsts[0]));
  assert_true(in_sub(c, firsts[1]));
  assert_true(in_sub(c, outs[0]));
  assert_true(in_sub(c, outs[1]));
  /* distinct texts, in arrival order; the repeated one kept once */
  assert_string_equal(c->feedback->text, "episode 1 failed");
  assert_string_equal(c->feedback->next->text, "episode 2 failed");
  assert_null(c->feedback->next->next);
}

static void merge_should_survive_nodes_added_after_a_call(void **state) {
  blankGraph *e = *state;
  trGraph *g = e->g;
  tr_resetGraph(g);
  trNode *c = tr_paramNode(g, e->ctrl);
  trNode *a = tr_op(g, "controller", "d", (trArg[]){{"controller", c}}, 1, "action", NULL, "a");
  assert_int_equal(tr_backward(g, a, "first", NULL, 0), 1);
  trNode *last = a;
  for (int i = 0; i < 200; i++) {
    last = tr_op(g, "step", "d", (trArg[]){{"action", last}}, 1, "obs", NULL, "o");
  }
  assert_int_equal(tr_backward(g, last, "second", NULL, 0), 1);
  assert_true(in_sub(c, a));
  assert_true(in_sub(c, last));
  assert_true(c->subwords * 64 >= tr_graphNodeCount(g));
}

static void backward_should_reject_bad_arguments(void **state) {
  blankGraph *e = *state;
  char err[128] = "";
  trGraph *other = tr_makeGraph();
  trNode *foreign = tr_value(other, "x", NULL, "y");
  assert_int_equal(tr_backward(e->g, NULL, "fb", err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "NULL"));
  tr_resetGraph(e->g);
  assert_int_equal(tr_backward(e->g, foreign, "fb", err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "not a node of this graph"));
  tr_freeGraph(other);
}

static void output_without_parameters_should_reach_none(void **state) {
  blankGraph *e = *state;
  tr_resetGraph(e->g);
  trNode *v = tr_value(e->g, "obs", NULL, "x");
  assert_int_equal(tr_backward(e->g, v, "fb", NULL, 0), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(subgraph_should_hold_paths_and_their_direct_inputs),
      cmocka_unit_test(parameter_off_every_path_should_get_nothing),
      cmocka_unit_test(several_calls_should_merge_subgraphs_and_feedback),
      cmocka_unit_test(merge_should_survive_nodes_added_after_a_call),
      cmocka_unit_test(backward_should_reject_bad_arguments),
      cmocka_unit_test(output_without_parameters_should_reach_none),
  };
  return cmocka_run_group_tests(tests, blank_setup, blank_teardown);
}
