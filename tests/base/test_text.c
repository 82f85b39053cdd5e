/* Tests of base/text.c: the one UTF-8 rule for text written as JSON (each byte that is not
 * part of a well-formed character becomes U+FFFD, idempotent, valid text untouched) and
 * the escaping of control characters for a terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"

#define FFFD TB_UTF8_REPLACEMENT

/* tb_utf8Sanitize of n bytes of s (a heap copy); returns the result, caller frees. */
static char *sanitized(const char *s, size_t n, size_t *outLen) {
  char *text = malloc(n + 1);
  assert_non_null(text);
  memcpy(text, s, n);
  text[n] = '\0';
  size_t len = n;
  assert_int_equal(tb_utf8Sanitize(&text, &len), TB_OK);
  assert_int_equal(len, strlen(text));
  if (outLen != NULL) {
    *outLen = len;
  }
  return text;
}

static void utf8_valid_should_accept_well_formed_text_only(void **state) {
  (void)state;
  assert_true(tb_utf8Valid("", 0));
  assert_true(tb_utf8Valid("plain ascii\n", 12));
  assert_true(tb_utf8Valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\xa4\x96", 14)); /* é € robot */
  assert_true(tb_utf8Valid("\xf4\x8f\xbf\xbf", 4));                           /* U+10FFFF */
  assert_false(tb_utf8Valid("\xff", 1));
  assert_false(tb_utf8Valid("\xc3", 1));             /* cut short */
  assert_false(tb_utf8Valid("\xc0\xaf", 2));         /* overlong '/' */
  assert_false(tb_utf8Valid("\xe0\x80\xaf", 3));     /* overlong */
  assert_false(tb_utf8Valid("\xed\xa0\x80", 3));     /* a surrogate */
  assert_false(tb_utf8Valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
  assert_false(tb_utf8Valid("a\0b", 3));             /* NUL ends a C string */
}

static void sanitize_should_replace_each_bad_byte_with_u_fffd(void **state) {
  (void)state;
  size_t n = 0;
  char *s = sanitized("ok \xff\xfe end", 9, &n);
  assert_string_equal(s, "ok " FFFD FFFD " end");
  free(s);
  /* a cut sequence: its lead byte is replaced, what follows is kept */
  s = sanitized("x\xe2\x82y", 4, NULL);
  assert_string_equal(s, "x" FFFD FFFD "y");
  free(s);
  s = sanitized("a\0b", 3, NULL);
  assert_string_equal(s, "a" FFFD "b");
  free(s);
  s = sanitized("\xed\xa0\x80", 3, NULL);
  assert_string_equal(s, FFFD FFFD FFFD);
  free(s);
}

static void sanitize_should_leave_valid_text_alone_and_be_idempotent(void **state) {
  (void)state;
  const char *good = "caf\xc3\xa9 \xe2\x82\xac";
  char *s = sanitized(good, strlen(good), NULL);
  assert_string_equal(s, good);
  free(s);
  char *once = sanitized("\x80z\xc3(", 4, NULL);
  char *twice = sanitized(once, strlen(once), NULL);
  assert_string_equal(once, twice);
  assert_true(tb_utf8Valid(twice, strlen(twice)));
  free(once);
  free(twice);
  /* len NULL: up to the NUL */
  char *t = strdup("\xfe!");
  assert_int_equal(tb_utf8Sanitize(&t, NULL), TB_OK);
  assert_string_equal(t, FFFD "!");
  free(t);
}

static void buf_put_utf8_should_append_the_sanitized_text(void **state) {
  (void)state;
  tbBuf b;
  tb_bufInit(&b, 100);
  tb_bufPuts(&b, "[");
  tb_bufPutUtf8(&b, "\xc3\xa9\xc3", 3);
  tb_bufPuts(&b, "]");
  assert_false(b.failed);
  assert_string_equal(b.data, "[\xc3\xa9" FFFD "]");
  tb_bufClose(&b);
  /* the same as a copy of borrowed text */
  size_t n = 0;
  char *copy = tb_utf8Dup("\xc3\xa9\xc3]", 3, &n);
  assert_string_equal(copy, "\xc3\xa9" FFFD);
  assert_int_equal(n, 5);
  free(copy);
}

static void printable_should_escape_control_characters_only(void **state) {
  (void)state;
  char out[128];
  assert_string_equal(tb_printable("plain caf\xc3\xa9", out, sizeof out), "plain caf\xc3\xa9");
  assert_string_equal(tb_printable("\x1b[2J\x1b]0;owned\x07", out, sizeof out),
                      "\\x1b[2J\\x1b]0;owned\\x07");
  assert_string_equal(tb_printable("a\nb\tc\rd\x7f", out, sizeof out), "a\\nb\\tc\\rd\\x7f");
  assert_string_equal(tb_printable("\xc2\x9b"
                                   "31m",
                                   out, sizeof out),
                      "\\u009b31m"); /* C1 CSI */
  assert_string_equal(tb_printable("\xff", out, sizeof out), "\\xff");
  assert_string_equal(tb_printable(NULL, out, sizeof out), "");
}

static void printable_should_cut_between_escapes(void **state) {
  (void)state;
  char out[6];
  /* "ab" fits, "\x1b" (4 bytes) does not: never half an escape */
  assert_string_equal(tb_printable("ab\x1b"
                                   "cd",
                                   out, sizeof out),
                      "ab");
  char two[3];
  assert_string_equal(tb_printable("\xe2\x82\xac", two, sizeof two), ""); /* never half a char */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(utf8_valid_should_accept_well_formed_text_only),
      cmocka_unit_test(sanitize_should_replace_each_bad_byte_with_u_fffd),
      cmocka_unit_test(sanitize_should_leave_valid_text_alone_and_be_idempotent),
      cmocka_unit_test(buf_put_utf8_should_append_the_sanitized_text),
      cmocka_unit_test(printable_should_escape_control_characters_only),
      cmocka_unit_test(printable_should_cut_between_escapes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
