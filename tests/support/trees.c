/* trees.c: where the running test's source and build trees are. */
#include "trees.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

static const char *tree(const char *var) {
  const char *dir = getenv(var);
  if (dir == NULL) {
    fail_msg("%s is not set (run the test through ctest)", var);
  }
  return dir;
}

const char *tree_source(void) {
  return tree("TRACEBOT_SOURCE_DIR");
}

const char *tree_binary(void) {
  return tree("TRACEBOT_BINARY_DIR");
}
