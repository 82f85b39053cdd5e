/* API keys never leak: with a fake key in the environment, every success and error path of
 * every backend is exercised while stdout/stderr go to files in a scratch directory that is
 * also the working directory, HOME and TMPDIR. Afterwards the key must appear in no error
 * string, reply, spec, or any file there, and the mock must have received it only in the
 * authentication header. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "tracebot/llm.h"
#include "mock_server.h"

#define KEY "sk-test-DO-NOT-LEAK-123456"
#define KEY_PREFIX "sk-test-DO-NOT" /* a cut key must not survive either */

#define OPENAI_OK "{\"choices\":[{\"message\":{\"content\":\"fine\"}}]}"
#define ANTHROPIC_OK "{\"content\":[{\"type\":\"text\",\"text\":\"fine\"}]}"

static char g_dir[64];
static int g_saved_out = -1;
static int g_saved_err = -1;
static int g_checked;

/* Sends stdout and stderr to files in the scratch directory while the library runs. */
static void captureBegin(void) {
  fflush(stdout);
  fflush(stderr);
  g_saved_out = dup(1);
  g_saved_err = dup(2);
  int out = open("captured_stdout.txt", O_WRONLY | O_CREAT | O_APPEND, 0600);
  int err = open("captured_stderr.txt", O_WRONLY | O_CREAT | O_APPEND, 0600);
  assert_true(out >= 0 && err >= 0);
  dup2(out, 1);
  dup2(err, 2);
  close(out);
  close(err);
}

static void captureEnd(void) {
  fflush(stdout);
  fflush(stderr);
  dup2(g_saved_out, 1);
  dup2(g_saved_err, 2);
  close(g_saved_out);
  close(g_saved_err);
}

static void assertClean(const char *what, const char *s) {
  g_checked++;
  if (s && (strstr(s, KEY) || strstr(s, KEY_PREFIX))) {
    fail_msg("the key leaked into %s", what);
  }
}

/* One call: the error string and reply must be clean; returns the code. */
static int callOnce(trLlm *llm, int json_mode) {
  trLlmRequest req = {"system", "user", 16, json_mode};
  trLlmReply reply;
  char err[1024];
  memset(err, 0, sizeof(err));
  captureBegin();
  int rc = tr_llmComplete(llm, &req, &reply, err, sizeof(err));
  captureEnd();
  assertClean("an error string", err);
  assertClean("a reply", reply.text);
  tr_llmReplyClose(&reply);
  return rc;
}

static trLlmOptions fastOptions(void) {
  trLlmOptions o;
  tr_defaultLlmOptions(&o);
  o.max_attempts = 2;
  o.timeout_s = 0.3;
  o.backoff_base_s = 0.01;
  o.backoff_max_s = 0.02;
  o.max_response_bytes = 4096;
  return o;
}

/* Scripts every answer a server can give, each echoing the key where it can. */
static void pushEveryAnswer(mockServer *m, const char *ok) {
  mockResponse limited = {429, "{\"error\":{\"message\":\"rate limit for key " KEY "\"}}",
                          "Retry-After: 0\n", 0, 0};
  mock_pushSimple(m, 200, ok);
  mock_pushSimple(m, 401, "{\"error\":{\"message\":\"Incorrect API key provided: " KEY "\"}}");
  mock_pushSimple(m, 403, "{\"error\":{\"message\":\"key " KEY " is forbidden\"}}");
  mock_pushSimple(m, 400, "{\"error\":{\"message\":\"bad request from " KEY "\"}}");
  mock_pushSimple(m, 404, "{\"error\":{\"message\":\"" KEY " has no such model\"}}");
  mock_push(m, &limited);
  mock_push(m, &limited);
  mock_pushSimple(m, 500, KEY " crashed the server");
  mock_pushSimple(m, 500, "{\"error\":\"" KEY "\"}");
  mock_pushSimple(m, 200, KEY " is not JSON");
  mock_pushSimple(m, 200, "{\"choices\":\"" KEY "\",\"content\":\"" KEY "\"}");
  mockResponse cut = {200, ok, NULL, 0, 10};
  mock_push(m, &cut);
  mock_push(m, &cut);
  char big[8192];
  memset(big, 'x', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  memcpy(big, KEY, strlen(KEY));
  mock_pushSimple(m, 200, big);
  mockResponse slow = {200, ok, NULL, 600, 0};
  mock_push(m, &slow);
  mock_push(m, &slow);
}

/* Runs the whole script against one backend and checks what the server received. */
static void exerciseHttp(const char *spec, const char *ok, int openai) {
  mockServer *m = mock_start();
  assert_non_null(m);
  char base[128];
  snprintf(base, sizeof(base), "%s%s", mock_baseUrl(m), openai ? "/v1" : "");
  setenv(openai ? "OPENAI_BASE_URL" : "ANTHROPIC_BASE_URL", base, 1);
  pushEveryAnswer(m, ok);

  trLlmOptions o = fastOptions();
  char err[512];
  captureBegin();
  trLlm *llm = tr_makeLlm(spec, &o, err, sizeof(err));
  captureEnd();
  assert_non_null(llm);
  assertClean("the spec", tr_llmSpec(llm));

  /* One call per scripted answer (429, 500, truncated and slow ones come twice). */
  int want[] = {TB_OK,        TB_EAUTH,      TB_EAUTH,      TB_EREQUEST,
                TB_EREQUEST,  TB_ETRANSIENT, TB_ETRANSIENT, TB_EPROTOCOL,
                TB_EPROTOCOL, TB_EPROTOCOL,  TB_EPROTOCOL,  TB_ETRANSIENT};
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    int rc = callOnce(llm, 0);
    if (rc != want[i]) {
      fail_msg("%s call %zu: got %d, want %d", spec, i, rc, want[i]);
    }
  }
  /* Every request reached the server with the key in its header only. */
  int n = mock_requestCount(m);
  assert_int_equal(n, 16);
  for (int i = 0; i < n; i++) {
    const mockRequest *r = mock_request(m, i);
    const char *header = openai ? r->authorization : r->api_key;
    if (openai) {
      assert_string_equal(header, "Bearer " KEY);
    } else {
      assert_string_equal(header, KEY);
    }
    /* Exactly once among all headers, never in the body. */
    const char *first = strstr(r->all_headers, KEY);
    assert_non_null(first);
    assert_null(strstr(first + 1, KEY));
    assert_null(strstr(r->body, KEY));
  }
  tr_freeLlm(llm);

  /* Connection refused. */
  mock_stop(m);
  llm = tr_makeLlm(spec, &o, err, sizeof(err));
  assert_non_null(llm);
  assert_int_equal(callOnce(llm, 1), TB_ETRANSIENT);
  tr_freeLlm(llm);
}

static void openai_should_never_reveal_the_key(void **state) {
  (void)state;
  exerciseHttp("openai:gpt-test", OPENAI_OK, 1);
}

static void anthropic_should_never_reveal_the_key(void **state) {
  (void)state;
  exerciseHttp("anthropic:claude-test", ANTHROPIC_OK, 0);
}

static void exec_should_never_reveal_the_key(void **state) {
  (void)state;
  trLlmOptions o = fastOptions();
  char err[512];
  /* The request the command receives carries no key. */
  trLlm *llm = tr_makeLlm("exec:cat", &o, err, sizeof(err));
  assert_non_null(llm);
  assert_int_equal(callOnce(llm, 1), TB_OK);
  tr_freeLlm(llm);
  /* A command that prints the key on stderr and fails: the message is scrubbed. */
  const char *failing[] = {
      "exec:cat >/dev/null; echo \"auth failed for $OPENAI_API_KEY\" >&2; exit 2",
      "exec:echo \"$ANTHROPIC_API_KEY\" >&2; sleep 5",
  };
  for (size_t i = 0; i < 2; i++) {
    llm = tr_makeLlm(failing[i], &o, err, sizeof(err));
    assert_non_null(llm);
    assert_int_equal(callOnce(llm, 0), TB_EEXEC);
    tr_freeLlm(llm);
  }
}

static void replay_errors_should_not_reveal_the_key(void **state) {
  (void)state;
  char err[512];
  captureBegin();
  trLlm *llm = tr_makeLlm("replay:missing-" KEY ".jsonl", NULL, err, sizeof(err));
  captureEnd();
  assert_null(llm);
  assertClean("a replay error", err);
}

/* Every file under dir: none may contain the key. */
static void scanDirectory(const char *dir, int *files) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
      continue;
    }
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    if (S_ISDIR(st.st_mode)) {
      scanDirectory(path, files);
      continue;
    }
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc((size_t)st.st_size + 1);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (size_t)st.st_size, f);
    fclose(f);
    buf[n] = '\0';
    for (size_t i = 0; i + strlen(KEY_PREFIX) <= n; i++) {
      if (memcmp(buf + i, KEY_PREFIX, strlen(KEY_PREFIX)) == 0) {
        fail_msg("the key leaked into %s", path);
      }
    }
    free(buf);
    (*files)++;
  }
  closedir(d);
}

static void no_file_written_during_the_tests_should_contain_the_key(void **state) {
  (void)state;
  int files = 0;
  scanDirectory(g_dir, &files);
  assert_true(files >= 2); /* at least the captured stdout and stderr */
  assert_true(g_checked > 20);
}

static int groupSetup(void **state) {
  (void)state;
  snprintf(g_dir, sizeof(g_dir), "/tmp/tracebot-secrets-XXXXXX");
  assert_non_null(mkdtemp(g_dir));
  assert_int_equal(chdir(g_dir), 0);
  setenv("HOME", g_dir, 1);
  setenv("TMPDIR", g_dir, 1);
  setenv("OPENAI_API_KEY", KEY, 1);
  setenv("ANTHROPIC_API_KEY", KEY, 1);
  return 0;
}

/* Removes the scratch directory (flat: the library writes no subdirectories). */
static int groupTeardown(void **state) {
  (void)state;
  DIR *d = opendir(g_dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      char path[1024];
      snprintf(path, sizeof(path), "%s/%s", g_dir, e->d_name);
      unlink(path);
    }
    closedir(d);
  }
  if (chdir("/") != 0) {
    return -1;
  }
  rmdir(g_dir);
  return 0;
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(openai_should_never_reveal_the_key),
      cmocka_unit_test(anthropic_should_never_reveal_the_key),
      cmocka_unit_test(exec_should_never_reveal_the_key),
      cmocka_unit_test(replay_errors_should_not_reveal_the_key),
      cmocka_unit_test(no_file_written_during_the_tests_should_contain_the_key),
  };
  int failed = cmocka_run_group_tests(tests, groupSetup, groupTeardown);
  curl_global_cleanup();
  return failed;
}
