/* Tests of train/runlog.c: an iteration line written and read back, the messages of bad
 * lines, what resume does with a torn or a bad last line, config.json both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "config.h"
#include "runlog.h"
#include "tmpdir.h"

/* A line with every field set to something other than its zero. */
static const char *const kChanged[] = {"controller", "other"};

static void sampleLine(agIteration *it, agEvalEpisode test[3], int iteration) {
  memset(test, 0, 3 * sizeof *test);
  for (int i = 0; i < 3; i++) {
    test[i].seed = 1 + (uint64_t)i;
    test[i].success = i != 1;
    test[i].ret = 10.25 * i - 3.5;
  }
  test[1].fault.kind = AG_FT_TIMEOUT;
  memset(it, 0, sizeof *it);
  it->iteration = iteration;
  it->controller = "void controller(const obs_t *obs, double action[4]) {\n  /* \"quoted\" */\n}\n";
  it->train.seed = 7;
  it->train.success = 0;
  it->train.ret = -12.125;
  it->train.nsteps = 4;
  ag_setFault(&it->train.fault, AG_FT_COMPILE, 0, "'x' undeclared");
  it->train.fault.line = 3;
  it->pool_starts = 10;
  it->pool_successes = 6;
  it->feedback = "Success: false\nReturn: -12.12\nError: (compile) line 3: 'x' undeclared";
  it->system = "the system prompt";
  it->user = "the user prompt \xc3\xa9";
  it->response = "{\"suggestion\": {}}";
  it->prompt_tokens = 1234567890123LL;
  it->completion_tokens = 321;
  it->tokens_estimated = 1;
  it->latency_s = 1.75;
  it->outcome = TR_OUTCOME_UPDATED;
  it->reason = "changed controller";
  it->terminate = 1;
  it->nchanged = 2;
  it->changed = kChanged;
  it->next_controller = "void controller(const obs_t *obs, double action[4]) {}\n";
  it->ntest = 3;
  it->test = test;
  it->test_success_rate = 2.0 / 3.0;
  it->test_mean_return = 0.1;
  it->episode = "episodes/iter_001.json";
  it->elapsed_s = 12.5;
  it->optimizer_overhead_ms = 0.3;
  it->optimizer_state = "{\"format\":\"tracebot-optimizer\",\"memory\":[{\"a\":1}],\"n\":2.5}";
}

static void assertSameEpisode(const agEvalEpisode *a, const agEvalEpisode *b) {
  assert_true(a->seed == b->seed);
  assert_int_equal(a->success, b->success);
  assert_true(a->ret == b->ret);
  assert_int_equal(a->nsteps, b->nsteps);
  assert_int_equal(a->fault.kind, b->fault.kind);
  assert_int_equal(a->fault.step, b->fault.step);
  assert_int_equal(a->fault.line, b->fault.line);
  assert_string_equal(a->fault.message, b->fault.message);
}

static void a_line_written_and_read_back_should_be_equal_field_by_field(void **state) {
  (void)state;
  agIteration in;
  agEvalEpisode test[3];
  sampleLine(&in, test, 5);
  char err[256] = "";
  char *text = ag_iterationText(&in, err, sizeof err);
  assert_non_null(text);
  assert_null(strchr(text, '\n'));

  agIteration out;
  int rc = ag_iterationParse(text, strlen(text), "iterations.jsonl", 5, &out, err, sizeof err);
  if (rc != TB_OK) {
    fail_msg("%s", err);
  }
  assert_int_equal(out.iteration, 5);
  assert_string_equal(out.controller, in.controller);
  assertSameEpisode(&out.train, &in.train);
  assert_int_equal(out.pool_starts, 10);
  assert_int_equal(out.pool_successes, 6);
  assert_string_equal(out.feedback, in.feedback);
  assert_string_equal(out.system, in.system);
  assert_string_equal(out.user, in.user);
  assert_string_equal(out.response, in.response);
  assert_true(out.prompt_tokens == in.prompt_tokens);
  assert_true(out.completion_tokens == in.completion_tokens);
  assert_int_equal(out.tokens_estimated, in.tokens_estimated);
  assert_true(out.latency_s == in.latency_s);
  assert_int_equal(out.outcome, in.outcome);
  assert_string_equal(out.reason, in.reason);
  assert_int_equal(out.terminate, 1);
  assert_int_equal(out.nchanged, 2);
  assert_string_equal(out.changed[0], "controller");
  assert_string_equal(out.changed[1], "other");
  assert_string_equal(out.next_controller, in.next_controller);
  assert_int_equal(out.ntest, 3);
  for (int i = 0; i < 3; i++) {
    assertSameEpisode(&out.test[i], &in.test[i]);
  }
  assert_true(out.test_success_rate == in.test_success_rate);
  assert_true(out.test_mean_return == in.test_mean_return);
  assert_string_equal(out.episode, in.episode);
  assert_true(out.elapsed_s == in.elapsed_s);
  assert_true(out.optimizer_overhead_ms == in.optimizer_overhead_ms);
  assert_string_equal(out.optimizer_state, in.optimizer_state);

  /* and written again, the same bytes */
  char *again = ag_iterationText(&out, err, sizeof err);
  assert_string_equal(again, text);
  free(again);
  ag_iterationClose(&out);
  free(text);
}

/* An iteration without an LLM call has a null response, read back as NULL; a line written
 * before the pool protocol (no pool, no update.terminate) reads as one start. */
static void a_line_without_a_call_and_an_older_line_should_read_back(void **state) {
  (void)state;
  agIteration in;
  agEvalEpisode test[3];
  sampleLine(&in, test, 1);
  in.response = NULL;
  char *text = ag_iterationText(&in, NULL, 0);
  assert_non_null(strstr(text, "\"response\":null"));
  agIteration out;
  char err[256] = "";
  assert_int_equal(ag_iterationParse(text, strlen(text), "f", 1, &out, err, sizeof err), TB_OK);
  assert_null(out.response);
  ag_iterationClose(&out);
  free(text);

  in.response = "{}";
  in.train.success = 1;
  text = ag_iterationText(&in, NULL, 0);
  cJSON *o = cJSON_Parse(text);
  free(text);
  cJSON_DeleteItemFromObjectCaseSensitive(o, "pool");
  cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(o, "update"), "terminate");
  text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  assert_int_equal(ag_iterationParse(text, strlen(text), "f", 1, &out, err, sizeof err), TB_OK);
  assert_int_equal(out.pool_starts, 1);
  assert_int_equal(out.pool_successes, 1);
  assert_int_equal(out.terminate, 0);
  ag_iterationClose(&out);
  free(text);
}

/* Parses text as line lineNo and expects TB_EFORMAT with the message want. */
static void assertBadLine(const char *text, int lineNo, const char *want) {
  agIteration it;
  char err[256] = "";
  assert_int_equal(
      ag_iterationParse(text, strlen(text), "run/iterations.jsonl", lineNo, &it, err, sizeof err),
      TB_EFORMAT);
  ag_iterationClose(&it);
  assert_string_equal(err, want);
}

/* The sample line as JSON, changed by edit. */
static char *editedLine(void (*edit)(cJSON *o)) {
  agIteration it;
  agEvalEpisode test[3];
  sampleLine(&it, test, 2);
  char *text = ag_iterationText(&it, NULL, 0);
  cJSON *o = cJSON_Parse(text);
  free(text);
  edit(o);
  text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return text;
}

static void dropFeedback(cJSON *o) {
  cJSON_DeleteItemFromObjectCaseSensitive(o, "feedback");
}

static void stringTokens(cJSON *o) {
  cJSON_ReplaceItemInObjectCaseSensitive(o, "prompt_tokens", cJSON_CreateString("12"));
}

static void badTestSuccess(cJSON *o) {
  cJSON *success = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(o, "test"), "success");
  cJSON_ReplaceItemInArray(success, 1, cJSON_CreateNumber(1));
}

static void shortTestReturns(cJSON *o) {
  cJSON *ret = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(o, "test"), "return");
  cJSON_DeleteItemFromArray(ret, 0);
}

static void tooManyPoolSuccesses(cJSON *o) {
  cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItem(o, "pool"), "successes",
                                         cJSON_CreateNumber(11));
}

static void unknownOutcome(cJSON *o) {
  cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItem(o, "update"), "outcome",
                                         cJSON_CreateString("llm_error"));
}

static void a_missing_key_or_a_wrong_type_should_name_the_line_and_the_key(void **state) {
  (void)state;
  char *text = editedLine(dropFeedback);
  assertBadLine(text, 2, "run/iterations.jsonl line 2: feedback: missing");
  free(text);
  text = editedLine(stringTokens);
  assertBadLine(text, 2,
                "run/iterations.jsonl line 2: prompt_tokens: expected an integer from 0 to 1e+18");
  free(text);
  text = editedLine(badTestSuccess);
  assertBadLine(text, 2, "run/iterations.jsonl line 2: test.success[1]: expected true or false");
  free(text);
  text = editedLine(shortTestReturns);
  assertBadLine(text, 2, "run/iterations.jsonl line 2: test.return: expected 3 items");
  free(text);
  text = editedLine(tooManyPoolSuccesses);
  assertBadLine(text, 2, "run/iterations.jsonl line 2: pool.successes: more than pool.starts");
  free(text);
  text = editedLine(unknownOutcome);
  assertBadLine(text, 2,
                "run/iterations.jsonl line 2: update.outcome: expected updated, no_change, "
                "unusable or none");
  free(text);

  /* line k holds iteration k; a line is one JSON object and nothing else */
  text = editedLine(dropFeedback);
  assertBadLine(text, 3,
                "run/iterations.jsonl line 3: iteration: expected 3 (the line number), found 2");
  free(text);
  assertBadLine("[1, 2]", 1, "run/iterations.jsonl line 1: not a JSON object");
  assertBadLine("{\"iteration\": 1} {}", 1, "run/iterations.jsonl line 1: not a JSON object");
  assertBadLine("", 4, "run/iterations.jsonl line 4: not a JSON object");
}

/* ------------------------------------------------------------- the run directory */

/* Appends text to the run's iterations.jsonl as a crash or an editor would. */
static void appendText(const char *dir, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, AG_RUN_ITERATIONS);
  FILE *f = fopen(path, "ab");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* A run directory name in the scratch directory (its path in dir) holding n complete lines followed
 * by tail (may be ""). */
static void makeRun(char *dir, size_t dirsz, const char *name, int n, const char *tail) {
  tmpdir_join(dir, dirsz, name);
  agRunDir d;
  char err[256] = "";
  if (ag_runDirCreate(&d, dir, err, sizeof err) != TB_OK) {
    fail_msg("%s", err);
  }
  assert_int_equal(ag_runDirWriteFile(&d, AG_RUN_CONFIG, "{}", 2, err, sizeof err), TB_OK);
  assert_int_equal(ag_runDirOpenLines(&d, err, sizeof err), TB_OK);
  for (int i = 1; i <= n; i++) {
    agIteration it;
    agEvalEpisode test[3];
    sampleLine(&it, test, i);
    assert_int_equal(ag_runDirAppend(&d, &it, err, sizeof err), TB_OK);
  }
  ag_runDirClose(&d);
  appendText(dir, tail);
}

static long fileSize(const char *dir, const char *name) {
  char path[512];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static int countLine(void *user, const agIteration *it, char *err, size_t errsz) {
  (void)err;
  (void)errsz;
  int *n = user;
  (*n)++;
  assert_int_equal(it->iteration, *n);
  return TB_OK;
}

/* Resumes dir as the trainer does and reads its lines, counting them into *n. */
static int resumeRun(const char *dir, int *n, agIterationsInfo *info, char *err, size_t errsz) {
  agRunDir d;
  cJSON *config = NULL;
  assert_int_equal(ag_runDirResume(&d, dir, &config, err, errsz), TB_OK);
  assert_true(cJSON_IsObject(config));
  cJSON_Delete(config);
  *n = 0;
  int rc = ag_runDirReadLines(&d, countLine, n, info, err, errsz);
  if (rc == TB_OK) {
    rc = ag_runDirOpenLines(&d, err, errsz);
  }
  ag_runDirClose(&d);
  return rc;
}

static void resume_should_cut_a_torn_last_line(void **state) {
  (void)state;
  char dir[300];
  makeRun(dir, sizeof dir, "torn", 2, "");
  long complete = fileSize(dir, AG_RUN_ITERATIONS);
  appendText(dir, "{\"iteration\":3,\"controller\":\"/* torn");
  assert_true(fileSize(dir, AG_RUN_ITERATIONS) > complete);

  int n = 0;
  agIterationsInfo info;
  char err[256] = "";
  assert_int_equal(resumeRun(dir, &n, &info, err, sizeof err), TB_OK);
  assert_int_equal(n, 2);
  assert_int_equal(info.lines, 2);
  assert_int_equal(info.torn, 1);
  assert_int_equal(fileSize(dir, AG_RUN_ITERATIONS), complete);
}

static void resume_should_refuse_a_complete_but_invalid_last_line(void **state) {
  (void)state;
  char dir[300];
  makeRun(dir, sizeof dir, "bad_last", 2, "{\"iteration\": 3}\n");
  long size = fileSize(dir, AG_RUN_ITERATIONS);

  int n = 0;
  char err[512] = "";
  assert_int_equal(resumeRun(dir, &n, NULL, err, sizeof err), TB_EFORMAT);
  assert_int_equal(n, 2);
  char want[400];
  snprintf(want, sizeof want, "%s/%s line 3: controller: missing", dir, AG_RUN_ITERATIONS);
  assert_string_equal(err, want);
  assert_int_equal(fileSize(dir, AG_RUN_ITERATIONS), size); /* left as it was */
}

static void a_run_should_have_one_trainer_and_never_be_overwritten(void **state) {
  (void)state;
  char dir[300];
  makeRun(dir, sizeof dir, "locked", 1, "");
  agRunDir a;
  agRunDir b;
  cJSON *config = NULL;
  char err[512] = "";
  assert_int_equal(ag_runDirCreate(&a, dir, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "already holds a run"));
  assert_int_equal(ag_runDirResume(&a, dir, &config, err, sizeof err), TB_OK);
  cJSON_Delete(config);
  assert_int_equal(ag_runDirResume(&b, dir, &config, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "in use by another trainer"));
  assert_null(config);
  ag_runDirClose(&a);
  ag_runDirClose(&b);
}

/* ------------------------------------------------------------- config.json */

static void config_written_and_read_back_should_give_the_same_settings(void **state) {
  (void)state;
  agTrainConfig in;
  ag_defaultTrain(&in);
  in.task = ENV_PICK_PLACE;
  in.llm = "exec:sh scripted.sh";
  in.optimizer = TR_OPRO;
  in.memory = 3;
  in.mask_trace = 1;
  in.iters = 7;
  in.train_seed = 42;
  in.train_starts = 4;
  in.until = AG_UNTIL_ITERS;
  in.patience = 7;
  in.memory_chars = 1234;
  in.test_begin = 5;
  in.test_end = 9;
  in.jobs = 3;
  in.max_tokens_total = 5000;
  in.init_source = "void controller(const obs_t *obs, double action[4]) {}\n";
  in.rollout.env.horizon = 33;
  in.rollout.env.mode = ENV_ABSOLUTE;
  in.rollout.env.hints = ENV_HINTS_NONE;
  in.rollout.limits.call_ms = 250;
  cJSON *o = ag_runConfigJson(&in);
  assert_non_null(o);

  agTrainConfig out;
  ag_defaultTrain(&out);
  out.iters = 0; /* not chosen by the caller: from the file */
  out.max_tokens_total = -1;
  char err[256] = "";
  assert_int_equal(ag_runConfigRead(o, &out, err, sizeof err), TB_OK);
  assert_int_equal(out.task, ENV_PICK_PLACE);
  assert_int_equal(out.rollout.task, ENV_PICK_PLACE);
  assert_string_equal(out.llm, in.llm);
  assert_int_equal(out.optimizer, TR_OPRO);
  assert_int_equal(out.memory, 3);
  assert_int_equal(out.mask_trace, 1);
  assert_int_equal(out.iters, 7);
  assert_int_equal(out.protocol, AG_PROTOCOL_POOL);
  assert_true(out.train_seed == 42);
  assert_int_equal(out.train_starts, 4);
  assert_int_equal(out.until, AG_UNTIL_ITERS);
  assert_int_equal(out.patience, 7);
  assert_true(out.memory_chars == 1234);
  assert_true(out.test_begin == 5 && out.test_end == 9);
  assert_int_equal(out.jobs, 3);
  assert_true(out.max_tokens_total == 5000);
  assert_string_equal(out.init_source, in.init_source);
  assert_int_equal(out.rollout.env.horizon, 33);
  assert_int_equal(out.rollout.env.mode, ENV_ABSOLUTE);
  assert_int_equal(out.rollout.env.hints, ENV_HINTS_NONE);
  assert_int_equal(out.rollout.limits.call_ms, 250);

  /* what the caller chose for the resumed run stays */
  ag_defaultTrain(&out);
  out.llm = "replay:x";
  out.iters = 9;
  out.max_tokens_total = 0;
  assert_int_equal(ag_runConfigRead(o, &out, err, sizeof err), TB_OK);
  assert_string_equal(out.llm, "replay:x");
  assert_int_equal(out.iters, 9);
  assert_true(out.max_tokens_total == 0);

  /* a run from before the protocols: the paper's, one start; a paper run keeps one */
  cJSON *old = cJSON_Duplicate(o, 1);
  cJSON_DeleteItemFromObjectCaseSensitive(old, "protocol");
  cJSON_DeleteItemFromObjectCaseSensitive(old, "train_seeds");
  assert_int_equal(ag_runConfigRead(old, &out, err, sizeof err), TB_OK);
  assert_int_equal(out.protocol, AG_PROTOCOL_PAPER);
  assert_int_equal(out.train_starts, 1);
  cJSON_AddStringToObject(old, "protocol", "paper");
  cJSON_AddStringToObject(old, "train_seeds", "42:46");
  assert_int_equal(ag_runConfigRead(old, &out, err, sizeof err), TB_EFORMAT);
  assert_non_null(strstr(err, "train_seeds"));
  cJSON_ReplaceItemInObjectCaseSensitive(old, "protocol", cJSON_CreateString("greedy"));
  assert_int_equal(ag_runConfigRead(old, &out, err, sizeof err), TB_EFORMAT);
  assert_string_equal(err, "config.json: protocol: not pool or paper");
  cJSON_Delete(old);

  /* a bad value is named */
  cJSON_ReplaceItemInObjectCaseSensitive(o, "memory", cJSON_CreateString("ten"));
  assert_int_equal(ag_runConfigRead(o, &out, err, sizeof err), TB_EFORMAT);
  assert_string_equal(err, "config.json: memory: expected a number from 0 to 1000");
  cJSON_Delete(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_line_written_and_read_back_should_be_equal_field_by_field),
      cmocka_unit_test(a_line_without_a_call_and_an_older_line_should_read_back),
      cmocka_unit_test(a_missing_key_or_a_wrong_type_should_name_the_line_and_the_key),
      cmocka_unit_test(resume_should_cut_a_torn_last_line),
      cmocka_unit_test(resume_should_refuse_a_complete_but_invalid_last_line),
      cmocka_unit_test(a_run_should_have_one_trainer_and_never_be_overwritten),
      cmocka_unit_test(config_written_and_read_back_should_give_the_same_settings),
  };
  return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
