/* replay:FILE: responses from a run's iterations.jsonl, in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tracebot/llm.h"

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
  trLlmReply r;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &r, g_err, sizeof(g_err)), TB_OK);
  assert_string_equal(r.text, "first");
  assert_int_equal(r.prompt_tokens, 10);
  assert_int_equal(r.completion_tokens, 2);
  assert_int_equal(r.tokens_estimated, 0);
  assert_int_equal(r.attempts, 1);
  tr_llmReplyClose(&r);

  assert_int_equal(tr_llmComplete(llm, &kRequest, &r, g_err, sizeof(g_err)), TB_OK);
  assert_string_equal(r.text, "second");
  assert_int_equal(r.prompt_tokens, 30);
  assert_int_equal(r.completion_tokens, 4);
  assert_int_equal(r.tokens_estimated, 0);
  tr_llmReplyClose(&r);

  assert_int_equal(tr_llmComplete(llm, &kRequest, &r, g_err, sizeof(g_err)), TB_OK);
  assert_string_equal(r.text, "third");
  assert_int_equal(r.prompt_tokens, 5);
  assert_int_equal(r.completion_tokens, 6);
  assert_int_equal(r.tokens_estimated, 1);
  tr_llmReplyClose(&r);

  /* No counts recorded: estimated from the request and the text. */
  assert_int_equal(tr_llmComplete(llm, &kRequest, &r, g_err, sizeof(g_err)), TB_OK);
  assert_string_equal(r.text, "fourth");
  assert_int_equal(r.tokens_estimated, 1);
  assert_int_equal(r.prompt_tokens, (long)((strlen("sysuser prompt") + 3) / 4));
  assert_int_equal(r.completion_tokens, 2);
  tr_llmReplyClose(&r);

  assert_int_equal(tr_llmComplete(llm, &kRequest, &r, g_err, sizeof(g_err)), TB_EEXHAUSTED);
  assert_null(r.text);
  assert_non_null(strstr(g_err, "no more responses"));
  assert_non_null(strstr(g_err, "4 used"));
  tr_freeLlm(llm);
}

static void replay_should_ignore_a_partial_last_line(void **state) {
  (void)state;
  trLlm *llm = makeReplay("{\"response\":\"only\"}\n{\"response\":\"cut in the mid");
  assert_non_null(llm);
  trLlmReply r;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &r, g_err, sizeof(g_err)), TB_OK);
  assert_string_equal(r.text, "only");
  tr_llmReplyClose(&r);
  assert_int_equal(tr_llmComplete(llm, &kRequest, &r, g_err, sizeof(g_err)), TB_EEXHAUSTED);
  tr_freeLlm(llm);

  /* A complete last line without a newline counts. */
  llm = makeReplay("{\"response\":\"a\"}\n{\"response\":\"b\"}");
  assert_non_null(llm);
  assert_int_equal(tr_llmComplete(llm, &kRequest, &r, g_err, sizeof(g_err)), TB_OK);
  tr_llmReplyClose(&r);
  assert_int_equal(tr_llmComplete(llm, &kRequest, &r, g_err, sizeof(g_err)), TB_OK);
  assert_string_equal(r.text, "b");
  tr_llmReplyClose(&r);
  tr_freeLlm(llm);
}

static void replay_should_keep_response_text_exactly(void **state) {
  (void)state;
  trLlm *llm = makeReplay("{\"response\":\"line1\\nline2 \\\"q\\\" \\u00e9\"}\n");
  assert_non_null(llm);
  trLlmReply r;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &r, g_err, sizeof(g_err)), TB_OK);
  assert_string_equal(r.text, "line1\nline2 \"q\" \xc3\xa9");
  tr_llmReplyClose(&r);
  tr_freeLlm(llm);
}

static void replay_of_an_empty_file_should_be_exhausted_at_once(void **state) {
  (void)state;
  trLlm *llm = makeReplay("");
  assert_non_null(llm);
  trLlmReply r;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &r, g_err, sizeof(g_err)), TB_EEXHAUSTED);
  tr_freeLlm(llm);
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
  trLlm *llm = tr_makeLlm(spec, &o, g_err, sizeof(g_err));
  unlink(g_path);
  assert_non_null(llm);
  trLlmReply r;
  assert_int_equal(tr_llmComplete(llm, &kRequest, &r, g_err, sizeof(g_err)), TB_EPROTOCOL);
  assert_non_null(strstr(g_err, "larger than 16 bytes"));
  tr_freeLlm(llm);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(replay_should_answer_in_order_then_report_exhaustion),
      cmocka_unit_test(replay_should_ignore_a_partial_last_line),
      cmocka_unit_test(replay_should_keep_response_text_exactly),
      cmocka_unit_test(replay_of_an_empty_file_should_be_exhausted_at_once),
      cmocka_unit_test(replay_should_reject_missing_files_and_bad_lines),
      cmocka_unit_test(replay_should_apply_the_size_cap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
