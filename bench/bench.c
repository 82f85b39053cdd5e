/* `tracebot bench`: stepping speed against bare MuJoCo, sandbox overhead per
 * episode, and the eval speedup from a second job. See ag_bench in agent.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"
#include "tracebot/bench.h"
#include "tracebot/agent.h"

#define STEP_SECONDS 1.0 /* time each stepping loop for about this long */
#define OVERHEAD_EPISODES 30
#define EVAL_SEEDS 100

static int cmpDouble(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmpDouble);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* env_step and bare mj_step rates on the same task model. */
static int stepRates(envTask *task, agBenchResult *out, char *err, size_t errsz) {
  envConfig ec;
  env_defaultConfig(&ec);
  obs_t obs;
  if (env_reset(task, 1, &ec, &obs, err, errsz) != 0) {
    return TB_EENV;
  }

  /* env_step with a small oscillating action (stays inside the workspace) */
  long n = 0;
  double t0 = (1e-3 * tb_nowMs());
  double t = t0;
  while (t - t0 < STEP_SECONDS) {
    for (int i = 0; i < 100; i++, n++) {
      double a[4] = {(n / 50) % 2 ? 0.3 : -0.3, 0.0, 0.0, 0.0};
      if (env_step(task, a, err, errsz) != 0) {
        return TB_EENV;
      }
    }
    t = (1e-3 * tb_nowMs());
  }
  out->env_steps_per_s = n / (t - t0);

  /* the bare loop: sim_rawSteps on the world of the same task */
  if (env_reset(task, 1, &ec, &obs, err, errsz) != 0) {
    return TB_EENV;
  }
  simWorld *w = env_world(task);
  long m = 0;
  t0 = (1e-3 * tb_nowMs());
  t = t0;
  while (t - t0 < STEP_SECONDS) {
    sim_rawSteps(w, 500);
    m += 500;
    t = (1e-3 * tb_nowMs());
  }
  out->raw_mj_steps_per_s = m / (t - t0);
  out->ratio = 5.0 * out->env_steps_per_s / out->raw_mj_steps_per_s;
  return TB_OK;
}

/* One in-process episode with the built-in expert: the same work as a sandboxed
 * episode minus the sandbox. Returns its wall time in ms, or -1. */
static double inProcessEpisode(envTask *task, envTaskId id, uint64_t seed, const envConfig *ec,
                               char *err, size_t errsz) {
  double t0 = (1e-3 * tb_nowMs());
  obs_t obs;
  if (env_reset(task, seed, ec, &obs, err, errsz) != 0) {
    return -1.0;
  }
  for (int k = 0; k < ec->horizon; k++) {
    double a[4] = {0.0, 0.0, 0.0, 0.0};
    env_expert(id, &obs, a);
    envStepResult res;
    if (env_macroStep(task, a, &res, err, errsz) != 0) {
      return -1.0;
    }
    obs = res.obs;
    if (res.success) {
      break;
    }
  }
  return ((1e-3 * tb_nowMs()) - t0) * 1e3;
}

/* One in-process episode of a fixed action schedule (the hand sweeps 10 cm left and right
 * at its start height while the gripper opens and closes), the whole horizon: the same
 * commands whatever the perturbation does. Adds its env steps to *envSteps. Returns its
 * wall time in ms, or -1. */
static double fixedEpisode(envTask *task, uint64_t seed, const envConfig *ec, long *envSteps,
                           char *err, size_t errsz) {
  double t0 = (1e-3 * tb_nowMs());
  if (env_reset(task, seed, ec, NULL, err, errsz) != 0) {
    return -1.0;
  }
  for (int k = 0; k < ec->horizon; k++) {
    double a[4] = {k % 2 ? 0.1 : -0.1, 0.0, 0.0, k % 4 < 2 ? 1.0 : -1.0};
    envStepResult res;
    if (env_macroStep(task, a, &res, err, errsz) != 0) {
      return -1.0;
    }
    *envSteps += res.env_steps;
  }
  return ((1e-3 * tb_nowMs()) - t0) * 1e3;
}

/* Every knob on, at values that leave a fixed action schedule's trajectory all but
 * unchanged: every part of applying a perturbation runs, the physics stays the same. */
static const char kEveryKnob[] =
    "friction=0.999:1.001,mass=0.999:1.001,damping=0.999:1.001,gain=0.999:1.001,"
    "obs_noise=0.004,action_noise=1e-9,latency=0:8,push=1e-9";

/* The cost of a perturbation, plain and perturbed episodes interleaved on the same seeds
 * so that both see the same machine: the expert's episodes under the strong preset (what a
 * perturbed episode costs, with whatever the perturbation does to the trajectory), and a
 * fixed action schedule with every knob on (the cost of applying a perturbation per env
 * step, the physics unchanged). */
static int perturbCost(envTask *task, envTaskId id, agBenchResult *out, char *err, size_t errsz) {
  envConfig plain;
  env_defaultConfig(&plain);
  envConfig strong = plain;
  envConfig every = plain;
  if (env_parsePerturb("strong", &strong.perturb, err, errsz) != TB_OK ||
      env_parsePerturb(kEveryKnob, &every.perturb, err, errsz) != TB_OK) {
    return TB_EINVAL;
  }
  const envConfig *expertCfg[2] = {&plain, &strong};
  const envConfig *fixedCfg[2] = {&plain, &every};
  double expert[2][OVERHEAD_EPISODES];
  double perStep[2][OVERHEAD_EPISODES]; /* us per env step of each fixed episode */
  for (int i = 0; i < OVERHEAD_EPISODES; i++) {
    for (int j = 0; j < 2; j++) {
      int kind = (i + j) % 2; /* each kind goes first on every other seed */
      expert[kind][i] = inProcessEpisode(task, id, (uint64_t)i, expertCfg[kind], err, errsz);
      long steps = 0;
      double ms = fixedEpisode(task, (uint64_t)i, fixedCfg[kind], &steps, err, errsz);
      if (expert[kind][i] < 0 || ms < 0) {
        return TB_EENV;
      }
      perStep[kind][i] = 1e3 * ms / (double)steps;
    }
  }
  out->perturb_episodes = OVERHEAD_EPISODES;
  out->plain_episode_ms = median(expert[0], OVERHEAD_EPISODES);
  out->perturbed_episode_ms = median(expert[1], OVERHEAD_EPISODES);
  out->perturb_episode_ratio = out->perturbed_episode_ms / out->plain_episode_ms;
  out->plain_step_us = median(perStep[0], OVERHEAD_EPISODES);
  out->perturbed_step_us = median(perStep[1], OVERHEAD_EPISODES);
  out->perturb_step_ratio = out->perturbed_step_us / out->plain_step_us;
  return TB_OK;
}

/* Median of sandboxed minus in-process time, paired by seed. */
static int overhead(agRunner *runner, envTask *task, const agRolloutConfig *cfg, const char *src,
                    size_t len, agBenchResult *out, char *err, size_t errsz) {
  double sb[OVERHEAD_EPISODES];
  double ip[OVERHEAD_EPISODES];
  double diff[OVERHEAD_EPISODES];
  for (int i = 0; i < OVERHEAD_EPISODES; i++) {
    agRolloutConfig c = *cfg;
    c.seed = (uint64_t)i;
    agEpisode ep;
    int rc = ag_rollout(runner, &c, src, len, &ep, err, errsz);
    sb[i] = ep.wall_ms;
    int faulted = ep.fault.kind != AG_FT_NONE;
    ag_episodeClose(&ep);
    if (rc != TB_OK) {
      return rc;
    }
    if (faulted) {
      tb_setErr(err, errsz, "the expert faulted in the sandbox (seed %d)", i);
      return TB_ESANDBOX;
    }
    ip[i] = inProcessEpisode(task, cfg->task, c.seed, &cfg->env, err, errsz);
    if (ip[i] < 0) {
      return TB_EENV;
    }
    diff[i] = sb[i] - ip[i];
  }
  out->overhead_episodes = OVERHEAD_EPISODES;
  out->sandbox_overhead_ms = median(diff, OVERHEAD_EPISODES);
  out->sandboxed_episode_ms = median(sb, OVERHEAD_EPISODES);
  out->inprocess_episode_ms = median(ip, OVERHEAD_EPISODES);
  return TB_OK;
}

int ag_bench(envTaskId task, const char *src, size_t len, const char *sandbox_path,
             agBenchResult *out, char *err, size_t errsz) {
  memset(out, 0, sizeof *out);
  out->task = task;
  envSpec *spec = env_makeSpec(task, err, errsz);
  if (spec == NULL) {
    return TB_EENV;
  }
  agRunner *runner = ag_makeRunner(spec, err, errsz);
  envTask *own = env_make(spec, err, errsz);
  int rc = runner != NULL && own != NULL ? TB_OK : TB_EENV;

  /* Stepping rates */
  if (rc == TB_OK) {
    rc = stepRates(own, out, err, errsz);
  }

  /* The cost of a perturbation per episode and per env step */
  if (rc == TB_OK) {
    rc = perturbCost(own, task, out, err, errsz);
  }

  /* Sandbox overhead per episode */
  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  cfg.task = task;
  cfg.sandbox_path = sandbox_path;
  if (rc == TB_OK) {
    rc = overhead(runner, own, &cfg, src, len, out, err, errsz);
  }

  /* Eval speedup: the same 100 seeds at one and two jobs */
  out->eval_seeds = EVAL_SEEDS;
  for (int jobs = 1; jobs <= 2 && rc == TB_OK; jobs++) {
    agEvalSummary sum;
    rc = ag_eval(spec, &cfg, src, len, 0, EVAL_SEEDS, jobs, NULL, NULL, NULL, &sum, err, errsz);
    if (jobs == 1) {
      out->eval_jobs1_s = sum.wall_s;
    } else {
      out->eval_jobs2_s = sum.wall_s;
    }
  }
  if (rc == TB_OK) {
    out->eval_speedup = out->eval_jobs1_s / out->eval_jobs2_s;
  }
  env_free(own);
  ag_freeRunner(runner);
  env_freeSpec(spec);
  return rc;
}
