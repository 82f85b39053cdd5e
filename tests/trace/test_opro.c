/* Tests of trace/opro.c: the OPRO prompt (objective and history, no trace). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_graph.h"

/* The fixture graph under an OPRO optimizer keeping `history` attempts (0: all). */
static void oproFixture(fixture *f, int history) {
  trOptimizerOptions o;
  tr_defaultOptimizerOptions(&o);
  o.kind = TR_OPRO;
  o.history = history;
  o.objective = "Reach the goal with the hand.";
  fixture_init(f, &o);
}

/* Per-test setup and teardown: *state is the fixture under OPRO keeping the number of attempts
 * *state pointed to before (NULL: all of them). */
static int oproSetup(void **state) {
  fixture *f = calloc(1, sizeof(*f));
  if (f == NULL) {
    return -1;
  }
  oproFixture(f, *state ? *(const int *)*state : 0);
  *state = f;
  return 0;
}

/* The history of the test that keeps only the last two attempts (a prestate). */
static int kLastTwo = 2;

static void opro_prompt_should_hold_objective_and_no_trace(void **state) {
  fixture *f = *state;
  trPrompt p;
  fixture_render(f, &p);
  assert_non_null(strstr(p.user, "#Objective\nReach the goal with the hand.\n"));
  assert_non_null(strstr(p.user, "(number) gain0: a positive number, at most 50\n"));
  assert_null(strstr(p.user, "#Code"));
  assert_null(strstr(p.user, "obs0"));
  assert_null(strstr(p.user, "exception_step0"));
  /* the current attempt is the last history line */
  assert_non_null(strstr(p.user, "\"gain0\":2.5},\"feedback\":\"Success: false\\nReturn: 3.5"));
  assert_non_null(strstr(p.system, "history of attempts"));
  tr_promptClose(&p);
}

static void opro_history_should_grow_oldest_first(void **state) {
  fixture *f = *state;
  const char *resp[] = {"{\"suggestion\": {\"gain0\": 3}}", "{\"suggestion\": {\"gain0\": 4}}"};
  for (int i = 0; i < 2; i++) {
    trStepLog log;
    assert_int_equal(tr_optimizerApply(f->opt, f->g, resp[i], strlen(resp[i]), &log, NULL, 0), 0);
    assert_int_equal(log.outcome, TR_OUTCOME_UPDATED);
    tr_stepLogClose(&log);
  }
  assert_int_equal(tr_optimizerMemoryCount(f->opt), 2);
  trPrompt p;
  fixture_render(f, &p);
  const char *a = strstr(p.user, "\"gain0\":2.5}");
  const char *b = strstr(p.user, "\"gain0\":3}");
  const char *c = strstr(p.user, "\"gain0\":4}");
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(c);
  assert_true(a < b && b < c);
  tr_promptClose(&p);
}

static void opro_history_limit_should_drop_the_oldest(void **state) {
  fixture *f = *state;
  for (int i = 0; i < 4; i++) {
    char resp[64];
    snprintf(resp, sizeof resp, "{\"suggestion\": {\"gain0\": %d}}", 10 + i);
    assert_int_equal(tr_optimizerApply(f->opt, f->g, resp, strlen(resp), NULL, NULL, 0), 0);
  }
  assert_int_equal(tr_optimizerMemoryCount(f->opt), 2);
  assert_non_null(strstr(tr_optimizerMemoryAt(f->opt, 0), "\"gain0\":11}"));
  assert_non_null(strstr(tr_optimizerMemoryAt(f->opt, 1), "\"gain0\":12}"));
}

static void opro_state_should_load_only_into_opro(void **state) {
  fixture *a = *state;
  assert_int_equal(tr_optimizerApply(a->opt, a->g, "TERMINATE", 9, NULL, NULL, 0), 0);
  char *saved = tr_optimizerSaveJson(a->opt, NULL, 0);
  assert_non_null(saved);
  assert_non_null(strstr(saved, "\"kind\":\t\"opro\""));
  fixture b;
  fixture_init(&b, NULL);
  char err[256] = "";
  assert_int_equal(tr_optimizerLoadJson(b.opt, saved, strlen(saved), err, sizeof err), TB_EFORMAT);
  assert_non_null(strstr(err, "kind"));
  fixture c;
  oproFixture(&c, 0);
  assert_int_equal(tr_optimizerLoadJson(c.opt, saved, strlen(saved), err, sizeof err), 0);
  assert_int_equal(tr_optimizerMemoryCount(c.opt), 1);
  free(saved);
  fixture_close(&b);
  fixture_close(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(opro_prompt_should_hold_objective_and_no_trace, oproSetup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(opro_history_should_grow_oldest_first, oproSetup,
                                      fixture_teardown),
      cmocka_unit_test_prestate_setup_teardown(opro_history_limit_should_drop_the_oldest, oproSetup,
                                               fixture_teardown, &kLastTwo),
      cmocka_unit_test_setup_teardown(opro_state_should_load_only_into_opro, oproSetup,
                                      fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
