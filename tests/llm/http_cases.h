/* What the tests of the HTTP chat backends (openai:, anthropic:, ...) share: a fixture with a
 * loopback mock server and the backend's environment variables pointing at it, and the cases
 * every HTTP backend must pass (retries, timeouts, status mapping, keys), since that
 * behaviour is llm/http.c's and not one API's. Each backend's test file adds what only its
 * API does (request shape, headers, decoding).
 */
#ifndef TRACEBOT_TESTS_LLM_HTTP_CASES_H
#define TRACEBOT_TESTS_LLM_HTTP_CASES_H

#include "mock_server.h"
#include "tracebot/llm.h"

/* One HTTP backend as its tests see it. */
typedef struct httpBackendCase {
  const char *spec;         /* "openai:test-model" */
  const char *key_var;      /* "OPENAI_API_KEY" */
  const char *key;          /* the fake key the fixture sets */
  const char *url_var;      /* "OPENAI_BASE_URL" */
  const char *url_suffix;   /* appended to the mock's URL in url_var: "/v1" or "" */
  const char *endpoint;     /* the path requests arrive at: "/v1/chat/completions" */
  const char *default_base; /* the public API's base URL */
  const char *ok_body;      /* a 200 body */
  const char *ok_text;      /* the reply text of ok_body */
  unsigned long long seed;  /* jitter seed */
} httpBackendCase;

/* The state of one test. */
typedef struct httpFixture {
  const httpBackendCase *api;
  mockServer *mock;
  trLlmOptions opts; /* 3 attempts, 5 s timeout, 10 ms .. 50 ms backoff */
  trLlm *llm;        /* the client of http_ask (freed by teardown) */
  char err[512];
} httpFixture;

/* cmocka setup and teardown: *state is the httpBackendCase on entry (register the test with
 * cmocka_unit_test_prestate_setup_teardown) and the httpFixture after setup. Setup starts
 * the mock and sets url_var and key_var; teardown stops it and unsets both. */
int http_setup(void **state);
int http_teardown(void **state);

/* tr_makeLlm(api->spec, &f->opts); fails the test on error. */
trLlm *http_makeClient(httpFixture *f);

/* tr_llmComplete with the fixture's error buffer. */
int http_complete(httpFixture *f, trLlm *llm, const trLlmRequest *req, trLlmReply *reply);

/* Queues the answer status + body, then sends req on the fixture's client (f->llm, made on
 * first use); returns tr_llmComplete's code. */
int http_ask(httpFixture *f, int status, const char *body, const trLlmRequest *req,
             trLlmReply *reply);

/* reply is a whole answer read in one attempt: its text, and the usage counts the API
 * reported (not estimated). */
void http_expectReply(const trLlmReply *reply, const char *text, long prompt_tokens,
                      long completion_tokens);

/* Runs the cases every HTTP backend must pass against api; returns the number that failed. */
int http_runCommonTests(const httpBackendCase *api);

/* The main of a backend's test file: between curl_global_init and curl_global_cleanup, runs
 * its n tests (plain cmocka_unit_test entries: each gets api and the fixture above), then the
 * common cases. Returns the number that failed. */
int http_runTests(const httpBackendCase *api, const struct CMUnitTest *tests, size_t n);

#endif /* TRACEBOT_TESTS_LLM_HTTP_CASES_H */
