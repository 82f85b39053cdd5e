/* Tests of envs/tasks/peg_insert_side.c: the draw and the reset, the success threshold on
 * the weighted head-to-goal distance, the reward's range, determinism, the zero controller,
 * the expert, the observation and the feedback. */
#include <math.h>
#include <string.h>

#include "task_checks.h"

TASK_SETUP("peg-insert-side")

/* Puts the peg level and at rest with its centre at c, and recomputes the state. */
static void setPeg(envTask *task, const double c[3]) {
  const mjModel *m = sim_model(env_world(task));
  mjData *d = sim_data(env_world(task));
  int joint = mj_name2id(m, mjOBJ_JOINT, "peg");
  double *q = d->qpos + m->jnt_qposadr[joint];
  memcpy(q, c, 3 * sizeof(double));
  q[3] = 1.0;
  q[4] = q[5] = q[6] = 0.0;
  memset(d->qvel + m->jnt_dofadr[joint], 0, 6 * sizeof(double));
  assert_int_equal(sim_forward(env_world(task), NULL, 0), TB_OK);
}

/* How the goal follows from the box (x [-0.35, -0.25], y [0.4, 0.7]): + (0.03, 0, 0.13);
 * extra is the box's x and y. */
static void checkGoal(const double obj[3], const double goal[3], double extra[2]) {
  double box[2] = {goal[0] - 0.03, goal[1]};
  assert_true(goal[2] == 0.13);
  /* peg and box apart: the centres over 0.1 apart in xy (Meta-World's redraw test) and
   * the peg's -x end (12 cm from its centre) 3 cm or more clear of the box's +x side */
  assert_true(hypot(obj[0] - box[0], obj[1] - box[1]) > 0.1);
  assert_true(obj[0] - 0.12 > box[0] + 0.1 + 0.03 - 1e-9);
  extra[0] = box[0];
  extra[1] = box[1];
}

static const taskDrawSpec draw = {
    .range = {{0.0, 0.2, 0.01, 0.19},
              {0.5, 0.7, 0.51, 0.69},
              {0.015, 0.015, 0, 0},
              {-0.35 - 1e-12, -0.25 + 1e-12, -0.345, -0.255},
              {0.4, 0.7, 0.41, 0.69}},
    .nExtra = 2,
    .check = checkGoal,
};

static void draw_should_stay_in_range_over_1000_seeds(void **state) {
  task_checkDraw(*state, &draw);
}

/* Slot 1 is the grasp point, peg centre + (0.03, 0, 0.01); the box puts the goal 6.6 cm
 * inside the hole's mouth, on its axis. */
static void checkObject(const taskFixture *f, const obs_t *obs, const double obj[3],
                        const double goal[3]) {
  assert_true(fabs(obs->obj_pos[0] - (obj[0] + 0.03)) < 1e-6);
  assert_true(fabs(obs->obj_pos[1] - obj[1]) < 1e-6);
  assert_true(fabs(obs->obj_pos[2] - (obj[2] + 0.01)) < 1e-6);
  const mjModel *m = f->spec->m;
  int box = mj_name2id(m, mjOBJ_BODY, "peg_box");
  int hole = mj_name2id(m, mjOBJ_SITE, "peg_hole");
  const mjData *d = sim_data(env_world(f->task));
  assert_true(fabs(d->xpos[3 * box] - (goal[0] - 0.03)) < 1e-9);
  assert_true(fabs(d->site_xpos[3 * hole] - (goal[0] + 0.066)) < 1e-9);
  assert_true(fabs(d->site_xpos[3 * hole + 1] - goal[1]) < 1e-9);
  assert_true(fabs(d->site_xpos[3 * hole + 2] - goal[2]) < 1e-9);
}

static void reset_should_put_the_peg_and_box_where_drawn(void **state) {
  /* the peg level; the hand starts at (0, 0.6, 0.2) */
  static const taskResetSpec reset = {.check = checkObject,
                                      .quatAxis = 3,
                                      .hand = {0, 0.6, 0.2},
                                      .handAxes = 6,
                                      .rewardBelow = 1.0};
  task_checkReset(*state, &reset);
}

static void success_should_need_the_head_within_7_cm_weighted(void **state) {
  taskFixture *f = *state;
  obs_t obs;
  assert_int_equal(env_reset(f->task, 5, NULL, &obs, NULL, 0), TB_OK);
  const double *g = obs.goal_pos;
  /* the head is the centre - (0.10, 0, 0); (dx, dy, dz) of the head from the goal */
  static const struct {
    double dx, dy, dz;
    int success;
  } cases[] = {
      {0.0, 0.0, 0.0, 1},   {0.069, 0.0, 0.0, 1}, {0.071, 0.0, 0.0, 0},
      {0.0, 0.034, 0.0, 1}, {0.0, 0.036, 0.0, 0}, {0.0, 0.0, -0.036, 0},
      {0.05, 0.02, 0.0, 1}, {0.05, 0.03, 0.0, 0}, {0.3, 0.0, -0.115, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    double c[3] = {g[0] + cases[i].dx + 0.10, g[1] + cases[i].dy, g[2] + cases[i].dz};
    setPeg(f->task, c);
    int success = -1;
    double r = env_reward(f->task, &success);
    if (success != cases[i].success) {
      fail_msg("head at goal + (%.3f, %.3f, %.3f): success %d", cases[i].dx, cases[i].dy,
               cases[i].dz, success);
    }
    assert_true(r >= 0.0 && r <= 10.0);
    assert_true(success ? r == 10.0 : r < 10.0);
    double dx = cases[i].dx;
    double dy = 2.0 * cases[i].dy;
    double dz = 2.0 * cases[i].dz;
    assert_true(fabs(f->spec->def->goalDistance(f->task) - sqrt(dx * dx + dy * dy + dz * dz)) <
                1e-9);
  }
}

/* The step where the expert succeeds. */
static void checkExpertSuccess(const envStepResult *res) {
  assert_true(res->reward == 10.0);
  /* held in the fingers, in the hole: the head past the mouth, near the axis */
  assert_true(res->obs.obj_pos[2] > 0.1);
}

TASK_SHARED_TESTS(reward_should_stay_within_0_and_10_over_random_actions,
                  zero_controller_should_not_insert_the_peg,
                  expert_should_insert_the_peg_within_the_horizon, checkExpertSuccess)

static void feedback_should_say_where_the_head_is(void **state) {
  taskFixture *f = *state;
  obs_t obs;
  assert_int_equal(env_reset(f->task, 1, NULL, &obs, NULL, 0), TB_OK);
  char line[256];
  env_feedback(f->task, line, sizeof line);
  assert_non_null(strstr(line, "closest weighted peg-head-to-goal distance"));
  assert_non_null(strstr(line, "outside the box's face now"));
  double c[3] = {obs.goal_pos[0] + 0.10, obs.goal_pos[1], obs.goal_pos[2]};
  setPeg(f->task, c);
  env_feedback(f->task, line, sizeof line);
  assert_non_null(strstr(line, "0.0 cm from the hole's axis and 6.6 cm inside"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(draw_should_stay_in_range_over_1000_seeds),
      cmocka_unit_test(reset_should_put_the_peg_and_box_where_drawn),
      cmocka_unit_test(success_should_need_the_head_within_7_cm_weighted),
      cmocka_unit_test(reward_should_stay_within_0_and_10_over_random_actions),
      cmocka_unit_test(same_seed_should_give_the_same_episode),
      cmocka_unit_test(zero_controller_should_not_insert_the_peg),
      cmocka_unit_test(expert_should_insert_the_peg_within_the_horizon),
      cmocka_unit_test(feedback_should_say_where_the_head_is),
  };
  return cmocka_run_group_tests(tests, setup, task_teardown);
}
