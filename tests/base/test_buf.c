/* Tests of the bounded string builder (base/buf.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"

static void buf_should_build_a_string_with_numbers_that_read_back(void **state) {
  (void)state;
  tbBuf b;
  tb_bufInit(&b, 1024);
  tb_bufPuts(&b, "x=");
  tb_bufNumber(&b, 0.1);
  tb_bufPutc(&b, ' ');
  tb_bufPrintf(&b, "%d-%s", 7, "ok");
  tb_bufPutn(&b, "abcdef", 3);
  assert_false(b.failed);
  char *s = tb_bufTake(&b);
  assert_string_equal(s, "x=0.1 7-okabc");
  assert_int_equal(b.len, 0);
  free(s);
  tb_bufClose(&b);
}

static void buf_should_fail_once_past_its_maximum_and_stay_failed(void **state) {
  (void)state;
  tbBuf b;
  tb_bufInit(&b, 8);
  tb_bufPuts(&b, "1234567");
  assert_false(b.failed);
  tb_bufPuts(&b, "89");
  assert_true(b.failed);
  tb_bufPuts(&b, "x");
  assert_true(b.failed);
  assert_null(tb_bufTake(&b));
  tb_bufClose(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(buf_should_build_a_string_with_numbers_that_read_back),
      cmocka_unit_test(buf_should_fail_once_past_its_maximum_and_stay_failed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
