/* envs/tasks.c: what differs between reach, push and pick-place: names, texts,
 * randomization, reward and success (numbers from tasks.md). */
#include <math.h>
#include <string.h>

#include "envs_internal.h"

const double env_handInit[3] = {0.0, 0.6, 0.2};
const double env_handLow[3] = {-0.5, 0.40, 0.05};
const double env_handHigh[3] = {0.5, 1.0, 0.5};

static const char *const names[ENV_NTASKS] = {"reach", "push", "pick-place"};

static const char *const expertPaths[ENV_NTASKS] = {"envs/experts/reach.c", "envs/experts/push.c",
                                                    "envs/experts/pick_place.c"};

/* The part of every instruction that explains the observation and the action. */
#define COMMON_TEXT                                                                          \
  " The controller is called once per step, `horizon` times per episode (obs->step counts "  \
  "from 0), and the episode ends early on success. The observation obs holds hand_pos[3] "   \
  "(the hand origin in metres; the fingertips are 4.5 cm below it), "                        \
  "gripper_distance_apart (1 fully open, about 0.3 closed on nothing, about 0.4-0.5 "        \
  "holding the puck), obj_pos[3] and obj_quat[4] (w x y z) of the puck (a cylinder of "      \
  "radius 2 cm resting with its centre at z = 0.02), and goal_pos[3]. The table top is at "  \
  "z = 0; the hand stays inside x [-0.5, 0.5], y [0.4, 1.0], z [0.05, 0.5]. The action is "  \
  "relative: action[0..2] is the displacement of the hand in metres (the target hand + "     \
  "action is clipped to that box, and the hand moves at most 1 cm per axis per 12.5 ms, up " \
  "to 20 such moves per step), and action[3] is the gripper effort in [-1, 1]: +1 closes "   \
  "the fingers (squeezing whatever is between them), -1 opens them, 0 lets them relax "      \
  "open slowly."

static const char *const instructions[ENV_NTASKS] = {
    "Reach: move the robot's fingertips to the goal position (within 5 cm) and keep them "
    "there; the puck on the table plays no role." COMMON_TEXT,
    "Push: move the puck on the table so that its centre ends within 5 cm of the goal "
    "position, which lies on the table surface; the puck can be pushed or dragged with the "
    "fingers around it." COMMON_TEXT,
    "Pick-place: grasp the puck with the gripper, lift it off the table and bring it within "
    "7 cm of the goal position, which may be in the air; the puck must have been lifted "
    "more than 1 cm for the episode to count as a success." COMMON_TEXT};

const char *env_name(envTaskId id) {
  if ((int)id < 0 || id >= ENV_NTASKS) {
    return NULL;
  }
  return names[id];
}

int env_taskCount(void) {
  return ENV_NTASKS;
}

const char *env_taskList(void) {
  return "reach, push, pick-place";
}

int env_lookup(const char *name) {
  if (!name) {
    return -1;
  }
  for (int i = 0; i < ENV_NTASKS; i++) {
    if (strcmp(name, names[i]) == 0) {
      return i;
    }
  }
  return -1;
}

const char *env_instruction(envTaskId id) {
  if ((int)id < 0 || id >= ENV_NTASKS) {
    return NULL;
  }
  return instructions[id];
}

const char *env_expertPath(envTaskId id) {
  if ((int)id < 0 || id >= ENV_NTASKS) {
    return NULL;
  }
  return expertPaths[id];
}

/* ---- randomization -------------------------------------------------------------------- */

/* splitmix64: a small, well-mixed generator; the whole episode stream comes from seed. */
static uint64_t nextRandom(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static double uniform(uint64_t *state, double lo, double hi) {
  double u = (double)(nextRandom(state) >> 11) * (1.0 / 9007199254740992.0); /* [0, 1) */
  return lo + (hi - lo) * u;
}

void env_drawTask(envTaskId id, uint64_t seed, double obj[3], double goal[3]) {
  uint64_t state = seed ^ 0x7472616365626f74ull; /* "tracebot" */
  do {
    obj[0] = uniform(&state, -0.1, 0.1);
    obj[1] = uniform(&state, 0.6, 0.7);
    obj[2] = ENV_PUCK_REST_Z;
    goal[0] = uniform(&state, -0.1, 0.1);
    goal[1] = uniform(&state, 0.8, 0.9);
    goal[2] = id == ENV_PUSH ? ENV_PUCK_REST_Z : uniform(&state, 0.05, 0.3);
  } while (hypot(obj[0] - goal[0], obj[1] - goal[1]) < 0.15);
}

/* ---- reward --------------------------------------------------------------------------- */

static double dist3(const double a[3], const double b[3]) {
  double dx = a[0] - b[0];
  double dy = a[1] - b[1];
  double dz = a[2] - b[2];
  return sqrt(dx * dx + dy * dy + dz * dz);
}

/* 1 inside [lo, hi]; outside, 1 / (1 + 9 u^2) with u the distance to the bound in
 * margins (0.1 at one margin). */
static double tolerance(double x, double lo, double hi, double margin) {
  if (x >= lo && x <= hi) {
    return 1.0;
  }
  if (!(margin > 0.0)) {
    return 0.0;
  }
  double u = (x < lo ? lo - x : x - hi) / margin;
  return 1.0 / (1.0 + 9.0 * u * u);
}

/* Hamacher product of two values in [0, 1]. */
static double hamacher(double a, double b) {
  double den = a + b - a * b;
  return den > 0.0 ? a * b / den : 0.0;
}

static double clamp(double x, double lo, double hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

/* Caging/grasp term in [0, 1] (our simpler version, see envs/README.md): how close
 * the fingertip midpoint is to the puck centre, times how far the fingers have
 * closed (half credit when open). Monotone in both. */
static double graspTerm(const envTask *task, const double tcp[3], const double obj[3],
                        double spread) {
  double margin = fmax(dist3(task->tcpInit, task->objInit), 0.02);
  double over = tolerance(dist3(tcp, obj), 0.0, 0.02, margin);
  double closing = clamp((1.0 - spread) / 0.5, 0.0, 1.0);
  return over * (0.5 + 0.5 * closing);
}

void env_tcp(const envTask *task, double tcp[3]) {
  const mjData *d = sim_data(task->world);
  const double *r = d->site_xpos + 3 * task->spec->tipR;
  const double *l = d->site_xpos + 3 * task->spec->tipL;
  for (int i = 0; i < 3; i++) {
    tcp[i] = 0.5 * (r[i] + l[i]);
  }
}

double env_taskReward(const envTask *task, int *success) {
  const envSpec *s = task->spec;
  const mjData *d = sim_data(task->world);
  double tcp[3];
  env_tcp(task, tcp);
  const double *obj = d->xpos + 3 * s->puck;
  const double *goal = task->goal;
  double reward = 0.0;
  int ok = 0;

  if (s->id == ENV_REACH) {
    double dist = dist3(tcp, goal);
    reward = 10.0 * tolerance(dist, 0.0, 0.05, dist3(env_handInit, goal));
    ok = dist <= 0.05;
  } else {
    const double *fr = d->xpos + 3 * s->fingerR;
    const double *fl = d->xpos + 3 * s->fingerL;
    double spread = clamp(dist3(fr, fl) / 0.1, 0.0, 1.0);
    double objToGoal = dist3(obj, goal);
    double inPlace = tolerance(objToGoal, 0.0, 0.05, dist3(task->objInit, goal));
    double grasp = graspTerm(task, tcp, obj, spread);
    double tcpToObj = dist3(tcp, obj);
    int liftedNow = obj[2] - task->objInit[2] > 0.01;
    if (s->id == ENV_PUSH) {
      reward = tcpToObj < 0.02 ? 4.0 * grasp + 1.0 + 5.0 * inPlace : 2.0 * grasp;
      ok = objToGoal <= 0.05;
    } else {
      reward = hamacher(grasp, inPlace);
      if (tcpToObj < 0.02 && liftedNow) {
        reward += 1.0 + 5.0 * inPlace;
      }
      ok = objToGoal <= 0.07 && (task->lifted || liftedNow);
    }
    /* at the goal: full reward (for pick-place only once the puck has been lifted) */
    if (objToGoal < 0.05 && (s->id == ENV_PUSH || task->lifted || liftedNow)) {
      reward = 10.0;
    }
  }
  if (success) {
    *success = ok;
  }
  return clamp(reward, 0.0, 10.0);
}
