/* tmpdir.c: the scratch directory of one test executable. */
#include "tmpdir.h"

#include <stdio.h>
#include <stdlib.h>

static char gDir[64];

int tmpdir_setup(void **state) {
  (void)state;
  snprintf(gDir, sizeof gDir, "/tmp/tracebot_test.XXXXXX");
  if (mkdtemp(gDir) == NULL) {
    gDir[0] = '\0';
    return -1;
  }
  return 0;
}

int tmpdir_teardown(void **state) {
  (void)state;
  if (gDir[0] == '\0') {
    return 0;
  }
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", gDir);
  gDir[0] = '\0';
  return system(cmd) == 0 ? 0 : -1;
}

const char *tmpdir_path(void) {
  return gDir;
}

void tmpdir_join(char *out, size_t n, const char *name) {
  snprintf(out, n, "%s/%s", gDir, name);
}
