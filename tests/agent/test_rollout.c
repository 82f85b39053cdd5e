/* Tests of agent/rollout.c and eval.c: sandboxed episodes end to end. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tracebot/agent.h"

/* The task's expert source (embedded in the library), as a heap copy. */
static char *readExpert(envTaskId id, size_t *len) {
  const char *src = env_expertSource(id, len);
  assert_non_null(src);
  char *copy = strdup(src);
  assert_non_null(copy);
  return copy;
}

static void run(const agRolloutConfig *cfg, const char *src, agEpisode *ep) {
  char err[256] = "";
  int rc = ag_rolloutOnce(cfg, src, strlen(src), ep, err, sizeof err);
  if (rc != TB_OK) {
    fail_msg("ag_rolloutOnce: %s", err);
  }
}

static void rollout_should_succeed_with_each_expert_in_the_sandbox(void **state) {
  (void)state;
  for (int id = 0; id < env_taskCount(); id++) {
    size_t len = 0;
    char *src = readExpert((envTaskId)id, &len);
    agRolloutConfig cfg;
    ag_defaultRollout(&cfg);
    cfg.task = (envTaskId)id;
    cfg.seed = 1;
    agEpisode ep;
    run(&cfg, src, &ep);
    assert_int_equal(ep.fault.kind, AG_FT_NONE);
    assert_true(ep.success);
    assert_true(ep.nsteps >= 1 && ep.nsteps <= 10);
    assert_true(ep.steps[ep.nsteps - 1].result.success);
    assert_true(ep.ret > 0.0);
    assert_true(ep.steps[0].result.hint[0] != '\0'); /* expert hints by default */
    assert_memory_equal(&ep.steps[0].obs, &ep.obs0, sizeof ep.obs0);
    ag_episodeClose(&ep);
    free(src);
  }
}

/* The episode carries the task's own line about it (env_feedback) for the trainer. */
static void rollout_should_keep_the_tasks_feedback_line(void **state) {
  (void)state;
  static const char kIdle[] =
      "void controller(const obs_t *obs, double action[4]) {\n"
      "  (void)obs; action[0] = action[1] = action[2] = 0.0; action[3] = -1.0;\n}\n";
  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  cfg.task = ENV_PICK_PLACE;
  cfg.seed = 2;
  agEpisode ep;
  run(&cfg, kIdle, &ep);
  assert_false(ep.success);
  assert_non_null(strstr(ep.task_feedback, "closest puck-to-goal distance"));
  assert_non_null(strstr(ep.task_feedback, "never lifted"));
  ag_episodeClose(&ep);
}

static void rollout_should_be_deterministic(void **state) {
  (void)state;
  size_t len = 0;
  char *src = readExpert(ENV_PICK_PLACE, &len);
  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  cfg.task = ENV_PICK_PLACE;
  cfg.seed = 3;
  agEpisode a;
  agEpisode b;
  run(&cfg, src, &a);
  run(&cfg, src, &b);
  assert_int_equal(a.nsteps, b.nsteps);
  assert_true(a.ret == b.ret);
  for (int t = 0; t < a.nsteps; t++) {
    assert_memory_equal(a.steps[t].action, b.steps[t].action, sizeof a.steps[t].action);
    assert_memory_equal(&a.steps[t].result.obs, &b.steps[t].result.obs, sizeof(obs_t));
  }
  ag_episodeClose(&a);
  ag_episodeClose(&b);
  free(src);
}

static void rollout_should_report_nan_as_invalid_action_and_keep_the_trajectory(void **s) {
  (void)s;
  const char *src =
      "void controller(const obs_t *obs, double action[4]) {\n"
      "  action[0] = 0.01;\n"
      "  action[3] = obs->step == 2 ? 0.0 / 0.0 : 0.0;\n"
      "}\n";
  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  agEpisode ep;
  run(&cfg, src, &ep);
  assert_int_equal(ep.fault.kind, AG_FT_INVALID_ACTION);
  assert_int_equal(ep.fault.step, 2);
  assert_non_null(strstr(ep.fault.message, "action[3]"));
  assert_int_equal(ep.nsteps, 2);
  assert_true(ep.steps[1].action[0] == 0.01);
  assert_int_equal(ep.steps[1].obs.step, 1);
  ag_episodeClose(&ep);
}

static void rollout_should_report_compile_errors_with_the_line(void **state) {
  (void)state;
  const char *src =
      "#include <math.h>\n"
      "void controller(const obs_t *obs, double action[4]) {\n"
      "  action[0] = obs->no_such_field;\n"
      "}\n";
  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  agEpisode ep;
  run(&cfg, src, &ep);
  assert_int_equal(ep.fault.kind, AG_FT_COMPILE);
  assert_int_equal(ep.fault.line, 3);
  assert_int_equal(ep.nsteps, 0);
  assert_string_equal(ag_faultName(ep.fault.kind), "compile");
  ag_episodeClose(&ep);
}

static void rollout_should_run_in_absolute_mode(void **state) {
  (void)state;
  const char *src =
      "void controller(const obs_t *obs, double action[4]) {\n"
      "  for (int i = 0; i < 3; i++) action[i] = obs->goal_pos[i];\n"
      "  action[3] = 0.0;\n"
      "}\n";
  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  cfg.env.mode = ENV_ABSOLUTE;
  cfg.env.hints = ENV_HINTS_NONE;
  agEpisode ep;
  run(&cfg, src, &ep);
  assert_int_equal(ep.fault.kind, AG_FT_NONE);
  assert_true(ep.success);
  assert_string_equal(ep.steps[0].result.hint, "");
  ag_episodeClose(&ep);
}

static void rollout_should_reject_bad_configurations(void **state) {
  (void)state;
  const char *src = "void controller(const obs_t *o, double a[4]) { (void)o; a[0] = 0; }";
  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  agEpisode ep;
  char err[256];
  cfg.env.horizon = 0;
  assert_int_equal(ag_rolloutOnce(&cfg, src, strlen(src), &ep, err, sizeof err), TB_EINVAL);
  assert_non_null(strstr(err, "horizon"));
  ag_episodeClose(&ep);
  ag_defaultRollout(&cfg);
  assert_int_equal(ag_rolloutOnce(&cfg, src, AG_SOURCE_MAX + 1, &ep, err, sizeof err), TB_EINVAL);
  ag_episodeClose(&ep);
  cfg.sandbox_path = "/nonexistent/tracebot-sandbox";
  assert_int_equal(ag_rolloutOnce(&cfg, src, strlen(src), &ep, err, sizeof err), TB_ESANDBOX);
  assert_non_null(strstr(err, "/nonexistent/tracebot-sandbox"));
  ag_episodeClose(&ep);
}

static void eval_should_give_the_same_results_with_two_jobs(void **state) {
  (void)state;
  size_t len = 0;
  char *src = readExpert(ENV_PUSH, &len);
  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  cfg.task = ENV_PUSH;
  agEvalEpisode one[8];
  agEvalEpisode two[8];
  agEvalSummary s1;
  agEvalSummary s2;
  char err[256];
  assert_int_equal(ag_eval(NULL, &cfg, src, len, 10, 18, 1, NULL, NULL, one, &s1, err, sizeof err),
                   TB_OK);
  assert_int_equal(ag_eval(NULL, &cfg, src, len, 10, 18, 2, NULL, NULL, two, &s2, err, sizeof err),
                   TB_OK);
  assert_int_equal(s1.episodes, 8);
  assert_int_equal(s1.successes, s2.successes);
  assert_true(s1.mean_return == s2.mean_return);
  for (int i = 0; i < 8; i++) {
    assert_int_equal(one[i].seed, 10 + i);
    assert_int_equal(two[i].seed, 10 + i);
    assert_true(one[i].ret == two[i].ret);
    assert_int_equal(one[i].nsteps, two[i].nsteps);
  }
  free(src);
}

static void perturbed_rollout_should_record_its_draw_and_replay_exactly(void **state) {
  (void)state;
  size_t len = 0;
  char *src = readExpert(ENV_PICK_PLACE, &len);
  char path[128];
  snprintf(path, sizeof path, "/tmp/tracebot-test-rollout-%d.json", (int)getpid());
  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  cfg.task = ENV_PICK_PLACE;
  cfg.seed = 4;
  char err[256] = "";
  assert_int_equal(env_parsePerturb("strong", &cfg.env.perturb, err, sizeof err), TB_OK);
  cfg.record_path = path;
  agEpisode ep;
  run(&cfg, src, &ep);
  assert_int_equal(ep.fault.kind, AG_FT_NONE);

  /* the episode says what it drew: the values of the seed's draw */
  envPerturbValues drawn;
  env_perturbDraw(&cfg.env.perturb, 4, &drawn);
  assert_int_equal(ep.perturb.on, drawn.on);
  assert_memory_equal(ep.perturb.value, drawn.value, sizeof drawn.value);

  /* the recording holds the spec, the drawn values and what the controller saw */
  simEpisode *rec = sim_episodeLoad(path, err, sizeof err);
  if (rec == NULL) {
    fail_msg("load: %s", err);
  }
  char spec[ENV_PERTURB_TEXT_MAX];
  env_perturbText(&cfg.env.perturb, spec, sizeof spec);
  assert_string_equal(rec->info.perturb, spec);
  assert_int_equal(rec->info.nperturb, ENV_PERTURB_KNOBS);
  for (int k = 0; k < rec->info.nperturb; k++) {
    assert_string_equal(rec->info.perturb_values[k].name, env_perturbKnobName((envPerturbKnob)k));
    assert_true(rec->info.perturb_values[k].value == drawn.value[k]);
  }
  assert_int_equal(rec->nsteps, ep.nsteps);
  for (int t = 0; t < ep.nsteps; t++) {
    assert_memory_equal(rec->steps[t].obs.hand_pos, ep.steps[t].obs.hand_pos,
                        sizeof ep.steps[t].obs.hand_pos);
  }

  /* replay restores every recorded state on the plain model, bit for bit */
  envSpec *spec0 = env_makeSpec(ENV_PICK_PLACE, err, sizeof err);
  envTask *viewer = env_make(spec0, err, sizeof err);
  assert_non_null(viewer);
  simWorld *w = env_world(viewer);
  for (int k = 0; k < rec->nstates; k++) {
    assert_int_equal(sim_episodeRestore(rec, k, w, err, sizeof err), 0);
    assert_memory_equal(sim_data(w)->qpos, sim_episodeState(rec, k) + 1,
                        sizeof(double) * (size_t)rec->info.sizes.nq);
  }

  /* and the same seed runs the same perturbed episode again */
  agEpisode again;
  cfg.record_path = NULL;
  run(&cfg, src, &again);
  assert_int_equal(again.nsteps, ep.nsteps);
  assert_true(again.ret == ep.ret);
  for (int t = 0; t < ep.nsteps; t++) {
    assert_memory_equal(&again.steps[t].result.obs, &ep.steps[t].result.obs, sizeof(obs_t));
  }
  ag_episodeClose(&again);
  env_free(viewer);
  env_freeSpec(spec0);
  sim_freeEpisode(rec);
  unlink(path);
  ag_episodeClose(&ep);
  free(src);
}

static void perturbed_eval_should_not_depend_on_jobs_or_touch_the_shared_spec(void **state) {
  (void)state;
  size_t len = 0;
  char *src = readExpert(ENV_PICK_PLACE, &len);
  char err[256] = "";
  envSpec *spec = env_makeSpec(ENV_PICK_PLACE, err, sizeof err);
  assert_non_null(spec);
  agRolloutConfig plain;
  ag_defaultRollout(&plain);
  plain.task = ENV_PICK_PLACE;
  agRolloutConfig strong = plain;
  assert_int_equal(env_parsePerturb("strong", &strong.env.perturb, err, sizeof err), TB_OK);
  agEvalEpisode before[6];
  agEvalEpisode one[6];
  agEvalEpisode two[6];
  agEvalEpisode after[6];
  agEvalSummary sum;
  assert_int_equal(
      ag_eval(spec, &plain, src, len, 0, 6, 2, NULL, NULL, before, &sum, err, sizeof err), TB_OK);
  assert_int_equal(
      ag_eval(spec, &strong, src, len, 0, 6, 1, NULL, NULL, one, &sum, err, sizeof err), TB_OK);
  assert_int_equal(
      ag_eval(spec, &strong, src, len, 0, 6, 2, NULL, NULL, two, &sum, err, sizeof err), TB_OK);
  assert_int_equal(
      ag_eval(spec, &plain, src, len, 0, 6, 2, NULL, NULL, after, &sum, err, sizeof err), TB_OK);
  int differs = 0;
  for (int i = 0; i < 6; i++) {
    assert_true(one[i].ret == two[i].ret);
    assert_int_equal(one[i].nsteps, two[i].nsteps);
    assert_true(before[i].ret == after[i].ret); /* the workers' own models left spec alone */
    differs += one[i].ret != before[i].ret;
  }
  assert_true(differs >= 5);
  env_freeSpec(spec);
  free(src);
}

static int gProgressCalls;

static void countProgress(void *user, int done, int total, const agEvalEpisode *ep) {
  (void)user;
  (void)ep;
  gProgressCalls++;
  assert_true(done >= 1 && done <= total);
}

static void eval_should_count_faults_without_stopping(void **state) {
  (void)state;
  /* crashes when the goal is left of centre, otherwise stands still */
  const char *src =
      "void controller(const obs_t *obs, double action[4]) {\n"
      "  if (obs->goal_pos[0] < 0) { volatile int *p = 0; *p = 1; }\n"
      "  action[0] = 0.0;\n"
      "}\n";
  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  cfg.env.horizon = 3;
  agEvalEpisode eps[12];
  agEvalSummary sum;
  char err[256];
  gProgressCalls = 0;
  assert_int_equal(ag_eval(NULL, &cfg, src, strlen(src), 0, 12, 2, countProgress, NULL, eps, &sum,
                           err, sizeof err),
                   TB_OK);
  assert_int_equal(gProgressCalls, 12);
  assert_int_equal(sum.faults[AG_FT_NONE] + sum.faults[AG_FT_CRASH], 12);
  for (int i = 0; i < 12; i++) {
    if (eps[i].fault.kind == AG_FT_CRASH) {
      assert_non_null(strstr(eps[i].fault.message, "SIGSEGV"));
    } else {
      assert_int_equal(eps[i].nsteps, 3);
    }
  }
}

static void seed_ranges_should_be_half_open_and_well_formed(void **state) {
  (void)state;
  uint64_t a = 0;
  uint64_t b = 0;
  char err[128];
  assert_int_equal(ag_parseSeedRange("0:100", &a, &b, err, sizeof err), TB_OK);
  assert_int_equal(a, 0);
  assert_int_equal(b, 100);
  const char *bad[] = {"", "5", "5:", ":5", "5:5", "9:3", "a:b", "1:2:3", "-1:4", "0:2000000"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(ag_parseSeedRange(bad[i], &a, &b, err, sizeof err), TB_EINVAL);
  }
}

static void fault_names_should_round_trip(void **state) {
  (void)state;
  for (int k = 0; k < AG_NFAULT_TYPES; k++) {
    assert_int_equal(ag_faultLookup(ag_faultName((agFaultType)k)), k);
  }
  assert_string_equal(ag_faultName(AG_FT_INVALID_ACTION), "invalid_action");
  assert_string_equal(ag_faultName((agFaultType)99), "unknown");
  assert_int_equal(ag_faultLookup("nope"), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rollout_should_succeed_with_each_expert_in_the_sandbox),
      cmocka_unit_test(rollout_should_keep_the_tasks_feedback_line),
      cmocka_unit_test(rollout_should_be_deterministic),
      cmocka_unit_test(rollout_should_report_nan_as_invalid_action_and_keep_the_trajectory),
      cmocka_unit_test(rollout_should_report_compile_errors_with_the_line),
      cmocka_unit_test(rollout_should_run_in_absolute_mode),
      cmocka_unit_test(rollout_should_reject_bad_configurations),
      cmocka_unit_test(eval_should_give_the_same_results_with_two_jobs),
      cmocka_unit_test(perturbed_rollout_should_record_its_draw_and_replay_exactly),
      cmocka_unit_test(perturbed_eval_should_not_depend_on_jobs_or_touch_the_shared_spec),
      cmocka_unit_test(eval_should_count_faults_without_stopping),
      cmocka_unit_test(seed_ranges_should_be_half_open_and_well_formed),
      cmocka_unit_test(fault_names_should_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
