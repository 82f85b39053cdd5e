/* Tests of agent/driver_load.c: loading driver plug-ins (the fake_driver MODULE
 * variants) and the one-line errors of every bad variant. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cases.h"
#include "host_log.h"
#include "tracebot/drivers.h"

/* Moves toward the fake robot's goal, at most 0.1 per axis. */
static int towardGoal(void *ctx, const obs_t *obs, double action[4], int timeout_ms, char *err,
                      size_t errsz) {
  (void)ctx;
  (void)timeout_ms;
  (void)err;
  (void)errsz;
  for (int i = 0; i < 3; i++) {
    double d = obs->goal_pos[i] - obs->hand_pos[i];
    action[i] = d > 0.1 ? 0.1 : (d < -0.1 ? -0.1 : d);
  }
  action[3] = -1.0;
  return 0;
}

static void load_should_run_an_episode_with_the_good_plugin(void **state) {
  (void)state;
  logBook book = {.n = 0};
  agDriverHost host = {0, 0, &book, logbook_collect};
  char err[256] = "";
  agDriver *drv = ag_makeDriver(FAKE_GOOD_SO, "{}", &host, err, sizeof(err));
  assert_non_null(drv);
  assert_string_equal(ag_driverName(drv), "fake");

  agEpisodeConfig cfg;
  ag_defaultEpisode(&cfg);
  agEpisodeResult res;
  assert_int_equal(
      ag_runDriverEpisode(drv, &cfg, towardGoal, NULL, NULL, NULL, &res, err, sizeof(err)), 0);
  assert_int_equal(res.fault, AG_FT_NONE);
  assert_true(res.success);
  assert_int_equal(res.steps, 2); /* (0,.6,.2) -> (.1,.7,.2) -> (.1,.8,.2) */
  assert_true(res.ret > 10.0);
  assert_int_equal(logbook_count(&book, "reset"), 1);
  assert_int_equal(logbook_count(&book, "command "), 2);
  assert_int_equal(res.safety.violations, 0);

  /* Freeing a driver stops the robot first */
  int stops = logbook_count(&book, "stop");
  ag_freeDriver(drv);
  assert_int_equal(logbook_count(&book, "stop"), stops + 1);
}

/* A driver that does not load, and the one line that says why: "driver PATH: tail" (or, with
 * part set, a message holding it). */
typedef struct badDriver {
  const char *name; /* the behaviour */
  const char *path;
  const char *tail;
  int part;
} badDriver;

static const badDriver kBad[] = {
    {"load should name both versions on an abi mismatch", FAKE_BAD_ABI_SO,
     "ABI version 3, tracebot speaks 2", 0},
    {"load should name a missing entry symbol", FAKE_NO_ENTRY_SO,
     "missing entry symbol tracebot_driver_init", 0},
    {"load should relay the driver's open failure", FAKE_OPEN_FAILS_SO,
     "open failed: no robot on /dev/ttyFAKE0", 0},
    {"load should fail cleanly on a missing file", "/nonexistent/robot.so", "cannot load: ", 1},
    {"load should reject an unknown builtin name", "ros",
     "unknown driver (use sim, net or the path of a .so)", 0},
};

static void load_should_fail_with_one_line_naming_the_driver_and_why(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof kBad / sizeof kBad[0]; i++) {
    const badDriver *c = &kBad[i];
    char err[256] = "";
    case_true(c->name, "ag_makeDriver failed",
              ag_makeDriver(c->path, "{}", NULL, err, sizeof(err)) == NULL);
    char want[512];
    snprintf(want, sizeof(want), "driver %s: %s", c->path, c->tail);
    if (c->part) {
      case_has(c->name, "the error", err, want);
    } else {
      case_str(c->name, "the error", err, want);
    }
    case_true(c->name, "the error is one line", strchr(err, '\n') == NULL);
  }
}

static void load_should_name_the_struct_size_on_a_size_mismatch(void **state) {
  (void)state;
  char err[256] = "";
  assert_null(ag_makeDriver(FAKE_BAD_SIZE_SO, "{}", NULL, err, sizeof(err)));
  char want[512];
  snprintf(want, sizeof(want), "driver %s: API struct size %zu, tracebot expects %zu (ABI %u)",
           FAKE_BAD_SIZE_SO, sizeof(agDriverApi) - 8, sizeof(agDriverApi),
           (unsigned)AG_DRIVER_ABI_VERSION);
  assert_string_equal(err, want);
}

static int noReset(void *h, uint64_t seed, char *err, size_t errsz) {
  (void)h;
  (void)seed;
  (void)err;
  (void)errsz;
  return 0;
}

static void make_from_api_should_name_a_null_function(void **state) {
  (void)state;
  agDriverApi api;
  memset(&api, 0, sizeof(api));
  api.abi_version = AG_DRIVER_ABI_VERSION;
  api.struct_size = sizeof(api);
  api.name = "half";
  api.reset = noReset;
  char err[256] = "";
  assert_null(ag_makeDriverFromApi(&api, "half", "{}", NULL, err, sizeof(err)));
  assert_string_equal(err, "driver half: function open is NULL in its API table");
}

static void load_should_truncate_errors_to_the_buffer(void **state) {
  (void)state;
  char err[16];
  memset(err, 'x', sizeof(err));
  assert_null(ag_makeDriver(FAKE_BAD_ABI_SO, "{}", NULL, err, sizeof(err)));
  assert_int_equal(strlen(err), sizeof(err) - 1);
  assert_null(ag_makeDriver(FAKE_BAD_ABI_SO, "{}", NULL, NULL, 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(load_should_run_an_episode_with_the_good_plugin),
      cmocka_unit_test(load_should_fail_with_one_line_naming_the_driver_and_why),
      cmocka_unit_test(load_should_name_the_struct_size_on_a_size_mismatch),
      cmocka_unit_test(make_from_api_should_name_a_null_function),
      cmocka_unit_test(load_should_truncate_errors_to_the_buffer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
