/* Tests of envs/tasks/window_open.c: the draw and the reset, the success threshold on the
 * pane's travel, the reward's range and shape, determinism, the zero controller, the
 * expert, the observation and the feedback. */
#include <math.h>
#include <string.h>

#include "task_checks.h"

TASK_SETUP("window-open")

/* Sets how far the pane is open (at rest) and recomputes the state. */
static void setOpening(envTask *task, double q) {
  task_setJoint(task, "window_slide", q);
}

/* How the goal follows from the frame. */
static void checkGoal(const double obj[3], const double goal[3], double extra[2]) {
  (void)extra;
  /* the goal follows from the frame: 20 cm to its right */
  assert_true(fabs(goal[0] - (obj[0] + 0.2)) < 1e-12);
  assert_true(goal[1] == obj[1] && goal[2] == obj[2]);
  /* the observed point of a shut pane (frame - 0.04 in x) is 24 cm from the goal's x */
  assert_true(fabs(goal[0] - (obj[0] - 0.04)) > 0.05 + 0.15);
}

static const taskDrawSpec draw = {
    .range = {{-0.1, 0.1, -0.09, 0.09}, {0.7, 0.9, 0.71, 0.89}, {0.16, 0.16, 0, 0}},
    .check = checkGoal,
};

static void draw_should_stay_in_range_over_1000_seeds(void **state) {
  task_checkDraw(*state, &draw);
}

/* The observed point of a shut pane: frame + (-0.04, -0.095, 0). */
static void checkObject(const taskFixture *f, const obs_t *obs, const double obj[3],
                        const double goal[3]) {
  (void)f;
  (void)goal;
  assert_true(fabs(obs->obj_pos[0] - (obj[0] - 0.04)) < 1e-6);
  assert_true(fabs(obs->obj_pos[1] - (obj[1] - 0.095)) < 1e-6);
  assert_true(fabs(obs->obj_pos[2] - obj[2]) < 1e-6);
}

static void reset_should_put_the_window_where_drawn_with_the_pane_shut(void **state) {
  /* the pane never turns; the hand starts where Meta-World starts it for this task, at
   * (0, 0.4, 0.2) */
  static const taskResetSpec reset = {
      .check = checkObject, .hand = {0.0, 0.4, 0.2}, .handAxes = 7, .rewardBelow = 1.0};
  task_checkReset(*state, &reset);
}

static void success_should_need_19_of_the_20_cm(void **state) {
  static const taskCase cases[] = {{0.0, 0}, {0.1, 0}, {0.18, 0}, {0.188, 0}, {0.192, 1}, {0.2, 1}};
  /* the measure is the point's x alone */
  static const taskProbe probe = {"open (m)", setOpening, task_checkXDistance};
  task_checkSuccessCases(*state, &probe, cases, sizeof cases / sizeof cases[0]);
}

static void reward_should_grow_as_the_pane_opens(void **state) {
  taskFixture *f = *state;
  /* the fingertips 10 cm in front of where the observed point ends up, so that reach and
   * in_place both grow (the reward is H(reach, in_place), and with the hand far away reach
   * dominates it) */
  obs_t obs;
  assert_int_equal(env_reset(f->task, 2, NULL, &obs, NULL, 0), TB_OK);
  double target[3] = {obs.goal_pos[0] - 0.04, obs.obj_pos[1] - 0.1, obs.obj_pos[2] + 0.045};
  for (int k = 0; k < 4; k++) {
    double a[4] = {target[0] - obs.hand_pos[0], target[1] - obs.hand_pos[1],
                   target[2] - obs.hand_pos[2], 0.0};
    envStepResult res;
    assert_int_equal(env_macroStep(f->task, a, &res, NULL, 0), TB_OK);
    obs = res.obs;
  }
  assert_true(fabs(obs.hand_pos[0] - target[0]) < 0.01);
  double last = -1.0;
  for (int cm = 0; cm <= 20; cm += 4) {
    setOpening(f->task, cm / 100.0);
    double r = env_reward(f->task, NULL);
    assert_true(r > last && r >= 0.0 && r <= 10.0);
    last = r;
  }
}

/* The step where the expert succeeds. */
static void checkExpertSuccess(const envStepResult *res) {
  assert_true(res->reward > 5.0 && res->reward <= 10.0);
}

TASK_SHARED_TESTS(rewards_should_stay_within_0_and_10_over_random_actions,
                  zero_controller_should_not_open_the_window,
                  expert_should_open_the_window_within_the_horizon, checkExpertSuccess)

static void feedback_should_say_how_far_the_window_is_open(void **state) {
  static const char *const before[2] = {"closest point-x-to-goal distance",
                                        "the window is open 0.0 cm now"};
  task_checkFeedback(*state, before, setOpening, 0.123, "the window is open 12.3 cm now");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(draw_should_stay_in_range_over_1000_seeds),
      cmocka_unit_test(reset_should_put_the_window_where_drawn_with_the_pane_shut),
      cmocka_unit_test(success_should_need_19_of_the_20_cm),
      cmocka_unit_test(reward_should_grow_as_the_pane_opens),
      cmocka_unit_test(rewards_should_stay_within_0_and_10_over_random_actions),
      cmocka_unit_test(same_seed_should_give_the_same_episode),
      cmocka_unit_test(zero_controller_should_not_open_the_window),
      cmocka_unit_test(expert_should_open_the_window_within_the_horizon),
      cmocka_unit_test(feedback_should_say_how_far_the_window_is_open),
  };
  return cmocka_run_group_tests(tests, setup, task_teardown);
}
