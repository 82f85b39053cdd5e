/* envs/tasks/button_press_topdown.c: button-press-topdown (Meta-World v2's
 * button-press-topdown-v2), press a push-button down from above until its cap top is
 * within 2.4 cm of the goal's height, 6.9 cm or more into its travel (envs/README.md,
 * "button-press-topdown"). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "task.h"

/* the scripted expert: envs/experts/button_press_topdown.c under a file-local name */
static void expert(const obs_t *obs, double action[4]);
#define controller expert
#include "experts/button_press_topdown.c"
#undef controller
ENV_EXPERT_SOURCE(button_press_topdown);
ENV_OBJECTS_XML(button);

/* The objects the hooks use, spec->ids[BOX] and so on. */
enum { BOX = 0, PLUNGER, SLIDE, TOP };
static const envObjectRef objects[] = {
    {mjOBJ_BODY, "button_box"},    /* BOX: the mocap body of the housing */
    {mjOBJ_BODY, "button"},        /* PLUNGER */
    {mjOBJ_JOINT, "button_slide"}, /* SLIDE */
    {mjOBJ_SITE, "button_top"},    /* TOP: the cap top, slot 1 */
    {0, NULL},
};

static const double handInit[3] = {0.0, 0.4, 0.2};

#define SUCCESS_Z 0.024 /* |cap top z - goal z| at success */
#define TOP_Z 0.1935    /* the cap top above the housing's origin, not pressed */
#define GOAL_Z 0.10     /* the goal above the housing's origin */

/* The housing's origin at x [-0.1, 0.1], y [0.8, 0.9], z 0.115; the goal 10 cm above it. */
static void draw(const envTaskDef *def, uint64_t seed, double obj[3], double goal[3]) {
  (void)def;
  uint64_t state = env_seedState(seed);
  obj[0] = env_uniform(&state, -0.1, 0.1);
  obj[1] = env_uniform(&state, 0.8, 0.9);
  obj[2] = 0.115;
  goal[0] = obj[0];
  goal[1] = obj[1];
  goal[2] = obj[2] + GOAL_Z;
}

/* The housing where the draw says, the button up and at rest. */
static void place(envTask *task, const double obj[3]) {
  env_placeFixture(task, BOX, obj, SLIDE, 0.0);
}

static const double *capTop(const envTask *task) {
  return env_sitePos(task, TOP);
}

/* Slot 1: the cap top and the plunger's orientation (upright: 1 0 0 0). */
static void observeObjects(const envTask *task, obs_t *obs) {
  memcpy(obs->obj_pos, capTop(task), sizeof(obs->obj_pos));
  memcpy(obs->obj_quat, env_bodyQuat(task, PLUNGER), sizeof(obs->obj_quat));
}

/* How far the button is pressed (m, positive down; the spring's preload holds it a
 * hair above 0 at rest). */
static double pressedBy(const envTask *task) {
  return fmax(0.0, -env_jointPos(task, SLIDE));
}

static double goalDistance(const envTask *task) {
  return fabs(capTop(task)[2] - task->goal[2]);
}

/* Meta-World's reward on 0..10: 5 H(closed, near) + 5 pressed while the fingertips are
 * within 3 cm of the cap top; no bonus at success (envs/README.md,
 * "button-press-topdown"). */
static double reward(const envTask *task, int *success) {
  const double *top = capTop(task);
  double tcp[3];
  env_tcp(task, tcp);
  double tcpToTop = env_dist3(tcp, top);
  double zToGoal = fabs(top[2] - task->goal[2]);
  if (success) {
    *success = zToGoal <= SUCCESS_Z;
  }
  const mjData *d = sim_data(task->world);
  const double *fr = d->xpos + 3 * task->spec->fingerR;
  const double *fl = d->xpos + 3 * task->spec->fingerL;
  double spread = env_clamp(env_dist3(fr, fl) / 0.1, 0.0, 1.0);

  double near = env_tolerance(tcpToTop, 0.0, 0.01, env_dist3(top, task->tcpInit));
  double pressed = env_tolerance(zToGoal, 0.0, 0.005, TOP_Z - GOAL_Z);
  double r = 5.0 * env_hamacher(1.0 - spread, near);
  if (tcpToTop <= 0.03) {
    r += 5.0 * pressed;
  }
  return env_clamp(r, 0.0, 10.0);
}

static void feedback(const envTask *task, char *out, size_t outsz) {
  int n = env_writeClosest(task, "button-top-z", SUCCESS_Z, out, outsz);
  if (n >= 0 && (size_t)n < outsz) {
    snprintf(out + n, outsz - (size_t)n,
             "; the button is pressed %.1f cm now (success needs about 6.9 of its 8)",
             100.0 * pressedBy(task));
  }
}

const envTaskDef env_taskButtonPressTopdown = {
    .name = "button-press-topdown",
    .instruction =
        "Button-press-topdown: press the red push-button on the table straight down from "
        "above. Success: the z of the button's cap top (obj_pos) within 2.4 cm of the z of "
        "goal_pos, which needs the button pressed at least 6.9 cm of its 8 cm travel (only "
        "z counts). The button sits in a block 24 cm square whose top is 20.5 cm above the "
        "table; its cap (radius 4.3 cm) stands 10.4 cm above the block and a spring holds it "
        "up. obj_pos is the centre of the cap's top face, which sinks as the button is "
        "pressed, and obj_quat the button's orientation (w x y z), upright (1 0 0 0); "
        "goal_pos is 9.35 cm below the unpressed cap top, on the button's axis; obj2_pos "
        "and obj2_quat are zero. The hand starts at (0, 0.4, 0.2).",
    .horizon = 10,
    .gain = 25.0,
    .handInit = handInit,
    .objectsXml = env_objectsXml_button,
    .objects = objects,
    .draw = draw,
    .place = place,
    .observeObjects = observeObjects,
    .reward = reward,
    .goalDistance = goalDistance,
    ENV_EXPERT_FIELDS(button_press_topdown, expert),
    .hint = env_expertHint,
    .feedback = feedback,
};
