/* libFuzzer target for the net protocol codec (agent/driver_proto.c): the first byte
 * picks the request kind a reply answers, the rest is one line decoded both as a request
 * and as that reply. Whatever decodes must re-encode and decode to the same values. Must
 * never crash or read out of bounds. The corpus replays as a test in every build. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "driver_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char gLine[AG_NET_LINE_MAX + 1];

static void checkRequest(const char *line, size_t len) {
  agNetRequest a;
  agNetRequest b;
  char err[256];
  if (ag_netDecodeRequest(line, len, &a, err, sizeof(err)) != 0) {
    return;
  }
  int n = ag_netEncodeRequest(&a, gLine, sizeof(gLine));
  if (n <= 0 || ag_netDecodeRequest(gLine, (size_t)n - 1, &b, err, sizeof(err)) != 0 ||
      a.op != b.op || a.version != b.version || a.seed != b.seed ||
      memcmp(a.target, b.target, sizeof(a.target)) != 0 || a.gripper != b.gripper) {
    __builtin_trap();
  }
}

static agNetReply gA;
static agNetReply gB;

static void checkReply(agNetOp op, const char *line, size_t len) {
  char err[256];
  if (ag_netDecodeReply(op, line, len, &gA, err, sizeof(err)) != 0) {
    return;
  }
  int n = ag_netEncodeReply(op, &gA, gLine, sizeof(gLine));
  if (n <= 0 || ag_netDecodeReply(op, gLine, (size_t)n - 1, &gB, err, sizeof(err)) != 0 ||
      gA.ok != gB.ok || strcmp(gA.error, gB.error) != 0) {
    __builtin_trap();
  }
  if (gA.ok && op == AG_NET_OBSERVE &&
      (memcmp(gA.obs.hand_pos, gB.obs.hand_pos, sizeof(gA.obs.hand_pos)) != 0 ||
       memcmp(gA.obs.obj2_quat, gB.obs.obj2_quat, sizeof(gA.obs.obj2_quat)) != 0 ||
       gA.obs.reward != gB.obs.reward || gA.obs.success != gB.obs.success ||
       strcmp(gA.obs.hint, gB.obs.hint) != 0)) {
    __builtin_trap();
  }
  if (gA.ok && op == AG_NET_HELLO &&
      (gA.version != gB.version || strcmp(gA.name, gB.name) != 0 ||
       gA.caps.flags != gB.caps.flags || gA.caps.max_step != gB.caps.max_step)) {
    __builtin_trap();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) {
    return 0;
  }
  agNetOp op = (agNetOp)(data[0] % AG_NET_NOPS);
  const char *line = (const char *)data + 1;
  checkRequest(line, size - 1);
  checkReply(op, line, size - 1);
  return 0;
}
