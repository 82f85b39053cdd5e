/* Pure request builders and response decoders of the HTTP backends (llm/codec.c,
 * backend_openai.c, backend_anthropic.c), plus the message helpers of llm/util.c. No network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "cases.h"
#include "llm_internal.h"

static int decodeOpenai(const char *body, trLlmReply *reply, char *err, size_t errsz) {
  memset(reply, 0, sizeof(*reply));
  return tr_llmDecodeOpenai(body, strlen(body), 40, reply, err, errsz);
}

static int decodeAnthropic(const char *body, trLlmReply *reply, char *err, size_t errsz) {
  memset(reply, 0, sizeof(*reply));
  return tr_llmDecodeAnthropic(body, strlen(body), 40, reply, err, errsz);
}

/* Bodies a decoder reads whole: the reply text and the usage counts it reports. */
static const struct {
  const char *name; /* the behaviour */
  int (*decode)(const char *body, trLlmReply *reply, char *err, size_t errsz);
  const char *body;
  const char *text;
  long prompt_tokens;
  long completion_tokens;
} kDecoded[] = {
    {"decode openai should read content and usage", decodeOpenai,
     "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"ok\\n\"}}],"
     "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}",
     "ok\n", 3, 4},
    {"decode anthropic should concatenate text blocks", decodeAnthropic,
     "{\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"thinking\","
     "\"thinking\":\"hmm\"},{\"type\":\"text\",\"text\":\"bc\"}],"
     "\"usage\":{\"input_tokens\":9,\"output_tokens\":2}}",
     "abc", 9, 2},
};

static void decode_should_read_the_text_and_usage_of_each_body_of_the_table(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof kDecoded / sizeof kDecoded[0]; i++) {
    const char *name = kDecoded[i].name;
    trLlmReply r;
    char err[256] = "";
    case_int(name, "the code", kDecoded[i].decode(kDecoded[i].body, &r, err, sizeof(err)), TB_OK);
    case_str(name, "the text", r.text, kDecoded[i].text);
    case_int(name, "prompt_tokens", r.prompt_tokens, kDecoded[i].prompt_tokens);
    case_int(name, "completion_tokens", r.completion_tokens, kDecoded[i].completion_tokens);
    case_int(name, "tokens_estimated", r.tokens_estimated, 0);
    tr_llmReplyClose(&r);
  }
}

static void decode_openai_should_estimate_missing_or_bad_usage(void **state) {
  (void)state;
  trLlmReply r;
  char err[256];
  const char *bodies[] = {
      "{\"choices\":[{\"message\":{\"content\":\"abcdefghi\"}}]}",
      "{\"choices\":[{\"message\":{\"content\":\"abcdefghi\"}}],\"usage\":null}",
      "{\"choices\":[{\"message\":{\"content\":\"abcdefghi\"}}],\"usage\":{\"prompt_tokens\":-5,"
      "\"completion_tokens\":\"7\"}}",
      "{\"choices\":[{\"message\":{\"content\":\"abcdefghi\"}}],\"usage\":{\"prompt_tokens\":1e300,"
      "\"completion_tokens\":2}}",
  };
  for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
    assert_int_equal(decodeOpenai(bodies[i], &r, err, sizeof(err)), TB_OK);
    assert_int_equal(r.tokens_estimated, 1);
    assert_int_equal(r.prompt_tokens, 10); /* 40 prompt chars / 4 */
    tr_llmReplyClose(&r);
  }
  assert_int_equal(decodeOpenai(bodies[0], &r, err, sizeof(err)), TB_OK);
  assert_int_equal(r.completion_tokens, 3); /* ceil(9 / 4) */
  tr_llmReplyClose(&r);
}

static void decode_openai_should_reject_bodies_without_content(void **state) {
  (void)state;
  struct {
    const char *body;
    const char *want;
  } cases[] = {
      {"", "empty"},
      {"not json at all", "not JSON"},
      {"{\"choices\":[{\"message\":{\"content\":\"cut", "not JSON"},
      {"[1,2]", "not an object"},
      {"{\"choices\":[]}", "no choices[0]"},
      {"{\"choices\":{}}", "no choices[0]"},
      {"{\"choices\":[{}]}", "no choices[0].message"},
      {"{\"choices\":[{\"message\":{\"content\":null}}]}", "no string"},
      {"{\"choices\":[{\"message\":{\"content\":42}}]}", "no string"},
      {"{\"choices\":[{\"message\":{\"content\":null,\"refusal\":\"I can't\"}}]}", "refused"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    trLlmReply r;
    char err[256] = "";
    assert_int_equal(decodeOpenai(cases[i].body, &r, err, sizeof(err)), TB_EPROTOCOL);
    assert_null(r.text);
    if (!strstr(err, cases[i].want)) {
      fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].want);
    }
  }
}

static void decode_should_respect_the_length_not_the_terminator(void **state) {
  (void)state;
  const char *body = "{\"choices\":[{\"message\":{\"content\":\"x\"}}]}GARBAGE";
  trLlmReply r;
  memset(&r, 0, sizeof(r));
  char err[256];
  size_t len = strlen(body) - strlen("GARBAGE");
  assert_int_equal(tr_llmDecodeOpenai(body, len, 0, &r, err, sizeof(err)), TB_OK);
  assert_string_equal(r.text, "x");
  tr_llmReplyClose(&r);
  /* Cut one byte short: invalid. */
  assert_int_equal(tr_llmDecodeOpenai(body, len - 1, 0, &r, err, sizeof(err)), TB_EPROTOCOL);
}

static void decode_anthropic_should_reject_bad_bodies(void **state) {
  (void)state;
  const char *bodies[] = {
      "{",
      "{\"content\":\"text\"}",
      "{\"content\":[]}",
      "{\"content\":[{\"type\":\"text\",\"text\":5}]}",
      "{\"content\":[{\"text\":\"no type\"}]}",
  };
  for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
    trLlmReply r;
    char err[256];
    assert_int_equal(decodeAnthropic(bodies[i], &r, err, sizeof(err)), TB_EPROTOCOL);
    assert_null(r.text);
  }
}

static void build_openai_request_should_include_format_only_when_asked(void **state) {
  (void)state;
  trLlmRequest req = {"sys", "usr \"quoted\"", 0, 1};
  char *with = tr_llmBuildOpenaiRequest("m", &req, 1);
  char *without = tr_llmBuildOpenaiRequest("m", &req, 0);
  assert_non_null(with);
  assert_non_null(without);
  cJSON *a = cJSON_Parse(with);
  cJSON *b = cJSON_Parse(without);
  assert_non_null(cJSON_GetObjectItem(a, "response_format"));
  assert_null(cJSON_GetObjectItem(b, "response_format"));
  assert_int_equal(cJSON_GetObjectItem(a, "max_tokens")->valueint, 4096);
  cJSON *user = cJSON_GetArrayItem(cJSON_GetObjectItem(b, "messages"), 1);
  assert_string_equal(cJSON_GetObjectItem(user, "content")->valuestring, "usr \"quoted\"");
  cJSON_Delete(a);
  cJSON_Delete(b);
  free(with);
  free(without);

  /* No system message when it is empty. */
  trLlmRequest nosys = {"", "u", 5, 0};
  char *s = tr_llmBuildOpenaiRequest("m", &nosys, 0);
  cJSON *c = cJSON_Parse(s);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(c, "messages")), 1);
  cJSON_Delete(c);
  free(s);
}

static void build_anthropic_request_should_put_system_at_top_level(void **state) {
  (void)state;
  trLlmRequest req = {"sys", "usr", 10, 1};
  char *s = tr_llmBuildAnthropicRequest("claude", &req);
  cJSON *c = cJSON_Parse(s);
  assert_string_equal(cJSON_GetObjectItem(c, "system")->valuestring, "sys");
  assert_int_equal(cJSON_GetObjectItem(c, "max_tokens")->valueint, 10);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(c, "messages")), 1);
  cJSON_Delete(c);
  free(s);
}

static void error_text_should_prefer_the_api_message(void **state) {
  (void)state;
  char out[64];
  const char *b1 = "{\"error\":{\"message\":\"bad thing\\nhappened\",\"type\":\"x\"}}";
  tr_llmErrorText(b1, strlen(b1), out, sizeof(out));
  assert_string_equal(out, "bad thing?happened");
  const char *b2 = "{\"error\":\"plain\"}";
  tr_llmErrorText(b2, strlen(b2), out, sizeof(out));
  assert_string_equal(out, "plain");
  const char *b3 = "<html>\x01\xff oops</html>";
  tr_llmErrorText(b3, strlen(b3), out, sizeof(out));
  assert_string_equal(out, "<html>?? oops</html>");
  tr_llmErrorText(NULL, 0, out, sizeof(out));
  assert_string_equal(out, "");
  char small[8];
  tr_llmErrorText(b3, strlen(b3), small, sizeof(small));
  assert_string_equal(small, "<html>?");
}

static void scrub_should_redact_every_copy_of_the_secret(void **state) {
  (void)state;
  char buf[128];
  snprintf(buf, sizeof(buf), "a SECRET-KEY-123 b SECRET-KEY-123");
  tr_llmScrub(buf, sizeof(buf), "SECRET-KEY-123");
  assert_string_equal(buf, "a [redacted] b [redacted]");

  /* A short buffer: the mask does not fit, the message is cut before the key. */
  char small[12];
  snprintf(small, sizeof(small), "xxxxx%s", "SECRET");
  tr_llmScrub(small, sizeof(small), "SECRET");
  assert_null(strstr(small, "SECRET"));

  /* A long key cut by truncation leaves no long prefix behind. */
  char cut[24];
  const char *full = "key: sk-0123456789abcdefghijkl";
  memcpy(cut, full, sizeof(cut) - 1);
  cut[sizeof(cut) - 1] = '\0';
  tr_llmScrub(cut, sizeof(cut), "sk-0123456789abcdefghijkl");
  assert_null(strstr(cut, "sk-01234567"));

  char msg[64];
  tr_llmSetErr(msg, sizeof(msg), "TOKEN", "line1\nTOKEN\tline2");
  assert_string_equal(msg, "line1 [redacted] line2");
  tr_llmSetErr(NULL, 0, "TOKEN", "ignored %d", 1);
}

static void rng_should_be_reproducible_from_its_seed(void **state) {
  (void)state;
  uint64_t a;
  uint64_t b;
  tr_llmSeedRng(&a, 99);
  tr_llmSeedRng(&b, 99);
  for (int i = 0; i < 100; i++) {
    double x = tr_llmUniform(&a);
    assert_true(x >= 0 && x < 1);
    assert_true(x == tr_llmUniform(&b));
  }
  assert_int_equal(tr_llmEstimateTokens(0), 0);
  assert_int_equal(tr_llmEstimateTokens(1), 1);
  assert_int_equal(tr_llmEstimateTokens(8), 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(decode_should_read_the_text_and_usage_of_each_body_of_the_table),
      cmocka_unit_test(decode_openai_should_estimate_missing_or_bad_usage),
      cmocka_unit_test(decode_openai_should_reject_bodies_without_content),
      cmocka_unit_test(decode_should_respect_the_length_not_the_terminator),
      cmocka_unit_test(decode_anthropic_should_reject_bad_bodies),
      cmocka_unit_test(build_openai_request_should_include_format_only_when_asked),
      cmocka_unit_test(build_anthropic_request_should_put_system_at_top_level),
      cmocka_unit_test(error_text_should_prefer_the_api_message),
      cmocka_unit_test(scrub_should_redact_every_copy_of_the_secret),
      cmocka_unit_test(rng_should_be_reproducible_from_its_seed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
