/* The llm module's small helpers: one-line messages with keys scrubbed, printable copies of
 * untrusted text, sleeping, the jitter RNG, wiping key copies, token estimates. Uses nothing
 * else in llm/. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "llm_internal.h"

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

void tr_llmPrintable(const char *s, size_t n, char *out, size_t outsz) {
  if (!out || !outsz) {
    return;
  }
  size_t j = 0;
  for (size_t i = 0; s && i < n && s[i] && j + 1 < outsz; i++) {
    unsigned char c = (unsigned char)s[i];
    out[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
  }
  out[j] = '\0';
}

size_t tr_llmPromptChars(const trLlmRequest *req) {
  return strlen(req->user) + (req->system ? strlen(req->system) : 0);
}
