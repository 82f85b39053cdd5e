/* anthropic:MODEL: the Messages API (POST {ANTHROPIC_BASE_URL}/v1/messages, key as
 * "x-api-key", "anthropic-version: 2023-06-01"): its request and its reply. The API has no
 * response_format; json_mode is left to the prompt. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "llm_internal.h"

char *tr_llmBuildAnthropicRequest(const char *model, const trLlmRequest *req) {
  cJSON *root = cJSON_CreateObject();
  char *out = NULL;
  if (!root) {
    return NULL;
  }
  cJSON *messages = NULL;
  if (!cJSON_AddStringToObject(root, "model", model) ||
      !cJSON_AddNumberToObject(root, "max_tokens", tr_llmMaxTokens(req))) {
    goto done;
  }
  if (req->system && *req->system && !cJSON_AddStringToObject(root, "system", req->system)) {
    goto done;
  }
  if (!(messages = cJSON_AddArrayToObject(root, "messages")) ||
      tr_llmAddMessage(messages, "user", req->user ? req->user : "") != 0) {
    goto done;
  }
  out = cJSON_PrintUnformatted(root);
done:
  cJSON_Delete(root);
  return out;
}

/* The builder as the chat API calls it (there is no format to send). */
static char *buildRequest(const char *model, const trLlmRequest *req, int with_format) {
  (void)with_format;
  return tr_llmBuildAnthropicRequest(model, req);
}

int tr_llmDecodeAnthropic(const char *body, size_t len, size_t prompt_chars, trLlmReply *reply,
                          char *err, size_t errsz) {
  cJSON *root = tr_llmParseBody(body, len, err, errsz);
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
  tr_llmFillTokens(reply, tr_llmUsageCount(usage, "input_tokens"),
                   tr_llmUsageCount(usage, "output_tokens"), prompt_chars);
  rc = TB_OK;
done:
  cJSON_Delete(root);
  return rc;
}

static const trLlmChatApi anthropicApi = {
    .default_base = "https://api.anthropic.com",
    .path = "/v1/messages",
    .key_header = "x-api-key: ",
    .extra_header = "anthropic-version: 2023-06-01",
    .json_format = 0,
    .build = buildRequest,
    .decode = tr_llmDecodeAnthropic,
};

trLlmMakeFn tr_llmMakeAnthropic;
int tr_llmMakeAnthropic(trLlm *llm, const char *model, char *err, size_t errsz) {
  return tr_llmMakeHttp(llm, &anthropicApi, model, err, errsz);
}
