/* The training loop: rollout -> trace graph -> feedback -> backward -> optimizer step ->
 * test evaluation -> one fsynced line in iterations.jsonl. See train.h and DESIGN.md. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tracebot/agent.h"
#include "tracebot/train.h"
#include "base.h"
#include "runlog.h"

#define TEXT_MAX 4096

static const char kZeroController[] =
    "/* The initial controller: it does nothing. */\n"
    "void controller(const obs_t *obs, double action[4]) {\n"
    "  (void)obs;\n"
    "  action[0] = 0.0;\n"
    "  action[1] = 0.0;\n"
    "  action[2] = 0.0;\n"
    "  action[3] = 0.0;\n"
    "}\n";

static const char kConstraint[] =
    "C source defining exactly `void controller(const obs_t *obs, double action[4]);` "
    "compiled with a prelude that declares obs_t {double hand_pos[3]; double "
    "gripper_distance_apart; double obj_pos[3]; double obj_quat[4]; double goal_pos[3]; "
    "int step; int horizon;} and the <math.h> functions. No other library calls, no I/O, "
    "no allocation. `static` variables keep state within one episode.";

static const char kControllerDoc[] =
    "Runs the controller code on the observation obs and returns action[4]: "
    "action[0..2] is the hand displacement in metres (x, y, z; the hand moves toward "
    "hand_pos + action[0..2]), action[3] is the gripper effort in [-1, 1] (+1 closes, "
    "-1 opens).";

static const char kStepDoc[] =
    "Executes the action on the robot: a P controller drives the hand toward the "
    "target for up to 20 simulation steps (at most 1 cm per step per axis) while the "
    "gripper gets the effort; returns the next observation.";

static const char kStepHintDoc[] =
    "Executes the action on the robot: a P controller drives the hand toward the "
    "target for up to 20 simulation steps (at most 1 cm per step per axis) while the "
    "gripper gets the effort; returns the next observation, whose hint says how the move "
    "compares with what a scripted expert would do.";

static double nowS(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

void ag_defaultTrain(agTrainConfig *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->task = ENV_REACH;
  cfg->optimizer = TR_OPTOPRIME;
  cfg->memory = 10;
  cfg->iters = 30;
  cfg->train_seed = 0;
  cfg->test_begin = 1;
  cfg->test_end = 11;
  cfg->jobs = 2;
  ag_defaultRollout(&cfg->rollout);
  tr_defaultLlmOptions(&cfg->llm_options);
}

void ag_defaultRunDir(envTaskId task, char *out, size_t outsz) {
  time_t t = time(NULL);
  struct tm tm;
  char stamp[32];
  localtime_r(&t, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  snprintf(out, outsz, "runs/%s-%s", env_name(task), stamp);
}

/* ------------------------------------------------------------- the episode's graph */

/* Appends one observation as a JSON-like dict, with the step's hint when given. */
static void obsText(const obs_t *o, const char *hint, char *out, size_t outsz) {
  int n = snprintf(out, outsz,
                   "{\"hand_pos\": [%.4f, %.4f, %.4f], \"gripper_distance_apart\": %.4f, "
                   "\"obj_pos\": [%.4f, %.4f, %.4f], \"obj_quat\": [%.4f, %.4f, %.4f, %.4f], "
                   "\"goal_pos\": [%.4f, %.4f, %.4f], \"step\": %d, \"horizon\": %d",
                   o->hand_pos[0], o->hand_pos[1], o->hand_pos[2], o->gripper_distance_apart,
                   o->obj_pos[0], o->obj_pos[1], o->obj_pos[2], o->obj_quat[0], o->obj_quat[1],
                   o->obj_quat[2], o->obj_quat[3], o->goal_pos[0], o->goal_pos[1], o->goal_pos[2],
                   o->step, o->horizon);
  if (n < 0 || (size_t)n >= outsz) {
    return;
  }
  if (hint != NULL && hint[0] != '\0') {
    n += snprintf(out + n, outsz - (size_t)n, ", \"hint\": \"%s\"", hint);
  }
  if ((size_t)n < outsz) {
    snprintf(out + n, outsz - (size_t)n, "}");
  }
}

/* The fault as the reference's error text: "(kind) message", with the source line of a
 * compile error. */
static void faultText(const agFault *f, char *out, size_t outsz) {
  if (f->kind == AG_FT_COMPILE && f->line > 0) {
    snprintf(out, outsz, "(compile) line %d: %s", f->line, f->message);
  } else {
    snprintf(out, outsz, "(%s) %s", ag_faultName(f->kind), f->message);
  }
}

/* Builds the trace of one episode in g and returns its output node (the last
 * observation, or the exception node of a fault), or NULL (error in the graph). */
static trNode *buildGraph(trGraph *g, trParam *code, const agEpisode *ep, int hintsInObs) {
  char text[TEXT_MAX];
  trNode *param = tr_paramNode(g, code);
  obsText(&ep->obs0, NULL, text, sizeof text);
  trNode *obs = tr_value(g, "obs", "dict", text);
  const char *stepDoc = hintsInObs ? kStepHintDoc : kStepDoc;
  for (int t = 0; t < ep->nsteps; t++) {
    const agStep *s = &ep->steps[t];
    trArg callArgs[2] = {{"obs", obs}, {"controller", param}};
    snprintf(text, sizeof text, "[%.4f, %.4f, %.4f, %.4f]", s->action[0], s->action[1],
             s->action[2], s->action[3]);
    trNode *action = tr_op(g, "controller", kControllerDoc, callArgs, 2, "action", "list", text);
    trArg stepArgs[1] = {{"action", action}};
    obsText(&s->result.obs, hintsInObs ? s->result.hint : NULL, text, sizeof text);
    obs = tr_op(g, "step", stepDoc, stepArgs, 1, "obs", "dict", text);
  }
  if (ep->fault.kind == AG_FT_NONE) {
    return obs;
  }
  char msg[AG_FAULT_MSG + 32];
  faultText(&ep->fault, msg, sizeof msg);
  trArg callArgs[2] = {{"obs", obs}, {"controller", param}};
  return tr_exception(g, "controller", kControllerDoc, callArgs, 2, msg);
}

/* The feedback text: "Success: ..\nReturn: .." plus the fault, plus (masked) the hints. */
static char *feedbackText(const agEpisode *ep, int hintsInFeedback) {
  size_t cap = 512 + (size_t)ep->nsteps * (ENV_HINT_MAX + 32);
  char *fb = malloc(cap);
  if (fb == NULL) {
    return NULL;
  }
  size_t n = (size_t)snprintf(fb, cap, "Success: %s\nReturn: %.2f", ep->success ? "true" : "false",
                              ep->ret);
  if (ep->fault.kind != AG_FT_NONE && n < cap) {
    char msg[AG_FAULT_MSG + 32];
    faultText(&ep->fault, msg, sizeof msg);
    n += (size_t)snprintf(fb + n, cap - n, "\nError: %s", msg);
  }
  if (hintsInFeedback) {
    for (int t = 0; t < ep->nsteps && n < cap; t++) {
      if (ep->steps[t].result.hint[0] != '\0') {
        n += (size_t)snprintf(fb + n, cap - n, "\nStep %d: %s", t, ep->steps[t].result.hint);
      }
    }
  }
  return fb;
}

/* ------------------------------------------------------------- JSON of results */

static cJSON *trainJson(const agEpisode *ep) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "seed", (double)ep->seed);
  cJSON_AddBoolToObject(o, "success", ep->success);
  cJSON_AddNumberToObject(o, "return", ep->ret);
  cJSON_AddNumberToObject(o, "steps", ep->nsteps);
  cJSON_AddItemToObject(o, "fault", ag_faultJson(&ep->fault));
  return o;
}

/* Test results of one controller on the test seeds. */
typedef struct testResult {
  int n;
  agEvalEpisode *eps;
  agEvalSummary sum;
} testResult;

static cJSON *testJson(const testResult *t) {
  cJSON *o = cJSON_CreateObject();
  cJSON *seeds = cJSON_AddArrayToObject(o, "seeds");
  cJSON *succ = cJSON_AddArrayToObject(o, "success");
  cJSON *ret = cJSON_AddArrayToObject(o, "return");
  cJSON *faults = cJSON_AddArrayToObject(o, "faults");
  for (int i = 0; i < t->n; i++) {
    cJSON_AddItemToArray(seeds, cJSON_CreateNumber((double)t->eps[i].seed));
    cJSON_AddItemToArray(succ, cJSON_CreateBool(t->eps[i].success));
    cJSON_AddItemToArray(ret, cJSON_CreateNumber(t->eps[i].ret));
    cJSON_AddItemToArray(faults, t->eps[i].fault.kind == AG_FT_NONE
                                     ? cJSON_CreateNull()
                                     : cJSON_CreateString(ag_faultName(t->eps[i].fault.kind)));
  }
  cJSON_AddNumberToObject(o, "success_rate", t->sum.success_rate);
  cJSON_AddNumberToObject(o, "mean_return", t->sum.mean_return);
  return o;
}

static const char *outcomeName(trOutcome o) {
  switch (o) {
    case TR_OUTCOME_UPDATED:
      return "updated";
    case TR_OUTCOME_NO_CHANGE:
      return "no_change";
    case TR_OUTCOME_UNUSABLE:
      return "unusable";
    default:
      return "none";
  }
}

/* ------------------------------------------------------------- the run */

/* Everything one run holds across iterations. */
typedef struct trainRun {
  agTrainConfig cfg; /* resolved (strings point into owned copies below) */
  char *llmSpec;     /* owned */
  char *initSource;  /* owned */
  agRunDir dir;
  envSpec *spec;
  agRunner *runner;
  trOptimizer *opt;
  trParam *code;
  trGraph *graph;
  trLlm *llm;
  testResult test;
  char *testedSource; /* the source test holds results for (cache) */
  agTrainSummary sum;
  double bestMeanReturn;
  int haveBest;
} trainRun;

static void closeRun(trainRun *r) {
  tr_freeLlm(r->llm);
  tr_freeGraph(r->graph);
  tr_freeOptimizer(r->opt);
  ag_freeRunner(r->runner);
  env_freeSpec(r->spec);
  ag_runDirClose(&r->dir);
  free(r->test.eps);
  free(r->testedSource);
  free(r->llmSpec);
  free(r->initSource);
}

/* Evaluates src on the test seeds (skipped when src is the source last evaluated:
 * rollouts are deterministic). */
static int evalTest(trainRun *r, const char *src, char *err, size_t errsz) {
  if (r->testedSource != NULL && strcmp(r->testedSource, src) == 0) {
    return TB_OK;
  }
  agRolloutConfig rc = r->cfg.rollout;
  int rcode = ag_eval(r->spec, &rc, src, strlen(src), r->cfg.test_begin, r->cfg.test_end,
                      r->cfg.jobs, NULL, NULL, r->test.eps, &r->test.sum, err, errsz);
  if (rcode != TB_OK) {
    return rcode;
  }
  free(r->testedSource);
  r->testedSource = strdup(src);
  return r->testedSource != NULL ? TB_OK : TB_ENOMEM;
}

/* Updates the best test result with iteration it's test of src; writes controller_best.c
 * when it improved. Ties on success rate go to the higher mean return. */
static int trackBest(trainRun *r, const char *src, double rate, double meanRet, char *err,
                     size_t errsz) {
  if (r->haveBest && (rate < r->sum.best_test_success_rate ||
                      (rate == r->sum.best_test_success_rate && meanRet <= r->bestMeanReturn))) {
    return TB_OK;
  }
  r->haveBest = 1;
  r->sum.best_test_success_rate = rate;
  r->bestMeanReturn = meanRet;
  return ag_runDirWriteFile(&r->dir, "controller_best.c", src, strlen(src), err, errsz);
}

static int writeSummary(trainRun *r, char *err, size_t errsz) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "out", r->sum.out);
  cJSON_AddNumberToObject(o, "iterations", r->sum.iterations);
  cJSON_AddBoolToObject(o, "best_train_success", r->sum.best_train_success);
  cJSON_AddNumberToObject(o, "final_test_success_rate", r->sum.final_test_success_rate);
  cJSON_AddNumberToObject(o, "best_test_success_rate", r->sum.best_test_success_rate);
  cJSON_AddNumberToObject(o, "prompt_tokens", (double)r->sum.prompt_tokens);
  cJSON_AddNumberToObject(o, "completion_tokens", (double)r->sum.completion_tokens);
  cJSON_AddBoolToObject(o, "budget_stop", r->sum.budget_stop);
  cJSON_AddBoolToObject(o, "replay_end", r->sum.replay_end);
  char *text = cJSON_Print(o);
  cJSON_Delete(o);
  if (text == NULL) {
    tb_setErr(err, errsz, "out of memory writing summary.json");
    return TB_ENOMEM;
  }
  size_t n = strlen(text);
  int rc = ag_runDirWriteFile(&r->dir, "summary.json", text, n, err, errsz);
  free(text);
  return rc;
}

/* ------------------------------------------------------------- config.json */

static const char *modeName(envMode m) {
  return m == ENV_ABSOLUTE ? "absolute" : "relative";
}
static const char *hintsName(envHints h) {
  return h == ENV_HINTS_NONE ? "none" : "expert";
}

static cJSON *configJson(const agTrainConfig *c) {
  cJSON *o = cJSON_CreateObject();
  char seeds[64];
  cJSON_AddNumberToObject(o, "version", 1);
  cJSON_AddStringToObject(o, "task", env_name(c->task));
  char spec[4096];
  snprintf(spec, sizeof spec, "%s", c->llm);
  tr_llmRedactKeys(spec, sizeof spec);
  cJSON_AddStringToObject(o, "llm", spec);
  cJSON_AddStringToObject(o, "optimizer", c->optimizer == TR_OPRO ? "opro" : "optoprime");
  cJSON_AddNumberToObject(o, "memory", c->memory);
  cJSON_AddStringToObject(o, "mask", c->mask_trace ? "trace" : "none");
  cJSON_AddNumberToObject(o, "iters", c->iters);
  cJSON_AddNumberToObject(o, "horizon", c->rollout.env.horizon);
  cJSON_AddStringToObject(o, "mode", modeName(c->rollout.env.mode));
  cJSON_AddStringToObject(o, "hints", hintsName(c->rollout.env.hints));
  cJSON_AddNumberToObject(o, "train_seed", (double)c->train_seed);
  snprintf(seeds, sizeof seeds, "%llu:%llu", (unsigned long long)c->test_begin,
           (unsigned long long)c->test_end);
  cJSON_AddStringToObject(o, "test_seeds", seeds);
  cJSON_AddNumberToObject(o, "jobs", c->jobs);
  cJSON_AddNumberToObject(o, "max_tokens_total", (double)c->max_tokens_total);
  if (c->init_path != NULL) {
    cJSON_AddStringToObject(o, "init", c->init_path);
  } else {
    cJSON_AddNullToObject(o, "init");
  }
  cJSON_AddStringToObject(o, "init_source", c->init_source);
  cJSON *lim = cJSON_AddObjectToObject(o, "limits");
  cJSON_AddNumberToObject(lim, "episode_wall_s", c->rollout.limits.episode_wall_s);
  cJSON_AddNumberToObject(lim, "call_ms", c->rollout.limits.call_ms);
  cJSON_AddNumberToObject(lim, "compile_ms", c->rollout.limits.compile_ms);
  cJSON_AddNumberToObject(lim, "memory_mib", c->rollout.limits.memory_mib);
  cJSON *llm = cJSON_AddObjectToObject(o, "llm_options");
  cJSON_AddNumberToObject(llm, "max_attempts", c->llm_options.max_attempts);
  cJSON_AddNumberToObject(llm, "timeout_s", c->llm_options.timeout_s);
  cJSON *argv = cJSON_AddArrayToObject(o, "argv");
  for (int i = 0; i < c->argc && c->argv != NULL; i++) {
    char arg[4096];
    snprintf(arg, sizeof arg, "%s", c->argv[i]);
    tr_llmRedactKeys(arg, sizeof arg);
    cJSON_AddItemToArray(argv, cJSON_CreateString(arg));
  }
  return o;
}

static int getNumber(const cJSON *o, const char *key, double lo, double hi, double *out) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsNumber(it) || !(it->valuedouble >= lo && it->valuedouble <= hi)) {
    return -1;
  }
  *out = it->valuedouble;
  return 0;
}

static const char *getString(const cJSON *o, const char *key) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* Fills c from a run's config.json (strings copied into r). */
static int loadConfig(trainRun *r, const cJSON *o, char *err, size_t errsz) {
  agTrainConfig *c = &r->cfg;
  double v;
  const char *s;
#define NUM(key, lo, hi, dst)                                         \
  if (getNumber(o, key, lo, hi, &v) != 0) {                           \
    tb_setErr(err, errsz, "config.json: missing or bad \"%s\"", key); \
    return TB_EINVAL;                                                 \
  }                                                                   \
  dst = v
  s = getString(o, "task");
  int task = s != NULL ? env_lookup(s) : -1;
  if (task < 0) {
    tb_setErr(err, errsz, "config.json: missing or unknown \"task\"");
    return TB_EINVAL;
  }
  c->task = (envTaskId)task;
  c->rollout.task = c->task;
  s = getString(o, "optimizer");
  if (s == NULL || (strcmp(s, "opro") != 0 && strcmp(s, "optoprime") != 0)) {
    tb_setErr(err, errsz, "config.json: missing or bad \"optimizer\"");
    return TB_EINVAL;
  }
  c->optimizer = strcmp(s, "opro") == 0 ? TR_OPRO : TR_OPTOPRIME;
  s = getString(o, "mask");
  c->mask_trace = s != NULL && strcmp(s, "trace") == 0;
  s = getString(o, "mode");
  c->rollout.env.mode = s != NULL && strcmp(s, "absolute") == 0 ? ENV_ABSOLUTE : ENV_RELATIVE;
  s = getString(o, "hints");
  c->rollout.env.hints = s != NULL && strcmp(s, "none") == 0 ? ENV_HINTS_NONE : ENV_HINTS_EXPERT;
  NUM("memory", 0, 1000, c->memory);
  if (c->iters <= 0) {
    NUM("iters", 1, 100000, c->iters);
  }
  NUM("horizon", 1, 10000, c->rollout.env.horizon);
  NUM("train_seed", 0, 9007199254740992.0, c->train_seed);
  NUM("jobs", 1, 256, c->jobs);
  if (c->max_tokens_total < 0) {
    NUM("max_tokens_total", 0, 1e18, c->max_tokens_total);
  }
  const cJSON *lim = cJSON_GetObjectItemCaseSensitive(o, "limits");
  if (cJSON_IsObject(lim)) {
    if (getNumber(lim, "episode_wall_s", 0.001, 1e6, &v) == 0) {
      c->rollout.limits.episode_wall_s = v;
    }
    if (getNumber(lim, "call_ms", 0, 1e9, &v) == 0) {
      c->rollout.limits.call_ms = (int)v;
    }
    if (getNumber(lim, "compile_ms", 1, 1e9, &v) == 0) {
      c->rollout.limits.compile_ms = (int)v;
    }
    if (getNumber(lim, "memory_mib", 1, 1e6, &v) == 0) {
      c->rollout.limits.memory_mib = (int)v;
    }
  }
#undef NUM
  s = getString(o, "test_seeds");
  if (s == NULL || ag_parseSeedRange(s, &c->test_begin, &c->test_end, err, errsz) != TB_OK) {
    tb_setErr(err, errsz, "config.json: missing or bad \"test_seeds\"");
    return TB_EINVAL;
  }
  s = getString(o, "init_source");
  r->initSource = strdup(s != NULL ? s : kZeroController);
  if (c->llm == NULL) {
    s = getString(o, "llm");
    if (s == NULL) {
      tb_setErr(err, errsz, "config.json: missing \"llm\"");
      return TB_EINVAL;
    }
    r->llmSpec = strdup(s);
    c->llm = r->llmSpec;
  }
  c->init_source = r->initSource;
  return r->initSource != NULL && c->llm != NULL ? TB_OK : TB_ENOMEM;
}

/* ------------------------------------------------------------- resume */

/* Restores the optimizer, totals and best controller from the complete lines of a run. */
static int restoreFromLines(trainRun *r, const cJSON *lines, char *err, size_t errsz) {
  int n = cJSON_GetArraySize(lines);
  for (int i = 0; i < n; i++) {
    const cJSON *line = cJSON_GetArrayItem(lines, i);
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(line, "iteration");
    if (!cJSON_IsNumber(it) || it->valueint != i + 1) {
      tb_setErr(err, errsz, "iterations.jsonl: line %d is not iteration %d", i + 1, i + 1);
      return TB_EINVAL;
    }
    double v;
    if (getNumber(line, "prompt_tokens", 0, 1e18, &v) == 0) {
      r->sum.prompt_tokens += (long long)v;
    }
    if (getNumber(line, "completion_tokens", 0, 1e18, &v) == 0) {
      r->sum.completion_tokens += (long long)v;
    }
    const cJSON *train = cJSON_GetObjectItemCaseSensitive(line, "train");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(train, "success"))) {
      r->sum.best_train_success = 1;
    }
    const cJSON *test = cJSON_GetObjectItemCaseSensitive(line, "test");
    const char *next = getString(line, "next_controller");
    double rate;
    double mean;
    if (next == NULL || getNumber(test, "success_rate", 0, 1, &rate) != 0 ||
        getNumber(test, "mean_return", -1e18, 1e18, &mean) != 0) {
      tb_setErr(err, errsz, "iterations.jsonl: line %d lacks next_controller or test results",
                i + 1);
      return TB_EINVAL;
    }
    r->sum.final_test_success_rate = rate;
    int rc = trackBest(r, next, rate, mean, err, errsz);
    if (rc != TB_OK) {
      return rc;
    }
    r->sum.iterations = i + 1;
  }
  if (n == 0) {
    return TB_OK;
  }
  const cJSON *state =
      cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(lines, n - 1), "optimizer_state");
  char *text = state != NULL ? cJSON_PrintUnformatted(state) : NULL;
  if (text == NULL) {
    tb_setErr(err, errsz, "iterations.jsonl: line %d has no optimizer_state", n);
    return TB_EINVAL;
  }
  char why[256];
  int rc = tr_optimizerLoadJson(r->opt, text, strlen(text), why, sizeof why);
  free(text);
  if (rc != TB_OK) {
    tb_setErr(err, errsz, "iterations.jsonl: line %d: %s", n, why);
    return TB_EINVAL;
  }
  /* The run may have been killed between its last line and this file. */
  const char *last = tr_paramText(r->code);
  return ag_runDirWriteFile(&r->dir, "controller_final.c", last, strlen(last), err, errsz);
}

/* ------------------------------------------------------------- one iteration */

/* Appends iteration it's line. optimizer_overhead_ms is the time spent tracing the episode
 * and in the optimizer step, less the LLM call. */
static int writeLine(trainRun *r, int it, const char *src, const agEpisode *ep,
                     const char *feedback, const trStepLog *log, const char *next,
                     const char *episodePath, double elapsed, double overheadMs, char *err,
                     size_t errsz) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "iteration", it);
  cJSON_AddStringToObject(o, "controller", src);
  cJSON_AddItemToObject(o, "train", trainJson(ep));
  cJSON_AddStringToObject(o, "feedback", feedback);
  cJSON_AddStringToObject(o, "system", log->system != NULL ? log->system : "");
  cJSON_AddStringToObject(o, "user", log->user != NULL ? log->user : "");
  cJSON_AddStringToObject(o, "response", log->response != NULL ? log->response : "");
  cJSON_AddNumberToObject(o, "prompt_tokens", (double)log->prompt_tokens);
  cJSON_AddNumberToObject(o, "completion_tokens", (double)log->completion_tokens);
  cJSON_AddBoolToObject(o, "tokens_estimated", log->tokens_estimated);
  cJSON_AddNumberToObject(o, "latency_s", log->latency_s);
  cJSON *upd = cJSON_AddObjectToObject(o, "update");
  cJSON_AddStringToObject(upd, "outcome", outcomeName(log->outcome));
  cJSON_AddStringToObject(upd, "reason", log->reason);
  cJSON *changed = cJSON_AddArrayToObject(upd, "changed");
  for (int i = 0; i < log->nchanged; i++) {
    cJSON_AddItemToArray(changed, cJSON_CreateString(log->changed[i]));
  }
  cJSON_AddStringToObject(o, "next_controller", next);
  cJSON_AddItemToObject(o, "test", testJson(&r->test));
  cJSON_AddStringToObject(o, "episode", episodePath);
  cJSON_AddNumberToObject(o, "elapsed_s", elapsed);
  cJSON_AddNumberToObject(o, "optimizer_overhead_ms", overheadMs);
  char *state = tr_optimizerSaveJson(r->opt, err, errsz);
  cJSON *st = state != NULL ? cJSON_Parse(state) : NULL;
  free(state);
  if (st == NULL) {
    cJSON_Delete(o);
    return TB_ENOMEM;
  }
  cJSON_AddItemToObject(o, "optimizer_state", st);
  char *text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (text == NULL) {
    tb_setErr(err, errsz, "out of memory writing iteration %d", it);
    return TB_ENOMEM;
  }
  int rc = ag_runDirAppendLine(&r->dir, text, err, errsz);
  free(text);
  return rc;
}

static int iterate(trainRun *r, int it, double t0, agTrainProgressFn progress, void *user,
                   char *err, size_t errsz) {
  const agTrainConfig *c = &r->cfg;
  int hints = c->rollout.env.hints == ENV_HINTS_EXPERT;
  char *src = strdup(tr_paramText(r->code));
  char episodeName[64];
  char episodePath[PATH_MAX + 64];
  agEpisode ep;
  trStepLog log;
  char *fb = NULL;
  int rc = TB_ENOMEM;
  memset(&ep, 0, sizeof ep);
  memset(&log, 0, sizeof log);
  if (src == NULL) {
    tb_setErr(err, errsz, "out of memory");
    return TB_ENOMEM;
  }

  /* Roll out the current controller on the training seed, recording the episode. */
  snprintf(episodeName, sizeof episodeName, "episodes/iter_%03d.json", it);
  ag_runDirPath(&r->dir, episodeName, episodePath, sizeof episodePath);
  agRolloutConfig rc0 = c->rollout;
  rc0.seed = c->train_seed;
  rc0.record_path = episodePath;
  rc = ag_rollout(r->runner, &rc0, src, strlen(src), &ep, err, errsz);
  if (rc != TB_OK) {
    goto done;
  }

  /* Trace the episode, attach the feedback, and take one optimizer step. */
  double tOpt = nowS();
  tr_resetGraph(r->graph);
  trNode *out = buildGraph(r->graph, r->code, &ep, hints && !c->mask_trace);
  fb = feedbackText(&ep, hints && c->mask_trace);
  if (out == NULL || fb == NULL) {
    tb_setErr(err, errsz, "building the trace of iteration %d: %s", it,
              tr_graphError(r->graph) != NULL ? tr_graphError(r->graph) : "out of memory");
    rc = TB_ENOMEM;
    goto done;
  }
  if (tr_backward(r->graph, out, fb, err, errsz) < 0) {
    rc = TB_ENOMEM;
    goto done;
  }
  char why[1024];
  int trc = tr_optimizerStep(r->opt, r->graph, r->llm, &log, why, sizeof why);
  if (trc == TB_ELLM) {
    tb_setErr(err, errsz, "iteration %d: %s (continue with --resume %s)", it, why, r->dir.path);
    rc = TB_ELLM;
    goto done;
  }
  if (trc != TB_OK) {
    tb_setErr(err, errsz, "iteration %d: optimizer step failed: %s", it, why);
    rc = TB_ENOMEM;
    goto done;
  }
  r->sum.prompt_tokens += log.prompt_tokens;
  r->sum.completion_tokens += log.completion_tokens;
  double overheadMs = (nowS() - tOpt - log.latency_s) * 1e3;

  /* A suggestion the sandbox would refuse is an unusable answer, not a dead run. */
  size_t nextLen = strlen(tr_paramText(r->code));
  if (nextLen > AG_SOURCE_MAX) {
    tr_setText(r->code, src, NULL, 0);
    log.outcome = TR_OUTCOME_UNUSABLE;
    snprintf(log.reason, sizeof log.reason,
             "the suggested controller is %zu bytes, more than the %d the sandbox takes", nextLen,
             AG_SOURCE_MAX);
    for (int i = 0; i < log.nchanged; i++) {
      free(log.changed[i]);
    }
    log.nchanged = 0;
  }

  /* Test the updated controller, then log the iteration and refresh the files. */
  const char *next = tr_paramText(r->code);
  rc = evalTest(r, next, err, errsz);
  if (rc == TB_OK) {
    rc = writeLine(r, it, src, &ep, fb, &log, next, episodeName, nowS() - t0, overheadMs, err,
                   errsz);
  }
  if (rc == TB_OK) {
    rc = ag_runDirWriteFile(&r->dir, "controller_final.c", next, strlen(next), err, errsz);
  }
  if (rc == TB_OK) {
    rc = trackBest(r, next, r->test.sum.success_rate, r->test.sum.mean_return, err, errsz);
  }
  if (rc != TB_OK) {
    goto done;
  }
  r->sum.iterations = it;
  r->sum.best_train_success |= ep.success;
  r->sum.final_test_success_rate = r->test.sum.success_rate;
  rc = writeSummary(r, err, errsz);
  if (rc == TB_OK && progress != NULL) {
    agTrainProgress p = {
        .iteration = it,
        .iters = c->iters,
        .train_success = ep.success,
        .train_return = ep.ret,
        .train_fault = ep.fault.kind != AG_FT_NONE ? ag_faultName(ep.fault.kind) : NULL,
        .test_success_rate = r->test.sum.success_rate,
        .test_mean_return = r->test.sum.mean_return,
        .outcome = outcomeName(log.outcome),
        .tokens = log.prompt_tokens + log.completion_tokens,
        .tokens_total = r->sum.prompt_tokens + r->sum.completion_tokens,
        .elapsed_s = nowS() - t0,
        .done_before = 0,
    };
    progress(user, &p);
  }

done:
  free(fb);
  free(src);
  tr_stepLogClose(&log);
  ag_episodeClose(&ep);
  return rc;
}

/* ------------------------------------------------------------- ag_train */

/* Makes everything a run needs once its configuration is final. */
static int openRun(trainRun *r, char *err, size_t errsz) {
  const agTrainConfig *c = &r->cfg;
  if (c->test_end <= c->test_begin || c->iters < 1 || c->jobs < 1 || c->memory < 0) {
    tb_setErr(err, errsz, "bad training configuration (iters, jobs, memory or test seeds)");
    return TB_EINVAL;
  }
  r->spec = env_makeSpec(c->task, err, errsz);
  if (r->spec == NULL) {
    return TB_EENV;
  }
  r->runner = ag_makeRunner(r->spec, err, errsz);
  if (r->runner == NULL) {
    return TB_EENV;
  }
  trOptimizerOptions oo;
  tr_defaultOptimizerOptions(&oo);
  oo.kind = c->optimizer;
  oo.memory = c->memory;
  oo.mask = c->mask_trace ? TR_MASK_PAPER : 0;
  oo.objective = env_instruction(c->task);
  r->opt = tr_makeOptimizer(&oo, err, errsz);
  if (r->opt == NULL) {
    return TB_EINVAL;
  }
  r->code = tr_addParam(r->opt, "controller", TR_CODE, kConstraint, err, errsz);
  if (r->code == NULL || tr_setText(r->code, c->init_source, err, errsz) != TB_OK) {
    return TB_EINVAL;
  }
  r->graph = tr_makeGraph();
  r->test.n = (int)(c->test_end - c->test_begin);
  r->test.eps = calloc((size_t)r->test.n, sizeof *r->test.eps);
  if (r->graph == NULL || r->test.eps == NULL) {
    tb_setErr(err, errsz, "out of memory");
    return TB_ENOMEM;
  }
  r->llm = tr_makeLlm(c->llm, &c->llm_options, err, errsz);
  return r->llm != NULL ? TB_OK : TB_EINVAL;
}

int ag_train(const agTrainConfig *cfg, agTrainProgressFn progress, void *user,
             agTrainSummary *summary, char *err, size_t errsz) {
  trainRun r;
  cJSON *config = NULL;
  cJSON *lines = NULL;
  int rc;
  memset(&r, 0, sizeof r);
  r.dir.fd = -1;
  r.cfg = *cfg;
  if (cfg->out_dir == NULL) {
    tb_setErr(err, errsz, "ag_train: no run directory");
    return TB_EINVAL;
  }
  /* Everything is checked (and the LLM client made) before a new run directory is. */
  if (cfg->resume) {
    rc = ag_runDirResume(&r.dir, cfg->out_dir, &config, &lines, err, errsz);
    if (rc == TB_OK) {
      rc = loadConfig(&r, config, err, errsz);
    }
    if (rc == TB_OK) {
      rc = openRun(&r, err, errsz);
    }
  } else {
    if (r.cfg.llm == NULL) {
      tb_setErr(err, errsz, "ag_train: no LLM configured");
      return TB_EINVAL;
    }
    r.cfg.rollout.task = r.cfg.task;
    if (r.cfg.init_source == NULL) {
      r.cfg.init_source = kZeroController;
    }
    rc = openRun(&r, err, errsz);
    if (rc == TB_OK) {
      rc = ag_runDirCreate(&r.dir, cfg->out_dir, err, errsz);
    }
  }
  snprintf(r.sum.out, sizeof r.sum.out, "%s", cfg->out_dir);
  /* The initial controller is tested too: an LLM's controller must beat it to be best. */
  if (rc == TB_OK) {
    rc = evalTest(&r, r.cfg.init_source, err, errsz);
  }
  if (rc == TB_OK) {
    rc = trackBest(&r, r.cfg.init_source, r.test.sum.success_rate, r.test.sum.mean_return, err,
                   errsz);
  }
  if (rc == TB_OK && cfg->resume) {
    rc = restoreFromLines(&r, lines, err, errsz);
    /* A recorded LLM (replay:) answers iteration k with its k-th response. */
    if (rc == TB_OK && tr_llmSkip(r.llm, (size_t)r.sum.iterations, err, errsz) != TB_OK) {
      rc = TB_EINVAL;
    }
  } else if (rc == TB_OK) {
    cJSON *o = configJson(&r.cfg);
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    rc = text != NULL ? ag_runDirWriteFile(&r.dir, "config.json", text, strlen(text), err, errsz)
                      : TB_ENOMEM;
    free(text);
  }
  cJSON_Delete(config);
  cJSON_Delete(lines);

  /* The loop: one complete, fsynced iteration at a time. */
  double t0 = nowS();
  if (rc == TB_OK && progress != NULL) {
    agTrainProgress start = {.iteration = 0,
                             .iters = r.cfg.iters,
                             .done_before = r.sum.iterations,
                             .tokens_total = r.sum.prompt_tokens + r.sum.completion_tokens};
    progress(user, &start);
  }
  for (int it = r.sum.iterations + 1; rc == TB_OK && it <= r.cfg.iters; it++) {
    if (tr_llmRemaining(r.llm) == 0) {
      r.sum.replay_end = 1; /* a replayed run ends where its recording does */
      break;
    }
    if (r.cfg.max_tokens_total > 0 &&
        r.sum.prompt_tokens + r.sum.completion_tokens >= r.cfg.max_tokens_total) {
      r.sum.budget_stop = 1;
      break;
    }
    rc = iterate(&r, it, t0, progress, user, err, errsz);
  }
  if (rc == TB_OK) {
    rc = writeSummary(&r, err, errsz);
  }
  if (summary != NULL) {
    *summary = r.sum;
  }
  closeRun(&r);
  return rc;
}
