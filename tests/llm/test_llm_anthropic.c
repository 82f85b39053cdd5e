/* anthropic:MODEL against a loopback mock server: headers (with and without a key), request
 * body, text blocks; then the cases every HTTP backend passes (http_cases.c). */
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

#define KEY "sk-ant-test-4567"
#define OK_BODY                                                                               \
  "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":["               \
  "{\"type\":\"text\",\"text\":\"Hello, \"},{\"type\":\"tool_use\",\"id\":\"t\",\"name\":"    \
  "\"x\",\"input\":{}},{\"type\":\"text\",\"text\":\"world\"}],\"stop_reason\":\"end_turn\"," \
  "\"usage\":{\"input_tokens\":21,\"output_tokens\":7}}"

static const httpBackendCase kAnthropic = {
    .spec = "anthropic:claude-test",
    .key_var = "ANTHROPIC_API_KEY",
    .key = KEY,
    .url_var = "ANTHROPIC_BASE_URL",
    .url_suffix = "",
    .endpoint = "/v1/messages",
    .default_base = "https://api.anthropic.com",
    .ok_body = OK_BODY,
    .ok_text = "Hello, world",
    .seed = 7,
};

static const trLlmRequest kRequest = {"You are terse.", "Say hi.", 0, 1};

static void complete_should_send_key_version_and_messages_request(void **state) {
  httpFixture *f = *state;
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = http_makeClient(f);
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

static void version_header_should_be_sent_without_a_key(void **state) {
  httpFixture *f = *state;
  unsetenv("ANTHROPIC_API_KEY");
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = http_makeClient(f);
  trLlmReply reply;
  assert_int_equal(http_complete(f, llm, &kRequest, &reply), TB_OK);
  assert_string_equal(mock_request(f->mock, 0)->api_key, "");
  assert_string_equal(mock_request(f->mock, 0)->anthropic_version, "2023-06-01");
  tr_llmReplyClose(&reply);
  tr_freeLlm(llm);
}

static void complete_should_reject_a_reply_without_text(void **state) {
  httpFixture *f = *state;
  mock_pushSimple(f->mock, 200, "{\"content\":[{\"type\":\"tool_use\",\"id\":\"t\"}]}");
  trLlm *llm = http_makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_EPROTOCOL);
  assert_non_null(strstr(f->err, "no text block"));
  tr_freeLlm(llm);
}

#define TEST(test) cmocka_unit_test_prestate_setup_teardown(test, http_setup, http_teardown, api)

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  void *api = (void *)&kAnthropic;
  const struct CMUnitTest tests[] = {
      TEST(complete_should_send_key_version_and_messages_request),
      TEST(version_header_should_be_sent_without_a_key),
      TEST(complete_should_reject_a_reply_without_text),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  failed += http_runCommonTests(&kAnthropic);
  curl_global_cleanup();
  return failed;
}
