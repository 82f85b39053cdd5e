/* openai:MODEL: the chat completions API (POST {OPENAI_BASE_URL}/chat/completions, key as
 * "Authorization: Bearer"), also spoken by vLLM, llama.cpp, Ollama, LM Studio and most
 * gateways. The request is the OpenAI-style one of codec.c; this file decodes the reply. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "llm_internal.h"

int tr_llmDecodeOpenai(const char *body, size_t len, size_t prompt_chars, trLlmReply *reply,
                       char *err, size_t errsz) {
  cJSON *root = tr_llmParseBody(body, len, err, errsz);
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
    tr_llmFillTokens(reply, tr_llmUsageCount(usage, "prompt_tokens"),
                     tr_llmUsageCount(usage, "completion_tokens"), prompt_chars);
    rc = TB_OK;
  }
  cJSON_Delete(root);
  return rc;
}

static const trLlmChatApi openaiApi = {
    .default_base = "https://api.openai.com/v1",
    .path = "/chat/completions",
    .key_header = "Authorization: Bearer ",
    .extra_header = NULL,
    .json_format = 1,
    .build = tr_llmBuildOpenaiRequest,
    .decode = tr_llmDecodeOpenai,
};

trLlmMakeFn tr_llmMakeOpenai;
int tr_llmMakeOpenai(trLlm *llm, const char *model, char *err, size_t errsz) {
  return tr_llmMakeHttp(llm, &openaiApi, model, err, errsz);
}
