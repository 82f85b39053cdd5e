/* Tests of the error table (tracebot/error.h, base/error.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tracebot/error.h"

static const int kCodes[] = {
#define CODE(name, value, text) TB_##name,
    TB_ERRORS(CODE)
#undef CODE
};
#define NCODES ((int)(sizeof kCodes / sizeof kCodes[0]))

static void codes_should_be_unique_and_negative_except_ok(void **state) {
  (void)state;
  for (int i = 0; i < NCODES; i++) {
    assert_true(kCodes[i] == TB_OK || kCodes[i] < 0);
    for (int j = i + 1; j < NCODES; j++) {
      assert_int_not_equal(kCodes[i], kCodes[j]);
    }
  }
}

static void every_code_should_have_a_distinct_name_and_text(void **state) {
  (void)state;
  for (int i = 0; i < NCODES; i++) {
    assert_string_not_equal(tb_errorName(kCodes[i]), "unknown");
    assert_string_not_equal(tb_strerror(kCodes[i]), "unknown error");
    for (int j = i + 1; j < NCODES; j++) {
      assert_string_not_equal(tb_errorName(kCodes[i]), tb_errorName(kCodes[j]));
    }
  }
  assert_string_equal(tb_errorName(TB_EINVAL), "EINVAL");
  assert_string_equal(tb_strerror(TB_OK), "ok");
  assert_non_null(strstr(tb_strerror(TB_ENOFEEDBACK), "feedback"));
}

static void an_unknown_code_should_be_named_unknown(void **state) {
  (void)state;
  assert_string_equal(tb_errorName(12345), "unknown");
  assert_string_equal(tb_strerror(-999), "unknown error");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(codes_should_be_unique_and_negative_except_ok),
      cmocka_unit_test(every_code_should_have_a_distinct_name_and_text),
      cmocka_unit_test(an_unknown_code_should_be_named_unknown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
