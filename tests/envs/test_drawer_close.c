/* Tests of envs/tasks/drawer_close.c: the draw and the reset, the success threshold on how
 * far the drawer is still out, the reward's range, determinism, the zero controller, the
 * expert, the observation and the feedback. */
#include <math.h>
#include <string.h>

#include "task_checks.h"

TASK_SETUP("drawer-close")

/* Sets how far the drawer is out (m, at rest) and recomputes the state. */
static void setOut(envTask *task, double out) {
  task_setJoint(task, "drawer_slide", -out);
}

/* How the goal follows from the cabinet: 18 cm toward the robot, at the handle's height. */
static void checkGoal(const double obj[3], const double goal[3], double extra[2]) {
  (void)extra;
  assert_true(goal[0] == obj[0]);
  assert_true(fabs(goal[1] - (obj[1] - 0.18)) < 1e-12);
  assert_true(fabs(goal[2] - 0.09) < 1e-12);
  /* and 15 cm from where the drawer's handle point starts */
  assert_true(fabs((obj[1] - 0.19 - 0.15) - goal[1]) > 0.15 - 1e-9);
}

static const taskDrawSpec draw = {
    .range = {{-0.1, 0.1, -0.09, 0.09}, {0.9, 0.9, 0, 0}, {0.0, 0.0, 0, 0}},
    .check = checkGoal,
};

static void draw_should_stay_in_range_over_1000_seeds(void **state) {
  task_checkDraw(*state, &draw);
}

/* 5 cm above the handle point of the drawer 15 cm out: cabinet + (0, -0.34, 0.14),
 * hypot(0.16, 0.05) from the goal. */
static void checkObject(const taskFixture *f, const obs_t *obs, const double obj[3],
                        const double goal[3]) {
  (void)goal;
  assert_true(fabs(obs->obj_pos[0] - obj[0]) < 1e-6);
  assert_true(fabs(obs->obj_pos[1] - (obj[1] - 0.34)) < 1e-6);
  assert_true(fabs(obs->obj_pos[2] - 0.14) < 1e-6);
  assert_true(fabs(f->spec->def->goalDistance(f->task) - hypot(0.16, 0.05)) < 1e-6);
}

static void reset_should_put_the_cabinet_where_drawn_with_the_drawer_15_cm_out(void **state) {
  /* the drawer upright; the hand where every task starts, over the open drawer */
  static const taskResetSpec reset = {
      .check = checkObject, .quatAxis = 3, .hand = {0, 0.6, 0}, .handAxes = 2, .rewardBelow = 1.0};
  task_checkReset(*state, &reset);
}

/* Full reward exactly at success; the observed point moves with the drawer. */
static void checkReward(const taskFixture *f, double out, int success, double r) {
  assert_true(success ? r == 10.0 : r < 10.0);
  obs_t obs;
  env_observe(f->task, &obs);
  assert_true(fabs(obs.obj_pos[1] - (0.9 - 0.19 - out)) < 1e-9);
}

static void success_should_need_the_drawer_within_3_15_cm_of_shut(void **state) {
  static const taskCase cases[] = {{0.15, 0},  {0.08, 0}, {0.033, 0},
                                   {0.030, 1}, {0.01, 1}, {0.0, 1}};
  static const taskProbe probe = {"out (m)", setOut, checkReward};
  task_checkSuccessCases(*state, &probe, cases, sizeof cases / sizeof cases[0]);
}

static void reward_should_need_the_closed_fingers_at_the_handle(void **state) {
  taskFixture *f = *state;
  assert_int_equal(env_reset(f->task, 2, NULL, NULL, NULL, 0), TB_OK);
  /* the fingers open after reset: nothing short of success, however far it is pushed */
  for (int cm = 15; cm >= 4; cm -= 3) {
    setOut(f->task, cm / 100.0);
    double r = env_reward(f->task, NULL);
    assert_true(r >= 0.0 && r < 0.5);
  }
  setOut(f->task, 0.02);
  assert_true(env_reward(f->task, NULL) == 10.0);
}

/* The step where the expert succeeds. */
static void checkExpertSuccess(const envStepResult *res) {
  assert_true(res->reward == 10.0);
}

TASK_SHARED_TESTS(rewards_should_stay_within_0_and_10_over_random_actions,
                  zero_controller_should_not_close_the_drawer,
                  expert_should_close_the_drawer_within_the_horizon, checkExpertSuccess)

static void feedback_should_say_how_far_the_drawer_is_out(void **state) {
  static const char *const before[2] = {"closest observed-point-to-goal distance",
                                        "the drawer is out 15.0 cm now"};
  task_checkFeedback(*state, before, setOut, 0.08, "the drawer is out 8.0 cm now");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(draw_should_stay_in_range_over_1000_seeds),
      cmocka_unit_test(reset_should_put_the_cabinet_where_drawn_with_the_drawer_15_cm_out),
      cmocka_unit_test(success_should_need_the_drawer_within_3_15_cm_of_shut),
      cmocka_unit_test(reward_should_need_the_closed_fingers_at_the_handle),
      cmocka_unit_test(rewards_should_stay_within_0_and_10_over_random_actions),
      cmocka_unit_test(same_seed_should_give_the_same_episode),
      cmocka_unit_test(zero_controller_should_not_close_the_drawer),
      cmocka_unit_test(expert_should_close_the_drawer_within_the_horizon),
      cmocka_unit_test(feedback_should_say_how_far_the_drawer_is_out),
  };
  return cmocka_run_group_tests(tests, setup, task_teardown);
}
