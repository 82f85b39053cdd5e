/* agent: controller rollouts in a sandbox, evaluation over seed ranges, and the
 * benchmark behind `tracebot bench`.
 *
 * Every execution of controller code happens in a child process (the
 * `tracebot-sandbox` executable, exec'd with an empty environment): the child
 * compiles the controller with libtcc, locks itself down (no-new-privileges,
 * rlimits, seccomp) and then answers one request per macro-step: observation in,
 * action out. The physics (envTask) runs here, in the trusted parent, so rewards
 * and success flags are authoritative. See agent/README.md for the sandbox model
 * and the pipe protocol.
 *
 * A fault (compile error, crash, timeout, memory, forbidden system call, NaN
 * action) is a result, not an error: the episode keeps its trajectory up to the
 * fault and reports it. Functions return a negative AG_E* code only when the
 * episode could not be run at all (bad argument, the sandbox could not start,
 * the simulation failed), with a one-line message in (err, errsz).
 *
 * Threads: an agRunner is used by one thread at a time; envSpec is shared
 * read-only. ag_eval runs its own worker threads.
 */
#ifndef TRACEBOT_AGENT_H
#define TRACEBOT_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "driver_host.h"
#include "envs.h"
#include "fault.h"

enum {
  AG_OK = 0,
  AG_EINVAL = -1,   /* bad argument (unknown task, bad seed range, source too large) */
  AG_ESANDBOX = -2, /* the sandbox child could not be started or broke down */
  AG_EENV = -3,     /* the environment failed (model, reset) */
  AG_ENOMEM = -4,
  AG_ELLM = -5, /* training: the LLM failed for good (the run is resumable) */
  AG_EIO = -6   /* a file could not be read or written */
};

/* Largest controller source accepted, in bytes. */
#define AG_SOURCE_MAX (256 * 1024)
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

struct cJSON;

/* The fault as JSON: null for no fault, else {kind, message, step} and, for a compile
 * fault, line. Ownership: caller frees with cJSON_Delete (or adds it to a tree). */
struct cJSON *ag_faultJson(const agFault *f);

/* Sandbox limits; ag_defaultLimits gives the defaults in the comments. */
typedef struct agLimits {
  double episode_wall_s; /* parent-enforced wall clock for the whole episode (10 s) */
  int call_ms;           /* wall clock per controller call, parent-enforced (1000 ms);
                            0 = only the episode limit applies */
  int compile_ms;        /* wall clock for compiling in the child (5000 ms) */
  int memory_mib;        /* child address space, RLIMIT_AS (256 MiB) */
  int cpu_s;             /* child CPU time, RLIMIT_CPU backstop (0 = ceil(wall) + 1) */
} agLimits;

/* Everything one rollout needs besides the source. */
typedef struct agRolloutConfig {
  envTaskId task;
  uint64_t seed;
  envConfig env; /* horizon, mode, hints */
  agLimits limits;
  const char *sandbox_path; /* Nullable: the tracebot-sandbox executable; NULL = next to
                               /proc/self/exe, else the path it was built at */
  const char *record_path;  /* Nullable: save the episode there as EP.json (every env
                               state for exact replay, plus the per-step annotations) */
  envStepHook watch;        /* Nullable: called after every env step of the episode (from
                               the state after reset on, not during reset's settling), in
                               the calling thread; e.g. to show the episode live */
  void *watch_user;
} agRolloutConfig;

/* Fills limits with the defaults. */
void ag_defaultLimits(agLimits *limits);

/* Fills cfg with defaults: reach, seed 0, env_defaultConfig, ag_defaultLimits, NULL path. */
void ag_defaultRollout(agRolloutConfig *cfg);

/* Path of the sandbox executable a rollout with cfg would exec (cfg may be NULL), or
 * NULL when none is found (message in err). */
const char *ag_sandboxPath(const agRolloutConfig *cfg, char *err, size_t errsz);

/* One macro-step of an episode: what the controller saw, what it returned, what the
 * environment made of it. */
typedef struct agStep {
  obs_t obs;            /* observation passed to the controller */
  double action[4];     /* the action it returned (finite; before the env's clipping) */
  envStepResult result; /* observation after, reward, success, hint, clipped target */
} agStep;

/* A finished (possibly faulted) episode. steps[0 .. nsteps) are the completed
 * macro-steps; a fault at step k leaves nsteps == k. */
typedef struct agEpisode {
  envTaskId task;
  uint64_t seed;
  envConfig env;
  obs_t obs0; /* observation after reset */
  int nsteps;
  agStep *steps;         /* capacity env.horizon */
  double ret;            /* sum of the per-step rewards */
  int success;           /* success after the last completed step */
  agFault fault;         /* kind AG_FT_NONE when the episode ran to its end */
  double wall_ms;        /* whole rollout, spawn to reap */
  double startup_ms;     /* spawn + compile + first reply (READY), overlapped with reset */
  agSafetyCounts safety; /* interventions of the safety layer and the watchdog
                            (ag_rolloutDriver; all 0 for ag_rollout, where the env clips) */
} agEpisode;

/* Releases the steps of an episode (the struct itself is the caller's). Nullable. */
void ag_episodeClose(agEpisode *ep);

/* One worker: an envTask for spec plus reusable buffers; run episodes with ag_rollout. */
typedef struct agRunner agRunner;

/* Makes a runner for spec (which must outlive it).
 * Ownership: caller frees with ag_freeRunner. Errors: NULL, message in err. */
agRunner *ag_makeRunner(const envSpec *spec, char *err, size_t errsz);

/* Frees a runner. Nullable. */
void ag_freeRunner(agRunner *runner);

/* Runs one sandboxed episode of the controller source (len bytes, need not be
 * NUL-terminated) with cfg (cfg->task must be the runner's task). ep is
 * initialised here; on return 0 it holds the trajectory and the fault (if any).
 * No child process survives the call.
 * Ownership: caller releases ep with ag_episodeClose (also after an error).
 * Errors: AG_EINVAL (bad config, source too large), AG_ESANDBOX, AG_EENV. */
int ag_rollout(agRunner *runner, const agRolloutConfig *cfg, const char *src, size_t len,
               agEpisode *ep, char *err, size_t errsz);

/* Runs one sandboxed episode of the controller on an open driver (sim, net or a
 * plug-in): the sandbox child is the agPolicyFn of ag_runDriverEpisode, so the
 * watchdog, the safety layer and the e-stop policy of driver_host.h apply. The source
 * is compiled before the robot is reset (a controller that does not compile never
 * moves it). From cfg: seed, env.horizon, env.mode (absolute targets), limits
 * (call_ms is the watchdog timeout, episode_wall_s bounds the whole episode including
 * the robot's motion); cfg->task only labels ep; cfg->record_path must be NULL.
 * steps[t].result carries the driver's observation, reward, success and hint after the
 * command and the commanded target (env_steps is 0). ep->safety counts every
 * intervention. Faults of the driver path: safety, driver, interrupted (and the
 * sandbox's).
 * Nullable: safety (ag_defaultSafety), interrupt (main's SIGINT flag: e-stop and end).
 * Ownership: caller releases ep with ag_episodeClose (also after an error).
 * Errors: AG_EINVAL (bad config, recording asked for), AG_ESANDBOX. */
int ag_rolloutDriver(agDriver *drv, const agRolloutConfig *cfg, const agSafetyConfig *safety,
                     volatile sig_atomic_t *interrupt, const char *src, size_t len, agEpisode *ep,
                     char *err, size_t errsz);

/* Convenience: makes the spec and a runner, runs ag_rollout, frees them. */
int ag_rolloutOnce(const agRolloutConfig *cfg, const char *src, size_t len, agEpisode *ep,
                   char *err, size_t errsz);

/* Per-episode outcome of an evaluation. */
typedef struct agEvalEpisode {
  uint64_t seed;
  int success;
  double ret;
  int nsteps;
  agFault fault;
} agEvalEpisode;

/* Totals of an evaluation. */
typedef struct agEvalSummary {
  envTaskId task;
  int episodes;
  int successes;
  double success_rate;
  double mean_return;
  int faults[AG_NFAULT_TYPES]; /* episodes per fault kind (faults[AG_FT_NONE]: clean) */
  double wall_s;
} agEvalSummary;

/* Called after each episode (from any worker thread, serialised). Nullable. */
typedef void (*agProgressFn)(void *user, int done, int total, const agEvalEpisode *ep);

/* Evaluates the source on seeds [seed_begin, seed_end) with cfg (cfg->seed is
 * ignored) using jobs worker threads, each with its own envTask and its own sandbox
 * child per episode. One faulting episode does not affect the others.
 * Nullable: spec (made here when NULL), progress, user, episodes (else an array of
 * seed_end - seed_begin entries, filled in seed order).
 * Errors: AG_EINVAL (empty or huge range, jobs < 1), or the first infrastructure
 * error of any episode (AG_ESANDBOX, AG_EENV). */
int ag_eval(const envSpec *spec, const agRolloutConfig *cfg, const char *src, size_t len,
            uint64_t seed_begin, uint64_t seed_end, int jobs, agProgressFn progress, void *user,
            agEvalEpisode *episodes, agEvalSummary *summary, char *err, size_t errsz);

/* Parses "A:B" (half-open, A < B, at most 1000000 seeds). Errors: AG_EINVAL. */
int ag_parseSeedRange(const char *text, uint64_t *begin, uint64_t *end, char *err, size_t errsz);

/* Figures measured by ag_bench. */
typedef struct agBenchResult {
  envTaskId task;
  double env_steps_per_s;      /* env_step calls per second */
  double raw_mj_steps_per_s;   /* bare mj_step calls per second, same model, same run */
  double ratio;                /* 5 * env_steps_per_s / raw_mj_steps_per_s */
  double sandbox_overhead_ms;  /* median per episode: sandboxed minus in-process */
  double sandboxed_episode_ms; /* median wall time of a sandboxed expert episode */
  double inprocess_episode_ms; /* median of the same episode run in process */
  int overhead_episodes;       /* episodes behind the two medians */
  int eval_seeds;              /* seeds in each timed eval */
  double eval_jobs1_s;         /* wall time of eval at --jobs 1 */
  double eval_jobs2_s;         /* wall time of eval at --jobs 2 */
  double eval_speedup;         /* jobs1 / jobs2 */
} agBenchResult;

/* Runs the benchmark for a task with the task's expert controller (src): raw
 * stepping, sandbox overhead and the eval jobs speedup (about 30 s in all).
 * Errors: AG_EENV, AG_ESANDBOX. */
int ag_bench(envTaskId task, const char *src, size_t len, const char *sandbox_path,
             agBenchResult *out, char *err, size_t errsz);

/* Training (ag_train) comes with this header. */
#include "train.h"

#endif /* TRACEBOT_AGENT_H */
