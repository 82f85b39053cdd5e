/* Tests of envs/tasks/door_open.c: the draw and the reset, the success window of the door's
 * angle, the reward's range and shape, determinism, the zero controller, the expert, the
 * observation and the feedback. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tracebot/envs.h"
#include "task_checks.h"
#include "task.h" /* env_drawTask, the spec's ids */

static int setup(void **state) {
  return task_setup(state, "door-open");
}

/* Sets the door's angle (at rest) and recomputes the state. */
static void setAngle(envTask *task, double angle) {
  task_setJoint(task, "door_hinge", angle);
}

static void draw_should_stay_in_range_over_1000_seeds(void **state) {
  taskFixture *f = *state;
  double lo[3] = {1, 1, 1};
  double hi[3] = {-1, -1, -1};
  for (uint64_t seed = 0; seed < 1000; seed++) {
    double obj[3];
    double goal[3];
    env_drawTask(f->id, seed, obj, goal);
    assert_true(obj[0] >= 0.0 && obj[0] <= 0.1);
    assert_true(obj[1] >= 0.85 && obj[1] <= 0.95);
    assert_true(obj[2] == 0.15);
    /* the goal follows from the safe: 30 cm left, 45 cm toward the robot */
    assert_true(fabs(goal[0] - (obj[0] - 0.30)) < 1e-12);
    assert_true(fabs(goal[1] - (obj[1] - 0.45)) < 1e-12);
    assert_true(goal[2] == obj[2]);
    assert_true(hypot(obj[0] - goal[0], obj[1] - goal[1]) > 0.5);
    for (int i = 0; i < 2; i++) {
      lo[i] = fmin(lo[i], obj[i]);
      hi[i] = fmax(hi[i], obj[i]);
    }
  }
  /* the draws fill the ranges */
  assert_true(lo[0] < 0.01 && hi[0] > 0.09 && lo[1] < 0.86 && hi[1] > 0.94);
}

static void reset_should_put_the_safe_where_drawn_with_the_door_shut(void **state) {
  taskFixture *f = *state;
  for (uint64_t seed = 0; seed < 20; seed++) {
    obs_t obs;
    double obj[3];
    double goal[3];
    assert_int_equal(env_reset(f->task, seed, NULL, &obs, NULL, 0), TB_OK);
    env_drawTask(f->id, seed, obj, goal);
    assert_memory_equal(obs.goal_pos, goal, sizeof goal);
    /* the handle point of a shut door: safe + (0.1907, -0.2071, 0) */
    assert_true(fabs(obs.obj_pos[0] - (obj[0] + 0.1907)) < 1e-6);
    assert_true(fabs(obs.obj_pos[1] - (obj[1] - 0.2071)) < 1e-6);
    assert_true(fabs(obs.obj_pos[2] - obj[2]) < 1e-6);
    /* the door's orientation: shut, w x y z */
    assert_true(fabs(obs.obj_quat[0] - 1.0) < 1e-9 && fabs(obs.obj_quat[3]) < 1e-9);
    static const double zero[4];
    assert_memory_equal(obs.obj2_pos, zero, sizeof obs.obj2_pos);
    assert_memory_equal(obs.obj2_quat, zero, sizeof obs.obj2_quat);
    /* the hand is where every task starts, well away from the handle */
    assert_true(fabs(obs.hand_pos[1] - 0.6) < 0.005);
    int success = 1;
    double r = env_reward(f->task, &success);
    assert_int_equal(success, 0);
    assert_true(r >= 0.0 && r < 2.0);
  }
}

static void success_should_hold_from_79_to_104_degrees_open(void **state) {
  taskFixture *f = *state;
  assert_int_equal(env_reset(f->task, 5, NULL, NULL, NULL, 0), TB_OK);
  static const struct {
    double degrees;
    int success;
  } cases[] = {{0, 0}, {45, 0}, {78, 0}, {80, 1}, {92, 1}, {103, 1}, {105, 0}, {114, 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    setAngle(f->task, -cases[i].degrees * M_PI / 180.0);
    int success = -1;
    double r = env_reward(f->task, &success);
    if (success != cases[i].success) {
      fail_msg("%.0f degrees open: success %d", cases[i].degrees, success);
    }
    assert_true(r >= 0.0 && r <= 10.0);
    assert_true(success ? r == 10.0 : r < 10.0);
    /* the observation turns with the door: w = cos(angle / 2), z = sin(angle / 2) */
    obs_t obs;
    env_observe(f->task, &obs);
    double half = -cases[i].degrees * M_PI / 360.0;
    assert_true(fabs(obs.obj_quat[0] - cos(half)) < 1e-9);
    assert_true(fabs(obs.obj_quat[3] - sin(half)) < 1e-9);
  }
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

static void rewards_should_stay_within_0_and_10_over_random_actions(void **state) {
  task_checkRewardRange(*state);
}

static void same_seed_should_give_the_same_episode(void **state) {
  task_checkSameEpisode(*state);
}

static void zero_controller_should_not_open_the_door(void **state) {
  task_checkZeroController(*state);
}

/* The step where the expert succeeds. */
static void checkExpertSuccess(const envStepResult *res) {
  assert_true(res->reward == 10.0);
}

static void expert_should_open_the_door_within_the_horizon(void **state) {
  task_checkExpert(*state, checkExpertSuccess);
}

static void feedback_should_say_how_far_the_door_is_open(void **state) {
  taskFixture *f = *state;
  assert_int_equal(env_reset(f->task, 1, NULL, NULL, NULL, 0), TB_OK);
  char line[256];
  env_feedback(f->task, line, sizeof line);
  assert_non_null(strstr(line, "closest handle-x-to-goal distance"));
  assert_non_null(strstr(line, "the door is open 0 degrees now"));
  setAngle(f->task, -0.5);
  env_feedback(f->task, line, sizeof line);
  assert_non_null(strstr(line, "the door is open 29 degrees now"));
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
