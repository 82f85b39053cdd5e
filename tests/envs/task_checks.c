/* task_checks.c: the checks every per-task test shares (see task_checks.h). */
#include "task_checks.h"

#include <math.h>
#include <string.h>

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

void task_checkDraw(const taskFixture *f, const taskDrawSpec *d) {
  int n = 3 + d->nExtra;
  double lo[5] = {INFINITY, INFINITY, INFINITY, INFINITY, INFINITY};
  double hi[5] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
  for (uint64_t seed = 0; seed < 1000; seed++) {
    double obj[3];
    double goal[3];
    env_drawTask(f->id, seed, obj, goal);
    double v[5] = {obj[0], obj[1], obj[2], 0.0, 0.0};
    if (d->check) {
      d->check(obj, goal, v + 3);
    }
    for (int i = 0; i < n; i++) {
      const taskRange *r = &d->range[i];
      if (!(v[i] >= r->lo && v[i] <= r->hi)) {
        fail_msg("%s: seed %llu: drawn value %d is %g, outside [%g, %g]", f->name,
                 (unsigned long long)seed, i, v[i], r->lo, r->hi);
      }
      lo[i] = fmin(lo[i], v[i]);
      hi[i] = fmax(hi[i], v[i]);
    }
  }
  for (int i = 0; i < n; i++) {
    const taskRange *r = &d->range[i];
    if (r->lo < r->hi && !(lo[i] < r->below && hi[i] > r->above)) {
      fail_msg("%s: drawn value %d spans [%g, %g] over 1000 seeds, want below %g and above %g",
               f->name, i, lo[i], hi[i], r->below, r->above);
    }
  }
}

void task_checkReset(const taskFixture *f, const taskResetSpec *r) {
  static const double identity[4] = {1.0, 0.0, 0.0, 0.0};
  static const double zero[4];
  for (uint64_t seed = 0; seed < 20; seed++) {
    obs_t obs;
    double obj[3];
    double goal[3];
    reset(f, seed, &obs);
    env_drawTask(f->id, seed, obj, goal);
    if (memcmp(obs.goal_pos, goal, sizeof goal) != 0) {
      fail_msg("%s: seed %llu: the observed goal is not the drawn one", f->name,
               (unsigned long long)seed);
    }
    if (r->check) {
      r->check(f, &obs, obj, goal);
    }
    const double *q = obs.obj_quat;
    if (r->quatAxis == 0 ? memcmp(q, identity, sizeof identity) != 0
                         : !(fabs(q[0] - 1.0) < 1e-9 && fabs(q[r->quatAxis]) < 1e-9)) {
      fail_msg("%s: seed %llu: the object's orientation is (%g, %g, %g, %g), not the identity",
               f->name, (unsigned long long)seed, q[0], q[1], q[2], q[3]);
    }
    if (memcmp(obs.obj2_pos, zero, sizeof obs.obj2_pos) != 0 ||
        memcmp(obs.obj2_quat, zero, sizeof obs.obj2_quat) != 0) {
      fail_msg("%s: seed %llu: the second object slot is not zero", f->name,
               (unsigned long long)seed);
    }
    for (int i = 0; i < 3; i++) {
      if ((r->handAxes & (1u << i)) && !(fabs(obs.hand_pos[i] - r->hand[i]) < 0.005)) {
        fail_msg("%s: seed %llu: the hand starts at %g on axis %d, want %g", f->name,
                 (unsigned long long)seed, obs.hand_pos[i], i, r->hand[i]);
      }
    }
    int success = 1;
    double rew = env_reward(f->task, &success);
    if (success != 0 || !(rew >= 0.0 && rew < r->rewardBelow)) {
      fail_msg("%s: seed %llu: right after reset success %d, reward %g, want 0 and [0, %g)",
               f->name, (unsigned long long)seed, success, rew, r->rewardBelow);
    }
  }
}

void task_checkSuccessCases(const taskFixture *f, const taskProbe *p, const taskCase *cases,
                            size_t n) {
  reset(f, 5, NULL);
  for (size_t i = 0; i < n; i++) {
    p->set(f->task, cases[i].x);
    int success = -1;
    double r = env_reward(f->task, &success);
    if (success != cases[i].success) {
      fail_msg("%s: %s %.3f: success %d", f->name, p->label, cases[i].x, success);
    }
    if (!(r >= 0.0 && r <= 10.0)) {
      fail_msg("%s: %s %.3f: reward %g outside [0, 10]", f->name, p->label, cases[i].x, r);
    }
    if (p->then) {
      p->then(f, cases[i].x, success, r);
    }
  }
}

void task_checkXDistance(const taskFixture *f, double x, int success, double r) {
  (void)x;
  (void)success;
  (void)r;
  obs_t obs;
  env_observe(f->task, &obs);
  assert_true(fabs(f->spec->def->goalDistance(f->task) - fabs(obs.obj_pos[0] - obs.goal_pos[0])) <
              1e-12);
}

void task_checkFeedback(const taskFixture *f, const char *const before[2],
                        void (*set)(envTask *task, double x), double x, const char *after) {
  reset(f, 1, NULL);
  char line[256];
  env_feedback(f->task, line, sizeof line);
  for (int i = 0; i < 2; i++) {
    if (!strstr(line, before[i])) {
      fail_msg("%s: the feedback after reset, \"%s\", does not say \"%s\"", f->name, line,
               before[i]);
    }
  }
  set(f->task, x);
  env_feedback(f->task, line, sizeof line);
  if (!strstr(line, after)) {
    fail_msg("%s: the feedback at %g, \"%s\", does not say \"%s\"", f->name, x, line, after);
  }
}
