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
#include <curl/curl.h>

#include "tracebot/llm.h"
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

static void complete_should_send_key_and_chat_request_and_read_usage(void **state) {
  httpFixture *f = *state;
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = http_makeClient(f);
  trLlmRequest req = kRequest;
  req.json_mode = 1;
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &req, &reply, f->err, sizeof(f->err)), TB_OK);
  assert_string_equal(reply.text, "{\"a\": 1}");
  assert_int_equal(reply.prompt_tokens, 12);
  assert_int_equal(reply.completion_tokens, 5);
  assert_int_equal(reply.tokens_estimated, 0);
  assert_int_equal(reply.attempts, 1);
  assert_true(reply.latency_s >= 0 && reply.latency_s < 5);

  /* What the server received. */
  assert_int_equal(mock_requestCount(f->mock), 1);
  const mockRequest *r = mock_request(f->mock, 0);
  assert_string_equal(r->method, "POST");
  assert_string_equal(r->url, "/v1/chat/completions");
  assert_string_equal(r->authorization, "Bearer " KEY);
  assert_string_equal(r->api_key, "");
  assert_string_equal(r->content_type, "application/json");
  cJSON *body = cJSON_Parse(r->body);
  assert_non_null(body);
  assert_string_equal(cJSON_GetObjectItem(body, "model")->valuestring, "test-model");
  assert_int_equal(cJSON_GetObjectItem(body, "max_tokens")->valueint, 100);
  cJSON *msgs = cJSON_GetObjectItem(body, "messages");
  assert_int_equal(cJSON_GetArraySize(msgs), 2);
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 0), "role")->valuestring,
                      "system");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 0), "content")->valuestring,
                      "You are terse.");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 1), "role")->valuestring,
                      "user");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 1), "content")->valuestring,
                      "Say hi.");
  cJSON *fmt = cJSON_GetObjectItem(body, "response_format");
  assert_non_null(fmt);
  assert_string_equal(cJSON_GetObjectItem(fmt, "type")->valuestring, "json_object");
  cJSON_Delete(body);
  tr_llmReplyClose(&reply);
  assert_null(reply.text);
  tr_freeLlm(llm);
}

static void complete_should_estimate_tokens_when_usage_is_absent(void **state) {
  httpFixture *f = *state;
  mock_pushSimple(f->mock, 200, "{\"choices\":[{\"message\":{\"content\":\"12345678\"}}]}");
  trLlm *llm = http_makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_OK);
  assert_int_equal(reply.tokens_estimated, 1);
  assert_int_equal(reply.completion_tokens, 2);
  assert_int_equal(reply.prompt_tokens, (long)((strlen("You are terse.Say hi.") + 3) / 4));
  tr_llmReplyClose(&reply);
  tr_freeLlm(llm);
}

static void json_mode_should_fall_back_when_response_format_is_rejected(void **state) {
  httpFixture *f = *state;
  mock_pushSimple(f->mock, 400,
                  "{\"error\":{\"message\":\"response_format is not supported by this model\"}}");
  mock_pushSimple(f->mock, 200, OK_BODY);
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = http_makeClient(f);
  trLlmRequest req = kRequest;
  req.json_mode = 1;
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &req, &reply, f->err, sizeof(f->err)), TB_OK);
  assert_int_equal(reply.attempts, 2);
  tr_llmReplyClose(&reply);
  /* Later calls remember: no response_format at all. */
  assert_int_equal(tr_llmComplete(llm, &req, &reply, f->err, sizeof(f->err)), TB_OK);
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

#define TEST(test) cmocka_unit_test_prestate_setup_teardown(test, http_setup, http_teardown, api)

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  void *api = (void *)&kOpenai;
  const struct CMUnitTest tests[] = {
      TEST(complete_should_send_key_and_chat_request_and_read_usage),
      TEST(complete_should_estimate_tokens_when_usage_is_absent),
      TEST(json_mode_should_fall_back_when_response_format_is_rejected),
      TEST(make_should_reject_bad_specs_and_options),
      TEST(complete_should_reject_null_arguments),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  failed += http_runCommonTests(&kOpenai);
  curl_global_cleanup();
  return failed;
}
