/* libFuzzer target for the LLM response decoders (llm/backend_openai.c, backend_anthropic.c,
 * codec.c): the bodies an HTTP server sends back are untrusted. The first byte picks the decoder
 * (OpenAI chat completions, Anthropic Messages, or the error-text extractor); the rest is the body.
 * Must never crash, leak or read out of bounds, and a decoded reply must be well formed. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "llm_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const char *body = (const char *)data + 1;
  size_t len = size - 1;
  char err[256];
  trLlmReply reply;
  memset(&reply, 0, sizeof reply);
  int rc = 0;
  switch (data[0] % 3) {
    case 0:
      rc = tr_llmDecodeOpenai(body, len, 1000, &reply, err, sizeof err);
      break;
    case 1:
      rc = tr_llmDecodeAnthropic(body, len, 1000, &reply, err, sizeof err);
      break;
    default: {
      char line[128];
      tr_llmErrorText(body, len, line, sizeof line);
      if (strlen(line) >= sizeof line) {
        __builtin_trap();
      }
      return 0;
    }
  }
  if (rc == TB_OK) {
    /* a decoded reply has text and counts that make sense */
    if (reply.text == NULL || reply.prompt_tokens < 0 || reply.completion_tokens < 0) {
      __builtin_trap();
    }
  } else if (reply.text != NULL || memchr(err, '\0', sizeof err) == NULL) {
    __builtin_trap();
  }
  tr_llmReplyClose(&reply);
  return 0;
}
