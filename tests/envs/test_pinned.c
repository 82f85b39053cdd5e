/* Pinned episodes of the built-in tasks: whole episodes (every observation, reward,
 * success flag, hint and the final physics state) hashed and compared with the values
 * the code gave before the scene was split into a shared scene and per-task objects. A
 * change to the scene, the task table or the step path must keep these bit for bit; if
 * a change is meant to alter episodes, print the new values with TRACEBOT_PIN_PRINT=1
 * and say why in the commit. */
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

/* FNV-1a over bytes, continuing from h. */
static uint64_t hashBytes(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) {
    h = (h ^ b[i]) * 0x100000001b3ull;
  }
  return h;
}

/* The fields of an observation that existed before the second object slot, in order. */
static uint64_t hashObs(uint64_t h, const obs_t *o) {
  h = hashBytes(h, o->hand_pos, sizeof o->hand_pos);
  h = hashBytes(h, &o->gripper_distance_apart, sizeof o->gripper_distance_apart);
  h = hashBytes(h, o->obj_pos, sizeof o->obj_pos);
  h = hashBytes(h, o->obj_quat, sizeof o->obj_quat);
  h = hashBytes(h, o->goal_pos, sizeof o->goal_pos);
  h = hashBytes(h, &o->step, sizeof o->step);
  return hashBytes(h, &o->horizon, sizeof o->horizon);
}

/* A controller that is not the expert: wanders, dips and works the gripper, so that the
 * pinned episodes also touch the objects in ways the expert does not. */
static void wander(const obs_t *obs, uint64_t seed, double a[4]) {
  double t = obs->step + 0.37 * (double)seed;
  a[0] = 0.08 * sin(1.3 * t) + 0.5 * (obs->obj_pos[0] - obs->hand_pos[0]);
  a[1] = 0.08 * cos(0.9 * t) + 0.5 * (obs->obj_pos[1] - obs->hand_pos[1]);
  a[2] = 0.6 * (obs->obj_pos[2] + 0.02 - obs->hand_pos[2]);
  a[3] = obs->step % 3 == 0 ? -1.0 : 1.0;
}

/* One episode's hash: reset, horizon macro-steps (no early stop), final state. */
static uint64_t episodeHash(const char *name, uint64_t seed, int useExpert) {
  int id = env_lookup(name);
  assert_true(id >= 0);
  char err[256] = "";
  envSpec *spec = env_makeSpec((envTaskId)id, err, sizeof err);
  assert_non_null(spec);
  envTask *task = env_make(spec, err, sizeof err);
  assert_non_null(task);
  envConfig cfg;
  env_defaultConfig(&cfg);
  obs_t obs;
  assert_int_equal(env_reset(task, seed, &cfg, &obs, err, sizeof err), TB_OK);
  uint64_t h = hashObs(0xcbf29ce484222325ull, &obs);
  for (int k = 0; k < cfg.horizon; k++) {
    double a[4];
    if (useExpert) {
      env_expert((envTaskId)id, &obs, a);
    } else {
      wander(&obs, seed, a);
    }
    envStepResult res;
    assert_int_equal(env_macroStep(task, a, &res, err, sizeof err), TB_OK);
    h = hashObs(h, &res.obs);
    h = hashBytes(h, &res.reward, sizeof res.reward);
    h = hashBytes(h, &res.success, sizeof res.success);
    h = hashBytes(h, &res.env_steps, sizeof res.env_steps);
    h = hashBytes(h, res.hint, strlen(res.hint));
    obs = res.obs;
  }
  simWorld *w = env_world(task);
  size_t n = sim_stateSize(sim_model(w));
  double *state = calloc(n, sizeof(double));
  assert_non_null(state);
  sim_getState(w, state);
  h = hashBytes(h, state, n * sizeof(double));
  free(state);
  env_free(task);
  env_freeSpec(spec);
  return h;
}

static void episodes_should_match_the_pinned_hashes(void **unused) {
  (void)unused;
  static const struct {
    const char *task;
    uint64_t seed;
    int expert;
    uint64_t hash;
  } pinned[] = {
      {"reach", 0, 1, 0x5f8100491e2f82c6ull},       {"reach", 7, 0, 0x628fc05911933269ull},
      {"reach", 59, 1, 0x1d3ca772281021faull},      {"push", 0, 1, 0x367b3e54e6cd5b1cull},
      {"push", 7, 0, 0x26c97355f67e9fb4ull},        {"push", 59, 1, 0xdc4a092f9c25983bull},
      {"pick-place", 0, 1, 0xd8bf9ecd9cc968aeull},  {"pick-place", 7, 0, 0xbe0bab20cc1ac05aull},
      {"pick-place", 59, 1, 0x0de429f61bd1d735ull},
  };
  int print = getenv("TRACEBOT_PIN_PRINT") != NULL;
  for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++) {
    uint64_t h = episodeHash(pinned[i].task, pinned[i].seed, pinned[i].expert);
    if (print) {
      printf("{\"%s\", %llu, %d, 0x%016llxull},\n", pinned[i].task,
             (unsigned long long)pinned[i].seed, pinned[i].expert, (unsigned long long)h);
      continue;
    }
    if (h != pinned[i].hash) {
      fail_msg("%s seed %llu (%s): episode hash 0x%016llx, pinned 0x%016llx", pinned[i].task,
               (unsigned long long)pinned[i].seed, pinned[i].expert ? "expert" : "wander",
               (unsigned long long)h, (unsigned long long)pinned[i].hash);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(episodes_should_match_the_pinned_hashes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
