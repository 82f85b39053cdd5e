/* Fault kinds (tracebot/fault.h): names from the one table, setting a fault, its JSON.
 * Kept in envs, below both the sandbox and the drivers, which report faults alike. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tracebot/fault.h"

static const char *const kFaultNames[] = {
#define AG_FT_NAME(name, text) text,
    AG_FAULT_TYPES(AG_FT_NAME)
#undef AG_FT_NAME
};

_Static_assert(sizeof kFaultNames / sizeof kFaultNames[0] == AG_NFAULT_TYPES,
               "one name per fault kind");

const char *ag_faultName(agFaultType kind) {
  if ((int)kind < 0 || kind >= AG_NFAULT_TYPES) {
    return "unknown";
  }
  return kFaultNames[kind];
}

int ag_faultLookup(const char *name) {
  for (int i = 0; name != NULL && i < AG_NFAULT_TYPES; i++) {
    if (strcmp(kFaultNames[i], name) == 0) {
      return i;
    }
  }
  return -1;
}

void ag_setFault(agFault *f, agFaultType kind, int step, const char *fmt, ...) {
  f->kind = kind;
  f->step = step;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->message, sizeof f->message, fmt, ap);
  va_end(ap);
}

cJSON *ag_faultJson(const agFault *f) {
  if (f->kind == AG_FT_NONE) {
    return cJSON_CreateNull();
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "kind", ag_faultName(f->kind));
  cJSON_AddStringToObject(o, "message", f->message);
  cJSON_AddNumberToObject(o, "step", f->step);
  if (f->kind == AG_FT_COMPILE) {
    cJSON_AddNumberToObject(o, "line", f->line);
  }
  return o;
}
