/* Tests of envs/perturb.c: parsing and printing perturbation specs, the per-episode draw,
 * and what each knob does to an episode (and what it must leave alone: the spec's shared
 * model, the true state, a plain episode). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "tracebot/envs.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static envPerturb parsed(const char *text) {
  envPerturb p;
  char err[512] = "";
  if (env_parsePerturb(text, &p, err, sizeof err) != TB_OK) {
    fail_msg("'%s' did not parse: %s", text, err);
  }
  return p;
}

static envConfig configWith(const char *perturb) {
  envConfig cfg;
  env_defaultConfig(&cfg);
  if (perturb != NULL) {
    cfg.perturb = parsed(perturb);
  }
  return cfg;
}

/* A task of its own spec, freed with closeTask. */
typedef struct taskPair {
  envSpec *spec;
  envTask *task;
} taskPair;

static taskPair openTask(envTaskId id) {
  taskPair t;
  char err[256] = "";
  t.spec = env_makeSpec(id, err, sizeof err);
  assert_non_null(t.spec);
  t.task = env_make(t.spec, err, sizeof err);
  assert_non_null(t.task);
  return t;
}

static void closeTask(taskPair *t) {
  env_free(t->task);
  env_freeSpec(t->spec);
}

/* The whole physics state of a task's world (qpos, qvel, time): what "the same episode"
 * means, bit for bit. */
typedef struct snapshot {
  double v[256];
  int n;
} snapshot;

static void takeSnapshot(envTask *task, snapshot *s) {
  simWorld *w = env_world(task);
  const mjModel *m = sim_model(w);
  const mjData *d = sim_data(w);
  s->n = 0;
  s->v[s->n++] = d->time;
  for (int i = 0; i < m->nq && s->n < 256; i++) {
    s->v[s->n++] = d->qpos[i];
  }
  for (int i = 0; i < m->nv && s->n < 256; i++) {
    s->v[s->n++] = d->qvel[i];
  }
}

/* A fixed open-loop schedule of macro-step actions (ignores what the controller sees). */
static void fixedAction(int k, double a[4]) {
  a[0] = k % 2 ? 0.06 : -0.04;
  a[1] = 0.03;
  a[2] = k % 3 == 0 ? -0.05 : 0.04;
  a[3] = k % 4 < 2 ? 1.0 : -1.0;
}

/* Runs `steps` fixed macro-steps from seed under cfg; the final true state in *end, and
 * what the controller saw and the true observations per step when asked. */
static void runFixed(envTask *task, uint64_t seed, const envConfig *cfg, int steps, snapshot *end,
                     obs_t *seen, obs_t *truth) {
  char err[256] = "";
  obs_t obs;
  assert_int_equal(env_reset(task, seed, cfg, &obs, err, sizeof err), TB_OK);
  if (seen != NULL) {
    seen[0] = obs;
  }
  if (truth != NULL) {
    env_observe(task, &truth[0]);
  }
  for (int k = 0; k < steps; k++) {
    double a[4];
    fixedAction(k, a);
    envStepResult res;
    assert_int_equal(env_macroStep(task, a, &res, err, sizeof err), TB_OK);
    if (seen != NULL) {
      seen[k + 1] = res.obs;
    }
    if (truth != NULL) {
      env_observe(task, &truth[k + 1]);
    }
  }
  if (end != NULL) {
    takeSnapshot(task, end);
  }
}

/* ---- parsing and printing ------------------------------------------------------------------ */

static void none_and_presets_should_parse(void **state) {
  (void)state;
  envPerturb p = parsed("none");
  assert_int_equal(p.on, 0);
  p = parsed("mild");
  assert_true(p.on & (1u << ENV_PERTURB_FRICTION));
  assert_true(p.lo[ENV_PERTURB_FRICTION] < 1.0 && p.hi[ENV_PERTURB_FRICTION] > 1.0);
  envPerturb s = parsed("strong");
  assert_true(s.on & (1u << ENV_PERTURB_PUSH));
  /* strong is stronger than mild on every knob mild has */
  for (int k = 0; k < ENV_PERTURB_KNOBS; k++) {
    if (p.on & (1u << k)) {
      assert_true(s.on & (1u << k));
      assert_true(s.hi[k] - s.lo[k] >= p.hi[k] - p.lo[k] || s.lo[k] >= p.lo[k]);
    }
  }
}

static void knobs_should_parse_with_ranges_and_fixed_values(void **state) {
  (void)state;
  envPerturb p = parsed("friction=0.5:1.5,mass=0.5:1.5,obs_noise=0.003,latency=1");
  assert_int_equal(p.on, (1u << ENV_PERTURB_FRICTION) | (1u << ENV_PERTURB_MASS) |
                             (1u << ENV_PERTURB_OBS_NOISE) | (1u << ENV_PERTURB_LATENCY));
  assert_true(p.lo[ENV_PERTURB_FRICTION] == 0.5 && p.hi[ENV_PERTURB_FRICTION] == 1.5);
  assert_true(p.lo[ENV_PERTURB_OBS_NOISE] == 0.003 && p.hi[ENV_PERTURB_OBS_NOISE] == 0.003);
  assert_true(p.lo[ENV_PERTURB_LATENCY] == 1 && p.hi[ENV_PERTURB_LATENCY] == 1);
}

static void a_preset_should_take_overrides_after_it(void **state) {
  (void)state;
  envPerturb p = parsed("mild,latency=3,push=0.2");
  envPerturb mild = parsed("mild");
  assert_true(p.lo[ENV_PERTURB_LATENCY] == 3 && p.hi[ENV_PERTURB_LATENCY] == 3);
  assert_true(p.lo[ENV_PERTURB_PUSH] == 0.2);
  assert_true(p.lo[ENV_PERTURB_FRICTION] == mild.lo[ENV_PERTURB_FRICTION]);
}

static void text_should_read_back_to_the_same_spec(void **state) {
  (void)state;
  const char *specs[] = {"none", "mild", "strong", "friction=0.1:0.30000000000000004,gain=2",
                         "mild,latency=3"};
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
    envPerturb p = parsed(specs[i]);
    char text[ENV_PERTURB_TEXT_MAX];
    env_perturbText(&p, text, sizeof text);
    envPerturb q = parsed(text);
    assert_int_equal(p.on, q.on); /* field by field: the structs have padding */
    assert_memory_equal(p.lo, q.lo, sizeof p.lo);
    assert_memory_equal(p.hi, q.hi, sizeof p.hi);
    char again[ENV_PERTURB_TEXT_MAX];
    env_perturbText(&q, again, sizeof again);
    assert_string_equal(text, again);
  }
  envPerturb p = parsed("latency=2,friction=0.5:1.5");
  char text[ENV_PERTURB_TEXT_MAX];
  env_perturbText(&p, text, sizeof text);
  assert_string_equal(text, "friction=0.5:1.5,latency=2"); /* table order, shortest numbers */
}

static void bad_specs_should_fail_with_one_line_naming_the_problem(void **state) {
  (void)state;
  static const struct {
    const char *text;
    const char *says;
  } cases[] = {
      {"", "empty"},
      {"frictoin=1", "unknown knob 'frictoin'"},
      {"heavy", "unknown item 'heavy'"},
      {"friction", "unknown item 'friction'"},
      {"friction=abc", "expected friction=V or friction=LO:HI"},
      {"friction=1:", "expected friction=V"},
      {"friction=:1", "expected friction=V"},
      {"friction=1.5:0.5", "reversed"},
      {"friction=0:1", "friction must be within"},
      {"mass=nan", "expected mass=V"},
      {"push=inf", "expected push=V"},
      {"obs_noise=-0.1", "obs_noise must be within"},
      {"latency=1.5", "whole numbers"},
      {"latency=41", "latency must be within"},
      {"gain=1,gain=2", "given twice"},
      {"friction=1,,mass=1", "empty item"},
      {"friction=1,", "empty item"},
      {"friction=1,mild", "'mild' must come first"},
      {"none,friction=1", "'none' must come first"},
      {"friction=1 ", "expected friction=V"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    envPerturb p;
    memset(&p, 0xab, sizeof p);
    char err[512] = "";
    assert_int_equal(env_parsePerturb(cases[i].text, &p, err, sizeof err), TB_EINVAL);
    if (strstr(err, cases[i].says) == NULL || strchr(err, '\n') != NULL) {
      fail_msg("'%s': message '%s' lacks '%s'", cases[i].text, err, cases[i].says);
    }
    assert_int_equal(p.on, 0); /* none after a failure */
  }
  /* too long */
  char longSpec[1100];
  memset(longSpec, 'a', sizeof longSpec - 1);
  longSpec[sizeof longSpec - 1] = '\0';
  char err[512] = "";
  envPerturb p;
  assert_int_equal(env_parsePerturb(longSpec, &p, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "longer than"));
  assert_int_equal(env_parsePerturb(NULL, &p, err, sizeof err), TB_EINVAL);
}

static void help_should_list_every_knob_and_preset(void **state) {
  (void)state;
  const char *help = env_perturbHelp();
  for (int k = 0; k < ENV_PERTURB_KNOBS; k++) {
    assert_non_null(strstr(help, env_perturbKnobName((envPerturbKnob)k)));
  }
  assert_non_null(strstr(help, "mild"));
  assert_non_null(strstr(help, "strong"));
  assert_null(env_perturbKnobName(ENV_PERTURB_KNOBS));
}

/* ---- the draw ------------------------------------------------------------------------------ */

static void the_same_seed_should_draw_the_same_values(void **state) {
  (void)state;
  envPerturb p = parsed("strong");
  envPerturbValues a;
  envPerturbValues b;
  env_perturbDraw(&p, 42, &a);
  env_perturbDraw(&p, 42, &b);
  assert_int_equal(a.on, b.on);
  assert_memory_equal(a.value, b.value, sizeof a.value);
  /* other seeds draw other values, inside the ranges */
  int differ = 0;
  for (uint64_t seed = 0; seed < 50; seed++) {
    env_perturbDraw(&p, seed, &b);
    differ += b.value[ENV_PERTURB_FRICTION] != a.value[ENV_PERTURB_FRICTION];
    for (int k = 0; k < ENV_PERTURB_KNOBS; k++) {
      assert_true(b.value[k] >= p.lo[k] && b.value[k] <= p.hi[k]);
    }
    assert_true(b.value[ENV_PERTURB_LATENCY] == floor(b.value[ENV_PERTURB_LATENCY]));
  }
  assert_true(differ >= 49);
}

static void a_knob_should_draw_the_same_whatever_the_others(void **state) {
  (void)state;
  envPerturb one = parsed("friction=0.5:1.5");
  envPerturb many = parsed("friction=0.5:1.5,mass=0.1:2,latency=0:8");
  for (uint64_t seed = 0; seed < 20; seed++) {
    envPerturbValues a;
    envPerturbValues b;
    env_perturbDraw(&one, seed, &a);
    env_perturbDraw(&many, seed, &b);
    assert_true(a.value[ENV_PERTURB_FRICTION] == b.value[ENV_PERTURB_FRICTION]);
    assert_true(a.value[ENV_PERTURB_MASS] == 1.0); /* neutral when off */
  }
}

static void latency_ranges_should_draw_every_whole_value(void **state) {
  (void)state;
  envPerturb p = parsed("latency=0:3");
  int seen[4] = {0};
  for (uint64_t seed = 0; seed < 200; seed++) {
    envPerturbValues v;
    env_perturbDraw(&p, seed, &v);
    seen[(int)v.value[ENV_PERTURB_LATENCY]]++;
  }
  for (int i = 0; i < 4; i++) {
    assert_true(seen[i] > 20);
  }
}

static void describe_and_json_should_name_the_drawn_values(void **state) {
  (void)state;
  envPerturb p = parsed("friction=0.5,obs_noise=0.003,latency=2");
  envPerturbValues v;
  env_perturbDraw(&p, 1, &v);
  char text[512];
  env_perturbDescribe(&v, text, sizeof text);
  assert_non_null(strstr(text, "friction x0.50"));
  assert_non_null(strstr(text, "observation noise 3.0 mm"));
  assert_non_null(strstr(text, "25.0 ms late"));
  cJSON *j = env_perturbJson(&p, &v);
  assert_non_null(j);
  assert_string_equal(cJSON_GetObjectItem(j, "spec")->valuestring,
                      "friction=0.5,obs_noise=0.003,latency=2");
  cJSON *values = cJSON_GetObjectItem(j, "values");
  assert_int_equal(cJSON_GetArraySize(values), 3);
  assert_true(cJSON_GetObjectItem(values, "latency")->valuedouble == 2.0);
  cJSON_Delete(j);
  envPerturb none = parsed("none");
  env_perturbDraw(&none, 1, &v);
  env_perturbDescribe(&v, text, sizeof text);
  assert_string_equal(text, "none");
  j = env_perturbJson(&none, &v);
  assert_true(cJSON_IsNull(j));
  cJSON_Delete(j);
}

/* ---- episodes ------------------------------------------------------------------------------ */

static void none_should_be_the_plain_episode_bit_for_bit(void **state) {
  (void)state;
  taskPair t = openTask(ENV_PICK_PLACE);
  envConfig plain;
  env_defaultConfig(&plain);
  envConfig none = configWith("none");
  snapshot a;
  snapshot b;
  obs_t seenA[11];
  obs_t seenB[11];
  runFixed(t.task, 5, &plain, 10, &a, seenA, NULL);
  runFixed(t.task, 5, &none, 10, &b, seenB, NULL);
  assert_memory_equal(a.v, b.v, sizeof(double) * (size_t)a.n);
  assert_memory_equal(seenA, seenB, sizeof seenA);
  closeTask(&t);
}

static void a_plain_episode_after_a_perturbed_one_should_be_unchanged(void **state) {
  (void)state;
  taskPair fresh = openTask(ENV_PICK_PLACE);
  taskPair used = openTask(ENV_PICK_PLACE);
  envConfig plain = configWith(NULL);
  envConfig strong = configWith("strong");
  snapshot a;
  snapshot b;
  runFixed(fresh.task, 8, &plain, 10, &a, NULL, NULL);
  runFixed(used.task, 3, &strong, 10, NULL, NULL, NULL); /* moves used to its own model */
  runFixed(used.task, 8, &plain, 10, &b, NULL, NULL);
  assert_memory_equal(a.v, b.v, sizeof(double) * (size_t)a.n);
  const envPerturbValues *v = env_perturbValues(used.task);
  assert_int_equal(v->on, 0);
  assert_true(v->value[ENV_PERTURB_FRICTION] == 1.0);
  closeTask(&fresh);
  closeTask(&used);
}

static void the_same_seed_should_give_the_same_perturbed_episode(void **state) {
  (void)state;
  taskPair t1 = openTask(ENV_PUSH);
  taskPair t2 = openTask(ENV_PUSH);
  envConfig strong = configWith("strong");
  snapshot a;
  snapshot b;
  obs_t seenA[11];
  obs_t seenB[11];
  runFixed(t1.task, 11, &strong, 10, &a, seenA, NULL);
  runFixed(t2.task, 4, &strong, 10, NULL, NULL, NULL); /* whatever ran before */
  runFixed(t2.task, 11, &strong, 10, &b, seenB, NULL);
  assert_memory_equal(a.v, b.v, sizeof(double) * (size_t)a.n);
  assert_memory_equal(seenA, seenB, sizeof seenA);
  envPerturbValues drawn;
  env_perturbDraw(&strong.perturb, 11, &drawn);
  const envPerturbValues *used = env_perturbValues(t2.task);
  assert_int_equal(used->on, drawn.on);
  assert_memory_equal(used->value, drawn.value, sizeof drawn.value);
  /* and another seed is another episode */
  runFixed(t2.task, 12, &strong, 10, &b, NULL, NULL);
  assert_true(memcmp(a.v, b.v, sizeof(double) * (size_t)a.n) != 0);
  closeTask(&t1);
  closeTask(&t2);
}

static void the_object_and_goal_should_not_depend_on_the_perturbation(void **state) {
  (void)state;
  taskPair t = openTask(ENV_PICK_PLACE);
  envConfig plain = configWith(NULL);
  envConfig strong = configWith("strong,obs_noise=0,latency=0");
  obs_t a;
  obs_t b;
  assert_int_equal(env_reset(t.task, 9, &plain, &a, NULL, 0), TB_OK);
  assert_int_equal(env_reset(t.task, 9, &strong, &b, NULL, 0), TB_OK);
  assert_memory_equal(a.goal_pos, b.goal_pos, sizeof a.goal_pos);
  assert_memory_equal(a.obj_pos, b.obj_pos, sizeof a.obj_pos);
  closeTask(&t);
}

static void obs_noise_should_show_in_the_observation_but_not_in_the_state(void **state) {
  (void)state;
  taskPair t = openTask(ENV_PICK_PLACE);
  envConfig plain = configWith(NULL);
  envConfig noisy = configWith("obs_noise=0.01");
  snapshot a;
  snapshot b;
  obs_t seen[11];
  obs_t truth[11];
  obs_t plainSeen[11];
  runFixed(t.task, 2, &plain, 10, &a, plainSeen, NULL);
  runFixed(t.task, 2, &noisy, 10, &b, seen, truth);
  /* the physics is the plain episode's, bit for bit (a fixed schedule ignores the obs) */
  assert_memory_equal(a.v, b.v, sizeof(double) * (size_t)a.n);
  assert_memory_equal(plainSeen, truth, sizeof truth);
  /* the controller's positions are off by about 1 cm; everything else is true */
  double sum = 0.0;
  int n = 0;
  for (int k = 0; k <= 10; k++) {
    for (int i = 0; i < 3; i++) {
      double dh = seen[k].hand_pos[i] - truth[k].hand_pos[i];
      double dp = seen[k].obj_pos[i] - truth[k].obj_pos[i];
      assert_true(dh != 0.0 && dp != 0.0);
      sum += dh * dh + dp * dp;
      n += 2;
    }
    assert_true(seen[k].gripper_distance_apart == truth[k].gripper_distance_apart);
    assert_memory_equal(seen[k].goal_pos, truth[k].goal_pos, sizeof truth[k].goal_pos);
    assert_memory_equal(seen[k].obj_quat, truth[k].obj_quat, sizeof truth[k].obj_quat);
    assert_int_equal(seen[k].step, k);
  }
  double sd = sqrt(sum / n);
  assert_true(sd > 0.007 && sd < 0.013);
  closeTask(&t);
}

/* The true observation after every env step of the episode (the step hook). */
typedef struct trueLog {
  obs_t obs[400];
  int n;
  int on;
} trueLog;

static void logTruth(void *user, envTask *task) {
  trueLog *l = user;
  if (l->on && l->n < 400) {
    env_observe(task, &l->obs[l->n++]);
  }
}

static void latency_should_show_the_observation_k_env_steps_late(void **state) {
  (void)state;
  taskPair t = openTask(ENV_PICK_PLACE);
  envConfig plain = configWith(NULL);
  const int lag = 3;
  envConfig late = configWith("latency=3");
  static trueLog log;
  memset(&log, 0, sizeof log);
  env_setStepHook(t.task, logTruth, &log);

  /* reset: the first observation is the true one (there is nothing older) */
  obs_t obs;
  assert_int_equal(env_reset(t.task, 6, &late, &obs, NULL, 0), TB_OK);
  obs_t now;
  env_observe(t.task, &now);
  assert_memory_equal(&obs, &now, sizeof obs);
  log.on = 1;
  env_observe(t.task, &log.obs[log.n++]); /* entry 0: the state after reset */

  /* after each macro-step: the true hand and object of `lag` env steps ago */
  for (int k = 0; k < 10; k++) {
    double a[4];
    fixedAction(k, a);
    envStepResult res;
    assert_int_equal(env_macroStep(t.task, a, &res, NULL, 0), TB_OK);
    int from = log.n - 1 - lag;
    assert_true(from >= 0);
    const obs_t *then = &log.obs[from];
    assert_memory_equal(res.obs.hand_pos, then->hand_pos, sizeof then->hand_pos);
    assert_memory_equal(res.obs.obj_pos, then->obj_pos, sizeof then->obj_pos);
    assert_true(res.obs.gripper_distance_apart == then->gripper_distance_apart);
    assert_int_equal(res.obs.step, k + 1); /* the controller's clock is not late */
    env_observe(t.task, &now);
    assert_true(memcmp(res.obs.hand_pos, now.hand_pos, sizeof now.hand_pos) != 0);
  }
  env_setStepHook(t.task, NULL, NULL);

  /* the physics is the plain episode's */
  snapshot a;
  snapshot b;
  runFixed(t.task, 6, &plain, 10, &a, NULL, NULL);
  runFixed(t.task, 6, &late, 10, &b, NULL, NULL);
  assert_memory_equal(a.v, b.v, sizeof(double) * (size_t)a.n);
  closeTask(&t);
}

static void action_noise_should_move_the_commanded_target(void **state) {
  (void)state;
  taskPair t = openTask(ENV_REACH);
  envConfig plain = configWith(NULL);
  envConfig noisy = configWith("action_noise=0.02");
  double off = 0.0;
  for (int pass = 0; pass < 2; pass++) {
    obs_t obs;
    assert_int_equal(env_reset(t.task, 1, pass ? &noisy : &plain, &obs, NULL, 0), TB_OK);
    double a[4] = {0.05, 0.05, 0.0, 0.0};
    envStepResult res;
    assert_int_equal(env_macroStep(t.task, a, &res, NULL, 0), TB_OK);
    for (int i = 0; i < 3; i++) {
      double d = res.target[i] - (obs.hand_pos[i] + a[i]);
      off += pass ? d * d : 0.0;
      if (!pass) {
        assert_true(fabs(d) < 1e-12);
      }
    }
  }
  assert_true(sqrt(off) > 0.005);
  closeTask(&t);
}

static void gain_should_scale_how_fast_the_hand_closes_in(void **state) {
  (void)state;
  taskPair t = openTask(ENV_REACH);
  double moved[2];
  const char *specs[2] = {NULL, "gain=0.05"};
  for (int pass = 0; pass < 2; pass++) {
    envConfig cfg = configWith(specs[pass]);
    obs_t obs;
    assert_int_equal(env_reset(t.task, 1, &cfg, &obs, NULL, 0), TB_OK);
    double a[4] = {0.0, 0.04, 0.0, 0.0};
    envStepResult res;
    assert_int_equal(env_macroStep(t.task, a, &res, NULL, 0), TB_OK);
    moved[pass] = res.obs.hand_pos[1] - obs.hand_pos[1];
  }
  /* in 20 env steps the target moves 1 - (1 - 0.01 p)^20 of the way: p 5 about 64 %,
     p 0.25 about 5 % (the hand follows it a little behind) */
  assert_true(moved[0] > 0.02);
  assert_true(moved[1] < 0.2 * moved[0]);
  closeTask(&t);
}

/* Index of a named object of the model. */
static int named(const mjModel *m, int type, const char *name) {
  int id = mj_name2id(m, type, name);
  assert_true(id >= 0);
  return id;
}

static void model_knobs_should_change_the_task_model_and_never_the_spec(void **state) {
  (void)state;
  taskPair t = openTask(ENV_PICK_PLACE);
  envTask *other = env_make(t.spec, NULL, 0); /* another worker of the same spec */
  assert_non_null(other);
  const mjModel *shared = sim_model(env_world(t.task));
  int puck = named(shared, mjOBJ_BODY, "puck");
  int pad = named(shared, mjOBJ_GEOM, "pad_l");
  int puckGeom = named(shared, mjOBJ_GEOM, "puck");
  double mass0 = shared->body_mass[puck];
  double padFriction0 = shared->geom_friction[3 * pad];
  double puckFriction0 = shared->geom_friction[3 * puckGeom];

  envConfig cfg = configWith("friction=0.4,mass=2,damping=3");
  assert_int_equal(env_reset(t.task, 1, &cfg, NULL, NULL, 0), TB_OK);
  const mjModel *own = sim_model(env_world(t.task));
  assert_ptr_not_equal(own, shared); /* the task's own copy */
  assert_true(own->geom_friction[3 * pad] == padFriction0 * 0.4);
  assert_true(own->geom_friction[3 * puckGeom] == puckFriction0 * 0.4);
  assert_true(own->body_mass[puck] == mass0 * 2.0);
  assert_true(own->body_subtreemass[puck] == mass0 * 2.0);
  /* damping: the puck's joint is free, so no object joint is damped: no change today */
  assert_memory_equal(own->dof_damping, shared->dof_damping, sizeof(mjtNum) * (size_t)own->nv);

  /* the shared model is untouched: a task of the same spec runs plain */
  assert_true(shared->body_mass[puck] == mass0);
  assert_true(shared->geom_friction[3 * pad] == padFriction0);
  assert_int_equal(env_reset(other, 1, NULL, NULL, NULL, 0), TB_OK);
  assert_ptr_equal(sim_model(env_world(other)), shared);

  /* the next episode restores before it scales: values do not compound */
  cfg = configWith("mass=0.5");
  assert_int_equal(env_reset(t.task, 2, &cfg, NULL, NULL, 0), TB_OK);
  assert_ptr_equal(sim_model(env_world(t.task)), own); /* made once */
  assert_true(own->body_mass[puck] == mass0 * 0.5);
  assert_true(own->geom_friction[3 * pad] == padFriction0);
  env_free(other);
  closeTask(&t);
}

static void mass_should_scale_the_weight_on_the_table(void **state) {
  (void)state;
  taskPair t = openTask(ENV_PUSH);
  double normal[2];
  const char *specs[2] = {NULL, "mass=2"};
  for (int pass = 0; pass < 2; pass++) {
    envConfig cfg = configWith(specs[pass]);
    assert_int_equal(env_reset(t.task, 1, &cfg, NULL, NULL, 0), TB_OK);
    double a[4] = {0.0, 0.0, 0.0, -1.0};
    for (int i = 0; i < 20; i++) { /* the puck at rest, the hand far above it */
      assert_int_equal(env_step(t.task, a, NULL, 0), TB_OK);
    }
    simWorld *w = env_world(t.task);
    const mjModel *m = sim_model(w);
    mjData *d = sim_data(w);
    int puckGeom = named(m, mjOBJ_GEOM, "puck");
    normal[pass] = 0.0;
    for (int c = 0; c < d->ncon; c++) {
      if (d->contact[c].geom1 == puckGeom || d->contact[c].geom2 == puckGeom) {
        mjtNum f[6];
        mj_contactForce(m, d, c, f);
        normal[pass] += fabs(f[0]);
      }
    }
  }
  assert_true(normal[0] > 0.0);
  assert_true(fabs(normal[1] / normal[0] - 2.0) < 0.1);
  closeTask(&t);
}

static void pushes_should_move_a_resting_object(void **state) {
  (void)state;
  taskPair t = openTask(ENV_REACH);
  double travel[2];
  const char *specs[2] = {NULL, "push=1"};
  for (int pass = 0; pass < 2; pass++) {
    envConfig cfg = configWith(specs[pass]);
    obs_t first;
    assert_int_equal(env_reset(t.task, 3, &cfg, &first, NULL, 0), TB_OK);
    travel[pass] = 0.0;
    for (int k = 0; k < 10; k++) {
      double a[4] = {0.0, 0.0, 0.05, 0.0}; /* the hand goes up, away from the puck */
      envStepResult res;
      assert_int_equal(env_macroStep(t.task, a, &res, NULL, 0), TB_OK);
    }
    obs_t now;
    env_observe(t.task, &now);
    travel[pass] = hypot(now.obj_pos[0] - first.obj_pos[0], now.obj_pos[1] - first.obj_pos[1]);
  }
  assert_true(travel[0] < 1e-3);
  assert_true(travel[1] > 0.01);
  closeTask(&t);
}

/* Pick-place expert episodes: successes, and slips (macro-steps in which the closed hand
 * rose more than 1 cm and the puck rose less than half as much). */
static void pickPlaceRun(envTask *task, const envConfig *cfg, int seeds, int *wins, int *slips) {
  *wins = 0;
  *slips = 0;
  for (int seed = 0; seed < seeds; seed++) {
    obs_t obs;
    assert_int_equal(env_reset(task, (uint64_t)seed, cfg, &obs, NULL, 0), TB_OK);
    for (int k = 0; k < cfg->horizon; k++) {
      double a[4];
      env_expert(ENV_PICK_PLACE, &obs, a);
      obs_t before;
      env_observe(task, &before);
      envStepResult res;
      assert_int_equal(env_macroStep(task, a, &res, NULL, 0), TB_OK);
      obs_t after;
      env_observe(task, &after);
      double handUp = after.hand_pos[2] - before.hand_pos[2];
      double puckUp = after.obj_pos[2] - before.obj_pos[2];
      *slips += a[3] > 0.0 && handUp > 0.01 && puckUp < 0.5 * handUp;
      obs = res.obs;
      if (res.success) {
        (*wins)++;
        break;
      }
    }
  }
}

static void low_friction_should_make_the_pick_place_expert_slip(void **state) {
  (void)state;
  taskPair t = openTask(ENV_PICK_PLACE);
  envConfig plain = configWith(NULL);
  envConfig slippery = configWith("friction=0.15");
  int wins[2];
  int slips[2];
  pickPlaceRun(t.task, &plain, 10, &wins[0], &slips[0]);
  pickPlaceRun(t.task, &slippery, 10, &wins[1], &slips[1]);
  print_message(
      "pick-place expert, seeds 0..9: plain %d wins %d slips; friction x0.15 %d wins "
      "%d slips\n",
      wins[0], slips[0], wins[1], slips[1]);
  assert_int_equal(wins[0], 10);
  assert_int_equal(slips[0], 0);
  assert_true(slips[1] >= 5);
  assert_true(wins[1] <= 5);
  closeTask(&t);
}

static void reset_should_refuse_a_bad_perturbation_and_change_nothing(void **state) {
  (void)state;
  taskPair t = openTask(ENV_REACH);
  envConfig cfg = configWith(NULL);
  obs_t obs;
  assert_int_equal(env_reset(t.task, 1, &cfg, &obs, NULL, 0), TB_OK);
  const mjModel *before = sim_model(env_world(t.task));
  char err[256] = "";
  cfg.perturb.on = 1u << ENV_PERTURB_FRICTION;
  cfg.perturb.lo[ENV_PERTURB_FRICTION] = 2.0;
  cfg.perturb.hi[ENV_PERTURB_FRICTION] = 1.0;
  assert_int_equal(env_reset(t.task, 1, &cfg, &obs, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "reversed"));
  cfg.perturb.hi[ENV_PERTURB_FRICTION] = NAN;
  assert_int_equal(env_reset(t.task, 1, &cfg, &obs, err, sizeof err), TB_EINVAL);
  cfg.perturb.on = 1u << 30;
  assert_int_equal(env_reset(t.task, 1, &cfg, &obs, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "unknown knob"));
  assert_ptr_equal(sim_model(env_world(t.task)), before);
  closeTask(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(none_and_presets_should_parse),
      cmocka_unit_test(knobs_should_parse_with_ranges_and_fixed_values),
      cmocka_unit_test(a_preset_should_take_overrides_after_it),
      cmocka_unit_test(text_should_read_back_to_the_same_spec),
      cmocka_unit_test(bad_specs_should_fail_with_one_line_naming_the_problem),
      cmocka_unit_test(help_should_list_every_knob_and_preset),
      cmocka_unit_test(the_same_seed_should_draw_the_same_values),
      cmocka_unit_test(a_knob_should_draw_the_same_whatever_the_others),
      cmocka_unit_test(latency_ranges_should_draw_every_whole_value),
      cmocka_unit_test(describe_and_json_should_name_the_drawn_values),
      cmocka_unit_test(none_should_be_the_plain_episode_bit_for_bit),
      cmocka_unit_test(a_plain_episode_after_a_perturbed_one_should_be_unchanged),
      cmocka_unit_test(the_same_seed_should_give_the_same_perturbed_episode),
      cmocka_unit_test(the_object_and_goal_should_not_depend_on_the_perturbation),
      cmocka_unit_test(obs_noise_should_show_in_the_observation_but_not_in_the_state),
      cmocka_unit_test(latency_should_show_the_observation_k_env_steps_late),
      cmocka_unit_test(action_noise_should_move_the_commanded_target),
      cmocka_unit_test(gain_should_scale_how_fast_the_hand_closes_in),
      cmocka_unit_test(model_knobs_should_change_the_task_model_and_never_the_spec),
      cmocka_unit_test(mass_should_scale_the_weight_on_the_table),
      cmocka_unit_test(pushes_should_move_a_resting_object),
      cmocka_unit_test(low_friction_should_make_the_pick_place_expert_slip),
      cmocka_unit_test(reset_should_refuse_a_bad_perturbation_and_change_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
