/* The parent side of a sandboxed rollout on the in-process simulator: the sandbox
 * session (sandbox.c) answers one action per macro-step, the envTask here steps the
 * physics, and the episode can be recorded for exact replay. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracebot/agent.h"
#include "base.h"
#include "rollout_internal.h"

#define MAX_HORIZON 10000
#define ENV_MAX_RECORD_STEPS MAX_HORIZON

struct agRunner {
  const envSpec *spec;
  envTask *task;
  simEpisode *rec;   /* the recording of the current episode, when asked for */
  int recording;     /* 1 while env steps are recorded (not during reset's settling) */
  int recFailed;     /* a state could not be appended */
  envStepHook watch; /* the episode's watcher (agRolloutConfig.watch), or NULL */
  void *watchUser;
  double watchMs; /* time spent in the watcher since the last controller call */
  int stepState[ENV_MAX_RECORD_STEPS]; /* first state index of each macro-step */
};

/* ------------------------------------------------------------- recording */

/* Env step hook: once the episode has started, appends the world's state to the
 * recording and shows it to the watcher. */
static void stepHook(void *user, envTask *task) {
  agRunner *r = user;
  if (!r->recording) {
    return;
  }
  if (r->rec != NULL && sim_episodeRecord(r->rec, env_world(task), NULL, 0) != 0) {
    r->recFailed = 1;
  }
  if (r->watch != NULL) {
    double t0 = tb_nowMs();
    r->watch(r->watchUser, task);
    r->watchMs += tb_nowMs() - t0;
  }
}

/* FNV-1a 64 of the controller source, for the recording's controller_hash. */
static uint64_t fnv1a64(const char *s, size_t n) {
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < n; i++) {
    h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
  }
  return h;
}

/* The episode's perturbation in the recording's metadata: its spec and the values it
 * draws (the knobs that are on), so that the file says what the episode ran under. */
static void recordPerturb(const envPerturb *p, uint64_t seed, simEpisodeInfo *info) {
  if (p->on == 0) {
    return;
  }
  envPerturbValues v;
  env_perturbDraw(p, seed, &v);
  env_perturbText(p, info->perturb, sizeof info->perturb);
  for (int k = 0; k < ENV_PERTURB_KNOBS && info->nperturb < SIM_EP_MAX_PARAMS; k++) {
    if (v.on & (1u << k)) {
      simEpisodeParam *out = &info->perturb_values[info->nperturb++];
      snprintf(out->name, sizeof out->name, "%s", env_perturbKnobName((envPerturbKnob)k));
      out->value = v.value[k];
    }
  }
}

/* Prepares the runner's recording for an episode of cfg (made on first use). */
static int prepareRecording(agRunner *r, const agRolloutConfig *cfg, const char *src, size_t len,
                            char *err, size_t errsz) {
  const mjModel *m = sim_model(env_world(r->task));
  simEpisodeInfo info;
  memset(&info, 0, sizeof info);
  snprintf(info.task, sizeof info.task, "%s", env_name(cfg->task));
  info.seed = cfg->seed;
  info.horizon = cfg->env.horizon;
  snprintf(info.mode, sizeof info.mode, "%s",
           cfg->env.mode == ENV_ABSOLUTE ? "absolute" : "relative");
  snprintf(info.hints, sizeof info.hints, "%s",
           cfg->env.hints == ENV_HINTS_NONE ? "none" : "expert");
  snprintf(info.controller_hash, sizeof info.controller_hash, "fnv1a64:%016llx",
           (unsigned long long)fnv1a64(src, len));
  recordPerturb(&cfg->env.perturb, cfg->seed, &info);
  info.timestep = m->opt.timestep;
  info.frame_skip = 5;
  info.sizes = (simEpisodeSizes){m->nq, m->nv, m->na, m->nmocap, m->nu};
  sim_freeEpisode(r->rec);
  r->rec = sim_makeEpisode(&info, err, errsz);
  if (r->rec == NULL) {
    return TB_ENOMEM;
  }
  /* one macro-step runs at most ENV_MAX_SUBSTEPS env steps */
  return sim_episodeReserve(r->rec, 1 + cfg->env.horizon * ENV_MAX_SUBSTEPS, cfg->env.horizon, err,
                            errsz) == 0
             ? TB_OK
             : TB_ENOMEM;
}

/* Starts recording and watching right after reset: state 0 is the state the episode
 * starts in. */
static void startRecording(agRunner *r) {
  if (r->rec != NULL || r->watch != NULL) {
    r->recording = 1;
    stepHook(r, r->task);
  }
}

/* Adds the per-step annotations and the result, and writes the file. */
static int finishRecording(agRunner *r, const agEpisode *ep, const char *path, char *err,
                           size_t errsz) {
  if (r->recFailed) {
    tb_setErr(err, errsz, "recording the episode for %s failed (out of memory)", path);
    return TB_ENOMEM;
  }
  for (int t = 0; t < ep->nsteps; t++) {
    const agStep *s = &ep->steps[t];
    simEpisodeStep st;
    memset(&st, 0, sizeof st);
    st.step = t;
    st.state = r->stepState[t];
    st.env_steps = s->result.env_steps;
    memcpy(st.obs.hand_pos, s->obs.hand_pos, sizeof st.obs.hand_pos);
    st.obs.gripper_distance_apart = s->obs.gripper_distance_apart;
    memcpy(st.obs.obj_pos, s->obs.obj_pos, sizeof st.obs.obj_pos);
    memcpy(st.obs.obj_quat, s->obs.obj_quat, sizeof st.obs.obj_quat);
    memcpy(st.obs.goal_pos, s->obs.goal_pos, sizeof st.obs.goal_pos);
    memcpy(st.obs.obj2_pos, s->obs.obj2_pos, sizeof st.obs.obj2_pos);
    memcpy(st.obs.obj2_quat, s->obs.obj2_quat, sizeof st.obs.obj2_quat);
    memcpy(st.action, s->action, sizeof st.action);
    st.reward = s->result.reward;
    st.success = s->result.success;
    snprintf(st.hint, sizeof st.hint, "%s", s->result.hint);
    if (sim_episodeAppendStep(r->rec, &st, err, errsz) != 0) {
      return TB_ENOMEM;
    }
  }
  int faulted = ep->fault.kind != AG_FT_NONE;
  if (sim_episodeSetResult(r->rec, ep->success, ep->ret, ep->nsteps,
                           faulted ? ag_faultName(ep->fault.kind) : NULL, ep->fault.message,
                           ep->fault.step, err, errsz) != 0) {
    return TB_EINVAL;
  }
  return sim_episodeSave(r->rec, path, err, errsz) == 0 ? TB_OK : TB_EIO;
}

agRunner *ag_makeRunner(const envSpec *spec, char *err, size_t errsz) {
  if (spec == NULL) {
    tb_setErr(err, errsz, "%s", "ag_makeRunner: no spec");
    return NULL;
  }
  agRunner *r = calloc(1, sizeof *r);
  if (r == NULL) {
    tb_setErr(err, errsz, "%s", "out of memory");
    return NULL;
  }
  r->spec = spec;
  r->task = env_make(spec, err, errsz);
  if (r->task == NULL) {
    free(r);
    return NULL;
  }
  return r;
}

void ag_freeRunner(agRunner *runner) {
  if (runner == NULL) {
    return;
  }
  env_free(runner->task);
  sim_freeEpisode(runner->rec);
  free(runner);
}

void ag_episodeClose(agEpisode *ep) {
  if (ep == NULL) {
    return;
  }
  free(ep->steps);
  ep->steps = NULL;
  ep->nsteps = 0;
}

static int checkConfig(const agRunner *r, const agRolloutConfig *cfg, const char *src, size_t len,
                       char *err, size_t errsz) {
  if (r == NULL) {
    tb_setErr(err, errsz, "%s", "ag_rollout: NULL runner");
    return TB_EINVAL;
  }
  int rc = ag_checkRollout(cfg, src, len, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  if (env_specTask(r->spec) != cfg->task) {
    tb_setErr(err, errsz, "the runner is for task %s", env_name(env_specTask(r->spec)));
    return TB_EINVAL;
  }
  return TB_OK;
}

static int rolloutEpisode(agRunner *runner, const agRolloutConfig *cfg, const char *src, size_t len,
                          agEpisode *ep, char *err, size_t errsz) {
  /* Start the child and hand it the source */
  agSandbox sb;
  int rc = ag_startEpisode(ep, cfg, src, len, &sb, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }

  /* Reset the task while the child compiles */
  obs_t obs;
  char envErr[256];
  if (env_reset(runner->task, cfg->seed, &cfg->env, &obs, envErr, sizeof envErr) != 0) {
    ag_sandboxEnd(&sb);
    tb_setErr(err, errsz, "env_reset: %s", envErr);
    return TB_EENV;
  }
  ep->obs0 = obs;
  startRecording(runner);

  /* READY, or a compile/memory/syscall fault */
  rc = ag_sandboxReady(&sb, &ep->fault, err, errsz);
  if (rc != TB_OK || ep->fault.kind != AG_FT_NONE) {
    ag_sandboxEnd(&sb);
    ep->wall_ms = tb_nowMs() - sb.t0;
    return rc;
  }
  ep->startup_ms = tb_nowMs() - sb.t0;

  /* One controller call per macro-step */
  for (int t = 0; t < cfg->env.horizon; t++) {
    agStep *st = &ep->steps[t];
    ag_sandboxCall(&sb, &obs, t, sb.lim.call_ms, st->action, &ep->fault);
    if (ep->fault.kind != AG_FT_NONE) {
      break;
    }
    int bad = -1;
    for (int i = 0; i < 4 && bad < 0; i++) {
      bad = isfinite(st->action[i]) ? -1 : i;
    }
    if (bad >= 0) {
      ag_sandboxEnd(&sb);
      ag_setFault(&ep->fault, AG_FT_INVALID_ACTION, t, "action[%d] is %s at step %d", bad,
                  isnan(st->action[bad]) ? "NaN" : "Inf", t);
      break;
    }

    /* The trusted side: physics, reward, success */
    st->obs = obs;
    if (runner->rec != NULL) {
      runner->stepState[t] = runner->rec->nstates - 1;
    }
    int erc = env_macroStep(runner->task, st->action, &st->result, envErr, sizeof envErr);
    /* A watcher (a live window pacing to real time) does not spend the controller's time. */
    sb.episode_deadline += runner->watchMs;
    runner->watchMs = 0;
    if (erc == TB_EPHYSICS) {
      ag_sandboxEnd(&sb);
      ag_setFault(&ep->fault, AG_FT_CRASH, t, "the simulation diverged at step %d", t);
      break;
    }
    if (erc != 0) {
      ag_sandboxEnd(&sb);
      tb_setErr(err, errsz, "env_macroStep: %s", envErr);
      return TB_EENV;
    }
    ep->nsteps = t + 1;
    ep->ret += st->result.reward;
    ep->success = st->result.success;
    obs = st->result.obs;
    if (ep->success) {
      break;
    }
  }
  ag_sandboxEnd(&sb);
  ep->wall_ms = tb_nowMs() - sb.t0;
  return TB_OK;
}

int ag_rollout(agRunner *runner, const agRolloutConfig *cfg, const char *src, size_t len,
               agEpisode *ep, char *err, size_t errsz) {
  memset(ep, 0, sizeof *ep);
  int rc = checkConfig(runner, cfg, src, len, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  sim_freeEpisode(runner->rec);
  runner->rec = NULL;
  runner->recording = 0;
  runner->recFailed = 0;
  runner->watch = cfg->watch;
  runner->watchUser = cfg->watch_user;
  runner->watchMs = 0;
  if (cfg->record_path != NULL) {
    rc = prepareRecording(runner, cfg, src, len, err, errsz);
    if (rc != TB_OK) {
      return rc;
    }
  }
  if (runner->rec != NULL || runner->watch != NULL) {
    env_setStepHook(runner->task, stepHook, runner);
  }
  rc = rolloutEpisode(runner, cfg, src, len, ep, err, errsz);
  if (rc == TB_OK) {
    env_feedback(runner->task, ep->task_feedback, sizeof ep->task_feedback);
  }
  runner->recording = 0;
  env_setStepHook(runner->task, NULL, NULL);
  if (rc == TB_OK && cfg->record_path != NULL) {
    rc = finishRecording(runner, ep, cfg->record_path, err, errsz);
  }
  sim_freeEpisode(runner->rec);
  runner->rec = NULL;
  runner->watch = NULL;
  return rc;
}

int ag_rolloutOnce(const agRolloutConfig *cfg, const char *src, size_t len, agEpisode *ep,
                   char *err, size_t errsz) {
  memset(ep, 0, sizeof *ep);
  if (cfg == NULL) {
    tb_setErr(err, errsz, "%s", "ag_rolloutOnce: NULL config");
    return TB_EINVAL;
  }
  envSpec *spec = env_makeSpec(cfg->task, err, errsz);
  if (spec == NULL) {
    return TB_EENV;
  }
  agRunner *r = ag_makeRunner(spec, err, errsz);
  if (r == NULL) {
    env_freeSpec(spec);
    return TB_EENV;
  }
  int rc = ag_rollout(r, cfg, src, len, ep, err, errsz);
  ag_freeRunner(r);
  env_freeSpec(spec);
  return rc;
}
