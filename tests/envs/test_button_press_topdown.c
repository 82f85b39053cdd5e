/* Tests of envs/tasks/button_press_topdown.c: the draw and the reset, the success threshold
 * on the cap's height, the reward's range and shape, determinism, the zero controller, the
 * expert, the observation and the feedback. */
#include <math.h>
#include <string.h>

#include "task_checks.h"

TASK_SETUP("button-press-topdown")

/* Sets the button's slide (m, negative pressed), at rest, and recomputes the state. */
static void setPress(envTask *task, double q) {
  task_setJoint(task, "button_slide", q);
}

/* How the goal follows from the housing: 10 cm above its origin, on the button's axis. */
static void checkGoal(const double obj[3], const double goal[3], double extra[2]) {
  (void)extra;
  assert_true(goal[0] == obj[0] && goal[1] == obj[1]);
  assert_true(fabs(goal[2] - (obj[2] + 0.10)) < 1e-12);
  /* the button is well away from the hand's start, (0, 0.4, 0.2) */
  assert_true(hypot(obj[0], obj[1] - 0.4) > 0.35);
}

static const taskDrawSpec draw = {
    .range = {{-0.1, 0.1, -0.09, 0.09}, {0.8, 0.9, 0.81, 0.89}, {0.115, 0.115, 0, 0}},
    .check = checkGoal,
};

static void draw_should_stay_in_range_over_1000_seeds(void **state) {
  task_checkDraw(*state, &draw);
}

/* The cap top of a button that is up: housing + (0, 0, 0.1935). */
static void checkObject(const taskFixture *f, const obs_t *obs, const double obj[3],
                        const double goal[3]) {
  (void)f;
  (void)goal;
  assert_true(fabs(obs->obj_pos[0] - obj[0]) < 1e-6);
  assert_true(fabs(obs->obj_pos[1] - obj[1]) < 1e-6);
  assert_true(fabs(obs->obj_pos[2] - (obj[2] + 0.1935)) < 1e-6);
}

static void reset_should_put_the_button_where_drawn_and_up(void **state) {
  /* upright; the hand starts at this task's (0, 0.4, 0.2) */
  static const taskResetSpec reset = {.check = checkObject,
                                      .quatAxis = 1,
                                      .hand = {0.0, 0.4, 0.2},
                                      .handAxes = 7,
                                      .rewardBelow = 1.0};
  task_checkReset(*state, &reset);
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

/* The measure is the cap's z alone. */
static void checkCap(const taskFixture *f, double q, int success, double r) {
  (void)success;
  (void)r;
  obs_t obs;
  env_observe(f->task, &obs);
  double want = fabs(obs.obj_pos[2] - obs.goal_pos[2]);
  assert_true(fabs(f->spec->def->goalDistance(f->task) - want) < 1e-12);
  assert_true(fabs(want - (0.0935 + q)) < 1e-6);
}

static void success_should_need_6_9_cm_of_travel(void **state) {
  static const taskCase cases[] = {{0, 0},      {-0.03, 0},  {-0.06, 0},
                                   {-0.068, 0}, {-0.070, 1}, {-0.08, 1}};
  static const taskProbe probe = {"slide (m)", setPress, checkCap};
  task_checkSuccessCases(*state, &probe, cases, sizeof cases / sizeof cases[0]);
}

/* The step where the expert succeeds. */
static void checkExpertSuccess(const envStepResult *res) {
  /* no bonus at success: closed fingers on a pressed cap pay most of 10 */
  assert_true(res->reward > 6.0 && res->reward < 10.0);
}

TASK_SHARED_TESTS(reward_should_stay_within_0_and_10_over_random_actions,
                  zero_controller_should_not_press_the_button,
                  expert_should_press_the_button_within_the_horizon, checkExpertSuccess)

static void feedback_should_say_how_far_the_button_is_pressed(void **state) {
  static const char *const before[2] = {"closest button-top-z-to-goal distance",
                                        "the button is pressed 0.0 cm now"};
  task_checkFeedback(*state, before, setPress, -0.05, "the button is pressed 5.0 cm now");
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
