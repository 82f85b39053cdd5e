/* The parent side of the sandbox protocol (internal to tracebot_agent): one sandboxed
 * controller process, started with a source, then asked for one action per call. Both
 * ag_rollout (in-process simulator) and ag_rolloutDriver (any driver, through the
 * agPolicyFn adapter) use these functions: one implementation of the protocol.
 *
 * Lifecycle: ag_sandboxStart (spawn, send the source; the child compiles while the
 * caller resets its environment) -> ag_sandboxReady -> ag_sandboxCall per step ->
 * ag_sandboxEnd (kills the process group and reaps; idempotent). Any fault ends the
 * child; the fault (agFault) is a result, not an error.
 */
#ifndef TRACEBOT_AGENT_SANDBOX_H
#define TRACEBOT_AGENT_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent.h"
#include "protocol.h"

/* One sandbox child and what has been read from it. */
typedef struct agSandbox {
  pid_t pid;   /* -1 when there is no child */
  int fd;      /* socket to the child, -1 when closed */
  size_t have; /* bytes in buf */
  uint8_t buf[AG_REC_MAX_REPLY];
  agLimits lim;            /* effective limits (cpu_s filled in) */
  double t0;               /* spawn time (ms, CLOCK_MONOTONIC) */
  double episode_deadline; /* t0 + episode_wall_s */
  double compile_deadline; /* min(t0 + compile_ms, episode_deadline) */
  int send_state;          /* outcome of sending the source (0: sent) */
} agSandbox;

/* Milliseconds on CLOCK_MONOTONIC. */
double ag_nowMs(void);

/* Checks what a rollout of cfg needs besides the task: src not NULL, len within
 * AG_SOURCE_MAX, horizon in 1..10000, sane limits. Errors: AG_EINVAL with a message. */
int ag_checkRollout(const agRolloutConfig *cfg, const char *src, size_t len, char *err,
                    size_t errsz);

/* Starts the episode record of a checked cfg (ag_checkRollout): copies its task, seed
 * and env settings, clears the fault, allocates cfg->env.horizon steps, and finds the
 * sandbox executable (*path, see ag_sandboxPath).
 * Ownership: the caller releases ep with ag_episodeClose (also after an error).
 * Errors: AG_ENOMEM, AG_ESANDBOX (no sandbox executable), with a message. */
int ag_beginEpisode(agEpisode *ep, const agRolloutConfig *cfg, const char **path, char *err,
                    size_t errsz);

/* Sets a fault: its kind, its step and a printf-style message (truncated). f->line is
 * left as it is. */
void ag_setFault(agFault *f, agFaultType kind, int step, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Spawns the sandbox at path and sends it the source under limits lim. sb is
 * initialised here (ag_sandboxEnd is safe afterwards whatever the result).
 * Errors: AG_ESANDBOX (socket, spawn) with a message. */
int ag_sandboxStart(agSandbox *sb, const char *path, const agLimits *lim, const char *src,
                    size_t len, char *err, size_t errsz);

/* Waits for the child's READY. AG_OK with f->kind AG_FT_NONE: ready; AG_OK with a
 * fault (compile, memory, syscall, timeout, crash): the child is gone.
 * Errors: AG_ESANDBOX when the child could not set itself up (message in err). */
int ag_sandboxReady(agSandbox *sb, agFault *f, char *err, size_t errsz);

/* One controller call at step: sends obs, reads action[4] (not checked for
 * finiteness) within call_ms (0: only the episode deadline applies). f->kind is
 * AG_FT_NONE on success; on a fault the child is gone. */
void ag_sandboxCall(agSandbox *sb, const obs_t *obs, int step, int call_ms, double action[4],
                    agFault *f);

/* Ends the child (SIGKILL to its process group), closes the socket, reaps. Idempotent. */
void ag_sandboxEnd(agSandbox *sb);

#endif /* TRACEBOT_AGENT_SANDBOX_H */
