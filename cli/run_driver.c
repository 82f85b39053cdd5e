/* `tracebot run --driver ...`: one sandboxed episode over the driver interface (the sim
 * driver, the net driver or a plug-in), with SIGINT as the e-stop. */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

/* Largest --driver-config file accepted, in bytes. */
#define CLI_DRIVER_CONFIG_MAX (64 * 1024)

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
  /* SIGINT stops the robot: the episode ends with fault interrupted */
  volatile sig_atomic_t *stop = cli_catchStop(SIGINT);
  int rc = ag_rolloutDriver(drv, cfg, NULL, stop, src, len, ep, err, sizeof err);
  cli_releaseStop(SIGINT);
  ag_freeDriver(drv);
  if (rc != TB_OK) {
    return rc == TB_EINVAL ? cli_usage("run: %s", err) : cli_fail("run: %s", err);
  }
  return CLI_OK;
}
