/* The fixture and the common cases of the HTTP backend tests (http_cases.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_cases.h"

/* A request without json_mode: the same body on every API. */
static const trLlmRequest kRequest = {"You are terse.", "Say hi.", 100, 0};

int http_setup(void **state) {
  httpFixture *f = calloc(1, sizeof(*f));
  assert_non_null(f);
  f->api = *state;
  f->mock = mock_start();
  assert_non_null(f->mock);
  char base[160];
  snprintf(base, sizeof(base), "%s%s", mock_baseUrl(f->mock), f->api->url_suffix);
  setenv(f->api->url_var, base, 1);
  setenv(f->api->key_var, f->api->key, 1);
  tr_defaultLlmOptions(&f->opts);
  f->opts.max_attempts = 3;
  f->opts.timeout_s = 5;
  f->opts.backoff_base_s = 0.01;
  f->opts.backoff_max_s = 0.05;
  f->opts.seed = f->api->seed;
  *state = f;
  return 0;
}

int http_teardown(void **state) {
  httpFixture *f = *state;
  unsetenv(f->api->url_var);
  unsetenv(f->api->key_var);
  mock_stop(f->mock);
  free(f);
  return 0;
}

trLlm *http_makeClient(httpFixture *f) {
  trLlm *llm = tr_makeLlm(f->api->spec, &f->opts, f->err, sizeof(f->err));
  if (!llm) {
    fail_msg("tr_makeLlm(%s): %s", f->api->spec, f->err);
  }
  return llm;
}

int http_complete(httpFixture *f, trLlm *llm, const trLlmRequest *req, trLlmReply *reply) {
  return tr_llmComplete(llm, req, reply, f->err, sizeof(f->err));
}

/* One request on a fresh client: returns its code. On success the text must be ok_text, on
 * error there is none; the text is released, the counts stay in *reply. */
static int completeOnce(httpFixture *f, trLlmReply *reply) {
  trLlm *llm = http_makeClient(f);
  int rc = http_complete(f, llm, &kRequest, reply);
  if (rc == TB_OK) {
    assert_string_equal(reply->text, f->api->ok_text);
  } else {
    assert_null(reply->text);
  }
  trLlmReply counts = *reply;
  counts.text = NULL;
  tr_llmReplyClose(reply);
  *reply = counts;
  tr_freeLlm(llm);
  return rc;
}

/* ---- retries ------------------------------------------------------------------------------ */

static void complete_should_honour_retry_after_on_429_then_succeed(void **state) {
  httpFixture *f = *state;
  f->opts.backoff_max_s = 5;
  /* Header names are case-insensitive. */
  mockResponse limited = {429, "{\"error\":{\"message\":\"slow down\"}}", "rEtRy-AfTeR: 1\n", 0, 0};
  mock_push(f->mock, &limited);
  mock_pushSimple(f->mock, 200, f->api->ok_body);
  trLlmReply reply;
  assert_int_equal(completeOnce(f, &reply), TB_OK);
  assert_int_equal(reply.attempts, 2);
  assert_true(reply.latency_s >= 0.95);
  assert_true(reply.latency_s < 3.0);
  assert_int_equal(mock_requestCount(f->mock), 2);
}

static void retry_after_should_be_capped_at_backoff_max(void **state) {
  httpFixture *f = *state;
  f->opts.backoff_max_s = 0.1;
  mockResponse limited = {429, "{}", "Retry-After: 120\n", 0, 0};
  mock_push(f->mock, &limited);
  mock_pushSimple(f->mock, 200, f->api->ok_body);
  trLlmReply reply;
  assert_int_equal(completeOnce(f, &reply), TB_OK);
  assert_true(reply.latency_s < 2.0);
}

static void complete_should_retry_after_500_and_529(void **state) {
  httpFixture *f = *state;
  mock_pushSimple(f->mock, 500, "{\"error\":{\"message\":\"internal\"}}");
  mock_pushSimple(f->mock, 529, "{\"type\":\"error\",\"error\":{\"message\":\"overloaded\"}}");
  mock_pushSimple(f->mock, 200, f->api->ok_body);
  trLlmReply reply;
  assert_int_equal(completeOnce(f, &reply), TB_OK);
  assert_int_equal(reply.attempts, 3);
}

static void complete_should_give_up_after_max_attempts_of_503(void **state) {
  httpFixture *f = *state;
  for (int i = 0; i < 3; i++) {
    mock_pushSimple(f->mock, 503, "{\"error\":{\"message\":\"overloaded\"}}");
  }
  trLlmReply reply;
  assert_int_equal(completeOnce(f, &reply), TB_ETRANSIENT);
  assert_int_equal(reply.attempts, 3);
  assert_int_equal(mock_requestCount(f->mock), 3);
  char want[256];
  snprintf(want, sizeof(want), "503 from %s%s", mock_baseUrl(f->mock), f->api->endpoint);
  assert_non_null(strstr(f->err, want));
  assert_non_null(strstr(f->err, "after 3 attempts"));
  assert_non_null(strstr(f->err, "overloaded"));
}

static void complete_should_retry_a_response_slower_than_the_timeout(void **state) {
  httpFixture *f = *state;
  f->opts.timeout_s = 0.3;
  mockResponse slow = {200, f->api->ok_body, NULL, 1500, 0};
  mock_push(f->mock, &slow);
  mock_pushSimple(f->mock, 200, f->api->ok_body);
  trLlmReply reply;
  assert_int_equal(completeOnce(f, &reply), TB_OK);
  assert_int_equal(reply.attempts, 2);
  assert_true(reply.latency_s >= 0.3 && reply.latency_s < 1.4);
}

static void timeouts_should_be_reported_after_all_attempts(void **state) {
  httpFixture *f = *state;
  f->opts.timeout_s = 0.2;
  f->opts.max_attempts = 2;
  mockResponse slow = {200, f->api->ok_body, NULL, 800, 0};
  mock_push(f->mock, &slow);
  mock_push(f->mock, &slow);
  trLlmReply reply;
  assert_int_equal(completeOnce(f, &reply), TB_ETRANSIENT);
  assert_non_null(strstr(f->err, "timeout"));
  assert_non_null(strstr(f->err, "after 2 attempts"));
}

static void complete_should_retry_a_truncated_body(void **state) {
  httpFixture *f = *state;
  mockResponse cut = {200, f->api->ok_body, NULL, 0, 20};
  mock_push(f->mock, &cut);
  mock_pushSimple(f->mock, 200, f->api->ok_body);
  trLlmReply reply;
  assert_int_equal(completeOnce(f, &reply), TB_OK);
  assert_int_equal(reply.attempts, 2);
}

static void truncated_bodies_should_end_in_a_protocol_error(void **state) {
  httpFixture *f = *state;
  f->opts.max_attempts = 2;
  mockResponse cut = {200, f->api->ok_body, NULL, 0, 20};
  mock_push(f->mock, &cut);
  mock_push(f->mock, &cut);
  trLlmReply reply;
  assert_int_equal(completeOnce(f, &reply), TB_EPROTOCOL);
  assert_non_null(strstr(f->err, "truncated"));
  assert_non_null(strstr(f->err, "after 2 attempts"));
}

static void connection_refused_should_be_retried_then_reported(void **state) {
  httpFixture *f = *state;
  /* A port that was just free: start and stop a second server. */
  mockServer *gone = mock_start();
  assert_non_null(gone);
  char base[160];
  snprintf(base, sizeof(base), "%s%s", mock_baseUrl(gone), f->api->url_suffix);
  mock_stop(gone);
  setenv(f->api->url_var, base, 1);
  f->opts.max_attempts = 2;
  trLlmReply reply;
  assert_int_equal(completeOnce(f, &reply), TB_ETRANSIENT);
  assert_int_equal(reply.attempts, 2);
  assert_non_null(strstr(f->err, "connection failed"));
  assert_non_null(strstr(f->err, base));
  assert_non_null(strstr(f->err, "after 2 attempts"));
}

/* ---- answers that are not retried --------------------------------------------------------- */

static void complete_should_reject_a_non_json_body_without_retrying(void **state) {
  httpFixture *f = *state;
  mock_pushSimple(f->mock, 200, "<html>gateway says hello</html>");
  trLlmReply reply;
  assert_int_equal(completeOnce(f, &reply), TB_EPROTOCOL);
  assert_non_null(strstr(f->err, "not JSON"));
  assert_non_null(strstr(f->err, "<html>gateway"));
  assert_int_equal(mock_requestCount(f->mock), 1);
}

static void complete_should_report_401_clearly_without_retrying(void **state) {
  httpFixture *f = *state;
  mock_pushSimple(f->mock, 401,
                  "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
                  "\"message\":\"Incorrect API key provided\"}}");
  mock_pushSimple(f->mock, 200, f->api->ok_body);
  trLlmReply reply;
  assert_int_equal(completeOnce(f, &reply), TB_EAUTH);
  assert_int_equal(reply.attempts, 1);
  assert_int_equal(mock_requestCount(f->mock), 1);
  char want[96];
  snprintf(want, sizeof(want), "check %s", f->api->key_var);
  assert_non_null(strstr(f->err, "401 from "));
  assert_non_null(strstr(f->err, want));
  assert_non_null(strstr(f->err, "Incorrect API key provided"));
  assert_null(strchr(f->err, '\n'));
}

static void complete_should_not_retry_403_404_or_400(void **state) {
  httpFixture *f = *state;
  mock_pushSimple(f->mock, 403, "{\"error\":{\"message\":\"forbidden\"}}");
  mock_pushSimple(f->mock, 404, "{\"error\":{\"message\":\"no such model\"}}");
  mock_pushSimple(f->mock, 400, "{\"error\":{\"message\":\"max_tokens too large\"}}");
  trLlm *llm = http_makeClient(f);
  trLlmReply reply;
  assert_int_equal(http_complete(f, llm, &kRequest, &reply), TB_EAUTH);
  assert_non_null(strstr(f->err, "403"));
  assert_int_equal(http_complete(f, llm, &kRequest, &reply), TB_EREQUEST);
  assert_non_null(strstr(f->err, "404"));
  assert_non_null(strstr(f->err, f->api->url_var));
  assert_non_null(strstr(f->err, strchr(f->api->spec, ':') + 1)); /* the model */
  assert_int_equal(http_complete(f, llm, &kRequest, &reply), TB_EREQUEST);
  assert_non_null(strstr(f->err, "400"));
  assert_non_null(strstr(f->err, "max_tokens too large"));
  assert_int_equal(mock_requestCount(f->mock), 3);
  tr_freeLlm(llm);
}

static void response_larger_than_the_cap_should_be_an_error(void **state) {
  httpFixture *f = *state;
  f->opts.max_response_bytes = 64;
  mock_pushSimple(f->mock, 200, f->api->ok_body);
  trLlmReply reply;
  assert_int_equal(completeOnce(f, &reply), TB_EPROTOCOL);
  assert_non_null(strstr(f->err, "larger than 64 bytes"));
  assert_int_equal(mock_requestCount(f->mock), 1);
}

/* ---- keys --------------------------------------------------------------------------------- */

static void local_server_without_key_should_get_no_key_header(void **state) {
  httpFixture *f = *state;
  unsetenv(f->api->key_var);
  mock_pushSimple(f->mock, 200, f->api->ok_body);
  mock_pushSimple(f->mock, 401, "{\"error\":\"key required\"}");
  trLlm *llm = http_makeClient(f);
  trLlmReply reply;
  assert_int_equal(http_complete(f, llm, &kRequest, &reply), TB_OK);
  tr_llmReplyClose(&reply);
  assert_string_equal(mock_request(f->mock, 0)->authorization, "");
  assert_string_equal(mock_request(f->mock, 0)->api_key, "");
  assert_int_equal(http_complete(f, llm, &kRequest, &reply), TB_EAUTH);
  char want[96];
  snprintf(want, sizeof(want), "%s is not set", f->api->key_var);
  assert_non_null(strstr(f->err, want));
  tr_freeLlm(llm);
}

static void make_should_require_the_key_for_the_public_api(void **state) {
  httpFixture *f = *state;
  char want[96];
  snprintf(want, sizeof(want), "%s is not set", f->api->key_var);
  unsetenv(f->api->key_var);
  unsetenv(f->api->url_var);
  assert_null(tr_makeLlm(f->api->spec, &f->opts, f->err, sizeof(f->err)));
  assert_non_null(strstr(f->err, want));
  /* An empty key is no key; the public URL with a trailing slash is still the public URL. */
  setenv(f->api->key_var, "", 1);
  assert_null(tr_makeLlm(f->api->spec, &f->opts, f->err, sizeof(f->err)));
  char slash[128];
  snprintf(slash, sizeof(slash), "%s/", f->api->default_base);
  setenv(f->api->url_var, slash, 1);
  assert_null(tr_makeLlm(f->api->spec, &f->opts, f->err, sizeof(f->err)));
  assert_non_null(strstr(f->err, want));
  /* With a key the client is made (no request is sent here). */
  setenv(f->api->key_var, f->api->key, 1);
  trLlm *llm = tr_makeLlm(f->api->spec, NULL, f->err, sizeof(f->err));
  assert_non_null(llm);
  assert_string_equal(tr_llmSpec(llm), f->api->spec);
  tr_freeLlm(llm);
}

static void make_should_reject_a_base_url_that_is_not_http(void **state) {
  httpFixture *f = *state;
  setenv(f->api->url_var, "ftp://example.com", 1);
  assert_null(tr_makeLlm(f->api->spec, NULL, f->err, sizeof(f->err)));
  assert_non_null(strstr(f->err, f->api->url_var));
}

#define COMMON(test) \
  cmocka_unit_test_prestate_setup_teardown(test, http_setup, http_teardown, state)

int http_runCommonTests(const httpBackendCase *api) {
  void *state = (void *)api; /* cmocka's prestate is not const */
  const struct CMUnitTest tests[] = {
      COMMON(complete_should_honour_retry_after_on_429_then_succeed),
      COMMON(retry_after_should_be_capped_at_backoff_max),
      COMMON(complete_should_retry_after_500_and_529),
      COMMON(complete_should_give_up_after_max_attempts_of_503),
      COMMON(complete_should_retry_a_response_slower_than_the_timeout),
      COMMON(timeouts_should_be_reported_after_all_attempts),
      COMMON(complete_should_retry_a_truncated_body),
      COMMON(truncated_bodies_should_end_in_a_protocol_error),
      COMMON(connection_refused_should_be_retried_then_reported),
      COMMON(complete_should_reject_a_non_json_body_without_retrying),
      COMMON(complete_should_report_401_clearly_without_retrying),
      COMMON(complete_should_not_retry_403_404_or_400),
      COMMON(response_larger_than_the_cap_should_be_an_error),
      COMMON(local_server_without_key_should_get_no_key_header),
      COMMON(make_should_require_the_key_for_the_public_api),
      COMMON(make_should_reject_a_base_url_that_is_not_http),
  };
  return _cmocka_run_group_tests(api->spec, tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
