/* replay:FILE: responses from a run's iterations.jsonl, in order; only regular files, with
 * bounded lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cases.h"
#include "llm_internal.h"

static char g_err[512];
static char g_path[64];

/* Writes text to a fresh temporary file; its path is in g_path. */
static const char *writeFile(const char *text) {
  snprintf(g_path, sizeof(g_path), "/tmp/tracebot-replay-XXXXXX");
  int fd = mkstemp(g_path);
  assert_true(fd >= 0);
  size_t n = strlen(text);
  assert_int_equal(write(fd, text, n), (ssize_t)n);
  close(fd);
  return g_path;
}

static trLlm *makeReplay(const char *text) {
  char spec[128];
  snprintf(spec, sizeof(spec), "replay:%s", writeFile(text));
  trLlm *llm = tr_makeLlm(spec, NULL, g_err, sizeof(g_err));
  unlink(g_path);
  return llm;
}

static const trLlmRequest kRequest = {"sys", "user prompt", 0, 1};

static void replay_should_answer_in_order_then_report_exhaustion(void **state) {
  (void)state;
  trLlm *llm = makeReplay(
      "{\"iteration\":0,\"response\":\"first\",\"prompt_tokens\":10,\"completion_tokens\":2}\n"
      "{\"iteration\":1,\"fault\":\"compile\"}\n"
      "\n"
      "{\"iteration\":2,\"response\":null}\n"
      "{\"iteration\":3,\"llm\":{\"response\":\"second\",\"usage\":{\"prompt_tokens\":30,"
      "\"completion_tokens\":4}}}\n"
      "{\"iteration\":4,\"response\":\"third\",\"usage\":{\"input_tokens\":5,\"output_tokens\":6},"
      "\"tokens_estimated\":true}\n"
      "{\"iteration\":5,\"response\":\"fourth\"}\n");
  assert_non_null(llm);
  /* The answers in order; counts not recorded are estimated from the request and the text. */
  const struct {
    const char *text;
    long prompt_tokens;
    long completion_tokens;
    int tokens_estimated;
  } want[] = {
      {"first", 10, 2, 0},
      {"second", 30, 4, 0},
      {"third", 5, 6, 1},
      {"fourth", (long)((strlen("sysuser prompt") + 3) / 4), 2, 1},
  };
  trLlmReply r;
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    const char *name = want[i].text;
    case_int(name, "the code", tr_llmComplete(llm, &kRequest, &r, g_err, sizeof(g_err)), TB_OK);
    case_str(name, "the text", r.text, want[i].text);
    case_int(name, "prompt_tokens", r.prompt_tokens, want[i].prompt_tokens);
    case_int(name, "completion_tokens", r.completion_tokens, want[i].completion_tokens);
    case_int(name, "tokens_estimated", r.tokens_estimated, want[i].tokens_estimated);
    case_int(name, "attempts", r.attempts, 1);
    tr_llmReplyClose(&r);
  }

  assert_int_equal(tr_llmComplete(llm, &kRequest, &r, g_err, sizeof(g_err)), TB_EEXHAUSTED);
  assert_null(r.text);
  assert_non_null(strstr(g_err, "no more responses"));
  assert_non_null(strstr(g_err, "4 used"));
  tr_freeLlm(llm);
}

/* Recordings and what a replay of each answers, in order, before it is exhausted. */
static const struct {
  const char *name; /* the behaviour */
  const char *text;
  const char *answers[3]; /* NULL-terminated */
} kRecordings[] = {
    {"replay should ignore a partial last line",
     "{\"response\":\"only\"}\n{\"response\":\"cut in the mid",
     {"only", NULL}},
    {"replay should take a complete last line without a newline",
     "{\"response\":\"a\"}\n{\"response\":\"b\"}",
     {"a", "b", NULL}},
    {"replay should keep response text exactly",
     "{\"response\":\"line1\\nline2 \\\"q\\\" \\u00e9\"}\n",
     {"line1\nline2 \"q\" \xc3\xa9", NULL}},
    {"replay of an empty file should be exhausted at once", "", {NULL}},
};

static void replay_should_answer_what_each_recording_of_the_table_holds(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof kRecordings / sizeof kRecordings[0]; i++) {
    const char *name = kRecordings[i].name;
    trLlm *llm = makeReplay(kRecordings[i].text);
    case_true(name, "the replay is made", llm != NULL);
    trLlmReply r;
    for (const char *const *a = kRecordings[i].answers; *a; a++) {
      case_int(name, "the code", tr_llmComplete(llm, &kRequest, &r, g_err, sizeof(g_err)), TB_OK);
      case_str(name, "the answer", r.text, *a);
      tr_llmReplyClose(&r);
    }
    case_int(name, "the code at the end", tr_llmComplete(llm, &kRequest, &r, g_err, sizeof(g_err)),
             TB_EEXHAUSTED);
    tr_freeLlm(llm);
  }
}

static void replay_should_reject_missing_files_and_bad_lines(void **state) {
  (void)state;
  assert_null(tr_makeLlm("replay:/nonexistent/iterations.jsonl", NULL, g_err, sizeof(g_err)));
  assert_non_null(strstr(g_err, "/nonexistent/iterations.jsonl"));

  assert_null(makeReplay("{\"response\":\"a\"}\nnot json\n{\"response\":\"b\"}\n"));
  assert_non_null(strstr(g_err, "line 2"));
  assert_non_null(strstr(g_err, g_path));

  assert_null(makeReplay("{\"response\":42}\n"));
  assert_non_null(strstr(g_err, "line 1"));
  assert_non_null(strstr(g_err, "not a string"));

  assert_null(makeReplay("[\"response\"]\n{\"response\":\"x\"}\n"));
  assert_non_null(strstr(g_err, "line 1"));
}

static void replay_should_apply_the_size_cap(void **state) {
  (void)state;
  char spec[128];
  snprintf(spec, sizeof(spec), "replay:%s",
           writeFile("{\"response\":\"0123456789012345678901234567890123456789\"}\n"));
  trLlmOptions o;
  tr_defaultLlmOptions(&o);
  o.max_response_bytes = 16;
  /* refused when the client is made, before a run would be */
  assert_null(tr_makeLlm(spec, &o, g_err, sizeof(g_err)));
  unlink(g_path);
  assert_non_null(strstr(g_err, "line 1: the response is larger than 16 bytes"));
}

/* Seconds since start on the monotonic clock. */
static double since(double start_ms) {
  return (tb_nowMs() - start_ms) / 1000.0;
}

/* Makes replay:path and expects a one-line message naming the path and kind, at once. */
static void assertRefusedAtOnce(const char *path, const char *kind) {
  char spec[128];
  snprintf(spec, sizeof(spec), "replay:%s", path);
  double t0 = tb_nowMs();
  assert_null(tr_makeLlm(spec, NULL, g_err, sizeof(g_err)));
  assert_true(since(t0) < 1.0);
  assert_non_null(strstr(g_err, "replay: "));
  assert_non_null(strstr(g_err, path));
  assert_non_null(strstr(g_err, kind));
  assert_null(strchr(g_err, '\n'));
}

static void replay_of_a_fifo_or_directory_should_fail_at_once(void **state) {
  (void)state;
  char dir[] = "/tmp/tracebot-replay-dir-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char fifo[96];
  snprintf(fifo, sizeof(fifo), "%s/iterations.jsonl", dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  /* A FIFO with no writer would block a plain open or read forever. */
  assertRefusedAtOnce(fifo, "a FIFO");
  assertRefusedAtOnce(dir, "a directory");
  assertRefusedAtOnce("/dev/zero", "a character device");
  unlink(fifo);
  rmdir(dir);
}

static void replay_of_a_link_to_a_device_or_a_file_over_the_cap_should_fail_at_once(void **state) {
  (void)state;
  char dir[] = "/tmp/tracebot-replay-cap-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char link[96];
  char big[96];
  snprintf(link, sizeof(link), "%s/zero.jsonl", dir);
  snprintf(big, sizeof(big), "%s/big.jsonl", dir);
  assert_int_equal(symlink("/dev/zero", link), 0);
  assertRefusedAtOnce(link, "a character device");
  /* a sparse file just over the cap: refused from its size, not read */
  int fd = open(big, O_WRONLY | O_CREAT, 0600);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, (off_t)(256 << 20) + 1), 0);
  close(fd);
  assertRefusedAtOnce(big, "larger than 268435456 bytes");
  unlink(link);
  unlink(big);
  rmdir(dir);
}

static void a_reply_that_is_not_utf8_should_come_back_with_u_fffd(void **state) {
  (void)state;
  /* cJSON keeps raw bytes in strings; the client hands the optimizer valid UTF-8 */
  trLlm *llm = makeReplay("{\"response\":\"caf\xc3\xa9 \xff\xfe!\"}\n");
  assert_non_null(llm);
  trLlmReply r;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &r, g_err, sizeof(g_err)), TB_OK);
  assert_string_equal(r.text, "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd!");
  tr_llmReplyClose(&r);
  tr_freeLlm(llm);
}

static void read_line_should_stop_at_the_cap_without_waiting_for_the_line_end(void **state) {
  (void)state;
  /* A pipe whose writer stays open: a reader that wanted the whole line would block. */
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  char data[200];
  memset(data, 'x', sizeof(data));
  assert_int_equal(write(fds[1], "{\"a\":1}\n", 8), 8);
  assert_int_equal(write(fds[1], data, sizeof(data)), (ssize_t)sizeof(data));
  FILE *f = fdopen(fds[0], "rb");
  assert_non_null(f);
  tbBuf line;
  tb_bufInit(&line, 64);
  assert_int_equal(tr_llmReadLine(f, &line, 64), 1);
  assert_string_equal(line.data, "{\"a\":1}\n");
  assert_int_equal(tr_llmReadLine(f, &line, 64), -1);
  assert_int_equal(line.len, 64);
  tb_bufClose(&line);
  fclose(f);
  close(fds[1]);
}

static void read_line_should_take_a_last_line_without_newline_up_to_the_cap(void **state) {
  (void)state;
  FILE *f = tmpfile();
  assert_non_null(f);
  fputs("abc\n", f);
  fwrite("0123456789\0z", 1, 12, f); /* 12 bytes, one of them NUL, no newline */
  rewind(f);
  tbBuf line;
  tb_bufInit(&line, 12);
  assert_int_equal(tr_llmReadLine(f, &line, 12), 1);
  assert_string_equal(line.data, "abc\n");
  assert_int_equal(tr_llmReadLine(f, &line, 12), 1);
  assert_int_equal(line.len, 12);
  assert_memory_equal(line.data, "0123456789\0z", 12);
  assert_int_equal(tr_llmReadLine(f, &line, 12), 0);
  assert_int_equal(line.len, 0);
  tb_bufClose(&line);
  fclose(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(replay_should_answer_in_order_then_report_exhaustion),
      cmocka_unit_test(replay_should_answer_what_each_recording_of_the_table_holds),
      cmocka_unit_test(replay_should_reject_missing_files_and_bad_lines),
      cmocka_unit_test(replay_should_apply_the_size_cap),
      cmocka_unit_test(replay_of_a_fifo_or_directory_should_fail_at_once),
      cmocka_unit_test(replay_of_a_link_to_a_device_or_a_file_over_the_cap_should_fail_at_once),
      cmocka_unit_test(a_reply_that_is_not_utf8_should_come_back_with_u_fffd),
      cmocka_unit_test(read_line_should_stop_at_the_cap_without_waiting_for_the_line_end),
      cmocka_unit_test(read_line_should_take_a_last_line_without_newline_up_to_the_cap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
