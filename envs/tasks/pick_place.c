/* envs/tasks/pick_place.c: pick-place, grasp the puck, lift it and bring it within 7 cm of
 * a goal that may be in the air. */
#include <math.h>
#include <stdio.h>

#include "task.h"

/* the scripted expert: envs/experts/pick_place.c under a file-local name */
static void expert(const obs_t *obs, double action[4]);
#define controller expert
#include "experts/pick_place.c"
#undef controller
ENV_EXPERT_SOURCE(pick_place);

/* taskState[LIFTED]: 1 once the puck has been more than 1 cm above its start after an env
 * step of the episode. */
enum { LIFTED = 0 };

static void afterStep(envTask *task) {
  const double *puck = sim_data(task->world)->xpos + 3 * task->spec->ids[ENV_PUCK_BODY];
  if (task->taskState[LIFTED] == 0.0 && puck[2] > task->objInit[2] + 0.01) {
    task->taskState[LIFTED] = 1.0;
  }
}

/* H(grasp, in_place), + 1 + 5 in_place with the fingertips at a lifted puck; 10 within
 * 5 cm of the goal once lifted. Success needs 7 cm and a lift at some env step. */
static double reward(const envTask *task, int *success) {
  envPuckTerms t;
  env_puckTerms(task, &t);
  int lifted = task->taskState[LIFTED] != 0.0 || t.liftedNow;
  double r = env_hamacher(t.grasp, t.inPlace);
  if (t.tcpToObj < 0.02 && t.liftedNow) {
    r += 1.0 + 5.0 * t.inPlace;
  }
  if (t.objToGoal < 0.05 && lifted) {
    r = 10.0;
  }
  if (success) {
    *success = t.objToGoal <= 0.07 && lifted;
  }
  return env_clamp(r, 0.0, 10.0);
}

static void feedback(const envTask *task, char *out, size_t outsz) {
  int n = env_writeClosest(task, "puck", 0.07, out, outsz);
  if (n >= 0 && (size_t)n < outsz) {
    snprintf(out + n, outsz - (size_t)n, "; the puck %s",
             task->taskState[LIFTED] != 0.0 ? "was lifted" : "was never lifted more than 1 cm");
  }
}

const envTaskDef env_taskPickPlace = {
    .name = "pick-place",
    .instruction =
        "Pick-place: grasp the puck with the gripper, lift it off the table and "
        "bring its centre (obj_pos) within 7 cm of goal_pos, which may be in the air; "
        "success needs that distance and the puck lifted more than 1 cm above its start "
        "at some point of the episode." ENV_PUCK_SLOTS_TEXT,
    .horizon = 10,
    .gain = 10.0,
    ENV_PUCK_FIELDS,
    .draw = env_drawGoalInAir,
    .afterStep = afterStep,
    .reward = reward,
    .goalDistance = env_puckToGoal,
    ENV_EXPERT_FIELDS(pick_place, expert),
    .hint = env_expertHint,
    .feedback = feedback,
};
