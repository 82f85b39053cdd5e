/* envs/task_common.c: the pieces the task files share (task.h): the scene's workspace,
 * the seeded draws, the puck's observation, distances and reward terms (envs/README.md), and
 * the start of a feedback line. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "task.h"

const double env_handInit[3] = {0.0, 0.6, 0.2};
const double env_handLow[3] = {-0.5, 0.40, 0.05};
const double env_handHigh[3] = {0.5, 1.0, 0.5};

double env_clamp(double x, double lo, double hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

/* ---- draws ------------------------------------------------------------------------------ */

uint64_t env_seedState(uint64_t seed) {
  return seed ^ 0x7472616365626f74ull; /* "tracebot" */
}

/* splitmix64: a small, well-mixed generator; the whole episode stream comes from seed. */
static uint64_t nextRandom(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double env_uniform(uint64_t *state, double lo, double hi) {
  double u = (double)(nextRandom(state) >> 11) * (1.0 / 9007199254740992.0); /* [0, 1) */
  return lo + (hi - lo) * u;
}

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

void env_drawGoalInAir(uint64_t seed, double obj[3], double goal[3]) {
  drawPuckAndGoal(seed, 1, obj, goal);
}

void env_drawGoalOnTable(uint64_t seed, double obj[3], double goal[3]) {
  drawPuckAndGoal(seed, 0, obj, goal);
}

/* ---- observation and distances ---------------------------------------------------------- */

void env_observePuck(const envTask *task, obs_t *obs) {
  const mjData *d = sim_data(task->world);
  int puck = task->spec->puck;
  memcpy(obs->obj_pos, d->xpos + 3 * puck, sizeof(obs->obj_pos));
  memcpy(obs->obj_quat, d->xquat + 4 * puck, sizeof(obs->obj_quat));
}

void env_tcp(const envTask *task, double tcp[3]) {
  const mjData *d = sim_data(task->world);
  const double *r = d->site_xpos + 3 * task->spec->tipR;
  const double *l = d->site_xpos + 3 * task->spec->tipL;
  for (int i = 0; i < 3; i++) {
    tcp[i] = 0.5 * (r[i] + l[i]);
  }
}

double env_dist3(const double a[3], const double b[3]) {
  double dx = a[0] - b[0];
  double dy = a[1] - b[1];
  double dz = a[2] - b[2];
  return sqrt(dx * dx + dy * dy + dz * dz);
}

double env_tcpToGoal(const envTask *task) {
  double tcp[3];
  env_tcp(task, tcp);
  return env_dist3(tcp, task->goal);
}

double env_puckToGoal(const envTask *task) {
  return env_dist3(sim_data(task->world)->xpos + 3 * task->spec->puck, task->goal);
}

/* ---- reward terms ----------------------------------------------------------------------- */

double env_tolerance(double x, double lo, double hi, double margin) {
  if (x >= lo && x <= hi) {
    return 1.0;
  }
  if (!(margin > 0.0)) {
    return 0.0;
  }
  double u = (x < lo ? lo - x : x - hi) / margin;
  return 1.0 / (1.0 + 9.0 * u * u);
}

double env_hamacher(double a, double b) {
  double den = a + b - a * b;
  return den > 0.0 ? a * b / den : 0.0;
}

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
  const double *obj = d->xpos + 3 * s->puck;
  const double *fr = d->xpos + 3 * s->fingerR;
  const double *fl = d->xpos + 3 * s->fingerL;
  double spread = env_clamp(env_dist3(fr, fl) / 0.1, 0.0, 1.0);
  t->objToGoal = env_dist3(obj, task->goal);
  t->inPlace = env_tolerance(t->objToGoal, 0.0, 0.05, env_dist3(task->objInit, task->goal));
  t->grasp = graspTerm(task, tcp, obj, spread);
  t->tcpToObj = env_dist3(tcp, obj);
  t->liftedNow = obj[2] - task->objInit[2] > 0.01;
}

/* ---- texts -------------------------------------------------------------------------------- */

int env_writeClosest(const envTask *task, const char *what, double need, char *out, size_t outsz) {
  return snprintf(out, outsz,
                  "closest %s-to-goal distance %.3f m (success needs %.2f m), %.3f m now", what,
                  task->closest, need, task->spec->def->goalDistance(task));
}
