/* LLM clients: spec parsing, options, dispatch to the backends, shared helpers. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tracebot/llm.h"
#include "llm_internal.h"

void tr_defaultLlmOptions(trLlmOptions *opts) {
  if (!opts) {
    return;
  }
  memset(opts, 0, sizeof(*opts));
  opts->max_attempts = 5;
  opts->timeout_s = 120.0;
  opts->backoff_base_s = 1.0;
  opts->backoff_max_s = 30.0;
  opts->max_response_bytes = (size_t)4 << 20;
  opts->seed = 0;
}

/* One-line check of every option; names the bad one. */
static int checkOptions(const trLlmOptions *o, char *err, size_t errsz) {
  if (o->max_attempts < 1 || o->max_attempts > 100) {
    tr_llmSetErr(err, errsz, NULL, "llm option max_attempts=%d out of range [1, 100]",
                 o->max_attempts);
    return TB_EINVAL;
  }
  if (!isfinite(o->timeout_s) || o->timeout_s <= 0 || o->timeout_s > 86400) {
    tr_llmSetErr(err, errsz, NULL, "llm option timeout_s=%g out of range (0, 86400]", o->timeout_s);
    return TB_EINVAL;
  }
  if (!isfinite(o->backoff_base_s) || o->backoff_base_s < 0 || o->backoff_base_s > 3600) {
    tr_llmSetErr(err, errsz, NULL, "llm option backoff_base_s=%g out of range [0, 3600]",
                 o->backoff_base_s);
    return TB_EINVAL;
  }
  if (!isfinite(o->backoff_max_s) || o->backoff_max_s < 0 || o->backoff_max_s > 3600) {
    tr_llmSetErr(err, errsz, NULL, "llm option backoff_max_s=%g out of range [0, 3600]",
                 o->backoff_max_s);
    return TB_EINVAL;
  }
  if (o->max_response_bytes < 16 || o->max_response_bytes > ((size_t)1 << 30)) {
    tr_llmSetErr(err, errsz, NULL, "llm option max_response_bytes=%zu out of range [16, 1 GiB]",
                 o->max_response_bytes);
    return TB_EINVAL;
  }
  return TB_OK;
}

trLlm *tr_makeLlm(const char *spec, const trLlmOptions *opts, char *err, size_t errsz) {
  if (err && errsz) {
    err[0] = '\0';
  }
  if (!spec || !*spec) {
    tr_llmSetErr(err, errsz, NULL,
                 "empty llm spec (want openai:MODEL, anthropic:MODEL, exec:COMMAND or "
                 "replay:FILE)");
    return NULL;
  }
  trLlmOptions o;
  if (opts) {
    o = *opts;
  } else {
    tr_defaultLlmOptions(&o);
  }
  if (checkOptions(&o, err, errsz) != TB_OK) {
    return NULL;
  }

  /* Split "name:rest"; rest must be non-empty. */
  const char *colon = strchr(spec, ':');
  static const struct {
    const char *name;
    int (*init)(trLlm *, const char *, char *, size_t);
  } kinds[] = {
      {"openai", tr_llmInitOpenai},
      {"anthropic", tr_llmInitAnthropic},
      {"exec", tr_llmInitExec},
      {"replay", tr_llmInitReplay},
  };
  int (*init)(trLlm *, const char *, char *, size_t) = NULL;
  if (colon) {
    size_t n = (size_t)(colon - spec);
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
      if (strlen(kinds[i].name) == n && strncmp(spec, kinds[i].name, n) == 0) {
        init = kinds[i].init;
      }
    }
  }
  if (!init) {
    char shown[48];
    tr_llmPrintable(spec, colon ? (size_t)(colon - spec) : strlen(spec), shown, sizeof(shown));
    tr_llmSetErr(err, errsz, NULL,
                 "unknown llm backend '%s' (want openai:MODEL, anthropic:MODEL, exec:COMMAND "
                 "or replay:FILE)",
                 shown);
    return NULL;
  }
  if (colon[1] == '\0') {
    tr_llmSetErr(err, errsz, NULL, "llm spec '%.*s:' needs a value after the colon",
                 (int)(colon - spec), spec);
    return NULL;
  }

  trLlm *llm = calloc(1, sizeof(*llm));
  if (!llm || !(llm->spec = strdup(spec))) {
    free(llm);
    tr_llmSetErr(err, errsz, NULL, "out of memory making llm client");
    return NULL;
  }
  llm->opts = o;
  /* Keep the keys of the environment to scrub them from any message, whatever the backend
   * (an exec: command may print one on stderr). Short values are not treated as keys. */
  static const char *const key_vars[2] = {"OPENAI_API_KEY", "ANTHROPIC_API_KEY"};
  for (int i = 0; i < 2; i++) {
    const char *v = getenv(key_vars[i]);
    if (v && strlen(v) >= 8 && !(llm->secrets[i] = strdup(v))) {
      tr_freeLlm(llm);
      tr_llmSetErr(err, errsz, NULL, "out of memory making llm client");
      return NULL;
    }
  }
  if (init(llm, colon + 1, err, errsz) != TB_OK) {
    tr_llmScrub(err, errsz, llm->secrets[0]);
    tr_llmScrub(err, errsz, llm->secrets[1]);
    tr_freeLlm(llm);
    return NULL;
  }
  return llm;
}

void tr_freeLlm(trLlm *llm) {
  if (!llm) {
    return;
  }
  if (llm->backend && llm->backend->freeState) {
    llm->backend->freeState(llm->state);
  }
  for (int i = 0; i < 2; i++) {
    if (llm->secrets[i]) {
      tr_llmWipe(llm->secrets[i], strlen(llm->secrets[i]));
      free(llm->secrets[i]);
    }
  }
  free(llm->spec);
  free(llm);
}

int tr_llmSkip(trLlm *llm, size_t n, char *err, size_t errsz) {
  if (!llm) {
    tr_llmSetErr(err, errsz, NULL, "tr_llmSkip: NULL client");
    return TB_EINVAL;
  }
  if (n == 0 || !llm->backend->skip) {
    return TB_OK;
  }
  return llm->backend->skip(llm, n, err, errsz);
}

long tr_llmRemaining(const trLlm *llm) {
  return llm != NULL && llm->backend->remaining != NULL ? llm->backend->remaining(llm) : -1;
}

void tr_llmRedactKeys(char *s, size_t cap) {
  static const char *const vars[] = {"OPENAI_API_KEY", "ANTHROPIC_API_KEY"};
  for (size_t i = 0; s && i < sizeof vars / sizeof vars[0]; i++) {
    tr_llmScrub(s, cap, getenv(vars[i]));
  }
}

const char *tr_llmSpec(const trLlm *llm) {
  return llm ? llm->spec : "";
}

int tr_llmComplete(trLlm *llm, const trLlmRequest *req, trLlmReply *reply, char *err,
                   size_t errsz) {
  if (err && errsz) {
    err[0] = '\0';
  }
  if (reply) {
    memset(reply, 0, sizeof(*reply));
  }
  if (!llm || !req || !reply || !llm->backend) {
    tr_llmSetErr(err, errsz, NULL, "tr_llmComplete: NULL client, request or reply");
    return TB_EINVAL;
  }
  if (!req->user) {
    tr_llmSetErr(err, errsz, NULL, "tr_llmComplete: request has no user message");
    return TB_EINVAL;
  }
  double t0 = tr_llmNow();
  int rc = llm->backend->complete(llm, req, reply, err, errsz);
  reply->latency_s = tr_llmNow() - t0;
  if (rc != TB_OK) {
    /* The contract: an empty reply on error (attempts and latency stay for the logs). */
    free(reply->text);
    reply->text = NULL;
    reply->prompt_tokens = 0;
    reply->completion_tokens = 0;
    reply->tokens_estimated = 0;
    tr_llmScrub(err, errsz, llm->secrets[0]);
    tr_llmScrub(err, errsz, llm->secrets[1]);
  }
  return rc;
}

void tr_llmReplyClose(trLlmReply *reply) {
  if (!reply) {
    return;
  }
  free(reply->text);
  memset(reply, 0, sizeof(*reply));
}

/* ---- shared helpers ------------------------------------------------------------------- */

void tr_llmScrub(char *s, size_t cap, const char *secret) {
  static const char mask[] = "[redacted]";
  if (!s || !cap || !secret || !*secret) {
    return;
  }
  size_t klen = strlen(secret);
  size_t mlen = sizeof(mask) - 1;
  char *p = s;
  while ((p = strstr(p, secret)) != NULL) {
    size_t tail = strlen(p + klen);
    size_t pos = (size_t)(p - s);
    /* Shift the tail, truncating at the buffer's capacity. */
    if (pos + mlen + tail + 1 > cap) {
      tail = cap > pos + mlen + 1 ? cap - pos - mlen - 1 : 0;
    }
    if (pos + mlen + 1 > cap) {
      /* Not even the mask fits: cut the message here. */
      *p = '\0';
      return;
    }
    memmove(p + mlen, p + klen, tail);
    memcpy(p, mask, mlen);
    p[mlen + tail] = '\0';
    p += mlen;
  }
  /* A key cut by truncation can leave a prefix at the end: drop a long enough one. */
  size_t n = strlen(s);
  for (size_t k = klen - 1; k >= 8 && k > 0; k--) {
    if (n >= k && memcmp(s + n - k, secret, k) == 0) {
      s[n - k] = '\0';
      break;
    }
  }
}

void tr_llmSetErr(char *err, size_t errsz, const char *secret, const char *fmt, ...) {
  if (!err || !errsz) {
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errsz, fmt, ap);
  va_end(ap);
  /* One line: no newlines or control characters. */
  for (char *p = err; *p; p++) {
    if ((unsigned char)*p < 0x20 || *p == 0x7f) {
      *p = ' ';
    }
  }
  tr_llmScrub(err, errsz, secret);
}

double tr_llmNow(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void tr_llmSleep(double s) {
  if (!(s > 0)) {
    return;
  }
  struct timespec req;
  req.tv_sec = (time_t)s;
  req.tv_nsec = (long)((s - (double)req.tv_sec) * 1e9);
  if (req.tv_nsec >= 1000000000L) {
    req.tv_nsec = 999999999L;
  }
  struct timespec rem;
  while (nanosleep(&req, &rem) != 0 && errno == EINTR) {
    req = rem;
  }
}

/* splitmix64: small, good enough for jitter. */
static uint64_t nextRandom(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void tr_llmSeedRng(uint64_t *state, unsigned long long seed) {
  if (seed == 0) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    seed = ((unsigned long long)ts.tv_sec * 1000000007ULL) ^ (unsigned long long)ts.tv_nsec ^
           ((unsigned long long)getpid() << 32);
  }
  *state = (uint64_t)seed;
}

double tr_llmUniform(uint64_t *state) {
  return (double)(nextRandom(state) >> 11) * (1.0 / 9007199254740992.0);
}

void tr_llmWipe(void *p, size_t n) {
  volatile unsigned char *v = p;
  while (n--) {
    *v++ = 0;
  }
}

long tr_llmEstimateTokens(size_t n) {
  return (long)((n + 3) / 4);
}

const char *tr_llmBackendList(void) {
  return "openai:MODEL, anthropic:MODEL, exec:COMMAND, replay:FILE";
}
