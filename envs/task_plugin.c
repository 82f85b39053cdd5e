/* envs/task_plugin.c: task plug-ins (tracebot/task_plugin.h). Loading and checking a
 * plug-in; its tasks as rows of the table, whose hooks pass the row's episode on to the
 * plug-in's functions; the host functions a plug-in calls back. A plug-in is trusted code
 * of the parent process, like a robot driver. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfcn.h>

#include "base.h"
#include "task.h"
#include "tracebot/task_plugin.h"

_Static_assert(ENV_PLUGIN_STATE == ENV_TASK_STATE, "host->state is the task's per-episode state");
_Static_assert(ENV_PLUGIN_MAX_OBJECTS == ENV_TASK_IDS, "a plug-in task's objects fit the spec");

#define NAME_MAX_LEN 48

/* A plug-in's task as a row of the table. The row comes first, so that a hook, which gets
 * the row (or an episode of it), finds the plug-in's task. */
typedef struct pluginRow {
  envTaskDef def;
  const envPluginTask *task;
  char *instruction; /* the task's own text (env_describe adds what every task shares) */
  size_t expertLen;
  int nobjects;
  envObjectRef objects[ENV_TASK_IDS + 1];
} pluginRow;

/* The plug-ins loaded so far (never unloaded: their rows are in the table). */
static char **loadedPaths;
static int nLoaded;

static const pluginRow *rowOf(const envTaskDef *def) {
  return (const pluginRow *)(const void *)def;
}

static const pluginRow *rowOfTask(const envTask *task) {
  return rowOf(task->spec->def);
}

/* An episode as the plug-in sees it, and back. */
static envPluginEnv *envOf(const envTask *task) {
  return (envPluginEnv *)(void *)(envTask *)task;
}

static envTask *taskOf(const envPluginEnv *env) {
  return (envTask *)(void *)(envPluginEnv *)env;
}

/* ---- the host functions ------------------------------------------------------------------- */

static void toPluginObs(const obs_t *o, envPluginObs *p) {
  memcpy(p->hand_pos, o->hand_pos, sizeof p->hand_pos);
  p->gripper_distance_apart = o->gripper_distance_apart;
  memcpy(p->obj_pos, o->obj_pos, sizeof p->obj_pos);
  memcpy(p->obj_quat, o->obj_quat, sizeof p->obj_quat);
  memcpy(p->goal_pos, o->goal_pos, sizeof p->goal_pos);
  p->step = o->step;
  p->horizon = o->horizon;
  memcpy(p->obj2_pos, o->obj2_pos, sizeof p->obj2_pos);
  memcpy(p->obj2_quat, o->obj2_quat, sizeof p->obj2_quat);
}

static void hostObserve(const envPluginEnv *env, envPluginObs *obs) {
  obs_t o;
  env_observeRobot(taskOf(env), &o);
  toPluginObs(&o, obs);
}

static void hostTcp(const envPluginEnv *env, double tcp[3]) {
  env_tcp(taskOf(env), tcp);
}

static double hostEffort(const envPluginEnv *env) {
  return taskOf(env)->grip;
}

/* The model id of object i of the episode's task, its type in *type; -1 when out of range. */
static int objectId(const envTask *task, int i, int *type) {
  const pluginRow *row = rowOfTask(task);
  if (i < 0 || i >= row->nobjects) {
    return -1;
  }
  *type = row->objects[i].type;
  return task->spec->ids[i];
}

static void hostPose(const envPluginEnv *env, int object, double pos[3], double quat[4]) {
  const envTask *task = taskOf(env);
  const mjModel *m = task->spec->m;
  const mjData *d = sim_data(task->world);
  int type = 0;
  int id = objectId(task, object, &type);
  double q[4] = {0.0, 0.0, 0.0, 0.0};
  memset(pos, 0, 3 * sizeof(double));
  if (id >= 0 && type == mjOBJ_BODY) {
    memcpy(pos, d->xpos + 3 * id, 3 * sizeof(double));
    memcpy(q, d->xquat + 4 * id, sizeof q);
  } else if (id >= 0 && type == mjOBJ_SITE) {
    memcpy(pos, d->site_xpos + 3 * id, 3 * sizeof(double));
    mju_mat2Quat(q, d->site_xmat + 9 * id);
  } else if (id >= 0 && type == mjOBJ_GEOM) {
    memcpy(pos, d->geom_xpos + 3 * id, 3 * sizeof(double));
    mju_mat2Quat(q, d->geom_xmat + 9 * id);
  } else if (id >= 0 && type == mjOBJ_JOINT) {
    memcpy(pos, d->xanchor + 3 * id, 3 * sizeof(double));
    memcpy(q, d->xquat + 4 * m->jnt_bodyid[id], sizeof q);
  }
  if (quat != NULL) {
    memcpy(quat, q, sizeof q);
  }
}

/* Position and velocity values of a joint type. */
static int qposCount(int jointType) {
  return jointType == mjJNT_FREE ? 7 : jointType == mjJNT_BALL ? 4 : 1;
}

static int dofCount(int jointType) {
  return jointType == mjJNT_FREE ? 6 : jointType == mjJNT_BALL ? 3 : 1;
}

static int hostJoint(const envPluginEnv *env, int object, double *qpos) {
  const envTask *task = taskOf(env);
  int type = 0;
  int id = objectId(task, object, &type);
  if (id < 0 || type != mjOBJ_JOINT) {
    return 0;
  }
  const mjModel *m = task->spec->m;
  int n = qposCount(m->jnt_type[id]);
  if (qpos != NULL) {
    memcpy(qpos, sim_data(task->world)->qpos + m->jnt_qposadr[id], (size_t)n * sizeof(double));
  }
  return n;
}

static double *hostState(const envPluginEnv *env) {
  return taskOf(env)->taskState;
}

static void hostSetJoint(envPluginEnv *env, int object, const double *qpos) {
  envTask *task = taskOf(env);
  int type = 0;
  int id = objectId(task, object, &type);
  if (id < 0 || type != mjOBJ_JOINT || qpos == NULL) {
    return;
  }
  const mjModel *m = task->spec->m;
  mjData *d = sim_data(task->world);
  memcpy(d->qpos + m->jnt_qposadr[id], qpos, (size_t)qposCount(m->jnt_type[id]) * sizeof(double));
  memset(d->qvel + m->jnt_dofadr[id], 0, (size_t)dofCount(m->jnt_type[id]) * sizeof(double));
}

static void hostSetMocap(envPluginEnv *env, int object, const double pos[3], const double quat[4]) {
  envTask *task = taskOf(env);
  int type = 0;
  int id = objectId(task, object, &type);
  int mocap = id >= 0 && type == mjOBJ_BODY ? task->spec->m->body_mocapid[id] : -1;
  if (mocap < 0 || pos == NULL) {
    return;
  }
  mjData *d = sim_data(task->world);
  memcpy(d->mocap_pos + 3 * mocap, pos, 3 * sizeof(double));
  if (quat != NULL) {
    memcpy(d->mocap_quat + 4 * mocap, quat, 4 * sizeof(double));
  }
}

static const envPluginHost kHost = {
    .abi_version = ENV_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(envPluginHost),
    .seed_state = env_seedState,
    .uniform = env_uniform,
    .observe = hostObserve,
    .tcp = hostTcp,
    .effort = hostEffort,
    .pose = hostPose,
    .joint = hostJoint,
    .state = hostState,
    .set_joint = hostSetJoint,
    .set_mocap = hostSetMocap,
    .tolerance = env_tolerance,
    .hamacher = env_hamacher,
};

/* ---- the hooks of a plug-in's row -------------------------------------------------------- */

static void rowDraw(const envTaskDef *def, uint64_t seed, double obj[3], double goal[3]) {
  rowOf(def)->task->draw(seed, obj, goal);
}

static void rowPlace(envTask *task, const double obj[3]) {
  rowOfTask(task)->task->place(envOf(task), obj);
}

static void rowObserve(const envTask *task, obs_t *obs) {
  envPluginObs slots;
  memset(&slots, 0, sizeof slots);
  rowOfTask(task)->task->observe(envOf(task), &slots);
  memcpy(obs->obj_pos, slots.obj_pos, sizeof obs->obj_pos);
  memcpy(obs->obj_quat, slots.obj_quat, sizeof obs->obj_quat);
  memcpy(obs->obj2_pos, slots.obj2_pos, sizeof obs->obj2_pos);
  memcpy(obs->obj2_quat, slots.obj2_quat, sizeof obs->obj2_quat);
}

static void rowAfterStep(envTask *task) {
  rowOfTask(task)->task->after_step(envOf(task));
}

static double rowReward(const envTask *task, int *success) {
  int won = 0;
  double r = rowOfTask(task)->task->reward(envOf(task), &won);
  if (success) {
    *success = won != 0;
  }
  return isfinite(r) ? env_clamp(r, 0.0, 10.0) : 0.0;
}

static double rowGoalDistance(const envTask *task) {
  return rowOfTask(task)->task->goal_distance(envOf(task));
}

static void rowExpert(const envTaskDef *def, const obs_t *obs, double action[4]) {
  envPluginObs p;
  toPluginObs(obs, &p);
  double a[4] = {0.0, 0.0, 0.0, 0.0};
  rowOf(def)->task->expert(&p, a);
  memcpy(action, a, sizeof a);
}

static void rowFeedback(const envTask *task, char *out, size_t outsz) {
  rowOfTask(task)->task->feedback(envOf(task), out, outsz);
  out[outsz - 1] = '\0';
}

/* ---- loading ------------------------------------------------------------------------------- */

/* Whether name is a task name: 1..NAME_MAX_LEN of [a-z0-9-]. */
static int goodName(const char *name) {
  size_t n = 0;
  for (; name[n] != '\0'; n++) {
    char c = name[n];
    if (n == NAME_MAX_LEN || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return 0;
    }
  }
  return n > 0;
}

/* The mjtObj of an object kind, or -1. */
static int objectType(int kind) {
  switch (kind) {
    case ENV_PLUGIN_BODY:
      return mjOBJ_BODY;
    case ENV_PLUGIN_JOINT:
      return mjOBJ_JOINT;
    case ENV_PLUGIN_SITE:
      return mjOBJ_SITE;
    case ENV_PLUGIN_GEOM:
      return mjOBJ_GEOM;
    default:
      return -1;
  }
}

/* What is wrong with task t (its fields, before its model is built), or NULL. */
static const char *taskProblem(const envPluginTask *t) {
  if (t->instruction == NULL || t->instruction[0] == '\0') {
    return "no instruction";
  }
  if (t->horizon < 1 || t->horizon > 10000) {
    return "horizon not in 1..10000";
  }
  if (!(t->gain > 0.0 && t->gain <= 100.0)) {
    return "gain not in (0, 100]";
  }
  for (int i = 0; t->hand_init != NULL && i < 3; i++) {
    if (!(t->hand_init[i] >= env_handLow[i] && t->hand_init[i] <= env_handHigh[i])) {
      return "hand_init outside the hand's box";
    }
  }
  if (t->draw == NULL || t->place == NULL || t->observe == NULL || t->reward == NULL ||
      t->goal_distance == NULL || t->expert == NULL) {
    return "a required function (draw, place, observe, reward, goal_distance, expert) is NULL";
  }
  if (t->expert_source == NULL || t->expert_source[0] == '\0') {
    return "no expert_source";
  }
  int n = 0;
  for (; t->objects != NULL && t->objects[n].name != NULL; n++) {
    if (n == ENV_PLUGIN_MAX_OBJECTS) {
      return "more than ENV_PLUGIN_MAX_OBJECTS named objects";
    }
    if (objectType(t->objects[n].kind) < 0) {
      return "an object of unknown kind (not ENV_PLUGIN_BODY, _JOINT, _SITE or _GEOM)";
    }
  }
  return NULL;
}

/* Fills the row of task t of the plug-in at path. Returns 0, or TB_ENOMEM. */
static int makeRow(pluginRow *row, const envPluginTask *t, const char *path) {
  size_t n = strlen(t->instruction);
  row->instruction = malloc(n + 1);
  if (row->instruction == NULL) {
    return TB_ENOMEM;
  }
  memcpy(row->instruction, t->instruction, n + 1);
  row->task = t;
  row->expertLen = strlen(t->expert_source);
  for (row->nobjects = 0; t->objects != NULL && t->objects[row->nobjects].name != NULL;
       row->nobjects++) {
    row->objects[row->nobjects].type = objectType(t->objects[row->nobjects].kind);
    row->objects[row->nobjects].name = t->objects[row->nobjects].name;
  }
  row->objects[row->nobjects].name = NULL;
  row->def = (envTaskDef){
      .name = t->name,
      .instruction = row->instruction,
      .horizon = t->horizon,
      .gain = t->gain,
      .handInit = t->hand_init,
      .objectsXml = t->objects_xml,
      .objects = row->objects,
      .draw = rowDraw,
      .place = rowPlace,
      .observeObjects = rowObserve,
      .afterStep = t->after_step != NULL ? rowAfterStep : NULL,
      .reward = rowReward,
      .goalDistance = rowGoalDistance,
      .expertOf = rowExpert,
      .expertPath = t->expert_path != NULL ? t->expert_path : path,
      .expertSource = t->expert_source,
      .expertSourceLen = &row->expertLen,
      .hint = env_expertHint,
      .feedback = t->feedback != NULL ? rowFeedback : NULL,
      .plugin = path,
  };
  return TB_OK;
}

static void freeRows(pluginRow *rows, int n) {
  for (int i = 0; rows != NULL && i < n; i++) {
    free(rows[i].instruction);
  }
  free(rows);
}

/* Checks the plug-in's struct and tasks and builds their rows (*rows, *n). Returns 0, or
 * TB_ELOAD / TB_ENOMEM with the cause in err (without the "task plug-in PATH: " head). */
static int checkPlugin(const envPlugin *p, const char *path, pluginRow **rows, int *n, char *err,
                       size_t errsz) {
  if (p->abi_version != ENV_PLUGIN_ABI_VERSION) {
    tb_setErr(err, errsz, "ABI version %u, tracebot speaks %u", (unsigned)p->abi_version,
              (unsigned)ENV_PLUGIN_ABI_VERSION);
    return TB_ELOAD;
  }
  if (p->struct_size != sizeof(envPlugin) || p->task_size != sizeof(envPluginTask)) {
    tb_setErr(err, errsz,
              "struct sizes %u and %u (envPlugin, envPluginTask), tracebot expects %u and %u "
              "(ABI %u)",
              (unsigned)p->struct_size, (unsigned)p->task_size, (unsigned)sizeof(envPlugin),
              (unsigned)sizeof(envPluginTask), (unsigned)ENV_PLUGIN_ABI_VERSION);
    return TB_ELOAD;
  }
  if (p->ntasks < 1 || p->ntasks > ENV_PLUGIN_MAX_TASKS || p->tasks == NULL) {
    tb_setErr(err, errsz, "ntasks %d not in 1..%d (or tasks is NULL)", p->ntasks,
              ENV_PLUGIN_MAX_TASKS);
    return TB_ELOAD;
  }

  /* every task's fields and name */
  for (int i = 0; i < p->ntasks; i++) {
    const envPluginTask *t = &p->tasks[i];
    if (t->name == NULL || !goodName(t->name)) {
      tb_setErr(err, errsz, "task %d: its name is missing or not 1..%d of [a-z0-9-]", i,
                NAME_MAX_LEN);
      return TB_ELOAD;
    }
    const char *why = taskProblem(t);
    for (int j = 0; why == NULL && j < i; j++) {
      why = strcmp(t->name, p->tasks[j].name) == 0 ? "the plug-in lists it twice" : NULL;
    }
    if (why == NULL && env_lookup(t->name) >= 0) {
      why = env_taskPlugin((envTaskId)env_lookup(t->name)) == NULL
                ? "a built-in task has that name"
                : "a task of another plug-in has that name";
    }
    if (why != NULL) {
      tb_setErr(err, errsz, "task %s: %s", t->name, why);
      return TB_ELOAD;
    }
  }

  /* their rows, and their models: the scene with the objects must compile */
  *rows = calloc((size_t)p->ntasks, sizeof **rows);
  if (*rows == NULL) {
    tb_setErr(err, errsz, "out of memory");
    return TB_ENOMEM;
  }
  for (*n = 0; *n < p->ntasks; (*n)++) {
    if (makeRow(&(*rows)[*n], &p->tasks[*n], path) != TB_OK) {
      tb_setErr(err, errsz, "out of memory");
      return TB_ENOMEM;
    }
    envSpec *spec = env_makeSpecOf(&(*rows)[*n].def, (envTaskId)(env_taskCount() + *n), err, errsz);
    if (spec == NULL) {
      (*n)++;
      return TB_ELOAD;
    }
    env_freeSpec(spec);
  }
  return TB_OK;
}

int env_loadTaskPlugin(const char *path, char *err, size_t errsz) {
  if (path == NULL || path[0] == '\0') {
    tb_setErr(err, errsz, "task plug-in: no path given");
    return TB_EINVAL;
  }
  /* the same file twice: once */
  char real[PATH_MAX];
  if (realpath(path, real) == NULL) {
    tb_setErr(err, errsz, "task plug-in %s: cannot load: %s", path, strerror(errno));
    return TB_ELOAD;
  }
  for (int i = 0; i < nLoaded; i++) {
    if (strcmp(loadedPaths[i], real) == 0) {
      return TB_OK;
    }
  }
  char **paths = realloc(loadedPaths, (size_t)(nLoaded + 1) * sizeof *paths);
  if (paths == NULL) {
    tb_setErr(err, errsz, "task plug-in %s: out of memory", path);
    return TB_ENOMEM;
  }
  loadedPaths = paths;
  char *kept = strdup(real);
  if (kept == NULL) {
    tb_setErr(err, errsz, "task plug-in %s: out of memory", path);
    return TB_ENOMEM;
  }

  /* one dlopen, one dlsym, one call */
  void *sym = NULL;
  void *dl = tb_openPlugin(path, ENV_PLUGIN_ENTRY, "task plug-in", &sym, err, errsz);
  if (dl == NULL) {
    free(kept);
    return TB_ELOAD;
  }
  envPluginInitFn init;
  memcpy(&init, &sym, sizeof init); /* object pointer to function pointer, POSIX way */
  const envPlugin *p = init(&kHost);
  char why[1024] = "";
  pluginRow *rows = NULL;
  int n = 0;
  int rc = TB_ELOAD;
  if (p == NULL) {
    snprintf(why, sizeof why, "%s returned NULL (the plug-in refused to load)", ENV_PLUGIN_ENTRY);
  } else {
    rc = checkPlugin(p, kept, &rows, &n, why, sizeof why);
  }

  /* register every task, or none */
  const envTaskDef **defs = rc == TB_OK ? calloc((size_t)n, sizeof *defs) : NULL;
  if (rc == TB_OK && defs == NULL) {
    snprintf(why, sizeof why, "out of memory");
    rc = TB_ENOMEM;
  }
  for (int i = 0; rc == TB_OK && i < n; i++) {
    defs[i] = &rows[i].def;
  }
  if (rc == TB_OK) {
    rc = env_registerTasks(defs, n, why, sizeof why);
  }
  free(defs);
  if (rc != TB_OK) {
    tb_setErr(err, errsz, "task plug-in %s: %s", path, why);
    freeRows(rows, n);
    free(kept);
    dlclose(dl);
    return rc;
  }
  loadedPaths[nLoaded++] = kept;
  return TB_OK;
}
