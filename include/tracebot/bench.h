/* bench: the figures behind `tracebot bench`. Each function times one thing with the
 * same machine state for both sides of a ratio, so that ratios hold on a noisy machine.
 * Errors: negative TB_E* codes with a one-line message in (err, errsz).
 */
#ifndef TRACEBOT_BENCH_H
#define TRACEBOT_BENCH_H

#include <stddef.h>

#include "tracebot/envs.h"
#include "tracebot/error.h"

/* Figures measured by ag_bench. */
typedef struct agBenchResult {
  envTaskId task;
  double env_steps_per_s;       /* env_step calls per second */
  double raw_mj_steps_per_s;    /* bare mj_step calls per second, same model, same run */
  double ratio;                 /* 5 * env_steps_per_s / raw_mj_steps_per_s */
  double sandbox_overhead_ms;   /* median per episode: sandboxed minus in-process */
  double sandboxed_episode_ms;  /* median wall time of a sandboxed expert episode */
  double inprocess_episode_ms;  /* median of the same episode run in process */
  int overhead_episodes;        /* episodes behind the two medians */
  int eval_seeds;               /* seeds in each timed eval */
  double eval_jobs1_s;          /* wall time of eval at --jobs 1 */
  double eval_jobs2_s;          /* wall time of eval at --jobs 2 */
  double eval_speedup;          /* jobs1 / jobs2 */
  int perturb_episodes;         /* episodes of each kind below, on the same seeds */
  double plain_episode_ms;      /* median in-process expert episode, plain */
  double perturbed_episode_ms;  /* the same under the strong perturbation preset */
  double perturb_episode_ratio; /* perturbed_episode_ms / plain_episode_ms */
  double plain_step_us;         /* per env step of a fixed action schedule, plain */
  double perturbed_step_us;     /* the same commands with every knob on at near-neutral
                                   values (the physics unchanged) */
  double perturb_step_ratio;    /* perturbed_step_us / plain_step_us */
} agBenchResult;

/* Runs the benchmark for a task with the task's expert controller (src): raw
 * stepping, sandbox overhead, the eval jobs speedup and the cost of a perturbation
 * (plain and strong episodes interleaved; about 30 s in all).
 * Errors: TB_EENV, TB_ESANDBOX. */
int ag_bench(envTaskId task, const char *src, size_t len, const char *sandbox_path,
             agBenchResult *out, char *err, size_t errsz);

/* For `tracebot bench`: trains reach for up to iters iterations in a scratch directory in
 * the pool protocol (10 training starts) with an LLM that answers at once (exec:cat of a
 * fixed reply) and returns the median of the logged optimizer_overhead_ms (tracing,
 * backward, prompt rendering with the lean memory, the request check, parsing and the
 * update: everything but the LLM call and the rollouts). Errors: TB_EIO, or ag_train's. */
int ag_benchTrainOverhead(int iters, double *median_ms, char *err, size_t errsz);

typedef struct agDriverBench {
  int steps;     /* command+observe pairs timed */
  double sim_us; /* mean per step, sim driver in process (us) */
  double net_us; /* mean per step, net driver against serve-sim on loopback */
  double net_p50_us, net_p99_us;
  double overhead_us; /* net_us - sim_us: the protocol and loopback round trips */
  double rtt_p50_us;  /* median observe request/reply round trip over the net driver */
  double rtt_p99_us;  /* (no physics: the protocol and loopback cost alone) */
} agDriverBench;

/* Measures the per-step round trip: serve-sim in a thread on a free loopback port, the
 * net driver against it, versus the sim driver in process; steps expert commands (each
 * with its observe) per driver, a reset every 10 steps (untimed), then steps bare observe
 * round trips over the net driver. Errors: negative, message in err. */
int ag_benchDriver(const char *task, int steps, agDriverBench *out, char *err, size_t errsz);

#endif /* TRACEBOT_BENCH_H */
