/* The training loop through the real openai: client against a loopback mock server
 * (libmicrohttpd): the HTTP path, retries on 429, usage-based token accounting and the
 * API key kept out of the run directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracebot/agent.h"
#include "tracebot/train.h"
#include "mock_server.h"
#include "base.h"

#define FAKE_KEY "sk-test-train-DO-NOT-LEAK-4242"

/* An OpenAI chat completion whose reply is the content of tests/train/llm/NAME. */
static char *completion(const char *name, int promptTokens, int completionTokens) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/train/llm/%s", getenv("TRACEBOT_SOURCE_DIR"), name);
  char *text = tb_readFile(path, 1 << 20, NULL, NULL, 0);
  assert_non_null(text);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "object", "chat.completion");
  cJSON *choices = cJSON_AddArrayToObject(o, "choices");
  cJSON *choice = cJSON_CreateObject();
  cJSON *msg = cJSON_AddObjectToObject(choice, "message");
  cJSON_AddStringToObject(msg, "role", "assistant");
  cJSON_AddStringToObject(msg, "content", text);
  cJSON_AddStringToObject(choice, "finish_reason", "stop");
  cJSON_AddItemToArray(choices, choice);
  cJSON *usage = cJSON_AddObjectToObject(o, "usage");
  cJSON_AddNumberToObject(usage, "prompt_tokens", promptTokens);
  cJSON_AddNumberToObject(usage, "completion_tokens", completionTokens);
  char *body = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  free(text);
  return body;
}

static void train_over_openai_should_use_the_http_client_end_to_end(void **state) {
  (void)state;
  mockServer *m = mock_start();
  assert_non_null(m);
  char base[300];
  snprintf(base, sizeof base, "%s/v1", mock_baseUrl(m));
  setenv("OPENAI_BASE_URL", base, 1);
  setenv("OPENAI_API_KEY", FAKE_KEY, 1);

  /* A rate limit first, then the three scripted answers. */
  mockResponse limited = {.status = 429,
                          .body = "{\"error\": {\"message\": \"slow down\"}}",
                          .headers = "Retry-After: 0\n"};
  mock_push(m, &limited);
  const char *replies[] = {"reply_broken.txt", "reply_null.txt", "reply_solve.txt"};
  for (int i = 0; i < 3; i++) {
    char *body = completion(replies[i], 1000 + i, 100 + i);
    mock_pushSimple(m, 200, body);
    free(body);
  }

  char out[] = "/tmp/tracebot_train_openai.XXXXXX";
  assert_non_null(mkdtemp(out));
  char dir[600];
  snprintf(dir, sizeof dir, "%s/run", out);
  agTrainConfig cfg;
  ag_defaultTrain(&cfg);
  cfg.task = ENV_REACH;
  cfg.rollout.task = ENV_REACH;
  cfg.llm = "openai:mock-model";
  cfg.out_dir = dir;
  cfg.iters = 3;
  cfg.llm_options.backoff_base_s = 0.01;
  cfg.llm_options.timeout_s = 20;
  agTrainSummary sum;
  char err[1024] = "";
  int rc = ag_train(&cfg, NULL, NULL, &sum, err, sizeof err);
  if (rc != TB_OK) {
    fail_msg("ag_train: %s", err);
  }

  /* The HTTP path: the retry, the key in the header, the model, the JSON format. */
  assert_int_equal(mock_requestCount(m), 4);
  const mockRequest *r = mock_request(m, 1);
  assert_string_equal(r->authorization, "Bearer " FAKE_KEY);
  assert_string_equal(r->url, "/v1/chat/completions");
  assert_non_null(strstr(r->body, "\"model\":\"mock-model\""));
  assert_non_null(strstr(r->body, "json_object"));
  assert_non_null(strstr(r->body, "#Feedback"));

  /* The run: the scripted answers solve reach, tokens come from the usage fields. */
  assert_true(sum.final_test_success_rate == 1.0);
  assert_true(sum.prompt_tokens == 1000 + 1001 + 1002);
  assert_true(sum.completion_tokens == 100 + 101 + 102);

  /* The key is nowhere in the run directory. */
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "grep -rq '%s' '%s'", FAKE_KEY, dir);
  assert_int_not_equal(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "grep -q '\"tokens_estimated\":false' '%s/iterations.jsonl'", dir);
  assert_int_equal(system(cmd), 0);

  snprintf(cmd, sizeof cmd, "rm -rf '%s'", out);
  assert_int_equal(system(cmd), 0);
  mock_stop(m);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(train_over_openai_should_use_the_http_client_end_to_end),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
