/* Opening a plug-in: one dlopen and one dlsym, with the messages every loader gives
 * (base.h). */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "base.h"

void *tb_openPlugin(const char *path, const char *entry, const char *what, void **sym, char *err,
                    size_t errsz) {
  /* a name without a slash is a file here, not a library for dlopen to search for */
  char file[PATH_MAX + 2];
  snprintf(file, sizeof file, "%s%s", strchr(path, '/') != NULL ? "" : "./", path);
  void *dl = dlopen(file, RTLD_NOW | RTLD_LOCAL);
  if (dl == NULL) {
    const char *why = dlerror();
    tb_setErr(err, errsz, "%s %s: cannot load: %s", what, path,
              why != NULL ? why : "dlopen failed");
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
