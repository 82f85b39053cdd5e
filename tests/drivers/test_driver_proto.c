/* Tests of agent/driver_proto.c: the net protocol codec (exact numbers, escaping, strict
 * validation of hostile input). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tracebot/drivers.h"
#include "driver_proto.h"

static char gLine[AG_NET_LINE_MAX + 1];

/* Encodes, checks the line shape, and returns its length without the '\n'. */
static size_t encodedReq(const agNetRequest *req) {
  int n = ag_netEncodeRequest(req, gLine, sizeof(gLine));
  assert_true(n > 1);
  assert_int_equal(gLine[n - 1], '\n');
  assert_null(memchr(gLine, '\n', (size_t)n - 1));
  return (size_t)n - 1;
}

static void request_should_round_trip_every_op_exactly(void **state) {
  (void)state;
  for (int op = 0; op < AG_NET_NOPS; op++) {
    agNetRequest req = {.op = (agNetOp)op,
                        .version = 1,
                        .seed = 9007199254740992ull,
                        .target = {0.1, 1.0 / 3.0, -1e-300},
                        .gripper = -0.7};
    size_t len = encodedReq(&req);
    agNetRequest back;
    char err[256] = "";
    assert_int_equal(ag_netDecodeRequest(gLine, len, &back, err, sizeof(err)), 0);
    assert_int_equal(back.op, op);
    if (op == AG_NET_HELLO) {
      assert_int_equal(back.version, 1);
    } else if (op == AG_NET_RESET) {
      assert_true(back.seed == req.seed);
    } else if (op == AG_NET_COMMAND) {
      assert_memory_equal(back.target, req.target, sizeof(req.target));
      assert_true(back.gripper == req.gripper);
    }
  }
}

static void request_encoder_should_refuse_non_finite_numbers(void **state) {
  (void)state;
  agNetRequest req = {.op = AG_NET_COMMAND, .target = {0, NAN, 0}, .gripper = 0};
  assert_true(ag_netEncodeRequest(&req, gLine, sizeof(gLine)) < 0);
  req.target[1] = 0;
  req.gripper = INFINITY;
  assert_true(ag_netEncodeRequest(&req, gLine, sizeof(gLine)) < 0);
  agNetRequest big = {.op = AG_NET_RESET, .seed = UINT64_MAX};
  assert_true(ag_netEncodeRequest(&big, gLine, sizeof(gLine)) < 0);
}

/* Decodes text as a request and expects the exact error message. */
static void rejectReq(const char *text, const char *want) {
  agNetRequest req;
  char err[256] = "";
  assert_int_equal(ag_netDecodeRequest(text, strlen(text), &req, err, sizeof(err)), TB_EINVAL);
  assert_string_equal(err, want);
}

static void request_decoder_should_name_what_is_wrong(void **state) {
  (void)state;
  rejectReq("hello", "request: not valid JSON");
  rejectReq("[1,2]", "request: not a JSON object");
  rejectReq("{\"op\":\"observe\"} x", "request: trailing bytes after the JSON object");
  rejectReq("{}", "request: missing \"op\"");
  rejectReq("{\"op\":7}", "request: \"op\" is not a string");
  rejectReq("{\"op\":\"fly\"}", "request: unknown op \"fly\"");
  rejectReq("{\"op\":\"reset\"}", "reset: missing \"seed\"");
  rejectReq("{\"op\":\"reset\",\"seed\":-1}",
            "reset: \"seed\" = -1 is not an integer in [0, 9007199254740992]");
  rejectReq("{\"op\":\"reset\",\"seed\":1.5}",
            "reset: \"seed\" = 1.5 is not an integer in [0, 9007199254740992]");
  rejectReq("{\"op\":\"command\",\"target\":[1,2],\"gripper\":0}",
            "command: \"target\" is not an array of 3 numbers");
  rejectReq("{\"op\":\"command\",\"target\":[1,null,2],\"gripper\":0}",
            "command: \"target\"[1] is not a finite number");
  rejectReq("{\"op\":\"command\",\"target\":[1,2,3]}", "command: missing \"gripper\"");
  rejectReq("{\"op\":\"command\",\"target\":[1,2,3],\"gripper\":1e999}",
            "command: \"gripper\" is not a finite number");
  rejectReq("{\"op\":\"hello\",\"version\":\"1\"}", "hello: \"version\" is not a finite number");
}

static void request_decoder_should_reject_nul_bytes_and_long_lines(void **state) {
  (void)state;
  agNetRequest req;
  char err[256] = "";
  const char nul[] = "{\"op\":\"stop\"}\0x";
  assert_int_equal(ag_netDecodeRequest(nul, sizeof(nul) - 1, &req, err, sizeof(err)), TB_EINVAL);
  assert_string_equal(err, "request: NUL byte in line");
  static char big[AG_NET_LINE_MAX + 16];
  memset(big, ' ', sizeof(big));
  assert_int_equal(ag_netDecodeRequest(big, sizeof(big), &req, err, sizeof(err)), TB_EINVAL);
  assert_non_null(strstr(err, "line length"));
  assert_int_equal(ag_netDecodeRequest(big, 0, &req, err, sizeof(err)), TB_EINVAL);
}

static void observe_reply_should_round_trip_exactly_with_escaped_hint(void **state) {
  (void)state;
  agNetReply rep;
  memset(&rep, 0, sizeof(rep));
  rep.ok = 1;
  agDriverObs *o = &rep.obs;
  double v = 0.1;
  for (int i = 0; i < 3; i++) {
    o->hand_pos[i] = v += 0.123456789012345678;
    o->obj_pos[i] = -v / 7.0;
    o->goal_pos[i] = v * 1e-17;
    o->obj2_pos[i] = v / 3.0;
  }
  for (int i = 0; i < 4; i++) {
    o->obj_quat[i] = sqrt((double)i + 0.5);
    o->obj2_quat[i] = -sqrt((double)i + 1.5);
  }
  o->gripper_distance_apart = 0.30000000000000004;
  o->reward = 9.999999999999998;
  o->success = 1;
  snprintf(o->hint, sizeof(o->hint), "say \"hi\"\\ then\nnewline\ttab \x01 caf\xc3\xa9");
  int n = ag_netEncodeReply(AG_NET_OBSERVE, &rep, gLine, sizeof(gLine));
  assert_true(n > 0);
  assert_null(memchr(gLine, '\n', (size_t)n - 1));

  agNetReply back;
  char err[256] = "";
  assert_int_equal(ag_netDecodeReply(AG_NET_OBSERVE, gLine, (size_t)n - 1, &back, err, sizeof(err)),
                   0);
  assert_true(back.ok);
  assert_memory_equal(&back.obs.hand_pos, o->hand_pos, sizeof(o->hand_pos));
  assert_memory_equal(&back.obs.obj_pos, o->obj_pos, sizeof(o->obj_pos));
  assert_memory_equal(&back.obs.goal_pos, o->goal_pos, sizeof(o->goal_pos));
  assert_memory_equal(&back.obs.obj_quat, o->obj_quat, sizeof(o->obj_quat));
  assert_memory_equal(&back.obs.obj2_pos, o->obj2_pos, sizeof(o->obj2_pos));
  assert_memory_equal(&back.obs.obj2_quat, o->obj2_quat, sizeof(o->obj2_quat));
  assert_true(back.obs.gripper_distance_apart == o->gripper_distance_apart);
  assert_true(back.obs.reward == o->reward);
  assert_int_equal(back.obs.success, 1);
  assert_string_equal(back.obs.hint, o->hint);
}

static void hello_reply_should_round_trip_caps(void **state) {
  (void)state;
  agNetReply rep;
  memset(&rep, 0, sizeof(rep));
  rep.ok = 1;
  rep.version = AG_NET_PROTOCOL;
  snprintf(rep.name, sizeof(rep.name), "sim");
  agDriverCaps caps = {{-0.5, 0.4, 0.05},
                       {0.5, 1.0, 0.5},
                       0.1,
                       0.8,
                       0.25,
                       AG_DRIVER_CAP_REWARD | AG_DRIVER_CAP_HINT};
  rep.caps = caps;
  int n = ag_netEncodeReply(AG_NET_HELLO, &rep, gLine, sizeof(gLine));
  assert_true(n > 0);
  agNetReply back;
  char err[256] = "";
  assert_int_equal(ag_netDecodeReply(AG_NET_HELLO, gLine, (size_t)n - 1, &back, err, sizeof(err)),
                   0);
  assert_int_equal(back.version, AG_NET_PROTOCOL);
  assert_string_equal(back.name, "sim");
  assert_memory_equal(back.caps.workspace_lo, caps.workspace_lo, sizeof(caps.workspace_lo));
  assert_memory_equal(back.caps.workspace_hi, caps.workspace_hi, sizeof(caps.workspace_hi));
  assert_true(back.caps.max_step == caps.max_step && back.caps.max_speed == caps.max_speed &&
              back.caps.step_duration == caps.step_duration);
  assert_int_equal(back.caps.flags, caps.flags);
}

static void error_reply_should_decode_as_not_ok_with_its_message(void **state) {
  (void)state;
  agNetReply rep;
  memset(&rep, 0, sizeof(rep));
  snprintf(rep.error, sizeof(rep.error), "estop pressed\non the pendant");
  int n = ag_netEncodeReply(AG_NET_COMMAND, &rep, gLine, sizeof(gLine));
  assert_true(n > 0);
  assert_string_equal(gLine, "{\"ok\":false,\"error\":\"estop pressed\\non the pendant\"}\n");
  agNetReply back;
  char err[256] = "";
  assert_int_equal(ag_netDecodeReply(AG_NET_COMMAND, gLine, (size_t)n - 1, &back, err, sizeof(err)),
                   0);
  assert_false(back.ok);
  assert_string_equal(back.error, "estop pressed on the pendant"); /* kept on one line */
}

static void rejectRep(agNetOp op, const char *text, const char *want) {
  agNetReply rep;
  char err[256] = "";
  assert_int_equal(ag_netDecodeReply(op, text, strlen(text), &rep, err, sizeof(err)), TB_EINVAL);
  assert_string_equal(err, want);
}

static void reply_decoder_should_name_what_is_wrong(void **state) {
  (void)state;
  rejectRep(AG_NET_RESET, "{\"ok\":1}", "reset reply: \"ok\" is not true or false");
  rejectRep(AG_NET_RESET, "{}", "reset reply: missing \"ok\"");
  rejectRep(AG_NET_RESET, "{\"ok\":false}", "reset reply: missing \"error\"");
  rejectRep(AG_NET_RESET, "\"ok\"", "reset reply: not a JSON object");
  rejectRep(AG_NET_HELLO, "{\"ok\":true,\"version\":1,\"name\":\"x\"}",
            "hello reply: \"caps\" is not an object");
  rejectRep(AG_NET_HELLO,
            "{\"ok\":true,\"version\":1,\"name\":\"x\",\"caps\":{\"workspace_lo\":[0,0,0],"
            "\"workspace_hi\":[1,1,1],\"max_step\":-1,\"max_speed\":0,\"step_duration\":0,"
            "\"reward\":true,\"success\":true,\"hint\":false}}",
            "hello reply caps: negative max_step, max_speed or step_duration");
  rejectRep(AG_NET_HELLO,
            "{\"ok\":true,\"version\":1,\"name\":\"x\",\"caps\":{\"workspace_lo\":[2,0,0],"
            "\"workspace_hi\":[1,1,1],\"max_step\":0,\"max_speed\":0,\"step_duration\":0,"
            "\"reward\":true,\"success\":true,\"hint\":false}}",
            "hello reply caps: workspace_lo[0] > workspace_hi[0]");
  rejectRep(AG_NET_OBSERVE, "{\"ok\":true}", "observe reply: missing \"obs\"");
  rejectRep(AG_NET_OBSERVE, "{\"ok\":true,\"obs\":{\"hand_pos\":[0,0]}}",
            "observe reply obs: \"hand_pos\" is not an array of 3 numbers");
  rejectRep(AG_NET_OBSERVE, "{\"ok\":true,\"obs\":{\"hand_pos\":[0,0,0]}}",
            "observe reply obs: missing \"gripper_distance_apart\"");
  rejectRep(AG_NET_OBSERVE,
            "{\"ok\":true,\"obs\":{\"hand_pos\":[0,0,0],\"gripper_distance_apart\":1,"
            "\"success\":\"yes\"}}",
            "observe reply obs: \"success\" is not true or false");
  rejectRep(AG_NET_OBSERVE,
            "{\"ok\":true,\"obs\":{\"hand_pos\":[0,0,0],\"gripper_distance_apart\":1,"
            "\"obj2_quat\":[1,0,0]}}",
            "observe reply obs: \"obj2_quat\" is not an array of 4 numbers");
}

static void observe_reply_should_accept_only_the_required_fields(void **state) {
  (void)state;
  const char *text =
      "{\"ok\":true,\"obs\":{\"hand_pos\":[0.1,0.2,0.3],\"gripper_distance_apart\":1,"
      "\"torque\":[1,2,3,4,5,6]},\"extra\":null}";
  agNetReply rep;
  char err[256] = "";
  assert_int_equal(ag_netDecodeReply(AG_NET_OBSERVE, text, strlen(text), &rep, err, sizeof(err)),
                   0);
  assert_true(rep.obs.hand_pos[2] == 0.3);
  assert_true(rep.obs.reward == 0.0);
  assert_true(rep.obs.obj2_pos[0] == 0.0 && rep.obs.obj2_quat[0] == 0.0);
  assert_string_equal(rep.obs.hint, "");
}

static void encoder_should_fail_rather_than_truncate(void **state) {
  (void)state;
  agNetReply rep;
  memset(&rep, 0, sizeof(rep));
  rep.ok = 1;
  char small[64];
  assert_true(ag_netEncodeReply(AG_NET_OBSERVE, &rep, small, sizeof(small)) < 0);
  assert_string_equal(small, "");
  /* The worst-case hint (every byte escaped as \u00XX) still fits one line */
  memset(rep.obs.hint, 0x01, sizeof(rep.obs.hint) - 1);
  rep.obs.hint[sizeof(rep.obs.hint) - 1] = '\0';
  assert_true(ag_netEncodeReply(AG_NET_OBSERVE, &rep, gLine, sizeof(gLine)) > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(request_should_round_trip_every_op_exactly),
      cmocka_unit_test(request_encoder_should_refuse_non_finite_numbers),
      cmocka_unit_test(request_decoder_should_name_what_is_wrong),
      cmocka_unit_test(request_decoder_should_reject_nul_bytes_and_long_lines),
      cmocka_unit_test(observe_reply_should_round_trip_exactly_with_escaped_hint),
      cmocka_unit_test(hello_reply_should_round_trip_caps),
      cmocka_unit_test(error_reply_should_decode_as_not_ok_with_its_message),
      cmocka_unit_test(reply_decoder_should_name_what_is_wrong),
      cmocka_unit_test(observe_reply_should_accept_only_the_required_fields),
      cmocka_unit_test(encoder_should_fail_rather_than_truncate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
