/* envs/tasks.c: the task table, one line per built-in task, the rows registered at run
 * time after them (task plug-ins, task_plugin.c), and the lookups over both. A task's
 * definition lives in its own file, envs/tasks/<stem>.c (task.h); nothing here or in
 * envs.c knows which task is which. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "task.h"

/* The table: the built-in tasks in id order, one line per task. Its first rows are the
 * named ids of envs.h (ENV_REACH, ENV_PUSH, ENV_PICK_PLACE), which callers use as defaults.
 * Each X(row) names the envTaskDef that envs/tasks/<stem>.c defines. */
#define BUILTIN_TASKS(X)                                \
  /* a new task: one line X(env_taskName) at the end */ \
  X(env_taskReach)                                      \
  X(env_taskPush)                                       \
  X(env_taskPickPlace)                                  \
  X(env_taskDoorOpen)                                   \
  X(env_taskDrawerOpen)                                 \
  X(env_taskDrawerClose)                                \
  X(env_taskButtonPressTopdown)                         \
  X(env_taskPegInsertSide)                              \
  X(env_taskWindowOpen)                                 \
  X(env_taskWindowClose)                                \
  /* end of the table */

#define DECLARE_ROW(def) extern const envTaskDef def;
BUILTIN_TASKS(DECLARE_ROW)
#undef DECLARE_ROW

#define ROW(def) &def,
static const envTaskDef *const builtins[] = {BUILTIN_TASKS(ROW)};
#undef ROW

_Static_assert(ENV_PICK_PLACE < sizeof builtins / sizeof builtins[0],
               "every named task id of envs.h has a built-in row");

enum { kBuiltins = (int)(sizeof builtins / sizeof builtins[0]) };

/* The rows registered at run time, ids kBuiltins and up. */
static const envTaskDef **registered;
static int nRegistered;

/* Every lookup goes through env_taskCount and env_taskDef. */
int env_taskCount(void) {
  return kBuiltins + nRegistered;
}

const envTaskDef *env_taskDef(envTaskId id) {
  if ((int)id < 0 || (int)id >= env_taskCount()) {
    return NULL;
  }
  return (int)id < kBuiltins ? builtins[id] : registered[(int)id - kBuiltins];
}

int env_registerTasks(const envTaskDef *const *defs, int n, char *err, size_t errsz) {
  const envTaskDef **grown = realloc(registered, (size_t)(nRegistered + n) * sizeof *grown);
  if (grown == NULL) {
    tb_setErr(err, errsz, "task table: out of memory for %d more tasks", n);
    return TB_ENOMEM;
  }
  registered = grown;
  memcpy(registered + nRegistered, defs, (size_t)n * sizeof *defs);
  nRegistered += n;
  return TB_OK;
}

const char *env_taskPlugin(envTaskId id) {
  const envTaskDef *def = env_taskDef(id);
  return def ? def->plugin : NULL;
}

const char *env_name(envTaskId id) {
  const envTaskDef *def = env_taskDef(id);
  return def ? def->name : NULL;
}

int env_lookup(const char *name) {
  for (int i = 0; name && i < env_taskCount(); i++) {
    if (strcmp(name, env_taskDef((envTaskId)i)->name) == 0) {
      return i;
    }
  }
  return -1;
}

/* The names joined by ", ", built from the table again whenever it has grown. */
static char taskList[2048];
static int taskListCount = -1;
static pthread_mutex_t taskListLock = PTHREAD_MUTEX_INITIALIZER;

static void buildTaskList(void) {
  size_t used = 0;
  taskList[0] = '\0';
  for (int i = 0; i < env_taskCount(); i++) {
    int n = snprintf(taskList + used, sizeof taskList - used, "%s%s", i > 0 ? ", " : "",
                     env_taskDef((envTaskId)i)->name);
    if (n < 0 || (size_t)n >= sizeof taskList - used) {
      break; /* truncated at the buffer's end */
    }
    used += (size_t)n;
  }
}

const char *env_taskList(void) {
  pthread_mutex_lock(&taskListLock);
  if (taskListCount != env_taskCount()) {
    buildTaskList();
    taskListCount = env_taskCount();
  }
  pthread_mutex_unlock(&taskListLock);
  return taskList;
}

const char *env_instruction(envTaskId id) {
  const envTaskDef *def = env_taskDef(id);
  return def ? def->instruction : NULL;
}

int env_defaultHorizon(envTaskId id) {
  const envTaskDef *def = env_taskDef(id);
  return def ? def->horizon : 0;
}

const char *env_expertPath(envTaskId id) {
  const envTaskDef *def = env_taskDef(id);
  return def ? def->expertPath : NULL;
}

const char *env_expertSource(envTaskId id, size_t *len) {
  const envTaskDef *def = env_taskDef(id);
  *len = def ? *def->expertSourceLen : 0;
  return def ? def->expertSource : NULL;
}

void env_defExpert(const envTaskDef *def, const obs_t *obs, double action[4]) {
  if (def->expertOf) {
    def->expertOf(def, obs, action);
  } else {
    def->expert(obs, action);
  }
}

void env_expert(envTaskId id, const obs_t *obs, double action[4]) {
  const envTaskDef *def = env_taskDef(id);
  if (def) {
    env_defExpert(def, obs, action);
  } else {
    action[0] = action[1] = action[2] = action[3] = 0.0;
  }
}

void env_drawTask(envTaskId id, uint64_t seed, double obj[3], double goal[3]) {
  const envTaskDef *def = env_taskDef(id);
  def->draw(def, seed, obj, goal);
}

double env_taskReward(const envTask *task, int *success) {
  return task->spec->def->reward(task, success);
}
