/* envs/tasks.c: the task table, one line per task, and the lookups over it. A task's
 * definition lives in its own file, envs/tasks/<stem>.c (task.h); nothing here or in
 * envs.c knows which task is which. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

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
  /* end of the table */

#define DECLARE_ROW(def) extern const envTaskDef def;
BUILTIN_TASKS(DECLARE_ROW)
#undef DECLARE_ROW

#define ROW(def) &def,
static const envTaskDef *const builtins[] = {BUILTIN_TASKS(ROW)};
#undef ROW

_Static_assert(ENV_PICK_PLACE < sizeof builtins / sizeof builtins[0],
               "every named task id of envs.h has a built-in row");

/* Every lookup goes through env_taskCount and env_taskDef, so tasks registered at run
 * time need only extend these two. */
int env_taskCount(void) {
  return (int)(sizeof builtins / sizeof builtins[0]);
}

const envTaskDef *env_taskDef(envTaskId id) {
  if ((int)id < 0 || (int)id >= env_taskCount()) {
    return NULL;
  }
  return builtins[id];
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

/* The names joined by ", ", built once from the table. */
static char taskList[1024];
static pthread_once_t taskListOnce = PTHREAD_ONCE_INIT;

static void buildTaskList(void) {
  size_t used = 0;
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
  pthread_once(&taskListOnce, buildTaskList);
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

void env_expert(envTaskId id, const obs_t *obs, double action[4]) {
  const envTaskDef *def = env_taskDef(id);
  if (def) {
    def->expert(obs, action);
  } else {
    action[0] = action[1] = action[2] = action[3] = 0.0;
  }
}

void env_drawTask(envTaskId id, uint64_t seed, double obj[3], double goal[3]) {
  env_taskDef(id)->draw(seed, obj, goal);
}

double env_taskReward(const envTask *task, int *success) {
  return task->spec->def->reward(task, success);
}
