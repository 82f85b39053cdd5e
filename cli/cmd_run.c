/* tracebot run: one sandboxed episode of a controller, in process or over a robot
 * driver (run_driver.c), printed as a per-step table or one JSON object. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "commands.h"

const char cli_runHelp[] =
    "Runs one episode of the controller in the sandbox and prints the per-step\n"
    "trajectory (step, action, hand, object, reward, success) and the outcome.\n"
    "  --task T             one of {tasks}\n"
    "  --controller F.c     controller source\n"
    "  --seed N             episode seed (default 0)\n"
    "  --record EP.json     save the episode (exact states) for tracebot replay\n"
    "  --view               show the episode live in a window\n"
    "  --driver D           run over a robot driver: sim (the simulator behind the\n"
    "                       driver interface), net (TCP client of tracebot serve-sim or\n"
    "                       a bridge) or PATH.so (a plug-in, drivers/DRIVERS.md); the\n"
    "                       controller stays sandboxed, the safety layer and watchdog\n"
    "                       apply, SIGINT stops the robot (fault interrupted), and the\n"
    "                       output adds the safety intervention counts. Without\n"
    "                       --driver the simulator runs in process (same physics).\n"
    "  --driver-config C    driver config: a JSON object, inline ('{\"port\": 5555}') or\n"
    "                       a file holding one (at most 64 KiB); for sim, task, horizon\n"
    "                       and hints default to the flags. Exit 2 when the driver\n"
    "                       cannot be loaded or opened or the config is bad.\n"
    /* and the flags run shares with eval */
    CLI_EPISODE_FLAGS_HELP;

/* The counters of agSafetyCounts, in one place for the text and JSON outputs. */
#define CLI_SAFETY_FIELDS(X) \
  X(workspace_clamps)        \
  X(step_limits)             \
  X(speed_limits)            \
  X(gripper_clamps)          \
  X(nonfinite)               \
  X(watchdog)                \
  X(estops)                  \
  X(violations)

static cJSON *safetyJson(const agSafetyCounts *c) {
  cJSON *o = cJSON_CreateObject();
#define CLI_SAFETY_JSON(f) cJSON_AddNumberToObject(o, #f, c->f);
  CLI_SAFETY_FIELDS(CLI_SAFETY_JSON)
#undef CLI_SAFETY_JSON
  return o;
}

static void printSafety(const agSafetyCounts *c) {
  printf("safety:");
#define CLI_SAFETY_TEXT(f) printf(" %s %d", #f, c->f);
  CLI_SAFETY_FIELDS(CLI_SAFETY_TEXT)
#undef CLI_SAFETY_TEXT
  printf("\n");
}

static cJSON *vec(const double *v, int n) {
  return cJSON_CreateDoubleArray(v, n);
}

static void printFaultText(const agFault *f) {
  char shown[4 * AG_FAULT_MSG]; /* the message may quote the controller */
  tb_printable(f->message, shown, sizeof shown);
  if (f->kind == AG_FT_COMPILE && f->line > 0) {
    printf("fault: compile (line %d: %s)\n", f->line, shown);
  } else if (f->kind != AG_FT_NONE) {
    printf("fault: %s (%s)\n", ag_faultName(f->kind), shown);
  }
}

static int printRunJson(const agEpisode *ep, const char *driver) {
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
  cJSON_AddItemToObject(root, "perturb", env_perturbJson(&ep->env.perturb, &ep->perturb));
  if (driver != NULL) {
    cJSON_AddStringToObject(root, "driver", driver);
    cJSON_AddItemToObject(root, "safety", safetyJson(&ep->safety));
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
    cJSON_AddItemToObject(o, "object_quat", vec(s->result.obs.obj_quat, 4));
    cJSON_AddItemToObject(o, "object2", vec(s->result.obs.obj2_pos, 3));
    cJSON_AddItemToObject(o, "object2_quat", vec(s->result.obs.obj2_quat, 4));
    cJSON_AddNumberToObject(o, "gripper", s->result.obs.gripper_distance_apart);
    cJSON_AddNumberToObject(o, "reward", s->result.reward);
    cJSON_AddBoolToObject(o, "success", s->result.success != 0);
    cJSON_AddStringToObject(o, "hint", s->result.hint);
    cJSON_AddItemToArray(traj, o);
  }
  return cli_printJson(root);
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
  if (ep->env.perturb.on != 0) {
    char spec[ENV_PERTURB_TEXT_MAX];
    char drawn[512];
    env_perturbText(&ep->env.perturb, spec, sizeof spec);
    env_perturbDescribe(&ep->perturb, drawn, sizeof drawn);
    printf("perturb: %s\ndrawn: %s\n", spec, drawn);
  }
  if (driver != NULL) {
    char shown[512]; /* a net server names itself */
    printf("driver: %s\n", tb_printable(driver, shown, sizeof shown));
    printSafety(&ep->safety);
  }
  printFaultText(&ep->fault);
}

/* One episode with the simulator in process, shown live with --view. Returns CLI_OK
 * with ep filled, or an exit status (message printed). ep: released by the caller. */
static int runInProcess(cliEpisodeOpts *o, agEpisode *ep) {
  memset(ep, 0, sizeof *ep);
  cliLiveView *live = NULL;
  if (o->view) {
    live = cli_makeLiveView();
    if (live == NULL) {
      return CLI_USAGE;
    }
    o->cfg.watch = cli_liveWatch;
    o->cfg.watch_user = live;
  }
  char err[512];
  int rc = ag_rolloutOnce(&o->cfg, o->src, o->len, ep, err, sizeof err);
  cli_freeLiveView(live);
  if (rc != TB_OK) {
    return rc == TB_EINVAL ? cli_usage("run: %s", err) : cli_fail("run: %s", err);
  }
  return CLI_OK;
}

int cli_cmdRun(cliArgs *a) {
  cliEpisodeOpts o;
  int st = cli_parseEpisodeFlags(a, 0, &o);
  if (st != CLI_OK) {
    return st;
  }
  /* the episode, over a driver or in process */
  agEpisode ep;
  char driver[128] = "";
  if (o.driver != NULL) {
    st = cli_runDriver(o.driver, o.driverConfig, &o.cfg, o.src, o.len, &ep, driver, sizeof driver);
  } else {
    st = runInProcess(&o, &ep);
  }
  free(o.src);
  if (st != CLI_OK) {
    ag_episodeClose(&ep);
    return st;
  }
  /* the outcome */
  if (o.cfg.record_path != NULL) {
    fprintf(stderr, "tracebot: recorded the episode to %s\n", o.cfg.record_path);
  }
  if (o.json) {
    st = printRunJson(&ep, o.driver != NULL ? driver : NULL);
  } else {
    printRunText(&ep, o.driver != NULL ? driver : NULL);
  }
  ag_episodeClose(&ep);
  return st;
}
