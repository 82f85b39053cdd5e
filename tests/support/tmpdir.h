/* tmpdir.h: a scratch directory for one test executable, made by the group setup and removed
 * with everything in it by the group teardown. */
#ifndef TRACEBOT_TESTS_TMPDIR_H
#define TRACEBOT_TESTS_TMPDIR_H

#include <stddef.h>

/* Group setup (cmocka_run_group_tests): makes a fresh /tmp/tracebot_test.XXXXXX. Returns 0
 * or -1. */
int tmpdir_setup(void **state);

/* Group teardown: removes the directory and everything in it. Returns 0 or -1. */
int tmpdir_teardown(void **state);

/* The directory tmpdir_setup made ("" before it). */
const char *tmpdir_path(void);

/* "DIR/name" into out (truncated to n bytes). */
void tmpdir_join(char *out, size_t n, const char *name);

#endif /* TRACEBOT_TESTS_TMPDIR_H */
