/* tracebot bench: stepping speed, sandbox overhead, eval speedup, driver round trips,
 * the optimizer's per-iteration time and rendering speed of one task, as text or JSON. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "tracebot/bench.h"
#ifdef TRACEBOT_HAVE_VIEWER
#include "tracebot/viewer.h"
#endif

/* The task measured when no --task is given. */
#define BENCH_DEFAULT_TASK "pick-place"

const char cli_benchHelp[] =
    "Measures env steps/s against bare mj_step on the same model (ratio =\n"
    "5 * env/raw), the sandbox overhead per episode (median over 30 expert episodes\n"
    "of sandboxed minus in-process wall time), and eval of 100 seeds at --jobs 1\n"
    "and 2, on the expert controller of the task.\n"
    "Perturbation: in-process episodes on seeds 0..29, plain and under --perturb\n"
    "strong, interleaved: the expert's (plain_episode_ms, perturbed_episode_ms, medians;\n"
    "perturb_episode_ratio), and a fixed action schedule with every knob on at values\n"
    "that leave its physics unchanged: the cost of applying a perturbation\n"
    "(plain_step_us, perturbed_step_us per env step; perturb_step_ratio).\n"
    "  --task T   one of {tasks} (default " BENCH_DEFAULT_TASK
    ")\n"
    "  --json     one JSON object on stdout\n"
    "Driver round trips (1000 expert macro-steps each, a reset every 10, untimed):\n"
    "  sim_driver_step_us   mean command+observe through the sim driver in process\n"
    "  net_step_us          the same through the net driver against serve-sim on\n"
    "                       loopback (net_step_p50_us, net_step_p99_us)\n"
    "  net_overhead_us      net_step_us - sim_driver_step_us\n"
    "  net_roundtrip_p50_us / _p99_us  a bare observe request/reply (no physics)\n"
    "Training: train_optimizer_overhead_ms, the median per-iteration time of tracing,\n"
    "backward, prompt rendering, parsing and the update (a 9-iteration reach run of the\n"
    "pool protocol with 10 training starts and an instant LLM; LLM call and rollouts\n"
    "excluded).\n"
    "Rendering: render_fps, offscreen frames/s at 640x480 (needs a display, e.g.\n"
    "xvfb-run tracebot bench; null with render_fps_error otherwise).\n";

/* Offscreen rendering speed (render + read back) at 640x480 of a task's scene. Returns
 * 0, or -1 with a one-line reason (no display, no viewer). */
static int benchRender(envTaskId task, double *fps, char *err, size_t errsz) {
#ifdef TRACEBOT_HAVE_VIEWER
  envSpec *spec = env_makeSpec(task, err, errsz);
  envTask *t = spec != NULL ? env_make(spec, err, errsz) : NULL;
  int rc = -1;
  if (t != NULL) {
    obs_t obs;
    envConfig cfg;
    env_defaultConfig(&cfg);
    rc = env_reset(t, 0, &cfg, &obs, err, errsz);
  }
  if (rc == 0) {
    rc = sim_benchRenderFps(sim_model(env_world(t)), 640, 480, 120, fps, err, errsz);
  }
  env_free(t);
  env_freeSpec(spec);
  return rc == 0 ? 0 : -1;
#else
  (void)task;
  *fps = 0;
  snprintf(err, errsz, "%s", CLI_NO_VIEWER);
  return -1;
#endif
}

/* Everything one bench run measures. */
typedef struct benchRun {
  envTaskId task;
  agBenchResult b;
  agDriverBench d;
  double trainMs;
  double fps;
  int haveFps;
  char renderErr[256];
} benchRun;

/* Runs every measurement. Returns 0, or -1 with a one-line message. */
static int measure(benchRun *r, char *err, size_t errsz) {
  size_t len = 0;
  const char *src = env_expertSource(r->task, &len);
  fprintf(stderr, "bench: %s (about 20 s)\n", env_name(r->task));
  if (ag_bench(r->task, src, len, getenv("TRACEBOT_SANDBOX"), &r->b, err, errsz) != TB_OK ||
      ag_benchDriver(env_name(r->task), 1000, &r->d, err, errsz) != 0 ||
      ag_benchTrainOverhead(9, &r->trainMs, err, errsz) != TB_OK) {
    return -1;
  }
  r->haveFps = benchRender(r->task, &r->fps, r->renderErr, sizeof r->renderErr) == 0;
  return 0;
}

static int printBenchJson(const benchRun *r) {
  const agBenchResult *b = &r->b;
  const agDriverBench *d = &r->d;
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "task", env_name(r->task));
  cJSON_AddNumberToObject(root, "env_steps_per_s", b->env_steps_per_s);
  cJSON_AddNumberToObject(root, "raw_mj_steps_per_s", b->raw_mj_steps_per_s);
  cJSON_AddNumberToObject(root, "ratio", b->ratio);
  cJSON_AddNumberToObject(root, "sandbox_overhead_ms", b->sandbox_overhead_ms);
  cJSON_AddNumberToObject(root, "sandboxed_episode_ms", b->sandboxed_episode_ms);
  cJSON_AddNumberToObject(root, "inprocess_episode_ms", b->inprocess_episode_ms);
  cJSON_AddNumberToObject(root, "overhead_episodes", b->overhead_episodes);
  cJSON_AddNumberToObject(root, "eval_seeds", b->eval_seeds);
  cJSON_AddNumberToObject(root, "eval_jobs1_s", b->eval_jobs1_s);
  cJSON_AddNumberToObject(root, "eval_jobs2_s", b->eval_jobs2_s);
  cJSON_AddNumberToObject(root, "eval_speedup", b->eval_speedup);
  cJSON_AddNumberToObject(root, "perturb_episodes", b->perturb_episodes);
  cJSON_AddNumberToObject(root, "plain_episode_ms", b->plain_episode_ms);
  cJSON_AddNumberToObject(root, "perturbed_episode_ms", b->perturbed_episode_ms);
  cJSON_AddNumberToObject(root, "perturb_episode_ratio", b->perturb_episode_ratio);
  cJSON_AddNumberToObject(root, "plain_step_us", b->plain_step_us);
  cJSON_AddNumberToObject(root, "perturbed_step_us", b->perturbed_step_us);
  cJSON_AddNumberToObject(root, "perturb_step_ratio", b->perturb_step_ratio);
  cJSON_AddNumberToObject(root, "driver_steps", d->steps);
  cJSON_AddNumberToObject(root, "sim_driver_step_us", d->sim_us);
  cJSON_AddNumberToObject(root, "net_step_us", d->net_us);
  cJSON_AddNumberToObject(root, "net_step_p50_us", d->net_p50_us);
  cJSON_AddNumberToObject(root, "net_step_p99_us", d->net_p99_us);
  cJSON_AddNumberToObject(root, "net_overhead_us", d->overhead_us);
  cJSON_AddNumberToObject(root, "net_roundtrip_p50_us", d->rtt_p50_us);
  cJSON_AddNumberToObject(root, "net_roundtrip_p99_us", d->rtt_p99_us);
  cJSON_AddNumberToObject(root, "train_optimizer_overhead_ms", r->trainMs);
  if (r->haveFps) {
    cJSON_AddNumberToObject(root, "render_fps", r->fps);
  } else {
    cJSON_AddNullToObject(root, "render_fps");
    cJSON_AddStringToObject(root, "render_fps_error", r->renderErr);
  }
  return cli_printJson(root);
}

static void printBenchText(const benchRun *r) {
  const agBenchResult *b = &r->b;
  const agDriverBench *d = &r->d;
  printf("task                  %s\n", env_name(r->task));
  printf("env steps/s           %.0f\n", b->env_steps_per_s);
  printf("raw mj_step/s         %.0f\n", b->raw_mj_steps_per_s);
  printf("ratio (5*env/raw)     %.3f\n", b->ratio);
  printf(
      "sandbox overhead      %.2f ms/episode (median of %d: %.2f sandboxed - %.2f "
      "in process)\n",
      b->sandbox_overhead_ms, b->overhead_episodes, b->sandboxed_episode_ms,
      b->inprocess_episode_ms);
  printf("eval %d seeds         jobs 1 %.2f s, jobs 2 %.2f s, speedup %.2fx\n", b->eval_seeds,
         b->eval_jobs1_s, b->eval_jobs2_s, b->eval_speedup);
  printf(
      "perturbation          expert episode strong %.2f ms vs plain %.2f (medians of %d, "
      "ratio %.3f); every knob on %.1f vs %.1f us per env step, ratio %.3f\n",
      b->perturbed_episode_ms, b->plain_episode_ms, b->perturb_episodes, b->perturb_episode_ratio,
      b->perturbed_step_us, b->plain_step_us, b->perturb_step_ratio);
  printf(
      "driver step           sim %.1f us, net %.1f us (p50 %.1f, p99 %.1f), overhead "
      "%.1f us (%d steps)\n",
      d->sim_us, d->net_us, d->net_p50_us, d->net_p99_us, d->overhead_us, d->steps);
  printf("net round trip        p50 %.1f us, p99 %.1f us (bare observe)\n", d->rtt_p50_us,
         d->rtt_p99_us);
  printf(
      "train optimizer side  %.3f ms/iteration (median of 9; LLM call and rollouts "
      "excluded)\n",
      r->trainMs);
  if (r->haveFps) {
    printf("render                %.1f frames/s at 640x480 (offscreen + read back)\n", r->fps);
  } else {
    printf("render                n/a: %s\n", r->renderErr);
  }
}

static const char *const kValueFlags[] = {"--task", NULL};

int cli_cmdBench(cliArgs *a) {
  benchRun run;
  memset(&run, 0, sizeof run);
  const char *task = BENCH_DEFAULT_TASK;
  int json = 0;
  const char *flag;
  const char *value;
  int r;
  while ((r = cli_nextOption(a, &flag, &value)) > 0) {
    if (strcmp(flag, "--json") == 0 && value == NULL) {
      json = 1;
      continue;
    }
    task = cli_knownValue(a, flag, value, kValueFlags);
    if (task == NULL) {
      return CLI_USAGE;
    }
  }
  if (r < 0 || cli_parseTask(task, &run.task) != 0) {
    return CLI_USAGE;
  }
  char err[512];
  if (measure(&run, err, sizeof err) != 0) {
    return cli_fail("bench: %s", err);
  }
  if (json) {
    return printBenchJson(&run);
  }
  printBenchText(&run);
  return CLI_OK;
}
