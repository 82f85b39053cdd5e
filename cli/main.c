/* tracebot: the command-line tool. A thin layer over the agent library: parse flags
 * into a config, call one library function, print. See DESIGN.md (CLI contract):
 * exit 0 when the command did its job, 2 for usage or bad input, 1 otherwise. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracebot/bench.h"
#include "tracebot/agent.h"
#include "cli_util.h"
#include "commands.h"

static const char kMainHelp[] =
    "usage: tracebot COMMAND [flags]\n"
    "\n"
    "commands:\n"
    "  tasks      list the tasks\n"
    "  run        run one sandboxed episode of a controller\n"
    "  eval       evaluate a controller over a seed range\n"
    "  train      train a controller with an LLM (OptoPrime or OPRO)\n"
    "  replay     play back a recorded episode: window, video, PNG\n"
    "  report     learning curve and report.html of a run directory\n"
    "  bench      measure stepping speed, sandbox overhead, eval speedup, rendering\n"
    "  serve-sim  serve the simulator over the net driver protocol on loopback\n"
    "\n"
    "`tracebot COMMAND --help` describes each command. Environment: TRACEBOT_LLM is the\n"
    "default --llm of train (openai:MODEL, anthropic:MODEL, exec:COMMAND, replay:FILE;\n"
    "keys in OPENAI_API_KEY / ANTHROPIC_API_KEY); TRACEBOT_SANDBOX overrides the path of\n"
    "the tracebot-sandbox executable.\n";

static const char kTasksHelp[] =
    "usage: tracebot tasks [--json]\n"
    "Lists the tasks with their instructions and expert controllers.\n";

static const char kLimitsHelp[] =
    "  --horizon H          controller calls per episode (default 10)\n"
    "  --hints expert|none  per-step hint text (default expert)\n"
    "  --mode relative|absolute  action meaning (default relative)\n"
    "  --call-ms N          wall-clock limit per controller call (default 1000, 0: off)\n"
    "  --episode-s S        wall-clock limit per episode (default 10)\n"
    "  --memory-mib N       sandbox address-space limit (default 256)\n"
    "  --json               one JSON object on stdout\n";

static const char kRunHelp[] =
    "usage: tracebot run --task T --controller F.c [--seed N] [flags]\n"
    "Runs one episode of the controller in the sandbox and prints the per-step\n"
    "trajectory (step, action, hand, object, reward, success) and the outcome.\n"
    "  --task T             reach | push | pick-place\n"
    "  --controller F.c     controller source\n"
    "  --seed N             episode seed (default 0)\n"
    "  --record EP.json     save the episode (exact states) for tracebot replay\n"
    "  --view               show the episode live in a window\n"
    "  --driver D           run over a robot driver: sim (the simulator behind the\n"
    "                       driver interface), net (TCP client of tracebot serve-sim or\n"
    "                       a bridge) or PATH.so (a plug-in, agent/DRIVERS.md); the\n"
    "                       controller stays sandboxed, the safety layer and watchdog\n"
    "                       apply, SIGINT stops the robot (fault interrupted), and the\n"
    "                       output adds the safety intervention counts. Without\n"
    "                       --driver the simulator runs in process (same physics).\n"
    "  --driver-config C    driver config: a JSON object, inline ('{\"port\": 5555}') or\n"
    "                       a file holding one (at most 64 KiB); for sim, task, horizon\n"
    "                       and hints default to the flags. Exit 2 when the driver\n"
    "                       cannot be loaded or opened or the config is bad.\n";

static const char kEvalHelp[] =
    "usage: tracebot eval --task T --controller F.c --seeds A:B [--jobs N] [flags]\n"
    "Runs one sandboxed episode per seed A, A+1, ..., B-1 and prints the success\n"
    "rate, mean return and fault counts (progress on stderr).\n"
    "  --task T             reach | push | pick-place\n"
    "  --controller F.c     controller source\n"
    "  --seeds A:B          half-open seed range\n"
    "  --jobs N             episodes run at once (default 1)\n";

static const char kBenchHelp[] =
    "usage: tracebot bench [--task T] [--json]\n"
    "Measures env steps/s against bare mj_step on the same model (ratio =\n"
    "5 * env/raw), the sandbox overhead per episode (median over 30 expert episodes\n"
    "of sandboxed minus in-process wall time), and eval of 100 seeds at --jobs 1\n"
    "and 2. --task defaults to pick-place.\n"
    "Driver round trips (1000 expert macro-steps each, a reset every 10, untimed):\n"
    "  sim_driver_step_us   mean command+observe through the sim driver in process\n"
    "  net_step_us          the same through the net driver against serve-sim on\n"
    "                       loopback (net_step_p50_us, net_step_p99_us)\n"
    "  net_overhead_us      net_step_us - sim_driver_step_us\n"
    "  net_roundtrip_p50_us / _p99_us  a bare observe request/reply (no physics)\n"
    "Training: train_optimizer_overhead_ms, the median per-iteration time of tracing,\n"
    "backward, prompt rendering, parsing and the update (a 9-iteration reach run with\n"
    "an instant LLM; LLM call and rollouts excluded).\n"
    "Rendering: render_fps, offscreen frames/s at 640x480 (needs a display, e.g.\n"
    "xvfb-run tracebot bench; null with render_fps_error otherwise).\n";

/* ------------------------------------------------------------- tasks */

static int cmdTasks(cliArgs *a) {
  int json = 0;
  const char *flag;
  const char *value;
  int r;
  while ((r = cli_nextFlag(a, &flag, &value)) != 0) {
    if (r > 0 && strcmp(flag, "--help") == 0) {
      fputs(kTasksHelp, stdout);
      return CLI_OK;
    }
    if (r > 0 && strcmp(flag, "--json") == 0 && value == NULL) {
      json = 1;
      continue;
    }
    return cli_usage("tasks: unknown %s '%s'", r > 0 ? "flag" : "argument", flag);
  }
  if (json) {
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "tasks");
    for (int i = 0; i < ENV_NTASKS; i++) {
      cJSON *t = cJSON_CreateObject();
      cJSON_AddStringToObject(t, "name", env_name((envTaskId)i));
      cJSON_AddStringToObject(t, "instruction", env_instruction((envTaskId)i));
      cJSON_AddStringToObject(t, "expert", env_expertPath((envTaskId)i));
      cJSON_AddItemToArray(arr, t);
    }
    char *text = cJSON_PrintUnformatted(root);
    puts(text);
    free(text);
    cJSON_Delete(root);
    return CLI_OK;
  }
  for (int i = 0; i < ENV_NTASKS; i++) {
    const char *text = env_instruction((envTaskId)i);
    const char *stop = strstr(text, ". ");
    int n = stop != NULL ? (int)(stop - text) + 1 : (int)strlen(text);
    printf("%-11s %.*s\n            expert controller: %s\n", env_name((envTaskId)i), n, text,
           env_expertPath((envTaskId)i));
  }
  return CLI_OK;
}

/* ------------------------------------------------------------- run / eval options */

typedef struct opts {
  agRolloutConfig cfg;
  int haveTask;
  const char *controller;
  const char *seeds;
  int jobs;
  int json;
  const char *driver;       /* run --driver, or NULL: in-process simulator */
  const char *driverConfig; /* run --driver-config, or NULL */
  int view;                 /* run --view */
} opts;

/* Parses run/eval flags. Returns -1 to continue, else an exit status. */
static int parseEpisodeFlags(cliArgs *a, int isEval, opts *o) {
  ag_defaultRollout(&o->cfg);
  o->haveTask = 0;
  o->controller = NULL;
  o->seeds = NULL;
  o->jobs = 1;
  o->json = 0;
  o->driver = NULL;
  o->driverConfig = NULL;
  o->view = 0;
  const char *flag;
  const char *value;
  int r;
  while ((r = cli_nextFlag(a, &flag, &value)) != 0) {
    if (r < 0) {
      return cli_usage("%s: unexpected argument '%s'", a->cmd, flag);
    }
    if (strcmp(flag, "--help") == 0) {
      fputs(isEval ? kEvalHelp : kRunHelp, stdout);
      fputs(kLimitsHelp, stdout);
      return CLI_OK;
    }
    if (strcmp(flag, "--json") == 0 && value == NULL) {
      o->json = 1;
      continue;
    }
    if (!isEval && strcmp(flag, "--view") == 0 && value == NULL) {
      o->view = 1;
      continue;
    }
    int known =
        strcmp(flag, "--task") == 0 || strcmp(flag, "--controller") == 0 ||
        strcmp(flag, "--horizon") == 0 || strcmp(flag, "--hints") == 0 ||
        strcmp(flag, "--mode") == 0 || strcmp(flag, "--call-ms") == 0 ||
        strcmp(flag, "--episode-s") == 0 || strcmp(flag, "--memory-mib") == 0 ||
        (!isEval && (strcmp(flag, "--seed") == 0 || strcmp(flag, "--driver") == 0 ||
                     strcmp(flag, "--driver-config") == 0 || strcmp(flag, "--record") == 0)) ||
        (isEval && (strcmp(flag, "--seeds") == 0 || strcmp(flag, "--jobs") == 0));
    if (!known) {
      return cli_usage("%s: unknown flag '%s' (see tracebot %s --help)", a->cmd, flag, a->cmd);
    }
    const char *v = cli_value(a, flag, value);
    if (v == NULL) {
      return CLI_USAGE;
    }
    int rc = 0;
    if (strcmp(flag, "--task") == 0) {
      rc = cli_parseTask(v, &o->cfg.task);
      o->haveTask = 1;
    } else if (strcmp(flag, "--controller") == 0) {
      o->controller = v;
    } else if (strcmp(flag, "--seed") == 0) {
      rc = cli_parseU64(flag, v, &o->cfg.seed);
    } else if (strcmp(flag, "--seeds") == 0) {
      o->seeds = v;
    } else if (strcmp(flag, "--driver") == 0) {
      o->driver = v;
    } else if (strcmp(flag, "--driver-config") == 0) {
      o->driverConfig = v;
    } else if (strcmp(flag, "--record") == 0) {
      o->cfg.record_path = v;
    } else if (strcmp(flag, "--jobs") == 0) {
      rc = cli_parseInt(flag, v, 1, 256, &o->jobs);
    } else if (strcmp(flag, "--horizon") == 0) {
      rc = cli_parseInt(flag, v, 1, 10000, &o->cfg.env.horizon);
    } else if (strcmp(flag, "--hints") == 0) {
      if (strcmp(v, "expert") == 0 || strcmp(v, "none") == 0) {
        o->cfg.env.hints = strcmp(v, "expert") == 0 ? ENV_HINTS_EXPERT : ENV_HINTS_NONE;
      } else {
        rc = cli_usage("--hints must be expert or none, got '%s'", v);
      }
    } else if (strcmp(flag, "--mode") == 0) {
      if (strcmp(v, "relative") == 0 || strcmp(v, "absolute") == 0) {
        o->cfg.env.mode = strcmp(v, "relative") == 0 ? ENV_RELATIVE : ENV_ABSOLUTE;
      } else {
        rc = cli_usage("--mode must be relative or absolute, got '%s'", v);
      }
    } else if (strcmp(flag, "--call-ms") == 0) {
      rc = cli_parseInt(flag, v, 0, 3600000, &o->cfg.limits.call_ms);
    } else if (strcmp(flag, "--episode-s") == 0) {
      rc = cli_parseDouble(flag, v, 0.01, 86400, &o->cfg.limits.episode_wall_s);
    } else {
      rc = cli_parseInt(flag, v, 32, 65536, &o->cfg.limits.memory_mib);
    }
    if (rc != 0) {
      return CLI_USAGE;
    }
  }
  if (!o->haveTask) {
    return cli_usage("%s: --task is required (reach, push, pick-place)", a->cmd);
  }
  if (o->controller == NULL) {
    return cli_usage("%s: --controller is required", a->cmd);
  }
  if (o->driverConfig != NULL && o->driver == NULL) {
    return cli_usage("run: --driver-config needs --driver");
  }
  if (isEval && o->seeds == NULL) {
    return cli_usage("eval: --seeds A:B is required");
  }
  o->cfg.sandbox_path = getenv("TRACEBOT_SANDBOX");
  return -1;
}

static cJSON *vec(const double *v, int n) {
  return cJSON_CreateDoubleArray(v, n);
}

static void printFaultText(const agFault *f) {
  if (f->kind == AG_FT_COMPILE && f->line > 0) {
    printf("fault: compile (line %d: %s)\n", f->line, f->message);
  } else if (f->kind != AG_FT_NONE) {
    printf("fault: %s (%s)\n", ag_faultName(f->kind), f->message);
  }
}

/* ------------------------------------------------------------- run */

static void printRunJson(const agEpisode *ep, const char *driver) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "task", env_name(ep->task));
  cJSON_AddNumberToObject(root, "seed", (double)ep->seed);
  cJSON_AddNumberToObject(root, "horizon", ep->env.horizon);
  cJSON_AddStringToObject(root, "mode", ep->env.mode == ENV_RELATIVE ? "relative" : "absolute");
  cJSON_AddBoolToObject(root, "success", ep->success != 0);
  cJSON_AddNumberToObject(root, "return", ep->ret);
  cJSON_AddNumberToObject(root, "steps", ep->nsteps);
  cJSON_AddItemToObject(root, "fault", ag_faultJson(&ep->fault));
  cJSON_AddNumberToObject(root, "wall_ms", ep->wall_ms);
  cJSON_AddNumberToObject(root, "startup_ms", ep->startup_ms);
  if (driver != NULL) {
    cJSON_AddStringToObject(root, "driver", driver);
    cJSON_AddItemToObject(root, "safety", cli_safetyJson(&ep->safety));
  } else {
    cJSON_AddNullToObject(root, "driver");
    cJSON_AddNullToObject(root, "safety");
  }
  cJSON *traj = cJSON_AddArrayToObject(root, "trajectory");
  for (int t = 0; t < ep->nsteps; t++) {
    const agStep *s = &ep->steps[t];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "step", t);
    cJSON_AddItemToObject(o, "action", vec(s->action, 4));
    cJSON_AddItemToObject(o, "hand", vec(s->result.obs.hand_pos, 3));
    cJSON_AddItemToObject(o, "object", vec(s->result.obs.obj_pos, 3));
    cJSON_AddNumberToObject(o, "gripper", s->result.obs.gripper_distance_apart);
    cJSON_AddNumberToObject(o, "reward", s->result.reward);
    cJSON_AddBoolToObject(o, "success", s->result.success != 0);
    cJSON_AddStringToObject(o, "hint", s->result.hint);
    cJSON_AddItemToArray(traj, o);
  }
  char *text = cJSON_PrintUnformatted(root);
  puts(text);
  free(text);
  cJSON_Delete(root);
}

static void printRunText(const agEpisode *ep, const char *driver) {
  printf("%4s  %-31s  %-23s  %-23s  %7s  %s\n", "step", "action (x y z g)", "hand (x y z)",
         "object (x y z)", "reward", "success");
  for (int t = 0; t < ep->nsteps; t++) {
    const agStep *s = &ep->steps[t];
    const double *h = s->result.obs.hand_pos;
    const double *o = s->result.obs.obj_pos;
    printf(
        "%4d  %+7.3f %+7.3f %+7.3f %+6.2f  %+7.3f %+7.3f %+7.3f  %+7.3f %+7.3f %+7.3f  "
        "%7.3f  %s\n",
        t, s->action[0], s->action[1], s->action[2], s->action[3], h[0], h[1], h[2], o[0], o[1],
        o[2], s->result.reward, s->result.success ? "yes" : "no");
  }
  printf("%s seed %llu: %s, return %.3f in %d step%s\n", env_name(ep->task),
         (unsigned long long)ep->seed, ep->success ? "success" : "no success", ep->ret, ep->nsteps,
         ep->nsteps == 1 ? "" : "s");
  if (driver != NULL) {
    printf("driver: %s\n", driver);
    cli_printSafety(&ep->safety);
  }
  printFaultText(&ep->fault);
}

static int cmdRun(cliArgs *a) {
  opts o;
  int st = parseEpisodeFlags(a, 0, &o);
  if (st >= 0) {
    return st;
  }
  size_t len = 0;
  char *src = cli_readController(o.controller, &len);
  if (src == NULL) {
    return CLI_USAGE;
  }
  agEpisode ep;
  char err[512];
  char driver[128] = "";
  if (o.driver != NULL && (o.view || o.cfg.record_path != NULL)) {
    free(src);
    return cli_usage("run: --view and --record need the in-process simulator (no --driver)");
  }
  if (o.driver != NULL) {
    st = cli_runDriver(o.driver, o.driverConfig, &o.cfg, src, len, &ep, driver, sizeof driver);
    free(src);
    if (st != CLI_OK) {
      ag_episodeClose(&ep);
      return st;
    }
  } else {
    cliLiveView *live = NULL;
    if (o.view) {
      live = cli_makeLiveView();
      if (live == NULL) {
        free(src);
        return CLI_USAGE;
      }
      o.cfg.watch = cli_liveWatch;
      o.cfg.watch_user = live;
    }
    int rc = ag_rolloutOnce(&o.cfg, src, len, &ep, err, sizeof err);
    cli_freeLiveView(live);
    free(src);
    if (rc != TB_OK) {
      ag_episodeClose(&ep);
      return rc == TB_EINVAL ? cli_usage("run: %s", err) : cli_fail("run: %s", err);
    }
  }
  if (o.cfg.record_path != NULL) {
    fprintf(stderr, "tracebot: recorded the episode to %s\n", o.cfg.record_path);
  }
  if (o.json) {
    printRunJson(&ep, o.driver != NULL ? driver : NULL);
  } else {
    printRunText(&ep, o.driver != NULL ? driver : NULL);
  }
  ag_episodeClose(&ep);
  return CLI_OK;
}

/* ------------------------------------------------------------- eval */

static void onProgress(void *user, int done, int total, const agEvalEpisode *ep) {
  int *successes = user;
  *successes += ep->success ? 1 : 0;
  /* On a terminal one line that updates in place; in a log a line per tenth. */
  if (isatty(STDERR_FILENO)) {
    fprintf(stderr, "\reval: %d/%d episodes, %d successes%s", done, total, *successes,
            done == total ? "\n" : "");
    return;
  }
  int every = total >= 10 ? total / 10 : 1;
  if (done % every == 0 || done == total) {
    fprintf(stderr, "eval: %d/%d episodes, %d successes\n", done, total, *successes);
  }
}

static int cmdEval(cliArgs *a) {
  opts o;
  int st = parseEpisodeFlags(a, 1, &o);
  if (st >= 0) {
    return st;
  }
  uint64_t begin = 0;
  uint64_t end = 0;
  char err[512];
  if (ag_parseSeedRange(o.seeds, &begin, &end, err, sizeof err) != TB_OK) {
    return cli_usage("eval: %s", err);
  }
  size_t len = 0;
  char *src = cli_readController(o.controller, &len);
  if (src == NULL) {
    return CLI_USAGE;
  }
  agEvalSummary sum;
  int successes = 0;
  agEvalEpisode *eps = calloc((size_t)(end - begin), sizeof *eps);
  if (eps == NULL) {
    free(src);
    return cli_fail("eval: out of memory for %llu episodes", (unsigned long long)(end - begin));
  }
  int rc = ag_eval(NULL, &o.cfg, src, len, begin, end, o.jobs, onProgress, &successes, eps, &sum,
                   err, sizeof err);
  free(src);
  if (rc != TB_OK) {
    free(eps);
    return rc == TB_EINVAL ? cli_usage("eval: %s", err) : cli_fail("eval: %s", err);
  }
  /* The first fault, so that a person sees why without another run */
  const agEvalEpisode *first = NULL;
  for (int i = 0; i < sum.episodes && first == NULL; i++) {
    first = eps[i].fault.kind != AG_FT_NONE ? &eps[i] : NULL;
  }
  if (o.json) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "task", env_name(sum.task));
    cJSON_AddStringToObject(root, "seeds", o.seeds);
    cJSON_AddNumberToObject(root, "episodes", sum.episodes);
    cJSON_AddNumberToObject(root, "successes", sum.successes);
    cJSON_AddNumberToObject(root, "success_rate", sum.success_rate);
    cJSON_AddNumberToObject(root, "mean_return", sum.mean_return);
    cJSON *faults = cJSON_AddObjectToObject(root, "faults");
    for (int k = 1; k < AG_NFAULT_TYPES; k++) {
      cJSON_AddNumberToObject(faults, ag_faultName((agFaultType)k), sum.faults[k]);
    }
    if (first != NULL) {
      cJSON *ff = cJSON_AddObjectToObject(root, "first_fault");
      cJSON_AddNumberToObject(ff, "seed", (double)first->seed);
      cJSON_AddStringToObject(ff, "kind", ag_faultName(first->fault.kind));
      cJSON_AddStringToObject(ff, "message", first->fault.message);
      cJSON_AddNumberToObject(ff, "step", first->fault.step);
      cJSON_AddNumberToObject(ff, "line", first->fault.line);
    } else {
      cJSON_AddNullToObject(root, "first_fault");
    }
    cJSON_AddNumberToObject(root, "jobs", o.jobs);
    cJSON_AddNumberToObject(root, "wall_s", sum.wall_s);
    char *text = cJSON_PrintUnformatted(root);
    puts(text);
    free(text);
    cJSON_Delete(root);
  } else {
    printf("%s seeds %s: success rate %.3f (%d/%d), mean return %.3f, %.1f s\n", env_name(sum.task),
           o.seeds, sum.success_rate, sum.successes, sum.episodes, sum.mean_return, sum.wall_s);
    printf("faults:");
    for (int k = 1; k < AG_NFAULT_TYPES; k++) {
      printf(" %s %d", ag_faultName((agFaultType)k), sum.faults[k]);
    }
    printf("\n");
    if (first != NULL) {
      printf("first fault (seed %llu): %s: ", (unsigned long long)first->seed,
             ag_faultName(first->fault.kind));
      if (first->fault.line > 0) {
        printf("line %d: ", first->fault.line);
      }
      printf("%s\n", first->fault.message);
    }
  }
  free(eps);
  return CLI_OK;
}

/* ------------------------------------------------------------- bench */

static int cmdBench(cliArgs *a) {
  envTaskId task = ENV_PICK_PLACE;
  int json = 0;
  const char *flag;
  const char *value;
  int r;
  while ((r = cli_nextFlag(a, &flag, &value)) != 0) {
    if (r < 0) {
      return cli_usage("bench: unexpected argument '%s'", flag);
    }
    if (strcmp(flag, "--help") == 0) {
      fputs(kBenchHelp, stdout);
      return CLI_OK;
    }
    if (strcmp(flag, "--json") == 0 && value == NULL) {
      json = 1;
    } else if (strcmp(flag, "--task") == 0) {
      const char *v = cli_value(a, flag, value);
      if (v == NULL || cli_parseTask(v, &task) != 0) {
        return CLI_USAGE;
      }
    } else {
      return cli_usage("bench: unknown flag '%s' (see tracebot bench --help)", flag);
    }
  }
  size_t len = 0;
  const char *src = env_expertSource(task, &len);
  agBenchResult b;
  char err[512];
  fprintf(stderr, "bench: %s (about 20 s)\n", env_name(task));
  int rc = ag_bench(task, src, len, getenv("TRACEBOT_SANDBOX"), &b, err, sizeof err);
  if (rc != TB_OK) {
    return cli_fail("bench: %s", err);
  }
  agDriverBench d;
  if (ag_benchDriver(env_name(task), 1000, &d, err, sizeof err) != 0) {
    return cli_fail("bench: %s", err);
  }
  double trainMs = 0;
  if (ag_benchTrainOverhead(9, &trainMs, err, sizeof err) != TB_OK) {
    return cli_fail("bench: %s", err);
  }
  double fps = 0;
  char renderErr[256] = "";
  int haveFps = cli_benchRender(task, &fps, renderErr, sizeof renderErr) == 0;
  if (json) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "task", env_name(task));
    cJSON_AddNumberToObject(root, "env_steps_per_s", b.env_steps_per_s);
    cJSON_AddNumberToObject(root, "raw_mj_steps_per_s", b.raw_mj_steps_per_s);
    cJSON_AddNumberToObject(root, "ratio", b.ratio);
    cJSON_AddNumberToObject(root, "sandbox_overhead_ms", b.sandbox_overhead_ms);
    cJSON_AddNumberToObject(root, "sandboxed_episode_ms", b.sandboxed_episode_ms);
    cJSON_AddNumberToObject(root, "inprocess_episode_ms", b.inprocess_episode_ms);
    cJSON_AddNumberToObject(root, "overhead_episodes", b.overhead_episodes);
    cJSON_AddNumberToObject(root, "eval_seeds", b.eval_seeds);
    cJSON_AddNumberToObject(root, "eval_jobs1_s", b.eval_jobs1_s);
    cJSON_AddNumberToObject(root, "eval_jobs2_s", b.eval_jobs2_s);
    cJSON_AddNumberToObject(root, "eval_speedup", b.eval_speedup);
    cJSON_AddNumberToObject(root, "driver_steps", d.steps);
    cJSON_AddNumberToObject(root, "sim_driver_step_us", d.sim_us);
    cJSON_AddNumberToObject(root, "net_step_us", d.net_us);
    cJSON_AddNumberToObject(root, "net_step_p50_us", d.net_p50_us);
    cJSON_AddNumberToObject(root, "net_step_p99_us", d.net_p99_us);
    cJSON_AddNumberToObject(root, "net_overhead_us", d.overhead_us);
    cJSON_AddNumberToObject(root, "net_roundtrip_p50_us", d.rtt_p50_us);
    cJSON_AddNumberToObject(root, "net_roundtrip_p99_us", d.rtt_p99_us);
    cJSON_AddNumberToObject(root, "train_optimizer_overhead_ms", trainMs);
    if (haveFps) {
      cJSON_AddNumberToObject(root, "render_fps", fps);
    } else {
      cJSON_AddNullToObject(root, "render_fps");
      cJSON_AddStringToObject(root, "render_fps_error", renderErr);
    }
    char *text = cJSON_PrintUnformatted(root);
    puts(text);
    free(text);
    cJSON_Delete(root);
  } else {
    printf("task                  %s\n", env_name(task));
    printf("env steps/s           %.0f\n", b.env_steps_per_s);
    printf("raw mj_step/s         %.0f\n", b.raw_mj_steps_per_s);
    printf("ratio (5*env/raw)     %.3f\n", b.ratio);
    printf(
        "sandbox overhead      %.2f ms/episode (median of %d: %.2f sandboxed - %.2f "
        "in process)\n",
        b.sandbox_overhead_ms, b.overhead_episodes, b.sandboxed_episode_ms, b.inprocess_episode_ms);
    printf("eval %d seeds         jobs 1 %.2f s, jobs 2 %.2f s, speedup %.2fx\n", b.eval_seeds,
           b.eval_jobs1_s, b.eval_jobs2_s, b.eval_speedup);
    printf(
        "driver step           sim %.1f us, net %.1f us (p50 %.1f, p99 %.1f), overhead "
        "%.1f us (%d steps)\n",
        d.sim_us, d.net_us, d.net_p50_us, d.net_p99_us, d.overhead_us, d.steps);
    printf("net round trip        p50 %.1f us, p99 %.1f us (bare observe)\n", d.rtt_p50_us,
           d.rtt_p99_us);
    printf(
        "train optimizer side  %.3f ms/iteration (median of 9; LLM call and rollouts "
        "excluded)\n",
        trainMs);
    if (haveFps) {
      printf("render                %.1f frames/s at 640x480 (offscreen + read back)\n", fps);
    } else {
      printf("render                n/a: %s\n", renderErr);
    }
  }
  return CLI_OK;
}

#if defined(__SANITIZE_ADDRESS__)
/* In sanitizer builds: fontconfig (through cairo's text in the report) keeps caches
 * for the life of the process, which LeakSanitizer would report at exit. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:libfontconfig\n";
}
#endif

/* ------------------------------------------------------------- main */

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(kMainHelp, stderr);
    return CLI_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    fputs(kMainHelp, stdout);
    return CLI_OK;
  }
  cliArgs a = {.argc = argc, .argv = argv, .i = 2, .cmd = cmd};
  if (strcmp(cmd, "tasks") == 0) {
    return cmdTasks(&a);
  }
  if (strcmp(cmd, "run") == 0) {
    return cmdRun(&a);
  }
  if (strcmp(cmd, "eval") == 0) {
    return cmdEval(&a);
  }
  if (strcmp(cmd, "bench") == 0) {
    return cmdBench(&a);
  }
  if (strcmp(cmd, "train") == 0) {
    return cli_cmdTrain(&a);
  }
  if (strcmp(cmd, "replay") == 0) {
    return cli_cmdReplay(&a);
  }
  if (strcmp(cmd, "report") == 0) {
    return cli_cmdReport(&a);
  }
  if (strcmp(cmd, "serve-sim") == 0) {
    return cli_cmdServeSim(&a);
  }
  return cli_usage("unknown command '%s' (see tracebot --help)", cmd);
}
