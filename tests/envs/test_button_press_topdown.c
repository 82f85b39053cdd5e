/* Tests of envs/tasks/button_press_topdown.c: the draw and the reset, the success threshold
 * on the cap's height, the reward's range and shape, determinism, the zero controller, the
 * expert, the observation and the feedback. */
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
  return task_setup(state, "button-press-topdown");
}

/* Sets the button's slide (m, negative pressed), at rest, and recomputes the state. */
static void setPress(envTask *task, double q) {
  task_setJoint(task, "button_slide", q);
}

static void draw_should_stay_in_range_over_1000_seeds(void **state) {
  taskFixture *f = *state;
  double lo[2] = {1, 1};
  double hi[2] = {-1, -1};
  for (uint64_t seed = 0; seed < 1000; seed++) {
    double obj[3];
    double goal[3];
    env_drawTask(f->id, seed, obj, goal);
    assert_true(obj[0] >= -0.1 && obj[0] <= 0.1);
    assert_true(obj[1] >= 0.8 && obj[1] <= 0.9);
    assert_true(obj[2] == 0.115);
    /* the goal follows from the housing: 10 cm above its origin, on the button's axis */
    assert_true(goal[0] == obj[0] && goal[1] == obj[1]);
    assert_true(fabs(goal[2] - (obj[2] + 0.10)) < 1e-12);
    /* the button is well away from the hand's start, (0, 0.4, 0.2) */
    assert_true(hypot(obj[0], obj[1] - 0.4) > 0.35);
    for (int i = 0; i < 2; i++) {
      lo[i] = fmin(lo[i], obj[i]);
      hi[i] = fmax(hi[i], obj[i]);
    }
  }
  /* the draws fill the ranges */
  assert_true(lo[0] < -0.09 && hi[0] > 0.09 && lo[1] < 0.81 && hi[1] > 0.89);
}

static void reset_should_put_the_button_where_drawn_and_up(void **state) {
  taskFixture *f = *state;
  for (uint64_t seed = 0; seed < 20; seed++) {
    obs_t obs;
    double obj[3];
    double goal[3];
    assert_int_equal(env_reset(f->task, seed, NULL, &obs, NULL, 0), TB_OK);
    env_drawTask(f->id, seed, obj, goal);
    assert_memory_equal(obs.goal_pos, goal, sizeof goal);
    /* the cap top of a button that is up: housing + (0, 0, 0.1935) */
    assert_true(fabs(obs.obj_pos[0] - obj[0]) < 1e-6);
    assert_true(fabs(obs.obj_pos[1] - obj[1]) < 1e-6);
    assert_true(fabs(obs.obj_pos[2] - (obj[2] + 0.1935)) < 1e-6);
    /* upright, w x y z */
    assert_true(fabs(obs.obj_quat[0] - 1.0) < 1e-9 && fabs(obs.obj_quat[1]) < 1e-9);
    static const double zero[4];
    assert_memory_equal(obs.obj2_pos, zero, sizeof obs.obj2_pos);
    assert_memory_equal(obs.obj2_quat, zero, sizeof obs.obj2_quat);
    /* the hand starts at this task's (0, 0.4, 0.2) */
    assert_true(fabs(obs.hand_pos[0]) < 0.005 && fabs(obs.hand_pos[1] - 0.4) < 0.005 &&
                fabs(obs.hand_pos[2] - 0.2) < 0.005);
    int success = 1;
    double r = env_reward(f->task, &success);
    assert_int_equal(success, 0);
    assert_true(r >= 0.0 && r < 1.0);
  }
}

static void spring_should_hold_the_button_up(void **state) {
  taskFixture *f = *state;
  assert_int_equal(env_reset(f->task, 4, NULL, NULL, NULL, 0), TB_OK);
  setPress(f->task, -0.03);
  double a[4] = {0.0, 0.0, 0.0, 0.0};
  for (int k = 0; k < 80; k++) { /* 1 s */
    assert_int_equal(env_step(f->task, a, NULL, 0), TB_OK);
  }
  obs_t obs;
  env_observe(f->task, &obs);
  assert_true(fabs(obs.obj_pos[2] - (obs.goal_pos[2] + 0.0935)) < 0.002);
}

static void success_should_need_6_9_cm_of_travel(void **state) {
  taskFixture *f = *state;
  assert_int_equal(env_reset(f->task, 5, NULL, NULL, NULL, 0), TB_OK);
  static const struct {
    double q;
    int success;
  } cases[] = {{0, 0}, {-0.03, 0}, {-0.06, 0}, {-0.068, 0}, {-0.070, 1}, {-0.08, 1}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    setPress(f->task, cases[i].q);
    int success = -1;
    double r = env_reward(f->task, &success);
    if (success != cases[i].success) {
      fail_msg("pressed %.3f m: success %d", -cases[i].q, success);
    }
    assert_true(r >= 0.0 && r <= 10.0);
    /* the measure is the cap's z alone */
    obs_t obs;
    env_observe(f->task, &obs);
    double want = fabs(obs.obj_pos[2] - obs.goal_pos[2]);
    assert_true(fabs(f->spec->def->goalDistance(f->task) - want) < 1e-12);
    assert_true(fabs(want - (0.0935 + cases[i].q)) < 1e-6);
  }
}

static void reward_should_stay_within_0_and_10_over_random_actions(void **state) {
  task_checkRewardRange(*state);
}

static void same_seed_should_give_the_same_episode(void **state) {
  task_checkSameEpisode(*state);
}

static void zero_controller_should_not_press_the_button(void **state) {
  task_checkZeroController(*state);
}

/* The step where the expert succeeds. */
static void checkExpertSuccess(const envStepResult *res) {
  /* no bonus at success: closed fingers on a pressed cap pay most of 10 */
  assert_true(res->reward > 6.0 && res->reward < 10.0);
}

static void expert_should_press_the_button_within_the_horizon(void **state) {
  task_checkExpert(*state, checkExpertSuccess);
}

static void feedback_should_say_how_far_the_button_is_pressed(void **state) {
  taskFixture *f = *state;
  assert_int_equal(env_reset(f->task, 1, NULL, NULL, NULL, 0), TB_OK);
  char line[256];
  env_feedback(f->task, line, sizeof line);
  assert_non_null(strstr(line, "closest button-top-z-to-goal distance"));
  assert_non_null(strstr(line, "the button is pressed 0.0 cm now"));
  setPress(f->task, -0.05);
  env_feedback(f->task, line, sizeof line);
  assert_non_null(strstr(line, "the button is pressed 5.0 cm now"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(draw_should_stay_in_range_over_1000_seeds),
      cmocka_unit_test(reset_should_put_the_button_where_drawn_and_up),
      cmocka_unit_test(spring_should_hold_the_button_up),
      cmocka_unit_test(success_should_need_6_9_cm_of_travel),
      cmocka_unit_test(reward_should_stay_within_0_and_10_over_random_actions),
      cmocka_unit_test(same_seed_should_give_the_same_episode),
      cmocka_unit_test(zero_controller_should_not_press_the_button),
      cmocka_unit_test(expert_should_press_the_button_within_the_horizon),
      cmocka_unit_test(feedback_should_say_how_far_the_button_is_pressed),
  };
  return cmocka_run_group_tests(tests, setup, task_teardown);
}
