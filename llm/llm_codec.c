/* Pure request builders and response decoders of the HTTP backends (no I/O). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "llm_internal.h"

/* Token counts above this are not believed. */
#define MAX_TOKENS_BELIEVED 1e12

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

/* ---- requests ----------------------------------------------------------------------- */

static int addMessage(cJSON *messages, const char *role, const char *content) {
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

static int maxTokensOf(const trLlmRequest *req) {
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
  if (req->system && *req->system && addMessage(messages, "system", req->system) != 0) {
    goto done;
  }
  if (addMessage(messages, "user", req->user ? req->user : "") != 0 ||
      !cJSON_AddNumberToObject(root, "max_tokens", maxTokensOf(req))) {
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

char *tr_llmBuildAnthropicRequest(const char *model, const trLlmRequest *req) {
  cJSON *root = cJSON_CreateObject();
  char *out = NULL;
  if (!root) {
    return NULL;
  }
  cJSON *messages = NULL;
  if (!cJSON_AddStringToObject(root, "model", model) ||
      !cJSON_AddNumberToObject(root, "max_tokens", maxTokensOf(req))) {
    goto done;
  }
  if (req->system && *req->system && !cJSON_AddStringToObject(root, "system", req->system)) {
    goto done;
  }
  if (!(messages = cJSON_AddArrayToObject(root, "messages")) ||
      addMessage(messages, "user", req->user ? req->user : "") != 0) {
    goto done;
  }
  out = cJSON_PrintUnformatted(root);
done:
  cJSON_Delete(root);
  return out;
}

/* ---- responses ---------------------------------------------------------------------- */

/* Parses body as one JSON document (bounded by len); message names the first bytes. */
static cJSON *parseBody(const char *body, size_t len, char *err, size_t errsz) {
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
static long usageCount(const cJSON *obj, const char *name) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!cJSON_IsNumber(n) || !isfinite(n->valuedouble) || n->valuedouble < 0 ||
      n->valuedouble > MAX_TOKENS_BELIEVED) {
    return -1;
  }
  return (long)n->valuedouble;
}

/* Fills the token fields from the usage counts, estimating any that are missing. */
static void fillTokens(trLlmReply *reply, long prompt, long completion, size_t prompt_chars) {
  reply->tokens_estimated = prompt < 0 || completion < 0;
  reply->prompt_tokens = prompt >= 0 ? prompt : tr_llmEstimateTokens(prompt_chars);
  reply->completion_tokens =
      completion >= 0 ? completion : tr_llmEstimateTokens(strlen(reply->text));
}

int tr_llmDecodeOpenai(const char *body, size_t len, size_t prompt_chars, trLlmReply *reply,
                       char *err, size_t errsz) {
  cJSON *root = parseBody(body, len, err, errsz);
  if (!root) {
    return TB_EPROTOCOL;
  }
  int rc = TB_EPROTOCOL;
  const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
  const cJSON *choice = cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : NULL;
  const cJSON *message = cJSON_GetObjectItemCaseSensitive(choice, "message");
  const cJSON *content = cJSON_GetObjectItemCaseSensitive(message, "content");
  if (!cJSON_IsObject(root)) {
    tr_llmSetErr(err, errsz, NULL, "response body is JSON but not an object");
  } else if (!cJSON_IsArray(choices) || !cJSON_IsObject(choice)) {
    tr_llmSetErr(err, errsz, NULL, "response has no choices[0] object");
  } else if (!cJSON_IsObject(message)) {
    tr_llmSetErr(err, errsz, NULL, "response has no choices[0].message object");
  } else if (!cJSON_IsString(content) || !content->valuestring) {
    const cJSON *refusal = cJSON_GetObjectItemCaseSensitive(message, "refusal");
    if (cJSON_IsString(refusal) && refusal->valuestring) {
      char shown[96];
      tr_llmPrintable(refusal->valuestring, strlen(refusal->valuestring), shown, sizeof(shown));
      tr_llmSetErr(err, errsz, NULL, "the model refused: %s", shown);
    } else {
      tr_llmSetErr(err, errsz, NULL, "response has no string choices[0].message.content");
    }
  } else if (!(reply->text = strdup(content->valuestring))) {
    tr_llmSetErr(err, errsz, NULL, "out of memory copying the reply");
  } else {
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    fillTokens(reply, usageCount(usage, "prompt_tokens"), usageCount(usage, "completion_tokens"),
               prompt_chars);
    rc = TB_OK;
  }
  cJSON_Delete(root);
  return rc;
}

int tr_llmDecodeAnthropic(const char *body, size_t len, size_t prompt_chars, trLlmReply *reply,
                          char *err, size_t errsz) {
  cJSON *root = parseBody(body, len, err, errsz);
  if (!root) {
    return TB_EPROTOCOL;
  }
  int rc = TB_EPROTOCOL;
  const cJSON *content = cJSON_GetObjectItemCaseSensitive(root, "content");
  if (!cJSON_IsObject(root)) {
    tr_llmSetErr(err, errsz, NULL, "response body is JSON but not an object");
    goto done;
  }
  if (!cJSON_IsArray(content)) {
    tr_llmSetErr(err, errsz, NULL, "response has no content array");
    goto done;
  }

  /* Sum the text blocks' lengths, then concatenate them. */
  size_t total = 0;
  int blocks = 0;
  const cJSON *block = NULL;
  cJSON_ArrayForEach(block, content) {
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(block, "type");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(block, "text");
    if (cJSON_IsString(type) && strcmp(type->valuestring, "text") == 0 && cJSON_IsString(text) &&
        text->valuestring) {
      total += strlen(text->valuestring);
      blocks++;
    }
  }
  if (!blocks) {
    tr_llmSetErr(err, errsz, NULL, "response has no text block in content");
    goto done;
  }
  reply->text = malloc(total + 1);
  if (!reply->text) {
    tr_llmSetErr(err, errsz, NULL, "out of memory copying the reply");
    goto done;
  }
  size_t at = 0;
  cJSON_ArrayForEach(block, content) {
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(block, "type");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(block, "text");
    if (cJSON_IsString(type) && strcmp(type->valuestring, "text") == 0 && cJSON_IsString(text) &&
        text->valuestring) {
      size_t n = strlen(text->valuestring);
      memcpy(reply->text + at, text->valuestring, n);
      at += n;
    }
  }
  reply->text[at] = '\0';
  const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
  fillTokens(reply, usageCount(usage, "input_tokens"), usageCount(usage, "output_tokens"),
             prompt_chars);
  rc = TB_OK;
done:
  cJSON_Delete(root);
  return rc;
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
