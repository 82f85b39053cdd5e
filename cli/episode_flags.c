/* The flags of `tracebot run` and `tracebot eval` (one episode, or one per seed of a
 * range): task, controller, episode config, sandbox limits; and the controller file. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"

/* Flags both commands take with a value. */
static const char *const kValueFlags[] = {
    "--task",    "--controller", "--horizon",    "--hints",   "--mode",
    "--call-ms", "--episode-s",  "--memory-mib", "--perturb", NULL};
static const char *const kRunValueFlags[] = {"--seed", "--driver", "--driver-config", "--record",
                                             NULL};
static const char *const kEvalValueFlags[] = {"--seeds", "--jobs", NULL};

/* Stores the value v of a known flag. Returns 0, or CLI_USAGE (message printed). */
static int setFlag(cliEpisodeOpts *o, const char *flag, const char *v, int *haveTask) {
  if (strcmp(flag, "--task") == 0) {
    *haveTask = 1;
    return cli_parseTask(v, &o->cfg.task);
  }
  if (strcmp(flag, "--controller") == 0) {
    o->controller = v;
  } else if (strcmp(flag, "--seed") == 0) {
    return cli_parseSeed(flag, v, &o->cfg.seed);
  } else if (strcmp(flag, "--seeds") == 0) {
    o->seeds = v;
  } else if (strcmp(flag, "--driver") == 0) {
    o->driver = v;
  } else if (strcmp(flag, "--driver-config") == 0) {
    o->driverConfig = v;
  } else if (strcmp(flag, "--record") == 0) {
    o->cfg.record_path = v;
  } else if (strcmp(flag, "--jobs") == 0) {
    return cli_parseInt(flag, v, 1, 256, &o->jobs);
  } else if (strcmp(flag, "--horizon") == 0) {
    return cli_parseInt(flag, v, 1, 10000, &o->cfg.env.horizon);
  } else if (strcmp(flag, "--hints") == 0) {
    return cli_parseHints(v, &o->cfg.env.hints);
  } else if (strcmp(flag, "--mode") == 0) {
    return cli_parseMode(v, &o->cfg.env.mode);
  } else if (strcmp(flag, "--call-ms") == 0) {
    return cli_parseInt(flag, v, 0, 3600000, &o->cfg.limits.call_ms);
  } else if (strcmp(flag, "--perturb") == 0) {
    return cli_parsePerturb(flag, v, &o->cfg.env.perturb);
  } else if (strcmp(flag, "--episode-s") == 0) {
    return cli_parseDouble(flag, v, 0.01, 86400, &o->cfg.limits.episode_wall_s);
  } else {
    return cli_parseInt(flag, v, 32, 65536, &o->cfg.limits.memory_mib);
  }
  return 0;
}

int cli_parseEpisodeFlags(cliArgs *a, int isEval, cliEpisodeOpts *o) {
  memset(o, 0, sizeof *o);
  ag_defaultRollout(&o->cfg);
  o->jobs = 1;
  int haveTask = 0;
  const char *flag;
  const char *value;
  int r;
  while ((r = cli_nextOption(a, &flag, &value)) > 0) {
    /* switches */
    if (strcmp(flag, "--json") == 0 && value == NULL) {
      o->json = 1;
      continue;
    }
    if (!isEval && strcmp(flag, "--view") == 0 && value == NULL) {
      o->view = 1;
      continue;
    }
    /* flags with a value */
    const char *const *known = cli_isOneOf(flag, kValueFlags) ? kValueFlags
                               : isEval                       ? kEvalValueFlags
                                                              : kRunValueFlags;
    const char *v = cli_knownValue(a, flag, value, known);
    if (v == NULL || setFlag(o, flag, v, &haveTask) != 0) {
      return CLI_USAGE;
    }
  }
  if (r < 0) {
    return CLI_USAGE;
  }
  /* the required ones, and what goes together */
  if (!haveTask) {
    return cli_usage("%s: --task is required (tasks: %s)", a->cmd, env_taskList());
  }
  if (o->controller == NULL) {
    return cli_usage("%s: --controller is required", a->cmd);
  }
  if (o->driverConfig != NULL && o->driver == NULL) {
    return cli_usage("run: --driver-config needs --driver");
  }
  if (o->driver != NULL && (o->view || o->cfg.record_path != NULL || o->cfg.env.perturb.on)) {
    return cli_usage(
        "run: --view, --record and --perturb need the in-process simulator (no --driver)");
  }
  if (isEval && o->seeds == NULL) {
    return cli_usage("eval: --seeds A:B is required");
  }
  char err[512];
  if (isEval && ag_parseSeedRange(o->seeds, &o->seedBegin, &o->seedEnd, err, sizeof err) != TB_OK) {
    return cli_usage("eval: %s", err);
  }
  if (o->cfg.record_path != NULL && cli_checkOutput("--record", o->cfg.record_path) != 0) {
    return CLI_USAGE;
  }
  o->cfg.sandbox_path = getenv("TRACEBOT_SANDBOX");
  o->src = cli_readController(o->controller, &o->len);
  return o->src != NULL ? CLI_OK : CLI_USAGE;
}
