/* Defaults, small parsers and the fault's JSON of the agent module (fault names:
 * fault_kind.c). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

cJSON *ag_faultJson(const agFault *f) {
  if (f->kind == AG_FT_NONE) {
    return cJSON_CreateNull();
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "kind", ag_faultName(f->kind));
  cJSON_AddStringToObject(o, "message", f->message);
  cJSON_AddNumberToObject(o, "step", f->step);
  if (f->kind == AG_FT_COMPILE) {
    cJSON_AddNumberToObject(o, "line", f->line);
  }
  return o;
}

void ag_defaultLimits(agLimits *limits) {
  limits->episode_wall_s = 10.0;
  limits->call_ms = 1000;
  limits->compile_ms = 5000;
  limits->memory_mib = 256;
  limits->cpu_s = 0;
}

void ag_defaultRollout(agRolloutConfig *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->task = ENV_REACH;
  cfg->seed = 0;
  env_defaultConfig(&cfg->env);
  ag_defaultLimits(&cfg->limits);
  cfg->sandbox_path = NULL;
}

/* Parses a decimal u64 that spans [s, end) exactly. */
static int parseU64(const char *s, const char *end, uint64_t *out) {
  if (s == end || *s < '0' || *s > '9') {
    return -1;
  }
  char buf[32];
  size_t n = (size_t)(end - s);
  if (n >= sizeof buf) {
    return -1;
  }
  memcpy(buf, s, n);
  buf[n] = '\0';
  char *stop = NULL;
  errno = 0;
  unsigned long long v = strtoull(buf, &stop, 10);
  if (errno != 0 || *stop != '\0') {
    return -1;
  }
  *out = (uint64_t)v;
  return 0;
}

int ag_parseSeedRange(const char *text, uint64_t *begin, uint64_t *end, char *err, size_t errsz) {
  const char *colon = text != NULL ? strchr(text, ':') : NULL;
  uint64_t a = 0;
  uint64_t b = 0;
  if (colon == NULL || parseU64(text, colon, &a) != 0 ||
      parseU64(colon + 1, colon + strlen(colon), &b) != 0) {
    if (err != NULL) {
      snprintf(err, errsz, "malformed seed range '%s' (expected A:B, e.g. 0:100)",
               text != NULL ? text : "");
    }
    return AG_EINVAL;
  }
  if (b <= a || b - a > 1000000u) {
    if (err != NULL) {
      snprintf(err, errsz, "seed range '%s' must be non-empty and at most 1000000 seeds", text);
    }
    return AG_EINVAL;
  }
  *begin = a;
  *end = b;
  return AG_OK;
}
