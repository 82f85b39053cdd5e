/* Fault kinds of an episode: one table for sandboxed rollouts and driver episodes
 * (included by agent.h and driver_host.h).
 *
 * A fault is a result, not an error: the episode keeps what ran before it. The first
 * kinds come from the sandboxed controller, the last three from the driver path
 * (safety layer e-stop, a failing driver call, the interrupt flag).
 */
#ifndef TRACEBOT_AGENT_FAULT_H
#define TRACEBOT_AGENT_FAULT_H

/* Fault kinds: one X-macro table (enum name, printed name). Append only: the wire
 * protocol and recorded episodes use these names. */
#define AG_FAULT_TYPES(X)             \
  X(NONE, "none")                     \
  X(COMPILE, "compile")               \
  X(CRASH, "crash")                   \
  X(TIMEOUT, "timeout")               \
  X(MEMORY, "memory")                 \
  X(SYSCALL, "syscall")               \
  X(INVALID_ACTION, "invalid_action") \
  X(SAFETY, "safety")                 \
  X(DRIVER, "driver")                 \
  X(INTERRUPTED, "interrupted")

typedef enum agFaultType {
#define AG_FT_ENUM(name, text) AG_FT_##name,
  AG_FAULT_TYPES(AG_FT_ENUM)
#undef AG_FT_ENUM
      AG_NFAULT_TYPES
} agFaultType;

/* The printed name of a fault kind ("compile", ...; "none" for AG_FT_NONE), or
 * "unknown" when out of range. */
const char *ag_faultName(agFaultType kind);

/* The fault kind for a printed name, or -1. */
int ag_faultLookup(const char *name);

#endif /* TRACEBOT_AGENT_FAULT_H */
