/* The `sim` driver: the MuJoCo simulator of a task behind the driver ABI, so rollouts
 * on the simulator and on hardware share one code path. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base.h"
#include "tracebot/drivers.h"
#include "tracebot/envs.h"

/* One env step is 5 x 2.5 ms; a macro-step runs at most ENV_MAX_SUBSTEPS of them. */
#define SIM_STEP_DURATION (ENV_MAX_SUBSTEPS * 0.0125)

typedef struct simDriver {
  envSpec *spec;
  envTask *task;
  envConfig cfg;
  int ready;         /* reset has succeeded */
  agDriverObs obs;   /* observation after the last reset or command */
  envStepResult res; /* scratch for env_command (large: kept off the stack) */
} simDriver;

/* Reads {"task": name, "horizon": n, "hints": "expert"|"none"}; unknown keys fail. */
static int parseConfig(const char *config, int *task, envConfig *cfg, char *err, size_t errsz) {
  cJSON *root = cJSON_ParseWithLength(config, strlen(config));
  if (root == NULL || !cJSON_IsObject(root)) {
    cJSON_Delete(root);
    tb_setErr(err, errsz, "sim driver config: not a JSON object");
    return TB_EINVAL;
  }
  int rc = TB_EINVAL;
  *task = ENV_REACH;
  env_defaultConfig(cfg);
  for (const cJSON *it = root->child; it != NULL; it = it->next) {
    const char *k = it->string != NULL ? it->string : "";
    if (strcmp(k, "task") == 0 && cJSON_IsString(it)) {
      *task = env_lookup(it->valuestring);
      if (*task < 0) {
        tb_setErr(err, errsz, "sim driver config: unknown task \"%.64s\"", it->valuestring);
        goto done;
      }
    } else if (strcmp(k, "horizon") == 0 && cJSON_IsNumber(it) && it->valuedouble >= 1 &&
               it->valuedouble <= 100000 && it->valuedouble == floor(it->valuedouble)) {
      cfg->horizon = (int)it->valuedouble;
    } else if (strcmp(k, "hints") == 0 && cJSON_IsString(it) &&
               (strcmp(it->valuestring, "expert") == 0 || strcmp(it->valuestring, "none") == 0)) {
      cfg->hints = strcmp(it->valuestring, "expert") == 0 ? ENV_HINTS_EXPERT : ENV_HINTS_NONE;
    } else {
      tb_setErr(err, errsz, "sim driver config: bad or unknown key \"%.64s\"", k);
      goto done;
    }
  }
  rc = 0;
done:
  cJSON_Delete(root);
  return rc;
}

static void simClose(void *handle) {
  simDriver *sd = handle;
  if (sd == NULL) {
    return;
  }
  env_free(sd->task);
  env_freeSpec(sd->spec);
  free(sd);
}

static void *simOpen(const char *config, const agDriverHost *host, char *err, size_t errsz) {
  (void)host;
  simDriver *sd = calloc(1, sizeof(*sd));
  if (sd == NULL) {
    tb_setErr(err, errsz, "sim driver: out of memory");
    return NULL;
  }
  int task = 0;
  if (parseConfig(config, &task, &sd->cfg, err, errsz) != 0) {
    free(sd);
    return NULL;
  }
  sd->cfg.mode = ENV_ABSOLUTE; /* the driver receives absolute targets */
  sd->spec = env_makeSpec((envTaskId)task, err, errsz);
  if (sd->spec == NULL) {
    free(sd);
    return NULL;
  }
  sd->task = env_make(sd->spec, err, errsz);
  if (sd->task == NULL) {
    simClose(sd);
    return NULL;
  }
  return sd;
}

/* The driver observation of an env observation. */
static void fromObs(const obs_t *o, agDriverObs *d) {
  memcpy(d->hand_pos, o->hand_pos, sizeof(d->hand_pos));
  d->gripper_distance_apart = o->gripper_distance_apart;
  memcpy(d->obj_pos, o->obj_pos, sizeof(d->obj_pos));
  memcpy(d->obj_quat, o->obj_quat, sizeof(d->obj_quat));
  memcpy(d->goal_pos, o->goal_pos, sizeof(d->goal_pos));
  memcpy(d->obj2_pos, o->obj2_pos, sizeof(d->obj2_pos));
  memcpy(d->obj2_quat, o->obj2_quat, sizeof(d->obj2_quat));
}

static int simReset(void *handle, uint64_t seed, char *err, size_t errsz) {
  simDriver *sd = handle;
  obs_t o;
  sd->ready = 0;
  int rc = env_reset(sd->task, seed, &sd->cfg, &o, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  memset(&sd->obs, 0, sizeof(sd->obs));
  fromObs(&o, &sd->obs);
  sd->obs.reward = env_reward(sd->task, &sd->obs.success);
  sd->ready = 1;
  return 0;
}

static int simObserve(void *handle, agDriverObs *obs, char *err, size_t errsz) {
  simDriver *sd = handle;
  if (!sd->ready) {
    tb_setErr(err, errsz, "sim driver: observe before a successful reset");
    return TB_EINVAL;
  }
  *obs = sd->obs;
  return 0;
}

static int simCommand(void *handle, const double target[3], double gripper, char *err,
                      size_t errsz) {
  simDriver *sd = handle;
  if (!sd->ready) {
    tb_setErr(err, errsz, "sim driver: command before a successful reset");
    return TB_EINVAL;
  }
  int rc = env_command(sd->task, target, gripper, &sd->res, err, errsz);
  if (rc != TB_OK) {
    sd->ready = rc == TB_EINVAL; /* a diverged simulation needs a reset */
    return rc;
  }
  memset(&sd->obs, 0, sizeof(sd->obs));
  fromObs(&sd->res.obs, &sd->obs);
  sd->obs.reward = sd->res.reward;
  sd->obs.success = sd->res.success;
  snprintf(sd->obs.hint, sizeof(sd->obs.hint), "%s", sd->res.hint);
  return 0;
}

/* The simulated hand only moves during a command: nothing to brake. */
static void simStop(void *handle) {
  (void)handle;
}

static const agDriverApi kSimApi = {
    .abi_version = AG_DRIVER_ABI_VERSION,
    .struct_size = sizeof(agDriverApi),
    .name = "sim",
    /* The hand workspace (mocap bounds, envs/README.md); the env clips
     * targets to the same box */
    .caps = {{-0.5, 0.40, 0.05},
             {0.5, 1.0, 0.5},
             0.0, /* the P controller itself bounds the motion per macro-step */
             0.0,
             SIM_STEP_DURATION,
             AG_DRIVER_CAP_REWARD | AG_DRIVER_CAP_SUCCESS | AG_DRIVER_CAP_HINT},
    .open = simOpen,
    .describe = NULL,
    .reset = simReset,
    .observe = simObserve,
    .command = simCommand,
    .stop = simStop,
    .close = simClose,
};

const agDriverApi *ag_simDriverApi(void) {
  return &kSimApi;
}

envTask *ag_simDriverTask(void *handle) {
  return ((simDriver *)handle)->task;
}
