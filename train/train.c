/* The training loop: rollout -> trace graph -> feedback -> backward -> optimizer step ->
 * test evaluation -> one fsynced line in iterations.jsonl, in the paper's protocol or the
 * pool protocol. See tracebot/train.h and train/README.md. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tracebot/agent.h"
#include "tracebot/train.h"
#include "base.h"
#include "config.h"
#include "pool.h"
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
    "C source defining exactly `void controller(const obs_t *obs, double action[4]);`, "
    "compiled with a prelude that declares obs_t {double hand_pos[3], gripper_distance_apart, "
    "obj_pos[3], obj_quat[4], goal_pos[3]; int step, horizon; double obj2_pos[3], "
    "obj2_quat[4];} and the <math.h> functions; "
    "no other calls, I/O or allocation; `static` variables keep state within one episode.";

void ag_defaultTrain(agTrainConfig *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->task = ENV_REACH;
  cfg->optimizer = TR_OPTOPRIME;
  cfg->memory = 10;
  cfg->iters = 30;
  cfg->train_seed = 0;
  cfg->train_starts = 0; /* the protocol's */
  cfg->test_begin = 0;   /* the protocol's */
  cfg->test_end = 0;
  cfg->until = AG_UNTIL_CONVERGED;
  cfg->patience = AG_PATIENCE;
  cfg->memory_chars = AG_MEMORY_CHARS;
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

/* Appends one observation as a JSON-like dict (numbers with d decimals), with the step's
 * hint when given. */
static void obsText(const obs_t *o, const char *hint, int d, char *out, size_t outsz) {
  int n = snprintf(out, outsz,
                   "{\"hand_pos\": [%.*f, %.*f, %.*f], \"gripper_distance_apart\": %.*f, "
                   "\"obj_pos\": [%.*f, %.*f, %.*f], \"obj_quat\": [%.*f, %.*f, %.*f, %.*f], "
                   "\"goal_pos\": [%.*f, %.*f, %.*f], \"step\": %d, \"horizon\": %d",
                   d, o->hand_pos[0], d, o->hand_pos[1], d, o->hand_pos[2], d,
                   o->gripper_distance_apart, d, o->obj_pos[0], d, o->obj_pos[1], d, o->obj_pos[2],
                   d, o->obj_quat[0], d, o->obj_quat[1], d, o->obj_quat[2], d, o->obj_quat[3], d,
                   o->goal_pos[0], d, o->goal_pos[1], d, o->goal_pos[2], o->step, o->horizon);
  if (n < 0 || (size_t)n >= outsz) {
    return;
  }
  /* the second object slot only when the task fills it (it is zero otherwise) */
  static const double kZero[7] = {0};
  if (memcmp(o->obj2_pos, kZero, sizeof o->obj2_pos) != 0 ||
      memcmp(o->obj2_quat, kZero, sizeof o->obj2_quat) != 0) {
    n += snprintf(out + n, outsz - (size_t)n,
                  ", \"obj2_pos\": [%.*f, %.*f, %.*f], \"obj2_quat\": [%.*f, %.*f, %.*f, %.*f]", d,
                  o->obj2_pos[0], d, o->obj2_pos[1], d, o->obj2_pos[2], d, o->obj2_quat[0], d,
                  o->obj2_quat[1], d, o->obj2_quat[2], d, o->obj2_quat[3]);
    if ((size_t)n >= outsz) {
      return;
    }
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

/* How the trace's two operations are shown: their documentation (from env_describe) and
 * the decimals of the numbers (the paper protocol's 4, the pool protocol's 3: millimetres). */
typedef struct opDocs {
  const char *controller;
  char step[sizeof(((envDescription *)0)->step_doc) + 64];
  int decimals;
} opDocs;

/* The operations' documentation for the run: the step's mentions the hint when the trace
 * shows it (the instruction explains it). */
static void makeDocs(const envDescription *d, int hintsInObs, int decimals, opDocs *docs) {
  docs->decimals = decimals;
  docs->controller = d->action_doc;
  snprintf(docs->step, sizeof docs->step, "%s%s", d->step_doc,
           hintsInObs ? " The observation carries the step's hint." : "");
}

/* Builds the trace of one episode in g and returns its output node (the last
 * observation, or the exception node of a fault), or NULL (error in the graph). */
static trNode *buildGraph(trGraph *g, trParam *code, const agEpisode *ep, const opDocs *docs,
                          int hintsInObs) {
  char text[TEXT_MAX];
  trNode *param = tr_paramNode(g, code);
  int d = docs->decimals;
  obsText(&ep->obs0, NULL, d, text, sizeof text);
  trNode *obs = tr_value(g, "obs", "dict", text);
  for (int t = 0; t < ep->nsteps; t++) {
    const agStep *s = &ep->steps[t];
    trArg callArgs[2] = {{"obs", obs}, {"controller", param}};
    snprintf(text, sizeof text, "[%.*f, %.*f, %.*f, %.*f]", d, s->action[0], d, s->action[1], d,
             s->action[2], d, s->action[3]);
    trNode *action = tr_op(g, "controller", docs->controller, callArgs, 2, "action", "list", text);
    trArg stepArgs[1] = {{"action", action}};
    obsText(&s->result.obs, hintsInObs ? s->result.hint : NULL, d, text, sizeof text);
    obs = tr_op(g, "step", docs->step, stepArgs, 1, "obs", "dict", text);
  }
  if (ep->fault.kind == AG_FT_NONE) {
    return obs;
  }
  char msg[AG_FAULT_MSG + 32];
  faultText(&ep->fault, msg, sizeof msg);
  trArg callArgs[2] = {{"obs", obs}, {"controller", param}};
  return tr_exception(g, "controller", docs->controller, callArgs, 2, msg);
}

/* What the pool protocol adds to the feedback: how the controller did on the whole pool. */
typedef struct poolNote {
  int starts, successes;
  int fastest, slowest; /* steps to success over the starts that succeed */
} poolNote;

/* The feedback text: "Success: ..\nReturn: .." plus the episode's perturbation, the fault,
 * plus (masked) the hints. With a pool note (the pool protocol; nullable), the pool's result
 * after Return and the task's own line about the episode after the fault. */
static char *feedbackText(const agEpisode *ep, const poolNote *pool, int hintsInFeedback) {
  size_t cap = 1024 + ENV_FEEDBACK_MAX + (size_t)ep->nsteps * (ENV_HINT_MAX + 32);
  char *fb = malloc(cap);
  if (fb == NULL) {
    return NULL;
  }
  size_t n = (size_t)snprintf(fb, cap, "Success: %s\nReturn: %.2f", ep->success ? "true" : "false",
                              ep->ret);
  if (pool != NULL && n < cap) {
    n += (size_t)snprintf(fb + n, cap - n, "\nTraining starts: %d of %d succeed", pool->successes,
                          pool->starts);
    if (pool->successes > 0 && n < cap) {
      n += pool->fastest == pool->slowest
               ? (size_t)snprintf(fb + n, cap - n, " (in %d steps)", pool->fastest)
               : (size_t)snprintf(fb + n, cap - n, " (in %d to %d steps)", pool->fastest,
                                  pool->slowest);
    }
    if (n < cap) {
      n += (size_t)snprintf(fb + n, cap - n, "; this trace is one that fails.");
    }
  }
  if (ep->env.perturb.on != 0 && n < cap) {
    char drawn[384];
    env_perturbDescribe(&ep->perturb, drawn, sizeof drawn);
    n += (size_t)snprintf(fb + n, cap - n, "\nPerturbation of this episode: %s", drawn);
  }
  if (ep->fault.kind != AG_FT_NONE && n < cap) {
    char msg[AG_FAULT_MSG + 32];
    faultText(&ep->fault, msg, sizeof msg);
    n += (size_t)snprintf(fb + n, cap - n, "\nError: %s", msg);
  }
  if (pool != NULL && ep->nsteps > 0 && ep->task_feedback[0] != '\0' && n < cap) {
    n += (size_t)snprintf(fb + n, cap - n, "\nEpisode: %s", ep->task_feedback);
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

/* ------------------------------------------------------------- the run */

/* Test results of one controller on the test seeds. */
typedef struct testResult {
  int n;
  agEvalEpisode *eps;
  agEvalSummary sum;
} testResult;

/* The requests sent so far, as hashes (the pool protocol never sends one twice). */
typedef struct sentSet {
  uint64_t *hash;
  int n, cap;
} sentSet;

/* Everything one run holds across iterations. */
typedef struct trainRun {
  agTrainConfig cfg; /* resolved (strings point into owned copies below) */
  char *llmSpec;     /* owned */
  char *initSource;  /* owned */
  agRunDir dir;
  envSpec *spec;
  envDescription desc; /* the instruction and the operations' documentation */
  opDocs docs;
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
  /* the pool protocol */
  agPool pool;
  int haveShown; /* lastShown: the start whose trace the last request showed */
  uint64_t lastShown;
  sentSet sent;
  int stale;      /* iterations in a row whose answer left the controller as it was */
  int terminated; /* the last answer was TERMINATE */
} trainRun;

static void closeRun(trainRun *r) {
  tr_freeLlm(r->llm);
  tr_freeGraph(r->graph);
  tr_freeOptimizer(r->opt);
  ag_freeRunner(r->runner);
  env_freeSpec(r->spec);
  ag_runDirClose(&r->dir);
  ag_poolClose(&r->pool);
  free(r->sent.hash);
  free(r->test.eps);
  free(r->testedSource);
  free(r->llmSpec);
  free(r->initSource);
}

/* FNV-1a 64 of a request (system, a zero byte, user). */
static uint64_t requestHash(const char *system, const char *user) {
  uint64_t h = 14695981039346656037ull;
  const char *parts[2] = {system != NULL ? system : "", user != NULL ? user : ""};
  for (int k = 0; k < 2; k++) {
    for (const char *c = parts[k]; *c; c++) {
      h = (h ^ (uint8_t)*c) * 1099511628211ull;
    }
    h = (h ^ 0u) * 1099511628211ull;
  }
  return h;
}

static int wasSent(const sentSet *s, uint64_t h) {
  for (int i = 0; i < s->n; i++) {
    if (s->hash[i] == h) {
      return 1;
    }
  }
  return 0;
}

static int addSent(sentSet *s, uint64_t h) {
  if (s->n == s->cap) {
    int cap = s->cap > 0 ? 2 * s->cap : 32;
    uint64_t *grown = realloc(s->hash, sizeof *grown * (size_t)cap);
    if (grown == NULL) {
      return TB_ENOMEM;
    }
    s->hash = grown;
    s->cap = cap;
  }
  s->hash[s->n++] = h;
  return TB_OK;
}

/* Evaluates src on the test seeds (skipped when src is the source last evaluated:
 * rollouts are deterministic). */
static int evalTest(trainRun *r, const char *src, char *err, size_t errsz) {
  if (r->testedSource != NULL && strcmp(r->testedSource, src) == 0) {
    return TB_OK;
  }
  agRolloutConfig rc = r->cfg.rollout;
  rc.env.perturb = r->cfg.test_perturb;
  int rcode = ag_eval(r->spec, &rc, src, strlen(src), r->cfg.test_begin, r->cfg.test_end,
                      r->cfg.jobs, NULL, NULL, r->test.eps, &r->test.sum, err, errsz);
  if (rcode != TB_OK) {
    return rcode;
  }
  free(r->testedSource);
  r->testedSource = strdup(src);
  return r->testedSource != NULL ? TB_OK : TB_ENOMEM;
}

/* Whether a test result (rate, mean return) beats the best (bestRate, bestMean): ties on
 * success rate go to the higher mean return. */
static int beats(double rate, double mean, double bestRate, double bestMean) {
  return rate > bestRate || (rate == bestRate && mean > bestMean);
}

/* Updates the best test result with the test of src, found when tokens had been spent;
 * writes controller_best.c when it improved. */
static int trackBest(trainRun *r, const char *src, double rate, double meanRet, long long tokens,
                     char *err, size_t errsz) {
  if (r->haveBest && !beats(rate, meanRet, r->sum.best_test_success_rate, r->bestMeanReturn)) {
    return TB_OK;
  }
  r->haveBest = 1;
  r->sum.best_test_success_rate = rate;
  r->bestMeanReturn = meanRet;
  r->sum.tokens_to_best = tokens;
  return ag_runDirWriteFile(&r->dir, AG_RUN_BEST, src, strlen(src), err, errsz);
}

/* Writes a pretty-printed JSON object (taken) as the run's file name. */
static int writeJson(trainRun *r, const char *name, cJSON *o, char *err, size_t errsz) {
  char *text = o != NULL ? cJSON_Print(o) : NULL;
  cJSON_Delete(o);
  if (text == NULL || tb_utf8Sanitize(&text, NULL) != TB_OK) {
    free(text);
    tb_setErr(err, errsz, "out of memory writing %s", name);
    return TB_ENOMEM;
  }
  int rc = ag_runDirWriteFile(&r->dir, name, text, strlen(text), err, errsz);
  free(text);
  return rc;
}

/* Ends the run for reason (the first reason given wins). */
static void stop(trainRun *r, const char *reason) {
  if (r->sum.stop_reason[0] == '\0') {
    snprintf(r->sum.stop_reason, sizeof r->sum.stop_reason, "%s", reason);
  }
}

/* ------------------------------------------------------------- resume */

/* What the finished iterations of a resumed run leave behind. */
typedef struct resumeState {
  trainRun *run; /* the pool protocol's state goes straight in: sent, stale, lastShown */
  int iterations;
  long long promptTokens, completionTokens;
  int llmCalls;
  int bestTrainSuccess;
  double finalRate;
  char *bestSource; /* the best next_controller on the test seeds (first of equals) */
  double bestRate, bestMean;
  long long tokensAtBest; /* the tokens spent when it was found */
  char *optimizerState;   /* of the last line */
  int poolStarts;         /* of the last line */
} resumeState;

/* Takes in one line of the run (an agIterationFn). */
static int resumeLine(void *user, const agIteration *it, char *err, size_t errsz) {
  resumeState *s = user;
  trainRun *r = s->run;
  s->iterations = it->iteration;
  s->promptTokens += it->prompt_tokens;
  s->completionTokens += it->completion_tokens;
  s->bestTrainSuccess |= it->pool_successes > 0;
  s->finalRate = it->test_success_rate;
  s->poolStarts = it->pool_starts;
  if (s->bestSource == NULL ||
      beats(it->test_success_rate, it->test_mean_return, s->bestRate, s->bestMean)) {
    free(s->bestSource);
    s->bestSource = strdup(it->next_controller);
    s->bestRate = it->test_success_rate;
    s->bestMean = it->test_mean_return;
    s->tokensAtBest = s->promptTokens + s->completionTokens;
  }
  free(s->optimizerState);
  s->optimizerState = strdup(it->optimizer_state);
  int rc = s->bestSource != NULL && s->optimizerState != NULL ? TB_OK : TB_ENOMEM;
  /* the pool protocol's memory of its requests, of the starts shown and of stale answers */
  if (it->response != NULL) {
    s->llmCalls++;
    r->haveShown = 1;
    r->lastShown = it->train.seed;
    r->stale = it->outcome == TR_OUTCOME_UPDATED ? 0 : r->stale + 1;
    r->terminated = it->terminate;
    if (rc == TB_OK) {
      rc = addSent(&r->sent, requestHash(it->system, it->user));
    }
  } else {
    r->stale = 0; /* the controller succeeded everywhere: the pool grew */
    r->terminated = 0;
  }
  if (rc != TB_OK) {
    tb_setErr(err, errsz, "out of memory reading iteration %d", it->iteration);
  }
  return rc;
}

static void closeResume(resumeState *s) {
  free(s->bestSource);
  free(s->optimizerState);
}

/* Opens the run to resume: its config.json (with the caller's overrides) and its lines,
 * all checked before anything runs. Strings of the configuration are copied into r. */
static int openResumed(trainRun *r, resumeState *s, char *err, size_t errsz) {
  cJSON *config = NULL;
  int rc = ag_runDirResume(&r->dir, r->cfg.out_dir, &config, err, errsz);
  if (rc == TB_OK) {
    rc = ag_runConfigRead(config, &r->cfg, err, errsz);
  }
  if (rc == TB_OK) {
    r->initSource = strdup(r->cfg.init_source != NULL ? r->cfg.init_source : kZeroController);
    r->llmSpec = strdup(r->cfg.llm);
    r->cfg.init_source = r->initSource;
    r->cfg.llm = r->llmSpec;
    rc = r->initSource != NULL && r->llmSpec != NULL ? TB_OK : TB_ENOMEM;
  }
  cJSON_Delete(config);
  if (rc == TB_OK) {
    s->run = r;
    rc = ag_runDirReadLines(&r->dir, resumeLine, s, NULL, err, errsz);
  }
  return rc;
}

/* Restores the optimizer, the totals and the recorded LLM's place from the finished
 * iterations: the last of the checks a resume makes, and none of them writes. */
static int restore(trainRun *r, const resumeState *s, char *err, size_t errsz) {
  r->sum.iterations = s->iterations;
  r->sum.prompt_tokens = s->promptTokens;
  r->sum.completion_tokens = s->completionTokens;
  r->sum.llm_calls = s->llmCalls;
  r->sum.best_train_success = s->bestTrainSuccess;
  r->sum.final_test_success_rate = s->finalRate;
  if (s->iterations > 0) {
    char why[256];
    int rc =
        tr_optimizerLoadJson(r->opt, s->optimizerState, strlen(s->optimizerState), why, sizeof why);
    if (rc != TB_OK) {
      tb_setErr(err, errsz, "%s/%s line %d: optimizer_state: %s", r->dir.path, AG_RUN_ITERATIONS,
                s->iterations, why);
      return TB_EINVAL;
    }
  }
  /* A recorded LLM (replay:) answers request k with its k-th response. */
  return tr_llmSkip(r->llm, (size_t)s->llmCalls, err, errsz);
}

/* Refreshes the best and final controllers from the finished iterations (after the initial
 * controller's test, which the LLM's controllers must beat). */
static int restoreFiles(trainRun *r, const resumeState *s, char *err, size_t errsz) {
  if (s->iterations == 0) {
    return TB_OK;
  }
  int rc = trackBest(r, s->bestSource, s->bestRate, s->bestMean, s->tokensAtBest, err, errsz);
  if (rc == TB_OK && r->cfg.protocol == AG_PROTOCOL_POOL) {
    rc = ag_poolGrow(&r->pool, s->poolStarts, err, errsz);
    r->sum.train_starts = r->pool.n;
  }
  if (rc != TB_OK) {
    return rc;
  }
  /* The run may have been killed between its last line and this file. */
  const char *last = tr_paramText(r->code);
  return ag_runDirWriteFile(&r->dir, AG_RUN_FINAL, last, strlen(last), err, errsz);
}

/* ------------------------------------------------------------- one iteration */

/* The update an iteration logs: the optimizer's, unless the suggestion was refused. */
typedef struct update {
  trOutcome outcome;
  const char *reason;
  int nchanged;
  const char *const *changed;
} update;

/* What an iteration did, for its line: the controller rolled out (src), the training
 * episode shown (NULL: none, the pool's worst start stands in), the pool, the feedback,
 * the optimizer's step log (NULL: no LLM call) and the update. */
typedef struct iterationRecord {
  int it;
  const char *src;
  const agEpisode *ep;
  agEvalEpisode worst; /* without ep */
  int poolStarts, poolSuccesses;
  const char *feedback;
  const trStepLog *log;
  update u;
  const char *episodeName;
  double overheadMs; /* tracing and the optimizer step, less the LLM call */
} iterationRecord;

/* Appends the iteration's line (next: the controller the update produced). */
static int writeLine(trainRun *r, const iterationRecord *rec, const char *next, double elapsedS,
                     char *err, size_t errsz) {
  char *state = tr_optimizerSaveJson(r->opt, err, errsz);
  if (state == NULL) {
    return TB_ENOMEM;
  }
  const trStepLog *log = rec->log;
  agEvalEpisode train = rec->worst;
  if (rec->ep != NULL) {
    train = (agEvalEpisode){.seed = rec->ep->seed,
                            .success = rec->ep->success,
                            .ret = rec->ep->ret,
                            .nsteps = rec->ep->nsteps,
                            .fault = rec->ep->fault};
  }
  agIteration line = {
      .iteration = rec->it,
      .controller = rec->src,
      .train = train,
      .pool_starts = rec->poolStarts,
      .pool_successes = rec->poolSuccesses,
      .feedback = rec->feedback,
      .system = log != NULL ? log->system : "",
      .user = log != NULL ? log->user : "",
      .response = log != NULL ? (log->response != NULL ? log->response : "") : NULL,
      .prompt_tokens = log != NULL ? log->prompt_tokens : 0,
      .completion_tokens = log != NULL ? log->completion_tokens : 0,
      .tokens_estimated = log != NULL ? log->tokens_estimated : 0,
      .latency_s = log != NULL ? log->latency_s : 0.0,
      .outcome = rec->u.outcome,
      .reason = rec->u.reason,
      .terminate = log != NULL ? log->terminate : 0,
      .nchanged = rec->u.nchanged,
      .changed = rec->u.changed,
      .next_controller = next,
      .ntest = r->test.n,
      .test = r->test.eps,
      .test_success_rate = r->test.sum.success_rate,
      .test_mean_return = r->test.sum.mean_return,
      .episode = rec->episodeName != NULL ? rec->episodeName : "",
      .elapsed_s = elapsedS,
      .optimizer_overhead_ms = rec->overheadMs,
      .optimizer_state = state,
  };
  int rc = ag_runDirAppend(&r->dir, &line, err, errsz);
  free(state);
  return rc;
}

/* Rolls src out on seed with the recording episodes/iter_NNN.json (name in episodeName). */
static int rolloutShown(trainRun *r, int it, const char *src, uint64_t seed, agEpisode *ep,
                        char *episodeName, size_t namesz, char *err, size_t errsz) {
  char episodePath[PATH_MAX + 64];
  snprintf(episodeName, namesz, AG_RUN_EPISODES "/iter_%03d.json", it);
  ag_runDirPath(&r->dir, episodeName, episodePath, sizeof episodePath);
  agRolloutConfig rc = r->cfg.rollout;
  rc.seed = seed;
  rc.record_path = episodePath;
  return ag_rollout(r->runner, &rc, src, strlen(src), ep, err, errsz);
}

/* Traces the episode into the graph and attaches its feedback (*fb, heap, the caller's). */
static int traceEpisode(trainRun *r, int it, const agEpisode *ep, const poolNote *pool, char **fb,
                        char *err, size_t errsz) {
  const agTrainConfig *c = &r->cfg;
  int hints = c->rollout.env.hints == ENV_HINTS_EXPERT;
  tr_resetGraph(r->graph);
  trNode *out = buildGraph(r->graph, r->code, ep, &r->docs, hints && !c->mask_trace);
  *fb = feedbackText(ep, pool, hints && c->mask_trace);
  if (out == NULL || *fb == NULL) {
    tb_setErr(err, errsz, "building the trace of iteration %d: %s", it,
              tr_graphError(r->graph) != NULL ? tr_graphError(r->graph) : "out of memory");
    return TB_ENOMEM;
  }
  int rc = tr_backward(r->graph, out, *fb, err, errsz);
  return rc < 0 ? rc : TB_OK; /* the trace core's code, cause kept */
}

/* One optimizer step with the LLM (the graph holds the traced episode). */
static int optimizerStep(trainRun *r, int it, trStepLog *log, char *err, size_t errsz) {
  char why[1024];
  int trc = tr_optimizerStep(r->opt, r->graph, r->llm, log, why, sizeof why);
  if (trc == TB_ELLM) {
    tb_setErr(err, errsz, "iteration %d: %s (continue with --resume %s)", it, why, r->dir.path);
    return TB_ELLM;
  }
  if (trc != TB_OK) {
    tb_setErr(err, errsz, "iteration %d: optimizer step failed: %s", it, why);
    return trc; /* TB_ENOFEEDBACK, TB_EINVAL, TB_ENOMEM: the cause kept */
  }
  r->sum.prompt_tokens += log->prompt_tokens;
  r->sum.completion_tokens += log->completion_tokens;
  r->sum.llm_calls++;
  return TB_OK;
}

/* The rest of an iteration: a suggestion the sandbox would refuse is an unusable answer,
 * not a dead run (the controller goes back to src, and the line says why); then the test
 * of the next controller, the line, the files and the progress report. */
static int finishIteration(trainRun *r, iterationRecord *rec, double t0, agTrainProgressFn progress,
                           void *user, char *err, size_t errsz) {
  char refused[160];
  size_t nextLen = strlen(tr_paramText(r->code));
  if (nextLen > AG_SOURCE_MAX) {
    int rc = tr_setText(r->code, rec->src, err, errsz);
    if (rc != TB_OK) {
      return rc;
    }
    snprintf(refused, sizeof refused,
             "the suggested controller is %zu bytes, more than the %d the sandbox takes", nextLen,
             AG_SOURCE_MAX);
    rec->u = (update){TR_OUTCOME_UNUSABLE, refused, 0, NULL};
  }
  const char *next = tr_paramText(r->code);
  long long tokens = r->sum.prompt_tokens + r->sum.completion_tokens;
  int rc = evalTest(r, next, err, errsz);
  if (rc == TB_OK) {
    rc = writeLine(r, rec, next, (tb_nowMs() - t0) / 1e3, err, errsz);
  }
  if (rc == TB_OK) {
    rc = ag_runDirWriteFile(&r->dir, AG_RUN_FINAL, next, strlen(next), err, errsz);
  }
  if (rc == TB_OK) {
    rc = trackBest(r, next, r->test.sum.success_rate, r->test.sum.mean_return, tokens, err, errsz);
  }
  if (rc != TB_OK) {
    return rc;
  }
  r->sum.iterations = rec->it;
  r->sum.best_train_success |= rec->poolSuccesses > 0;
  r->sum.final_test_success_rate = r->test.sum.success_rate;
  r->sum.train_starts = rec->poolStarts;
  rc = writeJson(r, AG_RUN_SUMMARY, ag_trainSummaryJson(&r->sum), err, errsz);
  if (rc == TB_OK && progress != NULL) {
    const trStepLog *log = rec->log;
    const agEvalEpisode *shown = &rec->worst;
    agTrainProgress p = {
        .iteration = rec->it,
        .iters = r->cfg.iters,
        .llm_call = log != NULL,
        .pool_starts = rec->poolStarts,
        .pool_successes = rec->poolSuccesses,
        .train_success = rec->ep != NULL ? rec->ep->success : shown->success,
        .train_return = rec->ep != NULL ? rec->ep->ret : shown->ret,
        .train_fault = rec->ep != NULL && rec->ep->fault.kind != AG_FT_NONE
                           ? ag_faultName(rec->ep->fault.kind)
                           : NULL,
        .test_success_rate = r->test.sum.success_rate,
        .test_mean_return = r->test.sum.mean_return,
        .outcome = ag_outcomeName(rec->u.outcome),
        .tokens = log != NULL ? log->prompt_tokens + log->completion_tokens : 0,
        .tokens_total = r->sum.prompt_tokens + r->sum.completion_tokens,
        .elapsed_s = (tb_nowMs() - t0) / 1e3,
        .done_before = 0,
    };
    progress(user, &p);
  }
  return rc;
}

/* What one iteration works on: the controller it starts from (a copy), the episode shown,
 * its feedback and the optimizer's step log. */
typedef struct scratch {
  char *src;
  char episodeName[64];
  agEpisode ep;
  char *fb;
  trStepLog log;
} scratch;

static int openScratch(const trainRun *r, scratch *s, char *err, size_t errsz) {
  memset(s, 0, sizeof *s);
  s->src = strdup(tr_paramText(r->code));
  if (s->src == NULL) {
    tb_setErr(err, errsz, "out of memory");
    return TB_ENOMEM;
  }
  return TB_OK;
}

static void closeScratch(scratch *s) {
  free(s->fb);
  free(s->src);
  tr_stepLogClose(&s->log);
  ag_episodeClose(&s->ep);
}

/* The record of an iteration that showed s->ep and asked the LLM. */
static iterationRecord askedRecord(int it, const scratch *s, int poolStarts, int poolSuccesses,
                                   double overheadMs) {
  const trStepLog *log = &s->log;
  iterationRecord rec = {
      .it = it,
      .src = s->src,
      .ep = &s->ep,
      .poolStarts = poolStarts,
      .poolSuccesses = poolSuccesses,
      .feedback = s->fb,
      .log = log,
      .u = {log->outcome, log->reason, log->nchanged, (const char *const *)log->changed},
      .episodeName = s->episodeName,
      .overheadMs = overheadMs,
  };
  return rec;
}

/* One iteration of the paper's protocol: the training start, its trace, one LLM call. */
static int iteratePaper(trainRun *r, int it, double t0, agTrainProgressFn progress, void *user,
                        char *err, size_t errsz) {
  scratch s;
  int rc = openScratch(r, &s, err, errsz);
  /* Roll out the current controller on the training seed, recording the episode. */
  if (rc == TB_OK) {
    rc = rolloutShown(r, it, s.src, r->cfg.train_seed, &s.ep, s.episodeName, sizeof s.episodeName,
                      err, errsz);
  }
  /* Trace the episode, attach the feedback, and take one optimizer step. */
  double tOpt = tb_nowMs();
  if (rc == TB_OK) {
    rc = traceEpisode(r, it, &s.ep, NULL, &s.fb, err, errsz);
  }
  if (rc == TB_OK) {
    rc = optimizerStep(r, it, &s.log, err, errsz);
  }
  if (rc == TB_OK) {
    iterationRecord rec =
        askedRecord(it, &s, 1, s.ep.success, tb_nowMs() - tOpt - s.log.latency_s * 1e3);
    rc = finishIteration(r, &rec, t0, progress, user, err, errsz);
  }
  closeScratch(&s);
  return rc;
}

/* The pool's results as the feedback's note. */
static poolNote poolResult(const agPool *p) {
  poolNote note = {p->n, ag_poolSuccesses(p), 0, 0};
  for (int i = 0; i < p->evaluated; i++) {
    int steps = p->results[i].nsteps;
    if (p->results[i].success) {
      note.fastest = note.fastest == 0 || steps < note.fastest ? steps : note.fastest;
      note.slowest = steps > note.slowest ? steps : note.slowest;
    }
  }
  return note;
}

/* Picks the failing start to show: in the pool's order, the first whose request was never
 * sent. On return 0, s holds its recorded episode and feedback, the graph its trace, and
 * *optMs the time spent tracing and rendering; *found is 0 when every request would repeat
 * one already sent. */
static int pickShown(trainRun *r, int it, scratch *s, int *found, double *optMs, char *err,
                     size_t errsz) {
  int *order = NULL;
  int n = ag_poolFailing(&r->pool, r->haveShown ? &r->lastShown : NULL, &order);
  poolNote note = poolResult(&r->pool);
  int rc = n >= 0 ? TB_OK : TB_ENOMEM;
  *found = 0;
  for (int k = 0; rc == TB_OK && k < n && !*found; k++) {
    ag_episodeClose(&s->ep);
    free(s->fb);
    s->fb = NULL;
    rc = rolloutShown(r, it, s->src, r->pool.seeds[order[k]], &s->ep, s->episodeName,
                      sizeof s->episodeName, err, errsz);
    double t = tb_nowMs();
    trPrompt prompt = {NULL, NULL};
    if (rc == TB_OK) {
      rc = traceEpisode(r, it, &s->ep, &note, &s->fb, err, errsz);
    }
    if (rc == TB_OK) {
      rc = tr_optimizerRender(r->opt, r->graph, &prompt, err, errsz);
    }
    if (rc == TB_OK) {
      *found = !wasSent(&r->sent, requestHash(prompt.system, prompt.user));
    }
    tr_promptClose(&prompt);
    *optMs += tb_nowMs() - t;
  }
  free(order);
  if (rc == TB_ENOMEM && n < 0) {
    tb_setErr(err, errsz, "out of memory");
  }
  return rc;
}

/* One iteration of the pool protocol: the controller on every training start; when it
 * succeeds everywhere, the end (converged) or fresh starts; else the trace of a failing
 * start and one LLM call with a request never sent before. Sets the stop reason when the
 * run ends here. */
static int iteratePool(trainRun *r, int it, double t0, agTrainProgressFn progress, void *user,
                       char *err, size_t errsz) {
  const agTrainConfig *c = &r->cfg;
  scratch s;
  int rc = openScratch(r, &s, err, errsz);

  /* The controller on every start; on success everywhere, the end or fresh starts. */
  if (rc == TB_OK) {
    rc = ag_poolEvaluate(&r->pool, r->spec, &c->rollout, s.src, c->jobs, err, errsz);
  }
  if (rc == TB_OK && ag_poolSuccesses(&r->pool) == r->pool.n) {
    if (c->until == AG_UNTIL_CONVERGED) {
      stop(r, "converged");
      goto done;
    }
    rc = ag_poolGrow(&r->pool, r->pool.n + r->pool.initial, err, errsz);
    if (rc == TB_OK) {
      rc = ag_poolEvaluate(&r->pool, r->spec, &c->rollout, s.src, c->jobs, err, errsz);
    }
    if (rc == TB_OK && ag_poolSuccesses(&r->pool) == r->pool.n) {
      /* nothing to show: a line without an LLM call records the grown pool */
      char note[128];
      snprintf(note, sizeof note, "Training starts: %d of %d succeed.", r->pool.n, r->pool.n);
      char reason[160];
      snprintf(reason, sizeof reason,
               "no LLM call: the controller succeeds on every training start; the pool grew "
               "to %d",
               r->pool.n);
      iterationRecord rec = {.it = it,
                             .src = s.src,
                             .worst = r->pool.results[ag_poolWorst(&r->pool)],
                             .poolStarts = r->pool.n,
                             .poolSuccesses = r->pool.n,
                             .feedback = note,
                             .u = {TR_OUTCOME_NONE, reason, 0, NULL}};
      r->stale = 0;
      rc = finishIteration(r, &rec, t0, progress, user, err, errsz);
      goto done;
    }
  }

  /* A failing start whose request is new, then the LLM unless the run must end first. */
  int found = 0;
  double optMs = 0.0;
  if (rc == TB_OK) {
    rc = pickShown(r, it, &s, &found, &optMs, err, errsz);
  }
  if (rc == TB_OK && !found) {
    stop(r, "patience"); /* every request left would repeat one already sent */
    goto done;
  }
  if (rc == TB_OK && tr_llmRemaining(r->llm) == 0) {
    r->sum.replay_end = 1;
    stop(r, "replay_end");
    goto done;
  }
  if (rc == TB_OK && c->max_tokens_total > 0 &&
      r->sum.prompt_tokens + r->sum.completion_tokens >= c->max_tokens_total) {
    r->sum.budget_stop = 1;
    stop(r, "budget");
    goto done;
  }
  double tOpt = tb_nowMs();
  if (rc == TB_OK) {
    rc = optimizerStep(r, it, &s.log, err, errsz);
  }
  if (rc == TB_OK) {
    rc = addSent(&r->sent, requestHash(s.log.system, s.log.user));
  }
  if (rc != TB_OK) {
    goto done;
  }
  r->haveShown = 1;
  r->lastShown = s.ep.seed;
  iterationRecord rec = askedRecord(it, &s, r->pool.n, ag_poolSuccesses(&r->pool),
                                    optMs + tb_nowMs() - tOpt - s.log.latency_s * 1e3);
  rc = finishIteration(r, &rec, t0, progress, user, err, errsz);
  if (rc == TB_OK) {
    /* TERMINATE, or patience spent on answers that change nothing, end the run */
    r->terminated = s.log.terminate;
    r->stale = rec.u.outcome == TR_OUTCOME_UPDATED ? 0 : r->stale + 1;
    if (r->terminated) {
      stop(r, "terminate");
    } else if (c->patience > 0 && r->stale >= c->patience) {
      stop(r, "patience");
    }
  }

done:
  closeScratch(&s);
  return rc;
}

/* ------------------------------------------------------------- ag_train */

/* Fills in what the configuration leaves to the protocol, and checks it. */
static int resolveConfig(agTrainConfig *c, char *err, size_t errsz) {
  int paper = c->protocol == AG_PROTOCOL_PAPER;
  if (c->protocol != AG_PROTOCOL_POOL && !paper) {
    tb_setErr(err, errsz, "unknown training protocol %d", (int)c->protocol);
    return TB_EINVAL;
  }
  if (c->train_starts == 0) {
    c->train_starts = paper ? 1 : AG_POOL_STARTS;
  }
  if (c->test_begin == c->test_end) {
    c->test_begin = paper ? AG_PAPER_TEST_BEGIN : AG_POOL_TEST_BEGIN;
    c->test_end = c->test_begin + AG_TEST_STARTS;
  }
  if (paper && c->train_starts != 1) {
    tb_setErr(err, errsz,
              "the paper protocol trains on one start (--train-seed S), not %d; use "
              "--protocol pool for more",
              c->train_starts);
    return TB_EINVAL;
  }
  return TB_OK;
}

/* Makes everything a run needs once its configuration is final. */
static int openRun(trainRun *r, char *err, size_t errsz) {
  const agTrainConfig *c = &r->cfg;
  if (c->test_end <= c->test_begin || c->iters < 1 || c->jobs < 1 || c->memory < 0 ||
      c->train_starts < 1 || c->patience < 0) {
    tb_setErr(err, errsz,
              "bad training configuration (iters, jobs, memory, patience, training or test "
              "seeds)");
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
  int rc = env_describe(r->spec, &c->rollout.env, &r->desc, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  int pool = c->protocol == AG_PROTOCOL_POOL;
  makeDocs(&r->desc, c->rollout.env.hints == ENV_HINTS_EXPERT && !c->mask_trace, pool ? 3 : 4,
           &r->docs);
  if (pool) {
    rc = ag_poolInit(&r->pool, c->train_seed, c->train_starts, c->test_begin, c->test_end, err,
                     errsz);
    if (rc != TB_OK) {
      return rc;
    }
  }
  trOptimizerOptions oo;
  tr_defaultOptimizerOptions(&oo);
  oo.kind = c->optimizer;
  oo.memory = c->memory;
  oo.mask = c->mask_trace ? TR_MASK_PAPER : 0;
  oo.objective = r->desc.instruction;
  if (pool) {
    oo.memory_style = TR_MEMORY_LEAN;
    oo.memory_chars = c->memory_chars;
    oo.history = c->memory; /* OPRO: the last K attempts, not the whole history */
  }
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
  r->sum.train_starts = pool ? r->pool.n : 1;
  r->llm = tr_makeLlm(c->llm, &c->llm_options, err, errsz);
  return r->llm != NULL ? TB_OK : TB_EINVAL;
}

/* Whether a resumed run had already ended (TERMINATE or patience in its last lines). */
static void resumedStop(trainRun *r) {
  if (r->cfg.protocol != AG_PROTOCOL_POOL) {
    return;
  }
  if (r->terminated) {
    stop(r, "terminate");
  } else if (r->cfg.patience > 0 && r->stale >= r->cfg.patience) {
    stop(r, "patience");
  }
}

int ag_train(const agTrainConfig *cfg, agTrainProgressFn progress, void *user,
             agTrainSummary *summary, char *err, size_t errsz) {
  trainRun r;
  resumeState resumed;
  int rc;
  memset(&r, 0, sizeof r);
  memset(&resumed, 0, sizeof resumed);
  r.dir.fd = -1;
  r.dir.lockfd = -1;
  r.cfg = *cfg;
  if (cfg->out_dir == NULL) {
    tb_setErr(err, errsz, "ag_train: no run directory");
    return TB_EINVAL;
  }
  /* Everything is checked (and the LLM client made) before a file is written: a resumed
   * run's lines and optimizer state, a new run's settings before its directory is made. */
  if (cfg->resume) {
    rc = openResumed(&r, &resumed, err, errsz);
    if (rc == TB_OK) {
      rc = openRun(&r, err, errsz);
    }
    if (rc == TB_OK) {
      rc = restore(&r, &resumed, err, errsz);
    }
  } else {
    if (r.cfg.llm == NULL) {
      tb_setErr(err, errsz, "ag_train: no LLM configured");
      return TB_EINVAL;
    }
    r.cfg.rollout.task = r.cfg.task;
    /* the initial controller as it will be logged: valid UTF-8 (tb_utf8Sanitize) */
    r.initSource = strdup(r.cfg.init_source != NULL ? r.cfg.init_source : kZeroController);
    if (r.initSource == NULL || tb_utf8Sanitize(&r.initSource, NULL) != TB_OK) {
      tb_setErr(err, errsz, "out of memory");
      closeRun(&r);
      return TB_ENOMEM;
    }
    r.cfg.init_source = r.initSource;
    rc = resolveConfig(&r.cfg, err, errsz);
    if (rc == TB_OK) {
      rc = openRun(&r, err, errsz);
    }
    if (rc == TB_OK) {
      rc = ag_runDirCreate(&r.dir, cfg->out_dir, err, errsz);
    }
    /* config.json first: a kill from here on leaves a run that --resume continues */
    if (rc == TB_OK) {
      rc = writeJson(&r, AG_RUN_CONFIG, ag_runConfigJson(&r.cfg), err, errsz);
    }
  }
  snprintf(r.sum.out, sizeof r.sum.out, "%s", cfg->out_dir);
  if (rc == TB_OK) {
    rc = ag_runDirOpenLines(&r.dir, err, errsz);
  }
  /* The initial controller is tested too: an LLM's controller must beat it to be best. */
  if (rc == TB_OK) {
    rc = evalTest(&r, r.cfg.init_source, err, errsz);
  }
  if (rc == TB_OK) {
    rc = trackBest(&r, r.cfg.init_source, r.test.sum.success_rate, r.test.sum.mean_return, 0, err,
                   errsz);
  }
  if (rc == TB_OK && cfg->resume) {
    rc = restoreFiles(&r, &resumed, err, errsz);
    resumedStop(&r);
  }
  closeResume(&resumed);

  /* The loop: one complete, fsynced iteration at a time. */
  double t0 = tb_nowMs();
  if (rc == TB_OK && progress != NULL) {
    agTrainProgress start = {.iteration = 0,
                             .iters = r.cfg.iters,
                             .done_before = r.sum.iterations,
                             .tokens_total = r.sum.prompt_tokens + r.sum.completion_tokens};
    progress(user, &start);
  }
  int pool = r.cfg.protocol == AG_PROTOCOL_POOL;
  for (int it = r.sum.iterations + 1;
       rc == TB_OK && r.sum.stop_reason[0] == '\0' && it <= r.cfg.iters; it++) {
    if (pool) {
      rc = iteratePool(&r, it, t0, progress, user, err, errsz);
      continue; /* it checks the recording and the budget before its LLM call */
    }
    if (tr_llmRemaining(r.llm) == 0) {
      r.sum.replay_end = 1; /* a replayed run ends where its recording does */
      stop(&r, "replay_end");
      break;
    }
    if (r.cfg.max_tokens_total > 0 &&
        r.sum.prompt_tokens + r.sum.completion_tokens >= r.cfg.max_tokens_total) {
      r.sum.budget_stop = 1;
      stop(&r, "budget");
      break;
    }
    rc = iteratePaper(&r, it, t0, progress, user, err, errsz);
  }
  if (rc == TB_OK) {
    stop(&r, "iters");
    rc = writeJson(&r, AG_RUN_SUMMARY, ag_trainSummaryJson(&r.sum), err, errsz);
  }
  if (summary != NULL) {
    *summary = r.sum;
  }
  closeRun(&r);
  return rc;
}
