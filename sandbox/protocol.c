/* The sandbox pipe protocol: encoders and validating decoders; see protocol.h. */
#include "protocol.h"

#include <math.h>
#include <string.h>

static void putU32(uint8_t *p, uint32_t v) {
  memcpy(p, &v, 4);
}

static uint32_t getU32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static void putF64(uint8_t *p, double v) {
  memcpy(p, &v, 8);
}

static double getF64(const uint8_t *p) {
  double v;
  memcpy(&v, p, 8);
  return v;
}

void ag_putHeader(uint8_t *out, uint32_t type, uint32_t len) {
  putU32(out, type);
  putU32(out + 4, len);
}

int ag_getHeader(const uint8_t *in, size_t max_src, uint32_t *type, uint32_t *len) {
  *type = getU32(in);
  *len = getU32(in + 4);
  switch (*type) {
    case AG_REC_COMPILE:
      return *len >= AG_COMPILE_HEAD && *len - AG_COMPILE_HEAD <= max_src ? 0 : -1;
    case AG_REC_OBS:
      return *len == AG_OBS_PAYLOAD ? 0 : -1;
    case AG_REC_READY:
      return *len == AG_READY_PAYLOAD ? 0 : -1;
    case AG_REC_ACTION:
      return *len == AG_ACTION_PAYLOAD ? 0 : -1;
    case AG_REC_FAULT:
      return *len >= AG_FAULT_HEAD && *len <= AG_FAULT_HEAD + AG_FAULT_TEXT_MAX ? 0 : -1;
    default:
      return -1;
  }
}

/* The doubles of an observation in wire order: hand_pos, gripper_distance_apart, obj_pos,
 * obj_quat, goal_pos, obj2_pos, obj2_quat; then step and horizon as two u32. */
static void obsDoubles(const obs_t *o, double v[AG_OBS_DOUBLES]) {
  memcpy(v, o->hand_pos, 3 * sizeof(double));
  v[3] = o->gripper_distance_apart;
  memcpy(v + 4, o->obj_pos, 3 * sizeof(double));
  memcpy(v + 7, o->obj_quat, 4 * sizeof(double));
  memcpy(v + 11, o->goal_pos, 3 * sizeof(double));
  memcpy(v + 14, o->obj2_pos, 3 * sizeof(double));
  memcpy(v + 17, o->obj2_quat, 4 * sizeof(double));
}

size_t ag_encodeObs(uint8_t *out, const obs_t *obs) {
  double v[AG_OBS_DOUBLES];
  obsDoubles(obs, v);
  ag_putHeader(out, AG_REC_OBS, AG_OBS_PAYLOAD);
  for (unsigned i = 0; i < AG_OBS_DOUBLES; i++) {
    putF64(out + AG_REC_HEADER + 8 * i, v[i]);
  }
  putU32(out + AG_REC_HEADER + 8 * AG_OBS_DOUBLES, (uint32_t)obs->step);
  putU32(out + AG_REC_HEADER + 8 * AG_OBS_DOUBLES + 4, (uint32_t)obs->horizon);
  return AG_REC_HEADER + AG_OBS_PAYLOAD;
}

int ag_decodeObs(const uint8_t *p, uint32_t len, obs_t *obs) {
  if (len != AG_OBS_PAYLOAD) {
    return -1;
  }
  double v[AG_OBS_DOUBLES];
  for (unsigned i = 0; i < AG_OBS_DOUBLES; i++) {
    v[i] = getF64(p + 8 * i);
    if (!isfinite(v[i])) {
      return -1;
    }
  }
  memset(obs, 0, sizeof *obs);
  memcpy(obs->hand_pos, v, 3 * sizeof(double));
  obs->gripper_distance_apart = v[3];
  memcpy(obs->obj_pos, v + 4, 3 * sizeof(double));
  memcpy(obs->obj_quat, v + 7, 4 * sizeof(double));
  memcpy(obs->goal_pos, v + 11, 3 * sizeof(double));
  memcpy(obs->obj2_pos, v + 14, 3 * sizeof(double));
  memcpy(obs->obj2_quat, v + 17, 4 * sizeof(double));
  obs->step = (int)getU32(p + 8 * AG_OBS_DOUBLES);
  obs->horizon = (int)getU32(p + 8 * AG_OBS_DOUBLES + 4);
  return 0;
}

size_t ag_encodeAction(uint8_t *out, const double action[4]) {
  ag_putHeader(out, AG_REC_ACTION, AG_ACTION_PAYLOAD);
  for (int i = 0; i < 4; i++) {
    putF64(out + AG_REC_HEADER + 8 * i, action[i]);
  }
  return AG_REC_HEADER + AG_ACTION_PAYLOAD;
}

int ag_decodeAction(const uint8_t *p, uint32_t len, double action[4]) {
  if (len != AG_ACTION_PAYLOAD) {
    return -1;
  }
  for (int i = 0; i < 4; i++) {
    action[i] = getF64(p + 8 * i); /* non-finite values are the caller's to judge */
  }
  return 0;
}

size_t ag_encodeReady(uint8_t *out, uint64_t image_bytes) {
  ag_putHeader(out, AG_REC_READY, AG_READY_PAYLOAD);
  memcpy(out + AG_REC_HEADER, &image_bytes, 8);
  return AG_REC_HEADER + AG_READY_PAYLOAD;
}

int ag_decodeReady(const uint8_t *p, uint32_t len, uint64_t *image_bytes) {
  if (len != AG_READY_PAYLOAD) {
    return -1;
  }
  memcpy(image_bytes, p, 8);
  return 0;
}

size_t ag_encodeFault(uint8_t *out, uint32_t kind, int32_t aux, const char *message) {
  size_t n = 0;
  while (message != NULL && message[n] != '\0' && n < AG_FAULT_TEXT_MAX) {
    n++;
  }
  ag_putHeader(out, AG_REC_FAULT, (uint32_t)(AG_FAULT_HEAD + n));
  putU32(out + AG_REC_HEADER, kind);
  putU32(out + AG_REC_HEADER + 4, (uint32_t)aux);
  if (n > 0) {
    memcpy(out + AG_REC_HEADER + AG_FAULT_HEAD, message, n);
  }
  return AG_REC_HEADER + AG_FAULT_HEAD + n;
}

int ag_decodeFault(const uint8_t *p, uint32_t len, agWireFault *f) {
  if (len < AG_FAULT_HEAD || len > AG_FAULT_HEAD + AG_FAULT_TEXT_MAX) {
    return -1;
  }
  f->kind = getU32(p);
  f->aux = (int32_t)getU32(p + 4);
  size_t n = len - AG_FAULT_HEAD;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = p[AG_FAULT_HEAD + i];
    f->message[i] = (c < 0x20 || c > 0x7e) ? '?' : (char)c;
  }
  f->message[n] = '\0';
  return 0;
}

size_t ag_encodeCompileHead(uint8_t *out, uint32_t memory_mib, uint32_t cpu_s, size_t len) {
  ag_putHeader(out, AG_REC_COMPILE, (uint32_t)(AG_COMPILE_HEAD + len));
  putU32(out + AG_REC_HEADER, AG_PROTO_VERSION);
  putU32(out + AG_REC_HEADER + 4, memory_mib);
  putU32(out + AG_REC_HEADER + 8, cpu_s);
  putU32(out + AG_REC_HEADER + 12, 0);
  return AG_REC_HEADER + AG_COMPILE_HEAD;
}

int ag_decodeCompile(const uint8_t *p, uint32_t len, agCompileReq *req) {
  if (len < AG_COMPILE_HEAD) {
    return -1;
  }
  req->version = getU32(p);
  req->memory_mib = getU32(p + 4);
  req->cpu_s = getU32(p + 8);
  if (req->version != AG_PROTO_VERSION || req->memory_mib == 0 || req->cpu_s == 0) {
    return -1;
  }
  req->src = (const char *)(p + AG_COMPILE_HEAD);
  req->len = len - AG_COMPILE_HEAD;
  return 0;
}
