/* anthropic:MODEL against a loopback mock server: headers, request body, retries, errors. */
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
#include "mock_server.h"

#define KEY "sk-ant-test-4567"
#define OK_BODY                                                                               \
  "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":["               \
  "{\"type\":\"text\",\"text\":\"Hello, \"},{\"type\":\"tool_use\",\"id\":\"t\",\"name\":"    \
  "\"x\",\"input\":{}},{\"type\":\"text\",\"text\":\"world\"}],\"stop_reason\":\"end_turn\"," \
  "\"usage\":{\"input_tokens\":21,\"output_tokens\":7}}"

typedef struct fixture {
  mockServer *mock;
  trLlmOptions opts;
  char err[512];
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof(*f));
  assert_non_null(f);
  f->mock = mock_start();
  assert_non_null(f->mock);
  setenv("ANTHROPIC_BASE_URL", mock_baseUrl(f->mock), 1);
  setenv("ANTHROPIC_API_KEY", KEY, 1);
  tr_defaultLlmOptions(&f->opts);
  f->opts.max_attempts = 3;
  f->opts.timeout_s = 5;
  f->opts.backoff_base_s = 0.01;
  f->opts.backoff_max_s = 0.05;
  f->opts.seed = 7;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  mock_stop(f->mock);
  free(f);
  unsetenv("ANTHROPIC_BASE_URL");
  unsetenv("ANTHROPIC_API_KEY");
  return 0;
}

static trLlm *makeClient(fixture *f) {
  trLlm *llm = tr_makeLlm("anthropic:claude-test", &f->opts, f->err, sizeof(f->err));
  if (!llm) {
    fail_msg("tr_makeLlm: %s", f->err);
  }
  return llm;
}

static const trLlmRequest kRequest = {"You are terse.", "Say hi.", 0, 1};

static void complete_should_send_key_version_and_messages_request(void **state) {
  fixture *f = *state;
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_OK);
  assert_string_equal(reply.text, "Hello, world");
  assert_int_equal(reply.prompt_tokens, 21);
  assert_int_equal(reply.completion_tokens, 7);
  assert_int_equal(reply.tokens_estimated, 0);
  assert_int_equal(reply.attempts, 1);

  const mockRequest *r = mock_request(f->mock, 0);
  assert_non_null(r);
  assert_string_equal(r->url, "/v1/messages");
  assert_string_equal(r->api_key, KEY);
  assert_string_equal(r->authorization, "");
  assert_string_equal(r->anthropic_version, "2023-06-01");
  cJSON *body = cJSON_Parse(r->body);
  assert_non_null(body);
  assert_string_equal(cJSON_GetObjectItem(body, "model")->valuestring, "claude-test");
  assert_string_equal(cJSON_GetObjectItem(body, "system")->valuestring, "You are terse.");
  assert_int_equal(cJSON_GetObjectItem(body, "max_tokens")->valueint, 4096);
  assert_null(cJSON_GetObjectItem(body, "response_format"));
  cJSON *msgs = cJSON_GetObjectItem(body, "messages");
  assert_int_equal(cJSON_GetArraySize(msgs), 1);
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 0), "role")->valuestring,
                      "user");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 0), "content")->valuestring,
                      "Say hi.");
  cJSON_Delete(body);
  tr_llmReplyClose(&reply);
  tr_freeLlm(llm);
}

static void complete_should_honour_retry_after_on_429_then_succeed(void **state) {
  fixture *f = *state;
  f->opts.backoff_max_s = 5;
  mockResponse limited = {
      429, "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow\"}}",
      "retry-after: 1\n", 0, 0};
  mock_push(f->mock, &limited);
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_OK);
  assert_int_equal(reply.attempts, 2);
  assert_true(reply.latency_s >= 0.95 && reply.latency_s < 3.0);
  tr_llmReplyClose(&reply);
  tr_freeLlm(llm);
}

static void complete_should_retry_after_500_and_529(void **state) {
  fixture *f = *state;
  mock_pushSimple(f->mock, 500, "{\"type\":\"error\",\"error\":{\"message\":\"api_error\"}}");
  mock_pushSimple(f->mock, 529, "{\"type\":\"error\",\"error\":{\"message\":\"overloaded\"}}");
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_OK);
  assert_int_equal(reply.attempts, 3);
  assert_string_equal(reply.text, "Hello, world");
  tr_llmReplyClose(&reply);
  tr_freeLlm(llm);
}

static void complete_should_retry_a_response_slower_than_the_timeout(void **state) {
  fixture *f = *state;
  f->opts.timeout_s = 0.3;
  mockResponse slow = {200, OK_BODY, NULL, 1500, 0};
  mock_push(f->mock, &slow);
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_OK);
  assert_int_equal(reply.attempts, 2);
  assert_true(reply.latency_s < 1.4);
  tr_llmReplyClose(&reply);
  tr_freeLlm(llm);
}

static void complete_should_retry_a_truncated_body(void **state) {
  fixture *f = *state;
  mockResponse cut = {200, OK_BODY, NULL, 0, 30};
  mock_push(f->mock, &cut);
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_OK);
  assert_int_equal(reply.attempts, 2);
  tr_llmReplyClose(&reply);
  tr_freeLlm(llm);
}

static void complete_should_reject_a_non_json_body(void **state) {
  fixture *f = *state;
  mock_pushSimple(f->mock, 200, "Service temporarily unavailable");
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_EPROTOCOL);
  assert_non_null(strstr(f->err, "not JSON"));
  assert_non_null(strstr(f->err, "Service temporarily"));
  assert_int_equal(mock_requestCount(f->mock), 1);
  tr_freeLlm(llm);
}

static void complete_should_reject_a_reply_without_text(void **state) {
  fixture *f = *state;
  mock_pushSimple(f->mock, 200, "{\"content\":[{\"type\":\"tool_use\",\"id\":\"t\"}]}");
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_EPROTOCOL);
  assert_non_null(strstr(f->err, "no text block"));
  tr_freeLlm(llm);
}

static void complete_should_report_401_clearly_without_retrying(void **state) {
  fixture *f = *state;
  mock_pushSimple(f->mock, 401,
                  "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
                  "\"message\":\"invalid x-api-key\"}}");
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_EAUTH);
  assert_int_equal(mock_requestCount(f->mock), 1);
  assert_non_null(strstr(f->err, "401 from "));
  assert_non_null(strstr(f->err, "check ANTHROPIC_API_KEY"));
  assert_non_null(strstr(f->err, "invalid x-api-key"));
  tr_freeLlm(llm);
}

static void make_should_require_the_key_for_the_public_api(void **state) {
  fixture *f = *state;
  unsetenv("ANTHROPIC_API_KEY");
  unsetenv("ANTHROPIC_BASE_URL");
  assert_null(tr_makeLlm("anthropic:claude", &f->opts, f->err, sizeof(f->err)));
  assert_non_null(strstr(f->err, "ANTHROPIC_API_KEY is not set"));
}

static void local_server_without_key_should_get_no_api_key_header(void **state) {
  fixture *f = *state;
  unsetenv("ANTHROPIC_API_KEY");
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_OK);
  assert_string_equal(mock_request(f->mock, 0)->api_key, "");
  assert_string_equal(mock_request(f->mock, 0)->anthropic_version, "2023-06-01");
  tr_llmReplyClose(&reply);
  tr_freeLlm(llm);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(complete_should_send_key_version_and_messages_request, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(complete_should_honour_retry_after_on_429_then_succeed, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(complete_should_retry_after_500_and_529, setup, teardown),
      cmocka_unit_test_setup_teardown(complete_should_retry_a_response_slower_than_the_timeout,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(complete_should_retry_a_truncated_body, setup, teardown),
      cmocka_unit_test_setup_teardown(complete_should_reject_a_non_json_body, setup, teardown),
      cmocka_unit_test_setup_teardown(complete_should_reject_a_reply_without_text, setup, teardown),
      cmocka_unit_test_setup_teardown(complete_should_report_401_clearly_without_retrying, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(make_should_require_the_key_for_the_public_api, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(local_server_without_key_should_get_no_api_key_header, setup,
                                      teardown),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return failed;
}
