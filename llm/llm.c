/* LLM clients: spec parsing (through the backend table), options, dispatch to the backend,
 * key scrubbing of every message. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* Copies the value of every key variable of the table (when set), to scrub it from any
 * message whatever the backend (an exec: command may print one on stderr). Short values are
 * not treated as keys. */
static int copySecrets(trLlm *llm) {
  llm->nsecrets = tr_llmBackendCount();
  llm->secrets = calloc(llm->nsecrets, sizeof(*llm->secrets));
  if (!llm->secrets) {
    return -1;
  }
  for (size_t i = 0; i < llm->nsecrets; i++) {
    const char *var = tr_llmBackendAt(i)->key_var;
    const char *v = var ? getenv(var) : NULL;
    if (v && strlen(v) >= 8 && !(llm->secrets[i] = strdup(v))) {
      return -1;
    }
  }
  return 0;
}

/* Replaces every key copy of the client in a message. */
static void scrubSecrets(const trLlm *llm, char *err, size_t errsz) {
  for (size_t i = 0; i < llm->nsecrets; i++) {
    tr_llmScrub(err, errsz, llm->secrets[i]);
  }
}

trLlm *tr_makeLlm(const char *spec, const trLlmOptions *opts, char *err, size_t errsz) {
  if (err && errsz) {
    err[0] = '\0';
  }
  if (!spec || !*spec) {
    tr_llmSetErr(err, errsz, NULL, "empty llm spec (want one of %s)", tr_llmBackendList());
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

  /* Split "prefix:arg" and find the prefix's row; arg must be non-empty. */
  const char *colon = strchr(spec, ':');
  const trLlmBackend *backend = colon ? tr_llmFindBackend(spec, (size_t)(colon - spec)) : NULL;
  if (!backend) {
    char shown[48];
    tr_llmPrintable(spec, colon ? (size_t)(colon - spec) : strlen(spec), shown, sizeof(shown));
    tr_llmSetErr(err, errsz, NULL, "unknown llm backend '%s' (want one of %s)", shown,
                 tr_llmBackendList());
    return NULL;
  }
  if (colon[1] == '\0') {
    tr_llmSetErr(err, errsz, NULL, "llm spec '%s:' needs a value after the colon (%s)",
                 backend->prefix, backend->usage);
    return NULL;
  }

  trLlm *llm = calloc(1, sizeof(*llm));
  if (!llm || !(llm->spec = strdup(spec)) || copySecrets(llm) != 0) {
    tr_freeLlm(llm);
    tr_llmSetErr(err, errsz, NULL, "out of memory making llm client");
    return NULL;
  }
  llm->opts = o;
  llm->backend = backend;
  if (backend->make(llm, colon + 1, err, errsz) != TB_OK) {
    scrubSecrets(llm, err, errsz);
    tr_freeLlm(llm);
    return NULL;
  }
  return llm;
}

void tr_freeLlm(trLlm *llm) {
  if (!llm) {
    return;
  }
  if (llm->ops && llm->ops->freeState) {
    llm->ops->freeState(llm->state);
  }
  for (size_t i = 0; llm->secrets && i < llm->nsecrets; i++) {
    if (llm->secrets[i]) {
      tr_llmWipe(llm->secrets[i], strlen(llm->secrets[i]));
      free(llm->secrets[i]);
    }
  }
  free(llm->secrets);
  free(llm->spec);
  free(llm);
}

int tr_llmSkip(trLlm *llm, size_t n, char *err, size_t errsz) {
  if (!llm) {
    tr_llmSetErr(err, errsz, NULL, "tr_llmSkip: NULL client");
    return TB_EINVAL;
  }
  if (n == 0 || !llm->ops->skip) {
    return TB_OK;
  }
  return llm->ops->skip(llm, n, err, errsz);
}

long tr_llmRemaining(const trLlm *llm) {
  return llm != NULL && llm->ops->remaining != NULL ? llm->ops->remaining(llm) : -1;
}

void tr_llmRedactKeys(char *s, size_t cap) {
  for (size_t i = 0; s && i < tr_llmBackendCount(); i++) {
    const char *var = tr_llmBackendAt(i)->key_var;
    tr_llmScrub(s, cap, var ? getenv(var) : NULL);
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
  if (!llm || !req || !reply || !llm->ops) {
    tr_llmSetErr(err, errsz, NULL, "tr_llmComplete: NULL client, request or reply");
    return TB_EINVAL;
  }
  if (!req->user) {
    tr_llmSetErr(err, errsz, NULL, "tr_llmComplete: request has no user message");
    return TB_EINVAL;
  }
  double t0 = tb_nowMs();
  int rc = llm->ops->complete(llm, req, reply, err, errsz);
  reply->latency_s = (tb_nowMs() - t0) / 1000.0;
  /* where a reply enters tracebot, it becomes valid UTF-8: what the optimizer parses is
   * what the run logs */
  if (rc == TB_OK && reply->text != NULL && tb_utf8Sanitize(&reply->text, NULL) != TB_OK) {
    tr_llmSetErr(err, errsz, NULL, "out of memory reading the reply");
    rc = TB_ENOMEM;
  }
  if (rc != TB_OK) {
    /* The contract: an empty reply on error (attempts and latency stay for the logs). */
    free(reply->text);
    reply->text = NULL;
    reply->prompt_tokens = 0;
    reply->completion_tokens = 0;
    reply->tokens_estimated = 0;
    scrubSecrets(llm, err, errsz);
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
