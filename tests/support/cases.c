/* cases.c: failure messages that name the case of a table-driven test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cases.h"

void case_intAt(const char *file, int line, const char *name, const char *what, long long got,
                long long want) {
  if (got != want) {
    print_error("case \"%s\": %s is %lld, want %lld\n", name, what, got, want);
    _fail(file, line);
  }
}

void case_strAt(const char *file, int line, const char *name, const char *what, const char *got,
                const char *want) {
  if (got == NULL || want == NULL ? got != want : strcmp(got, want) != 0) {
    print_error("case \"%s\": %s is \"%s\", want \"%s\"\n", name, what, got ? got : "(null)",
                want ? want : "(null)");
    _fail(file, line);
  }
}

void case_hasAt(const char *file, int line, const char *name, const char *what, const char *text,
                const char *part) {
  if (text == NULL || strstr(text, part) == NULL) {
    print_error("case \"%s\": %s \"%.300s\" lacks \"%s\"\n", name, what, text ? text : "(null)",
                part);
    _fail(file, line);
  }
}

void case_trueAt(const char *file, int line, const char *name, const char *what, int ok) {
  if (!ok) {
    print_error("case \"%s\": %s does not hold\n", name, what);
    _fail(file, line);
  }
}
