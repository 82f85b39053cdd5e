/* envs/prompt.c: what an optimizer is told about a task under a run's settings (envs.h,
 * env_describe): the instruction, the operations' documentation and the hint's meaning.
 * Every number in them is the task's own or measured here with the simulator. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base.h"
#include "task.h"

/* The hand moves of env_describe's measured fractions, in metres. */
static const double kMoves[ENV_MOVE_FRACTIONS] = {0.05, 0.10, 0.20};

/* The fingertip midpoint's depth below the hand origin with the gripper open, in cm. */
static double tipDepthCm(const envTask *task) {
  double tcp[3];
  obs_t obs;
  env_tcp(task, tcp);
  env_observe(task, &obs);
  return 100.0 * (obs.hand_pos[2] - tcp[2]);
}

/* Measures, from the start of seed 0's episode, the part of each kMoves move along +x
 * that one macro-step covers (the hand origin's displacement over the move). */
static int measure(const envSpec *spec, double frac[ENV_MOVE_FRACTIONS], double *depthCm, char *err,
                   size_t errsz) {
  envTask *task = env_make(spec, err, errsz);
  if (task == NULL) {
    return TB_ENOMEM;
  }
  int rc = TB_OK;
  for (int k = 0; k < ENV_MOVE_FRACTIONS && rc == TB_OK; k++) {
    obs_t before;
    envStepResult res;
    rc = env_reset(task, 0, NULL, &before, err, errsz);
    if (k == 0 && rc == TB_OK) {
      *depthCm = tipDepthCm(task);
    }
    double target[3] = {before.hand_pos[0] + kMoves[k], before.hand_pos[1], before.hand_pos[2]};
    if (rc == TB_OK) {
      rc = env_command(task, target, -1.0, &res, err, errsz);
    }
    if (rc == TB_OK) {
      frac[k] = (res.obs.hand_pos[0] - before.hand_pos[0]) / kMoves[k];
    }
  }
  env_free(task);
  return rc;
}

/* Appends printf-style text at *n of out (cut at outsz, always terminated). */
static void put(char *out, size_t outsz, size_t *n, const char *fmt, ...) TB_PRINTF(4, 5);
static void put(char *out, size_t outsz, size_t *n, const char *fmt, ...) {
  if (*n >= outsz) {
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(out + *n, outsz - *n, fmt, ap);
  va_end(ap);
  if (k > 0) {
    *n += (size_t)k;
  }
}

/* The instruction: the task's own text, then the hand's point, the episode, the
 * observation, the action of this mode, what a step does, Return, and the hints. */
static void instruction(const envSpec *spec, const envConfig *c, const envDescription *d,
                        double depthCm, char *out, size_t outsz) {
  size_t n = 0;
  const int rel = c->mode == ENV_RELATIVE;
  put(out, outsz, &n, "%s", spec->def->instruction);
  put(out, outsz, &n,
      " The fingertip midpoint (halfway between the fingertips, %.1f cm below hand_pos) is the "
      "point of the hand that touches things.",
      depthCm);
  put(out, outsz, &n,
      " An episode has %d steps: the controller is called once per step (obs->step counts "
      "from 0, obs->horizon is %d), and the first success ends the episode.",
      c->horizon, c->horizon);
  put(out, outsz, &n,
      " obs holds hand_pos[3] (the hand origin, metres), gripper_distance_apart (1 open, about "
      "0.3 closed on nothing), the object slots obj_pos[3], obj_quat[4], obj2_pos[3] and "
      "obj2_quat[4] (what they hold is said above; quaternions are w x y z) and goal_pos[3]; "
      "the table top is at z = 0.");
  put(out, outsz, &n,
      rel ? " The action is relative: action[0..2] moves the hand toward hand_pos + "
            "action[0..2] (metres; "
          : " The action is absolute: action[0..2] is the target position of the hand origin "
            "(hand_pos) in metres (");
  put(out, outsz, &n,
      "the target is clipped to x [%.1f, %.1f], y [%.1f, %.1f], z [%.2f, %.1f]); action[3] is "
      "the gripper effort in [-1, 1]: +1 closes the fingers, -1 opens them, 0 lets them relax "
      "open slowly.",
      env_handLow[0], env_handHigh[0], env_handLow[1], env_handHigh[1], env_handLow[2],
      env_handHigh[2]);
  put(out, outsz, &n,
      " One step covers about %.0f%% of a 5 cm move, %.0f%% of a 10 cm move and %.0f%% of a "
      "20 cm move (measured: a P controller drives the hand toward the target for %d "
      "simulation steps); %s.",
      100.0 * d->move_fraction[0], 100.0 * d->move_fraction[1], 100.0 * d->move_fraction[2],
      ENV_MAX_SUBSTEPS,
      rel ? "each action starts from the hand_pos it sees"
          : "repeating the target keeps closing the gap");
  put(out, outsz, &n,
      " Each step earns a reward in [0, 10]; Return sums the rewards until the episode ends. "
      "Success ends the episode, so a quick success can have a lower Return than a slow one: "
      "success comes first, and Return only tells how close a failure came.");
  if (c->hints == ENV_HINTS_EXPERT) {
    put(out, outsz, &n, " %s", d->hint_doc);
  }
}

int env_describe(const envSpec *spec, const envConfig *cfg, envDescription *out, char *err,
                 size_t errsz) {
  if (spec == NULL || out == NULL) {
    tb_setErr(err, errsz, "env_describe: NULL %s", spec == NULL ? "spec" : "description");
    return TB_EINVAL;
  }
  envConfig c;
  if (cfg != NULL) {
    c = *cfg;
  } else {
    env_defaultConfig(&c);
    c.horizon = spec->def->horizon;
  }
  memset(out, 0, sizeof *out);
  double depthCm = 0.0;
  int rc = measure(spec, out->move_fraction, &depthCm, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  const int rel = c.mode == ENV_RELATIVE;

  /* the hint (the same words whether the trace or the feedback shows it) */
  snprintf(out->hint_doc, sizeof out->hint_doc,
           "Each step also has a hint for you (the controller does not see it): the reward, "
           "and whether the hand moved toward the `expert target [x y z gripper]`: where a "
           "scripted expert would send hand_pos, and its gripper effort, from the observation "
           "before the step%s.",
           rel ? " (as a relative action: [x, y, z] - hand_pos)" : " (its absolute action)");

  /* the operations */
  snprintf(out->action_doc, sizeof out->action_doc,
           "Runs the controller code on obs and returns action[4]: %s, action[3] the gripper "
           "effort in [-1, 1] (+1 closes, -1 opens).",
           rel ? "action[0..2] moves the hand toward hand_pos + action[0..2] (metres)"
               : "action[0..2] is the target position of the hand origin (metres)");
  snprintf(out->step_doc, sizeof out->step_doc,
           "Executes the action: a P controller drives the hand toward the target (clipped to "
           "the workspace) for %d simulation steps, about %.0f%% of the way for a 10 cm move, "
           "while the gripper gets the effort; returns the next observation.",
           ENV_MAX_SUBSTEPS, 100.0 * out->move_fraction[1]);
  instruction(spec, &c, out, depthCm, out->instruction, sizeof out->instruction);
  return TB_OK;
}
