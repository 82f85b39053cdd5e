/* sandbox: where controller code runs. One sandboxed controller process is started with
 * a source, then asked for one action per observation.
 *
 * The child is the `tracebot-sandbox` executable, exec'd with an empty environment in
 * its own process group: it compiles the controller with libtcc, locks itself down
 * (no-new-privileges, rlimits, seccomp) and answers one record per request over a socket
 * (sandbox/protocol.h). The physics never runs in the child, so rewards and success stay
 * authoritative. A fault (compile error, crash, timeout, memory, forbidden system call)
 * ends the child and is a result (agFault), not an error.
 *
 * Lifecycle: ag_sandboxStart (spawn, send the source; the child compiles while the
 * caller resets its environment) -> ag_sandboxReady -> ag_sandboxCall per step ->
 * ag_sandboxEnd (kills the process group and reaps; idempotent).
 *
 * Threads: an agSandbox is used by one thread at a time; separate ones are independent.
 */
#ifndef TRACEBOT_SANDBOX_H
#define TRACEBOT_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tracebot/controller.h" /* obs_t */
#include "tracebot/error.h"
#include "tracebot/fault.h"

/* Largest controller source accepted, in bytes. */
#define AG_SOURCE_MAX (256 * 1024)

/* Bytes of the largest record the child may send (sandbox.c checks it against the
 * protocol). */
#define AG_SANDBOX_REPLY_MAX 216

/* Sandbox limits; ag_defaultLimits gives the defaults in the comments. */
typedef struct agLimits {
  double episode_wall_s; /* parent-enforced wall clock for the whole episode (10 s) */
  int call_ms;           /* wall clock per controller call, parent-enforced (1000 ms);
                            0 = only the episode limit applies */
  int compile_ms;        /* wall clock for compiling in the child (5000 ms) */
  int memory_mib;        /* child address space, RLIMIT_AS (256 MiB) */
  int cpu_s;             /* child CPU time, RLIMIT_CPU backstop (0 = ceil(wall) + 1) */
} agLimits;

/* Fills limits with the defaults. */
void ag_defaultLimits(agLimits *limits);

/* The sandbox executable to run: path when it is given (it must be executable), else
 * tracebot-sandbox next to this process's executable, in ../libexec/tracebot/ beside it,
 * in ../libexec/tracebot/ beside libtracebot.so (when the code is loaded from it), at the
 * installed path, or at its build path. Returns NULL when none is found (message in err).
 * Nullable: path. */
const char *ag_sandboxPath(const char *path, char *err, size_t errsz);

/* One sandbox child and what has been read from it. */
typedef struct agSandbox {
  pid_t pid;   /* -1 when there is no child */
  int fd;      /* socket to the child, -1 when closed */
  size_t have; /* bytes in buf */
  uint8_t buf[AG_SANDBOX_REPLY_MAX];
  agLimits lim;            /* effective limits (cpu_s filled in) */
  double t0;               /* spawn time (ms, CLOCK_MONOTONIC) */
  double episode_deadline; /* t0 + episode_wall_s */
  double compile_deadline; /* min(t0 + compile_ms, episode_deadline) */
  int send_state;          /* outcome of sending the source (0: sent) */
} agSandbox;

/* Spawns the sandbox at path and sends it the source under limits lim. sb is
 * initialised here (ag_sandboxEnd is safe afterwards whatever the result).
 * Errors: TB_ESANDBOX (socket, spawn) with a message. */
int ag_sandboxStart(agSandbox *sb, const char *path, const agLimits *lim, const char *src,
                    size_t len, char *err, size_t errsz);

/* Waits for the child's READY. TB_OK with f->kind AG_FT_NONE: ready; TB_OK with a
 * fault (compile, memory, syscall, timeout, crash): the child is gone.
 * Errors: TB_ESANDBOX when the child could not set itself up (message in err). */
int ag_sandboxReady(agSandbox *sb, agFault *f, char *err, size_t errsz);

/* One controller call at step: sends obs, reads action[4] (not checked for
 * finiteness) within call_ms (0: only the episode deadline applies). f->kind is
 * AG_FT_NONE on success; on a fault the child is gone. */
void ag_sandboxCall(agSandbox *sb, const obs_t *obs, int step, int call_ms, double action[4],
                    agFault *f);

/* Ends the child (SIGKILL to its process group), closes the socket, reaps. Idempotent. */
void ag_sandboxEnd(agSandbox *sb);

#endif /* TRACEBOT_SANDBOX_H */
