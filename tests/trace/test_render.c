/* Tests of trace/render.c: OptoPrime prompts against checked-in golden texts, memory,
 * truncation and masks. Regenerate the golden files with TRACEBOT_UPDATE_GOLDEN=1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base.h"
#include "fixture_graph.h"
#include "trees.h"

static void write_all(const char *path, const char *text) {
  char err[256] = "";
  if (tb_writeFileAtomic(path, text, strlen(text), err, sizeof err) != 0) {
    fail_msg("%s", err);
  }
}

/* Compares actual with tests/trace/golden/<name>; on a mismatch prints the first differing
 * line and writes the actual text beside the build for `diff -u`. */
static void check_golden(const char *name, const char *actual) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/trace/golden/%s", tree_source(), name);
  const char *update = getenv("TRACEBOT_UPDATE_GOLDEN");
  if (update && strcmp(update, "1") == 0) {
    write_all(path, actual);
    return;
  }
  char *expected = tb_readFile(path, 1u << 20, NULL, NULL, 0);
  if (!expected) {
    print_error("golden file %s is missing (run with TRACEBOT_UPDATE_GOLDEN=1)\n", path);
    fail();
  }
  if (strcmp(expected, actual) != 0) {
    int line = 1;
    const char *e = expected;
    const char *a = actual;
    const char *el = e;
    const char *al = a;
    while (*e && *e == *a) {
      if (*e == '\n') {
        line++;
        el = e + 1;
        al = a + 1;
      }
      e++;
      a++;
    }
    char out[1024];
    snprintf(out, sizeof out, "%s/golden-actual-%s", tree_binary(), name);
    write_all(out, actual);
    print_error(
        "%s differs from the golden text at line %d\n  expected: %.*s\n  actual:   %.*s\n"
        "  see: diff -u %s %s\n",
        name, line, (int)strcspn(el, "\n"), el, (int)strcspn(al, "\n"), al, path, out);
    free(expected);
    fail();
  }
  free(expected);
}

static void prompt_should_match_golden_system_and_user(void **state) {
  fixture *f = *state;
  trPrompt p;
  char err[256] = "";
  assert_int_equal(tr_optimizerRender(f->opt, f->g, &p, err, sizeof err), 0);
  check_golden("system.txt", p.system);
  check_golden("user.txt", p.user);
  tr_promptClose(&p);
}

/* Three steps; each response sets gain0 to 3, 4, then 5. */
static void run_three_steps(fixture *f) {
  const char *responses[] = {
      "{\"reasoning\": \"more gain\", \"answer\": \"\", \"suggestion\": {\"gain0\": 3}}",
      "{\"reasoning\": \"more gain\", \"answer\": \"\", \"suggestion\": {\"gain0\": 4}}",
      "{\"reasoning\": \"more gain\", \"answer\": \"\", \"suggestion\": {\"gain0\": 5}}",
  };
  const char *feedback[] = {"Success: false\nReturn: 1.0", "Success: false\nReturn: 2.0",
                            "Success: false\nReturn: 3.0"};
  for (int i = 0; i < 3; i++) {
    fixture_episode(f, feedback[i]);
    trStepLog log;
    char err[256] = "";
    assert_int_equal(
        tr_optimizerApply(f->opt, f->g, responses[i], strlen(responses[i]), &log, err, sizeof err),
        0);
    assert_int_equal(log.outcome, TR_OUTCOME_UPDATED);
    assert_int_equal(log.iteration, i + 1);
    tr_stepLogClose(&log);
  }
  fixture_episode(f, "Success: true\nReturn: 9.0");
}

static void memory_two_should_show_the_last_two_pairs_oldest_first(void **state) {
  (void)state;
  fixture f;
  fixture_initMemory(&f, 2);
  run_three_steps(&f);
  assert_int_equal(tr_optimizerMemoryCount(f.opt), 2);
  /* the pair of step 2 (gain 3, return 2.0) then step 3 (gain 4, return 3.0) */
  assert_non_null(strstr(tr_optimizerMemoryAt(f.opt, 0), "\"gain0\":3}"));
  assert_non_null(strstr(tr_optimizerMemoryAt(f.opt, 0), "Return: 2.0"));
  assert_non_null(strstr(tr_optimizerMemoryAt(f.opt, 1), "\"gain0\":4}"));
  assert_non_null(strstr(tr_optimizerMemoryAt(f.opt, 1), "Return: 3.0"));
  assert_null(tr_optimizerMemoryAt(f.opt, 2));
  trPrompt p;
  fixture_render(&f, &p);
  assert_null(strstr(p.user, "Return: 1.0"));
  const char *first = strstr(p.user, "Return: 2.0");
  const char *second = strstr(p.user, "Return: 3.0");
  assert_non_null(first);
  assert_non_null(second);
  assert_true(first < second);
  check_golden("user_memory.txt", p.user);
  tr_promptClose(&p);
  fixture_close(&f);
}

static void memory_zero_should_render_no_history(void **state) {
  fixture *f = *state;
  run_three_steps(f);
  assert_int_equal(tr_optimizerMemoryCount(f->opt), 0);
  trPrompt p;
  fixture_render(f, &p);
  assert_null(strstr(p.user, "earlier iterations"));
  assert_non_null(strstr(p.user, "(number) gain0=5\n"));
  tr_promptClose(&p);
}

static void render_should_not_push_memory(void **state) {
  (void)state;
  fixture f;
  fixture_initMemory(&f, 3);
  for (int i = 0; i < 3; i++) {
    trPrompt p;
    fixture_render(&f, &p);
    tr_promptClose(&p);
  }
  assert_int_equal(tr_optimizerMemoryCount(f.opt), 0);
  assert_int_equal(tr_optimizerIteration(f.opt), 0);
  fixture_close(&f);
}

static void long_values_should_be_cut_but_never_code(void **state) {
  (void)state;
  trOptimizerOptions o;
  tr_defaultOptimizerOptions(&o);
  o.max_value_chars = 40;
  trOptimizer *opt = tr_makeOptimizer(&o, NULL, 0);
  trParam *code = tr_addParam(opt, "controller", TR_CODE, NULL, NULL, 0);
  trParam *text = tr_addParam(opt, "prompt", TR_TEXT, NULL, NULL, 0);
  char longcode[300];
  memset(longcode, 'c', sizeof longcode - 1);
  longcode[sizeof longcode - 1] = '\0';
  char longtext[100];
  memset(longtext, 't', sizeof longtext - 1);
  longtext[sizeof longtext - 1] = '\0';
  assert_int_equal(tr_setText(code, longcode, NULL, 0), 0);
  assert_int_equal(tr_setText(text, longtext, NULL, 0), 0);
  trGraph *g = tr_makeGraph();
  trNode *c = tr_paramNode(g, code);
  trNode *t = tr_paramNode(g, text);
  /* a two-byte UTF-8 character straddling the limit must not be split */
  char utf[64];
  memset(utf, 'u', 39);
  memcpy(utf + 39, "\xc3\xa9", 2);
  strcpy(utf + 41, "tail");
  trNode *in = tr_value(g, "obs", NULL, utf);
  trNode *out = tr_op(g, "run", "Runs it.", (trArg[]){{"code", c}, {"text", t}, {"obs", in}}, 3,
                      NULL, NULL, "short");
  assert_int_equal(tr_backward(g, out, "fb", NULL, 0), 2);
  trPrompt p;
  assert_int_equal(tr_optimizerRender(opt, g, &p, NULL, 0), 0);
  char want[400];
  snprintf(want, sizeof want, "(code) controller0:%s\n", longcode);
  assert_non_null(strstr(p.user, want));
  assert_non_null(strstr(p.user,
                         "(text) prompt0=tttttttttttttttttttttttttttttttttttttttt ...["
                         "shortened: first 40 of 99 characters shown]\n"));
  assert_non_null(strstr(p.user,
                         "(text) obs0=uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu ...["
                         "shortened: first 39 of 45 characters shown]\n"));
  tr_promptClose(&p);
  tr_freeGraph(g);
  tr_freeOptimizer(opt);
}

static void paper_mask_should_blank_four_section_bodies(void **state) {
  (void)state;
  trOptimizerOptions o;
  tr_defaultOptimizerOptions(&o);
  o.mask = TR_MASK_PAPER;
  fixture f;
  fixture_init(&f, &o);
  trPrompt p;
  fixture_render(&f, &p);
  assert_non_null(strstr(p.user, "#Code\n\n#Documentation\n\n#Variables\n(code) controller0:"));
  assert_non_null(strstr(p.user, "#Inputs\n\n#Others\n\n#Outputs\n(error) exception_step0="));
  assert_null(strstr(p.user, "action0 = controller("));
  assert_null(strstr(p.user, "[step]"));
  assert_null(strstr(p.user, "obs0="));
  assert_non_null(strstr(p.user, "#Feedback\n" FIXTURE_FEEDBACK "\n"));
  tr_promptClose(&p);
  fixture_close(&f);
}

static void objective_should_replace_the_instruction(void **state) {
  (void)state;
  trOptimizerOptions o;
  tr_defaultOptimizerOptions(&o);
  char objective[] = "Make the robot reach the goal.";
  o.objective = objective;
  fixture f;
  fixture_init(&f, &o);
  objective[0] = 'X'; /* the optimizer keeps its own copy */
  trPrompt p;
  fixture_render(&f, &p);
  assert_non_null(strstr(p.user, "#Instruction\nMake the robot reach the goal.\n\n#Code\n"));
  tr_promptClose(&p);
  fixture_close(&f);
}

static void render_without_backward_should_say_no_feedback(void **state) {
  (void)state;
  trOptimizer *opt = tr_makeOptimizer(NULL, NULL, 0);
  trParam *c = tr_addParam(opt, "controller", TR_CODE, NULL, NULL, 0);
  trGraph *g = tr_makeGraph();
  tr_paramNode(g, c);
  trPrompt p;
  char err[256] = "";
  assert_int_equal(tr_optimizerRender(opt, g, &p, err, sizeof err), TB_ENOFEEDBACK);
  assert_non_null(strstr(err, "tr_backward"));
  assert_null(p.system);
  assert_null(p.user);
  tr_freeGraph(g);
  tr_freeOptimizer(opt);
}

static void render_should_refuse_a_graph_with_an_error(void **state) {
  fixture *f = *state;
  tr_value(f->g, "bad name", NULL, "x");
  trPrompt p;
  char err[256] = "";
  assert_int_equal(tr_optimizerRender(f->opt, f->g, &p, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "bad name"));
}

static void parameters_of_another_optimizer_should_be_inputs(void **state) {
  fixture *f = *state;
  trOptimizer *other = tr_makeOptimizer(NULL, NULL, 0);
  trParam *c = tr_paramAt(f->opt, 0);
  trParam *k = tr_addParam(other, "gain", TR_NUMBER, NULL, NULL, 0);
  trGraph *g = tr_makeGraph();
  trNode *cn = tr_paramNode(g, c);
  trNode *kn = tr_paramNode(g, k);
  trNode *out = tr_op(g, "controller", "Runs.", (trArg[]){{"controller", cn}, {"gain", kn}}, 2,
                      "action", NULL, "a");
  assert_int_equal(tr_backward(g, out, "fb", NULL, 0), 2);
  trPrompt p;
  assert_int_equal(tr_optimizerRender(f->opt, g, &p, NULL, 0), 0);
  assert_non_null(strstr(p.user, "#Inputs\n(number) gain0=0\n"));
  assert_non_null(strstr(p.user, "#Variables\n(code) controller0:"));
  tr_promptClose(&p);
  tr_freeGraph(g);
  tr_freeOptimizer(other);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(prompt_should_match_golden_system_and_user, fixture_setup,
                                      fixture_teardown),
      cmocka_unit_test(memory_two_should_show_the_last_two_pairs_oldest_first),
      cmocka_unit_test_setup_teardown(memory_zero_should_render_no_history, fixture_setup,
                                      fixture_teardown),
      cmocka_unit_test(render_should_not_push_memory),
      cmocka_unit_test(long_values_should_be_cut_but_never_code),
      cmocka_unit_test(paper_mask_should_blank_four_section_bodies),
      cmocka_unit_test(objective_should_replace_the_instruction),
      cmocka_unit_test(render_without_backward_should_say_no_feedback),
      cmocka_unit_test_setup_teardown(render_should_refuse_a_graph_with_an_error, fixture_setup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(parameters_of_another_optimizer_should_be_inputs,
                                      fixture_setup, fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
