/* The rollout configuration: defaults, checks, the start of an episode record, and the
 * seed-range parser. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "rollout_internal.h"

#define MAX_HORIZON 10000

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
    tb_setErr(err, errsz, "malformed seed range '%s' (expected A:B, e.g. 0:100)",
              text != NULL ? text : "");
    return TB_EINVAL;
  }
  if (b <= a || b - a > 1000000u) {
    tb_setErr(err, errsz, "seed range '%s' must be non-empty and at most 1000000 seeds", text);
    return TB_EINVAL;
  }
  if (b > SIM_SEED_MAX) {
    tb_setErr(err, errsz, "seed range '%s' goes past 2^53 (%llu), the largest seed", text,
              SIM_SEED_MAX);
    return TB_EINVAL;
  }
  *begin = a;
  *end = b;
  return TB_OK;
}

int ag_checkRollout(const agRolloutConfig *cfg, const char *src, size_t len, char *err,
                    size_t errsz) {
  char buf[64];
  if (cfg == NULL || src == NULL) {
    tb_setErr(err, errsz, "%s", "rollout: NULL config or source");
    return TB_EINVAL;
  }
  if (len > AG_SOURCE_MAX) {
    snprintf(buf, sizeof buf, "%zu bytes, max %d", len, AG_SOURCE_MAX);
    tb_setErr(err, errsz, "controller source too large (%s)", buf);
    return TB_EINVAL;
  }
  if (cfg->seed > SIM_SEED_MAX) {
    tb_setErr(err, errsz, "seed %llu is larger than 2^53, the largest seed",
              (unsigned long long)cfg->seed);
    return TB_EINVAL;
  }
  const agLimits *l = &cfg->limits;
  if (cfg->env.horizon < 1 || cfg->env.horizon > MAX_HORIZON) {
    snprintf(buf, sizeof buf, "%d", cfg->env.horizon);
    tb_setErr(err, errsz, "horizon %s out of range 1..10000", buf);
    return TB_EINVAL;
  }
  if (!(l->episode_wall_s > 0 && l->episode_wall_s <= 86400) || l->call_ms < 0 ||
      l->compile_ms <= 0 || l->memory_mib < 32 || l->memory_mib > 65536 || l->cpu_s < 0) {
    tb_setErr(err, errsz, "%s",
              "bad sandbox limits (wall > 0, call >= 0, compile > 0, "
              "memory 32..65536 MiB, cpu >= 0)");
    return TB_EINVAL;
  }
  return TB_OK;
}

int ag_startEpisode(agEpisode *ep, const agRolloutConfig *cfg, const char *src, size_t len,
                    agSandbox *sb, char *err, size_t errsz) {
  ep->task = cfg->task;
  ep->seed = cfg->seed;
  ep->env = cfg->env;
  env_perturbDraw(&cfg->env.perturb, cfg->seed, &ep->perturb); /* what env_reset draws */
  ep->fault.kind = AG_FT_NONE;
  ep->steps = calloc((size_t)cfg->env.horizon, sizeof *ep->steps);
  if (ep->steps == NULL) {
    tb_setErr(err, errsz, "%s", "out of memory for the trajectory");
    return TB_ENOMEM;
  }
  const char *path = ag_sandboxPath(cfg->sandbox_path, err, errsz);
  if (path == NULL) {
    return TB_ESANDBOX;
  }
  return ag_sandboxStart(sb, path, &cfg->limits, src, len, err, errsz);
}
