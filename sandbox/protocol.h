/* The sandbox pipe protocol (private to sandbox/): typed, length-prefixed records on
 * one AF_UNIX stream socket (fd 3 in the child).
 *
 * A record is a header {u32 type, u32 len} followed by len payload bytes, all in
 * host byte order (both ends run on this machine). Each type has a fixed payload
 * size or a maximum; a reader rejects anything else. Encoders and decoders are pure
 * functions (no I/O), which is what the unit tests and fuzzers call.
 *
 * Parent -> child:  COMPILE {u32 version, u32 memory_mib, u32 cpu_s, u32 reserved,
 *                            source bytes}            once, first
 *                   OBS     {obs_t as 21 f64 + 2 i32} once per macro-step
 * Child -> parent:  READY   {u64 image_bytes}         after a successful compile
 *                   ACTION  {4 f64}                   reply to OBS
 *                   FAULT   {u32 kind, i32 aux, message}  compile/memory/syscall
 *                           (aux: source line for compile, syscall number for syscall)
 * Types 64 and up are reserved for later record kinds (e.g. episode recording).
 */
#ifndef TRACEBOT_SANDBOX_PROTOCOL_H
#define TRACEBOT_SANDBOX_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "tracebot/controller.h"

#define AG_PROTO_VERSION 2u
#define AG_REC_HEADER 8u
#define AG_FD 3                        /* the child's end of the socket */
#define AG_SOURCE_LIMIT (256u * 1024u) /* == AG_SOURCE_MAX of agent.h */

enum {
  AG_REC_COMPILE = 1,
  AG_REC_OBS = 2,
  AG_REC_READY = 16,
  AG_REC_ACTION = 17,
  AG_REC_FAULT = 18
};

/* Fault kinds on the wire; equal to agFaultType's values (checked in rollout.c). */
enum { AG_WIRE_COMPILE = 1, AG_WIRE_MEMORY = 4, AG_WIRE_SYSCALL = 5 };

#define AG_COMPILE_HEAD 16u                       /* COMPILE payload before the source */
#define AG_OBS_DOUBLES 21u                        /* the doubles of obs_t, wire order */
#define AG_OBS_PAYLOAD (AG_OBS_DOUBLES * 8u + 8u) /* 176 */
#define AG_READY_PAYLOAD 8u
#define AG_ACTION_PAYLOAD 32u
#define AG_FAULT_HEAD 8u
#define AG_FAULT_TEXT_MAX 200u /* message bytes in a FAULT record */
#define AG_REC_MAX_REPLY (AG_REC_HEADER + AG_FAULT_HEAD + AG_FAULT_TEXT_MAX)

typedef struct agCompileReq {
  uint32_t version;
  uint32_t memory_mib;
  uint32_t cpu_s;
  const char *src; /* points into the decoded buffer */
  size_t len;
} agCompileReq;

typedef struct agWireFault {
  uint32_t kind;
  int32_t aux;
  char message[AG_FAULT_TEXT_MAX + 1]; /* printable ASCII, NUL-terminated */
} agWireFault;

/* Writes a record header into out[0..8). */
void ag_putHeader(uint8_t *out, uint32_t type, uint32_t len);

/* Reads a header. Returns 0, or -1 when the type is unknown or len is not allowed
 * for the type (max_src bounds a COMPILE record's source). */
int ag_getHeader(const uint8_t *in, size_t max_src, uint32_t *type, uint32_t *len);

/* Encoders: write a whole record (header included) into out and return its size.
 * out must hold AG_REC_HEADER + the payload size. */
size_t ag_encodeObs(uint8_t *out, const obs_t *obs);
size_t ag_encodeAction(uint8_t *out, const double action[4]);
size_t ag_encodeReady(uint8_t *out, uint64_t image_bytes);
size_t ag_encodeFault(uint8_t *out, uint32_t kind, int32_t aux, const char *message);
/* The COMPILE header part (AG_REC_HEADER + AG_COMPILE_HEAD bytes); the source
 * bytes follow it on the wire. */
size_t ag_encodeCompileHead(uint8_t *out, uint32_t memory_mib, uint32_t cpu_s, size_t len);

/* Decoders of a payload (len bytes, as announced by a valid header). Return 0, or -1
 * for a malformed payload (wrong size, version, non-finite number for OBS). */
int ag_decodeCompile(const uint8_t *p, uint32_t len, agCompileReq *req);
int ag_decodeObs(const uint8_t *p, uint32_t len, obs_t *obs);
int ag_decodeAction(const uint8_t *p, uint32_t len, double action[4]);
int ag_decodeReady(const uint8_t *p, uint32_t len, uint64_t *image_bytes);
int ag_decodeFault(const uint8_t *p, uint32_t len, agWireFault *f);

#endif /* TRACEBOT_SANDBOX_PROTOCOL_H */
