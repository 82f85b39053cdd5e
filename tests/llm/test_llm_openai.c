/* openai:MODEL against a loopback mock server: headers, request body, retries, errors. */
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

#define KEY "sk-test-openai-0123"
#define OK_BODY                                                                              \
  "{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":" \
  "\"{\\\"a\\\": 1}\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,"        \
  "\"completion_tokens\":5,\"total_tokens\":17}}"

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
  char base[128];
  snprintf(base, sizeof(base), "%s/v1", mock_baseUrl(f->mock));
  setenv("OPENAI_BASE_URL", base, 1);
  setenv("OPENAI_API_KEY", KEY, 1);
  tr_defaultLlmOptions(&f->opts);
  f->opts.max_attempts = 3;
  f->opts.timeout_s = 5;
  f->opts.backoff_base_s = 0.01;
  f->opts.backoff_max_s = 0.05;
  f->opts.seed = 42;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  mock_stop(f->mock);
  free(f);
  unsetenv("OPENAI_BASE_URL");
  unsetenv("OPENAI_API_KEY");
  return 0;
}

static trLlm *makeClient(fixture *f) {
  trLlm *llm = tr_makeLlm("openai:test-model", &f->opts, f->err, sizeof(f->err));
  if (!llm) {
    fail_msg("tr_makeLlm: %s", f->err);
  }
  return llm;
}

static const trLlmRequest kRequest = {"You are terse.", "Say hi.", 100, 0};

static void complete_should_send_key_and_chat_request_and_read_usage(void **state) {
  fixture *f = *state;
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = makeClient(f);
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
  fixture *f = *state;
  mock_pushSimple(f->mock, 200, "{\"choices\":[{\"message\":{\"content\":\"12345678\"}}]}");
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_OK);
  assert_int_equal(reply.tokens_estimated, 1);
  assert_int_equal(reply.completion_tokens, 2);
  assert_int_equal(reply.prompt_tokens, (long)((strlen("You are terse.Say hi.") + 3) / 4));
  tr_llmReplyClose(&reply);
  tr_freeLlm(llm);
}

static void complete_should_honour_retry_after_on_429_then_succeed(void **state) {
  fixture *f = *state;
  f->opts.backoff_max_s = 5;
  mockResponse limited = {429, "{\"error\":{\"message\":\"slow down\"}}", "Retry-After: 1\n", 0, 0};
  mock_push(f->mock, &limited);
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_OK);
  assert_int_equal(reply.attempts, 2);
  assert_true(reply.latency_s >= 0.95);
  assert_true(reply.latency_s < 3.0);
  assert_int_equal(mock_requestCount(f->mock), 2);
  tr_llmReplyClose(&reply);
  tr_freeLlm(llm);
}

static void retry_after_should_be_capped_at_backoff_max(void **state) {
  fixture *f = *state;
  f->opts.backoff_max_s = 0.1;
  mockResponse limited = {429, "{}", "Retry-After: 120\n", 0, 0};
  mock_push(f->mock, &limited);
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_OK);
  assert_true(reply.latency_s < 2.0);
  tr_llmReplyClose(&reply);
  tr_freeLlm(llm);
}

static void complete_should_retry_after_500(void **state) {
  fixture *f = *state;
  mock_pushSimple(f->mock, 500, "{\"error\":{\"message\":\"internal\"}}");
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_OK);
  assert_int_equal(reply.attempts, 2);
  assert_string_equal(reply.text, "{\"a\": 1}");
  tr_llmReplyClose(&reply);
  tr_freeLlm(llm);
}

static void complete_should_give_up_after_max_attempts_of_503(void **state) {
  fixture *f = *state;
  for (int i = 0; i < 3; i++) {
    mock_pushSimple(f->mock, 503, "{\"error\":{\"message\":\"overloaded\"}}");
  }
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_ETRANSIENT);
  assert_null(reply.text);
  assert_int_equal(reply.attempts, 3);
  assert_int_equal(mock_requestCount(f->mock), 3);
  char want[160];
  snprintf(want, sizeof(want), "503 from %s/v1/chat/completions", mock_baseUrl(f->mock));
  assert_non_null(strstr(f->err, want));
  assert_non_null(strstr(f->err, "after 3 attempts"));
  assert_non_null(strstr(f->err, "overloaded"));
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
  assert_true(reply.latency_s >= 0.3 && reply.latency_s < 1.4);
  tr_llmReplyClose(&reply);
  tr_freeLlm(llm);
}

static void timeouts_should_be_reported_after_all_attempts(void **state) {
  fixture *f = *state;
  f->opts.timeout_s = 0.2;
  f->opts.max_attempts = 2;
  mockResponse slow = {200, OK_BODY, NULL, 800, 0};
  mock_push(f->mock, &slow);
  mock_push(f->mock, &slow);
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_ETRANSIENT);
  assert_non_null(strstr(f->err, "timeout"));
  assert_non_null(strstr(f->err, "after 2 attempts"));
  tr_freeLlm(llm);
}

static void complete_should_retry_a_truncated_body(void **state) {
  fixture *f = *state;
  mockResponse cut = {200, OK_BODY, NULL, 0, 20};
  mock_push(f->mock, &cut);
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_OK);
  assert_int_equal(reply.attempts, 2);
  assert_string_equal(reply.text, "{\"a\": 1}");
  tr_llmReplyClose(&reply);
  tr_freeLlm(llm);
}

static void truncated_bodies_should_end_in_a_protocol_error(void **state) {
  fixture *f = *state;
  f->opts.max_attempts = 2;
  mockResponse cut = {200, OK_BODY, NULL, 0, 20};
  mock_push(f->mock, &cut);
  mock_push(f->mock, &cut);
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_EPROTOCOL);
  assert_non_null(strstr(f->err, "truncated"));
  assert_non_null(strstr(f->err, "after 2 attempts"));
  tr_freeLlm(llm);
}

static void complete_should_reject_a_non_json_body_without_retrying(void **state) {
  fixture *f = *state;
  mock_pushSimple(f->mock, 200, "<html>gateway says hello</html>");
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_EPROTOCOL);
  assert_null(reply.text);
  assert_non_null(strstr(f->err, "not JSON"));
  assert_non_null(strstr(f->err, "<html>gateway"));
  assert_int_equal(mock_requestCount(f->mock), 1);
  tr_freeLlm(llm);
}

static void complete_should_report_401_clearly_without_retrying(void **state) {
  fixture *f = *state;
  mock_pushSimple(f->mock, 401, "{\"error\":{\"message\":\"Incorrect API key provided\"}}");
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_EAUTH);
  assert_int_equal(reply.attempts, 1);
  assert_int_equal(mock_requestCount(f->mock), 1);
  assert_non_null(strstr(f->err, "401 from "));
  assert_non_null(strstr(f->err, "check OPENAI_API_KEY"));
  assert_non_null(strstr(f->err, "Incorrect API key provided"));
  assert_null(strchr(f->err, '\n'));
  tr_freeLlm(llm);
}

static void complete_should_not_retry_403_404_or_400(void **state) {
  fixture *f = *state;
  mock_pushSimple(f->mock, 403, "{\"error\":{\"message\":\"forbidden\"}}");
  mock_pushSimple(f->mock, 404, "{\"error\":{\"message\":\"no such model\"}}");
  mock_pushSimple(f->mock, 400, "{\"error\":{\"message\":\"max_tokens too large\"}}");
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_EAUTH);
  assert_non_null(strstr(f->err, "403"));
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_EREQUEST);
  assert_non_null(strstr(f->err, "404"));
  assert_non_null(strstr(f->err, "OPENAI_BASE_URL"));
  assert_non_null(strstr(f->err, "test-model"));
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_EREQUEST);
  assert_non_null(strstr(f->err, "400"));
  assert_non_null(strstr(f->err, "max_tokens too large"));
  assert_int_equal(mock_requestCount(f->mock), 3);
  tr_freeLlm(llm);
}

static void json_mode_should_fall_back_when_response_format_is_rejected(void **state) {
  fixture *f = *state;
  mock_pushSimple(f->mock, 400,
                  "{\"error\":{\"message\":\"response_format is not supported by this model\"}}");
  mock_pushSimple(f->mock, 200, OK_BODY);
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = makeClient(f);
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

static void response_larger_than_the_cap_should_be_an_error(void **state) {
  fixture *f = *state;
  f->opts.max_response_bytes = 64;
  mock_pushSimple(f->mock, 200, OK_BODY);
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_EPROTOCOL);
  assert_non_null(strstr(f->err, "larger than 64 bytes"));
  assert_int_equal(mock_requestCount(f->mock), 1);
  tr_freeLlm(llm);
}

static void connection_refused_should_be_retried_then_reported(void **state) {
  fixture *f = *state;
  /* A port that was just free: start and stop a second server. */
  mockServer *gone = mock_start();
  assert_non_null(gone);
  char base[128];
  snprintf(base, sizeof(base), "%s/v1", mock_baseUrl(gone));
  mock_stop(gone);
  setenv("OPENAI_BASE_URL", base, 1);
  f->opts.max_attempts = 2;
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_ETRANSIENT);
  assert_int_equal(reply.attempts, 2);
  assert_non_null(strstr(f->err, "connection failed"));
  assert_non_null(strstr(f->err, base));
  assert_non_null(strstr(f->err, "after 2 attempts"));
  tr_freeLlm(llm);
}

static void local_server_without_key_should_get_no_authorization(void **state) {
  fixture *f = *state;
  unsetenv("OPENAI_API_KEY");
  mock_pushSimple(f->mock, 200, OK_BODY);
  mock_pushSimple(f->mock, 401, "{\"error\":\"key required\"}");
  trLlm *llm = makeClient(f);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_OK);
  tr_llmReplyClose(&reply);
  assert_string_equal(mock_request(f->mock, 0)->authorization, "");
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, f->err, sizeof(f->err)), TB_EAUTH);
  assert_non_null(strstr(f->err, "OPENAI_API_KEY is not set"));
  tr_freeLlm(llm);
}

static void make_should_require_the_key_for_the_public_api(void **state) {
  fixture *f = *state;
  unsetenv("OPENAI_API_KEY");
  unsetenv("OPENAI_BASE_URL");
  assert_null(tr_makeLlm("openai:gpt-4o", &f->opts, f->err, sizeof(f->err)));
  assert_non_null(strstr(f->err, "OPENAI_API_KEY is not set"));
  setenv("OPENAI_API_KEY", "", 1);
  assert_null(tr_makeLlm("openai:gpt-4o", &f->opts, f->err, sizeof(f->err)));
  setenv("OPENAI_BASE_URL", "https://api.openai.com/v1/", 1);
  assert_null(tr_makeLlm("openai:gpt-4o", &f->opts, f->err, sizeof(f->err)));
  /* With a key the client is made (no request is sent here). */
  setenv("OPENAI_API_KEY", KEY, 1);
  trLlm *llm = tr_makeLlm("openai:gpt-4o", NULL, f->err, sizeof(f->err));
  assert_non_null(llm);
  assert_string_equal(tr_llmSpec(llm), "openai:gpt-4o");
  tr_freeLlm(llm);
}

static void make_should_reject_bad_specs_and_options(void **state) {
  fixture *f = *state;
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
  fixture *f = *state;
  trLlm *llm = makeClient(f);
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
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(complete_should_send_key_and_chat_request_and_read_usage,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(complete_should_estimate_tokens_when_usage_is_absent, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(complete_should_honour_retry_after_on_429_then_succeed, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(retry_after_should_be_capped_at_backoff_max, setup, teardown),
      cmocka_unit_test_setup_teardown(complete_should_retry_after_500, setup, teardown),
      cmocka_unit_test_setup_teardown(complete_should_give_up_after_max_attempts_of_503, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(complete_should_retry_a_response_slower_than_the_timeout,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(timeouts_should_be_reported_after_all_attempts, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(complete_should_retry_a_truncated_body, setup, teardown),
      cmocka_unit_test_setup_teardown(truncated_bodies_should_end_in_a_protocol_error, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(complete_should_reject_a_non_json_body_without_retrying,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(complete_should_report_401_clearly_without_retrying, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(complete_should_not_retry_403_404_or_400, setup, teardown),
      cmocka_unit_test_setup_teardown(json_mode_should_fall_back_when_response_format_is_rejected,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(response_larger_than_the_cap_should_be_an_error, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(connection_refused_should_be_retried_then_reported, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(local_server_without_key_should_get_no_authorization, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(make_should_require_the_key_for_the_public_api, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(make_should_reject_bad_specs_and_options, setup, teardown),
      cmocka_unit_test_setup_teardown(complete_should_reject_null_arguments, setup, teardown),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return failed;
}
