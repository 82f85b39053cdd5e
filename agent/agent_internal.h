/* Private helpers shared by the agent module's libraries (tracebot_drivers,
 * tracebot_agent, tracebot_report). Not part of agent.h or driver.h: plug-in authors
 * and users never see it. Implemented in agent_internal.c (library
 * tracebot_agent_util). */
#ifndef TRACEBOT_AGENT_INTERNAL_H
#define TRACEBOT_AGENT_INTERNAL_H

#include <stddef.h>

/* Writes a printf-style message into err (errsz bytes, truncated, NUL-terminated).
 * Nullable: err (then, or with errsz 0, nothing is written). */
void ag_setErr(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* TRACEBOT_AGENT_INTERNAL_H */
