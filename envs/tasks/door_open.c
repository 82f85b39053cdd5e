/* envs/tasks/door_open.c: door-open (Meta-World v2's door-open-v2), swing the door of a
 * safe open toward the robot until its handle's x is within 8 cm of the goal's, which
 * holds from about 79 to 104 degrees open (envs/README.md, "door-open"). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "task.h"

/* the scripted expert: envs/experts/door_open.c under a file-local name */
static void expert(const obs_t *obs, double action[4]);
#define controller expert
#include "experts/door_open.c"
#undef controller
ENV_EXPERT_SOURCE(door_open);
ENV_OBJECTS_XML(door);

/* The objects the hooks use, spec->ids[SAFE] and so on. */
enum { SAFE = 0, LEAF, HINGE, HANDLE };
static const envObjectRef objects[] = {
    {mjOBJ_BODY, "door"},        /* SAFE: the mocap body of the safe */
    {mjOBJ_BODY, "door_leaf"},   /* LEAF */
    {mjOBJ_JOINT, "door_hinge"}, /* HINGE */
    {mjOBJ_SITE, "door_handle"}, /* HANDLE: the handle point */
    {0, NULL},
};

#define SUCCESS_X 0.08 /* |handle x - goal x| at success */

/* The safe's centre at x [0, 0.1], y [0.85, 0.95], z 0.15; the goal 30 cm to the left and
 * 45 cm toward the robot from it, at the same height. */
static void draw(const envTaskDef *def, uint64_t seed, double obj[3], double goal[3]) {
  (void)def;
  uint64_t state = env_seedState(seed);
  obj[0] = env_uniform(&state, 0.0, 0.1);
  obj[1] = env_uniform(&state, 0.85, 0.95);
  obj[2] = 0.15;
  goal[0] = obj[0] - 0.30;
  goal[1] = obj[1] - 0.45;
  goal[2] = obj[2];
}

/* The safe where the draw says, the door shut and at rest. */
static void place(envTask *task, const double obj[3]) {
  env_placeFixture(task, SAFE, obj, HINGE, 0.0);
}

/* Slot 1: the handle point and the door's orientation (a turn about z by its angle). */
static void observeObjects(const envTask *task, obs_t *obs) {
  memcpy(obs->obj_pos, env_sitePos(task, HANDLE), sizeof(obs->obj_pos));
  memcpy(obs->obj_quat, env_bodyQuat(task, LEAF), sizeof(obs->obj_quat));
}

/* The hinge angle (rad), negative when open. */
static double angle(const envTask *task) {
  return env_jointPos(task, HINGE);
}

static const double *handle(const envTask *task) {
  return env_sitePos(task, HANDLE);
}

static double goalDistance(const envTask *task) {
  return fabs(handle(task)[0] - task->goal[0]);
}

/* Meta-World's reward on 0..10: 2 H(ready, grab) + 8 opened, 10 at success, where ready
 * says the hand is over the handle (and not low on the way there), grab is the gripper
 * effort and opened the door's angle (envs/README.md, "door-open"). */
static double reward(const envTask *task, int *success) {
  const double *hand = sim_data(task->world)->xpos + 3 * task->spec->hand;
  const double *h = handle(task);
  double theta = angle(task);
  int won = goalDistance(task) <= SUCCESS_X;
  if (success) {
    *success = won;
  }

  /* ready: stay high until over the handle, then come to just behind it */
  double r = hypot(hand[0] - (h[0] - 0.05), hand[1] - h[1]);
  double floor = r <= 0.12 ? 0.0 : 0.04 * log(r - 0.12) + 0.4;
  double above = hand[2] >= floor ? 1.0 : env_tolerance(floor - hand[2], 0.0, 0.01, floor / 2.0);
  double behind[3] = {h[0], h[1] + 0.03, h[2] - 0.01};
  double inPlace = env_tolerance(env_dist3(hand, behind), 0.0, 0.06, 0.5);
  double ready = env_hamacher(above, inPlace);
  double grab = (env_clamp(task->grip, -1.0, 1.0) + 1.0) / 2.0;

  /* opened: 0.2 once past 2 degrees, 0.8 more shaped up to 91 degrees */
  double opened =
      (theta < -M_PI / 90.0 ? 0.2 : 0.0) + 0.8 * env_tolerance(2.094 + theta, 0.0, 0.5, M_PI / 3.0);
  double rew = 2.0 * env_hamacher(ready, grab) + 8.0 * opened;
  return won ? 10.0 : env_clamp(rew, 0.0, 10.0);
}

static void feedback(const envTask *task, char *out, size_t outsz) {
  int n = env_writeClosest(task, "handle-x", SUCCESS_X, out, outsz);
  if (n >= 0 && (size_t)n < outsz) {
    snprintf(out + n, outsz - (size_t)n,
             "; the door is open %.0f degrees now (success needs about 79 to 104)",
             fabs(angle(task)) * 180.0 / M_PI);
  }
}

const envTaskDef env_taskDoorOpen = {
    .name = "door-open",
    .instruction =
        "Door-open: swing the door of the safe on the table open toward the robot, about a "
        "quarter turn. Success: the x of the handle point (obj_pos) within 8 cm of the x of "
        "goal_pos, which holds while the door is open between about 79 and 104 degrees (it "
        "opens up to 115; further than 104 loses success again). The door is hinged on its "
        "left edge (seen from the robot, looking along +y) about a vertical axis and opens "
        "by turning clockwise seen from above (its free edge swings toward -y, then -x); "
        "its handle is a horizontal bar, 13 cm in front of the door and 15 cm above the "
        "table, held by two stems. obj_pos is the handle point, on the right stem, at hinge "
        "+ R(angle) (0.376, -0.107, 0), and obj_quat the door's orientation (w x y z), a "
        "turn about z by its angle, which is 0 when shut and negative when open (w = "
        "cos(angle / 2), z = sin(angle / 2)); goal_pos is 30 cm left of and 45 cm closer to "
        "the robot than the safe's centre, at the handle's height; obj2_pos and obj2_quat "
        "are zero.",
    .horizon = 10,
    .gain = 25.0,
    .objectsXml = env_objectsXml_door,
    .objects = objects,
    .draw = draw,
    .place = place,
    .observeObjects = observeObjects,
    .reward = reward,
    .goalDistance = goalDistance,
    ENV_EXPERT_FIELDS(door_open, expert),
    .hint = env_expertHint,
    .feedback = feedback,
};
