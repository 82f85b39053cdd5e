/* Tests of sim/sim.c: loading, the error guard, divergence detection, exact state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tracebot/sim.h"

/* a ball on a hinge arm over a floor: enough to have contacts and a mocap */
static const char xmlArm[] =
    "<mujoco><option timestep='0.002'/>"
    "<worldbody><geom type='plane' size='1 1 0.1'/>"
    "<body name='mocap' mocap='true' pos='0 0 0.5'/>"
    "<body name='arm' pos='0 0 0.3'><joint type='hinge' axis='0 1 0'/>"
    "<geom type='capsule' fromto='0 0 0 0.2 0 0' size='0.02'/>"
    "<body pos='0.2 0 0'><joint type='hinge' axis='0 1 0'/>"
    "<geom type='sphere' size='0.05' pos='0.1 0 0'/></body></body>"
    "<body name='ball' pos='0.3 0.3 0.2'><freejoint/><geom type='sphere' size='0.05'/></body>"
    "</worldbody>"
    "<actuator><motor joint='' name='m'/></actuator></mujoco>";

/* the same without the actuator (motor without a joint is invalid on purpose above) */
static const char xmlOk[] =
    "<mujoco><option timestep='0.002'/>"
    "<worldbody><geom type='plane' size='1 1 0.1'/>"
    "<body name='mocap' mocap='true' pos='0 0 0.5'/>"
    "<body name='arm' pos='0 0 0.3'><joint name='j0' type='hinge' axis='0 1 0'/>"
    "<geom type='capsule' fromto='0 0 0 0.2 0 0' size='0.02'/>"
    "<body pos='0.2 0 0'><joint type='hinge' axis='0 1 0'/>"
    "<geom type='sphere' size='0.05' pos='0.1 0 0'/></body></body>"
    "<body name='ball' pos='0.3 0.3 0.2'><freejoint/><geom type='sphere' size='0.05'/></body>"
    "</worldbody>"
    "<actuator><motor joint='j0' name='m'/></actuator></mujoco>";

static mjModel *loadOk(void) {
  char err[256] = "";
  mjModel *m = sim_loadModelXML(xmlOk, strlen(xmlOk), err, sizeof(err));
  assert_non_null(m);
  return m;
}

/* The model the world tests share (a model is immutable), loaded by the group setup. */
static mjModel *gModel;

static int loadModel(void **state) {
  (void)state;
  gModel = sim_loadModelXML(xmlOk, strlen(xmlOk), NULL, 0);
  return gModel ? 0 : -1;
}

static int freeModel(void **state) {
  (void)state;
  sim_freeModel(gModel);
  return 0;
}

/* Per-test setup and teardown: a fresh world of gModel as *state. */
static int makeWorld(void **state) {
  *state = sim_make(gModel, NULL, 0);
  return *state ? 0 : -1;
}

static int freeWorld(void **state) {
  sim_free(*state);
  return 0;
}

static void load_should_compile_a_model_from_memory(void **state) {
  (void)state;
  mjModel *m = loadOk();
  assert_int_equal(m->nmocap, 1);
  assert_int_equal(m->nu, 1);
  assert_int_equal(m->nq, 2 + 7);
  sim_freeModel(m);
}

static void load_should_report_a_bad_model_with_a_message(void **state) {
  (void)state;
  char err[256] = "";
  mjModel *m = sim_loadModelXML(xmlArm, strlen(xmlArm), err, sizeof(err));
  assert_null(m);
  assert_true(strlen(err) > 0);
  assert_null(strchr(err, '\n'));

  static const char broken[] = "<mujoco><worldbody><body></worldbody>";
  err[0] = '\0';
  assert_null(sim_loadModelXML(broken, strlen(broken), err, sizeof(err)));
  assert_true(strlen(err) > 0);
}

static void load_should_reject_empty_text(void **state) {
  (void)state;
  char err[128] = "";
  assert_null(sim_loadModelXML("", 0, err, sizeof(err)));
  assert_non_null(strstr(err, "empty"));
  assert_null(sim_loadModelXML(NULL, 10, NULL, 0));
}

static void handlers_should_replace_mujoco_defaults(void **state) {
  (void)state;
  sim_installHandlers();
  sim_installHandlers(); /* idempotent */
  assert_non_null(mju_user_error);
  assert_non_null(mju_user_warning);
}

static void mujoco_error_should_become_an_error_code(void **state) {
  (void)state;
  /* a stack big enough for the box in the air but not for its contacts: once the box
   * is pushed into the floor, mj_forward raises mju_error("Stack overflow") */
  static const char tiny[] =
      "<mujoco><size nstack='100'/><worldbody><geom type='plane' size='1 1 0.1'/>"
      "<body pos='0 0 0.5'><freejoint/><geom type='box' size='0.05 0.05 0.05'/></body>"
      "</worldbody></mujoco>";
  char err[256] = "";
  mjModel *m = sim_loadModelXML(tiny, strlen(tiny), err, sizeof(err));
  assert_non_null(m);
  simWorld *w = sim_make(m, err, sizeof(err));
  assert_non_null(w);
  sim_data(w)->qpos[2] = 0.0;
  assert_int_equal(sim_forward(w, err, sizeof(err)), TB_EMUJOCO);
  assert_non_null(strstr(err, "mujoco error"));
  assert_non_null(strstr(sim_lastMessage(), "Stack"));
  err[0] = '\0';
  assert_int_equal(sim_step(w, 1, err, sizeof(err)), TB_EMUJOCO);
  assert_non_null(strstr(err, "mj_step"));

  /* a reset recovers the world */
  assert_int_equal(sim_reset(w, err, sizeof(err)), TB_OK);
  assert_int_equal(sim_step(w, 10, err, sizeof(err)), TB_OK);
  sim_free(w);
  sim_freeModel(m);
}

static void step_should_advance_time(void **state) {
  simWorld *w = *state;
  assert_ptr_equal(sim_model(w), gModel);
  assert_int_equal(sim_step(w, 10, NULL, 0), TB_OK);
  assert_true(fabs(sim_data(w)->time - 10 * 0.002) < 1e-12);
  assert_int_equal(sim_step(w, -1, NULL, 0), TB_EINVAL);
  sim_rawSteps(w, 5);
  assert_true(fabs(sim_data(w)->time - 15 * 0.002) < 1e-12);
  assert_int_equal(sim_reset(w, NULL, 0), TB_OK);
  assert_true(sim_data(w)->time == 0.0);
  sim_free(NULL);
}

static void step_should_report_divergence_not_a_normal_step(void **state) {
  simWorld *w = *state;
  assert_int_equal(sim_step(w, 3, NULL, 0), TB_OK);

  /* a huge velocity: MuJoCo flags BADQVEL and silently resets the data */
  sim_data(w)->qvel[0] = 1e20;
  char err[256] = "";
  assert_int_equal(sim_step(w, 1, err, sizeof(err)), TB_EPHYSICS);
  assert_non_null(strstr(err, "diverged"));
  assert_int_equal(sim_faultCount(w), 1);

  /* a NaN in qpos is caught the same way */
  sim_data(w)->qpos[0] = NAN;
  assert_int_equal(sim_step(w, 1, err, sizeof(err)), TB_EPHYSICS);
  assert_int_equal(sim_faultCount(w), 2);
}

static void state_should_round_trip_bit_exact(void **state) {
  simWorld *w = *state;
  const mjModel *m = gModel;
  size_t n = sim_stateSize(m);
  assert_int_equal(n, 1 + m->nq + 2 * m->nv + m->na + 7 * m->nmocap + m->nu);
  double saved[64];
  double after[64];
  double again[64];
  assert_true(n <= 64);

  /* move, save, run on; restore, run on again: identical */
  sim_data(w)->ctrl[0] = 0.3;
  sim_data(w)->mocap_pos[0] = 0.1;
  assert_int_equal(sim_step(w, 50, NULL, 0), TB_OK);
  sim_getState(w, saved);
  assert_int_equal(sim_step(w, 100, NULL, 0), TB_OK);
  sim_getState(w, after);

  simWorld *w2 = sim_make(m, NULL, 0);
  assert_int_equal(sim_setState(w2, saved, n, NULL, 0), TB_OK);
  assert_int_equal(sim_step(w2, 100, NULL, 0), TB_OK);
  sim_getState(w2, again);
  assert_memory_equal(after, again, n * sizeof(double));
  assert_memory_equal(sim_data(w)->xpos, sim_data(w2)->xpos, sizeof(double) * 3 * m->nbody);
  sim_free(w2);
}

static void setState_should_reject_bad_input_and_keep_the_world(void **state) {
  simWorld *w = *state;
  size_t n = sim_stateSize(gModel);
  double s[64];
  sim_getState(w, s);
  char err[256] = "";
  assert_int_equal(sim_setState(w, s, n - 1, err, sizeof(err)), TB_EINVAL);
  assert_non_null(strstr(err, "values"));
  s[3] = NAN;
  double before = sim_data(w)->qpos[2];
  assert_int_equal(sim_setState(w, s, n, err, sizeof(err)), TB_EINVAL);
  assert_non_null(strstr(err, "not finite"));
  assert_true(sim_data(w)->qpos[2] == before);
}

static void worlds_should_share_one_model(void **state) {
  simWorld *a = *state;
  simWorld *b = sim_make(gModel, NULL, 0);
  sim_data(a)->qvel[0] = 1.0;
  assert_int_equal(sim_step(a, 20, NULL, 0), TB_OK);
  assert_int_equal(sim_step(b, 20, NULL, 0), TB_OK);
  assert_true(sim_data(a)->qpos[0] != sim_data(b)->qpos[0]);
  sim_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(load_should_compile_a_model_from_memory),
      cmocka_unit_test(load_should_report_a_bad_model_with_a_message),
      cmocka_unit_test(load_should_reject_empty_text),
      cmocka_unit_test(handlers_should_replace_mujoco_defaults),
      cmocka_unit_test(mujoco_error_should_become_an_error_code),
      cmocka_unit_test_setup_teardown(step_should_advance_time, makeWorld, freeWorld),
      cmocka_unit_test_setup_teardown(step_should_report_divergence_not_a_normal_step, makeWorld,
                                      freeWorld),
      cmocka_unit_test_setup_teardown(state_should_round_trip_bit_exact, makeWorld, freeWorld),
      cmocka_unit_test_setup_teardown(setState_should_reject_bad_input_and_keep_the_world,
                                      makeWorld, freeWorld),
      cmocka_unit_test_setup_teardown(worlds_should_share_one_model, makeWorld, freeWorld),
  };
  return cmocka_run_group_tests(tests, loadModel, freeModel);
}
