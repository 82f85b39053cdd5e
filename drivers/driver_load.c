/* Loading robot drivers: plug-ins through dlopen (the Redis module pattern: one entry
 * symbol, version and size checks, clean failure) and the built-in sim and net drivers. */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"
#include "tracebot/drivers.h"

struct agDriver {
  const agDriverApi *api;
  void *dl;          /* dlopen handle; NULL for a built-in table */
  void *handle;      /* what api->open returned */
  agDriverHost host; /* what the driver was given (copied) */
  agDriverCaps caps; /* effective capabilities */
  char label[256];   /* how messages name the driver */
};

/* Writes a one-line message into err (truncated; NULL err is fine). */
/* The log function of a host that discards everything. */
static void discardLog(void *host, int level, const char *msg) {
  (void)host;
  (void)level;
  (void)msg;
}

/* Checks a function table: version, size, name and the required functions. */
static int checkApi(const agDriverApi *api, const char *label, char *err, size_t errsz) {
  if (api->abi_version != AG_DRIVER_ABI_VERSION) {
    tb_setErr(err, errsz, "driver %s: ABI version %u, tracebot speaks %u", label,
              (unsigned)api->abi_version, (unsigned)AG_DRIVER_ABI_VERSION);
    return TB_ELOAD;
  }
  if (api->struct_size != sizeof(agDriverApi)) {
    tb_setErr(err, errsz, "driver %s: API struct size %u, tracebot expects %u (ABI %u)", label,
              (unsigned)api->struct_size, (unsigned)sizeof(agDriverApi),
              (unsigned)AG_DRIVER_ABI_VERSION);
    return TB_ELOAD;
  }
  const char *missing = NULL;
  if (api->open == NULL) {
    missing = "open";
  } else if (api->reset == NULL) {
    missing = "reset";
  } else if (api->observe == NULL) {
    missing = "observe";
  } else if (api->command == NULL) {
    missing = "command";
  } else if (api->stop == NULL) {
    missing = "stop";
  } else if (api->close == NULL) {
    missing = "close";
  }
  if (missing != NULL) {
    tb_setErr(err, errsz, "driver %s: function %s is NULL in its API table", label, missing);
    return TB_ELOAD;
  }
  return TB_OK;
}

/* Opens the driver behind a checked table and reads its capabilities. */
static agDriver *openDriver(agDriver *drv, const char *config, char *err, size_t errsz) {
  char derr[512];
  derr[0] = '\0';
  drv->handle = drv->api->open(config != NULL ? config : "{}", &drv->host, derr, sizeof(derr));
  if (drv->handle == NULL) {
    derr[sizeof(derr) - 1] = '\0';
    tb_setErr(err, errsz, "driver %s: open failed: %s", drv->label,
              derr[0] != '\0' ? derr : "(no message)");
    ag_freeDriver(drv);
    return NULL;
  }
  drv->caps = drv->api->caps;
  if (drv->api->describe != NULL) {
    derr[0] = '\0';
    if (drv->api->describe(drv->handle, &drv->caps, derr, sizeof(derr)) != 0) {
      derr[sizeof(derr) - 1] = '\0';
      tb_setErr(err, errsz, "driver %s: describe failed: %s", drv->label, derr);
      ag_freeDriver(drv);
      return NULL;
    }
  }
  return drv;
}

/* Allocates the driver record and copies the host (or the discarding one). */
static agDriver *newDriver(const char *label, const agDriverHost *host, char *err, size_t errsz) {
  agDriver *drv = calloc(1, sizeof(*drv));
  if (drv == NULL) {
    tb_setErr(err, errsz, "driver %s: out of memory", label);
    return NULL;
  }
  snprintf(drv->label, sizeof(drv->label), "%s", label);
  if (host != NULL) {
    drv->host = *host;
  } else {
    drv->host.host = NULL;
    drv->host.log = discardLog;
  }
  drv->host.abi_version = AG_DRIVER_ABI_VERSION;
  drv->host.struct_size = sizeof(agDriverHost);
  if (drv->host.log == NULL) {
    drv->host.log = discardLog;
  }
  return drv;
}

agDriver *ag_makeDriverFromApi(const agDriverApi *api, const char *label, const char *config,
                               const agDriverHost *host, char *err, size_t errsz) {
  if (label == NULL) {
    label = api != NULL && api->name != NULL ? api->name : "(unnamed)";
  }
  if (api == NULL) {
    tb_setErr(err, errsz, "driver %s: no API table", label);
    return NULL;
  }
  if (checkApi(api, label, err, errsz) != 0) {
    return NULL;
  }
  agDriver *drv = newDriver(label, host, err, errsz);
  if (drv == NULL) {
    return NULL;
  }
  drv->api = api;
  return openDriver(drv, config, err, errsz);
}

/* True when spec names a shared object rather than a built-in driver. */
static int isPath(const char *spec) {
  size_t n = strlen(spec);
  return strchr(spec, '/') != NULL || (n > 3 && strcmp(spec + n - 3, ".so") == 0);
}

agDriver *ag_makeDriver(const char *spec, const char *config, const agDriverHost *host, char *err,
                        size_t errsz) {
  if (spec == NULL || spec[0] == '\0' || strcmp(spec, "sim") == 0) {
    return ag_makeDriverFromApi(ag_simDriverApi(), "sim", config, host, err, errsz);
  }
  if (strcmp(spec, "net") == 0) {
    return ag_makeDriverFromApi(ag_netDriverApi(), "net", config, host, err, errsz);
  }
  if (!isPath(spec)) {
    tb_setErr(err, errsz, "driver %s: unknown driver (use sim, net or the path of a .so)", spec);
    return NULL;
  }

  /* One dlopen, one dlsym */
  void *sym = NULL;
  void *dl = tb_openPlugin(spec, AG_DRIVER_ENTRY, "driver", &sym, err, errsz);
  if (dl == NULL) {
    return NULL;
  }
  agDriverInitFn init;
  memcpy(&init, &sym, sizeof(init)); /* object pointer to function pointer, POSIX way */

  /* Call the entry with our host and check what comes back */
  agDriver *drv = newDriver(spec, host, err, errsz);
  if (drv == NULL) {
    dlclose(dl);
    return NULL;
  }
  drv->dl = dl;
  const agDriverApi *api = init(&drv->host);
  if (api == NULL) {
    tb_setErr(err, errsz, "driver %s: %s returned NULL (the driver refused to load)", spec,
              AG_DRIVER_ENTRY);
    ag_freeDriver(drv);
    return NULL;
  }
  if (checkApi(api, spec, err, errsz) != 0) {
    ag_freeDriver(drv);
    return NULL;
  }
  drv->api = api;
  return openDriver(drv, config, err, errsz);
}

void ag_freeDriver(agDriver *drv) {
  if (drv == NULL) {
    return;
  }
  if (drv->handle != NULL) {
    drv->api->stop(drv->handle);
    drv->api->close(drv->handle);
  }
  if (drv->dl != NULL) {
    dlclose(drv->dl);
  }
  free(drv);
}

const agDriverApi *ag_driverApi(const agDriver *drv) {
  return drv->api;
}

void *ag_driverHandle(const agDriver *drv) {
  return drv->handle;
}

const char *ag_driverName(const agDriver *drv) {
  return drv->api->name != NULL ? drv->api->name : drv->label;
}

void ag_driverCaps(const agDriver *drv, agDriverCaps *caps) {
  *caps = drv->caps;
}
