/* envs: the tasks (reach, push, pick-place, ...) on one shared arm + gripper + table
 * scene. Tasks are rows of a table: ids run 0 .. env_taskCount() - 1, names and texts
 * come from the rows, and callers must not assume a fixed number of tasks (task plug-ins
 * add rows at run time, after the built-in ones).
 *
 * Lifecycle: an envSpec is immutable (the compiled MuJoCo model and task
 * constants) and may be shared by many workers; an envTask is one worker's
 * episode state (mjData, RNG, buffers) and is reused across episodes with
 * env_reset. Nothing on the step path allocates.
 *
 * Errors: functions return 0 or a negative TB_E* code and write a one-line
 * message into (err, errsz) when err is not NULL.
 */
#ifndef TRACEBOT_ENVS_H
#define TRACEBOT_ENVS_H

#include <stddef.h>
#include <stdint.h>

#include "tracebot/error.h"
#include "tracebot/controller.h" /* obs_t */
#include "tracebot/sim.h"        /* simWorld */

/* A task id: an index into the task table, 0 .. env_taskCount() - 1. The names are the
 * built-in rows that callers use as defaults; other tasks have ids but no names (find
 * them with env_lookup). */
typedef enum envTaskId { ENV_REACH = 0, ENV_PUSH, ENV_PICK_PLACE } envTaskId;

typedef enum envMode {
  ENV_RELATIVE = 0, /* target = hand + action[0:3] */
  ENV_ABSOLUTE      /* target = action[0:3] */
} envMode;

typedef enum envHints {
  ENV_HINTS_EXPERT = 0, /* per-step hint text from the scripted expert */
  ENV_HINTS_NONE
} envHints;

/* Errors (tracebot/error.h) returned here:
 *   TB_EINVAL: bad argument (unknown task, non-finite action, ...)
 *   TB_EMODEL: the model failed to compile or load
 *   TB_EPHYSICS: the simulation diverged (MuJoCo BADQACC/BADQPOS/BADQVEL)
 *   TB_ELOAD: a task plug-in could not be loaded or failed its checks
 *   TB_ENOMEM */

#define ENV_HINT_MAX 512    /* bytes of hint text per macro-step, NUL included */
#define ENV_MAX_SUBSTEPS 20 /* env steps the P controller may run per macro-step */

/* ---- perturbations (sim-to-real robustness) ------------------------------------------
 * A perturbation spec says which knobs are on and the range each is drawn from; every
 * episode draws its own values from its seed (env_perturbDraw), so a perturbed episode is
 * as reproducible as a plain one. The knobs (envs/README.md, "Perturbations"):
 *   friction      scale of the friction of every contact of the object and the pads
 *   mass          scale of the object's mass (and inertia)
 *   damping       scale of the damping of the task objects' non-free joints (articulated
 *                 objects; the puck has a free joint only, so today it changes nothing)
 *   gain          scale of the macro-step P controller's gain
 *   obs_noise     Gaussian noise (std, metres) on hand_pos and obj_pos of the observation
 *                 the controller sees; reward, success and hints use the true state
 *   action_noise  Gaussian noise (std, metres) on each axis of the commanded hand target
 *   latency       the controller sees the observation this many env steps (12.5 ms
 *                 each) late
 *   push          speed (m/s) of random horizontal pushes on the object: each macro-step,
 *                 with probability 1/4, its velocity changes by this much, in a random
 *                 direction
 * An all-zero envPerturb is "none": nothing is drawn and the episode is the plain one, bit
 * for bit. */
typedef enum envPerturbKnob {
  ENV_PERTURB_FRICTION = 0,
  ENV_PERTURB_MASS,
  ENV_PERTURB_DAMPING,
  ENV_PERTURB_GAIN,
  ENV_PERTURB_OBS_NOISE,
  ENV_PERTURB_ACTION_NOISE,
  ENV_PERTURB_LATENCY,
  ENV_PERTURB_PUSH,
  ENV_PERTURB_KNOBS /* how many knobs there are */
} envPerturbKnob;

#define ENV_PERTURB_MAX_LATENCY 40 /* env steps (0.5 s) */
#define ENV_PERTURB_TEXT_MAX 512   /* bytes of env_perturbText, NUL included */

/* Which knobs are on and their ranges: knob k is drawn from [lo[k], hi[k]] when bit k of
 * `on` is set (lo == hi: a fixed value). */
typedef struct envPerturb {
  unsigned on; /* bit (1u << k) per knob; 0: no perturbation */
  double lo[ENV_PERTURB_KNOBS];
  double hi[ENV_PERTURB_KNOBS];
} envPerturb;

/* The values one episode drew: value[k] for every knob, the neutral value (1 for the
 * scales, 0 otherwise) when the knob is off. */
typedef struct envPerturbValues {
  unsigned on; /* the spec's knobs */
  double value[ENV_PERTURB_KNOBS];
} envPerturbValues;

/* Episode settings; env_defaultConfig gives the paper's: horizon 10, relative, expert hints,
 * no perturbation. */
typedef struct envConfig {
  int horizon;
  envMode mode;
  envHints hints;
  envPerturb perturb; /* all zero: none */
} envConfig;

/* What one macro-step (one controller call) produced. */
typedef struct envStepResult {
  obs_t obs;               /* observation after the macro-step, as the controller sees it */
  double reward;           /* reward of the last env step, in [0, 10] */
  int success;             /* task success after the macro-step */
  int env_steps;           /* env steps the P controller ran (1 .. ENV_MAX_SUBSTEPS) */
  double target[3];        /* the clipped hand target that was commanded */
  char hint[ENV_HINT_MAX]; /* hint text; "" with ENV_HINTS_NONE */
} envStepResult;

typedef struct envSpec envSpec;
typedef struct envTask envTask;

/* Fills cfg with the defaults (horizon 10, relative mode, expert hints). */
void env_defaultConfig(envConfig *cfg);

/* The default horizon (macro-steps per episode) of a task, or 0 for an unknown id.
 * env_reset with a NULL config uses it. */
int env_defaultHorizon(envTaskId id);

/* Task name ("reach", "push", "pick-place") of id, or NULL if out of range. */
const char *env_name(envTaskId id);

/* Task id for a name, or -1 if there is no such task. Nullable: name. */
int env_lookup(const char *name);

/* How many tasks there are (ids 0 .. env_taskCount() - 1). */
int env_taskCount(void);

/* The task names as one line for help texts and messages: "reach, push, pick-place". */
const char *env_taskList(void);

/* The task's own sentences: what must be achieved and what counts as success (the start
 * of the optimizer's instruction; env_describe gives all of it for a run's settings). */
const char *env_instruction(envTaskId id);

#define ENV_MOVE_FRACTIONS 3 /* the moves of envDescription.move_fraction: 5, 10, 20 cm */

/* What an optimizer is told about a task under a run's settings (mode, horizon, hints). */
typedef struct envDescription {
  char instruction[6144]; /* the task's sentences (env_instruction), then the episode, the
                             observation, the action of this mode, what a step does, what
                             Return is, and (with expert hints) the hint */
  char action_doc[512];   /* what the controller's action means in this mode */
  char step_doc[768];     /* what one step does, with the measured move fractions */
  char hint_doc[768];     /* what a step's hint says (`expert target [x y z gripper]`; also
                             the instruction's last sentence with expert hints) */
  double move_fraction[ENV_MOVE_FRACTIONS]; /* the part of a 5, 10 and 20 cm move of the hand
                                               that one step covers, measured (seed 0's start,
                                               along +x, gripper open) */
} envDescription;

/* Fills out for spec's task under cfg (nullable: the task's defaults). The fractions are
 * measured with the simulator on a task of its own (a few steps; not for the step path).
 * Errors: TB_EINVAL (NULL spec or out), TB_ENOMEM, TB_EPHYSICS, with a message. */
int env_describe(const envSpec *spec, const envConfig *cfg, envDescription *out, char *err,
                 size_t errsz);

/* Path, relative to the source tree, of the task's scripted expert controller
 * (e.g. "envs/experts/reach.c"). */
const char *env_expertPath(envTaskId id);

/* Builds the immutable spec of a task (compiles the shared scene model).
 * Ownership: caller frees with env_freeSpec. Errors: NULL, message in err. */
envSpec *env_makeSpec(envTaskId id, char *err, size_t errsz);

/* Frees a spec made by env_makeSpec. Nullable. Free every envTask made from it first. */
void env_freeSpec(envSpec *spec);

/* The task id of a spec. */
envTaskId env_specTask(const envSpec *spec);

/* Makes one worker's episode state for spec. The spec must outlive it.
 * Ownership: caller frees with env_free. Errors: NULL, message in err. */
envTask *env_make(const envSpec *spec, char *err, size_t errsz);

/* Frees a task made by env_make. Nullable. */
void env_free(envTask *task);

/* Starts an episode: resets the physics, settles the arm, draws the object and
 * goal from seed (deterministic), draws and applies the config's perturbation (from the
 * same seed), and writes the first observation (step 0) as the controller sees it.
 * Nullable: cfg (the defaults with the task's horizon), obs. Errors: TB_EINVAL for a bad config,
 * TB_EPHYSICS if settling diverged. */
int env_reset(envTask *task, uint64_t seed, const envConfig *cfg, obs_t *obs, char *err,
              size_t errsz);

/* Runs one macro-step for a controller action (clipped as the env does; the
 * gripper effort clipped to [-1, 1]): the P controller drives the hand toward
 * the target for up to ENV_MAX_SUBSTEPS env steps, then reward, success and
 * hint text are computed. The target (hand + action[0:3] in relative mode) is
 * clipped to the hand workspace (-0.5, 0.4, 0.05) .. (0.5, 1.0, 0.5). With a
 * perturbation, the object may be pushed first, the target gets the action noise before
 * it is clipped, and res->obs is what the controller sees (late and noisy; reward,
 * success and the hint come from the true state, env_observe).
 * Errors: TB_EINVAL for a non-finite action (nothing is stepped), TB_EPHYSICS
 * if the simulation diverged or MuJoCo raised an error (the result holds the
 * observation from before the macro-step; env_reset the task before reusing it). */
int env_macroStep(envTask *task, const double action[4], envStepResult *res, char *err,
                  size_t errsz);

/* Same as env_macroStep with an absolute hand target and gripper effort,
 * whatever the configured mode (what a robot driver receives). */
int env_command(envTask *task, const double target[3], double gripper, envStepResult *res,
                char *err, size_t errsz);

/* One raw env step: mocap += clip(a[0:3], -1, 1) * 0.01 within the workspace,
 * gripper [a3, -a3], then the frame skip of mj_step. Allocates nothing.
 * Errors: TB_EPHYSICS if the simulation diverged. */
int env_step(envTask *task, const double a[4], char *err, size_t errsz);

/* The current true observation (step/horizon fields as of the last macro-step), whatever
 * the perturbation. */
void env_observe(const envTask *task, obs_t *obs);

/* The current reward in [0, 10] and success flag (0/1). */
double env_reward(const envTask *task, int *success);

#define ENV_FEEDBACK_MAX 256 /* bytes of env_feedback's line, NUL included */

/* Writes one line about the episode so far, for the feedback on a failed episode (e.g.
 * "closest puck-to-goal distance 0.081 m (success needs 0.05 m), 0.093 m now"),
 * truncated to outsz; "" when the task has nothing to say. Nullable: out. */
void env_feedback(const envTask *task, char *out, size_t outsz);

/* ---- perturbations (envs/perturb.c) ---- */

/* Parses a perturbation spec: "none", a preset ("mild", "strong"), or comma-separated
 * knobs NAME=V or NAME=LO:HI (e.g. "friction=0.5:1.5,obs_noise=0.003,latency=1"), where a
 * preset may come first and the knobs after it override its values. Each knob has bounds
 * (latency an integer); a knob may appear once.
 * Errors: TB_EINVAL with one line naming the bad item (out is then "none"). */
int env_parsePerturb(const char *text, envPerturb *out, char *err, size_t errsz);

/* Writes the spec in the canonical form env_parsePerturb reads back to the same spec:
 * "none", or the knobs that are on in table order ("friction=0.5:1.5,latency=1"),
 * truncated to outsz. */
void env_perturbText(const envPerturb *p, char *out, size_t outsz);

/* Draws one episode's values for seed (deterministic: same spec and seed, same values;
 * the values of a knob do not depend on which other knobs are on). Nullable: p (none). */
void env_perturbDraw(const envPerturb *p, uint64_t seed, envPerturbValues *out);

/* The name of knob k as env_parsePerturb takes it ("obs_noise"), or NULL out of range. */
const char *env_perturbKnobName(envPerturbKnob k);

/* The knob names and presets for help texts and messages:
 * "knobs friction, mass, ...; presets none, mild, strong". */
const char *env_perturbHelp(void);

/* Writes the drawn values in words for a person or an optimizer ("friction x0.83, object
 * mass x1.21, observation noise 3.0 mm, latency 1 step"); "none" when no knob is on. */
void env_perturbDescribe(const envPerturbValues *v, char *out, size_t outsz);

/* The spec and drawn values as the JSON object of `run --json` and EP.json:
 * {"spec": "...", "values": {"friction": 0.83, ...}} (only the knobs that are on).
 * Ownership: caller frees with cJSON_Delete. NULL: out of memory. */
struct cJSON *env_perturbJson(const envPerturb *p, const envPerturbValues *v);

/* The values the task's current episode drew (all neutral, on 0, for a plain one). */
const envPerturbValues *env_perturbValues(const envTask *task);

/* The simulation world behind a task (for recording, replay and rendering). A perturbation
 * that changes the model (friction, mass, damping) moves the task, at its first such
 * reset, to a world on the task's own copy of the model: take the world after env_reset. */
simWorld *env_world(envTask *task);

/* Called after every env step (including the settling steps of reset) with the
 * task; used to record exact states. NULL removes the hook. */
typedef void (*envStepHook)(void *user, envTask *task);
void env_setStepHook(envTask *task, envStepHook hook, void *user);

/* The scripted expert of a task, compiled into the library (same code as
 * env_expertPath's file). Stateless. Its action is for relative mode:
 * action[0..2] = expert target - hand (all zeros for an unknown id). */
void env_expert(envTaskId id, const obs_t *obs, double action[4]);

/* The source text of the task's scripted expert (the file of env_expertPath, embedded at
 * build time), its length in *len; NULL for an unknown id. */
const char *env_expertSource(envTaskId id, size_t *len);

/* ---- task plug-ins (tracebot/task_plugin.h) ---- */

/* Loads the task plug-in at path (a shared object exporting ENV_PLUGIN_ENTRY) and
 * registers its tasks after those the table has, in the plug-in's order; a path without
 * '/' is a file in the current directory. The plug-in's code runs in this process with
 * its rights, like a robot driver's: load only plug-ins you trust (the sandbox never loads
 * one). Every task is checked before any is registered: the ABI version and sizes, its
 * fields, a name no task has, and its objects (the scene with them must compile and hold
 * every named object). Loading a file that is loaded already (the same real path) does
 * nothing. Not thread-safe: load plug-ins before other threads use the task table.
 * Errors: TB_EINVAL (NULL or empty path), TB_ELOAD with one line naming the plug-in and
 * the cause ("task plug-in ./x.so: ABI version 3, tracebot speaks 1"), TB_ENOMEM. */
int env_loadTaskPlugin(const char *path, char *err, size_t errsz);

/* The real path of the plug-in that registered task id, or NULL for a built-in task and
 * an unknown id. */
const char *env_taskPlugin(envTaskId id);

#endif /* TRACEBOT_ENVS_H */
