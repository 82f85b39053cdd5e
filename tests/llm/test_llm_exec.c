/* exec:COMMAND with the scripts in tests/trace/scripts/: request on stdin, reply on stdout,
 * failures with status and stderr, timeouts that kill the process group, size cap. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "cases.h"
#include "chat_body.h"
#include "tracebot/llm.h"

#ifndef TRACEBOT_TEST_SCRIPTS
#error "TRACEBOT_TEST_SCRIPTS must name tests/trace/scripts"
#endif

static char g_err[512];

/* Makes exec:sh SCRIPTS/name args with the given timeout. */
static trLlm *makeScript(const char *name, const char *args, double timeout_s, size_t max_bytes) {
  char spec[1024];
  snprintf(spec, sizeof(spec), "exec:sh '%s/%s' %s", TRACEBOT_TEST_SCRIPTS, name, args ? args : "");
  trLlmOptions o;
  tr_defaultLlmOptions(&o);
  o.timeout_s = timeout_s;
  if (max_bytes) {
    o.max_response_bytes = max_bytes;
  }
  trLlm *llm = tr_makeLlm(spec, &o, g_err, sizeof(g_err));
  if (!llm) {
    fail_msg("tr_makeLlm: %s", g_err);
  }
  return llm;
}

static const trLlmRequest kRequest = {"system text", "user text", 123, 1};

static void exec_should_return_stdout_as_the_reply(void **state) {
  (void)state;
  trLlm *llm = makeScript("reply_json.sh", NULL, 5, 0);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, g_err, sizeof(g_err)), TB_OK);
  assert_string_equal(reply.text, "{\"reasoning\": \"ok\", \"suggestion\": {\"x\": 1}}\n");
  assert_int_equal(reply.tokens_estimated, 1);
  assert_int_equal(reply.prompt_tokens, (long)((strlen("system textuser text") + 3) / 4));
  assert_int_equal(reply.completion_tokens, (long)((strlen(reply.text) + 3) / 4));
  assert_int_equal(reply.attempts, 1);
  tr_llmReplyClose(&reply);
  tr_freeLlm(llm);
}

static void exec_should_write_the_openai_style_request_on_stdin(void **state) {
  (void)state;
  trLlm *llm = makeScript("echo_request.sh", NULL, 5, 0);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, g_err, sizeof(g_err)), TB_OK);
  cJSON *req = chat_parse(reply.text);
  chat_expectString(req, "model", "exec");
  assert_int_equal(cJSON_GetObjectItem(req, "max_tokens")->valueint, 123);
  chat_expectMessage(req, 2, 0, NULL, "system text");
  chat_expectMessage(req, 2, 1, NULL, "user text");
  chat_expectString(cJSON_GetObjectItem(req, "response_format"), "type", "json_object");
  cJSON_Delete(req);
  tr_llmReplyClose(&reply);

  /* Without json_mode there is no response_format. */
  trLlmRequest plain = kRequest;
  plain.json_mode = 0;
  assert_int_equal(tr_llmComplete(llm, &plain, &reply, g_err, sizeof(g_err)), TB_OK);
  assert_null(strstr(reply.text, "response_format"));
  tr_llmReplyClose(&reply);
  tr_freeLlm(llm);
}

static void exec_should_pass_a_large_request_through(void **state) {
  (void)state;
  size_t n = (size_t)2 << 20;
  char *big = malloc(n + 1);
  assert_non_null(big);
  memset(big, 'q', n);
  big[n] = '\0';
  trLlmRequest req = {NULL, big, 0, 0};
  trLlm *llm = makeScript("echo_request.sh", NULL, 10, (size_t)8 << 20);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &req, &reply, g_err, sizeof(g_err)), TB_OK);
  cJSON *parsed = cJSON_Parse(reply.text);
  assert_non_null(parsed);
  cJSON *user = cJSON_GetArrayItem(cJSON_GetObjectItem(parsed, "messages"), 0);
  assert_int_equal(strlen(cJSON_GetObjectItem(user, "content")->valuestring), n);
  cJSON_Delete(parsed);
  tr_llmReplyClose(&reply);
  tr_freeLlm(llm);
  free(big);
}

static void exec_should_not_deadlock_when_the_command_ignores_stdin(void **state) {
  (void)state;
  size_t n = (size_t)1 << 20; /* far more than a pipe buffer */
  char *big = malloc(n + 1);
  assert_non_null(big);
  memset(big, 'z', n);
  big[n] = '\0';
  trLlmRequest req = {NULL, big, 0, 0};
  trLlm *llm = makeScript("no_read.sh", NULL, 5, 0);
  trLlmReply reply;
  assert_int_equal(tr_llmComplete(llm, &req, &reply, g_err, sizeof(g_err)), TB_OK);
  assert_string_equal(reply.text, "hi");
  assert_true(reply.latency_s < 4.0);
  tr_llmReplyClose(&reply);
  tr_freeLlm(llm);
  free(big);
}

/* True when the process is gone (or a zombie waiting for init), within a second. */
static int processGone(pid_t pid) {
  for (int i = 0; i < 100; i++) {
    if (kill(pid, 0) != 0 && errno == ESRCH) {
      return 1;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f) {
      char buf[256] = "";
      size_t r = fread(buf, 1, sizeof(buf) - 1, f);
      fclose(f);
      buf[r] = '\0';
      char *close_paren = strrchr(buf, ')');
      if (close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z') {
        return 1;
      }
    }
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
  }
  return 0;
}

static void exec_should_kill_the_process_group_on_timeout(void **state) {
  (void)state;
  char pidfile[] = "/tmp/tracebot-exec-pid-XXXXXX";
  int fd = mkstemp(pidfile);
  assert_true(fd >= 0);
  close(fd);
  trLlm *llm = makeScript("hang.sh", pidfile, 0.5, 0);
  trLlmReply reply;
  double t0 = (double)time(NULL);
  assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, g_err, sizeof(g_err)), TB_EEXEC);
  assert_true((double)time(NULL) - t0 < 3.0);
  assert_true(reply.latency_s >= 0.45 && reply.latency_s < 2.0);
  assert_non_null(strstr(g_err, "timed out"));
  assert_non_null(strstr(g_err, "thinking..."));

  /* The background child of the shell died with it. */
  FILE *f = fopen(pidfile, "r");
  assert_non_null(f);
  int pid = 0;
  assert_int_equal(fscanf(f, "%d", &pid), 1);
  fclose(f);
  unlink(pidfile);
  assert_true(pid > 0);
  assert_true(processGone((pid_t)pid));
  tr_freeLlm(llm);
}

/* Commands that fail as an LLM, and the error: its code and what its one line says (two
 * parts it holds, one it lacks). */
typedef struct execFailure {
  const char *name; /* the behaviour */
  const char *spec;
  size_t max_bytes; /* the reply cap; 0: the default */
  int rc;
  const char *has[2];
  const char *lacks;
} execFailure;

#define SCRIPT(name) "exec:sh '" TRACEBOT_TEST_SCRIPTS "/" name "'"

static const execFailure kFailures[] = {
    {"exec should report the exit status and first stderr line",
     SCRIPT("fail.sh"),
     0,
     TB_EEXEC,
     {"status 3", "boom: model unavailable"},
     "second line"},
    {"exec should cap the reply size",
     SCRIPT("flood.sh"),
     1000,
     TB_EPROTOCOL,
     {"more than 1000 bytes", NULL},
     NULL},
    {"exec should fail on empty output",
     "exec:cat >/dev/null",
     0,
     TB_EEXEC,
     {"wrote nothing", NULL},
     NULL},
    {"exec should fail on a signal", "exec:kill -9 $$", 0, TB_EEXEC, {"signal 9", NULL}, NULL},
    {"exec should fail on a missing command",
     "exec:/nonexistent/tracebot-llm",
     0,
     TB_EEXEC,
     {"status 127", "/nonexistent/tracebot-llm"},
     NULL},
    {"exec should refuse a NUL in the reply",
     "exec:printf 'a\\000b'",
     0,
     TB_EPROTOCOL,
     {"NUL", NULL},
     NULL},
};

static void exec_should_fail_with_a_clear_error_for_each_command_of_the_table(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof kFailures / sizeof kFailures[0]; i++) {
    const execFailure *c = &kFailures[i];
    trLlmOptions o;
    tr_defaultLlmOptions(&o);
    o.timeout_s = 5;
    if (c->max_bytes) {
      o.max_response_bytes = c->max_bytes;
    }
    trLlm *llm = tr_makeLlm(c->spec, &o, g_err, sizeof(g_err));
    case_true(c->name, "the client is made", llm != NULL);
    trLlmReply reply;
    case_int(c->name, "the code", tr_llmComplete(llm, &kRequest, &reply, g_err, sizeof(g_err)),
             c->rc);
    case_true(c->name, "no reply text", reply.text == NULL);
    for (int k = 0; k < 2 && c->has[k]; k++) {
      case_has(c->name, "the error", g_err, c->has[k]);
    }
    if (c->lacks) {
      case_true(c->name, "the error lacks what it should", strstr(g_err, c->lacks) == NULL);
    }
    tr_freeLlm(llm);
  }
}

static void exec_client_should_be_reusable(void **state) {
  (void)state;
  trLlm *llm = tr_makeLlm("exec:cat > /dev/null; echo $((1 + 2))", NULL, g_err, sizeof(g_err));
  assert_non_null(llm);
  assert_string_equal(tr_llmSpec(llm), "exec:cat > /dev/null; echo $((1 + 2))");
  for (int i = 0; i < 20; i++) {
    trLlmReply reply;
    assert_int_equal(tr_llmComplete(llm, &kRequest, &reply, g_err, sizeof(g_err)), TB_OK);
    assert_string_equal(reply.text, "3\n");
    tr_llmReplyClose(&reply);
  }
  tr_freeLlm(llm);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(exec_should_return_stdout_as_the_reply),
      cmocka_unit_test(exec_should_write_the_openai_style_request_on_stdin),
      cmocka_unit_test(exec_should_pass_a_large_request_through),
      cmocka_unit_test(exec_should_not_deadlock_when_the_command_ignores_stdin),
      cmocka_unit_test(exec_should_kill_the_process_group_on_timeout),
      cmocka_unit_test(exec_should_fail_with_a_clear_error_for_each_command_of_the_table),
      cmocka_unit_test(exec_client_should_be_reusable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
