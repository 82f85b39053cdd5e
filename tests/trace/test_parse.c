/* Tests of trace/parse.c: finding the JSON answer in a reply (pure function). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "tracebot/trace.h"

static trResponse parse(const char *s) {
  trResponse r;
  assert_int_equal(tr_parseResponse(s, strlen(s), &r), 0);
  return r;
}

static void parse_should_accept_plain_json(void **state) {
  (void)state;
  trResponse r = parse("{\"reasoning\": \"r\", \"answer\": \"a\", \"suggestion\": {\"x0\": 1}}");
  assert_int_equal(r.status, TR_RESPONSE_SUGGESTION);
  assert_string_equal(r.how, "whole text");
  assert_string_equal(r.reasoning, "r");
  assert_string_equal(r.answer, "a");
  assert_int_equal(r.nitems, 1);
  assert_string_equal(r.items[0].key, "x0");
  assert_int_equal(r.items[0].type, TR_JSON_NUMBER);
  assert_string_equal(r.items[0].text, "1");
  tr_responseClose(&r);
}

static void parse_should_accept_fenced_json(void **state) {
  (void)state;
  trResponse r = parse("Sure.\n```json\n{\"suggestion\": {\"x0\": \"a\\nb\"}}\n```\nDone.");
  assert_int_equal(r.status, TR_RESPONSE_SUGGESTION);
  assert_string_equal(r.how, "fenced block");
  assert_int_equal(r.items[0].type, TR_JSON_STRING);
  assert_string_equal(r.items[0].text, "a\nb");
  tr_responseClose(&r);
}

static void parse_should_find_json_inside_prose(void **state) {
  (void)state;
  trResponse r = parse("Here you go: {\"suggestion\": {\"x0\": [1, 2]}} Hope it helps.");
  assert_int_equal(r.status, TR_RESPONSE_SUGGESTION);
  assert_string_equal(r.how, "outermost braces");
  assert_int_equal(r.items[0].type, TR_JSON_ARRAY);
  assert_string_equal(r.items[0].text, "[1,2]");
  tr_responseClose(&r);
}

static void parse_should_prefer_the_object_with_a_suggestion(void **state) {
  (void)state;
  trResponse r = parse("The format is {\"a\": 1}. My answer: {\"suggestion\": {\"x0\": 2}}");
  assert_int_equal(r.status, TR_RESPONSE_SUGGESTION);
  assert_string_equal(r.how, "embedded object");
  assert_string_equal(r.items[0].key, "x0");
  tr_responseClose(&r);
}

static void parse_should_repair_trailing_commas_and_bad_escapes(void **state) {
  (void)state;
  trResponse r = parse("{\"suggestion\": {\"x0\": \"a\\qb\",},}");
  assert_int_equal(r.status, TR_RESPONSE_SUGGESTION);
  assert_string_equal(r.how, "repaired");
  assert_string_equal(r.items[0].text, "a\\qb");
  tr_responseClose(&r);
}

static void parse_should_accept_a_suggestion_given_as_a_string(void **state) {
  (void)state;
  trResponse r = parse("{\"suggestion\": \"{\\\"x0\\\": 5}\"}");
  assert_int_equal(r.status, TR_RESPONSE_SUGGESTION);
  assert_string_equal(r.items[0].key, "x0");
  assert_string_equal(r.items[0].text, "5");
  tr_responseClose(&r);
}

static void parse_should_read_terminate(void **state) {
  (void)state;
  trResponse r = parse("TERMINATE");
  assert_int_equal(r.status, TR_RESPONSE_TERMINATE);
  tr_responseClose(&r);
  r = parse("{\"reasoning\": \"fine\", \"answer\": \"TERMINATE\", \"suggestion\": {}}");
  assert_int_equal(r.status, TR_RESPONSE_TERMINATE);
  tr_responseClose(&r);
}

static void values_should_win_over_terminate(void **state) {
  (void)state;
  trResponse r = parse("{\"reasoning\": \"no need to TERMINATE\", \"suggestion\": {\"x0\": 1}}");
  assert_int_equal(r.status, TR_RESPONSE_SUGGESTION);
  tr_responseClose(&r);
}

static void parse_should_treat_a_bare_object_as_values(void **state) {
  (void)state;
  trResponse r = parse("{\"x0\": 1, \"y0\": \"t\"}");
  assert_int_equal(r.status, TR_RESPONSE_SUGGESTION);
  assert_int_equal(r.nitems, 2);
  assert_string_equal(r.items[1].key, "y0");
  tr_responseClose(&r);
}

static void parse_should_report_empty_and_missing_suggestions(void **state) {
  (void)state;
  trResponse r = parse("{\"reasoning\": \"hm\", \"suggestion\": {}}");
  assert_int_equal(r.status, TR_RESPONSE_EMPTY);
  assert_non_null(strstr(r.reason, "empty"));
  tr_responseClose(&r);
  r = parse("{\"reasoning\": \"hm\"}");
  assert_int_equal(r.status, TR_RESPONSE_EMPTY);
  assert_non_null(strstr(r.reason, "no \"suggestion\""));
  tr_responseClose(&r);
}

static void parse_should_reject_text_without_json(void **state) {
  (void)state;
  trResponse r = parse("I think the controller should move faster.");
  assert_int_equal(r.status, TR_RESPONSE_INVALID);
  assert_non_null(strstr(r.reason, "no JSON object"));
  assert_null(r.how);
  tr_responseClose(&r);
}

static void parse_should_reject_oversized_input(void **state) {
  (void)state;
  size_t n = TR_MAX_RESPONSE_BYTES + 1;
  char *big = malloc(n);
  assert_non_null(big);
  memset(big, ' ', n);
  trResponse r;
  assert_int_equal(tr_parseResponse(big, n, &r), 0);
  assert_int_equal(r.status, TR_RESPONSE_INVALID);
  assert_non_null(strstr(r.reason, "limit"));
  tr_responseClose(&r);
  free(big);
}

static void parse_should_not_read_past_len(void **state) {
  (void)state;
  /* a buffer without a terminator: the JSON is cut by len */
  char buf[32];
  memcpy(buf, "{\"suggestion\":{\"x0\":1}}XXXXXXXX", sizeof buf);
  trResponse r;
  assert_int_equal(tr_parseResponse(buf, 10, &r), 0);
  assert_int_equal(r.status, TR_RESPONSE_INVALID);
  tr_responseClose(&r);
  assert_int_equal(tr_parseResponse(buf, 23, &r), 0);
  assert_int_equal(r.status, TR_RESPONSE_SUGGESTION);
  tr_responseClose(&r);
}

static void parse_should_survive_hostile_shapes(void **state) {
  (void)state;
  /* deep nesting, unbalanced braces, NUL bytes, lone fences: never a crash */
  size_t n = 200000;
  char *s = malloc(n);
  assert_non_null(s);
  for (size_t i = 0; i < n; i++) {
    s[i] = (i % 2) ? '{' : '"';
  }
  trResponse r;
  assert_int_equal(tr_parseResponse(s, n, &r), 0);
  assert_int_equal(r.status, TR_RESPONSE_INVALID);
  tr_responseClose(&r);
  memset(s, '[', n);
  assert_int_equal(tr_parseResponse(s, n, &r), 0);
  tr_responseClose(&r);
  const char nul[] = "{\"suggestion\": {\"x\0\": 1}}";
  assert_int_equal(tr_parseResponse(nul, sizeof nul - 1, &r), 0);
  tr_responseClose(&r);
  assert_int_equal(tr_parseResponse("```", 3, &r), 0);
  assert_int_equal(r.status, TR_RESPONSE_INVALID);
  tr_responseClose(&r);
  free(s);
}

static void parse_should_accept_null_with_zero_length(void **state) {
  (void)state;
  trResponse r;
  assert_int_equal(tr_parseResponse(NULL, 0, &r), 0);
  assert_int_equal(r.status, TR_RESPONSE_INVALID);
  assert_non_null(strstr(r.reason, "empty"));
  tr_responseClose(&r);
  assert_int_equal(tr_parseResponse(NULL, 5, &r), TB_EINVAL);
  tr_responseClose(&r);
  tr_responseClose(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(parse_should_accept_plain_json),
      cmocka_unit_test(parse_should_accept_fenced_json),
      cmocka_unit_test(parse_should_find_json_inside_prose),
      cmocka_unit_test(parse_should_prefer_the_object_with_a_suggestion),
      cmocka_unit_test(parse_should_repair_trailing_commas_and_bad_escapes),
      cmocka_unit_test(parse_should_accept_a_suggestion_given_as_a_string),
      cmocka_unit_test(parse_should_read_terminate),
      cmocka_unit_test(values_should_win_over_terminate),
      cmocka_unit_test(parse_should_treat_a_bare_object_as_values),
      cmocka_unit_test(parse_should_report_empty_and_missing_suggestions),
      cmocka_unit_test(parse_should_reject_text_without_json),
      cmocka_unit_test(parse_should_reject_oversized_input),
      cmocka_unit_test(parse_should_not_read_past_len),
      cmocka_unit_test(parse_should_survive_hostile_shapes),
      cmocka_unit_test(parse_should_accept_null_with_zero_length),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
