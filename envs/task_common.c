/* envs/task_common.c: the pieces the task files share (task.h): the scene's workspace,
 * the seeded draws, distances and reward terms (envs/README.md), and the start of a
 * feedback line. The puck's pieces are in puck.c. */
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

/* ---- distances ---------------------------------------------------------- */

void env_tcp(const envTask *task, double tcp[3]) {
  const mjData *d = sim_data(task->world);
  const double *r = d->site_xpos + 3 * task->spec->tipR;
  const double *l = d->site_xpos + 3 * task->spec->tipL;
  for (int i = 0; i < 3; i++) {
    tcp[i] = 0.5 * (r[i] + l[i]);
  }
}

void env_placeFixture(envTask *task, int body, const double pos[3], int joint, double q) {
  const mjModel *m = task->spec->m;
  mjData *d = sim_data(task->world);
  memcpy(d->mocap_pos + 3 * m->body_mocapid[task->spec->ids[body]], pos, 3 * sizeof(double));
  int j = task->spec->ids[joint];
  d->qpos[m->jnt_qposadr[j]] = q;
  d->qvel[m->jnt_dofadr[j]] = 0.0;
}

double env_jointPos(const envTask *task, int joint) {
  const mjModel *m = task->spec->m;
  return sim_data(task->world)->qpos[m->jnt_qposadr[task->spec->ids[joint]]];
}

const double *env_sitePos(const envTask *task, int site) {
  return sim_data(task->world)->site_xpos + 3 * task->spec->ids[site];
}

const double *env_bodyQuat(const envTask *task, int body) {
  return sim_data(task->world)->xquat + 4 * task->spec->ids[body];
}

void env_placeFree(envTask *task, int joint, const double pos[3]) {
  const mjModel *m = task->spec->m;
  mjData *d = sim_data(task->world);
  int j = task->spec->ids[joint];
  double *q = d->qpos + m->jnt_qposadr[j];
  q[0] = pos[0];
  q[1] = pos[1];
  q[2] = pos[2];
  q[3] = 1.0;
  q[4] = q[5] = q[6] = 0.0;
  memset(d->qvel + m->jnt_dofadr[j], 0, 6 * sizeof(double));
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

/* ---- texts -------------------------------------------------------------------------------- */

int env_writeClosest(const envTask *task, const char *what, double need, char *out, size_t outsz) {
  return snprintf(out, outsz,
                  "closest %s-to-goal distance %.3f m (success needs %.2f m), %.3f m now", what,
                  task->closest, need, task->spec->def->goalDistance(task));
}
