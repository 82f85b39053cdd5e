/* Fuzz target for agent/protocol.c: the input is a byte stream of records as a
 * (hostile) sandbox child or parent could write it; every header and payload goes
 * through the validating decoders. Replayed over corpus_protocol/ in every build. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t off = 0;
  while (size - off >= AG_REC_HEADER) {
    uint32_t type = 0;
    uint32_t len = 0;
    if (ag_getHeader(data + off, AG_SOURCE_LIMIT, &type, &len) != 0) {
      return 0;
    }
    off += AG_REC_HEADER;
    if (size - off < len) {
      return 0;
    }
    const uint8_t *p = data + off;
    obs_t obs;
    double action[4];
    uint64_t image = 0;
    agWireFault f;
    agCompileReq req;
    switch (type) {
      case AG_REC_OBS:
        if (ag_decodeObs(p, len, &obs) == 0 && !isfinite(obs.hand_pos[0])) {
          __builtin_trap();
        }
        break;
      case AG_REC_ACTION:
        (void)ag_decodeAction(p, len, action);
        break;
      case AG_REC_READY:
        (void)ag_decodeReady(p, len, &image);
        break;
      case AG_REC_FAULT:
        if (ag_decodeFault(p, len, &f) == 0) {
          for (size_t i = 0; f.message[i] != '\0'; i++) {
            if (f.message[i] < 0x20 || f.message[i] > 0x7e) {
              __builtin_trap(); /* messages must be printable */
            }
          }
        }
        break;
      case AG_REC_COMPILE:
        if (ag_decodeCompile(p, len, &req) == 0 && req.len > AG_SOURCE_LIMIT) {
          __builtin_trap();
        }
        break;
      default:
        __builtin_trap(); /* ag_getHeader accepted an unknown type */
    }
    off += len;
  }
  return 0;
}
