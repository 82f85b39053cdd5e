/* envs/tasks/push.c: push, move the puck across the table to within 5 cm of a goal on the
 * table surface. */
#include <math.h>

#include "task.h"

/* the scripted expert: envs/experts/push.c under a file-local name */
static void expert(const obs_t *obs, double action[4]);
#define controller expert
#include "experts/push.c"
#undef controller
ENV_EXPERT_SOURCE(push);

/* 2 grasp, or 4 grasp + 1 + 5 in_place with the fingertips at the puck; 10 at the goal. */
static double reward(const envTask *task, int *success) {
  envPuckTerms t;
  env_puckTerms(task, &t);
  double r = t.tcpToObj < 0.02 ? 4.0 * t.grasp + 1.0 + 5.0 * t.inPlace : 2.0 * t.grasp;
  if (t.objToGoal < 0.05) {
    r = 10.0;
  }
  if (success) {
    *success = t.objToGoal <= 0.05;
  }
  return env_clamp(r, 0.0, 10.0);
}

static void feedback(const envTask *task, char *out, size_t outsz) {
  env_writeClosest(task, "puck", 0.05, out, outsz);
}

const envTaskDef env_taskPush = {
    .name = "push",
    .instruction =
        "Push: move the puck on the table until its centre (obj_pos) is within 5 cm of "
        "goal_pos (success), which lies on the table surface; the puck can be pushed or "
        "dragged with the fingers around it." ENV_PUCK_SLOTS_TEXT,
    .horizon = 10,
    .gain = 10.0,
    ENV_PUCK_FIELDS,
    .draw = env_drawGoalOnTable,
    .reward = reward,
    .goalDistance = env_puckToGoal,
    ENV_EXPERT_FIELDS(push, expert),
    .hint = env_expertHint,
    .feedback = feedback,
};
