/* The driver side of the CLI: `tracebot run --driver ...` (one sandboxed episode over
 * the driver interface) and `tracebot serve-sim`. main owns the signal handlers here:
 * SIGINT sets the flag the episode loop and the server poll. */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracebot/agent.h"
#include "commands.h"

/* Largest --driver-config file accepted, in bytes. */
#define CLI_DRIVER_CONFIG_MAX (64 * 1024)

static volatile sig_atomic_t gStop;

static void onSignal(int sig) {
  (void)sig;
  gStop = 1;
}

/* Routes sig to the stop flag (no SA_RESTART: blocking calls see EINTR and poll it). */
static void catchSignal(int sig) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

/* The text of --driver-config: the value itself when it starts with '{', else the
 * file it names (at most CLI_DRIVER_CONFIG_MAX bytes). Checked to be a JSON object.
 * Returns a heap string or NULL with a usage message printed. */
static char *readDriverConfig(const char *value) {
  char *text = NULL;
  if (value[0] == '{') {
    text = strdup(value);
    if (text == NULL) {
      cli_usage("out of memory reading the driver config");
      return NULL;
    }
  } else {
    text = cli_readInput("driver config", value, CLI_DRIVER_CONFIG_MAX, NULL);
    if (text == NULL) {
      return NULL;
    }
  }
  cJSON *root = cJSON_Parse(text);
  int ok = cJSON_IsObject(root);
  cJSON_Delete(root);
  if (!ok) {
    cli_usage("driver config '%.200s' is not a JSON object", value);
    free(text);
    return NULL;
  }
  return text;
}

/* The driver's config for a run: the user's object, with the run's task for the sim and
 * net drivers (and horizon and hints for sim) where it does not set them. A task of its
 * own that differs from --task is a usage error (message printed; *bad set).
 * Returns a heap string, or NULL. */
static char *driverConfig(const char *spec, const char *user, const agRolloutConfig *cfg,
                          int *bad) {
  int sim = strcmp(spec, "sim") == 0;
  *bad = 0;
  if (!sim && strcmp(spec, "net") != 0) {
    return user != NULL ? strdup(user) : strdup("{}");
  }
  cJSON *root = cJSON_Parse(user != NULL ? user : "{}");
  if (root == NULL) {
    return NULL;
  }
  const cJSON *task = cJSON_GetObjectItemCaseSensitive(root, "task");
  if (task == NULL) {
    cJSON_AddStringToObject(root, "task", env_name(cfg->task));
  } else if (!cJSON_IsString(task) || strcmp(task->valuestring, env_name(cfg->task)) != 0) {
    cli_usage("run: the driver config's \"task\" differs from --task %s", env_name(cfg->task));
    cJSON_Delete(root);
    *bad = 1;
    return NULL;
  }
  if (!sim) {
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
  }
  if (!cJSON_HasObjectItem(root, "horizon")) {
    cJSON_AddNumberToObject(root, "horizon", cfg->env.horizon);
  }
  if (!cJSON_HasObjectItem(root, "hints")) {
    cJSON_AddStringToObject(root, "hints", cfg->env.hints == ENV_HINTS_NONE ? "none" : "expert");
  }
  char *text = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  return text;
}

/* Driver log lines go to stderr, prefixed with the driver's level. */
static void logLine(void *host, int level, const char *msg) {
  (void)host;
  if (level >= AG_DRIVER_LOG_WARN) {
    fprintf(stderr, "tracebot: driver %s: %s\n", level >= AG_DRIVER_LOG_ERROR ? "error" : "warning",
            msg);
  }
}

int cli_runDriver(const char *spec, const char *configArg, const agRolloutConfig *cfg,
                  const char *src, size_t len, agEpisode *ep, char *name, size_t namesz) {
  memset(ep, 0, sizeof *ep);
  char *user = NULL;
  if (configArg != NULL) {
    user = readDriverConfig(configArg);
    if (user == NULL) {
      return CLI_USAGE;
    }
  }
  int bad = 0;
  char *config = driverConfig(spec, user, cfg, &bad);
  free(user);
  if (config == NULL) {
    return bad ? CLI_USAGE : cli_fail("run: out of memory for the driver config");
  }
  agDriverHost host = {AG_DRIVER_ABI_VERSION, sizeof(agDriverHost), NULL, logLine};
  char err[512];
  agDriver *drv = ag_makeDriver(spec, config, &host, err, sizeof err);
  free(config);
  if (drv == NULL) {
    return cli_usage("run: %s", err);
  }
  snprintf(name, namesz, "%s", ag_driverName(drv));
  gStop = 0;
  catchSignal(SIGINT);
  int rc = ag_rolloutDriver(drv, cfg, NULL, &gStop, src, len, ep, err, sizeof err);
  signal(SIGINT, SIG_DFL);
  ag_freeDriver(drv);
  if (rc != TB_OK) {
    return rc == TB_EINVAL ? cli_usage("run: %s", err) : cli_fail("run: %s", err);
  }
  return CLI_OK;
}

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

cJSON *cli_safetyJson(const agSafetyCounts *c) {
  cJSON *o = cJSON_CreateObject();
#define CLI_SAFETY_JSON(f) cJSON_AddNumberToObject(o, #f, c->f);
  CLI_SAFETY_FIELDS(CLI_SAFETY_JSON)
#undef CLI_SAFETY_JSON
  return o;
}

void cli_printSafety(const agSafetyCounts *c) {
  printf("safety:");
#define CLI_SAFETY_TEXT(f) printf(" %s %d", #f, c->f);
  CLI_SAFETY_FIELDS(CLI_SAFETY_TEXT)
#undef CLI_SAFETY_TEXT
  printf("\n");
}

/* ------------------------------------------------------------- serve-sim */

static void onReady(void *user, int port) {
  (void)user;
  fprintf(stderr, "listening on 127.0.0.1:%d\n", port);
  fflush(stderr);
}

int cli_cmdServeSim(cliArgs *a) {
  envTaskId task = ENV_REACH;
  int haveTask = 0;
  int port = 0;
  int horizon = 0;
  const char *hints = NULL;
  const char *flag;
  const char *value;
  int r;
  while ((r = cli_nextFlag(a, &flag, &value)) != 0) {
    if (r < 0) {
      return cli_usage("serve-sim: unexpected argument '%s'", flag);
    }
    if (strcmp(flag, "--help") == 0) {
      fputs(ag_serveSimUsage(), stdout);
      return CLI_OK;
    }
    if (strcmp(flag, "--task") != 0 && strcmp(flag, "--port") != 0 &&
        strcmp(flag, "--horizon") != 0 && strcmp(flag, "--hints") != 0) {
      return cli_usage("serve-sim: unknown flag '%s' (see tracebot serve-sim --help)", flag);
    }
    const char *v = cli_value(a, flag, value);
    if (v == NULL) {
      return CLI_USAGE;
    }
    int rc = 0;
    if (strcmp(flag, "--task") == 0) {
      rc = cli_parseTask(v, &task);
      haveTask = 1;
    } else if (strcmp(flag, "--port") == 0) {
      rc = cli_parseInt(flag, v, 0, 65535, &port);
    } else if (strcmp(flag, "--horizon") == 0) {
      rc = cli_parseInt(flag, v, 1, 10000, &horizon);
    } else if (strcmp(v, "expert") == 0 || strcmp(v, "none") == 0) {
      hints = v;
    } else {
      rc = cli_usage("--hints must be expert or none, got '%s'", v);
    }
    if (rc != 0) {
      return CLI_USAGE;
    }
  }
  if (!haveTask) {
    return cli_usage("serve-sim: --task is required (reach, push, pick-place)");
  }
  char config[128];
  int n = snprintf(config, sizeof config, "{\"task\":\"%s\"", env_name(task));
  if (horizon > 0) {
    n += snprintf(config + n, sizeof config - (size_t)n, ",\"horizon\":%d", horizon);
  }
  if (hints != NULL) {
    n += snprintf(config + n, sizeof config - (size_t)n, ",\"hints\":\"%s\"", hints);
  }
  snprintf(config + n, sizeof config - (size_t)n, "}");
  gStop = 0;
  catchSignal(SIGINT);
  catchSignal(SIGTERM);
  char err[512];
  int rc = ag_serveSim(config, port, &gStop, onReady, NULL, err, sizeof err);
  if (rc != 0) {
    return cli_fail("serve-sim: %s", err);
  }
  return CLI_OK;
}
