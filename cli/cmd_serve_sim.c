/* tracebot serve-sim: the simulator of one task served over the net driver protocol on
 * loopback (ag_serveSim) until SIGINT, SIGTERM or a "bye" request. */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

const char cli_serveSimHelp[] =
    "Serves the MuJoCo simulator of task T over the tracebot net driver protocol\n"
    "(line-delimited JSON, drivers/DRIVERS.md) on 127.0.0.1:P, one client at a time.\n"
    "The port is printed on stderr as `listening on 127.0.0.1:PORT`. Run an episode\n"
    "against it with\n"
    "  tracebot run --task T --controller F.c --driver net \\\n"
    "      --driver-config '{\"port\": PORT}'\n"
    "The server stops the simulated robot when a client disconnects, and exits on\n"
    "SIGINT, SIGTERM or a {\"op\":\"bye\"} request.\n"
    "  --task T             one of {tasks}\n"
    "  --port P             TCP port on 127.0.0.1 (default 0: a free one)\n"
    "  --horizon H          controller calls per episode (default 10)\n"
    "  --hints expert|none  per-step hint text (default expert)\n";

static const char *const kValueFlags[] = {"--task", "--port", "--horizon", "--hints", NULL};

static void onReady(void *user, int port) {
  (void)user;
  fprintf(stderr, "listening on 127.0.0.1:%d\n", port);
  fflush(stderr);
}

int cli_cmdServeSim(cliArgs *a) {
  envTaskId task = 0;
  int haveTask = 0;
  int port = 0;
  int horizon = 0;
  const char *hints = NULL;
  const char *flag;
  const char *value;
  int r;
  while ((r = cli_nextOption(a, &flag, &value)) > 0) {
    const char *v = cli_knownValue(a, flag, value, kValueFlags);
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
    } else {
      envHints h;
      rc = cli_parseHints(v, &h);
      hints = v;
    }
    if (rc != 0) {
      return CLI_USAGE;
    }
  }
  if (r < 0) {
    return CLI_USAGE;
  }
  if (!haveTask) {
    return cli_usage("serve-sim: --task is required (tasks: %s)", env_taskList());
  }
  /* the sim driver's config: task, and horizon and hints when given */
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "task", env_name(task));
  if (horizon > 0) {
    cJSON_AddNumberToObject(root, "horizon", horizon);
  }
  if (hints != NULL) {
    cJSON_AddStringToObject(root, "hints", hints);
  }
  char *config = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  if (config == NULL) {
    return cli_fail("serve-sim: out of memory for the driver config");
  }
  /* SIGINT and SIGTERM end the server cleanly */
  volatile sig_atomic_t *stop = cli_catchStop(SIGINT);
  cli_catchStop(SIGTERM);
  char err[512];
  int rc = ag_serveSim(config, port, stop, onReady, NULL, err, sizeof err);
  free(config);
  if (rc != 0) {
    return cli_fail("serve-sim: %s", err);
  }
  return CLI_OK;
}
