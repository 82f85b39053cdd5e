/* Opening a plug-in: one dlopen and one dlsym, with the messages every loader gives
 * (base.h). */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base.h"

void *tb_openPlugin(const char *path, const char *entry, const char *what, void **sym, char *err,
                    size_t errsz) {
  /* a name without a slash is a file here, not a library for dlopen to search for */
  char file[PATH_MAX + 2];
  snprintf(file, sizeof file, "%s%s", strchr(path, '/') != NULL ? "" : "./", path);
  /* a regular file only: dlopen would block on a FIFO with no writer */
  char why[PATH_MAX + 128];
  int fd = tb_openInput(file, 0, NULL, why, sizeof why);
  if (fd < 0) {
    tb_setErr(err, errsz, "%s %s: cannot load: %s", what, path, why);
    return NULL;
  }
  close(fd);
  void *dl = dlopen(file, RTLD_NOW | RTLD_LOCAL);
  if (dl == NULL) {
    const char *dlwhy = dlerror();
    tb_setErr(err, errsz, "%s %s: cannot load: %s", what, path,
              dlwhy != NULL ? dlwhy : "dlopen failed");
    return NULL;
  }
  *sym = dlsym(dl, entry);
  if (*sym == NULL) {
    tb_setErr(err, errsz, "%s %s: missing entry symbol %s", what, path, entry);
    dlclose(dl);
    return NULL;
  }
  return dl;
}
