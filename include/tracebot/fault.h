/* Fault kinds of an episode: one table for sandboxed rollouts and driver episodes
 * (included by sandbox.h, drivers.h and agent.h).
 *
 * A fault is a result, not an error: the episode keeps what ran before it. The first
 * kinds come from the sandboxed controller, the last three from the driver path
 * (safety layer e-stop, a failing driver call, the interrupt flag).
 */
#ifndef TRACEBOT_FAULT_H
#define TRACEBOT_FAULT_H

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

/* Bytes of a fault message, NUL included. */
#define AG_FAULT_MSG 256

/* Why an episode ended early. step is the 0-based macro-step whose controller call
 * faulted (0 for compile faults); line is the source line of a compile fault (0 if
 * the compiler gave none, e.g. a link error). */
typedef struct agFault {
  agFaultType kind;
  int step;
  int line;
  char message[AG_FAULT_MSG];
} agFault;

/* Sets a fault: its kind, its step and a printf-style message (truncated). f->line is
 * left as it is. */
void ag_setFault(agFault *f, agFaultType kind, int step, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

struct cJSON;

/* The fault as JSON: null for no fault, else {kind, message, step} and, for a compile
 * fault, line. Ownership: caller frees with cJSON_Delete (or adds it to a tree). */
struct cJSON *ag_faultJson(const agFault *f);

#endif /* TRACEBOT_FAULT_H */
