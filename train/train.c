/* The training loop: rollout -> trace graph -> feedback -> backward -> optimizer step ->
 * test evaluation -> one fsynced line in iterations.jsonl. See tracebot/train.h and train/README.md. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tracebot/agent.h"
#include "tracebot/train.h"
#include "base.h"
#include "config.h"
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
    "int step; int horizon; double obj2_pos[3]; double obj2_quat[4];} and the <math.h> "
    "functions. No other library calls, no I/O, "
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
                   "\"goal_pos\": [%.4f, %.4f, %.4f], \"step\": %d, \"horizon\": %d, "
                   "\"obj2_pos\": [%.4f, %.4f, %.4f], \"obj2_quat\": [%.4f, %.4f, %.4f, %.4f]",
                   o->hand_pos[0], o->hand_pos[1], o->hand_pos[2], o->gripper_distance_apart,
                   o->obj_pos[0], o->obj_pos[1], o->obj_pos[2], o->obj_quat[0], o->obj_quat[1],
                   o->obj_quat[2], o->obj_quat[3], o->goal_pos[0], o->goal_pos[1], o->goal_pos[2],
                   o->step, o->horizon, o->obj2_pos[0], o->obj2_pos[1], o->obj2_pos[2],
                   o->obj2_quat[0], o->obj2_quat[1], o->obj2_quat[2], o->obj2_quat[3]);
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

/* ------------------------------------------------------------- the run */

/* Test results of one controller on the test seeds. */
typedef struct testResult {
  int n;
  agEvalEpisode *eps;
  agEvalSummary sum;
} testResult;

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

/* Whether a test result (rate, mean return) beats the best (bestRate, bestMean): ties on
 * success rate go to the higher mean return. */
static int beats(double rate, double mean, double bestRate, double bestMean) {
  return rate > bestRate || (rate == bestRate && mean > bestMean);
}

/* Updates the best test result with the test of src; writes controller_best.c when it
 * improved. */
static int trackBest(trainRun *r, const char *src, double rate, double meanRet, char *err,
                     size_t errsz) {
  if (r->haveBest && !beats(rate, meanRet, r->sum.best_test_success_rate, r->bestMeanReturn)) {
    return TB_OK;
  }
  r->haveBest = 1;
  r->sum.best_test_success_rate = rate;
  r->bestMeanReturn = meanRet;
  return ag_runDirWriteFile(&r->dir, AG_RUN_BEST, src, strlen(src), err, errsz);
}

/* Writes a pretty-printed JSON object (taken) as the run's file name. */
static int writeJson(trainRun *r, const char *name, cJSON *o, char *err, size_t errsz) {
  char *text = o != NULL ? cJSON_Print(o) : NULL;
  cJSON_Delete(o);
  if (text == NULL) {
    tb_setErr(err, errsz, "out of memory writing %s", name);
    return TB_ENOMEM;
  }
  int rc = ag_runDirWriteFile(&r->dir, name, text, strlen(text), err, errsz);
  free(text);
  return rc;
}

/* ------------------------------------------------------------- resume */

/* What the finished iterations of a resumed run leave behind. */
typedef struct resumeState {
  int iterations;
  long long promptTokens, completionTokens;
  int bestTrainSuccess;
  double finalRate;
  char *bestSource; /* the best next_controller on the test seeds (first of equals) */
  double bestRate, bestMean;
  char *optimizerState; /* of the last line */
} resumeState;

/* Takes in one line of the run (an agIterationFn). */
static int resumeLine(void *user, const agIteration *it, char *err, size_t errsz) {
  resumeState *s = user;
  s->iterations = it->iteration;
  s->promptTokens += it->prompt_tokens;
  s->completionTokens += it->completion_tokens;
  s->bestTrainSuccess |= it->train.success;
  s->finalRate = it->test_success_rate;
  if (s->bestSource == NULL ||
      beats(it->test_success_rate, it->test_mean_return, s->bestRate, s->bestMean)) {
    free(s->bestSource);
    s->bestSource = strdup(it->next_controller);
    s->bestRate = it->test_success_rate;
    s->bestMean = it->test_mean_return;
  }
  free(s->optimizerState);
  s->optimizerState = strdup(it->optimizer_state);
  if (s->bestSource == NULL || s->optimizerState == NULL) {
    tb_setErr(err, errsz, "out of memory reading iteration %d", it->iteration);
    return TB_ENOMEM;
  }
  return TB_OK;
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
    rc = ag_runDirReadLines(&r->dir, resumeLine, s, NULL, err, errsz);
  }
  return rc;
}

/* Restores the optimizer, totals and best controller from the finished iterations (after
 * the initial controller's test, which the LLM's controllers must beat). */
static int restore(trainRun *r, const resumeState *s, char *err, size_t errsz) {
  r->sum.iterations = s->iterations;
  r->sum.prompt_tokens = s->promptTokens;
  r->sum.completion_tokens = s->completionTokens;
  r->sum.best_train_success = s->bestTrainSuccess;
  if (s->iterations == 0) {
    return TB_OK;
  }
  r->sum.final_test_success_rate = s->finalRate;
  int rc = trackBest(r, s->bestSource, s->bestRate, s->bestMean, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  char why[256];
  rc = tr_optimizerLoadJson(r->opt, s->optimizerState, strlen(s->optimizerState), why, sizeof why);
  if (rc != TB_OK) {
    tb_setErr(err, errsz, "%s/%s line %d: optimizer_state: %s", r->dir.path, AG_RUN_ITERATIONS,
              s->iterations, why);
    return TB_EINVAL;
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

/* Appends iteration it's line. overheadMs is the time spent tracing the episode and in
 * the optimizer step, less the LLM call. */
static int writeLine(trainRun *r, int it, const char *src, const agEpisode *ep,
                     const char *feedback, const trStepLog *log, const update *u, const char *next,
                     const char *episodeName, double elapsedS, double overheadMs, char *err,
                     size_t errsz) {
  char *state = tr_optimizerSaveJson(r->opt, err, errsz);
  if (state == NULL) {
    return TB_ENOMEM;
  }
  agIteration line = {
      .iteration = it,
      .controller = src,
      .train = {.seed = ep->seed,
                .success = ep->success,
                .ret = ep->ret,
                .nsteps = ep->nsteps,
                .fault = ep->fault},
      .feedback = feedback,
      .system = log->system,
      .user = log->user,
      .response = log->response,
      .prompt_tokens = log->prompt_tokens,
      .completion_tokens = log->completion_tokens,
      .tokens_estimated = log->tokens_estimated,
      .latency_s = log->latency_s,
      .outcome = u->outcome,
      .reason = u->reason,
      .nchanged = u->nchanged,
      .changed = u->changed,
      .next_controller = next,
      .ntest = r->test.n,
      .test = r->test.eps,
      .test_success_rate = r->test.sum.success_rate,
      .test_mean_return = r->test.sum.mean_return,
      .episode = episodeName,
      .elapsed_s = elapsedS,
      .optimizer_overhead_ms = overheadMs,
      .optimizer_state = state,
  };
  int rc = ag_runDirAppend(&r->dir, &line, err, errsz);
  free(state);
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
  snprintf(episodeName, sizeof episodeName, AG_RUN_EPISODES "/iter_%03d.json", it);
  ag_runDirPath(&r->dir, episodeName, episodePath, sizeof episodePath);
  agRolloutConfig rc0 = c->rollout;
  rc0.seed = c->train_seed;
  rc0.record_path = episodePath;
  rc = ag_rollout(r->runner, &rc0, src, strlen(src), &ep, err, errsz);
  if (rc != TB_OK) {
    goto done;
  }

  /* Trace the episode, attach the feedback, and take one optimizer step. */
  double tOpt = tb_nowMs();
  tr_resetGraph(r->graph);
  trNode *out = buildGraph(r->graph, r->code, &ep, hints && !c->mask_trace);
  fb = feedbackText(&ep, hints && c->mask_trace);
  if (out == NULL || fb == NULL) {
    tb_setErr(err, errsz, "building the trace of iteration %d: %s", it,
              tr_graphError(r->graph) != NULL ? tr_graphError(r->graph) : "out of memory");
    rc = TB_ENOMEM;
    goto done;
  }
  rc = tr_backward(r->graph, out, fb, err, errsz);
  if (rc < 0) {
    goto done; /* the trace core's code, cause kept */
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
    rc = trc; /* TB_ENOFEEDBACK, TB_EINVAL, TB_ENOMEM: the cause kept */
    goto done;
  }
  r->sum.prompt_tokens += log.prompt_tokens;
  r->sum.completion_tokens += log.completion_tokens;
  double overheadMs = tb_nowMs() - tOpt - log.latency_s * 1e3;

  /* A suggestion the sandbox would refuse is an unusable answer, not a dead run: the
   * controller goes back to src, and the line says why. */
  update u = {log.outcome, log.reason, log.nchanged, (const char *const *)log.changed};
  char refused[160];
  size_t nextLen = strlen(tr_paramText(r->code));
  if (nextLen > AG_SOURCE_MAX) {
    rc = tr_setText(r->code, src, err, errsz);
    if (rc != TB_OK) {
      goto done;
    }
    snprintf(refused, sizeof refused,
             "the suggested controller is %zu bytes, more than the %d the sandbox takes", nextLen,
             AG_SOURCE_MAX);
    u = (update){TR_OUTCOME_UNUSABLE, refused, 0, NULL};
  }

  /* Test the updated controller, then log the iteration and refresh the files. */
  const char *next = tr_paramText(r->code);
  rc = evalTest(r, next, err, errsz);
  if (rc == TB_OK) {
    rc = writeLine(r, it, src, &ep, fb, &log, &u, next, episodeName, (tb_nowMs() - t0) / 1e3,
                   overheadMs, err, errsz);
  }
  if (rc == TB_OK) {
    rc = ag_runDirWriteFile(&r->dir, AG_RUN_FINAL, next, strlen(next), err, errsz);
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
  rc = writeJson(r, AG_RUN_SUMMARY, ag_trainSummaryJson(&r->sum), err, errsz);
  if (rc == TB_OK && progress != NULL) {
    agTrainProgress p = {
        .iteration = it,
        .iters = c->iters,
        .train_success = ep.success,
        .train_return = ep.ret,
        .train_fault = ep.fault.kind != AG_FT_NONE ? ag_faultName(ep.fault.kind) : NULL,
        .test_success_rate = r->test.sum.success_rate,
        .test_mean_return = r->test.sum.mean_return,
        .outcome = ag_outcomeName(u.outcome),
        .tokens = log.prompt_tokens + log.completion_tokens,
        .tokens_total = r->sum.prompt_tokens + r->sum.completion_tokens,
        .elapsed_s = (tb_nowMs() - t0) / 1e3,
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
  resumeState resumed;
  int rc;
  memset(&r, 0, sizeof r);
  memset(&resumed, 0, sizeof resumed);
  r.dir.fd = -1;
  r.cfg = *cfg;
  if (cfg->out_dir == NULL) {
    tb_setErr(err, errsz, "ag_train: no run directory");
    return TB_EINVAL;
  }
  /* Everything is checked (and the LLM client made) before a new run directory is. */
  if (cfg->resume) {
    rc = openResumed(&r, &resumed, err, errsz);
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
    rc = restore(&r, &resumed, err, errsz);
    /* A recorded LLM (replay:) answers iteration k with its k-th response. */
    if (rc == TB_OK) {
      rc = tr_llmSkip(r.llm, (size_t)r.sum.iterations, err, errsz);
    }
  } else if (rc == TB_OK) {
    rc = writeJson(&r, AG_RUN_CONFIG, ag_runConfigJson(&r.cfg), err, errsz);
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
    rc = writeJson(&r, AG_RUN_SUMMARY, ag_trainSummaryJson(&r.sum), err, errsz);
  }
  if (summary != NULL) {
    *summary = r.sum;
  }
  closeRun(&r);
  return rc;
}
