/* Tests of trace/memory.c: the lean memory shows each value once with every feedback it
 * received, code as a diff when shorter, the oldest values out first under the character
 * cap, and how many attempts are left out; OPRO's lean history ends with the current
 * attempt in full. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_graph.h"

#define CODE_A                                              \
  "void controller(const obs_t *obs, double action[4]) {\n" \
  "  /* MARKER_A */\n"                                      \
  "  action[0] = 0.1;\n"                                    \
  "  action[1] = 0.0;\n"                                    \
  "  action[2] = 0.0;\n"                                    \
  "  action[3] = -1.0;\n"                                   \
  "}\n"
#define CODE_B                                              \
  "void controller(const obs_t *obs, double action[4]) {\n" \
  "  /* MARKER_B */\n"                                      \
  "  action[0] = 0.1;\n"                                    \
  "  action[1] = 0.0;\n"                                    \
  "  action[2] = 0.0;\n"                                    \
  "  action[3] = -1.0;\n"                                   \
  "}\n"

/* A reply that sets controller0 to code (escaped into a JSON string). */
static char *replyFor(const char *code) {
  size_t cap = 64 + 2 * strlen(code);
  char *r = malloc(cap);
  assert_non_null(r);
  size_t n = (size_t)snprintf(r, cap, "{\"suggestion\": {\"controller0\": \"");
  for (const char *c = code; *c; c++) {
    if (*c == '\n') {
      r[n++] = '\\';
      r[n++] = 'n';
    } else {
      r[n++] = *c;
    }
  }
  snprintf(r + n, cap - n, "\"}}");
  return r;
}

/* One step: the episode with feedback fb, then the reply setting controller0 to code. */
static void step(fixture *f, const char *fb, const char *code) {
  fixture_episode(f, fb);
  char *reply = replyFor(code);
  trStepLog log;
  assert_int_equal(tr_optimizerApply(f->opt, f->g, reply, strlen(reply), &log, NULL, 0), 0);
  tr_stepLogClose(&log);
  free(reply);
}

static void lean(trOptimizerOptions *o, trOptimizerKind kind, int memory, size_t chars) {
  tr_defaultOptimizerOptions(o);
  o->kind = kind;
  o->memory = memory;
  o->memory_style = TR_MEMORY_LEAN;
  o->memory_chars = chars;
}

static int count(const char *text, const char *needle) {
  int n = 0;
  for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) {
    n++;
  }
  return n;
}

static char *render(fixture *f, const char *fb) {
  fixture_episode(f, fb);
  trPrompt p;
  assert_int_equal(tr_optimizerRender(f->opt, f->g, &p, NULL, 0), 0);
  free(p.system);
  return p.user;
}

static void alternating_values_should_appear_once_each(void **state) {
  (void)state;
  trOptimizerOptions o;
  lean(&o, TR_OPTOPRIME, 10, 0);
  fixture f;
  fixture_init(&f, &o);
  for (int i = 0; i < 8; i++) {
    step(&f, i % 2 ? "Success: false\nReturn: 2.0" : "Success: false\nReturn: 1.0",
         i % 2 ? CODE_A : CODE_B);
  }
  /* controller0 is CODE_A now; memory holds the initial value, then B and A alternately:
   * B got Return 2.0 four times, A Return 1.0 three times */
  char *user = render(&f, "Success: false\nReturn: 1.0");
  const char *memory = strstr(user, "Earlier attempts, oldest first, each value once");
  assert_non_null(memory);
  assert_int_equal(count(memory, "MARKER_B"), 1);
  assert_true(count(memory, "MARKER_A") <= 1); /* the current value: referred to, or a diff */
  assert_int_equal(count(memory, "== the current values, as in #Variables (3 earlier attempts)"),
                   1);
  assert_int_equal(count(memory, "== earlier values (4 attempts)"), 1);
  assert_int_equal(count(memory, "Feedback (3 attempts):\nSuccess: false\nReturn: 1.0"), 1);
  assert_int_equal(count(memory, "Feedback (4 attempts):\nSuccess: false\nReturn: 2.0"), 1);
  assert_int_equal(count(memory, "Return: 2.0"), 1);
  assert_null(strstr(memory, "left out"));
  free(user);
  fixture_close(&f);
}

static void code_should_be_a_diff_when_shorter(void **state) {
  (void)state;
  trOptimizerOptions o;
  lean(&o, TR_OPTOPRIME, 10, 0);
  fixture f;
  fixture_init(&f, &o);
  step(&f, "Success: false\nReturn: 1.0", CODE_A);
  step(&f, "Success: false\nReturn: 2.0", CODE_B);
  char *user = render(&f, "Success: false\nReturn: 3.0");
  const char *memory = strstr(user, "Earlier attempts");
  assert_non_null(memory);
  const char *diff = strstr(memory, "(code) controller0, as a diff from its current value:\n");
  assert_non_null(diff);
  assert_non_null(strstr(diff,
                         "@@ -1,4 +1,4 @@\n"
                         " void controller(const obs_t *obs, double action[4]) {\n"
                         "-  /* MARKER_B */\n"
                         "+  /* MARKER_A */\n"
                         "   action[0] = 0.1;\n"
                         "   action[1] = 0.0;\n"
                         "(number) gain0=2.5\n"
                         "Feedback:\nSuccess: false\nReturn: 2.0\n"));
  /* the fixture's first controller shares too little to be worth a diff: in full */
  assert_non_null(strstr(memory, "(code) controller0:" FIXTURE_CONTROLLER "(number) gain0=2.5\n"));
  free(user);
  fixture_close(&f);
}

static void the_cap_should_drop_the_oldest_and_say_so(void **state) {
  (void)state;
  trOptimizerOptions o;
  lean(&o, TR_OPTOPRIME, 2, 0);
  fixture f;
  fixture_init(&f, &o);
  step(&f, "Success: false\nReturn: 1.0", CODE_A);
  step(&f, "Success: false\nReturn: 2.0", CODE_B);
  step(&f, "Success: false\nReturn: 3.0", CODE_A);
  step(&f, "Success: false\nReturn: 4.0", CODE_B);
  /* memory 2: the attempts of steps 3 and 4 remain; 2 of 4 are left out */
  char *user = render(&f, "Success: false\nReturn: 5.0");
  assert_non_null(strstr(user, " 2 earlier attempts are left out.\n"));
  assert_null(strstr(user, "Return: 2.0"));
  assert_non_null(strstr(user, "Return: 3.0"));
  assert_non_null(strstr(user, "Return: 4.0"));
  free(user);
  fixture_close(&f);

  /* a cap that holds one value's text: the older one goes */
  lean(&o, TR_OPTOPRIME, 10, 400);
  fixture_init(&f, &o);
  step(&f, "Success: false\nReturn: 1.0", CODE_A);
  step(&f, "Success: false\nReturn: 2.0", CODE_B);
  user = render(&f, "Success: false\nReturn: 3.0");
  const char *memory = strstr(user, "Earlier attempts");
  assert_non_null(memory);
  assert_non_null(strstr(memory, " 1 earlier attempt is left out.\n"));
  assert_null(strstr(memory, "Return: 1.0"));
  assert_non_null(strstr(memory, "Return: 2.0"));
  assert_true(strlen(strchr(memory, '\n') + 1) <= 400 + 40);
  free(user);
  fixture_close(&f);

  /* nothing fits: everything is left out, and said */
  lean(&o, TR_OPTOPRIME, 10, 10);
  fixture_init(&f, &o);
  step(&f, "Success: false\nReturn: 1.0", CODE_A);
  user = render(&f, "Success: false\nReturn: 2.0");
  assert_non_null(strstr(user, " 1 earlier attempt is left out.\n\nYour response:"));
  free(user);
  fixture_close(&f);
}

static void the_paper_style_should_stay_one_json_line_per_pair(void **state) {
  (void)state;
  trOptimizerOptions o;
  tr_defaultOptimizerOptions(&o);
  o.memory = 10;
  fixture f;
  fixture_init(&f, &o);
  for (int i = 0; i < 4; i++) {
    step(&f, "Success: false\nReturn: 1.0", i % 2 ? CODE_A : CODE_B);
  }
  char *user = render(&f, "Success: false\nReturn: 1.0");
  assert_int_equal(count(user, "MARKER_B"), 2);
  assert_int_equal(count(user, "{\"variables\""), 4);
  assert_null(strstr(user, "left out"));
  free(user);
  fixture_close(&f);
}

static void opro_lean_history_should_end_with_the_current_attempt_in_full(void **state) {
  (void)state;
  trOptimizerOptions o;
  lean(&o, TR_OPRO, 0, 0);
  o.objective = "Reach the goal.";
  fixture f;
  fixture_init(&f, &o);
  step(&f, "Success: false\nReturn: 1.0", CODE_A);
  step(&f, "Success: false\nReturn: 2.0", CODE_B);
  step(&f, "Success: false\nReturn: 3.0", CODE_A);
  char *user = render(&f, "Success: false\nReturn: 4.0");
  const char *history = strstr(user, "#History\nThe attempts so far, oldest first, each value");
  assert_non_null(history);
  assert_int_equal(count(history, "(code) controller0:" CODE_A), 1);
  assert_int_equal(count(history, "MARKER_B"), 1);
  const char *current = strstr(history,
                               "== the current values (2 attempts, the latest last) ==\n"
                               "(code) controller0:" CODE_A);
  assert_non_null(current);
  assert_non_null(strstr(current,
                         "Feedback:\nSuccess: false\nReturn: 2.0\n"
                         "Feedback:\nSuccess: false\nReturn: 4.0\n"));
  free(user);
  fixture_close(&f);
}

static void opro_should_ask_for_terminate_in_its_own_format(void **state) {
  (void)state;
  trOptimizerOptions o;
  tr_defaultOptimizerOptions(&o);
  o.kind = TR_OPRO;
  fixture f;
  fixture_init(&f, &o);
  trPrompt p;
  assert_int_equal(tr_optimizerRender(f.opt, f.g, &p, NULL, 0), 0);
  assert_null(strstr(p.system, "\"answer\""));
  assert_non_null(strstr(p.system, "write TERMINATE in \"reasoning\""));
  tr_promptClose(&p);
  /* and such a reply is a TERMINATE */
  const char *reply = "{\"reasoning\": \"It works. TERMINATE\", \"suggestion\": {}}";
  trStepLog log;
  assert_int_equal(tr_optimizerApply(f.opt, f.g, reply, strlen(reply), &log, NULL, 0), 0);
  assert_int_equal(log.outcome, TR_OUTCOME_NO_CHANGE);
  assert_int_equal(log.terminate, 1);
  tr_stepLogClose(&log);
  const char *empty = "{\"reasoning\": \"nothing\", \"suggestion\": {}}";
  assert_int_equal(tr_optimizerApply(f.opt, f.g, empty, strlen(empty), &log, NULL, 0), 0);
  assert_int_equal(log.outcome, TR_OUTCOME_NO_CHANGE);
  assert_int_equal(log.terminate, 0);
  tr_stepLogClose(&log);
  fixture_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(alternating_values_should_appear_once_each),
      cmocka_unit_test(code_should_be_a_diff_when_shorter),
      cmocka_unit_test(the_cap_should_drop_the_oldest_and_say_so),
      cmocka_unit_test(the_paper_style_should_stay_one_json_line_per_pair),
      cmocka_unit_test(opro_lean_history_should_end_with_the_current_attempt_in_full),
      cmocka_unit_test(opro_should_ask_for_terminate_in_its_own_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
