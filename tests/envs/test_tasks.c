/* Tests of envs/tasks.c and envs/tasks/: the task table, randomization, reward range,
 * success thresholds, texts, feedback. */
#include <ctype.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tracebot/envs.h"
#include "task.h" /* the rows, and env_drawTask: the draws without the physics */

/* The task stems of envs/CMakeLists.txt, "reach,push,..." (a compile definition). */
#define STRINGIFY(...) #__VA_ARGS__
#define STEMS(...) STRINGIFY(__VA_ARGS__)
static const char taskStems[] = STEMS(ENV_TASK_STEMS);

/* ---- the table ----------------------------------------------------------------------- */

static void table_rows_should_have_every_required_field(void **state) {
  (void)state;
  assert_true(env_taskCount() > ENV_PICK_PLACE);
  for (int i = 0; i < env_taskCount(); i++) {
    const envTaskDef *d = env_taskDef((envTaskId)i);
    assert_non_null(d);
    assert_non_null(d->name);
    assert_true(d->name[0] != '\0');
    for (const char *c = d->name; *c; c++) {
      assert_true(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '-');
    }
    assert_non_null(d->instruction);
    assert_true(strlen(d->instruction) > 20);
    assert_true(d->horizon >= 1);
    assert_true(isfinite(d->gain) && d->gain > 0.0);
    assert_non_null(d->draw);
    assert_non_null(d->observeObjects);
    assert_non_null(d->reward);
    assert_non_null(d->goalDistance);
    assert_true(d->expert != NULL || d->expertOf != NULL);
    assert_non_null(d->expertPath);
    assert_non_null(d->expertSource);
    assert_non_null(d->expertSourceLen);
    assert_true(*d->expertSourceLen > 0);
    assert_int_equal(strlen(d->expertSource), *d->expertSourceLen);
  }
  assert_null(env_taskDef((envTaskId)-1));
  assert_null(env_taskDef((envTaskId)env_taskCount()));
}

static void table_names_should_be_unique_and_look_up_their_ids(void **state) {
  (void)state;
  for (int i = 0; i < env_taskCount(); i++) {
    for (int j = 0; j < i; j++) {
      assert_string_not_equal(env_name((envTaskId)i), env_name((envTaskId)j));
    }
    assert_int_equal(env_lookup(env_name((envTaskId)i)), i);
  }
  /* the named ids are the built-in rows */
  assert_string_equal(env_name(ENV_REACH), "reach");
  assert_string_equal(env_name(ENV_PUSH), "push");
  assert_string_equal(env_name(ENV_PICK_PLACE), "pick-place");
  assert_int_equal(env_lookup("Reach"), -1);
  assert_int_equal(env_lookup(""), -1);
}

static void taskList_should_list_every_name_in_id_order(void **state) {
  (void)state;
  char want[1024] = "";
  for (int i = 0; i < env_taskCount(); i++) {
    size_t n = strlen(want);
    snprintf(want + n, sizeof want - n, "%s%s", i > 0 ? ", " : "", env_name((envTaskId)i));
  }
  assert_string_equal(env_taskList(), want);
  assert_ptr_equal(env_taskList(), env_taskList());
}

static void table_should_have_one_row_per_cmake_task_stem_in_order(void **state) {
  (void)state;
  char stems[sizeof taskStems];
  memcpy(stems, taskStems, sizeof stems);
  int n = 0;
  char *save = NULL;
  for (char *stem = strtok_r(stems, ",", &save); stem; stem = strtok_r(NULL, ",", &save), n++) {
    char path[256];
    snprintf(path, sizeof path, "envs/experts/%s.c", stem);
    assert_true(n < env_taskCount());
    assert_string_equal(env_expertPath((envTaskId)n), path);
  }
  assert_int_equal(n, env_taskCount());
}

static void reset_should_use_the_task_horizon(void **state) {
  (void)state;
  for (int t = 0; t < env_taskCount(); t++) {
    assert_int_equal(env_defaultHorizon((envTaskId)t), env_taskDef((envTaskId)t)->horizon);
  }
  assert_int_equal(env_defaultHorizon(ENV_PUSH), 10);
  assert_int_equal(env_defaultHorizon((envTaskId)env_taskCount()), 0);
  envSpec *spec = env_makeSpec(ENV_PUSH, NULL, 0);
  envTask *task = env_make(spec, NULL, 0);
  obs_t obs;
  assert_int_equal(env_reset(task, 1, NULL, &obs, NULL, 0), TB_OK);
  assert_int_equal(obs.horizon, env_defaultHorizon(ENV_PUSH));
  env_free(task);
  env_freeSpec(spec);
}

/* ---- draws ---------------------------------------------------------------------------- */

static void puck_draws_should_stay_in_range_and_apart_over_1000_seeds(void **state) {
  (void)state;
  for (int t = ENV_REACH; t <= ENV_PICK_PLACE; t++) {
    for (uint64_t seed = 0; seed < 1000; seed++) {
      double obj[3];
      double goal[3];
      env_drawTask((envTaskId)t, seed, obj, goal);
      assert_true(obj[0] >= -0.1 && obj[0] <= 0.1);
      assert_true(obj[1] >= 0.6 && obj[1] <= 0.7);
      assert_true(obj[2] == 0.02);
      assert_true(goal[0] >= -0.1 && goal[0] <= 0.1);
      assert_true(goal[1] >= 0.8 && goal[1] <= 0.9);
      if (t == ENV_PUSH) {
        assert_true(goal[2] == 0.02);
      } else {
        assert_true(goal[2] >= 0.05 && goal[2] <= 0.3);
      }
      assert_true(hypot(obj[0] - goal[0], obj[1] - goal[1]) >= 0.15);
    }
  }
  /* the same seed draws the same task; neighbouring seeds differ */
  double a[3], b[3], c[3], g[3];
  env_drawTask(ENV_REACH, 42, a, g);
  env_drawTask(ENV_REACH, 42, b, g);
  env_drawTask(ENV_REACH, 43, c, g);
  assert_memory_equal(a, b, sizeof(a));
  assert_true(a[0] != c[0]);
}

/* Draws pinned from the code before the task table: a refactor must keep every seed's
 * episode bit-identical. Seed 59 is redrawn (too close in xy), where push, which draws no
 * goal height, takes a different stream from reach and pick-place. */
static void draws_should_match_the_pinned_values(void **state) {
  (void)state;
  static const struct {
    const char *task;
    uint64_t seed;
    double obj[3];
    double goal[3];
  } pinned[] = {
      {"reach",
       0ull,
       {0x1.708f844f27f28p-7, 0x1.6556fe538a937p-1, 0x1.47ae147ae147bp-6},
       {-0x1.4a208959ee9a8p-4, 0x1.bddd694af358cp-1, 0x1.122b23038b391p-2}},
      {"reach",
       59ull,
       {0x1.37836e47f2816p-4, 0x1.642975e273084p-1, 0x1.47ae147ae147bp-6},
       {0x1.7e2624da554f8p-5, 0x1.b22c00239f986p-1, 0x1.af6ce26ce2139p-4}},
      {"reach",
       18446744073709551615ull,
       {0x1.8093ca4191a5p-4, 0x1.618bd5b680d3cp-1, 0x1.47ae147ae147bp-6},
       {-0x1.ce55d0bfd859dp-5, 0x1.ad650b4886c34p-1, 0x1.f495ff55f9116p-3}},
      {"push",
       0ull,
       {0x1.708f844f27f28p-7, 0x1.6556fe538a937p-1, 0x1.47ae147ae147bp-6},
       {-0x1.4a208959ee9a8p-4, 0x1.bddd694af358cp-1, 0x1.47ae147ae147bp-6}},
      {"push",
       59ull,
       {-0x1.6306e528c9ad7p-4, 0x1.604503b14bf4ep-1, 0x1.47ae147ae147bp-6},
       {0x1.75ca915a63b76p-4, 0x1.bf24645a05ddbp-1, 0x1.47ae147ae147bp-6}},
      {"push",
       18446744073709551615ull,
       {0x1.8093ca4191a5p-4, 0x1.618bd5b680d3cp-1, 0x1.47ae147ae147bp-6},
       {-0x1.ce55d0bfd859dp-5, 0x1.ad650b4886c34p-1, 0x1.47ae147ae147bp-6}},
      {"pick-place",
       0ull,
       {0x1.708f844f27f28p-7, 0x1.6556fe538a937p-1, 0x1.47ae147ae147bp-6},
       {-0x1.4a208959ee9a8p-4, 0x1.bddd694af358cp-1, 0x1.122b23038b391p-2}},
      {"pick-place",
       59ull,
       {0x1.37836e47f2816p-4, 0x1.642975e273084p-1, 0x1.47ae147ae147bp-6},
       {0x1.7e2624da554f8p-5, 0x1.b22c00239f986p-1, 0x1.af6ce26ce2139p-4}},
      {"pick-place",
       18446744073709551615ull,
       {0x1.8093ca4191a5p-4, 0x1.618bd5b680d3cp-1, 0x1.47ae147ae147bp-6},
       {-0x1.ce55d0bfd859dp-5, 0x1.ad650b4886c34p-1, 0x1.f495ff55f9116p-3}},
  };
  for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++) {
    double obj[3];
    double goal[3];
    env_drawTask((envTaskId)env_lookup(pinned[i].task), pinned[i].seed, obj, goal);
    assert_memory_equal(obj, pinned[i].obj, sizeof obj);
    assert_memory_equal(goal, pinned[i].goal, sizeof goal);
  }
}

static void reset_should_place_what_was_drawn(void **state) {
  (void)state;
  envSpec *spec = env_makeSpec(ENV_REACH, NULL, 0);
  envTask *task = env_make(spec, NULL, 0);
  envConfig cfg;
  env_defaultConfig(&cfg);
  for (uint64_t seed = 0; seed < 20; seed++) {
    obs_t obs;
    double obj[3], goal[3];
    assert_int_equal(env_reset(task, seed, &cfg, &obs, NULL, 0), TB_OK);
    env_drawTask(ENV_REACH, seed, obj, goal);
    assert_memory_equal(obs.goal_pos, goal, sizeof(goal));
    assert_true(fabs(obs.obj_pos[0] - obj[0]) < 1e-9 && fabs(obs.obj_pos[1] - obj[1]) < 1e-9);
  }
  env_free(task);
  env_freeSpec(spec);
}

/* ---- objects ------------------------------------------------------------------------------ */

static void objects_documents_should_be_checked_before_they_compile(void **state) {
  (void)state;
  char err[512] = "";
  /* none: the bare scene */
  mjModel *m = env_loadTaskModel(NULL, "bare", err, sizeof err);
  assert_non_null(m);
  assert_true(mj_name2id(m, mjOBJ_BODY, "goal") >= 0);
  assert_true(mj_name2id(m, mjOBJ_BODY, "puck") < 0);
  sim_freeModel(m);

  /* the sections come after the scene's: the scene's bodies keep their ids */
  m = env_loadTaskModel(
      "<!-- c --><mujoco model=\"x\"><worldbody><body name=\"b\">"
      "<geom type=\"sphere\" size=\"0.01\"/></body></worldbody></mujoco>",
      "x", err, sizeof err);
  assert_non_null(m);
  assert_int_equal(mj_name2id(m, mjOBJ_BODY, "b"), m->nbody - 1);
  sim_freeModel(m);

  static const struct {
    const char *xml;
    const char *want;
  } bad[] = {
      {"", "is not one <mujoco>...</mujoco> element"},
      {"<mujoco/>", "is not one <mujoco>...</mujoco> element"},
      {"<mujoco><worldbody></worldbody>", "is not one <mujoco>...</mujoco> element"},
      {"<mujoco><option timestep=\"0.01\"/></mujoco>", "has a <option> section"},
      {"<mujoco><compiler angle=\"degree\"/></mujoco>", "has a <compiler> section"},
      {"<mujoco><include file=\"x.xml\"/></mujoco>", "has a <include> section"},
      {"<mujoco><worldbody><body name=\"hand\"/></worldbody></mujoco>",
       "task t: the scene with its objects does not compile: "},
      {"<mujoco><worldbody><geom type=\"box\"></worldbody></mujoco>", "does not compile"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = '\0';
    assert_null(env_loadTaskModel(bad[i].xml, "t", err, sizeof err));
    if (strstr(err, bad[i].want) == NULL || strncmp(err, "task t: ", 8) != 0) {
      fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, bad[i].want);
    }
    assert_null(strchr(err, '\n'));
  }
}

/* Moves the goal mocap (and the task's goal) to p and recomputes the state. */
static void setGoal(envTask *task, const double p[3]) {
  mjData *d = sim_data(env_world(task));
  const mjModel *m = sim_model(env_world(task));
  int g = m->body_mocapid[mj_name2id(m, mjOBJ_BODY, "goal")];
  memcpy(d->mocap_pos + 3 * g, p, 3 * sizeof(double));
  memcpy(task->goal, p, 3 * sizeof(double));
  assert_int_equal(sim_forward(env_world(task), NULL, 0), TB_OK);
}

/* Puts the puck at p (at rest) and recomputes the state. */
static void setPuck(envTask *task, const double p[3]) {
  mjData *d = sim_data(env_world(task));
  const envSpec *s = task->spec;
  memcpy(d->qpos + s->m->jnt_qposadr[s->ids[ENV_PUCK_JOINT]], p, 3 * sizeof(double));
  assert_int_equal(sim_forward(env_world(task), NULL, 0), TB_OK);
}

static void reach_should_succeed_within_5cm_of_the_tcp_with_reward_10(void **state) {
  (void)state;
  envSpec *spec = env_makeSpec(ENV_REACH, NULL, 0);
  envTask *task = env_make(spec, NULL, 0);
  assert_int_equal(env_reset(task, 9, NULL, NULL, NULL, 0), TB_OK);
  double tcp[3];
  env_tcp(task, tcp);
  /* the TCP is about 4.5 cm below the hand origin */
  obs_t obs;
  env_observe(task, &obs);
  assert_true(fabs(obs.hand_pos[2] - tcp[2] - 0.045) < 0.003);
  assert_true(hypot(obs.hand_pos[0] - tcp[0], obs.hand_pos[1] - tcp[1]) < 0.003);

  int success = -1;
  double g[3] = {tcp[0] + 0.049, tcp[1], tcp[2]};
  setGoal(task, g);
  assert_true(env_reward(task, &success) == 10.0);
  assert_int_equal(success, 1);
  g[0] = tcp[0] + 0.051;
  setGoal(task, g);
  double r = env_reward(task, &success);
  assert_int_equal(success, 0);
  assert_true(r < 10.0 && r > 9.0);
  g[0] = tcp[0] + 0.5;
  setGoal(task, g);
  assert_true(env_reward(task, &success) < 2.0);
  env_free(task);
  env_freeSpec(spec);
}

static void push_should_succeed_within_5cm_of_the_goal(void **state) {
  (void)state;
  envSpec *spec = env_makeSpec(ENV_PUSH, NULL, 0);
  envTask *task = env_make(spec, NULL, 0);
  assert_int_equal(env_reset(task, 4, NULL, NULL, NULL, 0), TB_OK);
  int success = -1;
  double r = env_reward(task, &success);
  assert_int_equal(success, 0);
  assert_true(r >= 0.0 && r < 2.0);
  double p[3] = {task->goal[0] + 0.049, task->goal[1], 0.02};
  setPuck(task, p);
  assert_true(env_reward(task, &success) == 10.0);
  assert_int_equal(success, 1);
  p[0] = task->goal[0] + 0.051;
  setPuck(task, p);
  env_reward(task, &success);
  assert_int_equal(success, 0);
  env_free(task);
  env_freeSpec(spec);
}

static void pickPlace_should_need_7cm_and_a_lifted_puck(void **state) {
  (void)state;
  envSpec *spec = env_makeSpec(ENV_PICK_PLACE, NULL, 0);
  envTask *task = env_make(spec, NULL, 0);
  assert_int_equal(env_reset(task, 4, NULL, NULL, NULL, 0), TB_OK);
  int success = -1;
  double g[3] = {0.0, 0.85, 0.2};
  setGoal(task, g);

  /* in the air within 7 cm: success */
  double p[3] = {0.0, 0.85 + 0.069, 0.2};
  setPuck(task, p);
  double r = env_reward(task, &success);
  assert_int_equal(success, 1);
  assert_true(r >= 0.0 && r < 10.0);
  p[1] = 0.85 + 0.071;
  setPuck(task, p);
  env_reward(task, &success);
  assert_int_equal(success, 0);
  p[1] = 0.85 + 0.01;
  setPuck(task, p);
  assert_true(env_reward(task, &success) == 10.0);
  assert_int_equal(success, 1);

  /* a low goal reached along the table, never lifted: no success */
  assert_int_equal(env_reset(task, 4, NULL, NULL, NULL, 0), TB_OK);
  double low[3] = {0.0, 0.85, 0.05};
  setGoal(task, low);
  double onTable[3] = {0.0, 0.85, 0.02};
  setPuck(task, onTable);
  r = env_reward(task, &success);
  assert_int_equal(success, 0);
  assert_true(r < 10.0);
  env_free(task);
  env_freeSpec(spec);
}

static void rewards_should_stay_within_0_and_10(void **state) {
  (void)state;
  /* a wandering controller that opens and closes the gripper, for each task */
  for (int t = 0; t < env_taskCount(); t++) {
    envSpec *spec = env_makeSpec((envTaskId)t, NULL, 0);
    envTask *task = env_make(spec, NULL, 0);
    for (uint64_t seed = 0; seed < 3; seed++) {
      obs_t obs;
      assert_int_equal(env_reset(task, seed, NULL, &obs, NULL, 0), TB_OK);
      for (int k = 0; k < 10; k++) {
        double a[4] = {0.1 * sin(k + seed), 0.1 * cos(2.0 * k), -0.08 + 0.02 * k,
                       k % 3 == 0 ? -1.0 : 1.0};
        if (k < 4) {
          for (int i = 0; i < 3; i++) { /* first go near the puck */
            a[i] = obs.obj_pos[i] + (i == 2 ? 0.03 : 0.0) - obs.hand_pos[i];
          }
        }
        envStepResult res;
        assert_int_equal(env_macroStep(task, a, &res, NULL, 0), TB_OK);
        assert_true(res.reward >= 0.0 && res.reward <= 10.0);
        obs = res.obs;
      }
    }
    env_free(task);
    env_freeSpec(spec);
  }
}

static void zero_controller_should_never_push_or_pick(void **state) {
  (void)state;
  for (int t = ENV_PUSH; t <= ENV_PICK_PLACE; t++) {
    envSpec *spec = env_makeSpec((envTaskId)t, NULL, 0);
    envTask *task = env_make(spec, NULL, 0);
    for (uint64_t seed = 0; seed < 10; seed++) {
      assert_int_equal(env_reset(task, seed, NULL, NULL, NULL, 0), TB_OK);
      for (int k = 0; k < 10; k++) {
        double zero[4] = {0.0, 0.0, 0.0, 0.0};
        envStepResult res;
        assert_int_equal(env_macroStep(task, zero, &res, NULL, 0), TB_OK);
        assert_int_equal(res.success, 0);
      }
    }
    env_free(task);
    env_freeSpec(spec);
  }
}

static void texts_should_describe_each_task(void **state) {
  (void)state;
  for (int t = 0; t < env_taskCount(); t++) {
    envSpec *spec = env_makeSpec((envTaskId)t, NULL, 0);
    envDescription d;
    assert_int_equal(env_describe(spec, NULL, &d, NULL, 0), TB_OK);
    env_freeSpec(spec);
    const char *text = d.instruction;
    assert_non_null(strstr(text, env_instruction((envTaskId)t)));
    assert_non_null(strstr(text, "gripper_distance_apart"));
    assert_non_null(strstr(text, "+1 closes"));
    assert_non_null(strstr(text, "metres"));
    assert_non_null(strstr(text, "goal_pos"));
    assert_non_null(strstr(env_expertPath((envTaskId)t), "envs/experts/"));
  }
  assert_string_equal(env_expertPath(ENV_PICK_PLACE), "envs/experts/pick_place.c");
  assert_null(env_expertPath((envTaskId)env_taskCount()));
}

/* ---- feedback ------------------------------------------------------------------------- */

static void feedback_should_give_the_closest_distance_of_the_episode(void **state) {
  (void)state;
  for (int t = 0; t < env_taskCount(); t++) {
    envSpec *spec = env_makeSpec((envTaskId)t, NULL, 0);
    envTask *task = env_make(spec, NULL, 0);
    assert_int_equal(env_reset(task, 3, NULL, NULL, NULL, 0), TB_OK);
    double start = spec->def->goalDistance(task);

    /* wander towards the goal and away again */
    for (int k = 0; k < 6; k++) {
      obs_t obs;
      env_observe(task, &obs);
      double a[4] = {0.0, 0.0, 0.0, -1.0};
      for (int i = 0; i < 3; i++) {
        a[i] = (k < 3 ? 0.5 : -0.5) * (obs.goal_pos[i] - obs.hand_pos[i]);
      }
      envStepResult res;
      assert_int_equal(env_macroStep(task, a, &res, NULL, 0), TB_OK);
    }
    char line[256];
    env_feedback(task, line, sizeof line);
    if (spec->def->feedback == NULL) {
      assert_string_equal(line, "");
    } else {
      double closest = -1.0;
      double need = -1.0;
      double now = -1.0;
      const char *at = strstr(line, "-to-goal distance ");
      assert_non_null(at);
      assert_int_equal(sscanf(at, "-to-goal distance %lf m (success needs %lf m), %lf m now",
                              &closest, &need, &now),
                       3);
      assert_true(closest >= 0.0 && closest <= now + 5e-4 && closest <= start + 5e-4);
      assert_true(fabs(now - spec->def->goalDistance(task)) < 5e-4);
    }

    /* bounded and NUL-terminated in a small buffer; a NULL buffer is ignored */
    char tiny[8];
    memset(tiny, 'x', sizeof tiny);
    env_feedback(task, tiny, sizeof tiny);
    assert_true(strlen(tiny) < sizeof tiny);
    env_feedback(task, NULL, 0);
    env_free(task);
    env_freeSpec(spec);
  }
}

static void pickPlace_feedback_should_say_whether_the_puck_was_lifted(void **state) {
  (void)state;
  envSpec *spec = env_makeSpec(ENV_PICK_PLACE, NULL, 0);
  envTask *task = env_make(spec, NULL, 0);
  assert_int_equal(env_reset(task, 0, NULL, NULL, NULL, 0), TB_OK);
  char line[256];
  env_feedback(task, line, sizeof line);
  assert_non_null(strstr(line, "closest puck-to-goal distance"));
  assert_non_null(strstr(line, "never lifted"));

  /* the expert lifts it */
  obs_t obs;
  env_observe(task, &obs);
  for (int k = 0; k < 10; k++) {
    double a[4];
    env_expert(ENV_PICK_PLACE, &obs, a);
    envStepResult res;
    assert_int_equal(env_macroStep(task, a, &res, NULL, 0), TB_OK);
    obs = res.obs;
  }
  env_feedback(task, line, sizeof line);
  assert_non_null(strstr(line, "the puck was lifted"));
  env_free(task);
  env_freeSpec(spec);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(table_rows_should_have_every_required_field),
      cmocka_unit_test(table_names_should_be_unique_and_look_up_their_ids),
      cmocka_unit_test(taskList_should_list_every_name_in_id_order),
      cmocka_unit_test(table_should_have_one_row_per_cmake_task_stem_in_order),
      cmocka_unit_test(reset_should_use_the_task_horizon),
      cmocka_unit_test(puck_draws_should_stay_in_range_and_apart_over_1000_seeds),
      cmocka_unit_test(objects_documents_should_be_checked_before_they_compile),
      cmocka_unit_test(draws_should_match_the_pinned_values),
      cmocka_unit_test(reset_should_place_what_was_drawn),
      cmocka_unit_test(reach_should_succeed_within_5cm_of_the_tcp_with_reward_10),
      cmocka_unit_test(push_should_succeed_within_5cm_of_the_goal),
      cmocka_unit_test(pickPlace_should_need_7cm_and_a_lifted_puck),
      cmocka_unit_test(rewards_should_stay_within_0_and_10),
      cmocka_unit_test(zero_controller_should_never_push_or_pick),
      cmocka_unit_test(texts_should_describe_each_task),
      cmocka_unit_test(feedback_should_give_the_closest_distance_of_the_episode),
      cmocka_unit_test(pickPlace_feedback_should_say_whether_the_puck_was_lifted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
