/* One episode over the driver interface: observe, policy (with a watchdog), safety
 * filter, command; e-stop on every fault. The same loop serves sim and hardware. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base.h"
#include "tracebot/drivers.h"

void ag_defaultEpisode(agEpisodeConfig *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->horizon = 10;
  cfg->timeout_ms = 1000;
  cfg->stop_on_success = 1;
  ag_defaultSafety(&cfg->safety);
}

/* Everything one episode needs while it runs. */
typedef struct episode {
  const agDriverApi *api;
  void *h;
  agEpisodeResult *res;
} episode;

/* Records the fault (first one wins) and e-stops the driver. */
static void fault(episode *ep, agFaultType kind, int step, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fault(episode *ep, agFaultType kind, int step, const char *fmt, ...) {
  agEpisodeResult *res = ep->res;
  if (res->fault == AG_FT_NONE) {
    res->fault = kind;
    res->fault_step = step;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->fault_message, sizeof(res->fault_message), fmt, ap);
    va_end(ap);
    for (char *p = res->fault_message; *p != '\0'; p++) {
      if (*p == '\n' || *p == '\r') {
        *p = ' ';
      }
    }
  }
  ep->api->stop(ep->h);
  res->safety.estops++;
}

/* Reads an observation (zeroed first; hint always terminated). */
static int observe(episode *ep, agDriverObs *o, char *derr, size_t derrsz) {
  memset(o, 0, sizeof(*o));
  derr[0] = '\0';
  int rc = ep->api->observe(ep->h, o, derr, derrsz);
  o->hint[AG_DRIVER_HINT_MAX - 1] = '\0';
  derr[derrsz - 1] = '\0';
  return rc;
}

void ag_obsFromDriver(const agDriverObs *o, int step, int horizon, obs_t *obs) {
  memset(obs, 0, sizeof(*obs));
  memcpy(obs->hand_pos, o->hand_pos, sizeof(obs->hand_pos));
  obs->gripper_distance_apart = o->gripper_distance_apart;
  memcpy(obs->obj_pos, o->obj_pos, sizeof(obs->obj_pos));
  memcpy(obs->obj_quat, o->obj_quat, sizeof(obs->obj_quat));
  memcpy(obs->goal_pos, o->goal_pos, sizeof(obs->goal_pos));
  memcpy(obs->obj2_pos, o->obj2_pos, sizeof(obs->obj2_pos));
  memcpy(obs->obj2_quat, o->obj2_quat, sizeof(obs->obj2_quat));
  obs->step = step;
  obs->horizon = horizon;
}

/* The fault kind of a policy return code. */
static agFaultType policyFault(int rc) {
  switch (rc) {
    case AG_POLICY_TIMEOUT:
      return AG_FT_TIMEOUT;
    case AG_POLICY_MEMORY:
      return AG_FT_MEMORY;
    case AG_POLICY_SYSCALL:
      return AG_FT_SYSCALL;
    default:
      return AG_FT_CRASH;
  }
}

/* True when the observation's hand position can be trusted for relative targets. */
static int finiteHand(const agDriverObs *o) {
  return isfinite(o->hand_pos[0]) && isfinite(o->hand_pos[1]) && isfinite(o->hand_pos[2]);
}

int ag_runDriverEpisode(agDriver *drv, const agEpisodeConfig *cfg, agPolicyFn policy, void *ctx,
                        agStepFn on_step, void *user, agEpisodeResult *res, char *err,
                        size_t errsz) {
  if (drv == NULL || cfg == NULL || policy == NULL || res == NULL || cfg->horizon < 1) {
    tb_setErr(err, errsz, "driver episode: %s",
              cfg != NULL && cfg->horizon < 1 ? "horizon must be at least 1"
                                              : "missing driver, config, policy or result");
    return TB_EINVAL;
  }
  memset(res, 0, sizeof(*res));
  res->fault_step = -1;
  episode ep = {ag_driverApi(drv), ag_driverHandle(drv), res};

  /* Limits: the configuration and the driver's capabilities, tightest wins */
  agDriverCaps caps;
  ag_driverCaps(drv, &caps);
  ag_mergeSafety(&cfg->safety, &caps, &res->limits);
  const agSafetyConfig *lim = &res->limits;
  int has_reward = (caps.flags & AG_DRIVER_CAP_REWARD) != 0;
  int has_success = (caps.flags & AG_DRIVER_CAP_SUCCESS) != 0;

  /* Reset and first observation */
  char derr[512];
  derr[0] = '\0';
  if (ep.api->reset(ep.h, cfg->seed, derr, sizeof(derr)) != 0) {
    derr[sizeof(derr) - 1] = '\0';
    fault(&ep, AG_FT_DRIVER, 0, "driver reset failed: %s", derr);
    return TB_OK;
  }
  agDriverObs o;
  if (observe(&ep, &o, derr, sizeof(derr)) != 0) {
    fault(&ep, AG_FT_DRIVER, 0, "driver observe failed at step 0: %s", derr);
    return TB_OK;
  }
  double gripper = 0.0; /* last commanded effort, held by the watchdog */
  memcpy(res->last_target, o.hand_pos, sizeof(res->last_target));

  for (int k = 0; k < cfg->horizon; k++) {
    if (cfg->interrupt != NULL && *cfg->interrupt) {
      fault(&ep, AG_FT_INTERRUPTED, k, "interrupted at step %d: robot stopped", k);
      return TB_OK;
    }
    if (!finiteHand(&o)) {
      fault(&ep, AG_FT_DRIVER, k, "driver reported a non-finite hand position at step %d", k);
      return TB_OK;
    }

    /* Controller call under the watchdog */
    obs_t obs;
    ag_obsFromDriver(&o, k, cfg->horizon, &obs);
    double action[4] = {0.0, 0.0, 0.0, 0.0};
    char perr[256];
    perr[0] = '\0';
    int prc = policy(ctx, &obs, action, cfg->timeout_ms, perr, sizeof(perr));
    perr[sizeof(perr) - 1] = '\0';
    if (prc != AG_POLICY_OK) {
      /* Hold the last safe target: where the hand is now */
      res->safety.watchdog++;
      memcpy(res->last_target, o.hand_pos, sizeof(res->last_target));
      char herr[256];
      herr[0] = '\0';
      int hrc = ep.api->command(ep.h, o.hand_pos, gripper, herr, sizeof(herr));
      herr[sizeof(herr) - 1] = '\0';
      fault(&ep, policyFault(prc), k, "%s%s%s",
            perr[0] != '\0'
                ? perr
                : (prc == AG_POLICY_TIMEOUT ? "controller call timed out" : "controller faulted"),
            hrc != 0 ? "; hold command failed: " : "; robot held position", hrc != 0 ? herr : "");
      return TB_OK;
    }

    /* Safety filter */
    double proposed[3];
    for (int i = 0; i < 3; i++) {
      proposed[i] = cfg->absolute ? action[i] : o.hand_pos[i] + action[i];
    }
    double target[3];
    double g;
    int mask = ag_safetyFilter(lim, o.hand_pos, proposed, action[3], target, &g);
    ag_safetyCount(&res->safety, mask);
    if (mask & AG_SAFE_REJECT) {
      int bad = 0;
      while (bad < 4 && isfinite(action[bad])) {
        bad++;
      }
      if (bad < 4) {
        fault(&ep, AG_FT_INVALID_ACTION, k,
              "non-finite action at step %d: action[%d] = %g; robot stopped", k, bad, action[bad]);
      } else {
        fault(&ep, AG_FT_INVALID_ACTION, k,
              "action at step %d gives a non-finite target; robot stopped", k);
      }
      return TB_OK;
    }
    if (lim->max_violations >= 0 && res->safety.violations > lim->max_violations) {
      fault(&ep, AG_FT_SAFETY, k, "%d safety violations by step %d (limit %d); robot stopped",
            res->safety.violations, k, lim->max_violations);
      return TB_OK;
    }

    /* Command (one macro-step) and the observation after it */
    if (ep.api->command(ep.h, target, g, derr, sizeof(derr)) != 0) {
      derr[sizeof(derr) - 1] = '\0';
      fault(&ep, AG_FT_DRIVER, k, "driver command failed at step %d: %s", k, derr);
      return TB_OK;
    }
    memcpy(res->last_target, target, sizeof(res->last_target));
    gripper = g;
    res->steps = k + 1;
    if (observe(&ep, &o, derr, sizeof(derr)) != 0) {
      fault(&ep, AG_FT_DRIVER, k, "driver observe failed at step %d: %s", k, derr);
      return TB_OK;
    }
    if (has_reward) {
      res->ret += o.reward;
    }
    if (has_success) {
      res->success = o.success != 0;
    }
    if (on_step != NULL) {
      agEpisodeStep st = {k, &obs, action, target, g, mask, &o};
      on_step(user, &st);
    }
    if (cfg->stop_on_success && res->success) {
      break;
    }
  }
  return TB_OK;
}
