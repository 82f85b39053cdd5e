/* JSON helpers shared by the chat APIs: the OpenAI-style request (also what exec: commands
 * read), message arrays, bounded body parsing, usage counts, error texts. No I/O. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "llm_internal.h"

/* Token counts above this are not believed. */
#define MAX_TOKENS_BELIEVED 1e12

/* ---- requests ----------------------------------------------------------------------- */

int tr_llmAddMessage(cJSON *messages, const char *role, const char *content) {
  cJSON *m = cJSON_CreateObject();
  if (!m) {
    return -1;
  }
  cJSON_AddItemToArray(messages, m);
  if (!cJSON_AddStringToObject(m, "role", role) ||
      !cJSON_AddStringToObject(m, "content", content)) {
    return -1;
  }
  return 0;
}

int tr_llmMaxTokens(const trLlmRequest *req) {
  return req->max_tokens > 0 ? req->max_tokens : 4096;
}

char *tr_llmBuildOpenaiRequest(const char *model, const trLlmRequest *req, int with_format) {
  cJSON *root = cJSON_CreateObject();
  char *out = NULL;
  if (!root) {
    return NULL;
  }
  cJSON *messages = NULL;
  if (!cJSON_AddStringToObject(root, "model", model) ||
      !(messages = cJSON_AddArrayToObject(root, "messages"))) {
    goto done;
  }
  if (req->system && *req->system && tr_llmAddMessage(messages, "system", req->system) != 0) {
    goto done;
  }
  if (tr_llmAddMessage(messages, "user", req->user ? req->user : "") != 0 ||
      !cJSON_AddNumberToObject(root, "max_tokens", tr_llmMaxTokens(req))) {
    goto done;
  }
  if (with_format) {
    cJSON *fmt = cJSON_AddObjectToObject(root, "response_format");
    if (!fmt || !cJSON_AddStringToObject(fmt, "type", "json_object")) {
      goto done;
    }
  }
  out = cJSON_PrintUnformatted(root);
done:
  cJSON_Delete(root);
  return out;
}

/* ---- responses ---------------------------------------------------------------------- */

/* Parses body as one JSON document (bounded by len); message names the first bytes. */
cJSON *tr_llmParseBody(const char *body, size_t len, char *err, size_t errsz) {
  const char *end = NULL;
  cJSON *root = body && len ? cJSON_ParseWithLengthOpts(body, len, &end, 0) : NULL;
  if (!root) {
    char first[64];
    tr_llmPrintable(body, len < 48 ? len : 48, first, sizeof(first));
    if (!len) {
      tr_llmSetErr(err, errsz, NULL, "response body is empty");
    } else {
      tr_llmSetErr(err, errsz, NULL,
                   "response body is not JSON or is truncated (%zu bytes; first bytes: '%s')", len,
                   first);
    }
    return NULL;
  }
  return root;
}

/* A usage count: a finite, non-negative number not absurdly large; else -1. */
long tr_llmUsageCount(const cJSON *obj, const char *name) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!cJSON_IsNumber(n) || !isfinite(n->valuedouble) || n->valuedouble < 0 ||
      n->valuedouble > MAX_TOKENS_BELIEVED) {
    return -1;
  }
  return (long)n->valuedouble;
}

/* Fills the token fields from the usage counts, estimating any that are missing. */
void tr_llmFillTokens(trLlmReply *reply, long prompt, long completion, size_t prompt_chars) {
  reply->tokens_estimated = prompt < 0 || completion < 0;
  reply->prompt_tokens = prompt >= 0 ? prompt : tr_llmEstimateTokens(prompt_chars);
  reply->completion_tokens =
      completion >= 0 ? completion : tr_llmEstimateTokens(strlen(reply->text));
}

void tr_llmErrorText(const char *body, size_t len, char *out, size_t outsz) {
  if (!out || !outsz) {
    return;
  }
  out[0] = '\0';
  if (!body || !len) {
    return;
  }
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
  const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
  const cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");
  if (cJSON_IsString(error) && error->valuestring) {
    message = error;
  }
  if (cJSON_IsString(message) && message->valuestring) {
    tr_llmPrintable(message->valuestring, strlen(message->valuestring), out, outsz);
  } else {
    tr_llmPrintable(body, len, out, outsz);
  }
  cJSON_Delete(root);
}
