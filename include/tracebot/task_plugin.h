/* tracebot task plug-in ABI: the only header a task author needs.
 *
 * A task plug-in is a shared object (built with -fPIC -shared) that exports one C function,
 *
 *     const envPlugin *tracebot_task_init(const envPluginHost *host);
 *
 * `--task-plugin PATH.so` (on every command) makes tracebot dlopen() the object with
 * RTLD_NOW | RTLD_LOCAL, look up that one symbol and call it once. tracebot checks the
 * returned struct's abi_version, struct_size and task_size before touching anything else,
 * then checks every task it lists: the fields, a name no other task has, and its objects:
 * the shared scene (arm, gripper, table, goal marker) with the task's MJCF appended must
 * compile and hold every named object. Only then are the tasks registered, after the
 * built-in ones (their ids follow the built-in ids, in the plug-in's order, plug-ins in the
 * order given). Any failure unloads the object and is one line naming the cause, e.g.
 *     "task plug-in ./x.so: ABI version 3, tracebot speaks 1"
 *     "task plug-in ./x.so: missing entry symbol tracebot_task_init"
 *     "task plug-in ./x.so: task push: a task of that name exists"
 * The returned struct and everything it points to must stay valid while the process runs
 * (a static const struct is the usual choice); tracebot never unloads a registered plug-in.
 *
 * Trust. A plug-in runs inside the tracebot process, the trusted parent, with all of its
 * rights, like a robot driver: load only plug-ins you would run. The controllers being
 * trained never see it: they run in the sandbox, which loads no plug-in; they only receive
 * the observations the task fills.
 *
 * What a task is (tracebot's envs/README.md has the built-in ones): per episode, draw(seed)
 * gives the object's start and the goal; tracebot resets the physics, moves the goal
 * marker, lets the arm settle, calls place() to put the objects, and then, per macro-step,
 * runs its P controller toward the controller's target, calling after_step() after every
 * env step, and observe(), reward() and goal_distance() after the macro-step. Hints come
 * from the expert. Units: metres, radians, the world frame of the robot base (x to the
 * robot's right, y away from it, z up; the table top at z = 0); quaternions w x y z.
 *
 * Calls come from one thread per episode; tasks of different episodes may run on several
 * threads at once, so a task keeps its per-episode values in host->state(env), not in
 * globals. An envPluginEnv is valid only during the call it is passed to.
 */
#ifndef TRACEBOT_TASK_PLUGIN_H
#define TRACEBOT_TASK_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI this header describes. Bump on any incompatible change. */
#define ENV_PLUGIN_ABI_VERSION 1u

/* Name of the one symbol a plug-in exports (type envPluginInitFn). */
#define ENV_PLUGIN_ENTRY "tracebot_task_init"

#define ENV_PLUGIN_MAX_TASKS 64   /* tasks one plug-in may list */
#define ENV_PLUGIN_MAX_OBJECTS 16 /* named objects one task may list */
#define ENV_PLUGIN_STATE 8        /* per-episode values of host->state */

/* The observation as a controller sees it: the layout of obs_t (tracebot/controller.h).
 * Object slots hold what the task's instruction says; unused ones are zero. */
typedef struct envPluginObs {
  double hand_pos[3];            /* hand origin (the fingertips are 4.5 cm below it) */
  double gripper_distance_apart; /* 1 open ... about 0.3 closed on nothing */
  double obj_pos[3];             /* object slot 1: position */
  double obj_quat[4];            /* object slot 1: orientation, w x y z */
  double goal_pos[3];            /* the goal of the episode */
  int step;                      /* macro-step index, 0 .. horizon - 1 */
  int horizon;                   /* controller calls in the episode */
  double obj2_pos[3];            /* object slot 2: position */
  double obj2_quat[4];           /* object slot 2: orientation, w x y z */
} envPluginObs;

/* One episode of a task: opaque, passed to the task's functions, valid during the call. */
typedef struct envPluginEnv envPluginEnv;

/* Kinds of named model objects (envPluginObject.kind). */
enum { ENV_PLUGIN_BODY = 1, ENV_PLUGIN_JOINT = 2, ENV_PLUGIN_SITE = 3, ENV_PLUGIN_GEOM = 4 };

/* A model object the task's functions refer to by its index in the task's list. */
typedef struct envPluginObject {
  int kind;         /* ENV_PLUGIN_BODY, ... */
  const char *name; /* its name in the model; NULL ends a list */
} envPluginObject;

/* What tracebot offers a task: passed to the entry function (keep the pointer). */
typedef struct envPluginHost {
  uint32_t abi_version; /* ENV_PLUGIN_ABI_VERSION of the host */
  uint32_t struct_size; /* sizeof(envPluginHost) of the host */

  /* The random stream of a seed, and a uniform draw in [lo, hi) from it (what the
   * built-in tasks draw with; deterministic). */
  uint64_t (*seed_state)(uint64_t seed);
  double (*uniform)(uint64_t *state, double lo, double hi);

  /* The observation without the object slots (they are zero): the hand, the gripper, the
   * goal, step and horizon. Not from the task's own observe. */
  void (*observe)(const envPluginEnv *env, envPluginObs *obs);
  /* The fingertip midpoint (4.5 cm below the hand origin). */
  void (*tcp)(const envPluginEnv *env, double tcp[3]);
  /* The gripper effort last commanded, in [-1, 1] (+1 closes). */
  double (*effort)(const envPluginEnv *env);
  /* Object `object` of the task's list: position and orientation (w x y z; quat may be
   * NULL). A body's frame origin, a site's or geom's centre, a joint's anchor (with its
   * body's orientation). An index out of range gives zeros. */
  void (*pose)(const envPluginEnv *env, int object, double pos[3], double quat[4]);
  /* A joint of the list: its position values into qpos (7 for a free joint: position
   * then w x y z; 4 for a ball; 1 for a hinge or slide; qpos may be NULL); returns how
   * many, 0 when object is not a joint of the list. */
  int (*joint)(const envPluginEnv *env, int object, double *qpos);
  /* The task's per-episode values: ENV_PLUGIN_STATE doubles, zero after each reset
   * (write them in after_step and place only). */
  double *(*state)(const envPluginEnv *env);

  /* From place() only: sets a joint of the list to qpos (as joint() counts them) at rest,
   * or moves a mocap body of the list to pos (and quat, w x y z, unless NULL). Others are
   * ignored. */
  void (*set_joint)(envPluginEnv *env, int object, const double *qpos);
  void (*set_mocap)(envPluginEnv *env, int object, const double pos[3], const double quat[4]);

  /* The reward terms of the built-in tasks: 1 inside [lo, hi], outside 1 / (1 + 9 u^2)
   * with u the distance to the bound in margins (0.1 at one margin; 0 when margin <= 0);
   * the Hamacher product of two values in [0, 1]. */
  double (*tolerance)(double x, double lo, double hi, double margin);
  double (*hamacher)(double a, double b);
} envPluginHost;

/* One task. Every field is required unless it says nullable. */
typedef struct envPluginTask {
  const char *name; /* what --task takes: [a-z0-9-], 1..48 characters, unique */
  /* The task's own text for the optimizer: the goal, what success needs, and what each
   * object slot holds (and which are zero). tracebot appends the common part that
   * explains the observation's layout and the action. */
  const char *instruction;
  int horizon; /* default macro-steps per episode, 1 .. 10000 */
  double gain; /* P gain of the macro-step controller, (0, 100] (the built-ins use 5 .. 25) */
  /* Where the hand starts each episode, inside x [-0.5, 0.5], y [0.4, 1.0], z [0.05, 0.5]
   * (the arm settles there before place()). Nullable: (0, 0.6, 0.2). */
  const double *hand_init;

  /* The task's objects: an MJCF document <mujoco>...</mujoco> whose sections are appended
   * to the shared scene's, so its bodies come after the scene's. It may add asset,
   * default, worldbody, contact, equality, tendon, actuator, sensor and custom sections,
   * not compiler, option, size, visual, statistic, keyframe, include or extension (the
   * scene's settings hold: angles in radians, timestep 2.5 ms). Names must not clash with
   * the scene's (hand, finger_r, finger_l, tip_r, tip_l, hand_target, goal, table, ...).
   * The default class "static" gives contype 1 / conaffinity 1, what the hand touches.
   * Contact by friction only is the rule of the built-in tasks. Nullable: no objects. */
  const char *objects_xml;
  /* The model objects the functions refer to by index; ended by {0, NULL}, at most
   * ENV_PLUGIN_MAX_OBJECTS. Nullable: none. */
  const envPluginObject *objects;

  /* The episode's object start and goal for a seed (deterministic, no other input). */
  void (*draw)(uint64_t seed, double obj[3], double goal[3]);
  /* Puts the objects at rest for the episode (obj: the draw's object start), with
   * set_joint and set_mocap, after the arm has settled; tracebot forwards the physics. */
  void (*place)(envPluginEnv *env, const double obj[3]);
  /* Fills the object slots of obs (obj_pos, obj_quat, obj2_pos, obj2_quat; zero before). */
  void (*observe)(const envPluginEnv *env, envPluginObs *obs);
  /* The reward in [0, 10] of the current state (clipped if outside), and success (0/1)
   * into *success. */
  double (*reward)(const envPluginEnv *env, int *success);
  /* How far the task is from done, in metres, by its own measure (the feedback shows the
   * episode's smallest value). */
  double (*goal_distance)(const envPluginEnv *env);
  /* Called after every env step (also while the arm settles): keeps per-episode values in
   * host->state. Nullable. */
  void (*after_step)(envPluginEnv *env);

  /* The scripted expert for relative mode: action[0..2] = its hand target - hand,
   * action[3] the gripper effort. tracebot's hints compare moves with it. */
  void (*expert)(const envPluginObs *obs, double action[4]);
  /* The same expert as controller source (the dialect of tracebot/controller.h: no
   * includes, `void controller(const obs_t *obs, double action[4])`), for `tracebot
   * bench` and users to read. */
  const char *expert_source;
  /* How `tracebot tasks` names the expert (e.g. a file of the plug-in's sources).
   * Nullable: the plug-in's path. */
  const char *expert_path;
  /* Writes one line about the episode so far, shown to the optimizer after a failed
   * episode (at most outsz bytes with the NUL). Nullable: nothing to say. */
  void (*feedback)(const envPluginEnv *env, char *out, size_t outsz);
} envPluginTask;

/* What the entry function returns. */
typedef struct envPlugin {
  uint32_t abi_version;       /* must equal ENV_PLUGIN_ABI_VERSION */
  uint32_t struct_size;       /* must be sizeof(envPlugin) */
  uint32_t task_size;         /* must be sizeof(envPluginTask) */
  int ntasks;                 /* 1 .. ENV_PLUGIN_MAX_TASKS */
  const envPluginTask *tasks; /* ntasks tasks */
} envPlugin;

/* The type of the entry symbol. Return NULL to refuse loading. */
typedef const envPlugin *(*envPluginInitFn)(const envPluginHost *host);

#ifdef __cplusplus
}
#endif

#endif /* TRACEBOT_TASK_PLUGIN_H */
