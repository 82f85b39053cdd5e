/* envs/tasks/window_open.c: window-open (Meta-World v2's window-open-v2), slide the window's
 * pane to the right until the observed point beside its handle is within 5 cm of the
 * goal's x, i.e. at least 19 of its 20 cm open (envs/README.md, "window-open and
 * window-close"). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "task.h"

/* the scripted expert: envs/experts/window_open.c under a file-local name */
static void expert(const obs_t *obs, double action[4]);
#define controller expert
#include "experts/window_open.c"
#undef controller
ENV_EXPERT_SOURCE(window_open);
ENV_OBJECTS_XML(window);

/* The objects the hooks use, spec->ids[FRAME] and so on. */
enum { FRAME = 0, SASH, SLIDE, POINT };
static const envObjectRef objects[] = {
    {mjOBJ_BODY, "window"},            /* FRAME: the mocap body of the frame */
    {mjOBJ_BODY, "window_sash"},       /* SASH */
    {mjOBJ_JOINT, "window_slide"},     /* SLIDE */
    {mjOBJ_SITE, "window_open_point"}, /* POINT: the observed point, left of the handle */
    {0, NULL},
};

#define SUCCESS_X 0.05       /* |point x - goal x| at success */
#define IN_PLACE_MARGIN 0.15 /* Meta-World's: the goal's 0.2 from the frame less 0.05 */

static const double handInit[3] = {0.0, 0.4, 0.2};

/* The frame's centre at x [-0.1, 0.1], y [0.7, 0.9], z 0.16; the goal 20 cm to its right. */
static void draw(const envTaskDef *def, uint64_t seed, double obj[3], double goal[3]) {
  (void)def;
  uint64_t state = env_seedState(seed);
  obj[0] = env_uniform(&state, -0.1, 0.1);
  obj[1] = env_uniform(&state, 0.7, 0.9);
  obj[2] = 0.16;
  goal[0] = obj[0] + 0.2;
  goal[1] = obj[1];
  goal[2] = obj[2];
}

/* The frame where the draw says, the pane shut and at rest. */
static void place(envTask *task, const double obj[3]) {
  env_placeFixture(task, FRAME, obj, SLIDE, 0.0);
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

/* Meta-World's reward on 0..10: 10 H(reach, in_place), no override at success; reach says
 * the fingertips are at the observed point, in_place how far along x it is. */
static double reward(const envTask *task, int *success) {
  double dx = goalDistance(task);
  if (success) {
    *success = dx <= SUCCESS_X;
  }
  double tcp[3];
  env_tcp(task, tcp);
  double reachMargin = env_dist3(task->objInit, task->tcpInit) - 0.02;
  double reach = env_tolerance(env_dist3(point(task), tcp), 0.0, 0.02, reachMargin);
  double inPlace = env_tolerance(dx, 0.0, SUCCESS_X, IN_PLACE_MARGIN);
  return env_clamp(10.0 * env_hamacher(reach, inPlace), 0.0, 10.0);
}

static void feedback(const envTask *task, char *out, size_t outsz) {
  int n = env_writeClosest(task, "point-x", SUCCESS_X, out, outsz);
  if (n >= 0 && (size_t)n < outsz) {
    snprintf(out + n, outsz - (size_t)n,
             "; the window is open %.1f cm now (success needs at least 19 of its 20)",
             opening(task) * 100.0);
  }
}

const envTaskDef env_taskWindowOpen = {
    .name = "window-open",
    .instruction =
        "Window-open: slide the pane of the window on the table to the right (+x) until it "
        "is open. Success: the x of obj_pos within 5 cm of the x of goal_pos, which holds "
        "once the pane has slid at least 19 of its 20 cm. The window stands upright facing "
        "the robot, 0.47 wide and 0.32 tall; its left half is a sliding pane, shut at the "
        "start, which slides to the right over a fixed pane behind it. The pane's handle is "
        "a vertical bar 10 cm long, 8 cm in front of the pane on its right edge, at the "
        "height of the window's centre. obj_pos is a point 2.6 cm left of the handle's bar "
        "at its mid-height, moving with the pane, and obj_quat the pane's orientation "
        "(w x y z), which stays 1 0 0 0 (it slides without turning); goal_pos is 20 cm "
        "right of the window's centre, at the handle's height (where obj_pos is 4 cm "
        "short of with the pane fully open); obj2_pos and obj2_quat are zero. The hand "
        "starts at (0, 0.4, 0.2).",
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
    ENV_EXPERT_FIELDS(window_open, expert),
    .hint = env_expertHint,
    .feedback = feedback,
};
