/* trees.h: the source and build trees of the running test, from TRACEBOT_SOURCE_DIR and
 * TRACEBOT_BINARY_DIR (tracebot_test sets both for every test). */
#ifndef TRACEBOT_TESTS_TREES_H
#define TRACEBOT_TESTS_TREES_H

/* The source tree; the running test fails when TRACEBOT_SOURCE_DIR is unset. */
const char *tree_source(void);

/* The build tree; the running test fails when TRACEBOT_BINARY_DIR is unset. */
const char *tree_binary(void);

#endif /* TRACEBOT_TESTS_TREES_H */
