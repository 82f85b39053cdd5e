/* Tests of envs/tasks/door_open.c: the draw and the reset, the success window of the door's
 * angle, the reward's range and shape, determinism, the zero controller, the expert, the
 * observation and the feedback. */
#include <math.h>
#include <string.h>

#include "task_checks.h"

TASK_SETUP("door-open")

/* Sets the door's angle (at rest) and recomputes the state. */
static void setAngle(envTask *task, double angle) {
  task_setJoint(task, "door_hinge", angle);
}

/* How the goal follows from the safe: 30 cm left, 45 cm toward the robot. */
static void checkGoal(const double obj[3], const double goal[3], double extra[2]) {
  (void)extra;
  assert_true(fabs(goal[0] - (obj[0] - 0.30)) < 1e-12);
  assert_true(fabs(goal[1] - (obj[1] - 0.45)) < 1e-12);
  assert_true(goal[2] == obj[2]);
  assert_true(hypot(obj[0] - goal[0], obj[1] - goal[1]) > 0.5);
}

static const taskDrawSpec draw = {
    .range = {{0.0, 0.1, 0.01, 0.09}, {0.85, 0.95, 0.86, 0.94}, {0.15, 0.15, 0, 0}},
    .check = checkGoal,
};

static void draw_should_stay_in_range_over_1000_seeds(void **state) {
  task_checkDraw(*state, &draw);
}

/* The handle point of a shut door: safe + (0.1907, -0.2071, 0). */
static void checkObject(const taskFixture *f, const obs_t *obs, const double obj[3],
                        const double goal[3]) {
  (void)f;
  (void)goal;
  assert_true(fabs(obs->obj_pos[0] - (obj[0] + 0.1907)) < 1e-6);
  assert_true(fabs(obs->obj_pos[1] - (obj[1] - 0.2071)) < 1e-6);
  assert_true(fabs(obs->obj_pos[2] - obj[2]) < 1e-6);
}

static void reset_should_put_the_safe_where_drawn_with_the_door_shut(void **state) {
  /* the door shut; the hand where every task starts, well away from the handle */
  static const taskResetSpec reset = {
      .check = checkObject, .quatAxis = 3, .hand = {0, 0.6, 0}, .handAxes = 2, .rewardBelow = 2.0};
  task_checkReset(*state, &reset);
}

/* Sets the door open by degrees. */
static void setDegrees(envTask *task, double degrees) {
  setAngle(task, -degrees * M_PI / 180.0);
}

/* Full reward exactly at success; the observation turns with the door: w = cos(angle / 2),
 * z = sin(angle / 2). */
static void checkTurn(const taskFixture *f, double degrees, int success, double r) {
  assert_true(success ? r == 10.0 : r < 10.0);
  obs_t obs;
  env_observe(f->task, &obs);
  double half = -degrees * M_PI / 360.0;
  assert_true(fabs(obs.obj_quat[0] - cos(half)) < 1e-9);
  assert_true(fabs(obs.obj_quat[3] - sin(half)) < 1e-9);
}

static void success_should_hold_from_79_to_104_degrees_open(void **state) {
  taskFixture *f = *state;
  static const taskCase cases[] = {{0, 0},  {45, 0},  {78, 0},  {80, 1},
                                   {92, 1}, {103, 1}, {105, 0}, {114, 0}};
  static const taskProbe probe = {"degrees open", setDegrees, checkTurn};
  task_checkSuccessCases(f, &probe, cases, sizeof cases / sizeof cases[0]);
  /* the measure is the handle's x alone */
  setAngle(f->task, -1.6);
  assert_true(f->spec->def->goalDistance(f->task) <= 0.08);
}

static void reward_should_grow_as_the_door_opens(void **state) {
  taskFixture *f = *state;
  assert_int_equal(env_reset(f->task, 2, NULL, NULL, NULL, 0), TB_OK);
  double last = -1.0;
  for (int deg = 0; deg <= 75; deg += 15) {
    setAngle(f->task, -deg * M_PI / 180.0);
    double r = env_reward(f->task, NULL);
    assert_true(r > last && r >= 0.0 && r < 10.0);
    last = r;
  }
}

/* The step where the expert succeeds. */
static void checkExpertSuccess(const envStepResult *res) {
  assert_true(res->reward == 10.0);
}

TASK_SHARED_TESTS(rewards_should_stay_within_0_and_10_over_random_actions,
                  zero_controller_should_not_open_the_door,
                  expert_should_open_the_door_within_the_horizon, checkExpertSuccess)

static void feedback_should_say_how_far_the_door_is_open(void **state) {
  static const char *const before[2] = {"closest handle-x-to-goal distance",
                                        "the door is open 0 degrees now"};
  task_checkFeedback(*state, before, setAngle, -0.5, "the door is open 29 degrees now");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(draw_should_stay_in_range_over_1000_seeds),
      cmocka_unit_test(reset_should_put_the_safe_where_drawn_with_the_door_shut),
      cmocka_unit_test(success_should_hold_from_79_to_104_degrees_open),
      cmocka_unit_test(reward_should_grow_as_the_door_opens),
      cmocka_unit_test(rewards_should_stay_within_0_and_10_over_random_actions),
      cmocka_unit_test(same_seed_should_give_the_same_episode),
      cmocka_unit_test(zero_controller_should_not_open_the_door),
      cmocka_unit_test(expert_should_open_the_door_within_the_horizon),
      cmocka_unit_test(feedback_should_say_how_far_the_door_is_open),
  };
  return cmocka_run_group_tests(tests, setup, task_teardown);
}
