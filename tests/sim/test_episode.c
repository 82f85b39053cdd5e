/* Tests of sim/episode.c: recording, EP.json round trip, strict loading, exact restore. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tracebot/episode.h"
#include "record.h"
#include "tracebot/sim.h"

/* Small sizes: row = 1 + 2 + 2 + 0 + 7 + 1 = 13 doubles. */
static simEpisodeInfo smallInfo(void) {
  simEpisodeInfo in;
  memset(&in, 0, sizeof(in));
  snprintf(in.task, sizeof(in.task), "pick-place");
  in.seed = 9007199254740992ull; /* 2^53: the largest seed a JSON double keeps */
  in.horizon = 10;
  snprintf(in.mode, sizeof(in.mode), "relative");
  snprintf(in.hints, sizeof(in.hints), "expert");
  snprintf(in.controller_hash, sizeof(in.controller_hash), "fnv1a64:0123456789abcdef");
  in.timestep = 0.0025;
  in.frame_skip = 5;
  in.sizes = (simEpisodeSizes){2, 2, 0, 1, 1};
  return in;
}

static void tmpPath(char *buf, size_t n, const char *name) {
  snprintf(buf, n, "/tmp/tracebot-test-episode-%d-%s", (int)getpid(), name);
}

/* An episode of 41 states (t = k * 0.0125) and 3 steps with awkward numbers and text. */
static simEpisode *makeSmall(void) {
  simEpisodeInfo in = smallInfo();
  simEpisode *ep = sim_makeEpisode(&in, NULL, 0);
  assert_non_null(ep);
  assert_int_equal(ep->row, 13);
  const double awkward[] = {0.1,
                            1.0 / 3.0,
                            -0.0,
                            4.9406564584124654e-324,
                            1.7976931348623157e308,
                            -2.2250738585072014e-308,
                            M_PI,
                            1e-17,
                            123456789.123456789};
  for (int k = 0; k <= 40; k++) {
    double row[13];
    row[0] = k * 0.0125;
    for (int i = 1; i < 13; i++) {
      row[i] = awkward[(k + i) % 9] * (i % 2 ? 1 : -1);
    }
    assert_int_equal(sim_episodeAppendState(ep, row, 13, NULL, 0), 0);
  }
  for (int t = 0; t < 3; t++) {
    simEpisodeStep s;
    memset(&s, 0, sizeof(s));
    s.step = t;
    s.state = t * 13;
    s.env_steps = 13;
    s.obs.hand_pos[0] = 0.1 * t;
    s.obs.gripper_distance_apart = 1.0 / 3.0;
    s.obs.obj_quat[0] = 1;
    s.obs.goal_pos[2] = 0.2999999999999999889;
    s.obs.obj2_pos[1] = 0.7 + 1e-16 * t;
    s.obs.obj2_quat[3] = -1.0 / 3.0;
    s.action[0] = -0.0;
    s.action[3] = 1;
    s.reward = 2.0 / 3.0 + t;
    s.success = t == 2;
    snprintf(s.hint, sizeof(s.hint), "move \"down\"\\\n\ttab \x01 caf\xc3\xa9 %d", t);
    assert_int_equal(sim_episodeAppendStep(ep, &s, NULL, 0), 0);
  }
  assert_int_equal(sim_episodeSetResult(ep, 1, 0.1 + 0.2, 3, "crash",
                                        "signal 11 \"SIGSEGV\" at step 2", 2, NULL, 0),
                   0);
  return ep;
}

static void save_load_should_round_trip_every_double_bit_exact(void **state) {
  (void)state;
  char path[256];
  char err[256] = "";
  tmpPath(path, sizeof(path), "roundtrip.json");
  simEpisode *ep = makeSmall();
  assert_int_equal(sim_episodeSave(ep, path, err, sizeof(err)), 0);
  simEpisode *back = sim_episodeLoad(path, err, sizeof(err));
  if (!back) {
    fail_msg("load: %s", err);
  }
  /* metadata */
  assert_string_equal(back->info.task, "pick-place");
  assert_true(back->info.seed == 9007199254740992ull);
  assert_int_equal(back->info.horizon, 10);
  assert_string_equal(back->info.mode, "relative");
  assert_string_equal(back->info.hints, "expert");
  assert_string_equal(back->info.controller_hash, "fnv1a64:0123456789abcdef");
  assert_memory_equal(&back->info.timestep, &ep->info.timestep, sizeof(double));
  assert_int_equal(back->info.frame_skip, 5);
  assert_memory_equal(&back->info.sizes, &ep->info.sizes, sizeof(simEpisodeSizes));
  /* states: bit for bit (memcmp tells -0.0 from 0.0 and catches the last ulp) */
  assert_int_equal(back->nstates, 41);
  assert_int_equal(back->row, 13);
  assert_memory_equal(back->states, ep->states, sizeof(double) * 41 * 13);
  /* steps */
  assert_int_equal(back->nsteps, 3);
  for (int t = 0; t < 3; t++) {
    const simEpisodeStep *a = &ep->steps[t];
    const simEpisodeStep *b = &back->steps[t];
    assert_int_equal(b->step, a->step);
    assert_int_equal(b->state, a->state);
    assert_int_equal(b->env_steps, a->env_steps);
    assert_memory_equal(&b->obs, &a->obs, sizeof(a->obs));
    assert_memory_equal(b->action, a->action, sizeof(a->action));
    assert_memory_equal(&b->reward, &a->reward, sizeof(double));
    assert_int_equal(b->success, a->success);
    assert_string_equal(b->hint, a->hint);
  }
  /* result */
  assert_int_equal(back->result.success, 1);
  assert_memory_equal(&back->result.ret, &ep->result.ret, sizeof(double));
  assert_int_equal(back->result.steps, 3);
  assert_int_equal(back->result.has_fault, 1);
  assert_string_equal(back->result.fault_kind, "crash");
  assert_string_equal(back->result.fault_message, "signal 11 \"SIGSEGV\" at step 2");
  assert_int_equal(back->result.fault_step, 2);
  /* no temporary file is left behind */
  char tmp[300];
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  assert_int_not_equal(access(tmp, F_OK), 0);
  sim_freeEpisode(back);
  sim_freeEpisode(ep);
  unlink(path);
}

static void save_should_write_null_fault_and_load_it_back(void **state) {
  (void)state;
  char path[256];
  tmpPath(path, sizeof(path), "nofault.json");
  simEpisode *ep = makeSmall();
  assert_int_equal(sim_episodeSetResult(ep, 0, 12.4, 10, NULL, "ignored", 7, NULL, 0), 0);
  assert_int_equal(sim_episodeSave(ep, path, NULL, 0), 0);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char text[1 << 16];
  size_t n = fread(text, 1, sizeof(text) - 1, f);
  text[n] = '\0';
  fclose(f);
  assert_non_null(strstr(text, "\"fault\": null"));
  assert_non_null(strstr(text, "\"format\": \"tracebot-episode\", \"version\": 1"));
  simEpisode *back = sim_episodeLoad(path, NULL, 0);
  assert_non_null(back);
  assert_int_equal(back->result.has_fault, 0);
  assert_true(back->result.ret == 12.4);
  sim_freeEpisode(back);
  sim_freeEpisode(ep);
  unlink(path);
}

static void perturbation_should_round_trip_and_be_absent_when_none(void **state) {
  (void)state;
  char path[256];
  char err[256] = "";
  tmpPath(path, sizeof(path), "perturb.json");
  /* none: no "perturb" key at all, so plain recordings stay as they were */
  simEpisode *plain = makeSmall();
  assert_int_equal(sim_episodeSave(plain, path, err, sizeof(err)), 0);
  char text[1 << 16];
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
  fclose(f);
  assert_null(strstr(text, "perturb"));
  simEpisode *back = sim_episodeLoad(path, err, sizeof(err));
  assert_non_null(back);
  assert_string_equal(back->info.perturb, "");
  assert_int_equal(back->info.nperturb, 0);
  sim_freeEpisode(back);
  sim_freeEpisode(plain);

  /* a perturbed episode: the spec and every drawn value, bit for bit */
  simEpisodeInfo in = smallInfo();
  snprintf(in.perturb, sizeof(in.perturb), "friction=0.5:1.5,latency=0:8");
  in.nperturb = 2;
  snprintf(in.perturb_values[0].name, sizeof(in.perturb_values[0].name), "friction");
  in.perturb_values[0].value = 1.0 / 3.0;
  snprintf(in.perturb_values[1].name, sizeof(in.perturb_values[1].name), "latency");
  in.perturb_values[1].value = 7;
  simEpisode *ep = sim_makeEpisode(&in, err, sizeof(err));
  assert_non_null(ep);
  double row[13] = {0};
  assert_int_equal(sim_episodeAppendState(ep, row, 13, NULL, 0), 0);
  assert_int_equal(sim_episodeSave(ep, path, err, sizeof(err)), 0);
  back = sim_episodeLoad(path, err, sizeof(err));
  if (!back) {
    fail_msg("load: %s", err);
  }
  assert_string_equal(back->info.perturb, "friction=0.5:1.5,latency=0:8");
  assert_int_equal(back->info.nperturb, 2);
  assert_string_equal(back->info.perturb_values[0].name, "friction");
  assert_memory_equal(&back->info.perturb_values[0].value, &in.perturb_values[0].value,
                      sizeof(double));
  assert_string_equal(back->info.perturb_values[1].name, "latency");
  assert_true(back->info.perturb_values[1].value == 7.0);
  sim_freeEpisode(back);
  sim_freeEpisode(ep);
  unlink(path);

  /* values the format cannot hold are refused when the episode is made */
  in.perturb_values[1].value = NAN;
  assert_null(sim_makeEpisode(&in, err, sizeof(err)));
  assert_non_null(strstr(err, "perturbation"));
  in.perturb_values[1].value = 1;
  in.nperturb = SIM_EP_MAX_PARAMS + 1;
  assert_null(sim_makeEpisode(&in, err, sizeof(err)));
}

/* ---- strict loading: each malformed document gives a message naming the key ---- */

static const char *goodHead =
    "{\"format\": \"tracebot-episode\", \"version\": 1, \"task\": \"reach\", \"seed\": 3, "
    "\"horizon\": 10, \"mode\": \"relative\", \"hints\": \"none\", \"controller_hash\": \"h\", "
    "\"timestep\": 0.0025, \"frame_skip\": 5, "
    "\"sizes\": {\"nq\": 1, \"nv\": 1, \"na\": 0, \"nmocap\": 0, \"nu\": 1}, ";
static const char *goodStates = "\"states\": [[0, 1, 2, 3], [0.0125, 1, 2, 3]], ";
static const char *goodSteps =
    "\"steps\": [{\"step\": 0, \"state\": 0, \"env_steps\": 1, \"obs\": {\"hand_pos\": [0,0,0], "
    "\"gripper_distance_apart\": 1, \"obj_pos\": [0,0,0], \"obj_quat\": [1,0,0,0], "
    "\"goal_pos\": [0,0,0]}, \"action\": [0,0,0,0], \"reward\": 1, \"success\": false, "
    "\"hint\": \"\"}], ";
static const char *goodResult =
    "\"result\": {\"success\": false, \"return\": 1, \"steps\": 1, \"fault\": null}}";

static simEpisode *parse4(const char *head, const char *states, const char *steps,
                          const char *result, char *err, size_t errsz) {
  char doc[8192];
  snprintf(doc, sizeof(doc), "%s%s%s%s", head, states, steps, result);
  return sim_episodeParse(doc, strlen(doc), err, errsz);
}

static void parse_should_accept_the_minimal_valid_document(void **state) {
  (void)state;
  char err[256] = "";
  simEpisode *ep = parse4(goodHead, goodStates, goodSteps, goodResult, err, sizeof(err));
  if (!ep) {
    fail_msg("%s", err);
  }
  assert_int_equal(ep->row, 4);
  assert_int_equal(ep->nstates, 2);
  assert_int_equal(ep->nsteps, 1);
  /* a recording without the second object slot (made before it) reads it as zero */
  assert_true(ep->steps[0].obs.obj2_pos[0] == 0.0 && ep->steps[0].obs.obj2_quat[0] == 0.0);
  sim_freeEpisode(ep);
}

/* The head of a document up to its "perturb" member, whose value is p. */
#define PERTURB_HEAD(p)                                                                        \
  "{\"format\": \"tracebot-episode\", \"version\": 1, \"task\": \"reach\", \"seed\": 1, "      \
  "\"horizon\": 10, \"mode\": \"relative\", \"hints\": \"none\", \"controller_hash\": \"h\", " \
  "\"perturb\": " p ", "

typedef struct badCase {
  const char *head, *states, *steps, *result;
  const char *expect; /* substring of the message */
} badCase;

static void parse_should_reject_malformed_documents_naming_the_key(void **state) {
  (void)state;
  const char *H = goodHead;
  const char *S = goodStates;
  const char *T = goodSteps;
  const char *R = goodResult;
  const char *obsOk =
      "\"obs\": {\"hand_pos\": [0,0,0], \"gripper_distance_apart\": 1, "
      "\"obj_pos\": [0,0,0], \"obj_quat\": [1,0,0,0], \"goal_pos\": [0,0,0]}";
  char stepState[1024];
  snprintf(stepState, sizeof(stepState),
           "\"steps\": [{\"step\": 0, \"state\": 2, \"env_steps\": 1, %s, \"action\": [0,0,0,0], "
           "\"reward\": 1, \"success\": false, \"hint\": \"\"}], ",
           obsOk);
  char stepSuccess[1024];
  snprintf(stepSuccess, sizeof(stepSuccess),
           "\"steps\": [{\"step\": 0, \"state\": 0, \"env_steps\": 1, %s, \"action\": [0,0,0,0], "
           "\"reward\": 1, \"success\": 1, \"hint\": \"\"}], ",
           obsOk);
  char stepAction[1024];
  snprintf(stepAction, sizeof(stepAction),
           "\"steps\": [{\"step\": 0, \"state\": 0, \"env_steps\": 1, %s, \"action\": [0,0,0], "
           "\"reward\": 1, \"success\": false, \"hint\": \"\"}], ",
           obsOk);
  const char *stepObs =
      "\"steps\": [{\"step\": 0, \"state\": 0, \"env_steps\": 1, \"obs\": {\"hand_pos\": [0,0], "
      "\"gripper_distance_apart\": 1, \"obj_pos\": [0,0,0], \"obj_quat\": [1,0,0,0], "
      "\"goal_pos\": [0,0,0]}, \"action\": [0,0,0,0], \"reward\": 1, \"success\": false, "
      "\"hint\": \"\"}], ";
  const char *stepObs2 =
      "\"steps\": [{\"step\": 0, \"state\": 0, \"env_steps\": 1, \"obs\": {\"hand_pos\": [0,0,0], "
      "\"gripper_distance_apart\": 1, \"obj_pos\": [0,0,0], \"obj_quat\": [1,0,0,0], "
      "\"goal_pos\": [0,0,0], \"obj2_pos\": [0,0,0], \"obj2_quat\": [1,0,0]}, "
      "\"action\": [0,0,0,0], \"reward\": 1, \"success\": false, \"hint\": \"\"}], ";
  const badCase cases[] = {
      {"{\"format\": \"other\", ", "", "", "\"x\": 1}", "format: expected \"tracebot-episode\""},
      {"{\"format\": \"tracebot-episode\", \"version\": 2, ", "", "", "\"x\": 1}", "version"},
      {"{\"format\": \"tracebot-episode\", \"version\": 1, \"seed\": 1, ", "", "", "\"x\": 1}",
       "task: missing"},
      {H, "\"states\": [[0, 1, 2, 3], [0.0125, 1, 2]], ", T, R,
       "states[1]: expected 4 numbers, got 3"},
      {H, "\"states\": [[0, 1, \"2\", 3]], ", T, R, "states[0][2]: expected a finite number"},
      {H, "\"states\": [[0, 1, 2, 3], 7], ", T, R, "states[1]: expected an array"},
      {H, "\"states\": {}, ", T, R, "states: expected an array"},
      {H, S, stepState, R, "steps[0].state: expected an integer in [0, 1]"},
      {H, S, stepSuccess, R, "steps[0].success: expected true or false"},
      {H, S, stepAction, R, "steps[0].action: expected 4 numbers, got 3"},
      {H, S, stepObs, R, "steps[0].obs.hand_pos: expected 3 numbers, got 2"},
      {H, S, stepObs2, R, "steps[0].obs.obj2_quat: expected 4 numbers, got 3"},
      {H, S, T, "\"result\": {\"success\": false, \"return\": 1, \"steps\": 1, \"fault\": 3}}",
       "result.fault: expected null or an object"},
      {H, S, T,
       "\"result\": {\"success\": false, \"return\": 1e999, \"steps\": 1, \"fault\": null}}",
       "result.return: expected a finite number"},
      {H, S, T, "\"result\": {\"success\": false, \"steps\": 1, \"fault\": null}}",
       "result.return: missing"},
      {"{\"format\": \"tracebot-episode\", \"version\": 1, \"task\": \"reach\", \"seed\": -1, ", "",
       "", "\"x\": 1}", "seed: expected an integer"},
      {"{\"format\": \"tracebot-episode\", \"version\": 1, \"task\": \"reach\", \"seed\": 1, "
       "\"horizon\": 10, \"mode\": \"relative\", \"hints\": \"none\", \"controller_hash\": \"h\", "
       "\"timestep\": 0.0025, \"frame_skip\": 5, "
       "\"sizes\": {\"nq\": -1, \"nv\": 1, \"na\": 0, \"nmocap\": 0, \"nu\": 1}, ",
       S, T, R, "sizes.nq: expected an integer in [0, 100000]"},
      {PERTURB_HEAD("3"), S, T, R, "perturb: expected null or an object"},
      {PERTURB_HEAD("{\"spec\": \"\", \"values\": {}}"), S, T, R,
       "perturb.spec: expected a non-empty string"},
      {PERTURB_HEAD("{\"spec\": \"mild\"}"), S, T, R, "perturb.values: missing"},
      {PERTURB_HEAD("{\"spec\": \"mild\", \"values\": [1]}"), S, T, R,
       "perturb.values: expected an object"},
      {PERTURB_HEAD("{\"spec\": \"mild\", \"values\": {\"friction\": \"x\"}}"), S, T, R,
       "perturb.values.friction: expected a finite number"},
      {"[1, 2, 3]", "", "", "", "expected a JSON object"},
      {"{\"format\": ", "", "", "", "not valid JSON"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char err[256] = "";
    simEpisode *ep =
        parse4(cases[i].head, cases[i].states, cases[i].steps, cases[i].result, err, sizeof(err));
    if (ep) {
      sim_freeEpisode(ep);
      fail_msg("case %zu accepted, expected \"%s\"", i, cases[i].expect);
    }
    if (!strstr(err, cases[i].expect)) {
      fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err, cases[i].expect);
    }
    assert_null(strchr(err, '\n'));
  }
}

static void parse_should_refuse_documents_over_the_size_cap(void **state) {
  (void)state;
  char err[256] = "";
  const char *tiny = "{}";
  /* the cap is checked before any byte is read */
  assert_null(sim_episodeParse(tiny, (size_t)SIM_EP_FILE_MAX + 1, err, sizeof(err)));
  assert_non_null(strstr(err, "larger than"));
}

static void load_should_name_the_file_when_it_is_missing_or_bad(void **state) {
  (void)state;
  char err[256] = "";
  assert_null(sim_episodeLoad("/nonexistent/ep.json", err, sizeof(err)));
  assert_non_null(strstr(err, "/nonexistent/ep.json"));
  char path[256];
  tmpPath(path, sizeof(path), "bad.json");
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("{\"format\": \"tracebot-episode\", \"version\": 1}", f);
  fclose(f);
  assert_null(sim_episodeLoad(path, err, sizeof(err)));
  assert_non_null(strstr(err, path));
  assert_non_null(strstr(err, "task: missing"));
  unlink(path);
}

/* ---- appends ---- */

static void append_should_reject_wrong_sizes_and_non_finite_values(void **state) {
  (void)state;
  simEpisodeInfo in = smallInfo();
  simEpisode *ep = sim_makeEpisode(&in, NULL, 0);
  double row[13] = {0};
  char err[256] = "";
  assert_int_equal(sim_episodeAppendState(ep, row, 12, err, sizeof(err)), TB_EINVAL);
  assert_non_null(strstr(err, "expected 13"));
  row[5] = NAN;
  assert_int_equal(sim_episodeAppendState(ep, row, 13, err, sizeof(err)), TB_EINVAL);
  assert_non_null(strstr(err, "value 5 is not finite"));
  assert_int_equal(ep->nstates, 0);
  row[5] = 0;
  assert_int_equal(sim_episodeAppendState(ep, row, 13, NULL, 0), 0);
  simEpisodeStep s;
  memset(&s, 0, sizeof(s));
  s.action[2] = INFINITY;
  assert_int_equal(sim_episodeAppendStep(ep, &s, err, sizeof(err)), TB_EINVAL);
  s.action[2] = 0;
  s.state = 1; /* only state 0 exists */
  assert_int_equal(sim_episodeAppendStep(ep, &s, err, sizeof(err)), TB_EINVAL);
  assert_non_null(strstr(err, "state index 1"));
  assert_int_equal(ep->nsteps, 0);
  assert_int_equal(sim_episodeSetResult(ep, 0, NAN, 0, NULL, NULL, 0, NULL, 0), TB_EINVAL);
  sim_freeEpisode(ep);
  /* bad sizes are refused at make time */
  in.sizes.nq = -3;
  assert_null(sim_makeEpisode(&in, err, sizeof(err)));
  assert_non_null(strstr(err, "sizes"));
}

static void appends_after_reserve_should_not_move_the_storage(void **state) {
  (void)state;
  simEpisodeInfo in = smallInfo();
  simEpisode *ep = sim_makeEpisode(&in, NULL, 0);
  assert_int_equal(sim_episodeReserve(ep, 201, 10, NULL, 0), 0);
  const double *states = ep->states;
  const simEpisodeStep *steps = ep->steps;
  double row[13] = {0};
  simEpisodeStep s;
  memset(&s, 0, sizeof(s));
  for (int k = 0; k < 201; k++) {
    row[0] = k;
    assert_int_equal(sim_episodeAppendState(ep, row, 13, NULL, 0), 0);
  }
  for (int t = 0; t < 10; t++) {
    assert_int_equal(sim_episodeAppendStep(ep, &s, NULL, 0), 0);
  }
  assert_ptr_equal(ep->states, states);
  assert_ptr_equal(ep->steps, steps);
  /* clear keeps the memory for the next episode */
  sim_episodeClear(ep);
  assert_int_equal(ep->nstates, 0);
  assert_ptr_equal(ep->states, states);
  sim_freeEpisode(ep);
}

static void save_should_fail_cleanly_on_an_unwritable_path(void **state) {
  (void)state;
  simEpisode *ep = makeSmall();
  char err[256] = "";
  assert_int_equal(sim_episodeSave(ep, "/nonexistent-dir/ep.json", err, sizeof(err)), TB_EIO);
  assert_non_null(strstr(err, "/nonexistent-dir/ep.json"));
  sim_freeEpisode(ep);
}

/* ---- queries ---- */

static void frame_count_should_follow_recorded_time_at_the_chosen_rate(void **state) {
  (void)state;
  simEpisode *ep = makeSmall(); /* 41 states over 0.5 s */
  assert_int_equal(sim_episodeFrameCount(ep, 30), 16);
  assert_int_equal(sim_episodeFrameCount(ep, 80), 41);
  assert_int_equal(sim_episodeFrameCount(ep, 10), 6);
  assert_int_equal(sim_episodeFrameState(ep, 30, 0), 0);
  assert_int_equal(sim_episodeFrameState(ep, 30, 15), 40);
  /* frame 1 at 30 fps is t = 0.0333: the last state at or before it is t = 0.025 */
  assert_int_equal(sim_episodeFrameState(ep, 30, 1), 2);
  assert_int_equal(sim_episodeFrameState(ep, 80, 7), 7);
  assert_int_equal(sim_episodeFrameState(ep, 30, 1000), 40);
  assert_int_equal(sim_episodeFrameCount(ep, 0), 0);
  sim_freeEpisode(ep);
}

static void step_at_should_give_the_macro_step_shown_at_a_state(void **state) {
  (void)state;
  simEpisode *ep = makeSmall(); /* steps start at states 0, 13, 26 */
  assert_int_equal(sim_episodeStepAt(ep, 0), 0);
  assert_int_equal(sim_episodeStepAt(ep, 12), 0);
  assert_int_equal(sim_episodeStepAt(ep, 13), 1);
  assert_int_equal(sim_episodeStepAt(ep, 40), 2);
  assert_null(sim_episodeState(ep, 41));
  assert_null(sim_episodeState(ep, -1));
  sim_freeEpisode(ep);
}

/* ---- with a real task: recording and exact restore ---- */

static void restore_should_reproduce_recorded_qpos_bit_for_bit(void **state) {
  (void)state;
  recorded rec;
  assert_int_equal(record_expert(ENV_PICK_PLACE, 4, 10, &rec), 0);
  simEpisode *ep = rec.ep;
  assert_true(ep->nsteps >= 1 && ep->nsteps <= 10);
  assert_true(ep->nstates > ep->nsteps);
  char path[256];
  char err[256] = "";
  tmpPath(path, sizeof(path), "pickplace.json");
  assert_int_equal(sim_episodeSave(ep, path, err, sizeof(err)), 0);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_true(st.st_size < 2 * 1024 * 1024); /* a 10-step episode stays well under 2 MB */
  simEpisode *back = sim_episodeLoad(path, err, sizeof(err));
  assert_non_null(back);
  /* a fresh world, set to every recorded state in a shuffled order */
  simWorld *w = sim_make(rec.m, err, sizeof(err));
  assert_non_null(w);
  const mjModel *m = rec.m;
  const mjData *d = sim_data(w);
  for (int i = 0; i < back->nstates; i++) {
    int k = (int)(((long)i * 7919) % back->nstates);
    if (sim_episodeRestore(back, k, w, err, sizeof(err)) != 0) {
      fail_msg("restore %d: %s", k, err);
    }
    const double *row = sim_episodeState(ep, k);
    assert_memory_equal(&d->time, row, sizeof(double));
    assert_memory_equal(d->qpos, row + 1, sizeof(double) * (size_t)m->nq);
    assert_memory_equal(d->qvel, row + 1 + m->nq, sizeof(double) * (size_t)m->nv);
    const double *mocap = row + 1 + m->nq + m->nv + m->na;
    assert_memory_equal(d->mocap_pos, mocap, sizeof(double) * 3 * (size_t)m->nmocap);
    assert_memory_equal(d->ctrl, mocap + 7 * m->nmocap, sizeof(double) * (size_t)m->nu);
  }
  sim_free(w);
  sim_freeEpisode(back);
  record_free(&rec);
  unlink(path);
}

static void restore_should_refuse_a_model_of_other_sizes(void **state) {
  (void)state;
  recorded rec;
  assert_int_equal(record_expert(ENV_REACH, 1, 2, &rec), 0);
  simEpisodeInfo in = smallInfo();
  simEpisode *other = sim_makeEpisode(&in, NULL, 0);
  double row[13] = {0};
  sim_episodeAppendState(other, row, 13, NULL, 0);
  char err[256] = "";
  assert_int_equal(sim_episodeRestore(other, 0, env_world(rec.task), err, sizeof(err)), TB_EINVAL);
  assert_non_null(strstr(err, "model sizes"));
  assert_int_equal(
      sim_episodeRestore(rec.ep, rec.ep->nstates, env_world(rec.task), err, sizeof(err)),
      TB_EINVAL);
  assert_non_null(strstr(err, "not in"));
  sim_freeEpisode(other);
  record_free(&rec);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(save_load_should_round_trip_every_double_bit_exact),
      cmocka_unit_test(save_should_write_null_fault_and_load_it_back),
      cmocka_unit_test(perturbation_should_round_trip_and_be_absent_when_none),
      cmocka_unit_test(parse_should_accept_the_minimal_valid_document),
      cmocka_unit_test(parse_should_reject_malformed_documents_naming_the_key),
      cmocka_unit_test(parse_should_refuse_documents_over_the_size_cap),
      cmocka_unit_test(load_should_name_the_file_when_it_is_missing_or_bad),
      cmocka_unit_test(append_should_reject_wrong_sizes_and_non_finite_values),
      cmocka_unit_test(appends_after_reserve_should_not_move_the_storage),
      cmocka_unit_test(save_should_fail_cleanly_on_an_unwritable_path),
      cmocka_unit_test(frame_count_should_follow_recorded_time_at_the_chosen_rate),
      cmocka_unit_test(step_at_should_give_the_macro_step_shown_at_a_state),
      cmocka_unit_test(restore_should_reproduce_recorded_qpos_bit_for_bit),
      cmocka_unit_test(restore_should_refuse_a_model_of_other_sizes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
