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

#include "tracebot/llm.h"
#include "chat_body.h"
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
  trLlmReply reply;
  assert_int_equal(http_ask(f, 200, OK_BODY, &kRequest, &reply), TB_OK);
  http_expectReply(&reply, "Hello, world", 21, 7);

  const mockRequest *r = mock_request(f->mock, 0);
  assert_non_null(r);
  assert_string_equal(r->url, "/v1/messages");
  assert_string_equal(r->api_key, KEY);
  assert_string_equal(r->authorization, "");
  assert_string_equal(r->anthropic_version, "2023-06-01");
  cJSON *body = chat_parse(r->body);
  chat_expectString(body, "model", "claude-test");
  chat_expectString(body, "system", "You are terse.");
  assert_int_equal(cJSON_GetObjectItem(body, "max_tokens")->valueint, 4096);
  assert_null(cJSON_GetObjectItem(body, "response_format"));
  chat_expectMessage(body, 1, 0, "user", "Say hi.");
  cJSON_Delete(body);
  tr_llmReplyClose(&reply);
}

static void version_header_should_be_sent_without_a_key(void **state) {
  httpFixture *f = *state;
  unsetenv("ANTHROPIC_API_KEY");
  trLlmReply reply;
  assert_int_equal(http_ask(f, 200, OK_BODY, &kRequest, &reply), TB_OK);
  assert_string_equal(mock_request(f->mock, 0)->api_key, "");
  assert_string_equal(mock_request(f->mock, 0)->anthropic_version, "2023-06-01");
  tr_llmReplyClose(&reply);
}

static void complete_should_reject_a_reply_without_text(void **state) {
  httpFixture *f = *state;
  trLlmReply reply;
  assert_int_equal(
      http_ask(f, 200, "{\"content\":[{\"type\":\"tool_use\",\"id\":\"t\"}]}", &kRequest, &reply),
      TB_EPROTOCOL);
  assert_non_null(strstr(f->err, "no text block"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(complete_should_send_key_version_and_messages_request),
      cmocka_unit_test(version_header_should_be_sent_without_a_key),
      cmocka_unit_test(complete_should_reject_a_reply_without_text),
  };
  return http_runTests(&kAnthropic, tests, sizeof tests / sizeof tests[0]);
}
