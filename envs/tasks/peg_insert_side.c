/* envs/tasks/peg_insert_side.c: peg-insert-side (Meta-World v2's peg-insert-side-v2),
 * grasp a bar lying on the table and push its end into the square hole in the side of a
 * box (envs/README.md, "peg-insert-side"). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "task.h"

/* the scripted expert: envs/experts/peg_insert_side.c under a file-local name */
static void expert(const obs_t *obs, double action[4]);
#define controller expert
#include "experts/peg_insert_side.c"
#undef controller
ENV_EXPERT_SOURCE(peg_insert_side);
ENV_OBJECTS_XML(peg_box);

/* The objects the hooks use, spec->ids[PEG] and so on. */
enum { PEG = 0, PEG_JOINT, BOX, HEAD, GRASP };
static const envObjectRef objects[] = {
    {mjOBJ_BODY, "peg"},       /* PEG */
    {mjOBJ_JOINT, "peg"},      /* PEG_JOINT: its free joint */
    {mjOBJ_BODY, "peg_box"},   /* BOX: the mocap body of the box */
    {mjOBJ_SITE, "peg_head"},  /* HEAD: the end that goes in */
    {mjOBJ_SITE, "peg_grasp"}, /* GRASP: slot 1 */
    {0, NULL},
};

#define SUCCESS_D 0.07 /* weighted head-to-goal distance at success */
#define PEG_REST_Z 0.015
static const double goalInBox[3] = {0.03, 0.0, 0.13};     /* goal - box origin */
static const double graspToHead[3] = {-0.13, 0.0, -0.01}; /* head - grasp point, level */

/* The peg's centre at x [0, 0.2], y [0.5, 0.7], resting on the table; the box at
 * x [-0.35, -0.25], y [0.4, 0.7], on the table; the goal 3 cm inside the box from its
 * centre, on the hole's axis. */
static void draw(const envTaskDef *def, uint64_t seed, double obj[3], double goal[3]) {
  (void)def;
  uint64_t state = env_seedState(seed);
  obj[0] = env_uniform(&state, 0.0, 0.2);
  obj[1] = env_uniform(&state, 0.5, 0.7);
  obj[2] = PEG_REST_Z;
  double box[2];
  box[0] = env_uniform(&state, -0.35, -0.25);
  box[1] = env_uniform(&state, 0.4, 0.7);
  goal[0] = box[0] + goalInBox[0];
  goal[1] = box[1] + goalInBox[1];
  goal[2] = goalInBox[2];
}

/* The peg level and at rest at obj, the box where the goal says. */
static void place(envTask *task, const double obj[3]) {
  env_placeFree(task, PEG_JOINT, obj);
  const mjModel *m = task->spec->m;
  mjData *d = sim_data(task->world);
  double *box = d->mocap_pos + 3 * m->body_mocapid[task->spec->ids[BOX]];
  for (int i = 0; i < 3; i++) {
    box[i] = task->goal[i] - goalInBox[i];
  }
}

/* Slot 1: the grasp point and the peg's orientation. */
static void observeObjects(const envTask *task, obs_t *obs) {
  memcpy(obs->obj_pos, env_sitePos(task, GRASP), sizeof(obs->obj_pos));
  memcpy(obs->obj_quat, env_bodyQuat(task, PEG), sizeof(obs->obj_quat));
}

/* |(head - goal) (1, 2, 2)|: y and z count double. */
static double weighted(const double head[3], const double goal[3]) {
  double dx = head[0] - goal[0];
  double dy = 2.0 * (head[1] - goal[1]);
  double dz = 2.0 * (head[2] - goal[2]);
  return sqrt(dx * dx + dy * dy + dz * dz);
}

static double goalDistance(const envTask *task) {
  return weighted(env_sitePos(task, HEAD), task->goal);
}

/* 1 outside the box lo..hi; inside, the product over the axes of how far p is from lo
 * toward hi. */
static double prismTolerance(const double p[3], const double lo[3], const double hi[3]) {
  double f = 1.0;
  for (int i = 0; i < 3; i++) {
    if (p[i] < lo[i] || p[i] > hi[i]) {
      return 1.0;
    }
    f *= (p[i] - lo[i]) / (hi[i] - lo[i]);
  }
  return f;
}

/* Meta-World's reward on 0..10: H(grasp, in_place), + 1 + 5 in_place while the peg is
 * held up, 10 at success; in_place shrinks where the head would hit the box's face above
 * or below the hole (envs/README.md, "peg-insert-side"). */
static double reward(const envTask *task, int *success) {
  const double *head = env_sitePos(task, HEAD);
  const double *grasp = env_sitePos(task, GRASP);
  double d = weighted(head, task->goal);
  int won = d <= SUCCESS_D;
  if (success) {
    *success = won;
  }
  if (won) {
    return 10.0;
  }

  /* in place: the distance from the start, and the two regions in front of the face */
  double headInit[3];
  for (int i = 0; i < 3; i++) {
    headInit[i] = task->objInit[i] + graspToHead[i];
  }
  double inPlace = env_tolerance(d, 0.0, SUCCESS_D, weighted(headInit, task->goal));
  double box[3];
  for (int i = 0; i < 3; i++) {
    box[i] = task->goal[i] - goalInBox[i];
  }
  const double below[2][3] = {{box[0] + 0.11, box[1] - 0.1, box[2] + 0.01},
                              {box[0] + 0.15, box[1] + 0.1, box[2] + 0.096}};
  const double above[2][3] = {{box[0] + 0.11, box[1] - 0.1, box[2] + 0.16},
                              {box[0] + 0.17, box[1] + 0.1, box[2] + 0.19}};
  double clear = env_hamacher(prismTolerance(head, above[0], above[1]),
                              prismTolerance(head, below[0], below[1]));
  inPlace = env_hamacher(inPlace, clear);

  /* grasp: the fingertips at the grasp point, more with the fingers closed; 1 while held up */
  double tcp[3];
  env_tcp(task, tcp);
  const mjData *data = sim_data(task->world);
  double spread = env_clamp(
      env_dist3(data->xpos + 3 * task->spec->fingerR, data->xpos + 3 * task->spec->fingerL) / 0.1,
      0.0, 1.0);
  double toGrasp = env_dist3(tcp, grasp);
  double margin = fmax(env_dist3(task->tcpInit, task->objInit), 0.02);
  double g = env_tolerance(toGrasp, 0.0, 0.02, margin) *
             (0.5 + 0.5 * env_clamp((1.0 - spread) / 0.5, 0.0, 1.0));
  int held = toGrasp < 0.08 && grasp[2] > 0.03;
  double r = env_hamacher(held ? 1.0 : g, inPlace);
  if (held) {
    r += 1.0 + 5.0 * inPlace;
  }
  return env_clamp(r, 0.0, 10.0);
}

static void feedback(const envTask *task, char *out, size_t outsz) {
  int n = env_writeClosest(task, "weighted peg-head", SUCCESS_D, out, outsz);
  if (n >= 0 && (size_t)n < outsz) {
    const double *head = env_sitePos(task, HEAD);
    snprintf(out + n, outsz - (size_t)n,
             "; the peg's head is %.1f cm from the hole's axis and %.1f cm %s the box's face "
             "now",
             100.0 * hypot(head[1] - task->goal[1], head[2] - task->goal[2]),
             100.0 * fabs(head[0] - (task->goal[0] + 0.066)),
             head[0] < task->goal[0] + 0.066 ? "inside" : "outside");
  }
}

const envTaskDef env_taskPegInsertSide = {
    .name = "peg-insert-side",
    .instruction =
        "Peg-insert-side: pick up the blue peg lying on the table and push its head end into "
        "the square hole in the side of the box, from the side. Success: the distance from "
        "the peg's head to goal_pos, with the y and z differences counted double, within "
        "7 cm; goal_pos is on the hole's axis, 6.6 cm inside the box, so the head must be "
        "about at the hole's mouth or in it. The peg is a bar 24 cm long along x and 3 x 3 "
        "cm in section, lying on the table; its head is the end toward -x (the box side). "
        "The box stands to the robot's left (x -0.35 to -0.25 for its centre), 20 cm tall; "
        "the hole, 6 x 6 cm, goes through it along x, centred 13 cm above the table, with "
        "its mouth on the box's +x face, 3.6 cm further toward +x than goal_pos. obj_pos is "
        "a grasp point on the peg's top, 3 cm from its centre toward its tail (+x) and 1 cm "
        "above the centre; level, the head is at obj_pos + (-0.13, 0, -0.01). obj_quat is "
        "the peg's orientation (w x y z), 1 0 0 0 as it lies; obj2_pos and obj2_quat are "
        "zero.",
    .horizon = 10,
    .gain = 25.0,
    .objectsXml = env_objectsXml_peg_box,
    .objects = objects,
    .draw = draw,
    .place = place,
    .observeObjects = observeObjects,
    .reward = reward,
    .goalDistance = goalDistance,
    ENV_EXPERT_FIELDS(peg_insert_side, expert),
    .hint = env_expertHint,
    .feedback = feedback,
};
