/* envs/tasks/drawer_open.c: drawer-open (Meta-World v2's drawer-open-v2), pull the drawer of a
 * cabinet all the way out, until its handle point is within 3 cm of the goal, which holds
 * from 16 cm out to the end of its 17 cm travel (envs/README.md, "drawer-open and
 * drawer-close"). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "task.h"

/* the scripted expert: envs/experts/drawer_open.c under a file-local name */
static void expert(const obs_t *obs, double action[4]);
#define controller expert
#include "experts/drawer_open.c"
#undef controller
ENV_EXPERT_SOURCE(drawer_open);
ENV_OBJECTS_XML(drawer);

/* The objects the hooks use, spec->ids[CABINET] and so on. */
enum { CABINET = 0, BOX, SLIDE, HANDLE };
static const envObjectRef objects[] = {
    {mjOBJ_BODY, "drawer"},        /* CABINET: the mocap body of the cabinet */
    {mjOBJ_BODY, "drawer_box"},    /* BOX */
    {mjOBJ_JOINT, "drawer_slide"}, /* SLIDE */
    {mjOBJ_SITE, "drawer_handle"}, /* HANDLE: the handle point */
    {0, NULL},
};

#define SUCCESS_DIST 0.03 /* |handle point - goal| at success */

/* The cabinet at x [-0.1, 0.1], y 0.9 on the table; the goal 38 cm toward the robot from
 * it at the handle's height, where the handle point would be 19 cm out. */
static void draw(const envTaskDef *def, uint64_t seed, double obj[3], double goal[3]) {
  (void)def;
  uint64_t state = env_seedState(seed);
  obj[0] = env_uniform(&state, -0.1, 0.1);
  obj[1] = 0.9;
  obj[2] = 0.0;
  goal[0] = obj[0];
  goal[1] = obj[1] - 0.38;
  goal[2] = obj[2] + 0.09;
}

/* The cabinet where the draw says, the drawer shut and at rest. */
static void place(envTask *task, const double obj[3]) {
  env_placeFixture(task, CABINET, obj, SLIDE, 0.0);
}

static const double *handle(const envTask *task) {
  return env_sitePos(task, HANDLE);
}

/* Slot 1: the handle point and the drawer's orientation (always upright). */
static void observeObjects(const envTask *task, obs_t *obs) {
  memcpy(obs->obj_pos, handle(task), sizeof(obs->obj_pos));
  memcpy(obs->obj_quat, env_bodyQuat(task, BOX), sizeof(obs->obj_quat));
}

/* How far the drawer is out (m), 0 when shut (or pressed into its shut stop). */
static double outBy(const envTask *task) {
  double q = env_jointPos(task, SLIDE);
  return q < 0.0 ? -q : 0.0;
}

static double goalDistance(const envTask *task) {
  return env_dist3(handle(task), task->goal);
}

/* Meta-World's reward on 0..10, with no value at success: 5 (caging + opening), where
 * caging says the hand is at the handle point (y and x weighted 3) and opening how close
 * the handle point is to the goal (envs/README.md, "drawer-open and drawer-close"). */
static double reward(const envTask *task, int *success) {
  const double *hand = sim_data(task->world)->xpos + 3 * task->spec->hand;
  const double *h = handle(task);
  double dist = goalDistance(task);
  if (success) {
    *success = dist <= SUCCESS_DIST;
  }
  double opening = env_tolerance(dist, 0.0, 0.02, 0.2);
  static const double scale[3] = {3.0, 3.0, 1.0};
  double off[3];
  double start[3];
  for (int i = 0; i < 3; i++) {
    off[i] = (h[i] - hand[i]) * scale[i];
    start[i] = (task->goal[i] + (i == 1 ? 0.2 : 0.0) - task->tcpInit[i]) * scale[i];
  }
  double zero[3] = {0.0, 0.0, 0.0};
  double caging = env_tolerance(env_dist3(off, zero), 0.0, 0.01, env_dist3(start, zero));
  return env_clamp(5.0 * (caging + opening), 0.0, 10.0);
}

static void feedback(const envTask *task, char *out, size_t outsz) {
  int n = env_writeClosest(task, "handle-point", SUCCESS_DIST, out, outsz);
  if (n >= 0 && (size_t)n < outsz) {
    snprintf(out + n, outsz - (size_t)n,
             "; the drawer is out %.1f cm now (success needs at least 16, it stops at 17)",
             100.0 * outBy(task));
  }
}

const envTaskDef env_taskDrawerOpen = {
    .name = "drawer-open",
    .instruction =
        "Drawer-open: pull the drawer of the cabinet on the table all the way out toward the "
        "robot. Success: the handle point (obj_pos) within 3 cm of goal_pos, which holds once "
        "the drawer is at least 16 cm out (it slides 17 cm, straight along -y). The cabinet "
        "faces the robot; the drawer's handle is a horizontal bar along x, 11.6 cm wide and "
        "9 cm above the table, 8 cm in front of the drawer's face on two standoffs. obj_pos "
        "is the handle point, 1 cm in front of (toward the robot from) the bar's axis at "
        "its height, and obj_quat the drawer's orientation (w x y z), always (1, 0, 0, 0); "
        "goal_pos is 19 cm in front of the handle point of the shut drawer (38 cm toward the "
        "robot from the cabinet's centre, at the handle's height); obj2_pos and obj2_quat "
        "are zero.",
    .horizon = 10,
    .gain = 25.0,
    .objectsXml = env_objectsXml_drawer,
    .objects = objects,
    .draw = draw,
    .place = place,
    .observeObjects = observeObjects,
    .reward = reward,
    .goalDistance = goalDistance,
    ENV_EXPERT_FIELDS(drawer_open, expert),
    .hint = env_expertHint,
    .feedback = feedback,
};
