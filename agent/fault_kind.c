/* Names of the fault kinds (fault.h). Part of tracebot_drivers, the lowest agent
 * library, so that driver episodes and sandboxed rollouts share one table. */
#include <string.h>

#include "fault.h"

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
