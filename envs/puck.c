/* envs/puck.c: the puck that reach, push and pick-place share (task.h): its objects, draws,
 * placement, observation, distance and reward terms (envs/README.md). */
#include <math.h>
#include <string.h>

#include "task.h"

const envObjectRef env_puckObjects[] = {
    {mjOBJ_BODY, "puck"},  /* ENV_PUCK_BODY */
    {mjOBJ_JOINT, "puck"}, /* ENV_PUCK_JOINT, a free joint */
    {0, NULL},
};

/* ---- draws and placement ----------------------------------------------------------------- */

/* The puck and goal draws of task.h; on the table, the goal height takes no draw. */
static void drawPuckAndGoal(uint64_t seed, int goalInAir, double obj[3], double goal[3]) {
  uint64_t state = env_seedState(seed);
  do {
    obj[0] = env_uniform(&state, -0.1, 0.1);
    obj[1] = env_uniform(&state, 0.6, 0.7);
    obj[2] = ENV_PUCK_REST_Z;
    goal[0] = env_uniform(&state, -0.1, 0.1);
    goal[1] = env_uniform(&state, 0.8, 0.9);
    goal[2] = goalInAir ? env_uniform(&state, 0.05, 0.3) : ENV_PUCK_REST_Z;
  } while (hypot(obj[0] - goal[0], obj[1] - goal[1]) < 0.15);
}

void env_drawGoalInAir(const envTaskDef *def, uint64_t seed, double obj[3], double goal[3]) {
  (void)def;
  drawPuckAndGoal(seed, 1, obj, goal);
}

void env_drawGoalOnTable(const envTaskDef *def, uint64_t seed, double obj[3], double goal[3]) {
  (void)def;
  drawPuckAndGoal(seed, 0, obj, goal);
}

void env_placePuck(envTask *task, const double obj[3]) {
  env_placeFree(task, ENV_PUCK_JOINT, obj);
}

/* ---- observation and distances ------------------------------------------------------------ */

/* The puck centre in world coordinates. */
static const double *puckPos(const envTask *task) {
  return sim_data(task->world)->xpos + 3 * task->spec->ids[ENV_PUCK_BODY];
}

void env_observePuck(const envTask *task, obs_t *obs) {
  int puck = task->spec->ids[ENV_PUCK_BODY];
  memcpy(obs->obj_pos, puckPos(task), sizeof(obs->obj_pos));
  memcpy(obs->obj_quat, sim_data(task->world)->xquat + 4 * puck, sizeof(obs->obj_quat));
}

double env_puckToGoal(const envTask *task) {
  return env_dist3(puckPos(task), task->goal);
}

/* ---- reward terms --------------------------------------------------------------------------- */

/* Caging/grasp term in [0, 1] (our simpler version, see envs/README.md): how close
 * the fingertip midpoint is to the puck centre, times how far the fingers have
 * closed (half credit when open). Monotone in both. */
static double graspTerm(const envTask *task, const double tcp[3], const double obj[3],
                        double spread) {
  double margin = fmax(env_dist3(task->tcpInit, task->objInit), 0.02);
  double over = env_tolerance(env_dist3(tcp, obj), 0.0, 0.02, margin);
  double closing = env_clamp((1.0 - spread) / 0.5, 0.0, 1.0);
  return over * (0.5 + 0.5 * closing);
}

void env_puckTerms(const envTask *task, envPuckTerms *t) {
  const envSpec *s = task->spec;
  const mjData *d = sim_data(task->world);
  double tcp[3];
  env_tcp(task, tcp);
  const double *obj = puckPos(task);
  const double *fr = d->xpos + 3 * s->fingerR;
  const double *fl = d->xpos + 3 * s->fingerL;
  double spread = env_clamp(env_dist3(fr, fl) / 0.1, 0.0, 1.0);
  t->objToGoal = env_dist3(obj, task->goal);
  t->inPlace = env_tolerance(t->objToGoal, 0.0, 0.05, env_dist3(task->objInit, task->goal));
  t->grasp = graspTerm(task, tcp, obj, spread);
  t->tcpToObj = env_dist3(tcp, obj);
  t->liftedNow = obj[2] - task->objInit[2] > 0.01;
}
