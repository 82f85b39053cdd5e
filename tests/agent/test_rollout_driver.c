/* Tests of agent/rollout_driver.c: the sandboxed controller over the driver interface
 * (the sim driver here; the net driver and plug-ins go through the same function and are
 * covered by test_cli_driver.sh). */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tracebot/agent.h"

static char *readExpert(envTaskId id, size_t *len) {
  char path[4096];
  const char *root = getenv("TRACEBOT_SOURCE_DIR");
  assert_non_null(root);
  snprintf(path, sizeof path, "%s/%s", root, env_expertPath(id));
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char *buf = calloc(1, 1 << 16);
  assert_non_null(buf);
  *len = fread(buf, 1, (1 << 16) - 1, f);
  fclose(f);
  return buf;
}

static agDriver *simDriver(envTaskId task) {
  char config[128];
  snprintf(config, sizeof config, "{\"task\":\"%s\"}", env_name(task));
  char err[256] = "";
  agDriver *drv = ag_makeDriver("sim", config, NULL, err, sizeof err);
  if (drv == NULL) {
    fail_msg("ag_makeDriver: %s", err);
  }
  return drv;
}

static void runOn(agDriver *drv, const agRolloutConfig *cfg, const agSafetyConfig *safety,
                  volatile sig_atomic_t *stop, const char *src, agEpisode *ep) {
  char err[256] = "";
  int rc = ag_rolloutDriver(drv, cfg, safety, stop, src, strlen(src), ep, err, sizeof err);
  if (rc != TB_OK) {
    fail_msg("ag_rolloutDriver: %s", err);
  }
}

static void driver_rollout_should_match_the_in_process_rollout_bit_for_bit(void **state) {
  (void)state;
  for (int id = 0; id < env_taskCount(); id++) {
    size_t len = 0;
    char *src = readExpert((envTaskId)id, &len);
    agRolloutConfig cfg;
    ag_defaultRollout(&cfg);
    cfg.task = (envTaskId)id;
    cfg.seed = 3;
    agEpisode direct;
    char err[256] = "";
    assert_int_equal(ag_rolloutOnce(&cfg, src, len, &direct, err, sizeof err), TB_OK);
    agDriver *drv = simDriver((envTaskId)id);
    agEpisode viaDriver;
    runOn(drv, &cfg, NULL, NULL, src, &viaDriver);
    assert_int_equal(viaDriver.fault.kind, AG_FT_NONE);
    assert_true(direct.success);
    assert_int_equal(viaDriver.success, direct.success);
    assert_int_equal(viaDriver.nsteps, direct.nsteps);
    assert_true(viaDriver.ret == direct.ret); /* bit-identical */
    for (int t = 0; t < direct.nsteps; t++) {
      assert_memory_equal(viaDriver.steps[t].action, direct.steps[t].action,
                          sizeof direct.steps[t].action);
      assert_memory_equal(viaDriver.steps[t].result.obs.hand_pos,
                          direct.steps[t].result.obs.hand_pos, 3 * sizeof(double));
      assert_string_equal(viaDriver.steps[t].result.hint, direct.steps[t].result.hint);
    }
    assert_memory_equal(viaDriver.obs0.hand_pos, direct.obs0.hand_pos, 3 * sizeof(double));
    /* clamps into the hand box are counted (the in-process env clips to the same box
     * silently), but nothing stops the robot */
    assert_int_equal(viaDriver.safety.estops, 0);
    assert_int_equal(viaDriver.safety.nonfinite + viaDriver.safety.watchdog, 0);
    ag_episodeClose(&direct);
    ag_episodeClose(&viaDriver);
    ag_freeDriver(drv);
    free(src);
  }
}

static void driver_rollout_should_hold_the_robot_when_the_controller_hangs(void **state) {
  (void)state;
  const char *src =
      "void controller(const obs_t *o, double a[4]) {\n"
      "  a[0] = 0.01; a[1] = 0; a[2] = 0; a[3] = 0;\n"
      "  if (o->step == 2) { for (;;) { } }\n"
      "}\n";
  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  cfg.limits.call_ms = 200;
  agDriver *drv = simDriver(ENV_REACH);
  agEpisode ep;
  runOn(drv, &cfg, NULL, NULL, src, &ep);
  assert_int_equal(ep.fault.kind, AG_FT_TIMEOUT);
  assert_int_equal(ep.fault.step, 2);
  assert_int_equal(ep.nsteps, 2);
  assert_non_null(strstr(ep.fault.message, "controller call exceeded 200 ms at step 2"));
  assert_non_null(strstr(ep.fault.message, "robot held position"));
  assert_int_equal(ep.safety.watchdog, 1);
  assert_int_equal(ep.safety.estops, 1);
  ag_episodeClose(&ep);
  ag_freeDriver(drv);
}

static void driver_rollout_should_reject_a_nan_action_and_count_it(void **state) {
  (void)state;
  const char *src =
      "void controller(const obs_t *o, double a[4]) {\n"
      "  a[0] = o->step == 1 ? 0.0 / 0.0 : 0.0; a[1] = a[2] = a[3] = 0;\n"
      "}\n";
  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  agDriver *drv = simDriver(ENV_REACH);
  agEpisode ep;
  runOn(drv, &cfg, NULL, NULL, src, &ep);
  assert_int_equal(ep.fault.kind, AG_FT_INVALID_ACTION);
  assert_int_equal(ep.fault.step, 1);
  assert_int_equal(ep.nsteps, 1);
  assert_int_equal(ep.safety.nonfinite, 1);
  ag_episodeClose(&ep);
  ag_freeDriver(drv);
}

static void driver_rollout_should_count_clamps_and_stop_on_too_many(void **state) {
  (void)state;
  /* Push the hand down into the table every step: the box clamps it each time */
  const char *src =
      "void controller(const obs_t *o, double a[4]) {\n"
      "  (void)o; a[0] = 0; a[1] = 0; a[2] = -1.0; a[3] = 2.0;\n"
      "}\n";
  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  agSafetyConfig safety;
  ag_defaultSafety(&safety);
  safety.max_violations = 2;
  agDriver *drv = simDriver(ENV_REACH);
  agEpisode ep;
  runOn(drv, &cfg, &safety, NULL, src, &ep);
  assert_int_equal(ep.fault.kind, AG_FT_SAFETY);
  assert_string_equal(ag_faultName(ep.fault.kind), "safety");
  assert_int_equal(ep.safety.workspace_clamps, 3);
  assert_int_equal(ep.safety.gripper_clamps, 3);
  assert_int_equal(ep.safety.violations, 3);
  assert_int_equal(ep.nsteps, 2);
  ag_episodeClose(&ep);
  ag_freeDriver(drv);
}

static void driver_rollout_should_stop_at_once_when_interrupted(void **state) {
  (void)state;
  size_t len = 0;
  char *src = readExpert(ENV_PICK_PLACE, &len);
  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  cfg.task = ENV_PICK_PLACE;
  agDriver *drv = simDriver(ENV_PICK_PLACE);
  volatile sig_atomic_t stop = 1;
  agEpisode ep;
  runOn(drv, &cfg, NULL, &stop, src, &ep);
  assert_int_equal(ep.fault.kind, AG_FT_INTERRUPTED);
  assert_int_equal(ep.nsteps, 0);
  assert_int_equal(ep.safety.estops, 1);
  ag_episodeClose(&ep);
  ag_freeDriver(drv);
  free(src);
}

static void driver_rollout_should_not_move_the_robot_for_a_compile_error(void **state) {
  (void)state;
  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  agDriver *drv = simDriver(ENV_REACH);
  agEpisode ep;
  runOn(drv, &cfg, NULL, NULL, "void controller(const obs_t *o, double a[4]) { x; }\n", &ep);
  assert_int_equal(ep.fault.kind, AG_FT_COMPILE);
  assert_int_equal(ep.fault.line, 1);
  assert_int_equal(ep.nsteps, 0);
  assert_int_equal(ep.safety.estops, 0);
  ag_episodeClose(&ep);
  ag_freeDriver(drv);
}

static void driver_rollout_should_refuse_recording_and_bad_arguments(void **state) {
  (void)state;
  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  cfg.record_path = "/tmp/never.json";
  agDriver *drv = simDriver(ENV_REACH);
  agEpisode ep;
  char err[256] = "";
  const char *src = "void controller(const obs_t *o, double a[4]) { }\n";
  assert_int_equal(ag_rolloutDriver(drv, &cfg, NULL, NULL, src, strlen(src), &ep, err, sizeof err),
                   TB_EINVAL);
  assert_non_null(strstr(err, "in-process simulator"));
  ag_episodeClose(&ep);
  cfg.record_path = NULL;
  assert_int_equal(ag_rolloutDriver(NULL, &cfg, NULL, NULL, src, strlen(src), &ep, err, sizeof err),
                   TB_EINVAL);
  cfg.env.horizon = 0;
  assert_int_equal(ag_rolloutDriver(drv, &cfg, NULL, NULL, src, strlen(src), &ep, err, sizeof err),
                   TB_EINVAL);
  assert_non_null(strstr(err, "horizon"));
  ag_episodeClose(&ep);
  ag_freeDriver(drv);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(driver_rollout_should_match_the_in_process_rollout_bit_for_bit),
      cmocka_unit_test(driver_rollout_should_hold_the_robot_when_the_controller_hangs),
      cmocka_unit_test(driver_rollout_should_reject_a_nan_action_and_count_it),
      cmocka_unit_test(driver_rollout_should_count_clamps_and_stop_on_too_many),
      cmocka_unit_test(driver_rollout_should_stop_at_once_when_interrupted),
      cmocka_unit_test(driver_rollout_should_not_move_the_robot_for_a_compile_error),
      cmocka_unit_test(driver_rollout_should_refuse_recording_and_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
