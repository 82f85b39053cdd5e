/* A sandboxed rollout over the driver interface: the sandbox session (sandbox.c) is
 * the agPolicyFn of ag_runDriverEpisode, which owns the watchdog, the safety layer and
 * the e-stop policy. The same code path runs the simulator (--driver sim), a remote
 * robot (--driver net) and a plug-in (--driver PATH.so). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracebot/agent.h"
#include "base.h"
#include "rollout_internal.h"

/* The policy adapter's state and the trajectory being collected. */
typedef struct driverRun {
  agSandbox *sb;
  agFault fault; /* the sandbox's fault of the last call */
  agEpisode *ep;
  int horizon;
} driverRun;

/* agPolicyFn: one sandboxed controller call. */
static int sandboxPolicy(void *ctx, const obs_t *obs, double action[4], int timeout_ms, char *err,
                         size_t errsz) {
  driverRun *run = ctx;
  ag_sandboxCall(run->sb, obs, obs->step, timeout_ms, action, &run->fault);
  switch (run->fault.kind) {
    case AG_FT_NONE:
      return AG_POLICY_OK;
    case AG_FT_TIMEOUT:
      tb_setErr(err, errsz, "%s", run->fault.message);
      return AG_POLICY_TIMEOUT;
    case AG_FT_MEMORY:
      tb_setErr(err, errsz, "%s", run->fault.message);
      return AG_POLICY_MEMORY;
    case AG_FT_SYSCALL:
      tb_setErr(err, errsz, "%s", run->fault.message);
      return AG_POLICY_SYSCALL;
    default:
      tb_setErr(err, errsz, "%s", run->fault.message);
      return AG_POLICY_CRASH;
  }
}

/* agStepFn: appends one macro-step to the trajectory. */
static void onStep(void *user, const agEpisodeStep *st) {
  driverRun *run = user;
  agEpisode *ep = run->ep;
  if (st->step < 0 || st->step >= run->horizon) {
    return;
  }
  if (st->step == 0) {
    ep->obs0 = *st->obs;
  }
  agStep *s = &ep->steps[st->step];
  s->obs = *st->obs;
  memcpy(s->action, st->action, sizeof s->action);
  ag_obsFromDriver(st->after, st->step + 1, run->horizon, &s->result.obs);
  s->result.reward = st->after->reward;
  s->result.success = st->after->success != 0;
  s->result.env_steps = 0;
  memcpy(s->result.target, st->target, sizeof s->result.target);
  snprintf(s->result.hint, sizeof s->result.hint, "%s", st->after->hint);
  ep->nsteps = st->step + 1;
}

int ag_rolloutDriver(agDriver *drv, const agRolloutConfig *cfg, const agSafetyConfig *safety,
                     volatile sig_atomic_t *interrupt, const char *src, size_t len, agEpisode *ep,
                     char *err, size_t errsz) {
  memset(ep, 0, sizeof *ep);
  if (drv == NULL) {
    tb_setErr(err, errsz, "%s", "ag_rolloutDriver: no driver");
    return TB_EINVAL;
  }
  int rc = ag_checkRollout(cfg, src, len, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  if (cfg->record_path != NULL || cfg->env.perturb.on != 0) {
    tb_setErr(err, errsz, "%s",
              "recording or perturbing an episode needs the in-process simulator "
              "(no --driver)");
    return TB_EINVAL;
  }
  /* Compile first: a controller that does not compile never moves the robot */
  agSandbox sb;
  rc = ag_startEpisode(ep, cfg, src, len, &sb, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  rc = ag_sandboxReady(&sb, &ep->fault, err, errsz);
  if (rc != TB_OK || ep->fault.kind != AG_FT_NONE) {
    ag_sandboxEnd(&sb);
    ep->wall_ms = tb_nowMs() - sb.t0;
    return rc;
  }
  ep->startup_ms = tb_nowMs() - sb.t0;

  /* The episode over the driver, the sandbox as its policy */
  agEpisodeConfig ec;
  ag_defaultEpisode(&ec);
  ec.seed = cfg->seed;
  ec.horizon = cfg->env.horizon;
  ec.absolute = cfg->env.mode == ENV_ABSOLUTE;
  ec.timeout_ms = sb.lim.call_ms;
  ec.stop_on_success = 1;
  if (safety != NULL) {
    ec.safety = *safety;
  }
  ec.interrupt = interrupt;
  driverRun run = {&sb, {0}, ep, cfg->env.horizon};
  run.fault.kind = AG_FT_NONE;
  agEpisodeResult res;
  char derr[256];
  rc = ag_runDriverEpisode(drv, &ec, sandboxPolicy, &run, onStep, &run, &res, derr, sizeof derr);
  ag_sandboxEnd(&sb);
  ep->wall_ms = tb_nowMs() - sb.t0;
  if (rc != TB_OK) {
    tb_setErr(err, errsz, "%s", derr);
    return rc; /* the driver's code, cause kept */
  }
  ep->ret = res.ret;
  ep->success = res.success;
  ep->safety = res.safety;
  if (res.fault != AG_FT_NONE) {
    ep->fault.kind = res.fault;
    ep->fault.step = res.fault_step < 0 ? 0 : res.fault_step;
    ep->fault.line = 0;
    snprintf(ep->fault.message, sizeof ep->fault.message, "%s", res.fault_message);
  }
  return TB_OK;
}
