/* Private to envs/: what defines a task, and the pieces the task files share.
 *
 * A task is one file, envs/tasks/<stem>.c, defining `const envTaskDef env_task<Name>`,
 * plus its scripted expert envs/experts/<stem>.c and the MJCF of its objects
 * (envs/objects/<name>.xml, which tasks may share), one line in the table of tasks.c and
 * one word in the lists of envs/CMakeLists.txt (envs/README.md, "Adding a task"). The
 * generic code (envs.c, tasks.c, scene.c) reaches a task only through its row.
 */
#ifndef TRACEBOT_ENVS_TASK_H
#define TRACEBOT_ENVS_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "envs_internal.h"

/* A named object of a task's model that its hooks use (envTaskDef.objects). */
typedef struct envObjectRef {
  int type;         /* mjtObj: mjOBJ_BODY, mjOBJ_JOINT, mjOBJ_SITE, mjOBJ_GEOM, ... */
  const char *name; /* NULL ends a list */
} envObjectRef;

/* Everything that differs between tasks. Every field is required unless it says nullable. */
struct envTaskDef {
  const char *name;        /* what --task takes: unique, [a-z0-9-] ("pick-place") */
  const char *instruction; /* the task's own sentences: the goal, what counts as success and
                              what each object slot holds (env_describe adds what every
                              task shares, for a run's settings) */
  int horizon;             /* default macro-steps per episode */
  double gain;             /* P gain of the macro-step controller */
  /* Where the hand target starts each episode (the arm settles there). Nullable:
   * env_handInit, (0, 0.6, 0.2). */
  const double *handInit;

  /* The task's objects: an MJCF document (<mujoco>...</mujoco>) whose sections are
   * appended to the shared scene's (scene.c; envs/README.md, "Objects"). Nullable: none. */
  const char *objectsXml;
  /* The model objects the hooks use, ended by {0, NULL}: env_makeSpec resolves entry i
   * into spec->ids[i] (at most ENV_TASK_IDS), or fails naming the missing one. Nullable. */
  const envObjectRef *objects;

  /* The episode's object position and goal for a seed (deterministic, no other input
   * than the seed and the row itself). */
  void (*draw)(const envTaskDef *def, uint64_t seed, double obj[3], double goal[3]);
  /* Puts the objects where the draw says (obj), at rest, after the arm has settled; the
   * physics is forwarded after it. */
  void (*place)(envTask *task, const double obj[3]);
  /* Fills the observation's object slots (obj_pos, obj_quat, obj2_pos, obj2_quat; all
   * zero before the call). */
  void (*observeObjects)(const envTask *task, obs_t *obs);
  /* Updates the task's per-episode values (task->taskState) after every env step.
   * Nullable: the task keeps none. */
  void (*afterStep)(envTask *task);
  /* Reward in [0, 10] and success (nullable) of the current physics state. */
  double (*reward)(const envTask *task, int *success);
  /* How far the task is from done in metres, by its own measure (the episode keeps the
   * smallest value, envTask.closest, for the feedback). */
  double (*goalDistance)(const envTask *task);

  /* The scripted expert (a relative-mode action) and the file it is compiled from, whose
   * bytes are embedded at build time: fill these with ENV_EXPERT_FIELDS. A task
   * registered at run time sets expertOf instead of expert (its expert needs the row),
   * names its expert as it likes and points at a source it holds. */
  void (*expert)(const obs_t *obs, double action[4]);
  void (*expertOf)(const envTaskDef *def, const obs_t *obs, double action[4]);
  const char *expertPath; /* "envs/experts/<stem>.c", relative to the source tree */
  const char *expertSource;
  const size_t *expertSourceLen;

  /* Writes the hint of a finished macro-step into res->hint (res->obs, reward and success
   * are set; before is the observation the step started from, grip its gripper effort).
   * Nullable: no hint. */
  void (*hint)(const envTask *task, const obs_t *before, double grip, envStepResult *res);
  /* Writes one line about the episode so far for the feedback on a failed episode
   * (truncated to outsz). Nullable: nothing to say. */
  void (*feedback)(const envTask *task, char *out, size_t outsz);

  /* The path of the plug-in that registered the task; NULL for a built-in task. */
  const char *plugin;
};

/* The expert fields of a row: fn is the controller of envs/experts/<stem>.c compiled into
 * the task file, the source that file's copy embedded by envs/CMakeLists.txt (declare it
 * first with ENV_EXPERT_SOURCE(stem)). One stem names both, so they cannot disagree. */
#define ENV_EXPERT_SOURCE(stem)             \
  extern const char env_expertSrc_##stem[]; \
  extern const size_t env_expertSrc_##stem##_len
#define ENV_EXPERT_FIELDS(stem, fn)                                                               \
  .expert = (fn), .expertPath = "envs/experts/" #stem ".c", .expertSource = env_expertSrc_##stem, \
  .expertSourceLen = &env_expertSrc_##stem##_len

/* The objects document objects/<name>.xml as embedded by envs/CMakeLists.txt (ENV_OBJECTS):
 * declare it with ENV_OBJECTS_XML(name), use it as env_objectsXml_<name>. */
#define ENV_OBJECTS_XML(name) extern const char env_objectsXml_##name[]

/* ---- draws ------------------------------------------------------------------------------ */

/* The random stream of an episode: state for env_uniform from the seed. */
uint64_t env_seedState(uint64_t seed);

/* A uniform draw in [lo, hi) from the stream (splitmix64). */
double env_uniform(uint64_t *state, double lo, double hi);

/* ---- articulated objects (door, drawer, button, window) ---------------------------------- */
/* The slots below are indexes into the row's objects (spec->ids). */

/* place for an object on a fixture: the mocap body `body` at pos, its one-dof joint `joint`
 * (a hinge or a slide) at q and at rest. */
void env_placeFixture(envTask *task, int body, const double pos[3], int joint, double q);

/* The position of the one-dof joint `joint` (rad or m). */
double env_jointPos(const envTask *task, int joint);

/* The world position of the site `site` and the orientation (w x y z) of the body `body`
 * (valid until the next step). */
const double *env_sitePos(const envTask *task, int site);
const double *env_bodyQuat(const envTask *task, int body);

/* place for a free object (the puck, the peg): its free joint `joint` at pos, upright and
 * at rest. */
void env_placeFree(envTask *task, int joint, const double pos[3]);

/* ---- distances and reward terms ---------------------------------------------------------- */

/* goalDistance: fingertip midpoint to goal. */
double env_tcpToGoal(const envTask *task);

/* Euclidean distance of two points. */
double env_dist3(const double a[3], const double b[3]);

/* 1 inside [lo, hi]; outside, 1 / (1 + 9 u^2) with u the distance to the bound in
 * margins (0.1 at one margin); 0 outside when margin is not positive. */
double env_tolerance(double x, double lo, double hi, double margin);

/* Hamacher product of two values in [0, 1]. */
double env_hamacher(double a, double b);

/* ---- the puck (reach, push, pick-place: puck.c) ------------------------------------------ */

/* The puck's objects document (objects/puck.xml, embedded) and the objects its hooks use:
 * spec->ids[ENV_PUCK_BODY], spec->ids[ENV_PUCK_JOINT] (its free joint). */
#define ENV_PUCK_REST_Z 0.02 /* the puck's centre at rest on the table */
ENV_OBJECTS_XML(puck);
extern const envObjectRef env_puckObjects[];
enum { ENV_PUCK_BODY = 0, ENV_PUCK_JOINT = 1 };

/* The sentence of a puck task's instruction that says what the object slots hold. */
#define ENV_PUCK_SLOTS_TEXT                                                                \
  " obj_pos is the centre of the puck (a cylinder of radius 2 cm resting with its centre " \
  "at z = 0.02) and obj_quat its orientation (w x y z); gripper_distance_apart is about "  \
  "0.4-0.5 while the fingers hold it; obj2_pos and obj2_quat are zero."

/* The object fields of a puck task's row. */
#define ENV_PUCK_FIELDS                                                                  \
  .objectsXml = env_objectsXml_puck, .objects = env_puckObjects, .place = env_placePuck, \
  .observeObjects = env_observePuck

/* draw: the puck at rest at x [-0.1, 0.1], y [0.6, 0.7]; the goal at x [-0.1, 0.1],
 * y [0.8, 0.9], and z [0.05, 0.3] (in the air) or z 0.02 (on the table, not drawn);
 * redrawn until 0.15 apart in xy. */
void env_drawGoalInAir(const envTaskDef *def, uint64_t seed, double obj[3], double goal[3]);
void env_drawGoalOnTable(const envTaskDef *def, uint64_t seed, double obj[3], double goal[3]);

/* place: the puck upright and at rest at obj. */
void env_placePuck(envTask *task, const double obj[3]);

/* observeObjects: the puck's position and orientation in slot 1. */
void env_observePuck(const envTask *task, obs_t *obs);

/* goalDistance: puck centre to goal. */
double env_puckToGoal(const envTask *task);

/* The terms the puck tasks build their rewards from (envs/README.md). */
typedef struct envPuckTerms {
  double tcpToObj;  /* fingertip midpoint to puck centre */
  double objToGoal; /* puck centre to goal */
  double inPlace;   /* tolerance of objToGoal: [0, 0.05], margin |objInit - goal| */
  double grasp;     /* the caging/grasp term in [0, 1] */
  int liftedNow;    /* the puck is more than 1 cm above its start */
} envPuckTerms;
void env_puckTerms(const envTask *task, envPuckTerms *t);

/* ---- texts -------------------------------------------------------------------------------- */

/* hint: the expert's hint (envs/README.md, "Hints"), from the row's expert. */
void env_expertHint(const envTask *task, const obs_t *before, double grip, envStepResult *res);

/* Writes "closest <what>-to-goal distance D m (success needs NEED m), E m now" and returns
 * its length as snprintf does (the start of a feedback line). */
int env_writeClosest(const envTask *task, const char *what, double need, char *out, size_t outsz);

#endif /* TRACEBOT_ENVS_TASK_H */
