/* Private to envs/: the spec and task structures and what the generic code and the task
 * files share (the task definition itself is in task.h). */
#ifndef TRACEBOT_ENVS_INTERNAL_H
#define TRACEBOT_ENVS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tracebot/envs.h"

/* Task constants (envs/README.md). */
#define ENV_ACTION_SCALE 0.01
#define ENV_FRAME_SKIP 5
#define ENV_SETTLE_STEPS 50
#define ENV_PUCK_REST_Z 0.02

extern const double env_handInit[3];
extern const double env_handLow[3];
extern const double env_handHigh[3];

/* One row of the task table (task.h). */
typedef struct envTaskDef envTaskDef;

/* Immutable per task: the compiled scene and the ids the env needs. */
struct envSpec {
  envTaskId id;
  const envTaskDef *def; /* the task's row */
  mjModel *m;
  int hand; /* body ids */
  int fingerR;
  int fingerL;
  int puck;
  int tipR; /* site ids */
  int tipL;
  int handMocap; /* mocap ids */
  int goalMocap;
  int puckQpos; /* qpos / qvel address of the puck's free joint */
  int puckDof;
  int actR; /* actuator ids */
  int actL;
};

/* One worker's episode state. */
struct envTask {
  const envSpec *spec;
  simWorld *world;
  envConfig cfg;
  uint64_t seed;
  int step;          /* macro-steps done in this episode */
  int lifted;        /* the puck has been above objInit z + 0.01 after some env step */
  double closest;    /* smallest goal distance (the task's measure) after an env step */
  double objInit[3]; /* puck position after reset */
  double tcpInit[3]; /* fingertip midpoint after reset */
  double goal[3];
  double grip; /* last gripper effort commanded */
  envStepHook hook;
  void *hookUser;
};

/* The row of a task id, or NULL if there is no such task (tasks.c). */
const envTaskDef *env_taskDef(envTaskId id);

/* Object and goal draws for a seed: the draw of task id (which must exist). */
void env_drawTask(envTaskId id, uint64_t seed, double obj[3], double goal[3]);

/* Reward in [0, 10] and success (nullable) of the task's current physics state. */
double env_taskReward(const envTask *task, int *success);

/* The fingertip midpoint (TCP) in world coordinates. */
void env_tcp(const envTask *task, double tcp[3]);

/* x limited to [lo, hi]. */
double env_clamp(double x, double lo, double hi);

#endif /* TRACEBOT_ENVS_INTERNAL_H */
