/* task_checks.c: the checks every per-task test shares (see task_checks.h). */
#include "task_checks.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <stdint.h>

#include <cmocka.h>

#include "task.h" /* env_uniform */

int task_setup(void **state, const char *name) {
  static taskFixture f;
  f.name = name;
  int id = env_lookup(name);
  if (id < 0) {
    return -1;
  }
  f.id = (envTaskId)id;
  f.spec = env_makeSpec(f.id, NULL, 0);
  f.task = f.spec ? env_make(f.spec, NULL, 0) : NULL;
  *state = &f;
  return f.task ? 0 : -1;
}

int task_teardown(void **state) {
  taskFixture *f = *state;
  env_free(f->task);
  env_freeSpec(f->spec);
  return 0;
}

void task_setJoint(envTask *task, const char *joint, double q) {
  const mjModel *m = sim_model(env_world(task));
  mjData *d = sim_data(env_world(task));
  int j = mj_name2id(m, mjOBJ_JOINT, joint);
  assert_true(j >= 0);
  d->qpos[m->jnt_qposadr[j]] = q;
  d->qvel[m->jnt_dofadr[j]] = 0.0;
  assert_int_equal(sim_forward(env_world(task), NULL, 0), TB_OK);
}

/* Resets f's task to seed (obs may be NULL); fails naming the task. */
static void reset(const taskFixture *f, uint64_t seed, obs_t *obs) {
  char err[256] = "";
  int rc = env_reset(f->task, seed, NULL, obs, err, sizeof err);
  if (rc != TB_OK) {
    fail_msg("%s: env_reset(seed %llu) returned %d: %s", f->name, (unsigned long long)seed, rc,
             err);
  }
}

/* One macro-step of f's task; fails naming the task. */
static void step(const taskFixture *f, uint64_t seed, int k, const double a[4],
                 envStepResult *res) {
  char err[256] = "";
  int rc = env_macroStep(f->task, a, res, err, sizeof err);
  if (rc != TB_OK) {
    fail_msg("%s: seed %llu step %d: env_macroStep returned %d: %s", f->name,
             (unsigned long long)seed, k, rc, err);
  }
}

void task_checkRewardRange(const taskFixture *f) {
  uint64_t rng = 12345;
  for (uint64_t seed = 0; seed < 5; seed++) {
    obs_t obs;
    reset(f, seed, &obs);
    for (int k = 0; k < 12; k++) {
      double a[4];
      for (int i = 0; i < 4; i++) {
        a[i] = env_uniform(&rng, -0.3, 0.3);
      }
      a[3] *= 4.0;
      envStepResult res;
      step(f, seed, k, a, &res);
      if (!(res.reward >= 0.0 && res.reward <= 10.0)) {
        fail_msg("%s: seed %llu step %d: reward %g outside [0, 10]", f->name,
                 (unsigned long long)seed, k, res.reward);
      }
    }
  }
}

void task_checkSameEpisode(const taskFixture *f) {
  obs_t first[11];
  for (int run = 0; run < 2; run++) {
    obs_t obs;
    reset(f, 77, &obs);
    for (int k = 0; k < 10; k++) {
      if (run == 0) {
        first[k] = obs;
      } else if (memcmp(&obs, &first[k], sizeof obs) != 0) {
        fail_msg("%s: seed 77: the second run's observation %d differs from the first's", f->name,
                 k);
      }
      double a[4];
      env_expert(f->id, &obs, a);
      envStepResult res;
      step(f, 77, k, a, &res);
      obs = res.obs;
    }
  }
}

void task_checkZeroController(const taskFixture *f) {
  for (uint64_t seed = 0; seed < 10; seed++) {
    reset(f, seed, NULL);
    for (int k = 0; k < 10; k++) {
      double zero[4] = {0.0, 0.0, 0.0, 0.0};
      envStepResult res;
      step(f, seed, k, zero, &res);
      if (res.success != 0) {
        fail_msg("%s: seed %llu step %d: the zero controller succeeds (success %d)", f->name,
                 (unsigned long long)seed, k, res.success);
      }
    }
  }
}

void task_checkExpert(const taskFixture *f, taskSuccessCheck onSuccess) {
  int wins = 0;
  for (uint64_t seed = 200; seed < 230; seed++) {
    obs_t obs;
    reset(f, seed, &obs);
    if (obs.horizon != 10) {
      fail_msg("%s: seed %llu: horizon %d, want 10", f->name, (unsigned long long)seed,
               obs.horizon);
    }
    for (int k = 0; k < obs.horizon; k++) {
      double a[4];
      env_expert(f->id, &obs, a);
      envStepResult res;
      step(f, seed, k, a, &res);
      obs = res.obs;
      if (res.success) {
        if (onSuccess) {
          onSuccess(&res);
        }
        wins++;
        break;
      }
    }
  }
  if (wins < 27) {
    fail_msg("%s: the expert succeeds on %d of seeds 200-229, want at least 27", f->name, wins);
  }
}
