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
#define ENV_TASK_IDS 16  /* model objects a task's hooks may name (envTaskDef.objects) */
#define ENV_TASK_STATE 8 /* per-episode values a task may keep (envTask.taskState) */

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
  int tipR; /* site ids */
  int tipL;
  int handMocap; /* mocap ids */
  int goalMocap;
  int actR; /* actuator ids */
  int actL;
  int ids[ENV_TASK_IDS]; /* the task's objects, in the order of its row's list */
};

/* Observations the latency knob keeps: the current one and ENV_PERTURB_MAX_LATENCY before. */
#define ENV_PERTURB_RING (ENV_PERTURB_MAX_LATENCY + 1)

/* One worker's perturbation state (perturb.c). */
typedef struct envTaskPerturb {
  mjModel *model;          /* the task's own copy of the spec's model, made at the first
                              reset whose perturbation changes the model; NULL before */
  envPerturbValues values; /* drawn for this episode */
  double gainScale;        /* 1 unless the gain knob is on */
  uint64_t stream;         /* the episode's per-step random stream (noise, pushes) */
  int seen; /* true observations of the episode remembered for the latency (0: none yet) */
  obs_t past[ENV_PERTURB_RING]; /* observation k (0: after reset, then one per env step) at
                                   past[k % ENV_PERTURB_RING] */
} envTaskPerturb;

/* One worker's episode state. */
struct envTask {
  const envSpec *spec;
  simWorld *world;
  envConfig cfg;
  uint64_t seed;
  int step;          /* macro-steps done in this episode */
  double closest;    /* smallest goal distance (the task's measure) after an env step */
  double objInit[3]; /* obj_pos (object slot 1) after reset */
  double tcpInit[3]; /* fingertip midpoint after reset */
  double goal[3];
  double grip; /* last gripper effort commanded */
  /* the task's own per-episode values (its afterStep keeps them): zero after reset */
  double taskState[ENV_TASK_STATE];
  envStepHook hook;
  void *hookUser;
  envTaskPerturb perturb; /* the episode's perturbation (perturb.c) */
};

/* ---- perturbations (perturb.c) ---- */

/* Checks p, draws the episode's values for seed and applies what changes the model:
 * restores the task's own model to the spec's values and scales them; the first time a
 * perturbation needs it, makes that model and moves the task to a world on it. Call
 * before the physics is reset. Errors: TB_EINVAL (a bad p: nothing changed), TB_ENOMEM. */
int env_perturbBegin(envTask *task, const envPerturb *p, uint64_t seed, char *err, size_t errsz);

/* Turns the true observation obs (just taken, obs->step set) into what the controller
 * sees: the sensed fields of `latency` env steps ago, plus the observation noise. The
 * reset's call remembers obs as the episode's first observation. Does nothing without a
 * perturbation. */
void env_perturbSense(envTask *task, obs_t *obs);

/* After each env step of an episode (not reset's settling), when env_perturbDelays says the
 * latency knob is on: remembers now, the true observation, for the delayed ones. */
int env_perturbDelays(const envTask *task);
void env_perturbStep(envTask *task, const obs_t *now);

/* The start of a macro-step: maybe pushes the object, and adds the action noise to the
 * hand target. Does nothing without a perturbation. */
void env_perturbCommand(envTask *task, double target[3]);

/* Frees the task's own model (env_free). Nullable parts. */
void env_perturbClose(envTask *task);

/* The row of a task id, or NULL if there is no such task (tasks.c). */
const envTaskDef *env_taskDef(envTaskId id);

/* The expert of a row (expert, or expertOf for a task registered at run time). */
void env_defExpert(const envTaskDef *def, const obs_t *obs, double action[4]);

/* Appends rows to the table (tasks registered at run time get the ids after the
 * built-in ones, in order). The rows must stay valid while the process runs; their names
 * must be new (the caller checks). Not thread-safe: register before other threads use
 * the table. Errors: TB_ENOMEM. */
int env_registerTasks(const envTaskDef *const *defs, int n, char *err, size_t errsz);

/* env_makeSpec for a row that need not be in the table yet (what the plug-in loader
 * checks a task with), under id. */
envSpec *env_makeSpecOf(const envTaskDef *def, envTaskId id, char *err, size_t errsz);

/* Object and goal draws for a seed: the draw of task id (which must exist). */
void env_drawTask(envTaskId id, uint64_t seed, double obj[3], double goal[3]);

/* Reward in [0, 10] and success (nullable) of the task's current physics state. */
double env_taskReward(const envTask *task, int *success);

/* The model of a task (scene.c): the shared scene with the sections of objectsXml (an
 * MJCF document, nullable: none) appended; what names the task in messages.
 * Ownership: sim_freeModel. Errors: NULL, message in err (an objects document that is not
 * one <mujoco> element or has a section that would change the shared physics, or a model
 * that does not compile). */
mjModel *env_loadTaskModel(const char *objectsXml, const char *what, char *err, size_t errsz);

/* The observation without the object slots (zero): hand, gripper, goal, step, horizon. */
void env_observeRobot(const envTask *task, obs_t *obs);

/* The fingertip midpoint (TCP) in world coordinates. */
void env_tcp(const envTask *task, double tcp[3]);

/* x limited to [lo, hi]. */
double env_clamp(double x, double lo, double hi);

#endif /* TRACEBOT_ENVS_INTERNAL_H */
