/* Tests of trace/optimizer.c: the outcome of applying odd or malformed responses (a table),
 * parameters, memory FIFO, masks, and saving/loading state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_graph.h"

#define CODE_OLD "void controller(const obs_t *obs, double action[4]) { action[3] = -1; }"
#define CODE_NEW_ESC "void controller(const obs_t *obs, double action[4]) {\\n  action[3] = 1;\\n}"
#define CODE_NEW "void controller(const obs_t *obs, double action[4]) {\n  action[3] = 1;\n}"

/* A graph with four variables of each kind, one input and one output. */
typedef struct table_env {
  trOptimizer *opt;
  trGraph *g;
} table_env;

static void table_make(table_env *t) {
  t->opt = tr_makeOptimizer(NULL, NULL, 0);
  trParam *c = tr_addParam(t->opt, "controller", TR_CODE, "the controller signature", NULL, 0);
  trParam *k = tr_addParam(t->opt, "gain", TR_NUMBER, NULL, NULL, 0);
  trParam *v = tr_addParam(t->opt, "target", TR_VECTOR, NULL, NULL, 0);
  trParam *s = tr_addParam(t->opt, "style", TR_TEXT, NULL, NULL, 0);
  assert_int_equal(tr_setText(c, CODE_OLD, NULL, 0), 0);
  assert_int_equal(tr_setNumber(k, 2.5, NULL, 0), 0);
  assert_int_equal(tr_setVector(v, (double[]){0.1, 0.2, 0.3}, 3, NULL, 0), 0);
  assert_int_equal(tr_setText(s, "calm", NULL, 0), 0);
  t->g = tr_makeGraph();
  trNode *cn = tr_paramNode(t->g, c);
  trNode *kn = tr_paramNode(t->g, k);
  trNode *vn = tr_paramNode(t->g, v);
  trNode *sn = tr_paramNode(t->g, s);
  trNode *obs = tr_value(t->g, "obs", "obs", "{step: 0}");
  trNode *out = tr_op(
      t->g, "controller", "Runs the controller.",
      (trArg[]){{"obs", obs}, {"controller", cn}, {"gain", kn}, {"target", vn}, {"style", sn}}, 5,
      "action", "vector", "[0, 0, 0, 1]");
  assert_int_equal(tr_backward(t->g, out, "Success: false", NULL, 0), 4);
}

static void table_free(table_env *t) {
  tr_freeGraph(t->g);
  tr_freeOptimizer(t->opt);
}

/* A response suggesting the members kv (JSON text without the braces), or the code text
 * (escaped for JSON) for key. */
#define SUGGEST(kv) "{\"suggestion\": {" kv "}}"
#define SUGGEST_CODE(key, text) SUGGEST("\"" key "\": \"" text "\"")

typedef struct row {
  const char *name;
  const char *response;
  size_t len; /* 0: strlen(response) */
  trOutcome outcome;
  const char *changed; /* comma-separated names, "" for none */
  const char *reason;  /* a substring of the reason, or NULL */
} row;

static const row ROWS[] = {
    {"plain json",
     "{\"reasoning\": \"r\", \"answer\": \"\", \"suggestion\": {\"controller0\": \"" CODE_NEW_ESC
     "\"}}",
     0, TR_OUTCOME_UPDATED, "controller0", "updated controller0"},
    {"json fence", "```json\n{\"suggestion\": {\"gain0\": 4}}\n```", 0, TR_OUTCOME_UPDATED, "gain0",
     NULL},
    {"bare fence", "```\n{\"suggestion\": {\"gain0\": 4}}\n```", 0, TR_OUTCOME_UPDATED, "gain0",
     NULL},
    {"prose around",
     "Looking at the feedback, the gain is low.\n{\"suggestion\": {\"gain0\": 6}}"
     "\nLet me know!",
     0, TR_OUTCOME_UPDATED, "gain0", NULL},
    {"key without counter", SUGGEST_CODE("controller", CODE_NEW_ESC), 0, TR_OUTCOME_UPDATED,
     "controller0", NULL},
    {"key with colon", SUGGEST_CODE("controller:0", CODE_NEW_ESC), 0, TR_OUTCOME_UPDATED,
     "controller0", NULL},
    {"reference code key", SUGGEST_CODE("__code0", CODE_NEW_ESC), 0, TR_OUTCOME_UPDATED,
     "controller0", NULL},
    {"reference code key colon", SUGGEST_CODE("__code:0", CODE_NEW_ESC), 0, TR_OUTCOME_UPDATED,
     "controller0", NULL},
    {"key case", SUGGEST("\"Gain0\": 7"), 0, TR_OUTCOME_UPDATED, "gain0", NULL},
    {"number as string", SUGGEST("\"gain0\": \" 12.5 \""), 0, TR_OUTCOME_UPDATED, "gain0", NULL},
    {"number not numeric", SUGGEST("\"gain0\": \"fast\""), 0, TR_OUTCOME_UNUSABLE, "",
     "gain0: expected a number, got string fast"},
    {"number nan", SUGGEST("\"gain0\": \"nan\""), 0, TR_OUTCOME_UNUSABLE, "", "expected a number"},
    {"number infinite", SUGGEST("\"gain0\": \"1e999\""), 0, TR_OUTCOME_UNUSABLE, "",
     "expected a number"},
    {"number null", SUGGEST("\"gain0\": null"), 0, TR_OUTCOME_UNUSABLE, "", "got null"},
    {"number bool", SUGGEST("\"gain0\": true"), 0, TR_OUTCOME_UNUSABLE, "", "got boolean"},
    {"code with escaped newlines twice",
     SUGGEST_CODE("controller0",
                  "void controller(const obs_t *obs, double action[4]) {"
                  "\\\\n  action[3] = 1;\\\\n}"),
     0, TR_OUTCOME_UPDATED, "controller0", NULL},
    {"code with literal newlines", SUGGEST_CODE("controller0", CODE_NEW), 0, TR_OUTCOME_UPDATED,
     "controller0", NULL},
    {"code in a markdown fence", SUGGEST_CODE("controller0", "```c\\n" CODE_NEW_ESC "\\n```"), 0,
     TR_OUTCOME_UPDATED, "controller0", NULL},
    {"code as object", SUGGEST("\"controller0\": {\"source\": \"x\"}"), 0, TR_OUTCOME_UNUSABLE, "",
     "expected code as a string, got object"},
    {"blank code", SUGGEST("\"controller0\": \"  \\n \""), 0, TR_OUTCOME_NO_CHANGE, "",
     "blank code ignored"},
    {"same code", SUGGEST_CODE("controller0", CODE_OLD), 0, TR_OUTCOME_NO_CHANGE, "",
     "same value as before"},
    {"terminate alone", "TERMINATE", 0, TR_OUTCOME_NO_CHANGE, "", "TERMINATE"},
    {"terminate in answer",
     "{\"reasoning\": \"all good\", \"answer\": \"TERMINATE\", "
     "\"suggestion\": {}}",
     0, TR_OUTCOME_NO_CHANGE, "", "TERMINATE"},
    {"terminate word but values",
     "{\"reasoning\": \"do not TERMINATE yet\", \"suggestion\": "
     "{\"gain0\": 3}}",
     0, TR_OUTCOME_UPDATED, "gain0", NULL},
    {"empty suggestion", "{\"reasoning\": \"r\", \"answer\": \"\", \"suggestion\": {}}", 0,
     TR_OUTCOME_NO_CHANGE, "", "suggestion is empty"},
    {"missing suggestion", "{\"reasoning\": \"I am not sure.\", \"answer\": \"\"}", 0,
     TR_OUTCOME_NO_CHANGE, "", "no \"suggestion\""},
    {"null suggestion", "{\"reasoning\": \"r\", \"suggestion\": null}", 0, TR_OUTCOME_NO_CHANGE, "",
     "null"},
    {"suggestion as string", "{\"suggestion\": \"{\\\"gain0\\\": 9}\"}", 0, TR_OUTCOME_UPDATED,
     "gain0", NULL},
    {"suggestion prose string", "{\"suggestion\": \"raise the gain\"}", 0, TR_OUTCOME_UNUSABLE, "",
     "suggestion is a string"},
    {"suggestion array", "{\"suggestion\": [{\"gain0\": 3}]}", 0, TR_OUTCOME_UNUSABLE, "",
     "suggestion is an array"},
    {"unknown name", SUGGEST("\"speed0\": 3"), 0, TR_OUTCOME_UNUSABLE, "",
     "speed0 is not a variable name"},
    {"input name", SUGGEST("\"obs0\": \"{step: 1}\""), 0, TR_OUTCOME_UNUSABLE, "",
     "obs0 is not in #Variables"},
    {"unknown and known", SUGGEST("\"speed0\": 3, \"gain0\": 8"), 0, TR_OUTCOME_UPDATED, "gain0",
     "speed0 is not a variable name"},
    {"duplicate spellings", SUGGEST("\"gain0\": 8, \"gain\": 9"), 0, TR_OUTCOME_UPDATED, "gain0",
     "gain repeats gain0"},
    {"vector array", SUGGEST("\"target0\": [1, 2, 3]"), 0, TR_OUTCOME_UPDATED, "target0", NULL},
    {"vector as string", SUGGEST("\"target0\": \"[1, 2, 3]\""), 0, TR_OUTCOME_UPDATED, "target0",
     NULL},
    {"vector loose string", SUGGEST("\"target0\": \"1, 2, 3\""), 0, TR_OUTCOME_UPDATED, "target0",
     NULL},
    {"vector strings inside", SUGGEST("\"target0\": [\"1\", 2, \"3\"]"), 0, TR_OUTCOME_UPDATED,
     "target0", NULL},
    {"vector wrong length", SUGGEST("\"target0\": [1, 2]"), 0, TR_OUTCOME_UNUSABLE, "",
     "expected 3 numbers"},
    {"text given a number", SUGGEST("\"style0\": 42"), 0, TR_OUTCOME_UPDATED, "style0", NULL},
    {"several kinds at once",
     "{\"suggestion\": {\"gain0\": 1, \"target0\": [0, 0, 0], "
     "\"style0\": \"bold\", \"controller0\": \"" CODE_NEW_ESC "\"}}",
     0, TR_OUTCOME_UPDATED, "gain0,target0,style0,controller0", NULL},
    {"trailing commas", "{\"suggestion\": {\"gain0\": 3,},}", 0, TR_OUTCOME_UPDATED, "gain0", NULL},
    {"bare object", "{\"gain0\": 3}", 0, TR_OUTCOME_UPDATED, "gain0", NULL},
    {"example object first", "The format is {\"x\": 1}; mine is {\"suggestion\": {\"gain0\": 5}}",
     0, TR_OUTCOME_UPDATED, "gain0", NULL},
    {"empty response", "", 0, TR_OUTCOME_UNUSABLE, "", "empty"},
    {"whitespace response", " \n\t ", 0, TR_OUTCOME_UNUSABLE, "", "empty"},
    {"prose only", "You should increase the gain.", 0, TR_OUTCOME_UNUSABLE, "", "no JSON object"},
    {"truncated json", "{\"reasoning\": \"the hand", 0, TR_OUTCOME_UNUSABLE, "", "no JSON object"},
    {"binary with nul", "{\"sugg\0estion\": \x01\xff}", 20, TR_OUTCOME_UNUSABLE, "", NULL},
    {"object inside a top-level array", "[{\"gain0\": 3}]", 0, TR_OUTCOME_UPDATED, "gain0", NULL},
    {"array only", "[1, 2, 3]", 0, TR_OUTCOME_UNUSABLE, "", "no JSON object"},
};

static void check_row(const row *r) {
  table_env t;
  table_make(&t);
  trStepLog log;
  char err[256] = "";
  size_t len = r->len ? r->len : strlen(r->response);
  int rc = tr_optimizerApply(t.opt, t.g, r->response, len, &log, err, sizeof err);
  if (rc != 0 || log.outcome != r->outcome) {
    print_error("row \"%s\": rc %d outcome %d, want %d; reason: %s\n", r->name, rc, log.outcome,
                r->outcome, log.reason);
    fail();
  }
  /* the changed names, in order */
  char names[256] = "";
  for (int i = 0; i < log.nchanged; i++) {
    strncat(names, i ? "," : "", sizeof names - strlen(names) - 1);
    strncat(names, log.changed[i], sizeof names - strlen(names) - 1);
  }
  if (strcmp(names, r->changed) != 0) {
    print_error("row \"%s\": changed \"%s\", want \"%s\"\n", r->name, names, r->changed);
    fail();
  }
  if (r->reason && !strstr(log.reason, r->reason)) {
    print_error("row \"%s\": reason \"%s\" lacks \"%s\"\n", r->name, log.reason, r->reason);
    fail();
  }
  /* every step records a reason, the prompts and the response */
  assert_true(strlen(log.reason) > 0);
  assert_non_null(log.system);
  assert_non_null(log.user);
  assert_non_null(log.response);
  assert_int_equal(log.iteration, 1);
  /* code updates always leave real newlines, never escapes or fences */
  if (strstr(r->changed, "controller0")) {
    assert_string_equal(tr_paramText(tr_findParam(t.opt, "controller0")), CODE_NEW);
  }
  tr_stepLogClose(&log);
  table_free(&t);
}

static void table_of_responses_should_give_the_expected_outcomes(void **state) {
  (void)state;
  size_t n = sizeof ROWS / sizeof ROWS[0];
  assert_true(n >= 30);
  for (size_t i = 0; i < n; i++) {
    check_row(&ROWS[i]);
  }
}

/* Applies resp to the table graph, a step whose outcome must be outcome. */
static void applyExpecting(table_env *t, const char *resp, trOutcome outcome) {
  trStepLog log;
  assert_int_equal(tr_optimizerApply(t->opt, t->g, resp, strlen(resp), &log, NULL, 0), 0);
  assert_int_equal(log.outcome, outcome);
  tr_stepLogClose(&log);
}

/* The value of the table's target0, which holds three numbers. */
static const double *target3(const table_env *t) {
  int n = 0;
  const double *v = tr_paramVector(tr_findParam(t->opt, "target0"), &n);
  assert_int_equal(n, 3);
  return v;
}

static void converted_values_should_be_stored(void **state) {
  (void)state;
  table_env t;
  table_make(&t);
  applyExpecting(&t,
                 SUGGEST("\"gain0\": \"12.5\", \"target0\": \"(1 2 3)\", \"style0\": [1, \"a\"]"),
                 TR_OUTCOME_UPDATED);
  assert_true(tr_paramNumber(tr_findParam(t.opt, "gain0")) == 12.5);
  const double *v = target3(&t);
  assert_true(v[0] == 1.0 && v[1] == 2.0 && v[2] == 3.0);
  assert_string_equal(tr_paramText(tr_findParam(t.opt, "style0")), "[1,\"a\"]");
  table_free(&t);
}

static void unusable_response_should_leave_values_alone(void **state) {
  (void)state;
  table_env t;
  table_make(&t);
  applyExpecting(&t, SUGGEST("\"gain0\": \"fast\", \"target0\": [1]"), TR_OUTCOME_UNUSABLE);
  assert_true(tr_paramNumber(tr_findParam(t.opt, "gain0")) == 2.5);
  assert_true(target3(&t)[0] == 0.1);
  assert_string_equal(tr_paramText(tr_findParam(t.opt, "controller0")), CODE_OLD);
  table_free(&t);
}

static void apply_should_record_reasoning_and_count_iterations(void **state) {
  (void)state;
  table_env t;
  table_make(&t);
  const char *resp = "{\"reasoning\": \"raise it\", \"suggestion\": {\"gain0\": 3}}";
  trStepLog log;
  for (int i = 1; i <= 3; i++) {
    assert_int_equal(tr_optimizerApply(t.opt, t.g, resp, strlen(resp), &log, NULL, 0), 0);
    assert_int_equal(log.iteration, i);
    assert_string_equal(log.reasoning, "raise it");
    assert_string_equal(log.response, resp);
    assert_true(log.latency_s == 0.0);
    tr_stepLogClose(&log);
  }
  assert_int_equal(tr_optimizerIteration(t.opt), 3);
  /* a NULL log is allowed */
  assert_int_equal(tr_optimizerApply(t.opt, t.g, resp, strlen(resp), NULL, NULL, 0), 0);
  assert_int_equal(tr_optimizerIteration(t.opt), 4);
  table_free(&t);
}

static void apply_without_feedback_should_take_no_step(void **state) {
  (void)state;
  trOptimizer *opt = tr_makeOptimizer(NULL, NULL, 0);
  tr_addParam(opt, "gain", TR_NUMBER, NULL, NULL, 0);
  trGraph *g = tr_makeGraph();
  trStepLog log;
  char err[256] = "";
  assert_int_equal(tr_optimizerApply(opt, g, "{}", 2, &log, err, sizeof err), TB_ENOFEEDBACK);
  assert_int_equal(log.outcome, TR_OUTCOME_NONE);
  assert_non_null(strstr(log.reason, "feedback"));
  assert_non_null(strstr(err, "feedback"));
  assert_int_equal(tr_optimizerIteration(opt), 0);
  tr_stepLogClose(&log);
  tr_freeGraph(g);
  tr_freeOptimizer(opt);
}

static void memory_should_be_a_fifo_of_k_pairs(void **state) {
  (void)state;
  fixture f;
  fixture_initMemory(&f, 3);
  for (int i = 0; i < 5; i++) {
    char fb[32];
    snprintf(fb, sizeof fb, "Return: %d", i);
    fixture_episode(&f, fb);
    assert_int_equal(tr_optimizerApply(f.opt, f.g, "TERMINATE", 9, NULL, NULL, 0), 0);
    assert_int_equal(tr_optimizerMemoryCount(f.opt), i + 1 < 3 ? i + 1 : 3);
  }
  assert_non_null(strstr(tr_optimizerMemoryAt(f.opt, 0), "Return: 2"));
  assert_non_null(strstr(tr_optimizerMemoryAt(f.opt, 2), "Return: 4"));
  fixture_close(&f);
}

static void add_param_should_name_and_validate(void **state) {
  (void)state;
  trOptimizer *opt = tr_makeOptimizer(NULL, NULL, 0);
  char err[256] = "";
  trParam *a = tr_addParam(opt, "k", TR_NUMBER, NULL, err, sizeof err);
  trParam *b = tr_addParam(opt, "k", TR_NUMBER, NULL, err, sizeof err);
  assert_string_equal(tr_paramName(a), "k0");
  assert_string_equal(tr_paramName(b), "k1");
  assert_ptr_equal(tr_findParam(opt, "k1"), b);
  assert_int_equal(tr_paramCount(opt), 2);
  assert_ptr_equal(tr_paramAt(opt, 0), a);
  assert_null(tr_paramAt(opt, 2));
  assert_null(tr_addParam(opt, "bad name", TR_TEXT, NULL, err, sizeof err));
  assert_non_null(strstr(err, "bad name"));
  assert_null(tr_addParam(opt, "k2", TR_TEXT, NULL, err, sizeof err));
  assert_non_null(strstr(err, "digit"));
  assert_int_equal(tr_setText(a, "x", err, sizeof err), TB_EINVAL);
  assert_int_equal(tr_setNumber(a, 1.0 / 0.0, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "finite"));
  assert_null(tr_paramText(a));
  tr_freeOptimizer(opt);
  tr_freeOptimizer(NULL);
}

static void make_optimizer_should_reject_bad_options(void **state) {
  (void)state;
  trOptimizerOptions o;
  tr_defaultOptimizerOptions(&o);
  o.memory = -1;
  char err[256] = "";
  assert_null(tr_makeOptimizer(&o, err, sizeof err));
  assert_non_null(strstr(err, "memory"));
  tr_defaultOptimizerOptions(&o);
  o.kind = (trOptimizerKind)7;
  assert_null(tr_makeOptimizer(&o, err, sizeof err));
  assert_non_null(strstr(err, "kind"));
}

static void mask_should_parse_section_names(void **state) {
  (void)state;
  unsigned m = 99;
  char err[256] = "";
  assert_int_equal(tr_parseMask("#Documentation, code,INPUTS,others", &m, err, sizeof err), 0);
  assert_int_equal(m, TR_MASK_PAPER);
  assert_int_equal(tr_parseMask("paper", &m, NULL, 0), 0);
  assert_int_equal(m, TR_MASK_PAPER);
  assert_int_equal(tr_parseMask("", &m, NULL, 0), 0);
  assert_int_equal(m, 0);
  assert_int_equal(tr_parseMask("none", &m, NULL, 0), 0);
  assert_int_equal(m, 0);
  assert_int_equal(tr_parseMask("feedback,bogus", &m, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "\"bogus\""));
}

static void state_should_survive_save_and_load(void **state) {
  (void)state;
  fixture a;
  fixture_initMemory(&a, 2);
  const char *resp = "{\"suggestion\": {\"gain0\": 7.25, \"controller0\": \"" CODE_NEW_ESC "\"}}";
  for (int i = 0; i < 3; i++) {
    assert_int_equal(tr_optimizerApply(a.opt, a.g, resp, strlen(resp), NULL, NULL, 0), 0);
  }
  char err[256] = "";
  char *saved = tr_optimizerSaveJson(a.opt, err, sizeof err);
  assert_non_null(saved);

  /* a fresh optimizer with the same parameters takes the saved state */
  fixture b;
  fixture_initMemory(&b, 2);
  assert_int_equal(tr_optimizerLoadJson(b.opt, saved, strlen(saved), err, sizeof err), 0);
  assert_true(tr_paramNumber(b.gain) == 7.25);
  assert_string_equal(tr_paramText(b.controller), CODE_NEW);
  assert_int_equal(tr_optimizerIteration(b.opt), 3);
  assert_int_equal(tr_optimizerMemoryCount(b.opt), 2);
  for (int i = 0; i < 2; i++) {
    assert_string_equal(tr_optimizerMemoryAt(b.opt, i), tr_optimizerMemoryAt(a.opt, i));
  }
  /* and renders the same prompt */
  trPrompt pa;
  trPrompt pb;
  assert_int_equal(tr_optimizerRender(a.opt, a.g, &pa, NULL, 0), 0);
  assert_int_equal(tr_optimizerRender(b.opt, b.g, &pb, NULL, 0), 0);
  assert_string_equal(pa.user, pb.user);
  tr_promptClose(&pa);
  tr_promptClose(&pb);
  char *again = tr_optimizerSaveJson(b.opt, NULL, 0);
  assert_string_equal(saved, again);
  free(again);
  free(saved);
  fixture_close(&a);
  fixture_close(&b);
}

static void load_should_reject_mismatches_and_change_nothing(void **state) {
  fixture *f = *state;
  char err[256] = "";
  const char *bad[][2] = {
      {"not json", "format"},
      {"{\"format\": \"other\"}", "format"},
      {"{\"format\": \"tracebot-optimizer\", \"kind\": \"opro\"}", "kind"},
      {"{\"format\": \"tracebot-optimizer\", \"kind\": \"optoprime\", \"iteration\": 1, "
       "\"params\": [], \"memory\": []}",
       "2 parameters"},
      {"{\"format\": \"tracebot-optimizer\", \"kind\": \"optoprime\", \"iteration\": 1, "
       "\"params\": [{\"name\": \"controller0\", \"kind\": \"code\", \"value\": \"x\"}, "
       "{\"name\": \"gain0\", \"kind\": \"text\", \"value\": \"1\"}], \"memory\": []}",
       "gain0"},
      {"{\"format\": \"tracebot-optimizer\", \"kind\": \"optoprime\", \"iteration\": 1, "
       "\"params\": [{\"name\": \"controller0\", \"kind\": \"code\", \"value\": \"x\"}, "
       "{\"name\": \"gain0\", \"kind\": \"number\", \"value\": \"1\"}], \"memory\": []}",
       "finite"},
      {"{\"format\": \"tracebot-optimizer\", \"kind\": \"optoprime\", \"iteration\": 1, "
       "\"params\": [{\"name\": \"controller0\", \"kind\": \"code\", \"value\": \"x\"}, "
       "{\"name\": \"gain0\", \"kind\": \"number\", \"value\": 1}], \"memory\": [3]}",
       "memory entry 0"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = '\0';
    int rc = tr_optimizerLoadJson(f->opt, bad[i][0], strlen(bad[i][0]), err, sizeof err);
    if (rc != TB_EFORMAT || !strstr(err, bad[i][1])) {
      print_error("case %zu: rc %d, err \"%s\", want \"%s\"\n", i, rc, err, bad[i][1]);
      fail();
    }
    assert_string_equal(tr_paramText(f->controller), FIXTURE_CONTROLLER);
    assert_true(tr_paramNumber(f->gain) == 2.5);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(table_of_responses_should_give_the_expected_outcomes),
      cmocka_unit_test(converted_values_should_be_stored),
      cmocka_unit_test(unusable_response_should_leave_values_alone),
      cmocka_unit_test(apply_should_record_reasoning_and_count_iterations),
      cmocka_unit_test(apply_without_feedback_should_take_no_step),
      cmocka_unit_test(memory_should_be_a_fifo_of_k_pairs),
      cmocka_unit_test(add_param_should_name_and_validate),
      cmocka_unit_test(make_optimizer_should_reject_bad_options),
      cmocka_unit_test(mask_should_parse_section_names),
      cmocka_unit_test(state_should_survive_save_and_load),
      cmocka_unit_test_setup_teardown(load_should_reject_mismatches_and_change_nothing,
                                      fixture_setup, fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
