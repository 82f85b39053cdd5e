/* The net driver protocol codec (private to drivers/): encoding and strict decoding of the
 * line-delimited JSON requests and replies documented in drivers/DRIVERS.md. Pure: no I/O,
 * so the unit tests and a fuzzer call it directly.
 *
 * Encoders write one line with its '\n' and a NUL into buf and return its length
 * (without the NUL), or a negative TB_E* code (too long, non-finite number).
 * Decoders take one line without its '\n' (at most AG_NET_LINE_MAX bytes) and return 0 or
 * TB_EINVAL with a one-line message naming the bad field.
 */
#ifndef TRACEBOT_DRIVER_PROTO_H
#define TRACEBOT_DRIVER_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "tracebot/driver.h"

#define AG_NET_PROTOCOL 1    /* protocol version spoken in hello */
#define AG_NET_LINE_MAX 8192 /* bytes per line, '\n' included */
#define AG_NET_ERROR_MAX 256 /* bytes of an error message kept, NUL included */
#define AG_NET_NAME_MAX 64   /* bytes of a server name kept, NUL included */

typedef enum agNetOp {
  AG_NET_HELLO = 0,
  AG_NET_RESET,
  AG_NET_OBSERVE,
  AG_NET_COMMAND,
  AG_NET_STOP,
  AG_NET_BYE,
  AG_NET_NOPS
} agNetOp;

/* The op's name on the wire ("hello", ...), or NULL if out of range. */
const char *ag_netOpName(agNetOp op);

typedef struct agNetRequest {
  agNetOp op;
  int version;      /* hello */
  uint64_t seed;    /* reset */
  double target[3]; /* command */
  double gripper;   /* command */
} agNetRequest;

typedef struct agNetReply {
  int ok;
  char error[AG_NET_ERROR_MAX]; /* when !ok */
  int version;                  /* hello */
  char name[AG_NET_NAME_MAX];   /* hello */
  agDriverCaps caps;            /* hello */
  agDriverObs obs;              /* observe */
} agNetReply;

int ag_netEncodeRequest(const agNetRequest *req, char *buf, size_t bufsz);
int ag_netDecodeRequest(const char *line, size_t len, agNetRequest *req, char *err, size_t errsz);

/* Encodes the reply to a request of kind op: {"ok":false,"error":...} when !rep->ok,
 * otherwise the fields op carries (caps for hello, obs for observe). */
int ag_netEncodeReply(agNetOp op, const agNetReply *rep, char *buf, size_t bufsz);

/* Decodes and validates the reply to a request of kind op. A well-formed
 * {"ok":false,...} decodes with rep->ok = 0 and returns 0. */
int ag_netDecodeReply(agNetOp op, const char *line, size_t len, agNetReply *rep, char *err,
                      size_t errsz);

#endif /* TRACEBOT_DRIVER_PROTO_H */
