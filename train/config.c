/* config.json of a run directory: written when a run starts, read when it resumes. */
#include "config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "base.h"
#include "jsonread.h"
#include "runlog.h"

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

static const char *modeName(envMode m) {
  return m == ENV_ABSOLUTE ? "absolute" : "relative";
}

static const char *hintsName(envHints h) {
  return h == ENV_HINTS_NONE ? "none" : "expert";
}

/* The perturbation o[key]: none when absent (a run from before perturbations). */
static int readPerturb(agJsonReader *r, const cJSON *o, const char *key, envPerturb *out) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
  char why[512];
  memset(out, 0, sizeof *out);
  if (it == NULL) {
    return TB_OK;
  }
  if (!cJSON_IsString(it) || env_parsePerturb(it->valuestring, out, why, sizeof why) != TB_OK) {
    ag_jsonBad(r, "", key, cJSON_IsString(it) ? why : "not a string");
    return r->rc;
  }
  return TB_OK;
}

cJSON *ag_runConfigJson(const agTrainConfig *c) {
  cJSON *o = cJSON_CreateObject();
  char seeds[64];
  cJSON_AddNumberToObject(o, "version", 1);
  cJSON_AddStringToObject(o, "protocol", c->protocol == AG_PROTOCOL_PAPER ? "paper" : "pool");
  cJSON_AddStringToObject(o, "task", env_name(c->task));
  if (env_taskPlugin(c->task) != NULL) {
    cJSON_AddStringToObject(o, "task_plugin", env_taskPlugin(c->task));
  } else {
    cJSON_AddNullToObject(o, "task_plugin");
  }
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
  char perturb[ENV_PERTURB_TEXT_MAX];
  env_perturbText(&c->rollout.env.perturb, perturb, sizeof perturb);
  cJSON_AddStringToObject(o, "perturb", perturb);
  env_perturbText(&c->test_perturb, perturb, sizeof perturb);
  cJSON_AddStringToObject(o, "test_perturb", perturb);
  cJSON_AddNumberToObject(o, "train_seed", (double)c->train_seed);
  snprintf(seeds, sizeof seeds, "%llu:%llu", (unsigned long long)c->train_seed,
           (unsigned long long)(c->train_seed + (uint64_t)c->train_starts));
  cJSON_AddStringToObject(o, "train_seeds", seeds);
  snprintf(seeds, sizeof seeds, "%llu:%llu", (unsigned long long)c->test_begin,
           (unsigned long long)c->test_end);
  cJSON_AddStringToObject(o, "test_seeds", seeds);
  cJSON_AddStringToObject(o, "until", c->until == AG_UNTIL_ITERS ? "iters" : "converged");
  cJSON_AddNumberToObject(o, "patience", c->patience);
  cJSON_AddNumberToObject(o, "memory_chars", (double)c->memory_chars);
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
  agJsonReader r = {AG_RUN_CONFIG, 0, err, errsz, TB_OK};
  /* what the experiment is: a plug-in's task needs the plug-in loaded again */
  const char *s = stringOf(o, "task_plugin");
  if (s != NULL) {
    char why[1024];
    int rc = env_loadTaskPlugin(s, why, sizeof why);
    if (rc != TB_OK) {
      tb_setErr(err, errsz, "%s: \"task_plugin\": %s", AG_RUN_CONFIG, why);
      return rc;
    }
  }
  s = stringOf(o, "task");
  int task = s != NULL ? env_lookup(s) : -1;
  if (task < 0) {
    ag_jsonBad(&r, "", "task", "missing or not a task name");
    return r.rc;
  }
  c->task = (envTaskId)task;
  c->rollout.task = c->task;
  /* a run from before the pool protocol has no "protocol": it ran the paper's */
  s = stringOf(o, "protocol");
  if (s != NULL && strcmp(s, "pool") != 0 && strcmp(s, "paper") != 0) {
    ag_jsonBad(&r, "", "protocol", "not pool or paper");
    return r.rc;
  }
  c->protocol = s != NULL && strcmp(s, "pool") == 0 ? AG_PROTOCOL_POOL : AG_PROTOCOL_PAPER;
  s = stringOf(o, "until");
  c->until = s != NULL && strcmp(s, "iters") == 0 ? AG_UNTIL_ITERS : AG_UNTIL_CONVERGED;
  s = stringOf(o, "optimizer");
  if (s == NULL || (strcmp(s, "opro") != 0 && strcmp(s, "optoprime") != 0)) {
    ag_jsonBad(&r, "", "optimizer", "missing or not opro or optoprime");
    return r.rc;
  }
  c->optimizer = strcmp(s, "opro") == 0 ? TR_OPRO : TR_OPTOPRIME;
  s = stringOf(o, "mask");
  c->mask_trace = s != NULL && strcmp(s, "trace") == 0;
  s = stringOf(o, "mode");
  c->rollout.env.mode = s != NULL && strcmp(s, "absolute") == 0 ? ENV_ABSOLUTE : ENV_RELATIVE;
  s = stringOf(o, "hints");
  c->rollout.env.hints = s != NULL && strcmp(s, "none") == 0 ? ENV_HINTS_NONE : ENV_HINTS_EXPERT;
  if (readPerturb(&r, o, "perturb", &c->rollout.env.perturb) != TB_OK ||
      readPerturb(&r, o, "test_perturb", &c->test_perturb) != TB_OK) {
    return r.rc;
  }
  c->memory = (int)ag_jsonNumber(&r, o, "", "memory", 0, 1000, 0);
  if (c->iters <= 0) {
    c->iters = (int)ag_jsonNumber(&r, o, "", "iters", 1, 100000, 0);
  }
  c->rollout.env.horizon = (int)ag_jsonNumber(&r, o, "", "horizon", 1, 10000, 0);
  c->train_seed = (uint64_t)ag_jsonNumber(&r, o, "", "train_seed", 0, AG_JSON_MAX_INTEGER, 0);
  c->jobs = (int)ag_jsonNumber(&r, o, "", "jobs", 1, 256, 0);
  c->patience = 0;
  c->memory_chars = 0;
  if (cJSON_GetObjectItemCaseSensitive(o, "patience") != NULL) {
    c->patience = (int)ag_jsonNumber(&r, o, "", "patience", 0, 1000000, 1);
  }
  if (cJSON_GetObjectItemCaseSensitive(o, "memory_chars") != NULL) {
    c->memory_chars = (size_t)ag_jsonNumber(&r, o, "", "memory_chars", 0, 1e9, 1);
  }
  if (c->max_tokens_total < 0) {
    c->max_tokens_total =
        (long long)ag_jsonNumber(&r, o, "", "max_tokens_total", 0, AG_JSON_MAX_TOKENS, 0);
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
    ag_jsonBad(&r, "", "test_seeds", "missing or not a seed range");
    return r.rc;
  }
  /* the training starts: from train_seed on (one start in a run without train_seeds) */
  c->train_starts = 1;
  s = stringOf(o, "train_seeds");
  if (s != NULL) {
    uint64_t b = 0;
    uint64_t e = 0;
    if (ag_parseSeedRange(s, &b, &e, NULL, 0) != TB_OK || b != c->train_seed ||
        (c->protocol == AG_PROTOCOL_PAPER && e - b != 1)) {
      ag_jsonBad(&r, "", "train_seeds", "not a seed range from train_seed (one seed for paper)");
      return r.rc;
    }
    c->train_starts = (int)(e - b);
  }
  c->init_source = stringOf(o, "init_source");
  if (c->llm == NULL) {
    c->llm = stringOf(o, "llm");
    if (c->llm == NULL) {
      ag_jsonBad(&r, "", "llm", "missing");
    }
  }
  return r.rc;
}
