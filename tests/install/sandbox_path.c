/* Prints the sandbox executable ag_sandboxPath picks with no path given, so
 * test_install.sh can check that an installed (and moved) prefix finds its own child:
 * relative to the program in <prefix>/bin, or relative to <prefix>/lib/libtracebot.so.
 * Built against the installed library only. */
#include <stdio.h>

#include <tracebot/sandbox.h>

int main(void) {
  char err[512];
  const char *path = ag_sandboxPath(NULL, err, sizeof err);
  if (path == NULL) {
    fprintf(stderr, "sandbox_path: %s\n", err);
    return 1;
  }
  printf("%s\n", path);
  return 0;
}
