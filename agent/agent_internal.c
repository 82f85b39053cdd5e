/* Private helpers shared by the agent module's libraries (agent_internal.h). */
#include "agent_internal.h"

#include <stdarg.h>
#include <stdio.h>

void ag_setErr(char *err, size_t errsz, const char *fmt, ...) {
  if (err != NULL && errsz > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
  }
}
