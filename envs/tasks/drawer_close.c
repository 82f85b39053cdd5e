/* envs/tasks/drawer_close.c: drawer-close (Meta-World v2's drawer-close-v2), push the open
 * drawer of a cabinet shut, until the observed point 5 cm above its handle point is within
 * 6.5 cm of the goal, which holds once the drawer is within 3.15 cm of shut (envs/README.md,
 * "drawer-open and drawer-close"). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "task.h"

/* the scripted expert: envs/experts/drawer_close.c under a file-local name */
static void expert(const obs_t *obs, double action[4]);
#define controller expert
#include "experts/drawer_close.c"
#undef controller
ENV_EXPERT_SOURCE(drawer_close);
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

#define SUCCESS_DIST 0.065 /* |observed point - goal| at success */
#define OPEN_AT_START 0.15 /* how far the drawer is out at reset (m) */
#define ABOVE 0.05         /* the observed point is this far above the handle point */

/* The cabinet at x [-0.1, 0.1], y 0.9 on the table; the goal 18 cm toward the robot from
 * it at the handle's height, 1 cm in front of the handle point of the shut drawer. */
static void draw(const envTaskDef *def, uint64_t seed, double obj[3], double goal[3]) {
  (void)def;
  uint64_t state = env_seedState(seed);
  obj[0] = env_uniform(&state, -0.1, 0.1);
  obj[1] = 0.9;
  obj[2] = 0.0;
  goal[0] = obj[0];
  goal[1] = obj[1] - 0.18;
  goal[2] = obj[2] + 0.09;
}

/* The cabinet where the draw says, the drawer 15 cm out and at rest. */
static void place(envTask *task, const double obj[3]) {
  env_placeFixture(task, CABINET, obj, SLIDE, -OPEN_AT_START);
}

/* The observed point: 5 cm above the handle point. */
static void point(const envTask *task, double p[3]) {
  const double *h = env_sitePos(task, HANDLE);
  p[0] = h[0];
  p[1] = h[1];
  p[2] = h[2] + ABOVE;
}

/* Slot 1: the observed point and the drawer's orientation (always upright). */
static void observeObjects(const envTask *task, obs_t *obs) {
  point(task, obs->obj_pos);
  memcpy(obs->obj_quat, env_bodyQuat(task, BOX), sizeof(obs->obj_quat));
}

/* How far the drawer is out (m), 0 when shut (or pressed into its shut stop). */
static double outBy(const envTask *task) {
  double q = env_jointPos(task, SLIDE);
  return q < 0.0 ? -q : 0.0;
}

static double goalDistance(const envTask *task) {
  double p[3];
  point(task, p);
  return env_dist3(p, task->goal);
}

/* 1 inside [0, hi]; outside, Gaussian in the distance past hi, 0.1 at one margin. */
static double gaussTolerance(double x, double hi, double margin) {
  if (x <= hi) {
    return 1.0;
  }
  double u = (x - hi) / margin;
  return exp(-0.5 * (2.146 * u) * (2.146 * u));
}

/* Meta-World's reward on 0..10: 10 H(reach, in_place), 10 at success, where reach says the
 * fingertips are at the observed point with the gripper closing and in_place how close
 * the observed point is to the goal (envs/README.md, "drawer-open and drawer-close"). */
static double reward(const envTask *task, int *success) {
  double p[3];
  point(task, p);
  double dist = env_dist3(p, task->goal);
  int won = dist <= SUCCESS_DIST;
  if (success) {
    *success = won;
  }
  double tcp[3];
  env_tcp(task, tcp);
  double start = env_dist3(task->objInit, task->goal);
  double inPlace = env_tolerance(dist, 0.0, 0.05, fabs(start - 0.05));
  double reachMargin = fmax(env_dist3(task->objInit, task->tcpInit) - 0.005, 1e-3);
  double reach = gaussTolerance(env_dist3(p, tcp), 0.005, reachMargin);
  reach = env_hamacher(reach, env_clamp(task->grip, 0.0, 1.0));
  double rew = 10.0 * env_hamacher(reach, inPlace);
  return won ? 10.0 : env_clamp(rew, 0.0, 10.0);
}

static void feedback(const envTask *task, char *out, size_t outsz) {
  int n = env_writeClosest(task, "observed-point", SUCCESS_DIST, out, outsz);
  if (n >= 0 && (size_t)n < outsz) {
    snprintf(out + n, outsz - (size_t)n,
             "; the drawer is out %.1f cm now (success needs at most 3.15)", 100.0 * outBy(task));
  }
}

const envTaskDef env_taskDrawerClose = {
    .name = "drawer-close",
    .instruction =
        "Drawer-close: push the open drawer of the cabinet on the table shut, away from the "
        "robot. Success: obj_pos within 6.5 cm of goal_pos, which holds once the drawer is "
        "within 3.15 cm of shut (it starts 15 cm out and slides straight along +y to shut). "
        "The cabinet faces the robot; the drawer's handle is a horizontal bar along x, 11.6 "
        "cm wide and 9 cm above the table, 8 cm in front of the drawer's face on two "
        "standoffs. obj_pos is the point 5 cm above the handle point, which is 1 cm in "
        "front of (toward the robot from) the bar's axis at its height, so obj_pos is 5 cm "
        "above the bar's height; obj_quat is the drawer's orientation (w x y z), always "
        "(1, 0, 0, 0); goal_pos is the handle point of the shut drawer moved 1 cm toward "
        "the cabinet (18 cm toward the robot from the cabinet's centre, at the handle's "
        "height, 5 cm below where obj_pos will be); obj2_pos and obj2_quat are zero.",
    .horizon = 10,
    .gain = 25.0,
    .objectsXml = env_objectsXml_drawer,
    .objects = objects,
    .draw = draw,
    .place = place,
    .observeObjects = observeObjects,
    .reward = reward,
    .goalDistance = goalDistance,
    ENV_EXPERT_FIELDS(drawer_close, expert),
    .hint = env_expertHint,
    .feedback = feedback,
};
