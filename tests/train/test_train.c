/* Tests of train/train.c: the training loop end to end with scripted LLMs (the exec:
 * backend running the scripts of tests/train/llm/): the paper protocol, its ablations,
 * resume after kill -9, offline replay of a finished run, the token budget and training
 * under perturbations; the pool protocol's stops, feedback, memory, growth and resume. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
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
#include "tmpdir.h"

static const char *srcDir(void) {
  const char *s = getenv("TRACEBOT_SOURCE_DIR");
  return s != NULL ? s : ".";
}

/* The scripted LLM, optionally sleeping before each answer. */
static void scriptedSpec(char *out, size_t outsz, const char *sleepS) {
  snprintf(out, outsz, "exec:sh %s/tests/train/llm/scripted_llm.sh %s/tests/train/llm %s", srcDir(),
           srcDir(), sleepS != NULL ? sleepS : "");
}

static void runDir(char *out, size_t outsz, const char *name) {
  tmpdir_join(out, outsz, name);
}

/* The paper protocol: the tests below pin its behaviour. */
static void baseConfig(agTrainConfig *cfg, const char *llm, const char *out, int iters) {
  ag_defaultTrain(cfg);
  cfg->protocol = AG_PROTOCOL_PAPER;
  cfg->task = ENV_REACH;
  cfg->rollout.task = ENV_REACH;
  cfg->llm = llm;
  cfg->out_dir = out;
  cfg->iters = iters;
  cfg->llm_options.timeout_s = 30;
}

static void train(const agTrainConfig *cfg, agTrainSummary *sum) {
  char err[1024] = "";
  int rc = ag_train(cfg, NULL, NULL, sum, err, sizeof err);
  if (rc != TB_OK) {
    fail_msg("ag_train: %s", err);
  }
}

/* The complete lines of DIR/iterations.jsonl as a JSON array. */
static cJSON *readLines(const char *dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/iterations.jsonl", dir);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  cJSON *arr = cJSON_CreateArray();
  static char line[1 << 20];
  while (fgets(line, sizeof line, f) != NULL) {
    cJSON *o = cJSON_Parse(line);
    assert_non_null(o);
    cJSON_AddItemToArray(arr, o);
  }
  fclose(f);
  return arr;
}

static const char *str(const cJSON *o, const char *key) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
  assert_true(cJSON_IsString(it));
  return it->valuestring;
}

static const cJSON *obj(const cJSON *o, const char *key) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
  assert_non_null(it);
  return it;
}

/* The part of a user prompt from `marker` on ("" when absent). */
static const char *after(const char *text, const char *marker) {
  const char *p = strstr(text, marker);
  return p != NULL ? p : "";
}

static int fileContains(const char *path, const char *needle) {
  size_t n = 0;
  char *text = tb_readFile(path, 1u << 24, &n, NULL, 0);
  int found = text != NULL && strstr(text, needle) != NULL;
  free(text);
  return found;
}

/* A line without the fields that legitimately differ between two runs (wall times). */
static char *comparable(const cJSON *line) {
  cJSON *copy = cJSON_Duplicate(line, 1);
  cJSON_DeleteItemFromObjectCaseSensitive(copy, "elapsed_s");
  cJSON_DeleteItemFromObjectCaseSensitive(copy, "latency_s");
  cJSON_DeleteItemFromObjectCaseSensitive(copy, "optimizer_overhead_ms");
  char *text = cJSON_PrintUnformatted(copy);
  cJSON_Delete(copy);
  return text;
}

static void assertSameFile(const char *dirA, const char *dirB, const char *name) {
  char pa[600];
  char pb[600];
  snprintf(pa, sizeof pa, "%s/%s", dirA, name);
  snprintf(pb, sizeof pb, "%s/%s", dirB, name);
  size_t na = 0;
  size_t nb = 0;
  char *a = tb_readFile(pa, 1u << 26, &na, NULL, 0);
  char *b = tb_readFile(pb, 1u << 26, &nb, NULL, 0);
  assert_non_null(a);
  assert_non_null(b);
  if (na != nb || memcmp(a, b, na) != 0) {
    fail_msg("%s differs between %s and %s", name, dirA, dirB);
  }
  free(a);
  free(b);
}

/* The same decisions and results, iteration by iteration (timing and token counting
 * aside: a replayed run reports the recorded counts). */
static void assertSameDecisions(const cJSON *a, const cJSON *b) {
  assert_int_equal(cJSON_GetArraySize(a), cJSON_GetArraySize(b));
  static const char *const same[] = {"controller", "train",    "feedback",      "system",
                                     "user",       "response", "update",        "next_controller",
                                     "test",       "episode",  "prompt_tokens", "completion_tokens",
                                     NULL};
  for (int i = 0; i < cJSON_GetArraySize(a); i++) {
    for (int k = 0; same[k] != NULL; k++) {
      char *x = cJSON_PrintUnformatted(obj(cJSON_GetArrayItem(a, i), same[k]));
      char *y = cJSON_PrintUnformatted(obj(cJSON_GetArrayItem(b, i), same[k]));
      if (strcmp(x, y) != 0) {
        fail_msg("iteration %d: \"%s\" differs", i + 1, same[k]);
      }
      free(x);
      free(y);
    }
  }
}

static void assertSameRuns(const cJSON *a, const cJSON *b) {
  assert_int_equal(cJSON_GetArraySize(a), cJSON_GetArraySize(b));
  for (int i = 0; i < cJSON_GetArraySize(a); i++) {
    char *x = comparable(cJSON_GetArrayItem(a, i));
    char *y = comparable(cJSON_GetArrayItem(b, i));
    if (strcmp(x, y) != 0) {
      fail_msg("iteration %d differs", i + 1);
    }
    free(x);
    free(y);
  }
}

/* ------------------------------------------------------------- end to end */

static void train_should_turn_faults_into_feedback_and_solve_reach(void **state) {
  (void)state;
  char llm[1024];
  char out[512];
  scriptedSpec(llm, sizeof llm, NULL);
  runDir(out, sizeof out, "e2e");
  agTrainConfig cfg;
  agTrainSummary sum;
  baseConfig(&cfg, llm, out, 3);
  train(&cfg, &sum);

  cJSON *lines = readLines(out);
  assert_int_equal(cJSON_GetArraySize(lines), 3);
  const cJSON *l2 = cJSON_GetArrayItem(lines, 1);
  const cJSON *l3 = cJSON_GetArrayItem(lines, 2);

  /* The compile fault and the crash were the training results and the feedback. */
  assert_string_equal(str(obj(obj(l2, "train"), "fault"), "kind"), "compile");
  assert_non_null(strstr(str(l2, "feedback"), "(compile) line 4:"));
  assert_string_equal(str(obj(obj(l3, "train"), "fault"), "kind"), "crash");
  assert_non_null(strstr(str(l3, "feedback"), "SIGSEGV"));

  /* Iteration 3's prompt: the crash in #Feedback, the compile error in the memory. */
  const char *user = str(l3, "user");
  const char *fb = after(user, "#Feedback");
  const char *memory = after(fb, "\n{\"variables\"");
  assert_non_null(strstr(fb, "(crash) SIGSEGV"));
  assert_non_null(strstr(memory, "(compile) line 4:"));
  assert_non_null(strstr(memory, "MARKER_BROKEN"));
  assert_non_null(strstr(user, "exception_controller0"));

  /* The solving controller reached 1.0 on the test seeds and became the best. */
  assert_true(sum.final_test_success_rate == 1.0);
  assert_true(sum.best_test_success_rate == 1.0);
  assert_int_equal(sum.iterations, 3);
  assert_true(sum.prompt_tokens > 0 && sum.completion_tokens > 0);
  char path[600];
  snprintf(path, sizeof path, "%s/controller_best.c", out);
  assert_true(fileContains(path, "MARKER_SOLVE"));
  snprintf(path, sizeof path, "%s/controller_final.c", out);
  assert_true(fileContains(path, "MARKER_SOLVE"));
  snprintf(path, sizeof path, "%s/summary.json", out);
  assert_true(fileContains(path, "\"final_test_success_rate\":\t1"));
  snprintf(path, sizeof path, "%s/config.json", out);
  assert_true(fileContains(path, "\"memory\":\t10"));

  /* Every iteration's training episode is recorded and replayable. */
  char err[256];
  snprintf(path, sizeof path, "%s/episodes/iter_001.json", out);
  simEpisode *ep = sim_episodeLoad(path, err, sizeof err);
  assert_non_null(ep);
  assert_int_equal(ep->nsteps, 10);
  assert_true(ep->nstates > ep->nsteps);
  sim_freeEpisode(ep);
  snprintf(path, sizeof path, "%s/episodes/iter_003.json", out);
  ep = sim_episodeLoad(path, err, sizeof err);
  assert_non_null(ep);
  assert_true(ep->result.has_fault);
  assert_string_equal(ep->result.fault_kind, "crash");
  sim_freeEpisode(ep);
  cJSON_Delete(lines);
}

/* ------------------------------------------------------------- ablations */

static cJSON *trainVariant(const char *name, void (*tweak)(agTrainConfig *)) {
  char llm[1024];
  char out[512];
  scriptedSpec(llm, sizeof llm, NULL);
  runDir(out, sizeof out, name);
  agTrainConfig cfg;
  agTrainSummary sum;
  baseConfig(&cfg, llm, out, 3);
  tweak(&cfg);
  train(&cfg, &sum);
  assert_true(sum.final_test_success_rate == 1.0);
  return readLines(out);
}

static void useOpro(agTrainConfig *c) {
  c->optimizer = TR_OPRO;
}
static void asIs(agTrainConfig *c) {
  (void)c;
}
static void noMemory(agTrainConfig *c) {
  c->memory = 0;
}
static void maskTrace(agTrainConfig *c) {
  c->mask_trace = 1;
}

static void opro_should_send_the_history_and_no_trace(void **state) {
  (void)state;
  cJSON *lines = trainVariant("opro", useOpro);
  const char *user = str(cJSON_GetArrayItem(lines, 2), "user");
  assert_null(strstr(user, "#Documentation"));
  assert_null(strstr(user, "exception_controller0"));
  assert_null(strstr(user, "obs0"));
  assert_non_null(strstr(user, "The initial controller")); /* the whole history */
  assert_non_null(strstr(user, "MARKER_BROKEN"));
  assert_non_null(strstr(user, "(compile) line 4:"));
  assert_non_null(strstr(user, "(crash) SIGSEGV"));
  cJSON_Delete(lines);
}

static void memory_zero_should_forget_earlier_iterations(void **state) {
  (void)state;
  cJSON *lines = trainVariant("nomem", noMemory);
  const char *user = str(cJSON_GetArrayItem(lines, 2), "user");
  assert_non_null(strstr(user, "(crash) SIGSEGV"));
  assert_null(strstr(user, "(compile)"));
  assert_null(strstr(user, "MARKER_BROKEN"));
  assert_null(strstr(user, "{\"variables\""));
  cJSON_Delete(lines);
}

static void mask_trace_should_hide_the_trace_and_move_hints_to_feedback(void **state) {
  (void)state;
  cJSON *lines = trainVariant("masked", maskTrace);
  const cJSON *l1 = cJSON_GetArrayItem(lines, 0);
  const char *user = str(l1, "user");
  assert_non_null(strstr(str(l1, "feedback"), "\nStep 0: "));
  assert_null(strstr(user, "[controller] Runs"));     /* #Documentation blanked */
  assert_null(strstr(user, "action0 = controller(")); /* #Code blanked */
  assert_null(strstr(user, "\"hint\""));              /* hints are not in the observations */
  assert_non_null(strstr(user, "\nStep 0: "));
  cJSON_Delete(lines);

  /* Unmasked, the hints are part of the traced observations. */
  lines = trainVariant("unmasked", asIs);
  user = str(cJSON_GetArrayItem(lines, 0), "user");
  assert_non_null(strstr(user, "\"hint\""));
  assert_non_null(strstr(user, "action0 = controller("));
  assert_non_null(strstr(user, "\n[controller] Runs the controller code"));
  assert_null(strstr(user, "[controller] [controller]"));
  cJSON_Delete(lines);
}

/* ------------------------------------------------------------- resume and replay */

static void sleepMs(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int countLines(const char *dir) {
  char path[600];
  snprintf(path, sizeof path, "%s/iterations.jsonl", dir);
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return 0;
  }
  int n = 0;
  for (int c; (c = fgetc(f)) != EOF;) {
    n += c == '\n';
  }
  fclose(f);
  return n;
}

/* Runs ag_train(cfg) in a child process (its own process group) and kills the group with
 * SIGKILL waitMs after the first line is on disk, in iteration 2. */
static void trainAndKill(const agTrainConfig *cfg, long waitMs) {
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    setpgid(0, 0);
    char err[512];
    _exit(ag_train(cfg, NULL, NULL, NULL, err, sizeof err) == TB_OK ? 0 : 1);
  }
  for (int i = 0; i < 400 && countLines(cfg->out_dir) < 1; i++) {
    sleepMs(50);
  }
  assert_int_equal(countLines(cfg->out_dir), 1);
  sleepMs(waitMs);
  kill(-pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(countLines(cfg->out_dir), 1);
}

static void resume_after_kill_should_match_an_uninterrupted_run(void **state) {
  (void)state;
  char llm[1024];
  char slow[1024];
  char ref[512];
  char out[512];
  scriptedSpec(llm, sizeof llm, NULL);
  scriptedSpec(slow, sizeof slow, "0.4");
  runDir(ref, sizeof ref, "resume_ref");
  runDir(out, sizeof out, "resume_killed");
  agTrainConfig cfg;
  agTrainSummary sum;
  baseConfig(&cfg, llm, ref, 4);
  train(&cfg, &sum);

  /* Kill -9 a trainer while the LLM answers iteration 2. */
  baseConfig(&cfg, slow, out, 4);
  trainAndKill(&cfg, 150);

  /* A torn last line, as a crash in the middle of a write would leave. */
  char path[600];
  snprintf(path, sizeof path, "%s/iterations.jsonl", out);
  FILE *f = fopen(path, "ab");
  assert_non_null(f);
  fputs("{\"iteration\":2,\"controller\":\"/* torn", f);
  fclose(f);

  /* Resume with the same (fast) scripted LLM: the result equals the reference run. */
  agTrainConfig rcfg;
  memset(&rcfg, 0, sizeof rcfg);
  ag_defaultTrain(&rcfg);
  rcfg.resume = 1;
  rcfg.out_dir = out;
  rcfg.llm = llm;
  rcfg.iters = 0;
  agTrainSummary resumed;
  train(&rcfg, &resumed);
  assert_int_equal(resumed.iterations, 4);
  cJSON *a = readLines(ref);
  cJSON *b = readLines(out);
  assertSameRuns(a, b);
  cJSON_Delete(a);
  cJSON_Delete(b);
  assert_true(resumed.best_test_success_rate == sum.best_test_success_rate);
  assert_true(resumed.final_test_success_rate == sum.final_test_success_rate);
  assert_int_equal(resumed.best_train_success, sum.best_train_success);
  assert_true(resumed.prompt_tokens == sum.prompt_tokens);
  assert_true(resumed.completion_tokens == sum.completion_tokens);
  assertSameFile(ref, out, "controller_final.c");
  assertSameFile(ref, out, "controller_best.c");
  assertSameFile(ref, out, "episodes/iter_004.json");
}

static void replay_should_reproduce_a_finished_run(void **state) {
  (void)state;
  char llm[1024];
  char src[512];
  char out[512];
  runDir(src, sizeof src, "resume_ref");
  runDir(out, sizeof out, "replayed");
  snprintf(llm, sizeof llm, "replay:%s/iterations.jsonl", src);
  agTrainConfig cfg;
  agTrainSummary sum;
  baseConfig(&cfg, llm, out, 4);
  train(&cfg, &sum);
  cJSON *a = readLines(src);
  cJSON *b = readLines(out);
  assertSameDecisions(a, b);
  cJSON_Delete(a);
  cJSON_Delete(b);
}

/* A replay asked for more iterations than were recorded ends cleanly where they end. */
static void replay_should_end_cleanly_with_its_recording(void **state) {
  (void)state;
  char llm[1024];
  char src[512];
  char out[512];
  runDir(src, sizeof src, "resume_ref");
  runDir(out, sizeof out, "replay_longer");
  snprintf(llm, sizeof llm, "replay:%s/iterations.jsonl", src);
  agTrainConfig cfg;
  agTrainSummary sum;
  baseConfig(&cfg, llm, out, 30);
  train(&cfg, &sum);
  assert_int_equal(sum.iterations, 4);
  assert_int_equal(sum.replay_end, 1);
  assert_int_equal(countLines(out), 4);
}

/* The initial controller is tested too, so a good --init stays best until beaten. */
static void a_good_initial_controller_should_stay_best_until_beaten(void **state) {
  (void)state;
  char llm[1024];
  char out[512];
  char path[600];
  scriptedSpec(llm, sizeof llm, NULL);
  runDir(out, sizeof out, "good_init");
  snprintf(path, sizeof path, "%s/envs/experts/reach.c", srcDir());
  char *init = tb_readFile(path, 1 << 20, NULL, NULL, 0);
  assert_non_null(init);
  agTrainConfig cfg;
  agTrainSummary sum;
  baseConfig(&cfg, llm, out, 1); /* the one update is the broken controller */
  cfg.init_source = init;
  train(&cfg, &sum);
  free(init);
  assert_true(sum.best_test_success_rate == 1.0);
  assert_true(sum.final_test_success_rate == 0.0);
  snprintf(path, sizeof path, "%s/controller_best.c", out);
  assert_true(fileContains(path, "Scripted expert for reach"));
}

/* A replay that stopped half-way resumes with the recorded answer of the next iteration. */
static void replay_should_resume_with_the_next_recorded_answer(void **state) {
  (void)state;
  char llm[1024];
  char src[512];
  char out[512];
  runDir(src, sizeof src, "resume_ref");
  runDir(out, sizeof out, "replay_resumed");
  snprintf(llm, sizeof llm, "replay:%s/iterations.jsonl", src);
  agTrainConfig cfg;
  agTrainSummary sum;
  baseConfig(&cfg, llm, out, 2);
  train(&cfg, &sum);
  ag_defaultTrain(&cfg);
  cfg.resume = 1;
  cfg.out_dir = out;
  cfg.iters = 4;
  train(&cfg, &sum);
  assert_int_equal(sum.iterations, 4);
  cJSON *a = readLines(src);
  cJSON *b = readLines(out);
  assertSameDecisions(a, b);
  cJSON_Delete(a);
  cJSON_Delete(b);
}

/* ------------------------------------------------------------- budget and errors */

static void token_budget_should_stop_cleanly(void **state) {
  (void)state;
  char llm[1024];
  char out[512];
  scriptedSpec(llm, sizeof llm, NULL);
  runDir(out, sizeof out, "budget");
  agTrainConfig cfg;
  agTrainSummary sum;
  baseConfig(&cfg, llm, out, 10);
  cfg.max_tokens_total = 1;
  train(&cfg, &sum);
  assert_int_equal(sum.iterations, 1);
  assert_int_equal(sum.budget_stop, 1);
  assert_int_equal(countLines(out), 1);

  /* A larger budget on resume lets the run go on. */
  ag_defaultTrain(&cfg);
  cfg.resume = 1;
  cfg.out_dir = out;
  cfg.iters = 3;
  cfg.max_tokens_total = 1000000;
  train(&cfg, &sum);
  assert_int_equal(sum.iterations, 3);
  assert_int_equal(sum.budget_stop, 0);
}

/* An answer the sandbox cannot take (a 300 KB controller) is an unusable step. */
static void an_oversized_suggestion_should_be_unusable_not_fatal(void **state) {
  (void)state;
  char llm[1024];
  char out[512];
  snprintf(llm, sizeof llm, "exec:sh %s/tests/train/llm/huge_llm.sh", srcDir());
  runDir(out, sizeof out, "huge");
  agTrainConfig cfg;
  agTrainSummary sum;
  baseConfig(&cfg, llm, out, 2);
  train(&cfg, &sum);
  cJSON *lines = readLines(out);
  assert_int_equal(cJSON_GetArraySize(lines), 2);
  const cJSON *l1 = cJSON_GetArrayItem(lines, 0);
  assert_string_equal(str(obj(l1, "update"), "outcome"), "unusable");
  assert_non_null(strstr(str(obj(l1, "update"), "reason"), "bytes"));
  assert_string_equal(str(l1, "next_controller"), str(l1, "controller"));
  cJSON_Delete(lines);
}

static void train_should_refuse_bad_setups_with_one_line(void **state) {
  (void)state;
  char out[512];
  char err[512] = "";
  agTrainConfig cfg;
  runDir(out, sizeof out, "bad_llm");
  baseConfig(&cfg, "telepathy:gpt", out, 1);
  assert_int_equal(ag_train(&cfg, NULL, NULL, NULL, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "telepathy"));
  assert_null(strchr(err, '\n'));

  /* An existing run is never overwritten. */
  char llm[1024];
  scriptedSpec(llm, sizeof llm, NULL);
  runDir(out, sizeof out, "e2e");
  baseConfig(&cfg, llm, out, 1);
  assert_int_equal(ag_train(&cfg, NULL, NULL, NULL, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "already holds a run"));

  /* A dead LLM stops the run with a resumable message. */
  runDir(out, sizeof out, "dead_llm");
  baseConfig(&cfg, "exec:echo the model is down >&2; exit 3", out, 2);
  assert_int_equal(ag_train(&cfg, NULL, NULL, NULL, err, sizeof err), TB_ELLM);
  assert_non_null(strstr(err, "--resume"));
  assert_int_equal(countLines(out), 0);
}

/* A complete last line that is not an iteration is not a crash's leftover: resume stops
 * on it, naming the line, and leaves the file as it is (the run of the first test). */
static void resume_should_refuse_a_bad_complete_last_line(void **state) {
  (void)state;
  char llm[1024];
  char out[512];
  char path[600];
  scriptedSpec(llm, sizeof llm, NULL);
  runDir(out, sizeof out, "e2e");
  snprintf(path, sizeof path, "%s/iterations.jsonl", out);
  FILE *f = fopen(path, "ab");
  assert_non_null(f);
  fputs("{\"iteration\": 4}\n", f);
  fclose(f);

  agTrainConfig cfg;
  ag_defaultTrain(&cfg);
  cfg.resume = 1;
  cfg.out_dir = out;
  cfg.llm = llm;
  cfg.iters = 5;
  char err[1024] = "";
  assert_int_equal(ag_train(&cfg, NULL, NULL, NULL, err, sizeof err), TB_EFORMAT);
  assert_non_null(strstr(err, "iterations.jsonl line 4: controller: missing"));
  assert_int_equal(countLines(out), 4);
}

/* ------------------------------------------------------------- the pool protocol */

/* A pool-protocol run on reach: its LLM spec, directory, configuration and summary. */
typedef struct poolRun {
  char llm[1024];
  char out[512];
  agTrainConfig cfg;
  agTrainSummary sum;
} poolRun;

/* The pool protocol's defaults on reach in the run directory name, with the LLM llm/NAME:
 * a script run with the folder and args, or a reply file (.txt) answered every time. */
static void poolSetup(poolRun *p, const char *name, const char *llm, const char *args, int iters) {
  const char *dot = strrchr(llm, '.');
  if (dot != NULL && strcmp(dot, ".txt") == 0) {
    snprintf(p->llm, sizeof p->llm, "exec:cat %s/tests/train/llm/%s", srcDir(), llm);
  } else {
    snprintf(p->llm, sizeof p->llm, "exec:sh %s/tests/train/llm/%s %s/tests/train/llm %s", srcDir(),
             llm, srcDir(), args != NULL ? args : "");
  }
  runDir(p->out, sizeof p->out, name);
  ag_defaultTrain(&p->cfg);
  p->cfg.task = ENV_REACH;
  p->cfg.rollout.task = ENV_REACH;
  p->cfg.llm = p->llm;
  p->cfg.out_dir = p->out;
  p->cfg.iters = iters;
  p->cfg.llm_options.timeout_s = 30;
}

/* Resumes the run p with iters iterations in all. */
static void poolResume(poolRun *p, int iters) {
  ag_defaultTrain(&p->cfg);
  p->cfg.resume = 1;
  p->cfg.out_dir = p->out;
  p->cfg.iters = iters;
  train(&p->cfg, &p->sum);
}

static const char *summaryString(const char *dir, const char *key, char *buf, size_t bufsz) {
  char path[600];
  snprintf(path, sizeof path, "%s/summary.json", dir);
  char *text = tb_readFile(path, 1 << 20, NULL, NULL, 0);
  assert_non_null(text);
  cJSON *o = cJSON_Parse(text);
  free(text);
  snprintf(buf, bufsz, "%s", str(o, key));
  cJSON_Delete(o);
  return buf;
}

static void a_task_solved_by_the_first_answer_should_stop_converged(void **state) {
  (void)state;
  poolRun p;
  poolSetup(&p, "pool_converged", "reply_solve.txt", NULL, 30); /* every answer solves it */
  train(&p.cfg, &p.sum);
  assert_true(p.sum.llm_calls <= 2);
  assert_int_equal(p.sum.llm_calls, 1);
  assert_int_equal(p.sum.iterations, 1);
  assert_string_equal(p.sum.stop_reason, "converged");
  assert_int_equal(p.sum.train_starts, 10);
  assert_true(p.sum.best_test_success_rate == 1.0);
  assert_true(p.sum.tokens_to_best == p.sum.prompt_tokens + p.sum.completion_tokens);
  char buf[64];
  assert_string_equal(summaryString(p.out, "stop_reason", buf, sizeof buf), "converged");

  /* The one request: the pool's feedback on a failing start, the task's diagnostics. */
  cJSON *lines = readLines(p.out);
  assert_int_equal(cJSON_GetArraySize(lines), 1);
  const cJSON *l1 = cJSON_GetArrayItem(lines, 0);
  const char *fb = str(l1, "feedback");
  assert_non_null(strstr(fb, "Success: false\nReturn: "));
  assert_non_null(strstr(fb, "\nTraining starts: 0 of 10 succeed; this trace is one that fails."));
  assert_non_null(strstr(fb, "\nEpisode: closest fingertips-to-goal distance "));
  assert_int_equal(cJSON_GetObjectItem(obj(l1, "pool"), "starts")->valueint, 10);
  assert_non_null(strstr(str(l1, "user"), "#Instruction\nReach: bring the fingertip midpoint"));
  cJSON_Delete(lines);

  /* Resumed with more iterations, a converged run stays converged, asking nothing. */
  poolResume(&p, 40);
  assert_int_equal(p.sum.llm_calls, 1);
  assert_string_equal(p.sum.stop_reason, "converged");
}

/* The controller of reply_half.txt on the pool, as ag_eval sees it: successes, and the
 * seed of the failing start with the lowest return (ties: the lowest seed) other than
 * skip. */
static int halfOnPool(uint64_t skip, uint64_t *worst, double *worstRet) {
  char path[600];
  snprintf(path, sizeof path, "%s/tests/train/llm/reply_half.txt", srcDir());
  char *reply = tb_readFile(path, 1 << 16, NULL, NULL, 0);
  assert_non_null(reply);
  trResponse resp;
  assert_int_equal(tr_parseResponse(reply, strlen(reply), &resp), 0);
  free(reply);
  agRolloutConfig rc;
  ag_defaultRollout(&rc);
  agEvalEpisode eps[10];
  agEvalSummary sum;
  char err[256];
  assert_int_equal(ag_eval(NULL, &rc, resp.items[0].text, strlen(resp.items[0].text), 0, 10, 2,
                           NULL, NULL, eps, &sum, err, sizeof err),
                   TB_OK);
  tr_responseClose(&resp);
  *worstRet = 1e300;
  for (int i = 0; i < 10; i++) {
    if (!eps[i].success && eps[i].seed != skip && eps[i].ret < *worstRet) {
      *worstRet = eps[i].ret;
      *worst = eps[i].seed;
    }
  }
  return sum.successes;
}

static void pool_feedback_should_count_the_starts_and_show_a_failing_one(void **state) {
  (void)state;
  poolRun p;
  poolSetup(&p, "pool_half", "half_llm.sh", NULL, 30);
  p.cfg.patience = 2;
  train(&p.cfg, &p.sum);
  /* answers 2 and 3 leave the controller as it was: patience 2 ends the run */
  assert_int_equal(p.sum.iterations, 3);
  assert_int_equal(p.sum.llm_calls, 3);
  assert_string_equal(p.sum.stop_reason, "patience");

  cJSON *lines = readLines(p.out);
  const cJSON *l1 = cJSON_GetArrayItem(lines, 0);
  const cJSON *l2 = cJSON_GetArrayItem(lines, 1);
  const cJSON *l3 = cJSON_GetArrayItem(lines, 2);
  uint64_t worst = 0;
  double worstRet = 0.0;
  uint64_t shown1 = (uint64_t)obj(obj(l1, "train"), "seed")->valuedouble;
  int successes = halfOnPool(shown1, &worst, &worstRet);
  assert_true(successes > 0 && successes < 10);
  char want[160];
  snprintf(want, sizeof want, "\nTraining starts: %d of 10 succeed (in ", successes);
  assert_non_null(strstr(str(l2, "feedback"), want));
  assert_non_null(strstr(str(l2, "feedback"), "; this trace is one that fails."));
  assert_int_equal(cJSON_GetObjectItem(obj(l2, "pool"), "successes")->valueint, successes);
  /* the worst failing start is shown (but not the one shown just before), then another one
   * (not the same twice in a row) */
  const cJSON *t2 = obj(l2, "train");
  const cJSON *t3 = obj(l3, "train");
  assert_true(cJSON_IsFalse(obj(t2, "success")));
  assert_true((uint64_t)obj(t2, "seed")->valuedouble == worst);
  assert_true(obj(t2, "return")->valuedouble == worstRet);
  assert_true(cJSON_IsFalse(obj(t3, "success")));
  assert_true(obj(t3, "seed")->valuedouble != obj(t2, "seed")->valuedouble);
  assert_string_equal(str(obj(l3, "update"), "outcome"), "no_change");
  /* the recorded episode is the start shown */
  char path[600];
  char err[256];
  snprintf(path, sizeof path, "%s/episodes/iter_002.json", p.out);
  simEpisode *ep = sim_episodeLoad(path, err, sizeof err);
  assert_non_null(ep);
  assert_true(ep->info.seed == worst);
  sim_freeEpisode(ep);

  /* no request was sent twice */
  for (int i = 0; i < cJSON_GetArraySize(lines); i++) {
    for (int j = 0; j < i; j++) {
      assert_true(strcmp(str(cJSON_GetArrayItem(lines, i), "user"),
                         str(cJSON_GetArrayItem(lines, j), "user")) != 0);
    }
  }
  cJSON_Delete(lines);
}

static int occurrences(const char *text, const char *needle) {
  int n = 0;
  for (const char *at = strstr(text, needle); at != NULL; at = strstr(at + 1, needle)) {
    n++;
  }
  return n;
}

/* Memory text of a user prompt: what follows the problem instance. */
static const char *memoryPart(const char *user) {
  const char *end = strstr(user, "================================\n\n");
  return end != NULL ? end : "";
}

static void alternating_useless_controllers_should_appear_once_each_in_memory(void **state) {
  (void)state;
  poolRun p;
  poolSetup(&p, "pool_alternate", "alternate_llm.sh", NULL, 8);
  p.cfg.patience = 0;
  train(&p.cfg, &p.sum);
  cJSON *lines = readLines(p.out);
  assert_true(cJSON_GetArraySize(lines) >= 6);
  for (int i = 0; i < cJSON_GetArraySize(lines); i++) {
    const char *memory = memoryPart(str(cJSON_GetArrayItem(lines, i), "user"));
    int a = occurrences(memory, "MARKER_ALT_A");
    int b = occurrences(memory, "MARKER_ALT_B");
    if (a > 1 || b > 1) {
      fail_msg("iteration %d: the memory shows A %d times and B %d times", i + 1, a, b);
    }
    if (i >= 3) {
      assert_non_null(strstr(memory, "== the current values, as in #Variables"));
    }
  }
  /* and the memory stays within its cap */
  const char *last =
      memoryPart(str(cJSON_GetArrayItem(lines, cJSON_GetArraySize(lines) - 1), "user"));
  assert_true(strlen(last) < AG_MEMORY_CHARS + 400);
  cJSON_Delete(lines);
}

static void the_paper_protocol_should_keep_its_prompts(void **state) {
  (void)state;
  /* the e2e run of the paper protocol: the golden system prompt, the paper's feedback and
   * memory lines */
  char out[512];
  char path[600];
  runDir(out, sizeof out, "e2e");
  snprintf(path, sizeof path, "%s/tests/trace/golden/system.txt", srcDir());
  char *golden = tb_readFile(path, 1 << 20, NULL, NULL, 0);
  assert_non_null(golden);
  cJSON *lines = readLines(out);
  for (int i = 0; i < cJSON_GetArraySize(lines); i++) {
    const cJSON *l = cJSON_GetArrayItem(lines, i);
    assert_string_equal(str(l, "system"), golden);
    assert_null(strstr(str(l, "feedback"), "Training starts"));
    assert_null(strstr(str(l, "feedback"), "Episode:"));
    assert_int_equal(cJSON_GetObjectItem(obj(l, "pool"), "starts")->valueint, 1);
  }
  const char *user = str(cJSON_GetArrayItem(lines, 2), "user");
  assert_non_null(strstr(user,
                         "Below are the values the variables had in earlier iterations "
                         "and the feedback each received, oldest first:\n{\"variables\""));
  free(golden);
  cJSON_Delete(lines);
  snprintf(path, sizeof path, "%s/config.json", out);
  assert_true(fileContains(path, "\"protocol\":\t\"paper\""));
  assert_true(fileContains(path, "\"test_seeds\":\t\"1:11\""));
}

static void until_iters_should_grow_the_pool(void **state) {
  (void)state;
  poolRun p;
  poolSetup(&p, "pool_grow", "reply_solve.txt", NULL, 4);
  p.cfg.until = AG_UNTIL_ITERS;
  p.cfg.train_starts = 3;
  p.cfg.test_begin = 5;
  p.cfg.test_end = 7;
  train(&p.cfg, &p.sum);
  /* one call solves it; then each iteration adds 3 fresh starts (skipping 5 and 6) */
  assert_int_equal(p.sum.iterations, 4);
  assert_int_equal(p.sum.llm_calls, 1);
  assert_string_equal(p.sum.stop_reason, "iters");
  assert_int_equal(p.sum.train_starts, 12);
  cJSON *lines = readLines(p.out);
  static const int starts[] = {3, 6, 9, 12};
  for (int i = 0; i < 4; i++) {
    const cJSON *l = cJSON_GetArrayItem(lines, i);
    assert_int_equal(cJSON_GetObjectItem(obj(l, "pool"), "starts")->valueint, starts[i]);
    if (i > 0) {
      assert_true(cJSON_IsNull(obj(l, "response")));
      assert_string_equal(str(l, "user"), "");
      assert_non_null(strstr(str(obj(l, "update"), "reason"), "the pool grew"));
    }
  }
  cJSON_Delete(lines);

  /* resumed for two more iterations, the pool goes on growing from where it was */
  poolResume(&p, 6);
  assert_int_equal(p.sum.iterations, 6);
  assert_int_equal(p.sum.train_starts, 18);
  assert_int_equal(p.sum.llm_calls, 1);
  /* and a resume with nothing left to do reports the pool as it is */
  poolResume(&p, 6);
  assert_int_equal(p.sum.train_starts, 18);
  assert_string_equal(p.sum.stop_reason, "iters");
}

static void a_terminate_answer_should_end_the_run(void **state) {
  (void)state;
  poolRun p;
  poolSetup(&p, "pool_terminate", "half_llm.sh", NULL, 30);
  snprintf(p.llm, sizeof p.llm, "exec:cat >/dev/null; echo 'Nothing to change. TERMINATE'");
  train(&p.cfg, &p.sum);
  assert_int_equal(p.sum.iterations, 1);
  assert_int_equal(p.sum.llm_calls, 1);
  assert_string_equal(p.sum.stop_reason, "terminate");
}

static void pool_resume_after_kill_should_match_an_uninterrupted_run(void **state) {
  (void)state;
  poolRun ref;
  poolRun killed;
  poolSetup(&ref, "pool_resume_ref", "half_llm.sh", NULL, 4);
  ref.cfg.patience = 0;
  train(&ref.cfg, &ref.sum);
  assert_int_equal(ref.sum.iterations, 4);

  /* Kill -9 a trainer in iteration 2: running the pool, or waiting for the LLM. */
  poolSetup(&killed, "pool_resume_killed", "half_llm.sh", "0.4", 4);
  killed.cfg.patience = 0;
  trainAndKill(&killed.cfg, 100);

  /* Resume with the fast LLM: the same run. */
  agTrainConfig rcfg;
  ag_defaultTrain(&rcfg);
  rcfg.resume = 1;
  rcfg.out_dir = killed.out;
  rcfg.llm = ref.llm;
  rcfg.iters = 0;
  char err[1024] = "";
  int rc = TB_EINVAL;
  /* a sandbox the killed trainer started may hold the run's lock for a moment */
  for (int i = 0; i < 50 && rc == TB_EINVAL; i++) {
    rc = ag_train(&rcfg, NULL, NULL, &killed.sum, err, sizeof err);
    if (rc == TB_EINVAL && strstr(err, "in use") == NULL) {
      break;
    }
    if (rc == TB_EINVAL) {
      sleepMs(20);
    }
  }
  if (rc != TB_OK) {
    fail_msg("resume: %s", err);
  }
  assert_int_equal(killed.sum.iterations, 4);
  assert_int_equal(killed.sum.llm_calls, ref.sum.llm_calls);
  assert_string_equal(killed.sum.stop_reason, ref.sum.stop_reason);
  cJSON *a = readLines(ref.out);
  cJSON *b = readLines(killed.out);
  assertSameRuns(a, b);
  cJSON_Delete(a);
  cJSON_Delete(b);
  assertSameFile(ref.out, killed.out, "controller_final.c");
  assertSameFile(ref.out, killed.out, "episodes/iter_004.json");
}

/* ------------------------------------------------------------- perturbations */

/* A run of reach whose training episodes run under `train` and test episodes under `test`
 * (NULL: none), test seeds 1:5. */
static void perturbedConfig(agTrainConfig *cfg, const char *llm, const char *out, int iters,
                            const char *train, const char *test) {
  baseConfig(cfg, llm, out, iters);
  cfg->test_end = 5;
  char err[256] = "";
  if ((train != NULL && env_parsePerturb(train, &cfg->rollout.env.perturb, err, sizeof err)) ||
      (test != NULL && env_parsePerturb(test, &cfg->test_perturb, err, sizeof err))) {
    fail_msg("perturbation: %s", err);
  }
}

static double testReturn(const cJSON *lines, int i) {
  const cJSON *ret = obj(obj(cJSON_GetArrayItem(lines, i), "test"), "mean_return");
  assert_true(cJSON_IsNumber(ret));
  return ret->valuedouble;
}

static void feedback_should_name_the_draw_and_a_resumed_run_keep_the_perturbations(void **state) {
  (void)state;
  char llm[1024];
  char ref[512];
  char out[512];
  scriptedSpec(llm, sizeof llm, NULL);
  runDir(ref, sizeof ref, "perturb_ref");
  runDir(out, sizeof out, "perturb_resumed");
  agTrainConfig cfg;
  agTrainSummary sum;
  perturbedConfig(&cfg, llm, ref, 4, "mild", "strong");
  train(&cfg, &sum);

  /* config.json holds both perturbations, canonical */
  char path[600];
  char want[700];
  char text[ENV_PERTURB_TEXT_MAX];
  snprintf(path, sizeof path, "%s/config.json", ref);
  env_perturbText(&cfg.rollout.env.perturb, text, sizeof text);
  snprintf(want, sizeof want, "\"perturb\":\t\"%s\"", text);
  assert_true(fileContains(path, want));
  env_perturbText(&cfg.test_perturb, text, sizeof text);
  snprintf(want, sizeof want, "\"test_perturb\":\t\"%s\"", text);
  assert_true(fileContains(path, want));
  snprintf(path, sizeof path, "%s/episodes/iter_004.json", ref);
  assert_true(fileContains(path, "\"perturb\": {\"spec\": \"friction=0.8:1.2,"));

  /* every training episode's feedback names its draw */
  envPerturbValues drawn;
  env_perturbDraw(&cfg.rollout.env.perturb, cfg.train_seed, &drawn);
  env_perturbDescribe(&drawn, text, sizeof text);
  snprintf(want, sizeof want, "\nPerturbation of this episode: %s", text);
  cJSON *lines = readLines(ref);
  assert_int_equal(cJSON_GetArraySize(lines), 4);
  const cJSON *line;
  cJSON_ArrayForEach(line, lines) {
    assert_non_null(strstr(str(line, "feedback"), want));
  }

  /* a run stopped after two iterations and resumed goes on under both perturbations */
  perturbedConfig(&cfg, llm, out, 2, "mild", "strong");
  train(&cfg, &sum);
  agTrainConfig again;
  ag_defaultTrain(&again);
  again.resume = 1;
  again.out_dir = out;
  again.llm = llm;
  again.iters = 4;
  train(&again, &sum);
  cJSON *resumed = readLines(out);
  assert_int_equal(cJSON_GetArraySize(resumed), 4);
  for (int i = 0; i < 4; i++) {
    assert_string_equal(str(cJSON_GetArrayItem(lines, i), "feedback"),
                        str(cJSON_GetArrayItem(resumed, i), "feedback"));
    assert_true(testReturn(lines, i) == testReturn(resumed, i));
  }
  cJSON_Delete(resumed);
  cJSON_Delete(lines);
}

static void test_episodes_should_run_under_their_own_perturbation(void **state) {
  (void)state;
  char llm[1024];
  char plain[512];
  char hard[512];
  scriptedSpec(llm, sizeof llm, NULL);
  runDir(plain, sizeof plain, "perturb_plain");
  runDir(hard, sizeof hard, "perturb_hard");
  agTrainConfig cfg;
  agTrainSummary sum;
  perturbedConfig(&cfg, llm, plain, 3, NULL, NULL);
  train(&cfg, &sum);
  perturbedConfig(&cfg, llm, hard, 3, NULL, "action_noise=0.05");
  train(&cfg, &sum);
  cJSON *a = readLines(plain);
  cJSON *b = readLines(hard);
  /* the same training episodes (no training perturbation, so no perturbation line) */
  for (int i = 0; i < 3; i++) {
    const char *fa = str(cJSON_GetArrayItem(a, i), "feedback");
    assert_string_equal(fa, str(cJSON_GetArrayItem(b, i), "feedback"));
    assert_null(strstr(fa, "Perturbation"));
  }
  /* but not the same test episodes: 5 cm of action noise changes the returns of the solving
     controller (iteration 3's; the two before fault at once) */
  assert_true(testReturn(a, 2) != testReturn(b, 2));
  cJSON_Delete(a);
  cJSON_Delete(b);
}

static void resume_should_refuse_a_bad_perturbation_in_config_json(void **state) {
  (void)state;
  char llm[1024];
  char out[512];
  scriptedSpec(llm, sizeof llm, NULL);
  runDir(out, sizeof out, "perturb_badconfig");
  agTrainConfig cfg;
  agTrainSummary sum;
  perturbedConfig(&cfg, llm, out, 1, "mild", NULL);
  train(&cfg, &sum);
  char path[600];
  snprintf(path, sizeof path, "%s/config.json", out);
  size_t n = 0;
  char *text = tb_readFile(path, 1u << 20, &n, NULL, 0);
  assert_non_null(text);
  cJSON *config = cJSON_Parse(text);
  free(text);
  cJSON_ReplaceItemInObjectCaseSensitive(config, "test_perturb", cJSON_CreateString("frictoin=1"));
  text = cJSON_Print(config);
  cJSON_Delete(config);
  char err[1024] = "";
  assert_int_equal(tb_writeFileAtomic(path, text, strlen(text), err, sizeof err), TB_OK);
  free(text);

  agTrainConfig again;
  ag_defaultTrain(&again);
  again.resume = 1;
  again.out_dir = out;
  again.llm = llm;
  again.iters = 2;
  assert_int_equal(ag_train(&again, NULL, NULL, NULL, err, sizeof err), TB_EFORMAT);
  assert_non_null(strstr(err, "config.json"));
  assert_non_null(strstr(err, "test_perturb"));
  assert_non_null(strstr(err, "frictoin"));
  assert_null(strchr(err, '\n'));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(train_should_turn_faults_into_feedback_and_solve_reach),
      cmocka_unit_test(the_paper_protocol_should_keep_its_prompts),
      cmocka_unit_test(opro_should_send_the_history_and_no_trace),
      cmocka_unit_test(memory_zero_should_forget_earlier_iterations),
      cmocka_unit_test(mask_trace_should_hide_the_trace_and_move_hints_to_feedback),
      cmocka_unit_test(resume_after_kill_should_match_an_uninterrupted_run),
      cmocka_unit_test(replay_should_reproduce_a_finished_run),
      cmocka_unit_test(replay_should_resume_with_the_next_recorded_answer),
      cmocka_unit_test(replay_should_end_cleanly_with_its_recording),
      cmocka_unit_test(a_good_initial_controller_should_stay_best_until_beaten),
      cmocka_unit_test(an_oversized_suggestion_should_be_unusable_not_fatal),
      cmocka_unit_test(token_budget_should_stop_cleanly),
      cmocka_unit_test(train_should_refuse_bad_setups_with_one_line),
      cmocka_unit_test(resume_should_refuse_a_bad_complete_last_line),
      cmocka_unit_test(feedback_should_name_the_draw_and_a_resumed_run_keep_the_perturbations),
      cmocka_unit_test(test_episodes_should_run_under_their_own_perturbation),
      cmocka_unit_test(resume_should_refuse_a_bad_perturbation_in_config_json),
      cmocka_unit_test(a_task_solved_by_the_first_answer_should_stop_converged),
      cmocka_unit_test(pool_feedback_should_count_the_starts_and_show_a_failing_one),
      cmocka_unit_test(alternating_useless_controllers_should_appear_once_each_in_memory),
      cmocka_unit_test(until_iters_should_grow_the_pool),
      cmocka_unit_test(a_terminate_answer_should_end_the_run),
      cmocka_unit_test(pool_resume_after_kill_should_match_an_uninterrupted_run),
  };
  return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
