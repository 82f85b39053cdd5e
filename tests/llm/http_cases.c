/* The fixture and the common cases of the HTTP backend tests (http_cases.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "cases.h"
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
  tr_freeLlm(f->llm);
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

int http_ask(httpFixture *f, int status, const char *body, const trLlmRequest *req,
             trLlmReply *reply) {
  mock_pushSimple(f->mock, status, body);
  if (f->llm == NULL) {
    f->llm = http_makeClient(f);
  }
  return http_complete(f, f->llm, req, reply);
}

void http_expectReply(const trLlmReply *reply, const char *text, long prompt_tokens,
                      long completion_tokens) {
  assert_string_equal(reply->text, text);
  assert_int_equal(reply->prompt_tokens, prompt_tokens);
  assert_int_equal(reply->completion_tokens, completion_tokens);
  assert_int_equal(reply->tokens_estimated, 0);
  assert_int_equal(reply->attempts, 1);
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

/* One answer of the server as a row of a table: body NULL stands for the backend's ok body. */
static mockResponse answerOf(const httpFixture *f, const mockResponse *row) {
  mockResponse a = *row;
  if (a.body == NULL) {
    a.body = f->api->ok_body;
  }
  return a;
}

/* Runs run on each of the n rows (size bytes apart), each on a fresh fixture (mock server and
 * options) of f's backend. */
static void forEachRow(const httpFixture *f, void (*run)(httpFixture *f, const void *row),
                       const void *rows, size_t size, size_t n) {
  for (size_t i = 0; i < n; i++) {
    void *state = (void *)f->api;
    assert_int_equal(http_setup(&state), 0);
    run(state, (const char *)rows + i * size);
    http_teardown(&state);
  }
}

/* Answers retried once before the ok answer comes: the reply after two attempts, within a
 * latency window (the Retry-After wait, the timeout). */
typedef struct retriedCase {
  const char *name; /* the behaviour */
  mockResponse answer;
  double timeout_s;     /* 0: the fixture's */
  double backoff_max_s; /* 0: the fixture's */
  double min_latency_s;
  double max_latency_s;
} retriedCase;

static const retriedCase kRetried[] = {
    /* Header names are case-insensitive. */
    {"complete should honour retry-after on 429 then succeed",
     {429, "{\"error\":{\"message\":\"slow down\"}}", "rEtRy-AfTeR: 1\n", 0, 0},
     0,
     5,
     0.95,
     3.0},
    {"retry-after should be capped at backoff max",
     {429, "{}", "Retry-After: 120\n", 0, 0},
     0,
     0.1,
     0,
     2.0},
    {"complete should retry a response slower than the timeout",
     {200, NULL, NULL, 1500, 0},
     0.3,
     0,
     0.3,
     1.4},
    {"complete should retry a truncated body", {200, NULL, NULL, 0, 20}, 0, 0, 0, 1e9},
};

static void runRetried(httpFixture *f, const void *row) {
  const retriedCase *c = row;
  f->opts.timeout_s = c->timeout_s ? c->timeout_s : f->opts.timeout_s;
  f->opts.backoff_max_s = c->backoff_max_s ? c->backoff_max_s : f->opts.backoff_max_s;
  mockResponse first = answerOf(f, &c->answer);
  mock_push(f->mock, &first);
  mock_pushSimple(f->mock, 200, f->api->ok_body);
  trLlmReply reply;
  case_int(c->name, "the code", completeOnce(f, &reply), TB_OK);
  case_int(c->name, "attempts", reply.attempts, 2);
  case_int(c->name, "requests", mock_requestCount(f->mock), 2);
  case_true(c->name, "the latency is in its window",
            reply.latency_s >= c->min_latency_s && reply.latency_s < c->max_latency_s);
}

static void complete_should_retry_each_answer_of_the_table_once(void **state) {
  forEachRow(*state, runRetried, kRetried, sizeof kRetried[0],
             sizeof kRetried / sizeof kRetried[0]);
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

/* Answers given at every attempt, and the error after the last: its code and parts of its
 * message (with from set, also "STATUS from URL", the URL the requests went to). */
typedef struct failingCase {
  const char *name; /* the behaviour */
  mockResponse answer;
  int max_attempts;
  double timeout_s; /* 0: the fixture's */
  int rc;
  int from;
  const char *parts[2];
} failingCase;

static const failingCase kFailing[] = {
    {"complete should give up after max attempts of 503",
     {503, "{\"error\":{\"message\":\"overloaded\"}}", NULL, 0, 0},
     3,
     0,
     TB_ETRANSIENT,
     1,
     {"after 3 attempts", "overloaded"}},
    {"timeouts should be reported after all attempts",
     {200, NULL, NULL, 800, 0},
     2,
     0.2,
     TB_ETRANSIENT,
     0,
     {"timeout", "after 2 attempts"}},
    {"truncated bodies should end in a protocol error",
     {200, NULL, NULL, 0, 20},
     2,
     0,
     TB_EPROTOCOL,
     0,
     {"truncated", "after 2 attempts"}},
};

static void runFailing(httpFixture *f, const void *row) {
  const failingCase *c = row;
  f->opts.max_attempts = c->max_attempts;
  f->opts.timeout_s = c->timeout_s ? c->timeout_s : f->opts.timeout_s;
  mockResponse answer = answerOf(f, &c->answer);
  for (int i = 0; i < c->max_attempts; i++) {
    mock_push(f->mock, &answer);
  }
  trLlmReply reply;
  case_int(c->name, "the code", completeOnce(f, &reply), c->rc);
  case_int(c->name, "attempts", reply.attempts, c->max_attempts);
  case_int(c->name, "requests", mock_requestCount(f->mock), c->max_attempts);
  if (c->from) {
    char want[256];
    snprintf(want, sizeof(want), "%d from %s%s", answer.status, mock_baseUrl(f->mock),
             f->api->endpoint);
    case_has(c->name, "the error", f->err, want);
  }
  for (int i = 0; i < 2; i++) {
    case_has(c->name, "the error", f->err, c->parts[i]);
  }
}

static void complete_should_fail_after_the_last_attempt_of_each_answer_of_the_table(void **state) {
  forEachRow(*state, runFailing, kFailing, sizeof kFailing[0],
             sizeof kFailing / sizeof kFailing[0]);
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
      COMMON(complete_should_retry_each_answer_of_the_table_once),
      COMMON(complete_should_retry_after_500_and_529),
      COMMON(complete_should_fail_after_the_last_attempt_of_each_answer_of_the_table),
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

int http_runTests(const httpBackendCase *api, const struct CMUnitTest *tests, size_t n) {
  struct CMUnitTest *own = calloc(n, sizeof(*own));
  assert_non_null(own);
  for (size_t i = 0; i < n; i++) {
    own[i] = tests[i];
    own[i].setup_func = http_setup;
    own[i].teardown_func = http_teardown;
    own[i].initial_state = (void *)api; /* cmocka's state is not const */
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int failed = _cmocka_run_group_tests(api->spec, own, n, NULL, NULL);
  failed += http_runCommonTests(api);
  curl_global_cleanup();
  free(own);
  return failed;
}
