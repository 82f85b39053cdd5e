/* runlog: the run directory and its formats (see runlog.h and README.md). */
#define _DEFAULT_SOURCE /* flock */
#include "jsonread.h"
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
  char *text = tb_readFileNoFollow(path, AG_RUN_JSON_MAX, &n, err, errsz);
  if (text == NULL) {
    return TB_EIO;
  }
  /* read back under the rule it was written with: text that is not UTF-8 is U+FFFD */
  if (tb_utf8Sanitize(&text, &n) != TB_OK) {
    free(text);
    tb_setErr(err, errsz, "%s: out of memory", path);
    return TB_ENOMEM;
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

static agFaultType faultKind(agJsonReader *r, const char *name, const char *prefix,
                             const char *key) {
  int kind = ag_faultLookup(name);
  if (kind <= AG_FT_NONE) {
    ag_jsonBad(r, prefix, key, "unknown fault kind");
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
  cJSON *pool = cJSON_AddObjectToObject(o, "pool");
  cJSON_AddNumberToObject(pool, "starts", it->pool_starts);
  cJSON_AddNumberToObject(pool, "successes", it->pool_successes);
  cJSON_AddStringToObject(o, "feedback", it->feedback);
  cJSON_AddStringToObject(o, "system", it->system != NULL ? it->system : "");
  cJSON_AddStringToObject(o, "user", it->user != NULL ? it->user : "");
  if (it->response != NULL) {
    cJSON_AddStringToObject(o, "response", it->response);
  } else {
    cJSON_AddNullToObject(o, "response");
  }
  cJSON_AddNumberToObject(o, "prompt_tokens", (double)it->prompt_tokens);
  cJSON_AddNumberToObject(o, "completion_tokens", (double)it->completion_tokens);
  cJSON_AddBoolToObject(o, "tokens_estimated", it->tokens_estimated);
  cJSON_AddNumberToObject(o, "latency_s", it->latency_s);
  cJSON *upd = cJSON_AddObjectToObject(o, "update");
  cJSON_AddStringToObject(upd, "outcome", ag_outcomeName(it->outcome));
  cJSON_AddStringToObject(upd, "reason", it->reason != NULL ? it->reason : "");
  cJSON_AddBoolToObject(upd, "terminate", it->terminate);
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
  if (text == NULL || tb_utf8Sanitize(&text, NULL) != TB_OK) {
    free(text);
    tb_setErr(err, errsz, "out of memory writing iteration %d", it->iteration);
    return NULL;
  }
  return text;
}

/* Reads the training episode object (seed, success, return, steps, fault). */
static void readEpisode(agJsonReader *r, const cJSON *o, agEvalEpisode *ep) {
  ep->seed = (uint64_t)ag_jsonNumber(r, o, "train.", "seed", 0, AG_JSON_MAX_INTEGER, 1);
  ep->success = ag_jsonBool(r, o, "train.", "success");
  ep->ret = ag_jsonNumber(r, o, "train.", "return", -HUGE_VAL, HUGE_VAL, 0);
  ep->nsteps = (int)ag_jsonNumber(r, o, "train.", "steps", 0, INT_MAX, 1);
  const cJSON *fault = ag_jsonMember(r, o, "train.", "fault");
  if (fault == NULL || cJSON_IsNull(fault)) {
    return;
  }
  if (!cJSON_IsObject(fault)) {
    ag_jsonBad(r, "train.", "fault", "expected null or an object");
    return;
  }
  ep->fault.kind =
      faultKind(r, ag_jsonString(r, fault, "train.fault.", "kind"), "train.fault.", "kind");
  snprintf(ep->fault.message, sizeof ep->fault.message, "%s",
           ag_jsonString(r, fault, "train.fault.", "message"));
  ep->fault.step = (int)ag_jsonNumber(r, fault, "train.fault.", "step", INT_MIN, INT_MAX, 1);
  if (ep->fault.kind == AG_FT_COMPILE) {
    ep->fault.line = (int)ag_jsonNumber(r, fault, "train.fault.", "line", 0, INT_MAX, 1);
  }
}

/* Reads the test object: per-episode arrays of one length, then the totals. */
static void readTest(agJsonReader *r, const cJSON *o, agIteration *it) {
  const cJSON *seeds = ag_jsonArray(r, o, "test.", "seeds", -1);
  int n = seeds != NULL ? cJSON_GetArraySize(seeds) : 0;
  const cJSON *succ = ag_jsonArray(r, o, "test.", "success", n);
  const cJSON *ret = ag_jsonArray(r, o, "test.", "return", n);
  const cJSON *faults = ag_jsonArray(r, o, "test.", "faults", n);
  it->test_success_rate = ag_jsonNumber(r, o, "test.", "success_rate", 0, 1, 0);
  it->test_mean_return = ag_jsonNumber(r, o, "test.", "mean_return", -HUGE_VAL, HUGE_VAL, 0);
  if (r->rc != TB_OK || n == 0) {
    return;
  }
  agEvalEpisode *eps = ag_jsonAlloc(r, (size_t)n, sizeof *eps);
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
    if (!cJSON_IsNumber(s) || !(s->valuedouble >= 0 && s->valuedouble <= AG_JSON_MAX_INTEGER) ||
        s->valuedouble != floor(s->valuedouble)) {
      snprintf(key, sizeof key, "seeds[%d]", i);
      ag_jsonBad(r, "test.", key, "expected a seed (an integer from 0 to 2^53)");
    } else if (!cJSON_IsBool(ok)) {
      snprintf(key, sizeof key, "success[%d]", i);
      ag_jsonBad(r, "test.", key, "expected true or false");
    } else if (!cJSON_IsNumber(rv) || !isfinite(rv->valuedouble)) {
      snprintf(key, sizeof key, "return[%d]", i);
      ag_jsonBad(r, "test.", key, "expected a finite number");
    } else if (!cJSON_IsNull(f) && !cJSON_IsString(f)) {
      snprintf(key, sizeof key, "faults[%d]", i);
      ag_jsonBad(r, "test.", key, "expected null or a fault kind");
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
static void readUpdate(agJsonReader *r, const cJSON *o, agIteration *it) {
  const char *outcome = ag_jsonString(r, o, "update.", "outcome");
  int found = 0;
  for (int i = 0; i < NOUTCOMES; i++) {
    if (strcmp(outcome, kOutcomeNames[i]) == 0) {
      it->outcome = (trOutcome)i;
      found = 1;
    }
  }
  if (!found) {
    ag_jsonBad(r, "update.", "outcome", "expected updated, no_change, unusable or none");
  }
  it->reason = ag_jsonString(r, o, "update.", "reason");
  if (cJSON_GetObjectItemCaseSensitive(o, "terminate") != NULL) { /* since the pool protocol */
    it->terminate = ag_jsonBool(r, o, "update.", "terminate");
  }
  const cJSON *changed = ag_jsonArray(r, o, "update.", "changed", -1);
  int n = changed != NULL ? cJSON_GetArraySize(changed) : 0;
  if (r->rc != TB_OK || n == 0) {
    return;
  }
  const char **names = ag_jsonAlloc(r, (size_t)n, sizeof *names);
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
      ag_jsonBad(r, "update.", key, "expected a string");
      return;
    }
    names[i] = name->valuestring;
  }
}

/* Reads the pool object (starts >= 1, successes <= starts); a line written before the pool
 * protocol has none: one start, the training episode's result. */
static void readPool(agJsonReader *r, const cJSON *o, agIteration *it) {
  it->pool_starts = 1;
  it->pool_successes = it->train.success;
  if (cJSON_GetObjectItemCaseSensitive(o, "pool") == NULL) {
    return;
  }
  const cJSON *pool = ag_jsonObject(r, o, "", "pool");
  if (pool == NULL) {
    return;
  }
  it->pool_starts = (int)ag_jsonNumber(r, pool, "pool.", "starts", 1, 1000000, 1);
  it->pool_successes = (int)ag_jsonNumber(r, pool, "pool.", "successes", 0, 1000000, 1);
  if (r->rc == TB_OK && it->pool_successes > it->pool_starts) {
    ag_jsonBad(r, "pool.", "successes", "more than pool.starts");
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
  agJsonReader r = {file, lineNo, err, errsz, TB_OK};
  it->store = ag_jsonAlloc(&r, 1, sizeof *it->store);
  if (it->store == NULL) {
    return r.rc;
  }
  /* read back under the rule it was written with: text that is not UTF-8 is U+FFFD */
  char *fixed = NULL;
  if (!tb_utf8Valid(text, len)) {
    fixed = tb_utf8Dup(text, len, &len);
    if (fixed == NULL) {
      ag_jsonOutOfMemory(&r);
      return r.rc;
    }
    text = fixed;
  }
  const char *end = NULL;
  cJSON *o = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  int trailing = o != NULL && !onlySpace(end, len - (size_t)(end - text));
  free(fixed);
  it->store->json = o;
  if (!cJSON_IsObject(o) || trailing) {
    tb_setErr(err, errsz, "%s line %d: not a JSON object", file, lineNo);
    return TB_EFORMAT;
  }
  it->iteration = (int)ag_jsonNumber(&r, o, "", "iteration", 1, INT_MAX, 1);
  if (r.rc == TB_OK && it->iteration != lineNo) {
    char what[64];
    snprintf(what, sizeof what, "expected %d (the line number), found %d", lineNo, it->iteration);
    ag_jsonBad(&r, "", "iteration", what);
  }
  it->controller = ag_jsonString(&r, o, "", "controller");
  const cJSON *train = ag_jsonObject(&r, o, "", "train");
  if (train != NULL) {
    readEpisode(&r, train, &it->train);
  }
  readPool(&r, o, it);
  it->feedback = ag_jsonString(&r, o, "", "feedback");
  it->system = ag_jsonString(&r, o, "", "system");
  it->user = ag_jsonString(&r, o, "", "user");
  const cJSON *response = cJSON_GetObjectItemCaseSensitive(o, "response");
  it->response = cJSON_IsNull(response) ? NULL : ag_jsonString(&r, o, "", "response");
  it->prompt_tokens =
      (long long)ag_jsonNumber(&r, o, "", "prompt_tokens", 0, AG_JSON_MAX_TOKENS, 1);
  it->completion_tokens =
      (long long)ag_jsonNumber(&r, o, "", "completion_tokens", 0, AG_JSON_MAX_TOKENS, 1);
  it->tokens_estimated = ag_jsonBool(&r, o, "", "tokens_estimated");
  it->latency_s = ag_jsonNumber(&r, o, "", "latency_s", -HUGE_VAL, HUGE_VAL, 0);
  const cJSON *update = ag_jsonObject(&r, o, "", "update");
  if (update != NULL) {
    readUpdate(&r, update, it);
  }
  it->next_controller = ag_jsonString(&r, o, "", "next_controller");
  const cJSON *test = ag_jsonObject(&r, o, "", "test");
  if (test != NULL) {
    readTest(&r, test, it);
  }
  it->episode = ag_jsonString(&r, o, "", "episode");
  it->elapsed_s = ag_jsonNumber(&r, o, "", "elapsed_s", -HUGE_VAL, HUGE_VAL, 0);
  it->optimizer_overhead_ms =
      ag_jsonNumber(&r, o, "", "optimizer_overhead_ms", -HUGE_VAL, HUGE_VAL, 0);
  const cJSON *state = ag_jsonObject(&r, o, "", "optimizer_state");
  if (r.rc == TB_OK) {
    it->store->optimizerState = cJSON_PrintUnformatted(state);
    it->optimizer_state = it->store->optimizerState;
    if (it->optimizer_state == NULL) {
      ag_jsonOutOfMemory(&r);
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
  char *text = tb_readFileNoFollow(path, AG_RUN_LINES_MAX, &n, err, errsz);
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
  if (s->stop_reason[0] != '\0') {
    cJSON_AddStringToObject(o, "stop_reason", s->stop_reason);
  } else {
    cJSON_AddNullToObject(o, "stop_reason");
  }
  cJSON_AddNumberToObject(o, "llm_calls", s->llm_calls);
  cJSON_AddNumberToObject(o, "tokens_to_best", (double)s->tokens_to_best);
  cJSON_AddNumberToObject(o, "train_starts", s->train_starts);
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

/* Sets d->path (closed, nothing read yet). */
static int setPath(agRunDir *d, const char *path, char *err, size_t errsz) {
  d->fd = -1;
  d->lockfd = -1;
  d->torn = 0;
  d->complete = 0;
  if (snprintf(d->path, sizeof d->path, "%s", path) >= (int)sizeof d->path) {
    tb_setErr(err, errsz, "run directory path too long: %.64s...", path);
    return TB_EINVAL;
  }
  return TB_OK;
}

/* Takes the run: one trainer per run directory (a lock on the directory itself, so that
 * nothing in it is opened for writing before the run is validated). */
static int lockRun(agRunDir *d, char *err, size_t errsz) {
  d->lockfd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d->lockfd < 0) {
    tb_setErr(err, errsz, "cannot open the run directory %s: %s", d->path, strerror(errno));
    return TB_EIO;
  }
  if (flock(d->lockfd, LOCK_EX | LOCK_NB) != 0) {
    tb_setErr(err, errsz, "%s is in use by another trainer", d->path);
    ag_runDirClose(d);
    return TB_EINVAL;
  }
  return TB_OK;
}

/* Whether the run directory already holds a run: a config.json (of any kind), or
 * iterations.jsonl that is not an empty regular file. */
static int holdsRun(const agRunDir *d) {
  char p[PATH_MAX + 32];
  struct stat st;
  ag_runDirPath(d, AG_RUN_CONFIG, p, sizeof p);
  if (lstat(p, &st) == 0) {
    return 1;
  }
  ag_runDirPath(d, AG_RUN_ITERATIONS, p, sizeof p);
  return lstat(p, &st) == 0 && (!S_ISREG(st.st_mode) || st.st_size > 0);
}

int ag_runDirCreate(agRunDir *d, const char *path, char *err, size_t errsz) {
  char p[PATH_MAX + 32];
  struct stat st;
  int rc = setPath(d, path, err, errsz);
  if (rc == TB_OK && stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
    tb_setErr(err, errsz, "%s exists and is not a directory", path);
    return TB_EINVAL;
  }
  if (rc == TB_OK) {
    ag_runDirPath(d, AG_RUN_EPISODES, p, sizeof p);
    rc = makeDirs(p, err, errsz);
  }
  if (rc == TB_OK) {
    rc = lockRun(d, err, errsz);
  }
  if (rc == TB_OK) {
    rc = tb_checkNoLinks(d->path, err, errsz);
  }
  if (rc == TB_OK && holdsRun(d)) {
    tb_setErr(err, errsz, "%s already holds a run: use --resume %s or another --out", path, path);
    rc = TB_EINVAL;
  }
  if (rc != TB_OK) {
    ag_runDirClose(d);
  }
  return rc;
}

int ag_runDirResume(agRunDir *d, const char *path, cJSON **config, char *err, size_t errsz) {
  *config = NULL;
  int rc = setPath(d, path, err, errsz);
  if (rc == TB_OK) {
    rc = tb_checkNoLinks(d->path, err, errsz);
  }
  /* no readable config.json object: not a run directory (bad input) */
  if (rc == TB_OK && ag_runReadJson(path, AG_RUN_CONFIG, config, err, errsz) != TB_OK) {
    rc = TB_EINVAL;
  }
  if (rc == TB_OK) {
    rc = lockRun(d, err, errsz);
  }
  if (rc != TB_OK) {
    cJSON_Delete(*config);
    *config = NULL;
    ag_runDirClose(d);
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
  struct stat st;
  ag_runDirPath(d, AG_RUN_ITERATIONS, p, sizeof p);
  if (lstat(p, &st) != 0 && errno == ENOENT) {
    memset(info, 0, sizeof *info); /* killed before its first line: none yet */
    return TB_OK;
  }
  int rc = ag_iterationsRead(p, fn, user, info, err, errsz);
  if (rc == TB_OK) {
    d->torn = info->torn;
    d->complete = info->complete;
  }
  /* lines that cannot be read (a FIFO, a directory) make no run to resume: bad input */
  return rc == TB_EIO ? TB_EFORMAT : rc;
}

int ag_runDirOpenLines(agRunDir *d, char *err, size_t errsz) {
  char p[PATH_MAX + 32];
  struct stat st;
  ag_runDirPath(d, AG_RUN_CONFIG, p, sizeof p);
  if (lstat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
    tb_setErr(err, errsz, "%s has no %s: write it before the first line", d->path, AG_RUN_CONFIG);
    return TB_EINVAL;
  }
  ag_runDirPath(d, AG_RUN_EPISODES, p, sizeof p);
  int rc = makeDirs(p, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  ag_runDirPath(d, AG_RUN_ITERATIONS, p, sizeof p);
  d->fd = tb_openAppend(p, err, errsz);
  if (d->fd < 0) {
    rc = d->fd; /* TB_EINVAL: a link, a FIFO, another hard link */
    d->fd = -1;
    return rc;
  }
  /* the iteration in flight when the trainer stopped */
  if (d->torn && ftruncate(d->fd, (off_t)d->complete) != 0) {
    tb_setErr(err, errsz, "cannot cut the partial last line of %s: %s", p, strerror(errno));
    return TB_EIO;
  }
  d->torn = 0;
  return TB_OK;
}

int ag_runDirAppend(agRunDir *d, const agIteration *it, char *err, size_t errsz) {
  if (d->fd < 0) {
    tb_setErr(err, errsz, "%s/%s is not open for appending", d->path, AG_RUN_ITERATIONS);
    return TB_EIO;
  }
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
  if (d->lockfd >= 0) {
    close(d->lockfd);
    d->lockfd = -1;
  }
}
