/* Tests of envs/task_plugin.c: every way a task plug-in can fail to load is one line naming
 * the plug-in and the cause, and registers nothing; a good plug-in's task gets the id after
 * the built-in ones and runs like a built-in task. The table only grows, so the tests run
 * in order (failures first). The plug-ins are tests/envs/fake_task_plugin.c's variants. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tracebot/envs.h"
#include "tracebot/task_plugin.h" /* ENV_PLUGIN_ABI_VERSION */

static int builtins;

static int setup(void **state) {
  (void)state;
  builtins = env_taskCount();
  return 0;
}

/* Loading path fails with TB_ELOAD (or want rc) and a message "task plug-in PATH: ..."
 * holding want, on one line; the table is unchanged. */
static void refuse(const char *path, int rc, const char *want) {
  char err[1024] = "";
  int got = env_loadTaskPlugin(path, err, sizeof err);
  if (got != rc || strstr(err, want) == NULL || strchr(err, '\n') != NULL) {
    fail_msg("%s: rc %d, message \"%s\" (wanted %d and \"%s\")", path ? path : "NULL", got, err, rc,
             want);
  }
  if (path != NULL && path[0] != '\0') {
    char head[PATH_MAX + 32];
    snprintf(head, sizeof head, "task plug-in %s: ", path);
    assert_int_equal(strncmp(err, head, strlen(head)), 0);
  }
  assert_int_equal(env_taskCount(), builtins);
}

static void load_should_refuse_a_missing_path_or_file(void **state) {
  (void)state;
  refuse(NULL, TB_EINVAL, "no path given");
  refuse("", TB_EINVAL, "no path given");
  refuse("/no/such/plugin.so", TB_ELOAD, "cannot load: No such file or directory");
  refuse(FAKE_SOURCE, TB_ELOAD, "cannot load: "); /* a C file is not a shared object */
}

static void load_should_refuse_a_missing_entry_symbol(void **state) {
  (void)state;
  refuse(FAKE_NO_ENTRY_SO, TB_ELOAD, "missing entry symbol tracebot_task_init");
}

static void load_should_refuse_a_plugin_that_refuses(void **state) {
  (void)state;
  refuse(FAKE_REFUSES_SO, TB_ELOAD, "tracebot_task_init returned NULL");
}

static void load_should_refuse_another_abi_version_or_size(void **state) {
  (void)state;
  char want[128];
  snprintf(want, sizeof want, "ABI version 99, tracebot speaks %u",
           (unsigned)ENV_PLUGIN_ABI_VERSION);
  refuse(FAKE_BAD_ABI_SO, TB_ELOAD, want);
  refuse(FAKE_BAD_SIZE_SO, TB_ELOAD, "struct sizes");
}

static void load_should_refuse_objects_that_do_not_compile(void **state) {
  (void)state;
  refuse(FAKE_BAD_MJCF_SO, TB_ELOAD,
         "task fake-touch: the scene with its objects does not compile");
  refuse(FAKE_BAD_MJCF_SO, TB_ELOAD, "'teapot'"); /* MuJoCo's reason */
  refuse(FAKE_BAD_MJCF_SO, TB_ELOAD, "(line 5 of the objects MJCF)");
  refuse(FAKE_MISSING_OBJECT_SO, TB_ELOAD,
         "task fake-touch: its model has no body named 'no_such_body'");
}

static void load_should_refuse_a_name_of_a_builtin_task_or_a_bad_name(void **state) {
  (void)state;
  refuse(FAKE_CLASH_SO, TB_ELOAD, "task push: a built-in task has that name");
  refuse(FAKE_BAD_NAME_SO, TB_ELOAD, "task 0: its name is missing or not 1..48 of [a-z0-9-]");
}

/* Runs one episode of the fake task with its expert; returns the macro-steps to success
 * (0: none) and the feedback line. */
static int expertEpisode(envTaskId id, uint64_t seed, obs_t *first, char *line, size_t linesz) {
  char err[256] = "";
  envSpec *spec = env_makeSpec(id, err, sizeof err);
  assert_non_null(spec);
  envTask *task = env_make(spec, err, sizeof err);
  assert_non_null(task);
  obs_t obs;
  assert_int_equal(env_reset(task, seed, NULL, &obs, err, sizeof err), TB_OK);
  *first = obs;
  env_feedback(task, line, linesz);
  int won = 0;
  for (int k = 0; k < obs.horizon && !won; k++) {
    double a[4];
    env_expert(id, &obs, a);
    envStepResult res;
    assert_int_equal(env_macroStep(task, a, &res, err, sizeof err), TB_OK);
    assert_true(res.reward >= 0.0 && res.reward <= 10.0);
    obs = res.obs;
    won = res.success ? k + 1 : 0;
  }
  env_free(task);
  env_freeSpec(spec);
  return won;
}

static void good_plugin_should_add_a_task_after_the_builtin_ones(void **state) {
  (void)state;
  char err[1024] = "";
  assert_int_equal(env_loadTaskPlugin(FAKE_GOOD_SO, err, sizeof err), TB_OK);
  assert_int_equal(env_taskCount(), builtins + 1);
  int id = env_lookup("fake-touch");
  assert_int_equal(id, builtins);
  char real[PATH_MAX];
  assert_non_null(realpath(FAKE_GOOD_SO, real));
  assert_string_equal(env_taskPlugin((envTaskId)id), real);
  assert_null(env_taskPlugin(ENV_PUSH));
  assert_null(env_taskPlugin((envTaskId)env_taskCount()));

  /* the row: texts from the plug-in; a run's description adds the common part */
  assert_non_null(strstr(env_instruction((envTaskId)id), "Fake-touch: bring the fingertips"));
  envSpec *described = env_makeSpec((envTaskId)id, err, sizeof err);
  assert_non_null(described);
  envConfig dc;
  env_defaultConfig(&dc);
  envDescription d;
  assert_int_equal(env_describe(described, &dc, &d, err, sizeof err), TB_OK);
  assert_non_null(strstr(d.instruction, "Fake-touch: bring the fingertips"));
  assert_non_null(strstr(d.instruction, "gripper_distance_apart"));
  env_freeSpec(described);
  assert_int_equal(env_defaultHorizon((envTaskId)id), 5);
  assert_string_equal(env_expertPath((envTaskId)id), real); /* no expert_path: the plug-in */
  size_t len = 0;
  const char *src = env_expertSource((envTaskId)id, &len);
  assert_non_null(strstr(src, "void controller(const obs_t *obs, double action[4])"));
  assert_int_equal(strlen(src), len);
  const char *list = env_taskList();
  assert_non_null(strstr(list, ", fake-touch"));
  assert_string_equal(list + strlen(list) - strlen("fake-touch"), "fake-touch");

  /* an episode: the expert solves it; the observation holds the ball in slot 1 */
  obs_t first;
  char line[256];
  int won = expertEpisode((envTaskId)id, 3, &first, line, sizeof line);
  assert_true(won > 0);
  assert_true(first.obj_pos[2] > 0.015 && first.obj_pos[2] < 0.025);
  assert_true(first.obj_quat[0] > 0.999);
  assert_true(first.obj2_pos[0] == 0.0 && first.obj2_quat[0] == 0.0);
  assert_memory_equal(first.goal_pos, first.obj_pos, 2 * sizeof(double));
  /* the per-episode state is zero after the reset (it counts env steps) */
  assert_non_null(strstr(line, "0 env steps, "));

  /* the same seed, the same episode */
  obs_t again;
  assert_int_equal(expertEpisode((envTaskId)id, 3, &again, line, sizeof line), won);
  assert_memory_equal(&first, &again, sizeof first);
}

static void loading_the_same_file_again_should_do_nothing(void **state) {
  (void)state;
  char err[1024] = "";
  assert_int_equal(env_loadTaskPlugin(FAKE_GOOD_SO, err, sizeof err), TB_OK);
  assert_int_equal(env_taskCount(), builtins + 1);
}

static void a_second_plugin_should_follow_and_not_reuse_a_name(void **state) {
  (void)state;
  char err[1024] = "";
  assert_int_equal(env_loadTaskPlugin(FAKE_SECOND_SO, err, sizeof err), TB_OK);
  assert_int_equal(env_lookup("fake-touch-2"), builtins + 1);
  /* its hand starts where it says (the first task's at the default) */
  obs_t first;
  char line[256];
  expertEpisode((envTaskId)(builtins + 1), 1, &first, line, sizeof line);
  assert_true(fabs(first.hand_pos[0] - 0.1) < 0.005 && fabs(first.hand_pos[1] - 0.5) < 0.005 &&
              fabs(first.hand_pos[2] - 0.25) < 0.005);
  expertEpisode((envTaskId)builtins, 1, &first, line, sizeof line);
  assert_true(fabs(first.hand_pos[1] - 0.6) < 0.005);

  /* the good plug-in under another path: its task's name is taken */
  char copy[] = "/tmp/tracebot_fake_task_XXXXXX";
  int fd = mkstemp(copy);
  assert_true(fd >= 0);
  FILE *in = fopen(FAKE_GOOD_SO, "rb");
  FILE *out = fdopen(fd, "wb");
  assert_non_null(in);
  assert_non_null(out);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
    assert_int_equal(fwrite(buf, 1, n, out), n);
  }
  fclose(in);
  fclose(out);
  builtins = env_taskCount();
  refuse(copy, TB_ELOAD, "task fake-touch: a task of another plug-in has that name");
  remove(copy);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(load_should_refuse_a_missing_path_or_file),
      cmocka_unit_test(load_should_refuse_a_missing_entry_symbol),
      cmocka_unit_test(load_should_refuse_a_plugin_that_refuses),
      cmocka_unit_test(load_should_refuse_another_abi_version_or_size),
      cmocka_unit_test(load_should_refuse_objects_that_do_not_compile),
      cmocka_unit_test(load_should_refuse_a_name_of_a_builtin_task_or_a_bad_name),
      cmocka_unit_test(good_plugin_should_add_a_task_after_the_builtin_ones),
      cmocka_unit_test(loading_the_same_file_again_should_do_nothing),
      cmocka_unit_test(a_second_plugin_should_follow_and_not_reuse_a_name),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
