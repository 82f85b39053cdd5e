/* Tests of envs/tasks/drawer_open.c: the draw and the reset, the success threshold on how
 * far the drawer is out, the reward's range and shape, determinism, the zero controller,
 * the expert, the observation and the feedback. */
#include <math.h>
#include <string.h>

#include "task_checks.h"

TASK_SETUP("drawer-open")

/* Sets how far the drawer is out (m, at rest) and recomputes the state. */
static void setOut(envTask *task, double out) {
  task_setJoint(task, "drawer_slide", -out);
}

/* How the goal follows from the cabinet: 38 cm toward the robot, at the handle's height. */
static void checkGoal(const double obj[3], const double goal[3], double extra[2]) {
  (void)extra;
  assert_true(goal[0] == obj[0]);
  assert_true(fabs(goal[1] - (obj[1] - 0.38)) < 1e-12);
  assert_true(fabs(goal[2] - 0.09) < 1e-12);
  /* the goal is well apart from the cabinet and from the shut drawer's handle point */
  assert_true(hypot(obj[0] - goal[0], obj[1] - goal[1]) > 0.35);
}

static const taskDrawSpec draw = {
    .range = {{-0.1, 0.1, -0.09, 0.09}, {0.9, 0.9, 0, 0}, {0.0, 0.0, 0, 0}},
    .check = checkGoal,
};

static void draw_should_stay_in_range_over_1000_seeds(void **state) {
  task_checkDraw(*state, &draw);
}

/* The handle point of the shut drawer: cabinet + (0, -0.19, 0.09), 19 cm from the goal. */
static void checkObject(const taskFixture *f, const obs_t *obs, const double obj[3],
                        const double goal[3]) {
  (void)goal;
  assert_true(fabs(obs->obj_pos[0] - obj[0]) < 1e-6);
  assert_true(fabs(obs->obj_pos[1] - (obj[1] - 0.19)) < 1e-6);
  assert_true(fabs(obs->obj_pos[2] - 0.09) < 1e-6);
  assert_true(fabs(f->spec->def->goalDistance(f->task) - 0.19) < 1e-6);
}

static void reset_should_put_the_cabinet_where_drawn_with_the_drawer_shut(void **state) {
  /* the drawer upright; the hand where every task starts, away from the handle */
  static const taskResetSpec reset = {
      .check = checkObject, .quatAxis = 3, .hand = {0, 0.6, 0}, .handAxes = 2, .rewardBelow = 6.0};
  task_checkReset(*state, &reset);
}

/* The handle point moves with the drawer. */
static void checkHandle(const taskFixture *f, double out, int success, double r) {
  (void)success;
  (void)r;
  obs_t obs;
  env_observe(f->task, &obs);
  assert_true(fabs(obs.obj_pos[1] - (0.9 - 0.19 - out)) < 1e-9);
}

static void success_should_need_the_drawer_16_cm_out(void **state) {
  static const taskCase cases[] = {{0.0, 0},   {0.08, 0},  {0.155, 0},
                                   {0.161, 1}, {0.165, 1}, {0.17, 1}};
  static const taskProbe probe = {"out (m)", setOut, checkHandle};
  task_checkSuccessCases(*state, &probe, cases, sizeof cases / sizeof cases[0]);
}

static void reward_should_grow_as_the_drawer_opens(void **state) {
  taskFixture *f = *state;
  assert_int_equal(env_reset(f->task, 2, NULL, NULL, NULL, 0), TB_OK);
  double last = -1.0;
  for (int cm = 0; cm <= 17; cm += 3) {
    setOut(f->task, cm / 100.0);
    double r = env_reward(f->task, NULL);
    assert_true(r > last && r >= 0.0 && r <= 10.0);
    last = r;
  }
}

TASK_SHARED_TESTS(rewards_should_stay_within_0_and_10_over_random_actions,
                  zero_controller_should_not_open_the_drawer,
                  expert_should_open_the_drawer_within_the_horizon, NULL)

static void feedback_should_say_how_far_the_drawer_is_out(void **state) {
  static const char *const before[2] = {"closest handle-point-to-goal distance",
                                        "the drawer is out 0.0 cm now"};
  task_checkFeedback(*state, before, setOut, 0.08, "the drawer is out 8.0 cm now");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(draw_should_stay_in_range_over_1000_seeds),
      cmocka_unit_test(reset_should_put_the_cabinet_where_drawn_with_the_drawer_shut),
      cmocka_unit_test(success_should_need_the_drawer_16_cm_out),
      cmocka_unit_test(reward_should_grow_as_the_drawer_opens),
      cmocka_unit_test(rewards_should_stay_within_0_and_10_over_random_actions),
      cmocka_unit_test(same_seed_should_give_the_same_episode),
      cmocka_unit_test(zero_controller_should_not_open_the_drawer),
      cmocka_unit_test(expert_should_open_the_drawer_within_the_horizon),
      cmocka_unit_test(feedback_should_say_how_far_the_drawer_is_out),
  };
  return cmocka_run_group_tests(tests, setup, task_teardown);
}
