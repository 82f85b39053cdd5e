/* env_step and env_macroStep allocate nothing once a task is reset, with or without a
 * perturbation (after the task's first perturbed reset, which copies the model): every
 * malloc/calloc/realloc of our code (linked with --wrap) and every MuJoCo
 * allocation (mju_user_malloc) is counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tracebot/envs.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);

static long allocations;

void *__wrap_malloc(size_t n) {
  allocations++;
  return __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n) {
  allocations++;
  return __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n) {
  allocations++;
  return __real_realloc(p, n);
}

/* MuJoCo's allocator hook; MuJoCo frees with mju_user_free, so pair it with free */
static void *countingMujocoMalloc(size_t n) {
  allocations++;
  return aligned_alloc(64, (n + 63) / 64 * 64);
}

static void countingMujocoFree(void *p) {
  free(p);
}

/* Env steps with a changing action, then the expert's macro-steps: the step path. */
static void stepAround(envTask *task, int envSteps, obs_t *obs) {
  char err[256] = "";
  for (int i = 0; i < envSteps; i++) {
    double a[4] = {0.3, -0.2, (i % 40) < 20 ? -1.0 : 1.0, (i % 50) < 25 ? 1.0 : -1.0};
    assert_int_equal(env_step(task, a, err, sizeof(err)), TB_OK);
  }
  for (int k = 0; k < 10; k++) {
    double a[4];
    env_expert(ENV_PICK_PLACE, obs, a);
    envStepResult res;
    assert_int_equal(env_macroStep(task, a, &res, err, sizeof(err)), TB_OK);
    *obs = res.obs;
  }
}

/* A pick-place task with every allocation counted from here on; *spec freed by the caller
 * after the task. */
static envTask *countedTask(envSpec **spec) {
  mju_user_malloc = countingMujocoMalloc;
  mju_user_free = countingMujocoFree;
  *spec = env_makeSpec(ENV_PICK_PLACE, NULL, 0);
  assert_non_null(*spec);
  envTask *task = env_make(*spec, NULL, 0);
  assert_non_null(task);
  return task;
}

static void steps_should_not_allocate_after_reset(void **state) {
  (void)state;
  char err[256] = "";
  envSpec *spec = NULL;
  envTask *task = countedTask(&spec);
  obs_t obs;
  assert_int_equal(env_reset(task, 1, NULL, &obs, err, sizeof(err)), TB_OK);
  long setup = allocations;
  assert_true(setup > 0); /* the counters are live */

  allocations = 0;
  stepAround(task, 200, &obs);
  /* a second episode on the same task does not allocate either */
  assert_int_equal(env_reset(task, 2, NULL, &obs, err, sizeof(err)), TB_OK);
  assert_int_equal(allocations, 0);

  env_free(task);
  env_freeSpec(spec);
}

static void perturbed_episodes_should_not_allocate_after_the_first_reset(void **state) {
  (void)state;
  char err[256] = "";
  envSpec *spec = NULL;
  envTask *task = countedTask(&spec);
  envConfig cfg;
  env_defaultConfig(&cfg);
  assert_int_equal(env_parsePerturb("strong,latency=5", &cfg.perturb, err, sizeof err), TB_OK);
  obs_t obs;
  allocations = 0;
  /* the first perturbed reset makes the task's own model: it may allocate */
  assert_int_equal(env_reset(task, 1, &cfg, &obs, err, sizeof(err)), TB_OK);
  assert_true(allocations > 0);

  /* every knob on: steps, macro-steps and the next resets allocate nothing */
  allocations = 0;
  for (int episode = 0; episode < 3; episode++) {
    stepAround(task, 50, &obs);
    envConfig next = cfg;
    if (episode == 1) {
      env_defaultConfig(&next); /* a plain episode on the perturbed task's model */
    }
    assert_int_equal(env_reset(task, (uint64_t)episode + 2, &next, &obs, err, sizeof(err)), TB_OK);
  }
  assert_int_equal(allocations, 0);

  env_free(task);
  env_freeSpec(spec);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(steps_should_not_allocate_after_reset),
      cmocka_unit_test(perturbed_episodes_should_not_allocate_after_the_first_reset),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
