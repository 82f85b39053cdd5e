/* cases.h: checks for table-driven tests (one test function walking a table of cases, the way
 * cJSON's and curl's data-driven tests do). A failing check prints the case's name, what was
 * compared, what it got and what it wanted, then fails the running cmocka test at the
 * caller's file and line. */
#ifndef TRACEBOT_TESTS_CASES_H
#define TRACEBOT_TESTS_CASES_H

/* got == want. */
#define case_int(name, what, got, want) \
  case_intAt(__FILE__, __LINE__, (name), (what), (long long)(got), (long long)(want))

/* Equal strings; NULL equals only NULL. */
#define case_str(name, what, got, want) \
  case_strAt(__FILE__, __LINE__, (name), (what), (got), (want))

/* text contains part (a NULL text contains nothing); the message shows text's first 300
 * bytes. */
#define case_has(name, what, text, part) \
  case_hasAt(__FILE__, __LINE__, (name), (what), (text), (part))

/* ok is true. */
#define case_true(name, what, ok) case_trueAt(__FILE__, __LINE__, (name), (what), (ok))

void case_intAt(const char *file, int line, const char *name, const char *what, long long got,
                long long want);
void case_strAt(const char *file, int line, const char *name, const char *what, const char *got,
                const char *want);
void case_hasAt(const char *file, int line, const char *name, const char *what, const char *text,
                const char *part);
void case_trueAt(const char *file, int line, const char *name, const char *what, int ok);

#endif /* TRACEBOT_TESTS_CASES_H */
