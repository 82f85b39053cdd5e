/* The client of the HTTP chat backends (openai:, anthropic: and any other trLlmChatApi): key
 * and base URL from the variables of the backend's table row, headers, the retry loop with
 * backoff and jitter, status classification. What differs between the APIs (path, key
 * header, request, decoding) comes from the backend's trLlmChatApi. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_internal.h"

#define MAX_URL 2048
#define MAX_KEY 4096
#define MAX_HEADERS 6

typedef struct httpState {
  const trLlmChatApi *api;
  char *model;
  char *url;            /* full endpoint URL */
  char *key;            /* NULL when none (local servers); wiped on free */
  const char *key_var;  /* the row's key variable, for messages */
  const char *base_var; /* the row's base URL variable */
  int no_format;        /* the server rejected response_format once: stop sending it */
  uint64_t rng;
  const trLlmTransport *tx;
  void *tx_self;
} httpState;

static void freeHttp(void *p) {
  httpState *st = p;
  if (!st) {
    return;
  }
  if (st->key) {
    tr_llmWipe(st->key, strlen(st->key));
    free(st->key);
  }
  if (st->tx && st->tx_self) {
    st->tx->free(st->tx_self);
  }
  free(st->model);
  free(st->url);
  free(st);
}

/* ---- one request with retries --------------------------------------------------------- */

/* Statuses worth another try: timeouts, conflicts, rate limits, server errors. */
static int retryableStatus(long status) {
  return status == 408 || status == 409 || status == 425 || status == 429 ||
         (status >= 500 && status <= 599);
}

/* The delay before retry number n (1-based): base * 2^(n-1), capped, with "equal jitter"
 * (uniform in [d/2, d]); a Retry-After in seconds replaces it, capped at backoff_max_s. */
static double retryDelay(const trLlmOptions *o, uint64_t *rng, int n, double retry_after_s) {
  if (retry_after_s >= 0) {
    return retry_after_s < o->backoff_max_s ? retry_after_s : o->backoff_max_s;
  }
  double d = o->backoff_base_s;
  for (int i = 1; i < n && d < o->backoff_max_s; i++) {
    d *= 2.0;
  }
  if (d > o->backoff_max_s) {
    d = o->backoff_max_s;
  }
  return d * (0.5 + 0.5 * tr_llmUniform(rng));
}

/* Header lines for this API; the key line lives in keyline (wiped by the caller). */
static void buildHeaders(const httpState *st, char *keyline, size_t keysz,
                         const char *headers[MAX_HEADERS]) {
  size_t n = 0;
  headers[n++] = "Content-Type: application/json";
  headers[n++] = "Accept: application/json";
  headers[n++] = "Expect:";
  if (st->api->extra_header) {
    headers[n++] = st->api->extra_header;
  }
  if (st->key) {
    snprintf(keyline, keysz, "%s%s", st->api->key_header, st->key);
    headers[n++] = keyline;
  }
  headers[n] = NULL;
}

/* The message for a non-retryable status; returns the TB_E* code. */
static int statusError(const httpState *st, long status, const trLlmHttpResult *res, char *err,
                       size_t errsz) {
  char said[160];
  tr_llmErrorText(res->body, res->len, said, sizeof(said));
  if (status == 401 || status == 403) {
    if (st->key) {
      tr_llmSetErr(err, errsz, st->key, "%ld from %s: check %s (server said: %s)", status, st->url,
                   st->key_var, said);
    } else {
      tr_llmSetErr(err, errsz, NULL, "%ld from %s: %s is not set (server said: %s)", status,
                   st->url, st->key_var, said);
    }
    return TB_EAUTH;
  }
  if (status == 404) {
    tr_llmSetErr(err, errsz, st->key, "404 from %s: check %s and the model '%s' (server said: %s)",
                 st->url, st->base_var, st->model, said);
    return TB_EREQUEST;
  }
  tr_llmSetErr(err, errsz, st->key, "%ld from %s (server said: %s)", status, st->url, said);
  return TB_EREQUEST;
}

static int completeHttp(trLlm *llm, const trLlmRequest *req, trLlmReply *reply, char *err,
                        size_t errsz) {
  httpState *st = llm->state;
  const trLlmOptions *o = &llm->opts;
  size_t prompt_chars = tr_llmPromptChars(req);
  int fallback_tried = 0;
  int failures = 0; /* transient failures so far (the retry budget) */
  int rc = TB_ETRANSIENT;
  char last[512] = ""; /* what went wrong on the last transient failure */
  int last_truncated = 0;
  char keyline[MAX_KEY + 256]; /* the key header name, then the key */
  const char *headers[MAX_HEADERS];
  buildHeaders(st, keyline, sizeof(keyline), headers);

  for (;;) {
    /* Build this attempt's body (with or without response_format). */
    int with_format = st->api->json_format && req->json_mode && !st->no_format;
    char *body = st->api->build(st->model, req, with_format);
    if (!body) {
      tr_llmSetErr(err, errsz, NULL, "out of memory building the request");
      rc = TB_EINVAL;
      break;
    }
    trLlmHttpResult res;
    char txerr[384] = "";
    reply->attempts++;
    int cls = st->tx->post(st->tx_self, st->url, headers, body, strlen(body), o->timeout_s,
                           o->max_response_bytes, &res, txerr, sizeof(txerr));
    free(body);

    double retry_after = -1;
    if (cls == TR_LLM_TX_OK) {
      long status = res.status;
      if (status >= 200 && status <= 299) {
        /* Success: decode; a bad body is not retried (the server meant it). */
        char derr[384];
        rc = st->api->decode(res.body, res.len, prompt_chars, reply, derr, sizeof(derr));
        if (rc != TB_OK) {
          tr_llmSetErr(err, errsz, st->key, "%s (from %s)", derr, st->url);
        }
        free(res.body);
        break;
      }
      if (status == 400 && with_format && !fallback_tried) {
        /* Any 400 to a json_mode request: try once more without response_format. */
        fallback_tried = 1;
        st->no_format = 1;
        free(res.body);
        continue;
      }
      if (!retryableStatus(status)) {
        if (status == 400 && fallback_tried) {
          st->no_format = 0; /* the 400 was not about response_format */
        }
        rc = statusError(st, status, &res, err, errsz);
        free(res.body);
        break;
      }
      char said[160];
      tr_llmErrorText(res.body, res.len, said, sizeof(said));
      snprintf(last, sizeof(last), "%ld from %s (server said: %s)", status, st->url, said);
      retry_after = res.retry_after_s;
      last_truncated = 0;
      free(res.body);
    } else if (cls == TR_LLM_TX_TOOBIG || cls == TR_LLM_TX_FAIL) {
      tr_llmSetErr(err, errsz, st->key, "%s from %s", txerr, st->url);
      rc = cls == TR_LLM_TX_TOOBIG ? TB_EPROTOCOL : TB_EREQUEST;
      break;
    } else {
      snprintf(last, sizeof(last), "%s from %s", txerr, st->url);
      last_truncated = cls == TR_LLM_TX_TRUNCATED;
    }

    /* A transient failure: wait and retry while the budget lasts. */
    failures++;
    if (failures >= o->max_attempts) {
      tr_llmSetErr(err, errsz, st->key, "%s after %d attempt%s", last, failures,
                   failures == 1 ? "" : "s");
      rc = last_truncated ? TB_EPROTOCOL : TB_ETRANSIENT;
      break;
    }
    tr_llmSleep(retryDelay(o, &st->rng, failures, retry_after));
  }
  tr_llmWipe(keyline, sizeof(keyline));
  return rc;
}

static const trLlmOps httpOps = {completeHttp, freeHttp, NULL, NULL};

/* ---- construction --------------------------------------------------------------------- */

int tr_llmMakeHttp(trLlm *llm, const trLlmChatApi *api, const char *model, char *err,
                   size_t errsz) {
  const char *key_var = llm->backend->key_var;
  const char *base_var = llm->backend->url_var;
  const char *def_base = api->default_base;
  const char *path = api->path;
  if (!key_var || !base_var) {
    tr_llmSetErr(err, errsz, NULL, "llm backend %s: its table row names no key or URL variable",
                 llm->backend->prefix);
    return TB_EINVAL;
  }

  /* Base URL: the variable when set and non-empty, trailing slashes dropped. */
  const char *base = getenv(base_var);
  if (!base || !*base) {
    base = def_base;
  }
  size_t blen = strlen(base);
  while (blen > 0 && base[blen - 1] == '/') {
    blen--;
  }
  if (blen == 0 || blen + strlen(path) >= MAX_URL ||
      (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0)) {
    tr_llmSetErr(err, errsz, NULL, "%s must be an http:// or https:// URL shorter than %d bytes",
                 base_var, MAX_URL);
    return TB_EINVAL;
  }
  int is_default = strlen(def_base) == blen && strncmp(base, def_base, blen) == 0;

  /* Key: required by the public APIs, optional for other servers. */
  const char *key = getenv(key_var);
  if (key && !*key) {
    key = NULL;
  }
  if (!key && is_default) {
    tr_llmSetErr(err, errsz, NULL, "%s is not set (needed for %s)", key_var, def_base);
    return TB_EINVAL;
  }
  if (key && (strlen(key) > MAX_KEY || strpbrk(key, "\r\n"))) {
    tr_llmSetErr(err, errsz, NULL, "%s is malformed (too long or has a line break)", key_var);
    return TB_EINVAL;
  }

  httpState *st = calloc(1, sizeof(*st));
  if (!st) {
    tr_llmSetErr(err, errsz, NULL, "out of memory making llm client");
    return TB_EINVAL;
  }
  llm->ops = &httpOps;
  llm->state = st;
  st->api = api;
  st->key_var = key_var;
  st->base_var = base_var;
  st->tx = &tr_llmCurlTransport;
  tr_llmSeedRng(&st->rng, llm->opts.seed);
  st->model = strdup(model);
  st->url = malloc(blen + strlen(path) + 1);
  st->key = key ? strdup(key) : NULL;
  if (st->url) {
    memcpy(st->url, base, blen);
    strcpy(st->url + blen, path);
  }
  if (!st->model || !st->url || (key && !st->key)) {
    tr_llmSetErr(err, errsz, NULL, "out of memory making llm client");
    return TB_EINVAL;
  }
  st->tx_self = st->tx->make();
  if (!st->tx_self) {
    tr_llmSetErr(err, errsz, NULL, "cannot make an HTTP handle (was curl_global_init called?)");
    return TB_EINVAL;
  }
  return TB_OK;
}
