/* Tests of train/train.c and runlog against damage: a resume that fails validation leaves
 * the run directory exactly as it was, a run directory holding a link (or a hard-linked
 * iterations.jsonl) is refused with the link's target untouched, a kill -9 during the
 * initial controller's test leaves a run that resumes, and text that is not UTF-8 (from
 * --init or the LLM) is logged as U+FFFD in valid JSON and resumes to the same run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tracebot/agent.h"
#include "tracebot/train.h"
#include "base.h"

static char gTmp[256];

/* A controller that solves reach, with bytes that are not UTF-8 in its comment. */
static const char kReplyNotUtf8[] =
    "{\"reasoning\": \"move onto the goal\", \"answer\": \"\", \"suggestion\": {\"controller0\": "
    "\"/* caf\xe9 \xff\xfe */\\nvoid controller(const obs_t *obs, double action[4]) {\\n"
    "  for (int i = 0; i < 3; i++) {\\n    action[i] = obs->goal_pos[i] - obs->hand_pos[i];\\n"
    "  }\\n  action[3] = 0.0;\\n}\\n\"}}\n";

static const char kInitNotUtf8[] =
    "/* init \xff */\nvoid controller(const obs_t *obs, double action[4]) {\n  (void)obs;\n"
    "  action[0] = action[1] = action[2] = action[3] = 0.0;\n}\n";

/* An initial controller slow enough (about 30 ms a call) to kill the trainer during its
 * test. */
static const char kSlowInit[] =
    "void controller(const obs_t *obs, double action[4]) {\n  (void)obs;\n"
    "  volatile double x = 0.0;\n  for (long i = 0; i < 20000000; i++) {\n    x += 1e-9;\n  }\n"
    "  action[0] = action[1] = action[2] = action[3] = 0.0;\n}\n";

static void pathIn(char *out, size_t outsz, const char *name) {
  snprintf(out, outsz, "%s/%s", gTmp, name);
}

static void writeText(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static char *readText(const char *path) {
  char *text = tb_readFile(path, 1u << 26, NULL, NULL, 0);
  assert_non_null(text);
  return text;
}

static int exists(const char *dir, const char *name) {
  char p[600];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return lstat(p, &st) == 0;
}

static void sleepMs(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* An LLM answering every request with the reply file name (a path in gTmp). */
static void replyLlm(char *out, size_t outsz, const char *name, const char *text) {
  char path[400];
  pathIn(path, sizeof path, name);
  writeText(path, text);
  snprintf(out, outsz, "exec:cat %s", path);
}

/* The paper protocol (every iteration asks the LLM), which these runs are written for. */
static void baseConfig(agTrainConfig *cfg, const char *llm, const char *out, int iters) {
  ag_defaultTrain(cfg);
  cfg->protocol = AG_PROTOCOL_PAPER;
  cfg->task = ENV_REACH;
  cfg->rollout.task = ENV_REACH;
  cfg->llm = llm;
  cfg->out_dir = out;
  cfg->iters = iters;
  cfg->test_begin = 1;
  cfg->test_end = 5;
  cfg->llm_options.timeout_s = 30;
}

static void train(const agTrainConfig *cfg) {
  char err[1024] = "";
  int rc = ag_train(cfg, NULL, NULL, NULL, err, sizeof err);
  if (rc != TB_OK) {
    fail_msg("ag_train: %s", err);
  }
}

/* Resumes dir with llm (NULL: the run's own) to iters; returns ag_train's code. */
static int resume(const char *dir, const char *llm, int iters, char *err, size_t errsz) {
  agTrainConfig cfg;
  ag_defaultTrain(&cfg);
  cfg.resume = 1;
  cfg.out_dir = dir;
  cfg.llm = llm;
  cfg.iters = iters;
  cfg.max_tokens_total = -1;
  return ag_train(&cfg, NULL, NULL, NULL, err, errsz);
}

/* Appends to b everything that would show a change under dir: each entry's name, kind,
 * size, modification time and, for a regular file, its bytes. */
static void snapshotInto(tbBuf *b, const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
      continue;
    }
    char p[800];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    assert_int_equal(lstat(p, &st), 0);
    tb_bufPrintf(b, "%s %o %lld %lld.%09ld\n", p, (unsigned)st.st_mode, (long long)st.st_size,
                 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    if (S_ISREG(st.st_mode)) {
      char *text = readText(p);
      tb_bufPuts(b, text);
      free(text);
    } else if (S_ISDIR(st.st_mode)) {
      snapshotInto(b, p);
    }
  }
  closedir(d);
}

static char *snapshot(const char *dir) {
  tbBuf b;
  tb_bufInit(&b, 1u << 28);
  snapshotInto(&b, dir);
  return tb_bufTake(&b);
}

/* A finished run of n iterations with the solving reply; its directory in out. */
static void makeRun(char *out, size_t outsz, const char *name, int n) {
  char llm[512];
  replyLlm(llm, sizeof llm, "reply_solve.txt", kReplyNotUtf8);
  pathIn(out, outsz, name);
  agTrainConfig cfg;
  baseConfig(&cfg, llm, out, n);
  train(&cfg);
}

/* Replaces the last line of dir/iterations.jsonl with edit(line). */
static void editLastLine(const char *dir, void (*edit)(cJSON *line)) {
  char p[600];
  snprintf(p, sizeof p, "%s/iterations.jsonl", dir);
  char *text = readText(p);
  size_t n = strlen(text);
  assert_true(n > 1 && text[n - 1] == '\n');
  text[n - 1] = '\0';
  char *last = strrchr(text, '\n');
  last = last != NULL ? last + 1 : text;
  cJSON *line = cJSON_Parse(last);
  assert_non_null(line);
  edit(line);
  char *edited = cJSON_PrintUnformatted(line);
  cJSON_Delete(line);
  *last = '\0';
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  fprintf(f, "%s%s\n", text, edited);
  fclose(f);
  free(edited);
  free(text);
}

static void bogusOptimizerState(cJSON *line) {
  cJSON_ReplaceItemInObjectCaseSensitive(line, "optimizer_state",
                                         cJSON_Parse("{\"format\": \"something else\"}"));
}

/* ------------------------------------------------------------- validation first */

/* Appends text to dir/iterations.jsonl, as a crash or an editor would. */
static void appendLines(const char *dir, const char *text) {
  char p[600];
  snprintf(p, sizeof p, "%s/iterations.jsonl", dir);
  FILE *f = fopen(p, "ab");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* Resumes dir (llm: NULL for the run's own) expecting code and a message holding what, and
 * checks that nothing under dir changed. */
static void assertRefusedUntouched(const char *dir, const char *llm, int code, const char *what) {
  char err[1024] = "";
  char *before = snapshot(dir);
  assert_int_equal(resume(dir, llm, 4, err, sizeof err), code);
  if (strstr(err, what) == NULL) {
    fail_msg("expected \"%s\" in: %s", what, err);
  }
  char *after = snapshot(dir);
  assert_string_equal(before, after);
  free(before);
  free(after);
}

static void a_resume_that_fails_validation_should_touch_nothing(void **state) {
  (void)state;
  char dir[400];
  makeRun(dir, sizeof dir, "validate", 2);
  static const char kTorn[] = "{\"iteration\":3,\"controller\":\"/* torn";

  /* a recorded LLM with fewer answers than the run has lines (and a torn line to cut) */
  char one[512];
  char spec[600];
  pathIn(one, sizeof one, "one_answer.jsonl");
  writeText(one, "{\"response\": \"TERMINATE\"}\n");
  snprintf(spec, sizeof spec, "replay:%s", one);
  appendLines(dir, kTorn);
  assertRefusedUntouched(dir, spec, TB_EEXHAUSTED, "cannot skip 2");

  /* an optimizer state the optimizer refuses, in the last complete line */
  char p[600];
  snprintf(p, sizeof p, "%s/iterations.jsonl", dir);
  char *text = readText(p);
  *(strrchr(text, '\n') + 1) = '\0';
  writeText(p, text);
  free(text);
  editLastLine(dir, bogusOptimizerState);
  appendLines(dir, kTorn);
  assertRefusedUntouched(dir, NULL, TB_EINVAL, "iterations.jsonl line 2: optimizer_state");

  /* a complete line that is not an iteration (the torn one, now ended) */
  appendLines(dir, "\n");
  assertRefusedUntouched(dir, NULL, TB_EFORMAT, "iterations.jsonl line 3: not a JSON object");

  /* and the best controller is still the run's, not the initial one */
  snprintf(p, sizeof p, "%s/controller_best.c", dir);
  char *best = readText(p);
  assert_non_null(strstr(best, "goal_pos"));
  free(best);
}

/* ------------------------------------------------------------- links */

/* Replaces dir/name with a symbolic link to target. */
static void linkInstead(const char *dir, const char *name, const char *target) {
  char p[600];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  assert_int_equal(unlink(p), 0);
  assert_int_equal(symlink(target, p), 0);
}

static void a_run_directory_holding_a_link_should_be_refused_and_the_target_kept(void **state) {
  (void)state;
  char dir[400];
  char victim[400];
  char p[600];
  char err[1024] = "";
  makeRun(dir, sizeof dir, "links", 1);
  pathIn(victim, sizeof victim, "victim.txt");

  /* iterations.jsonl, a link to a file elsewhere holding the same lines and a torn one */
  snprintf(p, sizeof p, "%s/iterations.jsonl", dir);
  char *lines = readText(p);
  tbBuf v;
  tb_bufInit(&v, 1u << 26);
  tb_bufPrintf(&v, "%s{\"iteration\":2,\"torn", lines);
  writeText(victim, v.data);
  linkInstead(dir, "iterations.jsonl", victim);
  assert_int_equal(resume(dir, NULL, 2, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "iterations.jsonl is a symbolic link"));
  char *kept = readText(victim);
  assert_string_equal(kept, v.data); /* neither cut nor appended to */
  free(kept);

  /* a hard link: a write would change the other name too */
  assert_int_equal(unlink(p), 0);
  assert_int_equal(link(victim, p), 0);
  assert_int_equal(resume(dir, NULL, 2, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "another hard link"));
  kept = readText(victim);
  assert_string_equal(kept, v.data);
  free(kept);
  assert_int_equal(unlink(p), 0);
  writeText(p, lines);

  /* controller_best.c, and a recorded episode, as links to a device */
  linkInstead(dir, "controller_best.c", "/dev/null");
  assert_int_equal(resume(dir, NULL, 2, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "controller_best.c is a symbolic link"));
  snprintf(p, sizeof p, "%s/controller_best.c", dir);
  assert_int_equal(unlink(p), 0);
  writeText(p, "/* best */\n");
  linkInstead(dir, "episodes/iter_001.json", "/dev/zero");
  assert_int_equal(resume(dir, NULL, 2, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "episodes/iter_001.json is a symbolic link"));

  /* a new run in a directory holding a link */
  char fresh[400];
  pathIn(fresh, sizeof fresh, "fresh");
  assert_int_equal(mkdir(fresh, 0700), 0);
  snprintf(p, sizeof p, "%s/summary.json", fresh);
  assert_int_equal(symlink(victim, p), 0);
  agTrainConfig cfg;
  baseConfig(&cfg, "exec:true", fresh, 1);
  assert_int_equal(ag_train(&cfg, NULL, NULL, NULL, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "summary.json is a symbolic link"));
  assert_false(exists(fresh, "config.json"));
  free(lines);
  tb_bufClose(&v);
}

/* ------------------------------------------------------------- kill at any moment */

static void a_kill_during_the_initial_test_should_leave_a_run_that_resumes(void **state) {
  (void)state;
  char dir[400];
  char llm[512];
  pathIn(dir, sizeof dir, "killed_early");
  replyLlm(llm, sizeof llm, "reply_kill.txt", kReplyNotUtf8);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    agTrainConfig cfg;
    baseConfig(&cfg, llm, dir, 1);
    cfg.init_source = kSlowInit;
    cfg.rollout.env.horizon = 5;
    char err[512];
    _exit(ag_train(&cfg, NULL, NULL, NULL, err, sizeof err) == TB_OK ? 0 : 1);
  }
  /* config.json comes first; the initial test follows at once */
  for (int i = 0; i < 2000 && !exists(dir, "config.json"); i++) {
    sleepMs(5);
  }
  assert_true(exists(dir, "config.json"));
  sleepMs(50);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  assert_true(WIFSIGNALED(status));
  /* killed during the initial test: no best controller, no line yet */
  assert_false(exists(dir, "controller_best.c"));
  assert_false(exists(dir, "summary.json"));

  char err[1024] = "";
  assert_int_equal(resume(dir, NULL, 0, err, sizeof err), TB_OK);
  char p[600];
  snprintf(p, sizeof p, "%s/iterations.jsonl", dir);
  char *lines = readText(p);
  assert_non_null(strstr(lines, "\"iteration\":1,"));
  assert_null(strstr(lines, "\"iteration\":2,"));
  free(lines);
  assert_true(exists(dir, "controller_best.c"));
}

/* ------------------------------------------------------------- UTF-8 */

/* Every JSON file of the run is valid UTF-8 and parses: config.json, summary.json, each
 * line of iterations.jsonl, each episode. */
static void assertValidJson(const char *dir) {
  static const char *const files[] = {"config.json", "summary.json", "episodes/iter_001.json",
                                      "episodes/iter_002.json"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, files[i]);
    char *text = readText(p);
    assert_true(tb_utf8Valid(text, strlen(text)));
    cJSON *o = cJSON_Parse(text);
    assert_non_null(o);
    cJSON_Delete(o);
    free(text);
  }
  char p[600];
  snprintf(p, sizeof p, "%s/iterations.jsonl", dir);
  char *text = readText(p);
  assert_true(tb_utf8Valid(text, strlen(text)));
  int n = 0;
  for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n"), n++) {
    cJSON *o = cJSON_Parse(line);
    assert_non_null(o);
    cJSON_Delete(o);
  }
  assert_int_equal(n, 2);
  free(text);
}

/* The lines of dir without the wall times, one string. */
static char *comparableLines(const char *dir) {
  char p[600];
  snprintf(p, sizeof p, "%s/iterations.jsonl", dir);
  char *text = readText(p);
  tbBuf b;
  tb_bufInit(&b, 1u << 26);
  for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    cJSON *o = cJSON_Parse(line);
    assert_non_null(o);
    cJSON_DeleteItemFromObjectCaseSensitive(o, "elapsed_s");
    cJSON_DeleteItemFromObjectCaseSensitive(o, "latency_s");
    cJSON_DeleteItemFromObjectCaseSensitive(o, "optimizer_overhead_ms");
    char *s = cJSON_PrintUnformatted(o);
    tb_bufPuts(&b, s);
    tb_bufPuts(&b, "\n");
    free(s);
    cJSON_Delete(o);
  }
  free(text);
  return tb_bufTake(&b);
}

static void text_that_is_not_utf8_should_be_logged_as_u_fffd_and_resume_the_same(void **state) {
  (void)state;
  char llm[512];
  char whole[400];
  char split[400];
  replyLlm(llm, sizeof llm, "reply_utf8.txt", kReplyNotUtf8);
  pathIn(whole, sizeof whole, "utf8_whole");
  pathIn(split, sizeof split, "utf8_split");
  agTrainConfig cfg;
  baseConfig(&cfg, llm, whole, 2);
  cfg.init_source = kInitNotUtf8;
  train(&cfg);
  assertValidJson(whole);

  /* each bad byte is U+FFFD, in the log and in the controller files alike */
  char p[600];
  snprintf(p, sizeof p, "%s/config.json", whole);
  char *config = readText(p);
  assert_non_null(strstr(config, "/* init " TB_UTF8_REPLACEMENT " */"));
  free(config);
  snprintf(p, sizeof p, "%s/controller_final.c", whole);
  char *final = readText(p);
  assert_non_null(strstr(
      final, "/* caf" TB_UTF8_REPLACEMENT " " TB_UTF8_REPLACEMENT TB_UTF8_REPLACEMENT " */"));
  snprintf(p, sizeof p, "%s/iterations.jsonl", whole);
  char *lines = readText(p);
  assert_non_null(strstr(lines, "/* caf" TB_UTF8_REPLACEMENT));
  free(lines);

  /* one iteration, then a resume: the same run */
  baseConfig(&cfg, llm, split, 1);
  cfg.init_source = kInitNotUtf8;
  train(&cfg);
  char err[1024] = "";
  assert_int_equal(resume(split, NULL, 2, err, sizeof err), TB_OK);
  assertValidJson(split);
  char *a = comparableLines(whole);
  char *b = comparableLines(split);
  assert_string_equal(a, b);
  free(a);
  free(b);
  snprintf(p, sizeof p, "%s/controller_final.c", split);
  char *resumed = readText(p);
  assert_string_equal(final, resumed);
  free(resumed);
  free(final);
}

static int setup(void **state) {
  (void)state;
  snprintf(gTmp, sizeof gTmp, "/tmp/tracebot_test_train_damage.XXXXXX");
  return mkdtemp(gTmp) != NULL ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", gTmp);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_resume_that_fails_validation_should_touch_nothing),
      cmocka_unit_test(a_run_directory_holding_a_link_should_be_refused_and_the_target_kept),
      cmocka_unit_test(a_kill_during_the_initial_test_should_leave_a_run_that_resumes),
      cmocka_unit_test(text_that_is_not_utf8_should_be_logged_as_u_fffd_and_resume_the_same),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
