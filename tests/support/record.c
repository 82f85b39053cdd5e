/* record.c: a scripted-expert episode recorded into a simEpisode. */
#include "record.h"
#include "xvfb.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void onStep(void *user, envTask *task) {
  sim_episodeRecord(user, env_world(task), NULL, 0);
}

void record_free(recorded *r) {
  sim_freeEpisode(r->ep);
  env_free(r->task);
  env_freeSpec(r->spec);
  memset(r, 0, sizeof(*r));
}

static recorded *gScene; /* the recording of record_openScene */

int record_openScene(recorded *rec, recordFn record, envTaskId id, uint64_t seed, int horizon) {
  if (record(id, seed, horizon, rec) != 0) {
    return -1;
  }
  if (xvfb_start() != 0) {
    record_free(rec);
    return -1;
  }
  gScene = rec;
  return 0;
}

int record_closeScene(void **state) {
  (void)state;
  if (gScene != NULL) {
    record_free(gScene);
    gScene = NULL;
  }
  xvfb_stop();
  return 0;
}

static void wander(const obs_t *obs, double action[4]) {
  double a = 0.9 * obs->step;
  action[0] = 0.04 * cos(a);
  action[1] = 0.04 * sin(a);
  action[2] = obs->hand_pos[2] < 0.25 ? 0.02 : -0.02;
  action[3] = obs->step % 2 ? 1.0 : -1.0;
}

static int record(envTaskId id, uint64_t seed, int horizon, int useExpert, recorded *out);

int record_expert(envTaskId id, uint64_t seed, int horizon, recorded *out) {
  return record(id, seed, horizon, 1, out);
}

int record_wander(envTaskId id, uint64_t seed, int horizon, recorded *out) {
  return record(id, seed, horizon, 0, out);
}

static int record(envTaskId id, uint64_t seed, int horizon, int useExpert, recorded *out) {
  char err[256];
  memset(out, 0, sizeof(*out));
  envSpec *spec = env_makeSpec(id, err, sizeof(err));
  if (!spec) {
    return -1;
  }
  envTask *task = env_make(spec, err, sizeof(err));
  if (!task) {
    env_freeSpec(spec);
    return -1;
  }
  const mjModel *m = sim_model(env_world(task));
  simEpisodeInfo info;
  memset(&info, 0, sizeof(info));
  snprintf(info.task, sizeof(info.task), "%s", env_name(id));
  info.seed = seed;
  info.horizon = horizon;
  snprintf(info.mode, sizeof(info.mode), "relative");
  snprintf(info.hints, sizeof(info.hints), "expert");
  snprintf(info.controller_hash, sizeof(info.controller_hash), "fnv1a64:0123456789abcdef");
  info.timestep = m->opt.timestep;
  info.frame_skip = 5;
  info.sizes = (simEpisodeSizes){m->nq, m->nv, m->na, m->nmocap, m->nu};
  simEpisode *ep = sim_makeEpisode(&info, err, sizeof(err));
  envConfig cfg;
  env_defaultConfig(&cfg);
  cfg.horizon = horizon;
  obs_t obs;
  if (!ep || env_reset(task, seed, &cfg, &obs, err, sizeof(err)) != 0) {
    sim_freeEpisode(ep);
    env_free(task);
    env_freeSpec(spec);
    return -1;
  }
  sim_episodeReserve(ep, horizon * ENV_MAX_SUBSTEPS + 1, horizon, NULL, 0);
  sim_episodeRecord(ep, env_world(task), NULL, 0);
  env_setStepHook(task, onStep, ep);
  double ret = 0;
  int success = 0;
  int steps = 0;
  for (int t = 0; t < horizon && !success; t++) {
    simEpisodeStep st;
    memset(&st, 0, sizeof(st));
    st.step = t;
    st.state = ep->nstates - 1;
    memcpy(st.obs.hand_pos, obs.hand_pos, sizeof(st.obs.hand_pos));
    st.obs.gripper_distance_apart = obs.gripper_distance_apart;
    memcpy(st.obs.obj_pos, obs.obj_pos, sizeof(st.obs.obj_pos));
    memcpy(st.obs.obj_quat, obs.obj_quat, sizeof(st.obs.obj_quat));
    memcpy(st.obs.goal_pos, obs.goal_pos, sizeof(st.obs.goal_pos));
    memcpy(st.obs.obj2_pos, obs.obj2_pos, sizeof(st.obs.obj2_pos));
    memcpy(st.obs.obj2_quat, obs.obj2_quat, sizeof(st.obs.obj2_quat));
    if (useExpert) {
      env_expert(id, &obs, st.action);
    } else {
      wander(&obs, st.action);
    }
    envStepResult res;
    if (env_macroStep(task, st.action, &res, err, sizeof(err)) != 0) {
      break;
    }
    st.env_steps = res.env_steps;
    st.reward = res.reward;
    st.success = res.success;
    snprintf(st.hint, sizeof(st.hint), "%s", res.hint);
    sim_episodeAppendStep(ep, &st, NULL, 0);
    ret += res.reward;
    success = res.success;
    obs = res.obs;
    steps++;
  }
  sim_episodeSetResult(ep, success, ret, steps, NULL, NULL, 0, NULL, 0);
  env_setStepHook(task, NULL, NULL);
  out->spec = spec;
  out->task = task;
  out->m = m;
  out->ep = ep;
  return 0;
}
