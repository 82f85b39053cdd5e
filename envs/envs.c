/* envs/envs.c: spec and task lifecycle, reset, the env step, the macro-step P
 * controller, observations and the expert's hint text. What differs between tasks comes
 * from the task's row (task.h), never from its id. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "task.h"

/* Maps a sim error code to the env's. */
static int fromSim(int rc) {
  switch (rc) {
    case TB_OK:
      return TB_OK;
    case TB_EINVAL:
      return TB_EINVAL;
    case TB_ENOMEM:
      return TB_ENOMEM;
    case TB_EMODEL:
      return TB_EMODEL;
    default:
      return TB_EPHYSICS;
  }
}

void env_defaultConfig(envConfig *cfg) {
  cfg->horizon = 10;
  cfg->mode = ENV_RELATIVE;
  cfg->hints = ENV_HINTS_EXPERT;
  memset(&cfg->perturb, 0, sizeof(cfg->perturb));
}

/* The defaults with the task's own horizon. */
static void taskDefaults(const envSpec *spec, envConfig *cfg) {
  env_defaultConfig(cfg);
  cfg->horizon = spec->def->horizon;
}

/* ---- spec ----------------------------------------------------------------------------- */

/* Looks up a named object of the model; -1 (and a message) if it is missing. */
static int findId(const mjModel *m, int type, const char *name, const char *task, char *err,
                  size_t errsz) {
  int id = mj_name2id(m, type, name);
  if (id < 0) {
    tb_setErr(err, errsz, "task %s: its model has no %s named '%s'", task,
              mju_type2Str(type) != NULL ? mju_type2Str(type) : "object", name);
  }
  return id;
}

/* Resolves the names the env and the task's hooks use. Returns 0, or -1 with a message. */
static int resolveIds(envSpec *s, char *err, size_t errsz) {
  const mjModel *m = s->m;
  const char *task = s->def->name;
  int handTarget = -1;
  int goalBody = -1;
  int ok = (s->hand = findId(m, mjOBJ_BODY, "hand", task, err, errsz)) >= 0 &&
           (s->fingerR = findId(m, mjOBJ_BODY, "finger_r", task, err, errsz)) >= 0 &&
           (s->fingerL = findId(m, mjOBJ_BODY, "finger_l", task, err, errsz)) >= 0 &&
           (s->tipR = findId(m, mjOBJ_SITE, "tip_r", task, err, errsz)) >= 0 &&
           (s->tipL = findId(m, mjOBJ_SITE, "tip_l", task, err, errsz)) >= 0 &&
           (handTarget = findId(m, mjOBJ_BODY, "hand_target", task, err, errsz)) >= 0 &&
           (goalBody = findId(m, mjOBJ_BODY, "goal", task, err, errsz)) >= 0 &&
           (s->actR = findId(m, mjOBJ_ACTUATOR, "finger_r", task, err, errsz)) >= 0 &&
           (s->actL = findId(m, mjOBJ_ACTUATOR, "finger_l", task, err, errsz)) >= 0;
  if (!ok) {
    return -1;
  }
  s->handMocap = m->body_mocapid[handTarget];
  s->goalMocap = m->body_mocapid[goalBody];
  if (s->handMocap < 0 || s->goalMocap < 0) {
    tb_setErr(err, errsz, "task %s: hand_target and goal must be mocap bodies", task);
    return -1;
  }
  const envObjectRef *refs = s->def->objects;
  for (int i = 0; refs != NULL && refs[i].name != NULL; i++) {
    if (i == ENV_TASK_IDS) {
      tb_setErr(err, errsz, "task %s: more than %d named objects", task, ENV_TASK_IDS);
      return -1;
    }
    if ((s->ids[i] = findId(m, refs[i].type, refs[i].name, task, err, errsz)) < 0) {
      return -1;
    }
  }
  return 0;
}

envSpec *env_makeSpecOf(const envTaskDef *def, envTaskId id, char *err, size_t errsz) {
  envSpec *s = calloc(1, sizeof(*s));
  if (!s) {
    tb_setErr(err, errsz, "env_makeSpec: out of memory");
    return NULL;
  }
  s->id = id;
  s->def = def;
  s->m = env_loadTaskModel(def->objectsXml, def->name, err, errsz);
  if (!s->m || resolveIds(s, err, errsz) != 0) {
    env_freeSpec(s);
    return NULL;
  }
  return s;
}

envSpec *env_makeSpec(envTaskId id, char *err, size_t errsz) {
  const envTaskDef *def = env_taskDef(id);
  if (!def) {
    tb_setErr(err, errsz, "env_makeSpec: unknown task id %d", (int)id);
    return NULL;
  }
  return env_makeSpecOf(def, id, err, errsz);
}

void env_freeSpec(envSpec *spec) {
  if (!spec) {
    return;
  }
  sim_freeModel(spec->m);
  free(spec);
}

envTaskId env_specTask(const envSpec *spec) {
  return spec->id;
}

/* ---- task ----------------------------------------------------------------------------- */

envTask *env_make(const envSpec *spec, char *err, size_t errsz) {
  if (!spec) {
    tb_setErr(err, errsz, "env_make: spec is NULL");
    return NULL;
  }
  envTask *t = calloc(1, sizeof(*t));
  if (!t) {
    tb_setErr(err, errsz, "env_make: out of memory");
    return NULL;
  }
  t->spec = spec;
  taskDefaults(spec, &t->cfg);
  t->world = sim_make(spec->m, err, errsz);
  if (!t->world) {
    free(t);
    return NULL;
  }
  env_perturbDraw(NULL, 0, &t->perturb.values); /* neutral until a perturbed reset */
  t->perturb.gainScale = 1.0;
  return t;
}

void env_free(envTask *task) {
  if (!task) {
    return;
  }
  sim_free(task->world);
  env_perturbClose(task);
  free(task);
}

simWorld *env_world(envTask *task) {
  return task->world;
}

void env_setStepHook(envTask *task, envStepHook hook, void *user) {
  task->hook = hook;
  task->hookUser = hook ? user : NULL;
}

void env_observeRobot(const envTask *task, obs_t *obs) {
  const envSpec *s = task->spec;
  const mjData *d = sim_data(task->world);
  const double *hand = d->xpos + 3 * s->hand;
  const double *fr = d->xpos + 3 * s->fingerR;
  const double *fl = d->xpos + 3 * s->fingerL;
  double dx = fl[0] - fr[0];
  double dy = fl[1] - fr[1];
  double dz = fl[2] - fr[2];
  memset(obs, 0, sizeof(*obs));
  memcpy(obs->hand_pos, hand, sizeof(obs->hand_pos));
  obs->gripper_distance_apart = env_clamp(sqrt(dx * dx + dy * dy + dz * dz) / 0.1, 0.0, 1.0);
  memcpy(obs->goal_pos, task->goal, sizeof(obs->goal_pos));
  obs->step = task->step;
  obs->horizon = task->cfg.horizon;
}

void env_observe(const envTask *task, obs_t *obs) {
  env_observeRobot(task, obs);
  task->spec->def->observeObjects(task, obs);
}

double env_reward(const envTask *task, int *success) {
  return env_taskReward(task, success);
}

void env_feedback(const envTask *task, char *out, size_t outsz) {
  if (!out || outsz == 0) {
    return;
  }
  out[0] = '\0';
  if (task->spec->def->feedback) {
    task->spec->def->feedback(task, out, outsz);
  }
}

/* ---- env step ------------------------------------------------------------------------- */

int env_step(envTask *task, const double a[4], char *err, size_t errsz) {
  if (!(isfinite(a[0]) && isfinite(a[1]) && isfinite(a[2]) && isfinite(a[3]))) {
    tb_setErr(err, errsz, "env_step: action is not finite");
    return TB_EINVAL;
  }
  const envSpec *s = task->spec;
  mjData *d = sim_data(task->world);

  /* move the hand target by at most 1 cm per axis, inside the workspace */
  double *mocap = d->mocap_pos + 3 * s->handMocap;
  for (int i = 0; i < 3; i++) {
    double move = env_clamp(a[i], -1.0, 1.0) * ENV_ACTION_SCALE;
    mocap[i] = env_clamp(mocap[i] + move, env_handLow[i], env_handHigh[i]);
  }

  /* gripper: [a3, -a3] to the right and left finger */
  double g = env_clamp(a[3], -1.0, 1.0);
  d->ctrl[s->actR] = g;
  d->ctrl[s->actL] = -g;
  task->grip = g;

  int rc = sim_step(task->world, ENV_FRAME_SKIP, err, errsz);
  if (rc != TB_OK) {
    return fromSim(rc);
  }
  if (s->def->afterStep) {
    s->def->afterStep(task);
  }
  task->closest = fmin(task->closest, s->def->goalDistance(task));
  if (env_perturbDelays(task)) {
    obs_t now;
    env_observe(task, &now);
    env_perturbStep(task, &now);
  }
  if (task->hook) {
    task->hook(task->hookUser, task);
  }
  return TB_OK;
}

/* ---- reset ---------------------------------------------------------------------------- */

int env_reset(envTask *task, uint64_t seed, const envConfig *cfg, obs_t *obs, char *err,
              size_t errsz) {
  envConfig c;
  if (cfg) {
    c = *cfg;
  } else {
    taskDefaults(task->spec, &c);
  }
  if (c.horizon < 1 || c.horizon > 100000 || (c.mode != ENV_RELATIVE && c.mode != ENV_ABSOLUTE) ||
      (c.hints != ENV_HINTS_EXPERT && c.hints != ENV_HINTS_NONE)) {
    tb_setErr(err, errsz, "env_reset: bad config (horizon %d, mode %d, hints %d)", c.horizon,
              (int)c.mode, (int)c.hints);
    return TB_EINVAL;
  }
  int rc = env_perturbBegin(task, &c.perturb, seed, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  const envSpec *s = task->spec;
  task->cfg = c;
  task->seed = seed;
  task->step = 0;
  task->grip = -1.0;
  memset(task->taskState, 0, sizeof(task->taskState));

  /* fresh physics with the hand target at hand_init */
  rc = sim_reset(task->world, err, errsz);
  if (rc != TB_OK) {
    return fromSim(rc);
  }
  mjData *d = sim_data(task->world);
  const double *handInit = s->def->handInit != NULL ? s->def->handInit : env_handInit;
  memcpy(d->mocap_pos + 3 * s->handMocap, handInit, 3 * sizeof(double));

  /* draw the episode before settling, so objInit is never stale during the hook */
  double obj[3];
  obs_t first;
  s->def->draw(s->def, seed, obj, task->goal);
  memset(&first, 0, sizeof(first));
  s->def->observeObjects(task, &first);
  memcpy(task->objInit, first.obj_pos, sizeof(task->objInit));
  memcpy(d->mocap_pos + 3 * s->goalMocap, task->goal, sizeof(task->goal));

  /* let the arm settle at hand_init with the gripper open */
  static const double hold[4] = {0.0, 0.0, 0.0, -1.0};
  for (int i = 0; i < ENV_SETTLE_STEPS; i++) {
    rc = env_step(task, hold, err, errsz);
    if (rc != TB_OK) {
      return rc;
    }
  }

  /* place the objects and recompute everything */
  s->def->place(task, obj);
  rc = sim_forward(task->world, err, errsz);
  if (rc != TB_OK) {
    return fromSim(rc);
  }
  memset(&first, 0, sizeof(first));
  s->def->observeObjects(task, &first);
  memcpy(task->objInit, first.obj_pos, sizeof(task->objInit));
  env_tcp(task, task->tcpInit);
  memset(task->taskState, 0, sizeof(task->taskState));
  task->closest = s->def->goalDistance(task);
  env_observe(task, &first);
  env_perturbSense(task, &first);
  if (obs) {
    *obs = first;
  }
  return TB_OK;
}

/* ---- macro-step ----------------------------------------------------------------------- */

/* The expert's hint of a finished macro-step (see envs/README.md for the wording). */
void env_expertHint(const envTask *task, const obs_t *before, double grip, envStepResult *res) {
  if (res->success) {
    snprintf(res->hint, sizeof(res->hint), "reward %.3f; success: the task is solved", res->reward);
    return;
  }

  /* where the expert would have sent the hand from the observation before the step */
  double ea[4];
  env_defExpert(task->spec->def, before, ea);
  double et[3];
  double dBefore = 0.0;
  double dAfter = 0.0;
  for (int i = 0; i < 3; i++) {
    et[i] = env_clamp(before->hand_pos[i] + ea[i], env_handLow[i], env_handHigh[i]);
    double b = before->hand_pos[i] - et[i];
    double a = res->obs.hand_pos[i] - et[i];
    dBefore += b * b;
    dAfter += a * a;
  }
  dBefore = sqrt(dBefore);
  dAfter = sqrt(dAfter);

  const char *motion;
  if (dAfter < 0.005) {
    motion = "is at";
  } else if (dAfter < dBefore - 0.001) {
    motion = "moved closer to";
  } else if (dAfter > dBefore + 0.001) {
    motion = "moved away from";
  } else {
    motion = "did not get closer to";
  }
  const char *gripHint = "";
  if (ea[3] > 0.0 && grip <= 0.0) {
    gripHint = "; the expert would close the gripper";
  } else if (ea[3] <= 0.0 && grip > 0.0) {
    gripHint = "; the expert would open the gripper";
  }
  snprintf(res->hint, sizeof(res->hint),
           "reward %.3f; the hand %s the expert target [x y z gripper] = [%.3f %.3f %.3f %.1f]%s",
           res->reward, motion, et[0], et[1], et[2], ea[3], gripHint);
}

/* Drives the hand toward an absolute target with the P controller (see envs.h). */
static int runMacro(envTask *task, const double rawTarget[3], double gripper, envStepResult *res,
                    char *err, size_t errsz) {
  const envSpec *s = task->spec;
  const mjData *d = sim_data(task->world);
  obs_t before;
  env_observe(task, &before);

  double target[3] = {rawTarget[0], rawTarget[1], rawTarget[2]};
  env_perturbCommand(task, target);
  for (int i = 0; i < 3; i++) {
    target[i] = env_clamp(target[i], env_handLow[i], env_handHigh[i]);
  }
  double grip = env_clamp(gripper, -1.0, 1.0);
  memcpy(res->target, target, sizeof(target));
  res->obs = before;
  res->reward = 0.0;
  res->success = 0;
  res->env_steps = 0;
  res->hint[0] = '\0';

  /* P control: env action clip(p * (target - hand), -1, 1), gripper held */
  const double *hand = d->xpos + 3 * s->hand;
  double gain = s->def->gain * task->perturb.gainScale;
  for (int k = 0; k < ENV_MAX_SUBSTEPS; k++) {
    double a[4];
    for (int i = 0; i < 3; i++) {
      a[i] = env_clamp(gain * (target[i] - hand[i]), -1.0, 1.0);
    }
    a[3] = grip;
    int rc = env_step(task, a, err, errsz);
    if (rc != TB_OK) {
      return rc; /* res->obs still holds the observation before the macro-step */
    }
    res->env_steps++;

    /* stop early once the hand is on target */
    double worst = 0.0;
    for (int i = 0; i < 3; i++) {
      worst = fmax(worst, fabs(target[i] - hand[i]));
    }
    if (worst < 1e-4) {
      break;
    }
  }

  task->step++;
  env_observe(task, &res->obs);
  res->reward = env_taskReward(task, &res->success);
  if (task->cfg.hints != ENV_HINTS_NONE && s->def->hint) {
    s->def->hint(task, &before, grip, res);
  }
  env_perturbSense(task, &res->obs);
  return TB_OK;
}

int env_macroStep(envTask *task, const double action[4], envStepResult *res, char *err,
                  size_t errsz) {
  for (int i = 0; i < 4; i++) {
    if (!isfinite(action[i])) {
      tb_setErr(err, errsz, "action[%d] is not a finite number (%g)", i, action[i]);
      return TB_EINVAL;
    }
  }
  double target[3];
  const double *hand = sim_data(task->world)->xpos + 3 * task->spec->hand;
  for (int i = 0; i < 3; i++) {
    target[i] = task->cfg.mode == ENV_RELATIVE ? hand[i] + action[i] : action[i];
  }
  return runMacro(task, target, action[3], res, err, errsz);
}

int env_command(envTask *task, const double target[3], double gripper, envStepResult *res,
                char *err, size_t errsz) {
  for (int i = 0; i < 3; i++) {
    if (!isfinite(target[i])) {
      tb_setErr(err, errsz, "target[%d] is not a finite number (%g)", i, target[i]);
      return TB_EINVAL;
    }
  }
  if (!isfinite(gripper)) {
    tb_setErr(err, errsz, "gripper effort is not a finite number (%g)", gripper);
    return TB_EINVAL;
  }
  return runMacro(task, target, gripper, res, err, errsz);
}
