/* Tests of envs/tasks/window_close.c: the draw and the reset, the success threshold on the
 * pane's travel, the reward's range and shape, determinism, the zero controller, the
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
#include "task.h" /* env_drawTask, the spec's row */

static int setup(void **state) {
  return task_setup(state, "window-close");
}

/* Sets how far the pane is open (at rest) and recomputes the state. */
static void setOpening(envTask *task, double q) {
  task_setJoint(task, "window_slide", q);
}

static void draw_should_stay_in_range_over_1000_seeds(void **state) {
  taskFixture *f = *state;
  double lo = 1.0;
  double hi = -1.0;
  for (uint64_t seed = 0; seed < 1000; seed++) {
    double obj[3];
    double goal[3];
    env_drawTask(f->id, seed, obj, goal);
    assert_true(obj[0] == 0.0);
    assert_true(obj[1] >= 0.75 && obj[1] <= 0.9);
    assert_true(obj[2] == 0.2);
    /* the goal is the frame's centre */
    assert_memory_equal(goal, obj, sizeof goal);
    /* the observed point of an open pane (frame + 0.21 in x) is 21 cm from the goal's x */
    assert_true(fabs(goal[0] - (obj[0] + 0.21)) > 0.05 + 0.15);
    lo = fmin(lo, obj[1]);
    hi = fmax(hi, obj[1]);
  }
  /* the draws fill the range */
  assert_true(lo < 0.76 && hi > 0.89);
}

static void reset_should_put_the_window_where_drawn_with_the_pane_open(void **state) {
  taskFixture *f = *state;
  for (uint64_t seed = 0; seed < 20; seed++) {
    obs_t obs;
    double obj[3];
    double goal[3];
    assert_int_equal(env_reset(f->task, seed, NULL, &obs, NULL, 0), TB_OK);
    env_drawTask(f->id, seed, obj, goal);
    assert_memory_equal(obs.goal_pos, goal, sizeof goal);
    /* the observed point of an open pane: frame + (0.21, -0.095, 0) */
    assert_true(fabs(obs.obj_pos[0] - (obj[0] + 0.21)) < 1e-6);
    assert_true(fabs(obs.obj_pos[1] - (obj[1] - 0.095)) < 1e-6);
    assert_true(fabs(obs.obj_pos[2] - obj[2]) < 1e-6);
    /* the pane's orientation, w x y z: it never turns */
    static const double identity[4] = {1.0, 0.0, 0.0, 0.0};
    assert_memory_equal(obs.obj_quat, identity, sizeof identity);
    static const double zero[4];
    assert_memory_equal(obs.obj2_pos, zero, sizeof obs.obj2_pos);
    assert_memory_equal(obs.obj2_quat, zero, sizeof obs.obj2_quat);
    /* the hand starts where Meta-World starts it for this task, at (0, 0.4, 0.2) */
    assert_true(fabs(obs.hand_pos[0]) < 0.005 && fabs(obs.hand_pos[1] - 0.4) < 0.005 &&
                fabs(obs.hand_pos[2] - 0.2) < 0.005);
    int success = 1;
    double r = env_reward(f->task, &success);
    assert_int_equal(success, 0);
    assert_true(r >= 0.0 && r < 1.0);
  }
}

static void success_should_need_the_pane_within_4_cm_of_shut(void **state) {
  taskFixture *f = *state;
  assert_int_equal(env_reset(f->task, 5, NULL, NULL, NULL, 0), TB_OK);
  static const struct {
    double q;
    int success;
  } cases[] = {{0.2, 0}, {0.1, 0}, {0.05, 0}, {0.042, 0}, {0.038, 1}, {0.0, 1}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    setOpening(f->task, cases[i].q);
    int success = -1;
    double r = env_reward(f->task, &success);
    if (success != cases[i].success) {
      fail_msg("open %.3f m: success %d", cases[i].q, success);
    }
    assert_true(r >= 0.0 && r <= 10.0);
    /* the measure is the point's x alone */
    obs_t obs;
    env_observe(f->task, &obs);
    assert_true(fabs(f->spec->def->goalDistance(f->task) - fabs(obs.obj_pos[0] - obs.goal_pos[0])) <
                1e-12);
  }
}

static void reward_should_grow_as_the_pane_shuts(void **state) {
  taskFixture *f = *state;
  /* the fingertips 10 cm in front of where the observed point ends up, so that reach and
   * in_place both grow (the reward is H(reach, in_place), and with the hand far away reach
   * dominates it) */
  obs_t obs;
  assert_int_equal(env_reset(f->task, 2, NULL, &obs, NULL, 0), TB_OK);
  double target[3] = {obs.goal_pos[0] + 0.01, obs.obj_pos[1] - 0.1, obs.obj_pos[2] + 0.045};
  for (int k = 0; k < 4; k++) {
    double a[4] = {target[0] - obs.hand_pos[0], target[1] - obs.hand_pos[1],
                   target[2] - obs.hand_pos[2], 0.0};
    envStepResult res;
    assert_int_equal(env_macroStep(f->task, a, &res, NULL, 0), TB_OK);
    obs = res.obs;
  }
  assert_true(fabs(obs.hand_pos[0] - target[0]) < 0.01);
  double last = -1.0;
  for (int cm = 20; cm >= 0; cm -= 4) {
    setOpening(f->task, cm / 100.0);
    double r = env_reward(f->task, NULL);
    assert_true(r > last && r >= 0.0 && r <= 10.0);
    last = r;
  }
}

static void rewards_should_stay_within_0_and_10_over_random_actions(void **state) {
  task_checkRewardRange(*state);
}

static void same_seed_should_give_the_same_episode(void **state) {
  task_checkSameEpisode(*state);
}

static void zero_controller_should_not_shut_the_window(void **state) {
  task_checkZeroController(*state);
}

/* The step where the expert succeeds. */
static void checkExpertSuccess(const envStepResult *res) {
  assert_true(res->reward > 5.0 && res->reward <= 10.0);
}

static void expert_should_shut_the_window_within_the_horizon(void **state) {
  task_checkExpert(*state, checkExpertSuccess);
}

static void feedback_should_say_how_far_the_window_is_open(void **state) {
  taskFixture *f = *state;
  assert_int_equal(env_reset(f->task, 1, NULL, NULL, NULL, 0), TB_OK);
  char line[256];
  env_feedback(f->task, line, sizeof line);
  assert_non_null(strstr(line, "closest point-x-to-goal distance"));
  assert_non_null(strstr(line, "the window is open 20.0 cm now"));
  setOpening(f->task, 0.123);
  env_feedback(f->task, line, sizeof line);
  assert_non_null(strstr(line, "the window is open 12.3 cm now"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(draw_should_stay_in_range_over_1000_seeds),
      cmocka_unit_test(reset_should_put_the_window_where_drawn_with_the_pane_open),
      cmocka_unit_test(success_should_need_the_pane_within_4_cm_of_shut),
      cmocka_unit_test(reward_should_grow_as_the_pane_shuts),
      cmocka_unit_test(rewards_should_stay_within_0_and_10_over_random_actions),
      cmocka_unit_test(same_seed_should_give_the_same_episode),
      cmocka_unit_test(zero_controller_should_not_shut_the_window),
      cmocka_unit_test(expert_should_shut_the_window_within_the_horizon),
      cmocka_unit_test(feedback_should_say_how_far_the_window_is_open),
  };
  return cmocka_run_group_tests(tests, setup, task_teardown);
}
