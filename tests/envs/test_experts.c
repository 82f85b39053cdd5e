/* Tests of envs/experts.c: the scripted experts solve their tasks at the paper's
 * settings (horizon 10, relative mode). A sample of seeds by default; set
 * TRACEBOT_EXPERT_SEEDS=100 for the full 0:100 measurement (printed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tracebot/envs.h"

static int seedCount(void) {
  const char *s = getenv("TRACEBOT_EXPERT_SEEDS");
  int n = s ? atoi(s) : 20;
  return n > 0 ? n : 20;
}

/* Success rate of a task's expert over seeds 0 .. n-1. */
static double expertRate(envTaskId id, int n) {
  envSpec *spec = env_makeSpec(id, NULL, 0);
  assert_non_null(spec);
  envTask *task = env_make(spec, NULL, 0);
  assert_non_null(task);
  envConfig cfg;
  env_defaultConfig(&cfg);
  int wins = 0;
  for (int seed = 0; seed < n; seed++) {
    obs_t obs;
    assert_int_equal(env_reset(task, (uint64_t)seed, &cfg, &obs, NULL, 0), TB_OK);
    for (int k = 0; k < cfg.horizon; k++) {
      double a[4];
      env_expert(id, &obs, a);
      envStepResult res;
      assert_int_equal(env_macroStep(task, a, &res, NULL, 0), TB_OK);
      obs = res.obs;
      if (res.success) {
        wins++;
        break;
      }
    }
  }
  env_free(task);
  env_freeSpec(spec);
  double rate = (double)wins / n;
  if (getenv("TRACEBOT_EXPERT_SEEDS")) {
    printf("expert %s: %d/%d = %.2f\n", env_name(id), wins, n, rate);
  }
  return rate;
}

static void reach_expert_should_succeed_at_least_90_percent(void **state) {
  (void)state;
  assert_true(expertRate(ENV_REACH, seedCount()) >= 0.9);
}

static void push_expert_should_succeed_at_least_90_percent(void **state) {
  (void)state;
  assert_true(expertRate(ENV_PUSH, seedCount()) >= 0.9);
}

static void pickPlace_expert_should_succeed_at_least_90_percent(void **state) {
  (void)state;
  assert_true(expertRate(ENV_PICK_PLACE, seedCount()) >= 0.9);
}

static void expert_files_should_exist_in_the_source_tree(void **state) {
  (void)state;
  const char *root = getenv("TRACEBOT_SOURCE_DIR");
  if (!root) {
    skip();
  }
  for (int t = 0; t < ENV_NTASKS; t++) {
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", root, env_expertPath((envTaskId)t));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_non_null(strstr(buf, "void controller(const obs_t *obs, double action[4])"));
    assert_null(strstr(buf, "#include"));
  }
}

static void unknown_expert_should_output_zero(void **state) {
  (void)state;
  obs_t obs;
  memset(&obs, 0, sizeof(obs));
  double a[4] = {1, 1, 1, 1};
  env_expert(ENV_NTASKS, &obs, a);
  assert_true(a[0] == 0.0 && a[1] == 0.0 && a[2] == 0.0 && a[3] == 0.0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reach_expert_should_succeed_at_least_90_percent),
      cmocka_unit_test(push_expert_should_succeed_at_least_90_percent),
      cmocka_unit_test(pickPlace_expert_should_succeed_at_least_90_percent),
      cmocka_unit_test(expert_files_should_exist_in_the_source_tree),
      cmocka_unit_test(unknown_expert_should_output_zero),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
