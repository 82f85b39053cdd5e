/* Tests of envs/experts/ (compiled into envs/tasks/): every task's scripted expert solves
 * its task at the paper's settings (horizon 10, relative mode), and the embedded sources
 * are the files. A sample of seeds by default; set TRACEBOT_EXPERT_SEEDS=100 for the full
 * 0:100 measurement (printed). */
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

static void every_expert_should_succeed_at_least_90_percent(void **state) {
  (void)state;
  for (int t = 0; t < env_taskCount(); t++) {
    double rate = expertRate((envTaskId)t, seedCount());
    if (rate < 0.9) {
      fail_msg("the %s expert succeeds in %.2f of the episodes", env_name((envTaskId)t), rate);
    }
  }
}

/* A file of the source tree ($TRACEBOT_SOURCE_DIR/rel), NUL-terminated, its length in
 * *len; NULL if it cannot be read. */
static char *readSource(const char *root, const char *rel, size_t *len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", root, rel);
  FILE *f = fopen(path, "rb");
  if (!f) {
    return NULL;
  }
  size_t cap = 1 << 16;
  char *buf = malloc(cap);
  assert_non_null(buf);
  *len = fread(buf, 1, cap - 1, f);
  buf[*len] = '\0';
  fclose(f);
  assert_true(*len < cap - 1);
  return buf;
}

/* Each row's expert file exists, is a dialect controller without includes, and is
 * embedded byte for byte; the task's definition sits beside it in envs/tasks/. */
static void expert_files_should_exist_and_equal_the_embedded_sources(void **state) {
  (void)state;
  const char *root = getenv("TRACEBOT_SOURCE_DIR");
  if (!root) {
    skip();
  }
  for (int t = 0; t < env_taskCount(); t++) {
    const char *path = env_expertPath((envTaskId)t);
    size_t len = 0;
    char *file = readSource(root, path, &len);
    assert_non_null(file);
    assert_non_null(strstr(file, "void controller(const obs_t *obs, double action[4])"));
    assert_null(strstr(file, "#include"));
    size_t srcLen = 0;
    const char *src = env_expertSource((envTaskId)t, &srcLen);
    assert_int_equal(srcLen, len);
    assert_memory_equal(src, file, len);
    free(file);

    char rel[256];
    snprintf(rel, sizeof rel, "envs/tasks/%s", strrchr(path, '/') + 1);
    file = readSource(root, rel, &len);
    assert_non_null(file);
    free(file);
  }
  size_t len = 1;
  assert_null(env_expertSource((envTaskId)env_taskCount(), &len));
  assert_int_equal(len, 0);
}

static void unknown_expert_should_output_zero(void **state) {
  (void)state;
  obs_t obs;
  memset(&obs, 0, sizeof(obs));
  double a[4] = {1, 1, 1, 1};
  env_expert((envTaskId)env_taskCount(), &obs, a);
  assert_true(a[0] == 0.0 && a[1] == 0.0 && a[2] == 0.0 && a[3] == 0.0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_expert_should_succeed_at_least_90_percent),
      cmocka_unit_test(expert_files_should_exist_and_equal_the_embedded_sources),
      cmocka_unit_test(unknown_expert_should_output_zero),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
