/* runlog: the run directory and its formats (see runlog.h and README.md). */
#define _DEFAULT_SOURCE /* flock */
#include "runlog.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

#define MAX_SEED 9007199254740992.0 /* 2^53: larger integers do not survive a double */
#define MAX_TOKENS 1e18

/* ------------------------------------------------------------- files */

int ag_runPath(const char *dir, const char *name, char *out, size_t outsz, char *err,
               size_t errsz) {
  int n = snprintf(out, outsz, "%s/%s", dir, name);
  if (n < 0 || (size_t)n >= outsz) {
    tb_setErr(err, errsz, "path too long: %.64s.../%s", dir, name);
    return TB_EINVAL;
  }
  return TB_OK;
}

int ag_runReadJson(const char *dir, const char *name, cJSON **out, char *err, size_t errsz) {
  char path[PATH_MAX];
  *out = NULL;
  int rc = ag_runPath(dir, name, path, sizeof path, err, errsz);
  if (rc != TB_OK) {
    return TB_EIO;
  }
  size_t n = 0;
  char *text = tb_readFile(path, AG_RUN_JSON_MAX, &n, err, errsz);
  if (text == NULL) {
    return TB_EIO;
  }
  cJSON *o = cJSON_ParseWithLengthOpts(text, n, NULL, 0);
  free(text);
  if (!cJSON_IsObject(o)) {
    cJSON_Delete(o);
    tb_setErr(err, errsz, "%s is not a JSON object", path);
    return TB_EFORMAT;
  }
  *out = o;
  return TB_OK;
}

/* ------------------------------------------------------------- checked members */

/* Where a member is being read, for messages; the first problem is kept. */
typedef struct reader {
  const char *file;
  int line; /* 0: a whole-file JSON object */
  char *err;
  size_t errsz;
  int rc;
} reader;

static void bad(reader *r, const char *prefix, const char *key, const char *what) {
  if (r->rc != TB_OK) {
    return;
  }
  if (r->line > 0) {
    tb_setErr(r->err, r->errsz, "%s line %d: %s%s: %s", r->file, r->line, prefix, key, what);
  } else {
    tb_setErr(r->err, r->errsz, "%s: %s%s: %s", r->file, prefix, key, what);
  }
  r->rc = TB_EFORMAT;
}

static void outOfMemory(reader *r) {
  if (r->rc == TB_OK) {
    tb_setErr(r->err, r->errsz, "%s line %d: out of memory", r->file, r->line);
    r->rc = TB_ENOMEM;
  }
}

/* calloc, with running out of memory as the reader's error. */
static void *readerAlloc(reader *r, size_t n, size_t size) {
  void *p = calloc(n, size);
  if (p == NULL) {
    outOfMemory(r);
  }
  return p;
}

/* The number o[key] when it is one, finite and in [lo, hi]; else -1. */
static int numberIn(const cJSON *o, const char *key, double lo, double hi, double *out) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsNumber(it) || !(it->valuedouble >= lo && it->valuedouble <= hi)) {
    return -1;
  }
  *out = it->valuedouble;
  return 0;
}

/* The string o[key], or NULL when absent or not a string. */
static const char *stringOf(const cJSON *o, const char *key) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(it) ? it->valuestring : NULL;
}

static const cJSON *member(reader *r, const cJSON *o, const char *prefix, const char *key) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
  if (it == NULL) {
    bad(r, prefix, key, "missing");
  }
  return it;
}

/* A required finite number in [lo, hi] (infinite bounds: any finite number); an integer
 * when integral. 0 after a problem. */
static double number(reader *r, const cJSON *o, const char *prefix, const char *key, double lo,
                     double hi, int integral) {
  const cJSON *it = member(r, o, prefix, key);
  if (it == NULL) {
    return 0;
  }
  double v = it->valuedouble;
  if (!cJSON_IsNumber(it) || !isfinite(v) || v < lo || v > hi || (integral && v != floor(v))) {
    char what[96];
    if (isfinite(lo) && isfinite(hi)) {
      snprintf(what, sizeof what, "expected %s from %.17g to %.17g",
               integral ? "an integer" : "a number", lo, hi);
    } else {
      snprintf(what, sizeof what, "expected a finite number");
    }
    bad(r, prefix, key, what);
    return 0;
  }
  return v;
}

/* A required string ("" after a problem). */
static const char *string(reader *r, const cJSON *o, const char *prefix, const char *key) {
  const cJSON *it = member(r, o, prefix, key);
  if (it != NULL && !cJSON_IsString(it)) {
    bad(r, prefix, key, "expected a string");
  }
  return cJSON_IsString(it) ? it->valuestring : "";
}

static int boolean(reader *r, const cJSON *o, const char *prefix, const char *key) {
  const cJSON *it = member(r, o, prefix, key);
  if (it != NULL && !cJSON_IsBool(it)) {
    bad(r, prefix, key, "expected true or false");
  }
  return cJSON_IsTrue(it);
}

/* A required object (NULL after a problem). */
static const cJSON *object(reader *r, const cJSON *o, const char *prefix, const char *key) {
  const cJSON *it = member(r, o, prefix, key);
  if (it != NULL && !cJSON_IsObject(it)) {
    bad(r, prefix, key, "expected an object");
  }
  return cJSON_IsObject(it) ? it : NULL;
}

/* A required array of n items (n < 0: any length); NULL after a problem. */
static const cJSON *array(reader *r, const cJSON *o, const char *prefix, const char *key, int n) {
  const cJSON *it = member(r, o, prefix, key);
  if (it != NULL && !cJSON_IsArray(it)) {
    bad(r, prefix, key, "expected an array");
    return NULL;
  }
  if (it != NULL && n >= 0 && cJSON_GetArraySize(it) != n) {
    char what[64];
    snprintf(what, sizeof what, "expected %d items", n);
    bad(r, prefix, key, what);
    return NULL;
  }
  return it;
}

/* A fault kind name other than "none" (AG_FT_NONE after a problem). */
static agFaultType faultKind(reader *r, const char *name, const char *prefix, const char *key) {
  int kind = ag_faultLookup(name);
  if (kind <= AG_FT_NONE) {
    bad(r, prefix, key, "unknown fault kind");
    return AG_FT_NONE;
  }
  return (agFaultType)kind;
}

/* ------------------------------------------------------------- iterations.jsonl */

static const char *const kOutcomeNames[] = {
    [TR_OUTCOME_NONE] = "none",
    [TR_OUTCOME_UPDATED] = "updated",
    [TR_OUTCOME_NO_CHANGE] = "no_change",
    [TR_OUTCOME_UNUSABLE] = "unusable",
};
#define NOUTCOMES (int)(sizeof kOutcomeNames / sizeof kOutcomeNames[0])

const char *ag_outcomeName(trOutcome outcome) {
  return (int)outcome > 0 && (int)outcome < NOUTCOMES ? kOutcomeNames[outcome] : "none";
}

struct agIterationStore {
  cJSON *json;          /* the parsed line: the strings point into it */
  agEvalEpisode *test;  /* test[0..ntest) */
  const char **changed; /* changed[0..nchanged) */
  char *optimizerState; /* compact */
};

static cJSON *episodeJson(const agEvalEpisode *ep) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "seed", (double)ep->seed);
  cJSON_AddBoolToObject(o, "success", ep->success);
  cJSON_AddNumberToObject(o, "return", ep->ret);
  cJSON_AddNumberToObject(o, "steps", ep->nsteps);
  cJSON_AddItemToObject(o, "fault", ag_faultJson(&ep->fault));
  return o;
}

static cJSON *testJson(const agIteration *it) {
  cJSON *o = cJSON_CreateObject();
  cJSON *seeds = cJSON_AddArrayToObject(o, "seeds");
  cJSON *succ = cJSON_AddArrayToObject(o, "success");
  cJSON *ret = cJSON_AddArrayToObject(o, "return");
  cJSON *faults = cJSON_AddArrayToObject(o, "faults");
  for (int i = 0; i < it->ntest; i++) {
    const agEvalEpisode *ep = &it->test[i];
    cJSON_AddItemToArray(seeds, cJSON_CreateNumber((double)ep->seed));
    cJSON_AddItemToArray(succ, cJSON_CreateBool(ep->success));
    cJSON_AddItemToArray(ret, cJSON_CreateNumber(ep->ret));
    cJSON_AddItemToArray(faults, ep->fault.kind == AG_FT_NONE
                                     ? cJSON_CreateNull()
                                     : cJSON_CreateString(ag_faultName(ep->fault.kind)));
  }
  cJSON_AddNumberToObject(o, "success_rate", it->test_success_rate);
  cJSON_AddNumberToObject(o, "mean_return", it->test_mean_return);
  return o;
}

char *ag_iterationText(const agIteration *it, char *err, size_t errsz) {
  cJSON *state = it->optimizer_state != NULL ? cJSON_Parse(it->optimizer_state) : NULL;
  if (!cJSON_IsObject(state)) {
    cJSON_Delete(state);
    tb_setErr(err, errsz, "iteration %d: the optimizer state is not a JSON object", it->iteration);
    return NULL;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "iteration", it->iteration);
  cJSON_AddStringToObject(o, "controller", it->controller);
  cJSON_AddItemToObject(o, "train", episodeJson(&it->train));
  cJSON_AddStringToObject(o, "feedback", it->feedback);
  cJSON_AddStringToObject(o, "system", it->system != NULL ? it->system : "");
  cJSON_AddStringToObject(o, "user", it->user != NULL ? it->user : "");
  cJSON_AddStringToObject(o, "response", it->response != NULL ? it->response : "");
  cJSON_AddNumberToObject(o, "prompt_tokens", (double)it->prompt_tokens);
  cJSON_AddNumberToObject(o, "completion_tokens", (double)it->completion_tokens);
  cJSON_AddBoolToObject(o, "tokens_estimated", it->tokens_estimated);
  cJSON_AddNumberToObject(o, "latency_s", it->latency_s);
  cJSON *upd = cJSON_AddObjectToObject(o, "update");
  cJSON_AddStringToObject(upd, "outcome", ag_outcomeName(it->outcome));
  cJSON_AddStringToObject(upd, "reason", it->reason != NULL ? it->reason : "");
  cJSON *changed = cJSON_AddArrayToObject(upd, "changed");
  for (int i = 0; i < it->nchanged; i++) {
    cJSON_AddItemToArray(changed, cJSON_CreateString(it->changed[i]));
  }
  cJSON_AddStringToObject(o, "next_controller", it->next_controller);
  cJSON_AddItemToObject(o, "test", testJson(it));
  cJSON_AddStringToObject(o, "episode", it->episode);
  cJSON_AddNumberToObject(o, "elapsed_s", it->elapsed_s);
  cJSON_AddNumberToObject(o, "optimizer_overhead_ms", it->optimizer_overhead_ms);
  cJSON_AddItemToObject(o, "optimizer_state", state);
  char *text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (text == NULL) {
    tb_setErr(err, errsz, "out of memory writing iteration %d", it->iteration);
  }
  return text;
}

/* Reads the training episode object (seed, success, return, steps, fault). */
static void readEpisode(reader *r, const cJSON *o, agEvalEpisode *ep) {
  ep->seed = (uint64_t)number(r, o, "train.", "seed", 0, MAX_SEED, 1);
  ep->success = boolean(r, o, "train.", "success");
  ep->ret = number(r, o, "train.", "return", -HUGE_VAL, HUGE_VAL, 0);
  ep->nsteps = (int)number(r, o, "train.", "steps", 0, INT_MAX, 1);
  const cJSON *fault = member(r, o, "train.", "fault");
  if (fault == NULL || cJSON_IsNull(fault)) {
    return;
  }
  if (!cJSON_IsObject(fault)) {
    bad(r, "train.", "fault", "expected null or an object");
    return;
  }
  ep->fault.kind = faultKind(r, string(r, fault, "train.fault.", "kind"), "train.fault.", "kind");
  snprintf(ep->fault.message, sizeof ep->fault.message, "%s",
           string(r, fault, "train.fault.", "message"));
  ep->fault.step = (int)number(r, fault, "train.fault.", "step", INT_MIN, INT_MAX, 1);
  if (ep->fault.kind == AG_FT_COMPILE) {
    ep->fault.line = (int)number(r, fault, "train.fault.", "line", 0, INT_MAX, 1);
  }
}

/* Reads the test object: per-episode arrays of one length, then the totals. */
static void readTest(reader *r, const cJSON *o, agIteration *it) {
  const cJSON *seeds = array(r, o, "test.", "seeds", -1);
  int n = seeds != NULL ? cJSON_GetArraySize(seeds) : 0;
  const cJSON *succ = array(r, o, "test.", "success", n);
  const cJSON *ret = array(r, o, "test.", "return", n);
  const cJSON *faults = array(r, o, "test.", "faults", n);
  it->test_success_rate = number(r, o, "test.", "success_rate", 0, 1, 0);
  it->test_mean_return = number(r, o, "test.", "mean_return", -HUGE_VAL, HUGE_VAL, 0);
  if (r->rc != TB_OK || n == 0) {
    return;
  }
  agEvalEpisode *eps = readerAlloc(r, (size_t)n, sizeof *eps);
  if (eps == NULL) {
    return;
  }
  it->store->test = eps;
  it->test = eps;
  it->ntest = n;
  for (int i = 0; i < n && r->rc == TB_OK; i++) {
    char key[48];
    const cJSON *s = cJSON_GetArrayItem(seeds, i);
    const cJSON *ok = cJSON_GetArrayItem(succ, i);
    const cJSON *rv = cJSON_GetArrayItem(ret, i);
    const cJSON *f = cJSON_GetArrayItem(faults, i);
    if (!cJSON_IsNumber(s) || !(s->valuedouble >= 0 && s->valuedouble <= MAX_SEED) ||
        s->valuedouble != floor(s->valuedouble)) {
      snprintf(key, sizeof key, "seeds[%d]", i);
      bad(r, "test.", key, "expected a seed (an integer from 0 to 2^53)");
    } else if (!cJSON_IsBool(ok)) {
      snprintf(key, sizeof key, "success[%d]", i);
      bad(r, "test.", key, "expected true or false");
    } else if (!cJSON_IsNumber(rv) || !isfinite(rv->valuedouble)) {
      snprintf(key, sizeof key, "return[%d]", i);
      bad(r, "test.", key, "expected a finite number");
    } else if (!cJSON_IsNull(f) && !cJSON_IsString(f)) {
      snprintf(key, sizeof key, "faults[%d]", i);
      bad(r, "test.", key, "expected null or a fault kind");
    } else {
      eps[i].seed = (uint64_t)s->valuedouble;
      eps[i].success = cJSON_IsTrue(ok);
      eps[i].ret = rv->valuedouble;
      snprintf(key, sizeof key, "faults[%d]", i);
      eps[i].fault.kind = cJSON_IsNull(f) ? AG_FT_NONE : faultKind(r, f->valuestring, "test.", key);
    }
  }
}

/* Reads the update object: outcome, reason, changed. */
static void readUpdate(reader *r, const cJSON *o, agIteration *it) {
  const char *outcome = string(r, o, "update.", "outcome");
  int found = 0;
  for (int i = 0; i < NOUTCOMES; i++) {
    if (strcmp(outcome, kOutcomeNames[i]) == 0) {
      it->outcome = (trOutcome)i;
      found = 1;
    }
  }
  if (!found) {
    bad(r, "update.", "outcome", "expected updated, no_change, unusable or none");
  }
  it->reason = string(r, o, "update.", "reason");
  const cJSON *changed = array(r, o, "update.", "changed", -1);
  int n = changed != NULL ? cJSON_GetArraySize(changed) : 0;
  if (r->rc != TB_OK || n == 0) {
    return;
  }
  const char **names = readerAlloc(r, (size_t)n, sizeof *names);
  if (names == NULL) {
    return;
  }
  it->store->changed = names;
  it->changed = names;
  it->nchanged = n;
  for (int i = 0; i < n; i++) {
    const cJSON *name = cJSON_GetArrayItem(changed, i);
    if (!cJSON_IsString(name)) {
      char key[48];
      snprintf(key, sizeof key, "changed[%d]", i);
      bad(r, "update.", key, "expected a string");
      return;
    }
    names[i] = name->valuestring;
  }
}

/* Whether text[0..len) holds only JSON whitespace. */
static int onlySpace(const char *text, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n') {
      return 0;
    }
  }
  return 1;
}

int ag_iterationParse(const char *text, size_t len, const char *file, int lineNo, agIteration *it,
                      char *err, size_t errsz) {
  memset(it, 0, sizeof *it);
  reader r = {file, lineNo, err, errsz, TB_OK};
  it->store = readerAlloc(&r, 1, sizeof *it->store);
  if (it->store == NULL) {
    return r.rc;
  }
  const char *end = NULL;
  cJSON *o = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  it->store->json = o;
  if (!cJSON_IsObject(o) || !onlySpace(end, len - (size_t)(end - text))) {
    tb_setErr(err, errsz, "%s line %d: not a JSON object", file, lineNo);
    return TB_EFORMAT;
  }
  it->iteration = (int)number(&r, o, "", "iteration", 1, INT_MAX, 1);
  if (r.rc == TB_OK && it->iteration != lineNo) {
    char what[64];
    snprintf(what, sizeof what, "expected %d (the line number), found %d", lineNo, it->iteration);
    bad(&r, "", "iteration", what);
  }
  it->controller = string(&r, o, "", "controller");
  const cJSON *train = object(&r, o, "", "train");
  if (train != NULL) {
    readEpisode(&r, train, &it->train);
  }
  it->feedback = string(&r, o, "", "feedback");
  it->system = string(&r, o, "", "system");
  it->user = string(&r, o, "", "user");
  it->response = string(&r, o, "", "response");
  it->prompt_tokens = (long long)number(&r, o, "", "prompt_tokens", 0, MAX_TOKENS, 1);
  it->completion_tokens = (long long)number(&r, o, "", "completion_tokens", 0, MAX_TOKENS, 1);
  it->tokens_estimated = boolean(&r, o, "", "tokens_estimated");
  it->latency_s = number(&r, o, "", "latency_s", -HUGE_VAL, HUGE_VAL, 0);
  const cJSON *update = object(&r, o, "", "update");
  if (update != NULL) {
    readUpdate(&r, update, it);
  }
  it->next_controller = string(&r, o, "", "next_controller");
  const cJSON *test = object(&r, o, "", "test");
  if (test != NULL) {
    readTest(&r, test, it);
  }
  it->episode = string(&r, o, "", "episode");
  it->elapsed_s = number(&r, o, "", "elapsed_s", -HUGE_VAL, HUGE_VAL, 0);
  it->optimizer_overhead_ms = number(&r, o, "", "optimizer_overhead_ms", -HUGE_VAL, HUGE_VAL, 0);
  const cJSON *state = object(&r, o, "", "optimizer_state");
  if (r.rc == TB_OK) {
    it->store->optimizerState = cJSON_PrintUnformatted(state);
    it->optimizer_state = it->store->optimizerState;
    if (it->optimizer_state == NULL) {
      outOfMemory(&r);
    }
  }
  return r.rc;
}

void ag_iterationClose(agIteration *it) {
  if (it == NULL) {
    return;
  }
  if (it->store != NULL) {
    cJSON_Delete(it->store->json);
    free(it->store->test);
    free(it->store->changed);
    free(it->store->optimizerState);
    free(it->store);
  }
  memset(it, 0, sizeof *it);
}

int ag_iterationsRead(const char *path, agIterationFn fn, void *user, agIterationsInfo *info,
                      char *err, size_t errsz) {
  agIterationsInfo local;
  if (info == NULL) {
    info = &local;
  }
  memset(info, 0, sizeof *info);
  size_t n = 0;
  char *text = tb_readFile(path, AG_RUN_LINES_MAX, &n, err, errsz);
  if (text == NULL) {
    return TB_EIO;
  }
  int rc = TB_OK;
  for (size_t at = 0; rc == TB_OK && at < n;) {
    const char *nl = memchr(text + at, '\n', n - at);
    if (nl == NULL) {
      info->torn = 1; /* the iteration in flight when the trainer stopped */
      break;
    }
    size_t end = (size_t)(nl - text);
    agIteration it;
    rc = ag_iterationParse(text + at, end - at, path, info->lines + 1, &it, err, errsz);
    if (rc == TB_OK && fn != NULL) {
      rc = fn(user, &it, err, errsz);
    }
    ag_iterationClose(&it);
    if (rc == TB_OK) {
      info->lines++;
      info->complete = end + 1;
    }
    at = end + 1;
  }
  free(text);
  return rc;
}

/* ------------------------------------------------------------- config.json and summary.json */

static const char *modeName(envMode m) {
  return m == ENV_ABSOLUTE ? "absolute" : "relative";
}

static const char *hintsName(envHints h) {
  return h == ENV_HINTS_NONE ? "none" : "expert";
}

cJSON *ag_runConfigJson(const agTrainConfig *c) {
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

int ag_runConfigRead(const cJSON *o, agTrainConfig *c, char *err, size_t errsz) {
  reader r = {AG_RUN_CONFIG, 0, err, errsz, TB_OK};
  /* what the experiment is */
  const char *s = stringOf(o, "task");
  int task = s != NULL ? env_lookup(s) : -1;
  if (task < 0) {
    bad(&r, "", "task", "missing or not a task name");
    return r.rc;
  }
  c->task = (envTaskId)task;
  c->rollout.task = c->task;
  s = stringOf(o, "optimizer");
  if (s == NULL || (strcmp(s, "opro") != 0 && strcmp(s, "optoprime") != 0)) {
    bad(&r, "", "optimizer", "missing or not opro or optoprime");
    return r.rc;
  }
  c->optimizer = strcmp(s, "opro") == 0 ? TR_OPRO : TR_OPTOPRIME;
  s = stringOf(o, "mask");
  c->mask_trace = s != NULL && strcmp(s, "trace") == 0;
  s = stringOf(o, "mode");
  c->rollout.env.mode = s != NULL && strcmp(s, "absolute") == 0 ? ENV_ABSOLUTE : ENV_RELATIVE;
  s = stringOf(o, "hints");
  c->rollout.env.hints = s != NULL && strcmp(s, "none") == 0 ? ENV_HINTS_NONE : ENV_HINTS_EXPERT;
  c->memory = (int)number(&r, o, "", "memory", 0, 1000, 0);
  if (c->iters <= 0) {
    c->iters = (int)number(&r, o, "", "iters", 1, 100000, 0);
  }
  c->rollout.env.horizon = (int)number(&r, o, "", "horizon", 1, 10000, 0);
  c->train_seed = (uint64_t)number(&r, o, "", "train_seed", 0, MAX_SEED, 0);
  c->jobs = (int)number(&r, o, "", "jobs", 1, 256, 0);
  if (c->max_tokens_total < 0) {
    c->max_tokens_total = (long long)number(&r, o, "", "max_tokens_total", 0, MAX_TOKENS, 0);
  }
  if (r.rc != TB_OK) {
    return r.rc;
  }
  /* the sandbox limits: each optional */
  const cJSON *lim = cJSON_GetObjectItemCaseSensitive(o, "limits");
  double v;
  if (numberIn(lim, "episode_wall_s", 0.001, 1e6, &v) == 0) {
    c->rollout.limits.episode_wall_s = v;
  }
  if (numberIn(lim, "call_ms", 0, 1e9, &v) == 0) {
    c->rollout.limits.call_ms = (int)v;
  }
  if (numberIn(lim, "compile_ms", 1, 1e9, &v) == 0) {
    c->rollout.limits.compile_ms = (int)v;
  }
  if (numberIn(lim, "memory_mib", 1, 1e6, &v) == 0) {
    c->rollout.limits.memory_mib = (int)v;
  }
  /* the test seeds, the initial controller and the LLM */
  s = stringOf(o, "test_seeds");
  if (s == NULL || ag_parseSeedRange(s, &c->test_begin, &c->test_end, NULL, 0) != TB_OK) {
    bad(&r, "", "test_seeds", "missing or not a seed range");
    return r.rc;
  }
  c->init_source = stringOf(o, "init_source");
  if (c->llm == NULL) {
    c->llm = stringOf(o, "llm");
    if (c->llm == NULL) {
      bad(&r, "", "llm", "missing");
    }
  }
  return r.rc;
}

cJSON *ag_trainSummaryJson(const agTrainSummary *s) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "out", s->out);
  cJSON_AddNumberToObject(o, "iterations", s->iterations);
  cJSON_AddBoolToObject(o, "best_train_success", s->best_train_success);
  cJSON_AddNumberToObject(o, "final_test_success_rate", s->final_test_success_rate);
  cJSON_AddNumberToObject(o, "best_test_success_rate", s->best_test_success_rate);
  cJSON_AddNumberToObject(o, "prompt_tokens", (double)s->prompt_tokens);
  cJSON_AddNumberToObject(o, "completion_tokens", (double)s->completion_tokens);
  cJSON_AddBoolToObject(o, "budget_stop", s->budget_stop);
  cJSON_AddBoolToObject(o, "replay_end", s->replay_end);
  return o;
}

/* ------------------------------------------------------------- the directory */

void ag_runDirPath(const agRunDir *d, const char *name, char *out, size_t outsz) {
  snprintf(out, outsz, "%s/%s", d->path, name);
}

/* mkdir -p. */
static int makeDirs(const char *path, char *err, size_t errsz) {
  char tmp[PATH_MAX];
  if (path[0] == '\0' || snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
    tb_setErr(err, errsz, "bad run directory path: \"%.64s\"", path);
    return TB_EIO;
  }
  for (char *p = tmp + 1; *p != '\0'; p++) {
    if (*p == '/') {
      *p = '\0';
      if (mkdir(tmp, 0777) != 0 && errno != EEXIST) {
        tb_setErr(err, errsz, "cannot create %s: %s", tmp, strerror(errno));
        return TB_EIO;
      }
      *p = '/';
    }
  }
  if (mkdir(tmp, 0777) != 0 && errno != EEXIST) {
    tb_setErr(err, errsz, "cannot create %s: %s", tmp, strerror(errno));
    return TB_EIO;
  }
  return TB_OK;
}

/* Sets d->path and makes path/episodes. */
static int makeRun(agRunDir *d, const char *path, char *err, size_t errsz) {
  d->fd = -1;
  if (snprintf(d->path, sizeof d->path, "%s", path) >= (int)sizeof d->path) {
    tb_setErr(err, errsz, "run directory path too long: %s", path);
    return TB_EIO;
  }
  char p[PATH_MAX + 32];
  ag_runDirPath(d, AG_RUN_EPISODES, p, sizeof p);
  return makeDirs(p, err, errsz);
}

/* Opens iterations.jsonl for appending and takes the run: one trainer per run directory. */
static int openLines(agRunDir *d, char *err, size_t errsz) {
  char p[PATH_MAX + 32];
  ag_runDirPath(d, AG_RUN_ITERATIONS, p, sizeof p);
  d->fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (d->fd < 0) {
    tb_setErr(err, errsz, "cannot open %s: %s", p, strerror(errno));
    return TB_EIO;
  }
  if (flock(d->fd, LOCK_EX | LOCK_NB) != 0) {
    tb_setErr(err, errsz, "%s is in use by another trainer", d->path);
    ag_runDirClose(d);
    return TB_EINVAL;
  }
  return TB_OK;
}

int ag_runDirCreate(agRunDir *d, const char *path, char *err, size_t errsz) {
  char p[PATH_MAX + 32];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", path, AG_RUN_ITERATIONS);
  if (stat(p, &st) == 0 && st.st_size > 0) {
    d->fd = -1;
    tb_setErr(err, errsz, "%s already holds a run: use --resume %s or another --out", path, path);
    return TB_EINVAL;
  }
  int rc = makeRun(d, path, err, errsz);
  return rc == TB_OK ? openLines(d, err, errsz) : rc;
}

int ag_runDirResume(agRunDir *d, const char *path, cJSON **config, char *err, size_t errsz) {
  *config = NULL;
  d->fd = -1;
  /* no readable config.json object: not a run directory (bad input) */
  if (ag_runReadJson(path, AG_RUN_CONFIG, config, err, errsz) != TB_OK) {
    return TB_EINVAL;
  }
  int rc = makeRun(d, path, err, errsz);
  if (rc == TB_OK) {
    rc = openLines(d, err, errsz);
  }
  if (rc != TB_OK) {
    cJSON_Delete(*config);
    *config = NULL;
  }
  return rc;
}

int ag_runDirReadLines(agRunDir *d, agIterationFn fn, void *user, agIterationsInfo *info, char *err,
                       size_t errsz) {
  agIterationsInfo local;
  if (info == NULL) {
    info = &local;
  }
  char p[PATH_MAX + 32];
  ag_runDirPath(d, AG_RUN_ITERATIONS, p, sizeof p);
  int rc = ag_iterationsRead(p, fn, user, info, err, errsz);
  if (rc == TB_OK && info->torn && ftruncate(d->fd, (off_t)info->complete) != 0) {
    tb_setErr(err, errsz, "cannot cut the partial last line of %s: %s", p, strerror(errno));
    return TB_EIO;
  }
  return rc;
}

int ag_runDirAppend(agRunDir *d, const agIteration *it, char *err, size_t errsz) {
  char *text = ag_iterationText(it, err, errsz);
  if (text == NULL) {
    return TB_ENOMEM;
  }
  /* the terminator's byte becomes the newline */
  size_t n = strlen(text);
  text[n] = '\n';
  /* one write, so that a crash leaves at most one partial line */
  int bad = tb_writeAll(d->fd, text, n + 1) != 0 || fsync(d->fd) != 0;
  free(text);
  if (bad) {
    tb_setErr(err, errsz, "cannot append to %s/%s: %s", d->path, AG_RUN_ITERATIONS,
              strerror(errno));
    return TB_EIO;
  }
  return TB_OK;
}

int ag_runDirWriteFile(const agRunDir *d, const char *name, const char *data, size_t n, char *err,
                       size_t errsz) {
  char p[PATH_MAX + 64];
  int rc = ag_runPath(d->path, name, p, sizeof p, err, errsz);
  return rc == TB_OK ? tb_writeFileAtomic(p, data, n, err, errsz) : rc;
}

void ag_runDirClose(agRunDir *d) {
  if (d->fd >= 0) {
    close(d->fd);
    d->fd = -1;
  }
}
