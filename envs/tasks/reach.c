/* envs/tasks/reach.c: reach, bring the fingertips within 5 cm of a goal in the air (the
 * puck plays no role). */
#include <math.h>

#include "task.h"

/* the scripted expert: envs/experts/reach.c under a file-local name */
static void expert(const obs_t *obs, double action[4]);
#define controller expert
#include "experts/reach.c"
#undef controller
ENV_EXPERT_SOURCE(reach);

/* 10 within 5 cm of the goal, shaped over the distance from hand_init to the goal. */
static double reward(const envTask *task, int *success) {
  double dist = env_tcpToGoal(task);
  if (success) {
    *success = dist <= 0.05;
  }
  double r = 10.0 * env_tolerance(dist, 0.0, 0.05, env_dist3(env_handInit, task->goal));
  return env_clamp(r, 0.0, 10.0);
}

static void feedback(const envTask *task, char *out, size_t outsz) {
  env_writeClosest(task, "fingertips", 0.05, out, outsz);
}

const envTaskDef env_taskReach = {
    .name = "reach",
    .instruction =
        "Reach: bring the fingertip midpoint within 5 cm of goal_pos (success); the "
        "puck on the table plays no role." ENV_PUCK_SLOTS_TEXT,
    .horizon = 10,
    .gain = 5.0,
    ENV_PUCK_FIELDS,
    .draw = env_drawGoalInAir,
    .reward = reward,
    .goalDistance = env_tcpToGoal,
    ENV_EXPERT_FIELDS(reach, expert),
    .hint = env_expertHint,
    .feedback = feedback,
};
