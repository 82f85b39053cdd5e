/* Tests of envs/prompt.c: the optimizer's texts follow the run's settings (mode, horizon,
 * hints), name the success point and Return, and give move fractions that the simulator
 * reproduces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tracebot/envs.h"

/* env_describe of task t under (mode, horizon, hints). */
static void describe(envTaskId t, envMode mode, int horizon, envHints hints, envDescription *d) {
  envSpec *spec = env_makeSpec(t, NULL, 0);
  assert_non_null(spec);
  envConfig cfg;
  env_defaultConfig(&cfg);
  cfg.horizon = horizon;
  cfg.mode = mode;
  cfg.hints = hints;
  char err[256] = "";
  if (env_describe(spec, &cfg, d, err, sizeof err) != TB_OK) {
    fail_msg("env_describe: %s", err);
  }
  env_freeSpec(spec);
}

static void the_action_text_should_follow_the_mode(void **state) {
  (void)state;
  for (int t = 0; t < env_taskCount(); t++) {
    envDescription rel;
    envDescription abs;
    describe((envTaskId)t, ENV_RELATIVE, 10, ENV_HINTS_EXPERT, &rel);
    describe((envTaskId)t, ENV_ABSOLUTE, 10, ENV_HINTS_EXPERT, &abs);
    assert_non_null(strstr(rel.instruction, "The action is relative"));
    assert_non_null(strstr(rel.action_doc, "hand_pos + action[0..2]"));
    assert_non_null(strstr(rel.instruction, "moves the hand toward hand_pos + action[0..2]"));
    assert_null(strstr(rel.instruction, "The action is absolute"));
    assert_non_null(strstr(abs.instruction, "The action is absolute"));
    assert_non_null(strstr(abs.action_doc, "target position of the hand origin"));
    assert_null(strstr(abs.instruction, "hand_pos + action"));
    assert_null(strstr(abs.action_doc, "moves the hand"));
    assert_null(strstr(abs.hint_doc, "as a relative action"));
    assert_non_null(strstr(rel.hint_doc, "as a relative action: [x, y, z] - hand_pos"));
  }
}

static void the_instruction_should_state_the_horizon(void **state) {
  (void)state;
  envDescription d;
  describe(ENV_PUSH, ENV_RELATIVE, 17, ENV_HINTS_EXPERT, &d);
  assert_non_null(strstr(d.instruction, "An episode has 17 steps"));
  assert_non_null(strstr(d.instruction, "obs->horizon is 17"));
  assert_null(strstr(d.instruction, " 10 steps"));
}

static void hints_should_be_explained_only_when_given(void **state) {
  (void)state;
  envDescription with;
  envDescription without;
  describe(ENV_PICK_PLACE, ENV_RELATIVE, 10, ENV_HINTS_EXPERT, &with);
  describe(ENV_PICK_PLACE, ENV_RELATIVE, 10, ENV_HINTS_NONE, &without);
  assert_non_null(strstr(with.instruction, "`expert target [x y z gripper]`"));
  assert_non_null(strstr(with.hint_doc, "`expert target [x y z gripper]`"));
  assert_null(strstr(without.instruction, "expert"));
}

static void the_instruction_should_name_the_success_point_and_return(void **state) {
  (void)state;
  for (int t = 0; t < env_taskCount(); t++) {
    envDescription d;
    describe((envTaskId)t, ENV_RELATIVE, 10, ENV_HINTS_EXPERT, &d);
    assert_true(strncmp(d.instruction, env_instruction((envTaskId)t),
                        strlen(env_instruction((envTaskId)t))) == 0);
    assert_true(strstr(env_instruction((envTaskId)t), "(success)") != NULL ||
                strstr(env_instruction((envTaskId)t), "success needs") != NULL ||
                strstr(env_instruction((envTaskId)t), "Success: ") != NULL);
    assert_non_null(strstr(d.instruction, "The fingertip midpoint"));
    assert_non_null(strstr(d.instruction, "4.5 cm below hand_pos"));
    assert_non_null(strstr(d.instruction, "Return sums the rewards until the episode ends"));
    assert_non_null(strstr(d.instruction, "success comes first"));
    assert_true(strlen(d.instruction) < sizeof d.instruction - 1); /* not cut */
  }
  envDescription reach;
  describe(ENV_REACH, ENV_RELATIVE, 10, ENV_HINTS_EXPERT, &reach);
  assert_non_null(strstr(reach.instruction, "fingertip midpoint within 5 cm of goal_pos"));
}

/* The part of a move of dist metres along -x (relative action; away from where the
 * description measured, and clear of every task's objects) that one step covers, from the
 * start of seed 1 with the gripper open. */
static double measuredAlongMinusX(envTaskId t, double dist) {
  envSpec *spec = env_makeSpec(t, NULL, 0);
  envTask *task = env_make(spec, NULL, 0);
  assert_non_null(task);
  obs_t obs;
  assert_int_equal(env_reset(task, 1, NULL, &obs, NULL, 0), TB_OK);
  double a[4] = {-dist, 0.0, 0.0, -1.0};
  envStepResult res;
  assert_int_equal(env_macroStep(task, a, &res, NULL, 0), TB_OK);
  env_free(task);
  env_freeSpec(spec);
  return (obs.hand_pos[0] - res.obs.hand_pos[0]) / dist;
}

static void move_fractions_should_match_the_simulator_and_the_text(void **state) {
  (void)state;
  static const double moves[ENV_MOVE_FRACTIONS] = {0.05, 0.10, 0.20};
  for (int t = 0; t < env_taskCount(); t++) {
    envDescription d;
    describe((envTaskId)t, ENV_RELATIVE, 10, ENV_HINTS_EXPERT, &d);
    char want[160];
    snprintf(want, sizeof want,
             "One step covers about %.0f%% of a 5 cm move, %.0f%% of a 10 cm move and %.0f%% of "
             "a 20 cm move",
             100.0 * d.move_fraction[0], 100.0 * d.move_fraction[1], 100.0 * d.move_fraction[2]);
    assert_non_null(strstr(d.instruction, want));
    snprintf(want, sizeof want, "about %.0f%% of the way for a 10 cm move",
             100.0 * d.move_fraction[1]);
    assert_non_null(strstr(d.step_doc, want));
    for (int k = 0; k < ENV_MOVE_FRACTIONS; k++) {
      double f = d.move_fraction[k];
      double y = measuredAlongMinusX((envTaskId)t, moves[k]);
      if (!(f > 0.3 && f <= 1.05) || fabs(f - y) > 0.03) { /* a stiff task may overshoot a little */
        fail_msg("%s: %.0f cm: described %.3f, measured along -x %.3f", env_name((envTaskId)t),
                 100 * moves[k], f, y);
      }
    }
  }
}

static void describe_should_refuse_null_arguments(void **state) {
  (void)state;
  envDescription d;
  char err[128] = "";
  assert_int_equal(env_describe(NULL, NULL, &d, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "spec"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(the_action_text_should_follow_the_mode),
      cmocka_unit_test(the_instruction_should_state_the_horizon),
      cmocka_unit_test(hints_should_be_explained_only_when_given),
      cmocka_unit_test(the_instruction_should_name_the_success_point_and_return),
      cmocka_unit_test(move_fractions_should_match_the_simulator_and_the_text),
      cmocka_unit_test(describe_should_refuse_null_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
