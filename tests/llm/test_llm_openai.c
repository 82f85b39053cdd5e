/* openai:MODEL against a loopback mock server: headers, request body, usage, the json_mode
 * fallback; then the cases every HTTP backend passes (http_cases.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "tracebot/llm.h"
#include "chat_body.h"
#include "http_cases.h"

#define KEY "sk-test-openai-0123"
#define OK_BODY                                                                              \
  "{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":" \
  "\"{\\\"a\\\": 1}\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,"        \
  "\"completion_tokens\":5,\"total_tokens\":17}}"

static const httpBackendCase kOpenai = {
    .spec = "openai:test-model",
    .key_var = "OPENAI_API_KEY",
    .key = KEY,
    .url_var = "OPENAI_BASE_URL",
    .url_suffix = "/v1",
    .endpoint = "/v1/chat/completions",
    .default_base = "https://api.openai.com/v1",
    .ok_body = OK_BODY,
    .ok_text = "{\"a\": 1}",
    .seed = 42,
};

static const trLlmRequest kRequest = {"You are terse.", "Say hi.", 100, 0};
static const trLlmRequest kJsonRequest = {"You are terse.", "Say hi.", 100, 1};

static void complete_should_send_key_and_chat_request_and_read_usage(void **state) {
  httpFixture *f = *state;
  trLlmReply reply;
  assert_int_equal(http_ask(f, 200, OK_BODY, &kJsonRequest, &reply), TB_OK);
  http_expectReply(&reply, "{\"a\": 1}", 12, 5);
  assert_true(reply.latency_s >= 0 && reply.latency_s < 5);

  /* What the server received. */
  assert_int_equal(mock_requestCount(f->mock), 1);
  const mockRequest *r = mock_request(f->mock, 0);
  assert_string_equal(r->method, "POST");
  assert_string_equal(r->url, "/v1/chat/completions");
  assert_string_equal(r->authorization, "Bearer " KEY);
  assert_string_equal(r->api_key, "");
  assert_string_equal(r->content_type, "application/json");
  cJSON *body = chat_parse(r->body);
  chat_expectString(body, "model", "test-model");
  assert_int_equal(cJSON_GetObjectItem(body, "max_tokens")->valueint, 100);
  chat_expectMessage(body, 2, 0, "system", "You are terse.");
  chat_expectMessage(body, 2, 1, "user", "Say hi.");
  cJSON *fmt = cJSON_GetObjectItem(body, "response_format");
  assert_non_null(fmt);
  chat_expectString(fmt, "type", "json_object");
  cJSON_Delete(body);
  tr_llmReplyClose(&reply);
  assert_null(reply.text);
}

static void complete_should_estimate_tokens_when_usage_is_absent(void **state) {
  httpFixture *f = *state;
  trLlmReply reply;
  assert_int_equal(http_ask(f, 200, "{\"choices\":[{\"message\":{\"content\":\"12345678\"}}]}",
                            &kRequest, &reply),
                   TB_OK);
  assert_int_equal(reply.tokens_estimated, 1);
  assert_int_equal(reply.completion_tokens, 2);
  assert_int_equal(reply.prompt_tokens, (long)((strlen("You are terse.Say hi.") + 3) / 4));
  tr_llmReplyClose(&reply);
}

static void json_mode_should_fall_back_when_response_format_is_rejected(void **state) {
  httpFixture *f = *state;
  mock_pushSimple(f->mock, 400,
                  "{\"error\":{\"message\":\"response_format is not supported by this model\"}}");
  mock_pushSimple(f->mock, 200, OK_BODY);
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = http_makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kJsonRequest, &reply, f->err, sizeof(f->err)), TB_OK);
  assert_int_equal(reply.attempts, 2);
  tr_llmReplyClose(&reply);
  /* Later calls remember: no response_format at all. */
  assert_int_equal(tr_llmComplete(llm, &kJsonRequest, &reply, f->err, sizeof(f->err)), TB_OK);
  assert_int_equal(reply.attempts, 1);
  tr_llmReplyClose(&reply);
  assert_int_equal(mock_requestCount(f->mock), 3);
  assert_non_null(strstr(mock_request(f->mock, 0)->body, "response_format"));
  assert_null(strstr(mock_request(f->mock, 1)->body, "response_format"));
  assert_null(strstr(mock_request(f->mock, 2)->body, "response_format"));
  tr_freeLlm(llm);
}

static void make_should_reject_bad_specs_and_options(void **state) {
  httpFixture *f = *state;
  assert_null(tr_makeLlm("", NULL, f->err, sizeof(f->err)));
  assert_null(tr_makeLlm("gpt-4o", NULL, f->err, sizeof(f->err)));
  assert_non_null(strstr(f->err, "unknown llm backend 'gpt-4o'"));
  assert_null(tr_makeLlm("openai:", NULL, f->err, sizeof(f->err)));
  assert_non_null(strstr(f->err, "needs a value"));
  assert_null(tr_makeLlm("bard:x", NULL, f->err, sizeof(f->err)));
  assert_non_null(strstr(f->err, "'bard'"));
  setenv("OPENAI_BASE_URL", "ftp://example.com", 1);
  assert_null(tr_makeLlm("openai:m", NULL, f->err, sizeof(f->err)));
  assert_non_null(strstr(f->err, "OPENAI_BASE_URL"));

  trLlmOptions o;
  tr_defaultLlmOptions(&o);
  o.max_attempts = 0;
  assert_null(tr_makeLlm("openai:m", &o, f->err, sizeof(f->err)));
  assert_non_null(strstr(f->err, "max_attempts=0"));
  tr_defaultLlmOptions(&o);
  o.timeout_s = -1;
  assert_null(tr_makeLlm("openai:m", &o, f->err, sizeof(f->err)));
  assert_non_null(strstr(f->err, "timeout_s"));
  assert_null(tr_makeLlm(NULL, NULL, NULL, 0));
}

static void complete_should_reject_null_arguments(void **state) {
  httpFixture *f = *state;
  trLlm *llm = http_makeClient(f);
  trLlmReply reply;
  trLlmRequest empty = {NULL, NULL, 0, 0};
  assert_int_equal(tr_llmComplete(llm, &empty, &reply, f->err, sizeof(f->err)), TB_EINVAL);
  assert_int_equal(tr_llmComplete(NULL, &kRequest, &reply, f->err, sizeof(f->err)), TB_EINVAL);
  assert_int_equal(tr_llmComplete(llm, &kRequest, NULL, NULL, 0), TB_EINVAL);
  tr_llmReplyClose(NULL);
  tr_freeLlm(NULL);
  tr_freeLlm(llm);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(complete_should_send_key_and_chat_request_and_read_usage),
      cmocka_unit_test(complete_should_estimate_tokens_when_usage_is_absent),
      cmocka_unit_test(json_mode_should_fall_back_when_response_format_is_rejected),
      cmocka_unit_test(make_should_reject_bad_specs_and_options),
      cmocka_unit_test(complete_should_reject_null_arguments),
  };
  return http_runTests(&kOpenai, tests, sizeof tests / sizeof tests[0]);
}
