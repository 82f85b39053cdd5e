/* agent: controller rollouts in a sandbox and evaluation over seed ranges.
 *
 * Every execution of controller code happens in a child process (the
 * `tracebot-sandbox` executable, exec'd with an empty environment): the child
 * compiles the controller with libtcc, locks itself down (no-new-privileges,
 * rlimits, seccomp) and then answers one request per macro-step: observation in,
 * action out. The physics (envTask) runs here, in the trusted parent, so rewards
 * and success flags are authoritative. The sandbox session is tracebot/sandbox.h.
 *
 * A fault (compile error, crash, timeout, memory, forbidden system call, NaN
 * action) is a result, not an error: the episode keeps its trajectory up to the
 * fault and reports it. Functions return a negative TB_E* code only when the
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

#include "tracebot/error.h"
#include "tracebot/drivers.h"
#include "tracebot/envs.h"
#include "tracebot/fault.h"
#include "tracebot/sandbox.h"

/* Errors (tracebot/error.h) returned here:
 *   TB_EINVAL: bad argument (unknown task, bad seed range, source too large)
 *   TB_ESANDBOX: the sandbox child could not be started or broke down
 *   TB_EENV: the environment failed (model, reset)
 *   TB_ENOMEM
 *   TB_ELLM: training: the LLM failed for good (the run is resumable)
 *   TB_EIO: a file could not be read or written */

/* Everything one rollout needs besides the source. */
typedef struct agRolloutConfig {
  envTaskId task;
  uint64_t seed; /* at most SIM_SEED_MAX (tracebot/episode.h) */
  envConfig env; /* horizon, mode, hints, perturbation */
  agLimits limits;
  const char *sandbox_path; /* Nullable: the tracebot-sandbox executable; NULL = found
                               as ag_sandboxPath (tracebot/sandbox.h) finds it */
  const char *record_path;  /* Nullable: save the episode there as EP.json (every env
                               state for exact replay, plus the per-step annotations) */
  envStepHook watch;        /* Nullable: called after every env step of the episode (from
                               the state after reset on, not during reset's settling), in
                               the calling thread; e.g. to show the episode live */
  void *watch_user;
} agRolloutConfig;

/* Fills cfg with defaults: reach, seed 0, env_defaultConfig, ag_defaultLimits, NULL path. */
void ag_defaultRollout(agRolloutConfig *cfg);

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
  envPerturbValues perturb; /* the values the episode's perturbation drew (env.perturb) */
  obs_t obs0;               /* observation after reset, as the controller saw it */
  int nsteps;
  agStep *steps;         /* capacity env.horizon */
  double ret;            /* sum of the per-step rewards */
  int success;           /* success after the last completed step */
  agFault fault;         /* kind AG_FT_NONE when the episode ran to its end */
  double wall_ms;        /* whole rollout, spawn to reap */
  double startup_ms;     /* spawn + compile + first reply (READY), overlapped with reset */
  agSafetyCounts safety; /* interventions of the safety layer and the watchdog
                            (ag_rolloutDriver; all 0 for ag_rollout, where the env clips) */
  char task_feedback[ENV_FEEDBACK_MAX]; /* the task's own line about the episode at its end
                                           (env_feedback: e.g. the closest distance to the
                                           goal); "" when it has none (ag_rolloutDriver) */
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
 * Errors: TB_EINVAL (bad config, source too large), TB_ESANDBOX, TB_EENV. */
int ag_rollout(agRunner *runner, const agRolloutConfig *cfg, const char *src, size_t len,
               agEpisode *ep, char *err, size_t errsz);

/* Runs one sandboxed episode of the controller on an open driver (sim, net or a
 * plug-in): the sandbox child is the agPolicyFn of ag_runDriverEpisode, so the
 * watchdog, the safety layer and the e-stop policy of tracebot/drivers.h apply. The source
 * is compiled before the robot is reset (a controller that does not compile never
 * moves it). From cfg: seed, env.horizon, env.mode (absolute targets), limits
 * (call_ms is the watchdog timeout, episode_wall_s bounds the whole episode including
 * the robot's motion); cfg->task only labels ep; cfg->record_path must be NULL and
 * cfg->env.perturb none.
 * steps[t].result carries the driver's observation, reward, success and hint after the
 * command and the commanded target (env_steps is 0). ep->safety counts every
 * intervention. Faults of the driver path: safety, driver, interrupted (and the
 * sandbox's).
 * Nullable: safety (ag_defaultSafety), interrupt (main's SIGINT flag: e-stop and end).
 * Ownership: caller releases ep with ag_episodeClose (also after an error).
 * Errors: TB_EINVAL (bad config, recording or a perturbation asked for), TB_ESANDBOX. */
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
 * Errors: TB_EINVAL (empty or huge range, jobs < 1), or the first infrastructure
 * error of any episode (TB_ESANDBOX, TB_EENV). */
int ag_eval(const envSpec *spec, const agRolloutConfig *cfg, const char *src, size_t len,
            uint64_t seed_begin, uint64_t seed_end, int jobs, agProgressFn progress, void *user,
            agEvalEpisode *episodes, agEvalSummary *summary, char *err, size_t errsz);

/* Parses "A:B" (half-open, A < B <= SIM_SEED_MAX, at most 1000000 seeds).
 * Errors: TB_EINVAL. */
int ag_parseSeedRange(const char *text, uint64_t *begin, uint64_t *end, char *err, size_t errsz);

#endif /* TRACEBOT_AGENT_H */
