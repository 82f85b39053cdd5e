/* Tests of agent/protocol.c: record encoding and validating decoders. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "protocol.h"

static void obs_should_round_trip(void **state) {
  (void)state;
  obs_t in;
  memset(&in, 0, sizeof in);
  for (int i = 0; i < 3; i++) {
    in.hand_pos[i] = 0.1 * (i + 1);
    in.obj_pos[i] = -0.2 * (i + 1);
    in.goal_pos[i] = 0.3 + i;
  }
  in.obj_quat[0] = 1.0;
  for (int i = 0; i < 3; i++) {
    in.obj2_pos[i] = 0.05 * (i - 1);
  }
  for (int i = 0; i < 4; i++) {
    in.obj2_quat[i] = 0.5 * (i % 2 ? -1 : 1);
  }
  in.gripper_distance_apart = 0.42;
  in.step = 7;
  in.horizon = 10;
  uint8_t rec[AG_REC_HEADER + AG_OBS_PAYLOAD];
  assert_int_equal(ag_encodeObs(rec, &in), sizeof rec);
  uint32_t type = 0;
  uint32_t len = 0;
  assert_int_equal(ag_getHeader(rec, 0, &type, &len), 0);
  assert_int_equal(type, AG_REC_OBS);
  obs_t out;
  assert_int_equal(ag_decodeObs(rec + AG_REC_HEADER, len, &out), 0);
  assert_memory_equal(&in, &out, sizeof in);
}

static void obs_decoder_should_reject_non_finite_values(void **state) {
  (void)state;
  obs_t in;
  memset(&in, 0, sizeof in);
  in.goal_pos[2] = NAN;
  uint8_t rec[AG_REC_HEADER + AG_OBS_PAYLOAD];
  ag_encodeObs(rec, &in);
  obs_t out;
  assert_int_equal(ag_decodeObs(rec + AG_REC_HEADER, AG_OBS_PAYLOAD, &out), -1);
  in.goal_pos[2] = 0.0;
  in.obj2_quat[3] = INFINITY;
  ag_encodeObs(rec, &in);
  assert_int_equal(ag_decodeObs(rec + AG_REC_HEADER, AG_OBS_PAYLOAD, &out), -1);
  /* the first layout's record (14 doubles) is refused */
  assert_int_equal(ag_decodeObs(rec + AG_REC_HEADER, 14 * 8 + 8, &out), -1);
}

static void action_should_round_trip_including_nan(void **state) {
  (void)state;
  double in[4] = {0.5, -0.25, NAN, INFINITY};
  uint8_t rec[AG_REC_HEADER + AG_ACTION_PAYLOAD];
  ag_encodeAction(rec, in);
  double out[4];
  assert_int_equal(ag_decodeAction(rec + AG_REC_HEADER, AG_ACTION_PAYLOAD, out), 0);
  assert_true(out[0] == 0.5 && out[1] == -0.25 && isnan(out[2]) && isinf(out[3]));
  assert_int_equal(ag_decodeAction(rec + AG_REC_HEADER, 31, out), -1);
}

static void header_should_reject_unknown_types_and_bad_lengths(void **state) {
  (void)state;
  uint8_t h[AG_REC_HEADER];
  uint32_t type;
  uint32_t len;
  ag_putHeader(h, 99, 4);
  assert_int_equal(ag_getHeader(h, 0, &type, &len), -1);
  ag_putHeader(h, AG_REC_ACTION, 33);
  assert_int_equal(ag_getHeader(h, 0, &type, &len), -1);
  ag_putHeader(h, AG_REC_FAULT, AG_FAULT_HEAD + AG_FAULT_TEXT_MAX + 1);
  assert_int_equal(ag_getHeader(h, 0, &type, &len), -1);
  ag_putHeader(h, AG_REC_COMPILE, AG_COMPILE_HEAD + 101);
  assert_int_equal(ag_getHeader(h, 100, &type, &len), -1);
  assert_int_equal(ag_getHeader(h, 101, &type, &len), 0);
  ag_putHeader(h, 0xA5A5A5A5u, 0xA5A5A5A5u);
  assert_int_equal(ag_getHeader(h, AG_SOURCE_LIMIT, &type, &len), -1);
}

static void fault_should_truncate_and_sanitise_its_message(void **state) {
  (void)state;
  char longMsg[400];
  memset(longMsg, 'x', sizeof longMsg - 1);
  longMsg[sizeof longMsg - 1] = '\0';
  longMsg[3] = '\n';
  longMsg[4] = (char)0xff;
  uint8_t rec[AG_REC_MAX_REPLY];
  size_t n = ag_encodeFault(rec, AG_WIRE_COMPILE, 12, longMsg);
  assert_int_equal(n, AG_REC_MAX_REPLY);
  uint32_t type;
  uint32_t len;
  assert_int_equal(ag_getHeader(rec, 0, &type, &len), 0);
  agWireFault f;
  assert_int_equal(ag_decodeFault(rec + AG_REC_HEADER, len, &f), 0);
  assert_int_equal(f.kind, AG_WIRE_COMPILE);
  assert_int_equal(f.aux, 12);
  assert_int_equal(strlen(f.message), AG_FAULT_TEXT_MAX);
  assert_int_equal(f.message[3], '?');
  assert_int_equal(f.message[4], '?');
}

static void compile_request_should_round_trip(void **state) {
  (void)state;
  const char src[] = "void controller(const obs_t *o, double a[4]) {}";
  uint8_t buf[AG_REC_HEADER + AG_COMPILE_HEAD + sizeof src];
  size_t head = ag_encodeCompileHead(buf, 256, 11, sizeof src - 1);
  memcpy(buf + head, src, sizeof src - 1);
  uint32_t type;
  uint32_t len;
  assert_int_equal(ag_getHeader(buf, AG_SOURCE_LIMIT, &type, &len), 0);
  agCompileReq req;
  assert_int_equal(ag_decodeCompile(buf + AG_REC_HEADER, len, &req), 0);
  assert_int_equal(req.memory_mib, 256);
  assert_int_equal(req.cpu_s, 11);
  assert_int_equal(req.len, sizeof src - 1);
  assert_memory_equal(req.src, src, req.len);
  buf[AG_REC_HEADER] = 99; /* wrong version */
  assert_int_equal(ag_decodeCompile(buf + AG_REC_HEADER, len, &req), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(obs_should_round_trip),
      cmocka_unit_test(obs_decoder_should_reject_non_finite_values),
      cmocka_unit_test(action_should_round_trip_including_nan),
      cmocka_unit_test(header_should_reject_unknown_types_and_bad_lengths),
      cmocka_unit_test(fault_should_truncate_and_sanitise_its_message),
      cmocka_unit_test(compile_request_should_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
