/* Tests of agent/safety.c (the pure filter) and of the safety behaviour of
 * agent/driver_episode.c against the fake robot (fake_driver.c linked in) and the sim
 * driver: clamping, step limits, NaN e-stop, the watchdog hold, violation counts,
 * driver errors and SIGINT. */
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

#include "host_log.h"
#include "tracebot/drivers.h"

const agDriverApi *tracebot_driver_init(const agDriverHost *host); /* fake_driver.c */

/* ---------------------------------------------------------------- the fake robot */

/* Commands the fake robot received, parsed from the log. */
static int commands(const logBook *b, double xyz[][4], int max) {
  int k = 0;
  for (int i = 0; i < b->n && k < max; i++) {
    if (sscanf(b->lines[i], "command %lf %lf %lf %lf", &xyz[k][0], &xyz[k][1], &xyz[k][2],
               &xyz[k][3]) == 4) {
      k++;
    }
  }
  return k;
}

static int lastIsStop(const logBook *b) {
  return b->n > 0 && strcmp(b->lines[b->n - 1], "stop") == 0;
}

static agDriver *makeFake(logBook *book, const char *config) {
  agDriverHost host = {AG_DRIVER_ABI_VERSION, sizeof(agDriverHost), book, logbook_collect};
  char err[256] = "";
  agDriver *drv =
      ag_makeDriverFromApi(tracebot_driver_init(&host), "fake", config, &host, err, sizeof(err));
  assert_non_null(drv);
  return drv;
}

/* A scripted policy: what it returns per step. */
typedef struct script {
  double action[4]; /* returned every step */
  int bad_step;     /* step at which it misbehaves (-1: never) */
  int bad_code;     /* AG_POLICY_* returned there (0: return bad_action instead) */
  double bad_action[4];
  int raise_at; /* step at which it raises SIGINT (-1: never) */
  int calls;
} script;

static int scripted(void *ctx, const obs_t *obs, double action[4], int timeout_ms, char *err,
                    size_t errsz) {
  (void)timeout_ms;
  script *s = ctx;
  s->calls++;
  if (obs->step == s->raise_at) {
    raise(SIGINT);
  }
  if (obs->step == s->bad_step) {
    if (s->bad_code != 0) {
      snprintf(err, errsz, "controller call exceeded 50 ms at step %d", obs->step);
      return s->bad_code;
    }
    memcpy(action, s->bad_action, sizeof(s->bad_action));
    return 0;
  }
  memcpy(action, s->action, sizeof(s->action));
  return 0;
}

/* A 5-step episode of the fake robot: its log book and driver, the episode's config (tests
 * adjust it before runEpisode), its result and the commands the robot received. */
typedef struct fakeEpisode {
  logBook book;
  agDriver *drv;
  agEpisodeConfig cfg;
  agEpisodeResult res;
  double cmd[8][4];
  int ncmd;
} fakeEpisode;

/* Opens the fake robot with its JSON config; the episode does not stop on success. */
static fakeEpisode *openEpisode(const char *config) {
  fakeEpisode *e = calloc(1, sizeof(*e));
  assert_non_null(e);
  e->drv = makeFake(&e->book, config);
  ag_defaultEpisode(&e->cfg);
  e->cfg.horizon = 5;
  e->cfg.stop_on_success = 0;
  return e;
}

/* Runs the episode under the scripted controller s and reads back the commands. */
static void runEpisode(fakeEpisode *e, script *s) {
  char err[256] = "";
  assert_int_equal(
      ag_runDriverEpisode(e->drv, &e->cfg, scripted, s, NULL, NULL, &e->res, err, sizeof(err)), 0);
  e->ncmd = commands(&e->book, e->cmd, 8);
}

static void closeEpisode(fakeEpisode *e) {
  ag_freeDriver(e->drv);
  free(e);
}

/* The episode ended with the fault kind, named name, at step; a NULL name or message is not
 * checked. */
static void assertFault(const agEpisodeResult *res, agFaultType kind, const char *name, int step,
                        const char *message) {
  assert_int_equal(res->fault, kind);
  if (name) {
    assert_string_equal(ag_faultName(res->fault), name);
  }
  assert_int_equal(res->fault_step, step);
  if (message) {
    assert_string_equal(res->fault_message, message);
  }
}

/* ---------------------------------------------------------------- the filter */

/* The default safety config with the workspace box [lo, hi]. */
static agSafetyConfig boxed(const double lo[3], const double hi[3]) {
  agSafetyConfig s;
  ag_defaultSafety(&s);
  memcpy(s.workspace_lo, lo, sizeof(s.workspace_lo));
  memcpy(s.workspace_hi, hi, sizeof(s.workspace_hi));
  return s;
}

static void filter_should_pass_a_target_inside_all_limits(void **state) {
  (void)state;
  agSafetyConfig s = boxed((double[3]){-1, -1, 0}, (double[3]){1, 1, 1});
  s.max_step = 0.5;
  double hand[3] = {0, 0, 0.5};
  double t[3] = {0.1, -0.2, 0.3};
  double out[3];
  double g;
  assert_int_equal(ag_safetyFilter(&s, hand, t, 0.5, out, &g), 0);
  assert_memory_equal(out, t, sizeof(t));
  assert_true(g == 0.5);
}

static void filter_should_clamp_targets_outside_the_workspace(void **state) {
  (void)state;
  agSafetyConfig s = boxed((double[3]){-0.5, 0.4, 0.05}, (double[3]){0.5, 1.0, 0.5});
  double hand[3] = {0, 0.6, 0.2};
  double t[3] = {3.0, 0.0, -1.0};
  double out[3];
  double g;
  assert_int_equal(ag_safetyFilter(&s, hand, t, 0.0, out, &g), AG_SAFE_WORKSPACE);
  assert_true(out[0] == 0.5 && out[1] == 0.4 && out[2] == 0.05);
}

static void filter_should_limit_huge_steps_along_the_same_direction(void **state) {
  (void)state;
  agSafetyConfig s;
  ag_defaultSafety(&s);
  s.max_step = 0.05;
  double hand[3] = {0.1, 0.2, 0.3};
  double t[3] = {0.1 + 30.0, 0.2 + 40.0, 0.3};
  double out[3];
  double g;
  assert_int_equal(ag_safetyFilter(&s, hand, t, 0.0, out, &g), AG_SAFE_STEP);
  double d[3] = {out[0] - hand[0], out[1] - hand[1], out[2] - hand[2]};
  assert_float_equal(sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]), 0.05, 1e-12);
  assert_float_equal(d[0] / d[1], 0.75, 1e-12);
  assert_float_equal(d[2], 0.0, 1e-15);
}

static void filter_should_name_speed_when_the_speed_limit_is_tighter(void **state) {
  (void)state;
  agSafetyConfig s;
  ag_defaultSafety(&s);
  s.max_step = 0.2;
  s.max_speed = 0.4;
  s.step_duration = 0.25; /* 0.1 m per step: tighter than 0.2 */
  double hand[3] = {0, 0, 0};
  double t[3] = {0, 0, 1};
  double out[3];
  double g;
  assert_int_equal(ag_safetyFilter(&s, hand, t, 0.0, out, &g), AG_SAFE_SPEED);
  assert_float_equal(out[2], 0.1, 1e-12);
}

static void filter_should_reject_nan_and_inf_and_leave_the_output(void **state) {
  (void)state;
  agSafetyConfig s;
  ag_defaultSafety(&s);
  double hand[3] = {0, 0, 0};
  double out[3] = {7, 7, 7};
  double g = 7;
  double t1[3] = {NAN, 0, 0};
  double t2[3] = {0, INFINITY, 0};
  double t3[3] = {0, 0, 0};
  assert_int_equal(ag_safetyFilter(&s, hand, t1, 0, out, &g), AG_SAFE_REJECT);
  assert_int_equal(ag_safetyFilter(&s, hand, t2, 0, out, &g), AG_SAFE_REJECT);
  assert_int_equal(ag_safetyFilter(&s, hand, t3, -NAN, out, &g), AG_SAFE_REJECT);
  assert_true(out[0] == 7 && out[1] == 7 && out[2] == 7 && g == 7);
}

static void filter_should_clip_the_gripper_without_a_violation(void **state) {
  (void)state;
  agSafetyConfig s;
  ag_defaultSafety(&s);
  double hand[3] = {0, 0, 0};
  double out[3];
  double g;
  assert_int_equal(ag_safetyFilter(&s, hand, hand, 5.0, out, &g), AG_SAFE_GRIPPER);
  assert_true(g == 1.0);
  agSafetyCounts c;
  memset(&c, 0, sizeof(c));
  ag_safetyCount(&c, AG_SAFE_GRIPPER);
  ag_safetyCount(&c, AG_SAFE_WORKSPACE | AG_SAFE_STEP);
  assert_int_equal(c.gripper_clamps, 1);
  assert_int_equal(c.workspace_clamps, 1);
  assert_int_equal(c.step_limits, 1);
  assert_int_equal(c.violations, 1);
}

static void merge_should_take_the_tightest_limits(void **state) {
  (void)state;
  agSafetyConfig s = boxed((double[3]){-0.2, 0.0, 0.1}, (double[3]){0.2, 2.0, 0.3});
  s.max_step = 0.3;
  agDriverCaps caps = {{-0.5, 0.4, 0.05}, {0.5, 1.0, 0.5}, 0.1, 0.0, 0.25, 0};
  agSafetyConfig m;
  ag_mergeSafety(&s, &caps, &m);
  assert_true(m.workspace_lo[0] == -0.2 && m.workspace_lo[1] == 0.4 && m.workspace_lo[2] == 0.1);
  assert_true(m.workspace_hi[0] == 0.2 && m.workspace_hi[1] == 1.0 && m.workspace_hi[2] == 0.3);
  assert_true(m.max_step == 0.1);
  assert_true(m.max_speed == 0.0);
  assert_true(m.step_duration == 0.25);

  /* A disjoint configured box keeps the driver's (the robot's own limits are safe) */
  s.workspace_lo[0] = 2.0, s.workspace_hi[0] = 3.0;
  ag_mergeSafety(&s, &caps, &m);
  assert_true(m.workspace_lo[0] == -0.5 && m.workspace_hi[0] == 0.5);
}

/* ---------------------------------------------------------------- episodes */

static void episode_should_clamp_a_controller_aiming_outside_the_workspace(void **state) {
  (void)state;
  fakeEpisode *e = openEpisode("{}");
  e->cfg.absolute = 1;
  script s = {{2.0, -3.0, 9.0, 0.0}, -1, 0, {0}, -1, 0};
  runEpisode(e, &s);
  assert_int_equal(e->res.fault, AG_FT_NONE);
  assert_int_equal(e->res.steps, 5);
  assert_int_equal(e->res.safety.workspace_clamps, 5);
  assert_int_equal(e->ncmd, 5);
  for (int i = 0; i < e->ncmd; i++) {
    assert_true(e->cmd[i][0] <= 0.5 && e->cmd[i][1] >= 0.4 && e->cmd[i][2] <= 0.5);
  }
  closeEpisode(e);
}

static void episode_should_limit_huge_steps_to_the_tightest_limit(void **state) {
  (void)state;
  fakeEpisode *e = openEpisode("{}");
  e->cfg.safety.max_step = 0.05; /* tighter than the fake robot's 0.2 */
  script s = {{1e6, 0.0, 0.0, 0.0}, -1, 0, {0}, -1, 0};
  runEpisode(e, &s);
  assert_int_equal(e->res.fault, AG_FT_NONE);
  assert_true(e->res.limits.max_step == 0.05);
  assert_int_equal(e->res.safety.step_limits, 5);
  assert_int_equal(e->ncmd, 5);
  double prev = 0.0; /* the fake hand starts at x = 0 */
  for (int i = 0; i < 5; i++) {
    assert_float_equal(e->cmd[i][0] - prev, 0.05, 1e-9);
    prev = e->cmd[i][0];
  }
  closeEpisode(e);
}

static void episode_should_reject_nan_with_an_estop(void **state) {
  (void)state;
  fakeEpisode *e = openEpisode("{}");
  script s = {{0.01, 0.0, 0.0, 0.0}, 2, 0, {0.0, NAN, 0.0, 0.0}, -1, 0};
  runEpisode(e, &s);
  assertFault(&e->res, AG_FT_INVALID_ACTION, "invalid_action", 2,
              "non-finite action at step 2: action[1] = nan; robot stopped");
  assert_int_equal(e->res.safety.nonfinite, 1);
  assert_int_equal(e->res.safety.estops, 1);
  assert_int_equal(e->ncmd, 2); /* nothing commanded after the NaN */
  assert_true(lastIsStop(&e->book));
  closeEpisode(e);
}

static void episode_should_hold_position_when_the_controller_hangs(void **state) {
  (void)state;
  fakeEpisode *e = openEpisode("{}");
  e->cfg.timeout_ms = 50;
  script s = {{0.02, 0.01, 0.0, 0.5}, 3, AG_POLICY_TIMEOUT, {0}, -1, 0};
  runEpisode(e, &s);
  assertFault(&e->res, AG_FT_TIMEOUT, NULL, 3, NULL);
  assert_int_equal(e->res.steps, 3);
  assert_int_equal(e->res.safety.watchdog, 1);
  assert_non_null(strstr(e->res.fault_message, "exceeded 50 ms at step 3; robot held position"));

  /* The last command is the hold: the hand's position after step 2, same gripper */
  assert_int_equal(e->ncmd, 4);
  assert_memory_equal(e->cmd[3], e->cmd[2], 3 * sizeof(double));
  assert_true(e->cmd[3][3] == 0.5);
  assert_memory_equal(e->res.last_target, e->cmd[2], 3 * sizeof(double));
  assert_true(lastIsStop(&e->book));
  closeEpisode(e);
}

static void episode_should_hold_position_when_the_controller_crashes(void **state) {
  (void)state;
  fakeEpisode *e = openEpisode("{}");
  script s = {{0.02, 0.0, 0.0, 0.0}, 0, AG_POLICY_CRASH, {0}, -1, 0};
  runEpisode(e, &s);
  assertFault(&e->res, AG_FT_CRASH, NULL, 0, NULL);
  assert_int_equal(e->ncmd, 1);
  assert_true(e->cmd[0][0] == 0.0 && e->cmd[0][1] == 0.6 && e->cmd[0][2] == 0.2); /* start pose */
  closeEpisode(e);
}

static void episode_should_estop_after_too_many_violations(void **state) {
  (void)state;
  fakeEpisode *e = openEpisode("{}");
  e->cfg.safety.max_violations = 2;
  script s = {{0.0, 0.0, -1.0, 0.0}, -1, 0, {0}, -1, 0}; /* into the table every step */
  runEpisode(e, &s);
  assertFault(&e->res, AG_FT_SAFETY, "safety", 2,
              "3 safety violations by step 2 (limit 2); robot stopped");
  assert_int_equal(e->res.safety.violations, 3);
  assert_int_equal(e->ncmd, 2);
  assert_true(lastIsStop(&e->book));
  closeEpisode(e);
}

static void episode_should_estop_on_a_driver_error(void **state) {
  (void)state;
  fakeEpisode *e = openEpisode("{\"fail_command_at\": 1}");
  script s = {{0.01, 0.0, 0.0, 0.0}, -1, 0, {0}, -1, 0};
  runEpisode(e, &s);
  assertFault(&e->res, AG_FT_DRIVER, "driver", 1,
              "driver command failed at step 1: joint 3 over torque");
  assert_true(lastIsStop(&e->book));
  closeEpisode(e);
}

static volatile sig_atomic_t gInterrupt;

static void onSigint(int sig) {
  (void)sig;
  gInterrupt = 1;
}

static void episode_should_estop_on_sigint(void **state) {
  (void)state;
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = onSigint;
  sigemptyset(&sa.sa_mask);
  struct sigaction old;
  assert_int_equal(sigaction(SIGINT, &sa, &old), 0);
  gInterrupt = 0;

  fakeEpisode *e = openEpisode("{}");
  e->cfg.interrupt = &gInterrupt;
  script s = {{0.01, 0.0, 0.0, 0.0}, -1, 0, {0}, 1, 0};
  runEpisode(e, &s);
  sigaction(SIGINT, &old, NULL);
  assertFault(&e->res, AG_FT_INTERRUPTED, "interrupted", 2, NULL);
  assert_int_equal(e->res.steps, 2);
  assert_int_equal(s.calls, 2);
  assert_true(lastIsStop(&e->book));
  closeEpisode(e);
}

/* The sim driver: the hand never leaves the workspace whatever the controller asks. */
typedef struct simWatch {
  int steps;
  int outside;
} simWatch;

static void watchHand(void *user, const agEpisodeStep *st) {
  simWatch *w = user;
  w->steps++;
  const double *h = st->after->hand_pos;
  /* The hand tracks the clamped target to within the P controller's error */
  w->outside +=
      h[0] < -0.51 || h[0] > 0.51 || h[1] < 0.39 || h[1] > 1.01 || h[2] < 0.04 || h[2] > 0.51;
}

static void sim_episode_should_keep_the_hand_in_the_workspace(void **state) {
  (void)state;
  char err[256] = "";
  agDriver *drv = ag_makeDriver("sim", "{\"task\":\"reach\"}", NULL, err, sizeof(err));
  assert_non_null(drv);
  agEpisodeConfig cfg;
  ag_defaultEpisode(&cfg);
  cfg.stop_on_success = 0;
  script s = {{0.0, -5.0, -5.0, 0.0}, -1, 0, {0}, -1, 0};
  simWatch w = {0, 0};
  agEpisodeResult res;
  assert_int_equal(
      ag_runDriverEpisode(drv, &cfg, scripted, &s, watchHand, &w, &res, err, sizeof(err)), 0);
  assert_int_equal(res.fault, AG_FT_NONE);
  assert_int_equal(w.steps, 10);
  assert_int_equal(res.safety.workspace_clamps, 10);
  assert_int_equal(w.outside, 0);
  ag_freeDriver(drv);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(filter_should_pass_a_target_inside_all_limits),
      cmocka_unit_test(filter_should_clamp_targets_outside_the_workspace),
      cmocka_unit_test(filter_should_limit_huge_steps_along_the_same_direction),
      cmocka_unit_test(filter_should_name_speed_when_the_speed_limit_is_tighter),
      cmocka_unit_test(filter_should_reject_nan_and_inf_and_leave_the_output),
      cmocka_unit_test(filter_should_clip_the_gripper_without_a_violation),
      cmocka_unit_test(merge_should_take_the_tightest_limits),
      cmocka_unit_test(episode_should_clamp_a_controller_aiming_outside_the_workspace),
      cmocka_unit_test(episode_should_limit_huge_steps_to_the_tightest_limit),
      cmocka_unit_test(episode_should_reject_nan_with_an_estop),
      cmocka_unit_test(episode_should_hold_position_when_the_controller_hangs),
      cmocka_unit_test(episode_should_hold_position_when_the_controller_crashes),
      cmocka_unit_test(episode_should_estop_after_too_many_violations),
      cmocka_unit_test(episode_should_estop_on_a_driver_error),
      cmocka_unit_test(episode_should_estop_on_sigint),
      cmocka_unit_test(sim_episode_should_keep_the_hand_in_the_workspace),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
