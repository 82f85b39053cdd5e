/* Tests of envs/envs.c: lifecycle, reset, observation, env and macro steps, faults,
 * determinism, hints and the step hook. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tracebot/envs.h"

typedef struct fixture {
  envSpec *spec;
  envTask *task;
} fixture;

static int setupPickPlace(void **state) {
  static fixture f;
  char err[256] = "";
  f.spec = env_makeSpec(ENV_PICK_PLACE, err, sizeof(err));
  if (!f.spec) {
    return -1;
  }
  f.task = env_make(f.spec, err, sizeof(err));
  *state = &f;
  return f.task ? 0 : -1;
}

static int teardown(void **state) {
  fixture *f = *state;
  env_free(f->task);
  env_freeSpec(f->spec);
  return 0;
}

static void names_should_round_trip(void **state) {
  (void)state;
  for (int i = 0; i < env_taskCount(); i++) {
    assert_int_equal(env_lookup(env_name((envTaskId)i)), i);
    assert_non_null(env_instruction((envTaskId)i));
  }
  assert_string_equal(env_name(ENV_PICK_PLACE), "pick-place");
  assert_int_equal(env_lookup("fly"), -1);
  assert_int_equal(env_lookup(NULL), -1);
  assert_null(env_name((envTaskId)env_taskCount()));
}

static void makeSpec_should_reject_an_unknown_task(void **state) {
  (void)state;
  char err[128] = "";
  assert_null(env_makeSpec((envTaskId)env_taskCount(), err, sizeof(err)));
  assert_non_null(strstr(err, "unknown task"));
  env_freeSpec(NULL);
  env_free(NULL);
}

static void obs_layout_should_match_the_dialect(void **state) {
  (void)state;
  assert_int_equal(offsetof(obs_t, hand_pos), 0);
  assert_int_equal(offsetof(obs_t, gripper_distance_apart), 3 * sizeof(double));
  assert_int_equal(offsetof(obs_t, obj_pos), 4 * sizeof(double));
  assert_int_equal(offsetof(obs_t, obj_quat), 7 * sizeof(double));
  assert_int_equal(offsetof(obs_t, goal_pos), 11 * sizeof(double));
  assert_int_equal(offsetof(obs_t, step), 14 * sizeof(double));
  assert_int_equal(offsetof(obs_t, horizon), 14 * sizeof(double) + sizeof(int));
  /* the second object slot comes after everything controllers knew before it */
  assert_int_equal(offsetof(obs_t, obj2_pos), 15 * sizeof(double));
  assert_int_equal(offsetof(obs_t, obj2_quat), 18 * sizeof(double));
  assert_int_equal(sizeof(obs_t), 22 * sizeof(double));
}

static void reset_should_give_a_settled_first_observation(void **state) {
  fixture *f = *state;
  envConfig cfg;
  env_defaultConfig(&cfg);
  assert_int_equal(cfg.horizon, 10);
  obs_t obs;
  char err[256] = "";
  assert_int_equal(env_reset(f->task, 7, &cfg, &obs, err, sizeof(err)), TB_OK);

  /* hand at hand_init (within the weld's compliance), gripper open */
  assert_true(fabs(obs.hand_pos[0] - 0.0) < 0.005);
  assert_true(fabs(obs.hand_pos[1] - 0.6) < 0.005);
  assert_true(fabs(obs.hand_pos[2] - 0.2) < 0.005);
  assert_true(obs.gripper_distance_apart > 0.95);

  /* hand_pos is the hand body's position; the puck rests on the table, upright */
  mjData *d = sim_data(env_world(f->task));
  const mjModel *m = sim_model(env_world(f->task));
  int hand = mj_name2id(m, mjOBJ_BODY, "hand");
  assert_memory_equal(obs.hand_pos, d->xpos + 3 * hand, sizeof(obs.hand_pos));
  assert_true(fabs(obs.obj_pos[2] - 0.02) < 0.002);
  double q2 = 0.0;
  for (int i = 0; i < 4; i++) {
    q2 += obs.obj_quat[i] * obs.obj_quat[i];
  }
  assert_true(fabs(q2 - 1.0) < 1e-9);
  assert_true(obs.obj_quat[0] > 0.999);
  static const double zero[4];
  assert_memory_equal(obs.obj2_pos, zero, sizeof(obs.obj2_pos)); /* one object: slot 2 unused */
  assert_memory_equal(obs.obj2_quat, zero, sizeof(obs.obj2_quat));
  assert_int_equal(obs.step, 0);
  assert_int_equal(obs.horizon, 10);

  /* env_observe gives the same observation */
  obs_t again;
  env_observe(f->task, &again);
  assert_memory_equal(&obs, &again, sizeof(obs));
}

static void reset_should_reject_a_bad_config(void **state) {
  fixture *f = *state;
  envConfig cfg;
  env_defaultConfig(&cfg);
  cfg.horizon = 0;
  char err[128] = "";
  assert_int_equal(env_reset(f->task, 1, &cfg, NULL, err, sizeof(err)), TB_EINVAL);
  assert_non_null(strstr(err, "horizon"));
  env_defaultConfig(&cfg);
  cfg.mode = (envMode)7;
  assert_int_equal(env_reset(f->task, 1, &cfg, NULL, NULL, 0), TB_EINVAL);
}

/* Runs the expert for a whole episode, writing each step's observation and reward. */
static int runEpisode(envTask *task, uint64_t seed, obs_t *obsOut, double *rewOut, int maxSteps) {
  envConfig cfg;
  env_defaultConfig(&cfg);
  obs_t obs;
  if (env_reset(task, seed, &cfg, &obs, NULL, 0) != TB_OK) {
    return -1;
  }
  int n = 0;
  for (; n < maxSteps; n++) {
    double a[4];
    env_expert(ENV_PICK_PLACE, &obs, a);
    envStepResult res;
    if (env_macroStep(task, a, &res, NULL, 0) != TB_OK) {
      return -1;
    }
    obsOut[n] = res.obs;
    rewOut[n] = res.reward;
    obs = res.obs;
    if (res.success) {
      n++;
      break;
    }
  }
  return n;
}

static void episodes_should_be_bit_identical_for_one_seed(void **state) {
  fixture *f = *state;
  obs_t a[10];
  obs_t b[10];
  double ra[10];
  double rb[10];
  memset(a, 0, sizeof(a));
  memset(b, 0, sizeof(b));
  int na = runEpisode(f->task, 3, a, ra, 10);
  /* a different seed in between must not leak into the next episode */
  obs_t junk[10];
  double rj[10];
  assert_true(runEpisode(f->task, 4, junk, rj, 3) > 0);
  int nb = runEpisode(f->task, 3, b, rb, 10);
  assert_true(na > 0);
  assert_int_equal(na, nb);
  assert_memory_equal(a, b, sizeof(obs_t) * (size_t)na);
  assert_memory_equal(ra, rb, sizeof(double) * (size_t)na);

  /* a different seed gives a different episode */
  envConfig cfg;
  env_defaultConfig(&cfg);
  obs_t o3;
  obs_t o4;
  env_reset(f->task, 3, &cfg, &o3, NULL, 0);
  env_reset(f->task, 4, &cfg, &o4, NULL, 0);
  assert_true(memcmp(o3.obj_pos, o4.obj_pos, sizeof(o3.obj_pos)) != 0);
}

static void macroStep_should_reject_a_nan_action_without_stepping(void **state) {
  fixture *f = *state;
  envConfig cfg;
  env_defaultConfig(&cfg);
  assert_int_equal(env_reset(f->task, 1, &cfg, NULL, NULL, 0), TB_OK);
  double t0 = sim_data(env_world(f->task))->time;
  double a[4] = {0.01, NAN, 0.0, 0.0};
  envStepResult res;
  char err[128] = "";
  assert_int_equal(env_macroStep(f->task, a, &res, err, sizeof(err)), TB_EINVAL);
  assert_non_null(strstr(err, "action[1]"));
  double inf[4] = {0.0, 0.0, 0.0, INFINITY};
  assert_int_equal(env_macroStep(f->task, inf, &res, NULL, 0), TB_EINVAL);
  assert_int_equal(env_step(f->task, a, NULL, 0), TB_EINVAL);
  double target[3] = {0.0, NAN, 0.1};
  assert_int_equal(env_command(f->task, target, 0.0, &res, NULL, 0), TB_EINVAL);
  assert_true(sim_data(env_world(f->task))->time == t0);
}

static void divergence_should_be_reported_as_a_physics_fault(void **state) {
  fixture *f = *state;
  envConfig cfg;
  env_defaultConfig(&cfg);
  obs_t obs;
  assert_int_equal(env_reset(f->task, 1, &cfg, &obs, NULL, 0), TB_OK);

  /* blow up the state: a huge velocity on every joint */
  simWorld *w = env_world(f->task);
  const mjModel *m = sim_model(w);
  size_t n = sim_stateSize(m);
  double s[256];
  assert_true(n <= 256);
  sim_getState(w, s);
  for (int i = 0; i < m->nv; i++) {
    s[1 + m->nq + i] = 1e12;
  }
  assert_int_equal(sim_setState(w, s, n, NULL, 0), TB_OK);

  double a[4] = {0.1, 0.0, 0.0, 0.0};
  envStepResult res;
  char err[256] = "";
  assert_int_equal(env_macroStep(f->task, a, &res, err, sizeof(err)), TB_EPHYSICS);
  assert_non_null(strstr(err, "diverged"));
  /* the result holds the observation from before the macro-step */
  assert_memory_equal(res.obs.hand_pos, obs.hand_pos, sizeof(obs.hand_pos));

  /* the same through a raw env step */
  assert_int_equal(sim_setState(w, s, n, NULL, 0), TB_OK);
  assert_int_equal(env_step(f->task, a, NULL, 0), TB_EPHYSICS);

  /* and a reset recovers */
  assert_int_equal(env_reset(f->task, 1, &cfg, NULL, NULL, 0), TB_OK);
  assert_int_equal(env_macroStep(f->task, a, &res, NULL, 0), TB_OK);
}

static void env_step_should_move_the_hand_at_most_one_cm_per_axis(void **state) {
  fixture *f = *state;
  envConfig cfg;
  env_defaultConfig(&cfg);
  assert_int_equal(env_reset(f->task, 2, &cfg, NULL, NULL, 0), TB_OK);
  mjData *d = sim_data(env_world(f->task));
  const mjModel *m = sim_model(env_world(f->task));
  int mocap = m->body_mocapid[mj_name2id(m, mjOBJ_BODY, "hand_target")];
  double before[3];
  memcpy(before, d->mocap_pos + 3 * mocap, sizeof(before));
  double a[4] = {5.0, -0.5, 0.0, 1.0};
  double t0 = d->time;
  assert_int_equal(env_step(f->task, a, NULL, 0), TB_OK);
  assert_true(fabs(d->mocap_pos[3 * mocap] - before[0] - 0.01) < 1e-12);
  assert_true(fabs(d->mocap_pos[3 * mocap + 1] - before[1] + 0.005) < 1e-12);
  assert_true(fabs(d->time - t0 - 5 * 0.0025) < 1e-12);
  assert_true(d->ctrl[0] == 1.0 && d->ctrl[1] == -1.0);

  /* the hand target never leaves the workspace (z >= 0.05) */
  double down[4] = {0.0, 0.0, -1.0, 0.0};
  for (int i = 0; i < 30; i++) {
    assert_int_equal(env_step(f->task, down, NULL, 0), TB_OK);
  }
  assert_true(fabs(d->mocap_pos[3 * mocap + 2] - 0.05) < 1e-12);
}

static void macroStep_should_drive_the_hand_to_the_target(void **state) {
  fixture *f = *state;
  envConfig cfg;
  env_defaultConfig(&cfg);
  cfg.hints = ENV_HINTS_NONE;
  obs_t obs;
  assert_int_equal(env_reset(f->task, 2, &cfg, &obs, NULL, 0), TB_OK);
  double a[4] = {0.05, 0.05, -0.05, -1.0};
  envStepResult res;
  for (int k = 0; k < 3; k++) {
    assert_int_equal(env_macroStep(f->task, a, &res, NULL, 0), TB_OK);
    assert_true(res.env_steps >= 1 && res.env_steps <= ENV_MAX_SUBSTEPS);
    assert_int_equal(res.obs.step, k + 1);
    assert_string_equal(res.hint, "");
    a[0] = a[1] = a[2] = 0.0;
  }
  assert_true(fabs(res.obs.hand_pos[0] - (obs.hand_pos[0] + 0.05)) < 0.005);
  assert_true(fabs(res.obs.hand_pos[1] - (obs.hand_pos[1] + 0.05)) < 0.005);
  assert_true(fabs(res.obs.hand_pos[2] - (obs.hand_pos[2] - 0.05)) < 0.005);

  /* absolute commands clip to the workspace */
  double target[3] = {0.0, 2.0, 0.0};
  assert_int_equal(env_command(f->task, target, 0.0, &res, NULL, 0), TB_OK);
  assert_true(res.target[1] == 1.0 && res.target[2] == 0.05);
}

static void absolute_mode_should_take_the_action_as_the_target(void **state) {
  fixture *f = *state;
  envConfig cfg;
  env_defaultConfig(&cfg);
  cfg.mode = ENV_ABSOLUTE;
  assert_int_equal(env_reset(f->task, 2, &cfg, NULL, NULL, 0), TB_OK);
  double a[4] = {0.05, 0.65, 0.15, 0.0};
  envStepResult res;
  for (int k = 0; k < 3; k++) {
    assert_int_equal(env_macroStep(f->task, a, &res, NULL, 0), TB_OK);
    assert_memory_equal(res.target, a, sizeof(res.target));
  }
  assert_true(fabs(res.obs.hand_pos[0] - 0.05) < 0.005);
  assert_true(fabs(res.obs.hand_pos[1] - 0.65) < 0.005);
  assert_true(fabs(res.obs.hand_pos[2] - 0.15) < 0.005);
}

static void hints_should_explain_the_step_with_the_expert(void **state) {
  fixture *f = *state;
  envConfig cfg;
  env_defaultConfig(&cfg);
  obs_t obs;
  assert_int_equal(env_reset(f->task, 5, &cfg, &obs, NULL, 0), TB_OK);

  /* going up while the expert goes down toward the puck, with a closed gripper */
  double up[4] = {0.0, 0.0, 0.1, 1.0};
  envStepResult res;
  assert_int_equal(env_macroStep(f->task, up, &res, NULL, 0), TB_OK);
  assert_true(strncmp(res.hint, "reward ", 7) == 0);
  assert_non_null(strstr(res.hint, "the hand moved away from the expert target"));
  assert_non_null(strstr(res.hint, "the expert would open the gripper"));
  assert_non_null(strstr(res.hint, "expert target [x y z gripper] = ["));

  /* following the expert: closer, no gripper hint */
  env_observe(f->task, &obs);
  double a[4];
  env_expert(ENV_PICK_PLACE, &obs, a);
  assert_int_equal(env_macroStep(f->task, a, &res, NULL, 0), TB_OK);
  assert_true(strstr(res.hint, "closer") || strstr(res.hint, "the hand is at the expert"));
  assert_null(strstr(res.hint, "expert would close"));
  assert_null(strstr(res.hint, "expert would open"));
  assert_true(strlen(res.hint) < ENV_HINT_MAX);
}

typedef struct hookCount {
  int calls;
} hookCount;

static void countHook(void *user, envTask *task) {
  (void)task;
  ((hookCount *)user)->calls++;
}

static void hook_should_see_every_env_step(void **state) {
  fixture *f = *state;
  hookCount c = {0};
  env_setStepHook(f->task, countHook, &c);
  envConfig cfg;
  env_defaultConfig(&cfg);
  assert_int_equal(env_reset(f->task, 2, &cfg, NULL, NULL, 0), TB_OK);
  assert_int_equal(c.calls, 50);
  double a[4] = {0.02, 0.0, 0.0, 0.0};
  envStepResult res;
  assert_int_equal(env_macroStep(f->task, a, &res, NULL, 0), TB_OK);
  assert_int_equal(c.calls, 50 + res.env_steps);
  env_setStepHook(f->task, NULL, NULL);
  assert_int_equal(env_macroStep(f->task, a, &res, NULL, 0), TB_OK);
  assert_int_equal(c.calls, 50 + res.env_steps);
}

typedef struct recorder {
  double states[64][128];
  int n;
} recorder;

static void recordHook(void *user, envTask *task) {
  recorder *r = user;
  if (r->n < 64) {
    sim_getState(env_world(task), r->states[r->n]);
  }
  r->n++;
}

static void recorded_states_should_replay_bit_exact(void **state) {
  fixture *f = *state;
  const mjModel *m = sim_model(env_world(f->task));
  size_t n = sim_stateSize(m);
  assert_true(n <= 128);
  static recorder rec;
  assert_int_equal(env_reset(f->task, 6, NULL, NULL, NULL, 0), TB_OK);

  /* record 40 env steps of a fixed action sequence that closes on nothing and moves */
  env_setStepHook(f->task, recordHook, &rec);
  rec.n = 0;
  for (int i = 0; i < 40; i++) {
    double a[4] = {0.5 * sin(0.3 * i), -0.4, 0.2 * cos(0.2 * i), i < 20 ? 1.0 : -1.0};
    assert_int_equal(env_step(f->task, a, NULL, 0), TB_OK);
  }
  env_setStepHook(f->task, NULL, NULL);
  assert_int_equal(rec.n, 40);

  /* restore step 9 into another task of the same spec and step on: same states */
  envTask *other = env_make(f->spec, NULL, 0);
  assert_non_null(other);
  assert_int_equal(env_reset(other, 1, NULL, NULL, NULL, 0), TB_OK);
  assert_int_equal(sim_setState(env_world(other), rec.states[9], n, NULL, 0), TB_OK);
  for (int i = 10; i < 40; i++) {
    double a[4] = {0.5 * sin(0.3 * i), -0.4, 0.2 * cos(0.2 * i), i < 20 ? 1.0 : -1.0};
    assert_int_equal(env_step(other, a, NULL, 0), TB_OK);
    double s[128];
    sim_getState(env_world(other), s);
    assert_memory_equal(s, rec.states[i], n * sizeof(double));
  }
  env_free(other);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(names_should_round_trip),
      cmocka_unit_test(makeSpec_should_reject_an_unknown_task),
      cmocka_unit_test(obs_layout_should_match_the_dialect),
      cmocka_unit_test(reset_should_give_a_settled_first_observation),
      cmocka_unit_test(reset_should_reject_a_bad_config),
      cmocka_unit_test(episodes_should_be_bit_identical_for_one_seed),
      cmocka_unit_test(macroStep_should_reject_a_nan_action_without_stepping),
      cmocka_unit_test(divergence_should_be_reported_as_a_physics_fault),
      cmocka_unit_test(env_step_should_move_the_hand_at_most_one_cm_per_axis),
      cmocka_unit_test(macroStep_should_drive_the_hand_to_the_target),
      cmocka_unit_test(absolute_mode_should_take_the_action_as_the_target),
      cmocka_unit_test(hints_should_explain_the_step_with_the_expert),
      cmocka_unit_test(hook_should_see_every_env_step),
      cmocka_unit_test(recorded_states_should_replay_bit_exact),
  };
  return cmocka_run_group_tests(tests, setupPickPlace, teardown);
}
