/* Tests of trace/parse.c: finding the JSON answer in a reply (pure function). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "tracebot/trace.h"

/* One reply and what parsing it gives: its status (SUGGESTION unless given) and, where given,
 * where the JSON was found (how; "" for nowhere: how is NULL), a substring of the reason, the
 * reasoning and answer, the number of items and the key, type and text of one item. */
typedef struct parseCase {
  const char *name; /* the behaviour */
  const char *reply;
  trResponseStatus status;
  const char *how;
  const char *reason;
  const char *reasoning;
  const char *answer;
  int nitems;
  int item; /* the item that key, type and text describe */
  const char *key;
  const char *type; /* "null", "bool", "number", "string", "array" or "object" */
  const char *text;
} parseCase;

static const parseCase kCases[] = {
    {"parse should accept plain json",
     "{\"reasoning\": \"r\", \"answer\": \"a\", \"suggestion\": {\"x0\": 1}}", .how = "whole text",
     .reasoning = "r", .answer = "a", .nitems = 1, .key = "x0", .type = "number", .text = "1"},
    {"parse should accept fenced json",
     "Sure.\n```json\n{\"suggestion\": {\"x0\": \"a\\nb\"}}\n```\nDone.", .how = "fenced block",
     .type = "string", .text = "a\nb"},
    {"parse should find json inside prose",
     "Here you go: {\"suggestion\": {\"x0\": [1, 2]}} Hope it helps.", .how = "outermost braces",
     .type = "array", .text = "[1,2]"},
    {"parse should prefer the object with a suggestion",
     "The format is {\"a\": 1}. My answer: {\"suggestion\": {\"x0\": 2}}", .how = "embedded object",
     .key = "x0"},
    {"parse should repair trailing commas and bad escapes",
     "{\"suggestion\": {\"x0\": \"a\\qb\",},}", .how = "repaired", .text = "a\\qb"},
    {"parse should accept a suggestion given as a string", "{\"suggestion\": \"{\\\"x0\\\": 5}\"}",
     .key = "x0", .text = "5"},
    {"parse should read a bare terminate", "TERMINATE", .status = TR_RESPONSE_TERMINATE},
    {"parse should read terminate as the answer",
     "{\"reasoning\": \"fine\", \"answer\": \"TERMINATE\", \"suggestion\": {}}",
     .status = TR_RESPONSE_TERMINATE},
    {"values should win over terminate",
     "{\"reasoning\": \"no need to TERMINATE\", \"suggestion\": {\"x0\": 1}}",
     .status = TR_RESPONSE_SUGGESTION},
    {"parse should treat a bare object as values", "{\"x0\": 1, \"y0\": \"t\"}", .nitems = 2,
     .item = 1, .key = "y0"},
    {"parse should report an empty suggestion", "{\"reasoning\": \"hm\", \"suggestion\": {}}",
     .status = TR_RESPONSE_EMPTY, .reason = "empty"},
    {"parse should report a missing suggestion", "{\"reasoning\": \"hm\"}",
     .status = TR_RESPONSE_EMPTY, .reason = "no \"suggestion\""},
    {"parse should reject text without json", "I think the controller should move faster.",
     .status = TR_RESPONSE_INVALID, .how = "", .reason = "no JSON object"},
};

static const char *typeName(trJsonType t) {
  static const char *const names[] = {"null", "bool", "number", "string", "array", "object"};
  return t >= TR_JSON_NULL && t <= TR_JSON_OBJECT ? names[t] : "?";
}

static void checkCase(const parseCase *c) {
  trResponse r;
  case_int(c->name, "tr_parseResponse", tr_parseResponse(c->reply, strlen(c->reply), &r), 0);
  case_int(c->name, "status", r.status, c->status);
  if (c->how) {
    case_str(c->name, "how", r.how, c->how[0] ? c->how : NULL);
  }
  if (c->reason) {
    case_has(c->name, "reason", r.reason, c->reason);
  }
  if (c->reasoning) {
    case_str(c->name, "reasoning", r.reasoning, c->reasoning);
  }
  if (c->answer) {
    case_str(c->name, "answer", r.answer, c->answer);
  }
  if (c->nitems) {
    case_int(c->name, "nitems", r.nitems, c->nitems);
  }
  if (c->key || c->type || c->text) {
    case_true(c->name, "the item is there", c->item < r.nitems);
    const trSuggestion *it = &r.items[c->item];
    if (c->key) {
      case_str(c->name, "key", it->key, c->key);
    }
    if (c->type) {
      case_str(c->name, "type", typeName(it->type), c->type);
    }
    if (c->text) {
      case_str(c->name, "text", it->text, c->text);
    }
  }
  tr_responseClose(&r);
}

static void parse_should_give_each_reply_of_the_table_its_status_and_values(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof kCases / sizeof kCases[0]; i++) {
    checkCase(&kCases[i]);
  }
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
      cmocka_unit_test(parse_should_give_each_reply_of_the_table_its_status_and_values),
      cmocka_unit_test(parse_should_reject_oversized_input),
      cmocka_unit_test(parse_should_not_read_past_len),
      cmocka_unit_test(parse_should_survive_hostile_shapes),
      cmocka_unit_test(parse_should_accept_null_with_zero_length),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
