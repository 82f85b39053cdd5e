/* envs/tasks/window_close.c: window-close (Meta-World v2's window-close-v2), slide the
 * window's open pane back to the left until the observed point beside its handle is within
 * 5 cm of the goal's x, i.e. within 4 cm of shut (envs/README.md, "window-open and
 * window-close"). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "task.h"

/* the scripted expert: envs/experts/window_close.c under a file-local name */
static void expert(const obs_t *obs, double action[4]);
#define controller expert
#include "experts/window_close.c"
#undef controller
ENV_EXPERT_SOURCE(window_close);
ENV_OBJECTS_XML(window);

/* The objects the hooks use, spec->ids[FRAME] and so on. */
enum { FRAME = 0, SASH, SLIDE, POINT };
static const envObjectRef objects[] = {
    {mjOBJ_BODY, "window"},             /* FRAME: the mocap body of the frame */
    {mjOBJ_BODY, "window_sash"},        /* SASH */
    {mjOBJ_JOINT, "window_slide"},      /* SLIDE */
    {mjOBJ_SITE, "window_close_point"}, /* POINT: the observed point, right of the handle */
    {0, NULL},
};

#define SUCCESS_X 0.05       /* |point x - goal x| at success */
#define IN_PLACE_MARGIN 0.16 /* the point's 0.21 from the goal at reset less 0.05 */

static const double handInit[3] = {0.0, 0.4, 0.2};

/* The frame's centre at x 0, y [0.75, 0.9], z 0.2; the goal there. */
static void draw(const envTaskDef *def, uint64_t seed, double obj[3], double goal[3]) {
  (void)def;
  uint64_t state = env_seedState(seed);
  obj[0] = 0.0;
  obj[1] = env_uniform(&state, 0.75, 0.9);
  obj[2] = 0.2;
  memcpy(goal, obj, 3 * sizeof(double));
}

/* The frame where the draw says, the pane fully open and at rest. */
static void place(envTask *task, const double obj[3]) {
  env_placeFixture(task, FRAME, obj, SLIDE, 0.2);
}

static const double *point(const envTask *task) {
  return env_sitePos(task, POINT);
}

/* Slot 1: the point beside the handle and the pane's orientation (it does not turn). */
static void observeObjects(const envTask *task, obs_t *obs) {
  memcpy(obs->obj_pos, point(task), sizeof(obs->obj_pos));
  memcpy(obs->obj_quat, env_bodyQuat(task, SASH), sizeof(obs->obj_quat));
}

/* How far the pane is open (m, 0 .. 0.2). */
static double opening(const envTask *task) {
  return env_jointPos(task, SLIDE);
}

static double goalDistance(const envTask *task) {
  return fabs(point(task)[0] - task->goal[0]);
}

/* Meta-World's gaussian tolerance: 1 inside [lo, hi]; outside, exp(-0.5 (2.146 u)^2) with
 * u the distance to the bound in margins (0.1 at one margin). */
static double gaussTolerance(double x, double lo, double hi, double margin) {
  if (x >= lo && x <= hi) {
    return 1.0;
  }
  if (margin <= 0.0) {
    return 0.0;
  }
  double u = (x < lo ? lo - x : x - hi) / margin * 2.1460;
  return exp(-0.5 * u * u);
}

/* Meta-World's reward on 0..10: 10 H(reach, in_place), no override at success; reach (a
 * gaussian here) says the fingertips are at the observed point, in_place how far along x
 * it is. */
static double reward(const envTask *task, int *success) {
  double dx = goalDistance(task);
  if (success) {
    *success = dx <= SUCCESS_X;
  }
  double tcp[3];
  env_tcp(task, tcp);
  double reachMargin = env_dist3(task->objInit, task->tcpInit) - 0.02;
  double reach = gaussTolerance(env_dist3(point(task), tcp), 0.0, 0.02, reachMargin);
  double inPlace = env_tolerance(dx, 0.0, SUCCESS_X, IN_PLACE_MARGIN);
  return env_clamp(10.0 * env_hamacher(reach, inPlace), 0.0, 10.0);
}

static void feedback(const envTask *task, char *out, size_t outsz) {
  int n = env_writeClosest(task, "point-x", SUCCESS_X, out, outsz);
  if (n >= 0 && (size_t)n < outsz) {
    snprintf(out + n, outsz - (size_t)n,
             "; the window is open %.1f cm now (success needs at most 4)", opening(task) * 100.0);
  }
}

const envTaskDef env_taskWindowClose = {
    .name = "window-close",
    .instruction =
        "Window-close: slide the open pane of the window on the table back to the left "
        "(-x) until it is shut. Success: the x of obj_pos within 5 cm of the x of goal_pos, "
        "which holds once the pane is open 4 cm or less of its 20. The window stands "
        "upright facing the robot, 0.47 wide and 0.32 tall; its sliding pane starts fully "
        "open, over the fixed pane of the right half, and shuts by sliding left over the "
        "empty left half. The pane's handle is a vertical bar 10 cm long, 8 cm in front of "
        "the pane on its right edge, at the height of the window's centre. obj_pos is a "
        "point 2.4 cm right of the handle's bar at its mid-height, moving with the pane, "
        "and obj_quat the pane's orientation (w x y z), which stays 1 0 0 0 (it slides "
        "without turning); goal_pos is the window's centre (obj_pos is 1 cm right of its "
        "x with the pane shut); obj2_pos and obj2_quat are zero. The hand starts at "
        "(0, 0.4, 0.2).",
    .horizon = 10,
    .gain = 25.0,
    .handInit = handInit,
    .objectsXml = env_objectsXml_window,
    .objects = objects,
    .draw = draw,
    .place = place,
    .observeObjects = observeObjects,
    .reward = reward,
    .goalDistance = goalDistance,
    ENV_EXPERT_FIELDS(window_close, expert),
    .hint = env_expertHint,
    .feedback = feedback,
};
