/* The net driver protocol codec: one JSON object per line, strict on input. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base.h"
#include "tracebot/drivers.h"
#include "tracebot/episode.h"
#include "driver_proto.h"

static const char *const kOpNames[AG_NET_NOPS] = {"hello",   "reset", "observe",
                                                  "command", "stop",  "bye"};

const char *ag_netOpName(agNetOp op) {
  return (int)op >= 0 && op < AG_NET_NOPS ? kOpNames[op] : NULL;
}

/* ---------------------------------------------------------------- writing */

/* A bounded output line; the first failure sticks. */
typedef struct writer {
  char *buf;
  size_t cap;
  size_t len;
  int rc;
} writer;

static void put(writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(writer *w, const char *fmt, ...) {
  if (w->rc != 0) {
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= w->cap - w->len) {
    w->rc = TB_EINVAL;
    return;
  }
  w->len += (size_t)n;
}

/* A number that reads back bit-exact (17 significant digits); non-finite fails. */
static void putNum(writer *w, double x) {
  if (!isfinite(x)) {
    w->rc = TB_EINVAL;
    return;
  }
  put(w, "%.17g", x);
}

static void putVec(writer *w, const double *v, int n) {
  put(w, "[");
  for (int i = 0; i < n; i++) {
    if (i > 0) {
      put(w, ",");
    }
    putNum(w, v[i]);
  }
  put(w, "]");
}

/* A JSON string; control characters escaped, bytes >= 0x80 passed through. */
static void putStr(writer *w, const char *s) {
  put(w, "\"");
  for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
    if (*p == '"' || *p == '\\') {
      put(w, "\\%c", *p);
    } else if (*p == '\n') {
      put(w, "\\n");
    } else if (*p < 0x20 || *p == 0x7f) {
      put(w, "\\u%04x", *p);
    } else {
      put(w, "%c", *p);
    }
  }
  put(w, "\"");
}

/* Ends the line; returns its length or the sticky error. */
static int finish(writer *w) {
  put(w, "\n");
  if (w->rc != 0) {
    if (w->cap > 0) {
      w->buf[0] = '\0';
    }
    return w->rc;
  }
  return (int)w->len;
}

int ag_netEncodeRequest(const agNetRequest *req, char *buf, size_t bufsz) {
  if (ag_netOpName(req->op) == NULL || bufsz == 0) {
    return TB_EINVAL;
  }
  size_t cap = bufsz < AG_NET_LINE_MAX + 1 ? bufsz : AG_NET_LINE_MAX + 1;
  writer w = {buf, cap, 0, 0};
  put(&w, "{\"op\":\"%s\"", ag_netOpName(req->op));
  switch (req->op) {
    case AG_NET_HELLO:
      put(&w, ",\"version\":%d", req->version);
      break;
    case AG_NET_RESET:
      if (req->seed > SIM_SEED_MAX) {
        return TB_EINVAL;
      }
      put(&w, ",\"seed\":%llu", (unsigned long long)req->seed);
      break;
    case AG_NET_COMMAND:
      put(&w, ",\"target\":");
      putVec(&w, req->target, 3);
      put(&w, ",\"gripper\":");
      putNum(&w, req->gripper);
      break;
    default:
      break;
  }
  put(&w, "}");
  return finish(&w);
}

int ag_netEncodeReply(agNetOp op, const agNetReply *rep, char *buf, size_t bufsz) {
  if (ag_netOpName(op) == NULL || bufsz == 0) {
    return TB_EINVAL;
  }
  size_t cap = bufsz < AG_NET_LINE_MAX + 1 ? bufsz : AG_NET_LINE_MAX + 1;
  writer w = {buf, cap, 0, 0};
  if (!rep->ok) {
    put(&w, "{\"ok\":false,\"error\":");
    putStr(&w, rep->error);
    put(&w, "}");
    return finish(&w);
  }
  put(&w, "{\"ok\":true");
  if (op == AG_NET_HELLO) {
    const agDriverCaps *c = &rep->caps;
    put(&w, ",\"version\":%d,\"name\":", rep->version);
    putStr(&w, rep->name);
    put(&w, ",\"caps\":{\"workspace_lo\":");
    putVec(&w, c->workspace_lo, 3);
    put(&w, ",\"workspace_hi\":");
    putVec(&w, c->workspace_hi, 3);
    put(&w, ",\"max_step\":");
    putNum(&w, c->max_step);
    put(&w, ",\"max_speed\":");
    putNum(&w, c->max_speed);
    put(&w, ",\"step_duration\":");
    putNum(&w, c->step_duration);
    put(&w, ",\"reward\":%s,\"success\":%s,\"hint\":%s}",
        (c->flags & AG_DRIVER_CAP_REWARD) ? "true" : "false",
        (c->flags & AG_DRIVER_CAP_SUCCESS) ? "true" : "false",
        (c->flags & AG_DRIVER_CAP_HINT) ? "true" : "false");
  } else if (op == AG_NET_OBSERVE) {
    const agDriverObs *o = &rep->obs;
    put(&w, ",\"obs\":{\"hand_pos\":");
    putVec(&w, o->hand_pos, 3);
    put(&w, ",\"gripper_distance_apart\":");
    putNum(&w, o->gripper_distance_apart);
    put(&w, ",\"obj_pos\":");
    putVec(&w, o->obj_pos, 3);
    put(&w, ",\"obj_quat\":");
    putVec(&w, o->obj_quat, 4);
    put(&w, ",\"goal_pos\":");
    putVec(&w, o->goal_pos, 3);
    put(&w, ",\"obj2_pos\":");
    putVec(&w, o->obj2_pos, 3);
    put(&w, ",\"obj2_quat\":");
    putVec(&w, o->obj2_quat, 4);
    put(&w, ",\"reward\":");
    putNum(&w, o->reward);
    put(&w, ",\"success\":%s,\"hint\":", o->success ? "true" : "false");
    char hint[AG_DRIVER_HINT_MAX];
    memcpy(hint, o->hint, sizeof(hint));
    hint[sizeof(hint) - 1] = '\0';
    putStr(&w, hint);
    put(&w, "}");
  }
  put(&w, "}");
  return finish(&w);
}

/* ---------------------------------------------------------------- reading */

/* Parses one line into a JSON object: bounded, no NUL bytes, nothing after it. */
static cJSON *parseLine(const char *line, size_t len, const char *what, char *err, size_t errsz) {
  if (len == 0 || len >= AG_NET_LINE_MAX) {
    tb_setErr(err, errsz, "%s: line length %zu not in 1..%d", what, len, AG_NET_LINE_MAX - 1);
    return NULL;
  }
  if (memchr(line, '\0', len) != NULL) {
    tb_setErr(err, errsz, "%s: NUL byte in line", what);
    return NULL;
  }
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(line, len, &end, 0);
  if (root == NULL) {
    tb_setErr(err, errsz, "%s: not valid JSON", what);
    return NULL;
  }
  for (const char *p = end; p != NULL && p < line + len; p++) {
    if (*p != ' ' && *p != '\t' && *p != '\r') {
      tb_setErr(err, errsz, "%s: trailing bytes after the JSON object", what);
      cJSON_Delete(root);
      return NULL;
    }
  }
  if (!cJSON_IsObject(root)) {
    tb_setErr(err, errsz, "%s: not a JSON object", what);
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}

/* The field key of obj in *it (NULL when missing): missing is an error when required. */
static int field(const cJSON *obj, const char *key, int required, const cJSON **it,
                 const char *what, char *err, size_t errsz) {
  *it = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (*it == NULL && required) {
    tb_setErr(err, errsz, "%s: missing \"%s\"", what, key);
    return TB_EINVAL;
  }
  return 0;
}

/* A finite number field; missing is an error when required, else leaves *out. */
static int getNum(const cJSON *obj, const char *key, int required, double *out, const char *what,
                  char *err, size_t errsz) {
  const cJSON *it = NULL;
  int rc = field(obj, key, required, &it, what, err, errsz);
  if (it == NULL) {
    return rc;
  }
  if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble)) {
    tb_setErr(err, errsz, "%s: \"%s\" is not a finite number", what, key);
    return TB_EINVAL;
  }
  *out = it->valuedouble;
  return 0;
}

/* An array of exactly n finite numbers. */
static int getVec(const cJSON *obj, const char *key, int n, int required, double *out,
                  const char *what, char *err, size_t errsz) {
  const cJSON *it = NULL;
  int rc = field(obj, key, required, &it, what, err, errsz);
  if (it == NULL) {
    return rc;
  }
  if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) != n) {
    tb_setErr(err, errsz, "%s: \"%s\" is not an array of %d numbers", what, key, n);
    return TB_EINVAL;
  }
  double v[4];
  int i = 0;
  for (const cJSON *e = it->child; e != NULL && i < n; e = e->next, i++) {
    if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble)) {
      tb_setErr(err, errsz, "%s: \"%s\"[%d] is not a finite number", what, key, i);
      return TB_EINVAL;
    }
    v[i] = e->valuedouble;
  }
  memcpy(out, v, sizeof(double) * (size_t)n);
  return 0;
}

/* A boolean field (missing: *out unchanged unless required). */
static int getBool(const cJSON *obj, const char *key, int required, int *out, const char *what,
                   char *err, size_t errsz) {
  const cJSON *it = NULL;
  int rc = field(obj, key, required, &it, what, err, errsz);
  if (it == NULL) {
    return rc;
  }
  if (!cJSON_IsBool(it)) {
    tb_setErr(err, errsz, "%s: \"%s\" is not true or false", what, key);
    return TB_EINVAL;
  }
  *out = cJSON_IsTrue(it) ? 1 : 0;
  return 0;
}

/* A string field copied into out[outsz] (truncated); missing leaves out. */
static int getStr(const cJSON *obj, const char *key, int required, char *out, size_t outsz,
                  const char *what, char *err, size_t errsz) {
  const cJSON *it = NULL;
  int rc = field(obj, key, required, &it, what, err, errsz);
  if (it == NULL) {
    return rc;
  }
  if (!cJSON_IsString(it) || it->valuestring == NULL) {
    tb_setErr(err, errsz, "%s: \"%s\" is not a string", what, key);
    return TB_EINVAL;
  }
  snprintf(out, outsz, "%s", it->valuestring);
  return 0;
}

/* An integer-valued number in [lo, hi]. */
static int getInt(const cJSON *obj, const char *key, double lo, double hi, double *out,
                  const char *what, char *err, size_t errsz) {
  double x = 0.0;
  if (getNum(obj, key, 1, &x, what, err, errsz) != 0) {
    return TB_EINVAL;
  }
  if (x != floor(x) || x < lo || x > hi) {
    tb_setErr(err, errsz, "%s: \"%s\" = %.17g is not an integer in [%.0f, %.0f]", what, key, x, lo,
              hi);
    return TB_EINVAL;
  }
  *out = x;
  return 0;
}

int ag_netDecodeRequest(const char *line, size_t len, agNetRequest *req, char *err, size_t errsz) {
  memset(req, 0, sizeof(*req));
  cJSON *root = parseLine(line, len, "request", err, errsz);
  if (root == NULL) {
    return TB_EINVAL;
  }
  int rc = TB_EINVAL;
  char opname[16] = "";
  if (getStr(root, "op", 1, opname, sizeof(opname), "request", err, errsz) != 0) {
    goto done;
  }
  int op = 0;
  while (op < AG_NET_NOPS && strcmp(opname, kOpNames[op]) != 0) {
    op++;
  }
  if (op == AG_NET_NOPS) {
    tb_setErr(err, errsz, "request: unknown op \"%s\"", opname);
    goto done;
  }
  req->op = (agNetOp)op;
  double x = 0.0;
  switch (req->op) {
    case AG_NET_HELLO:
      if (getInt(root, "version", 0, 1e6, &x, "hello", err, errsz) != 0) {
        goto done;
      }
      req->version = (int)x;
      break;
    case AG_NET_RESET:
      if (getInt(root, "seed", 0, (double)SIM_SEED_MAX, &x, "reset", err, errsz) != 0) {
        goto done;
      }
      req->seed = (uint64_t)x;
      break;
    case AG_NET_COMMAND:
      if (getVec(root, "target", 3, 1, req->target, "command", err, errsz) != 0 ||
          getNum(root, "gripper", 1, &req->gripper, "command", err, errsz) != 0) {
        goto done;
      }
      break;
    default:
      break;
  }
  rc = 0;
done:
  cJSON_Delete(root);
  return rc;
}

/* The capabilities object of a hello reply. */
static int decodeCaps(const cJSON *c, agDriverCaps *caps, char *err, size_t errsz) {
  const char *w = "hello reply caps";
  if (!cJSON_IsObject(c)) {
    tb_setErr(err, errsz, "hello reply: \"caps\" is not an object");
    return TB_EINVAL;
  }
  int reward = 0;
  int success = 0;
  int hint = 0;
  if (getVec(c, "workspace_lo", 3, 1, caps->workspace_lo, w, err, errsz) != 0 ||
      getVec(c, "workspace_hi", 3, 1, caps->workspace_hi, w, err, errsz) != 0 ||
      getNum(c, "max_step", 1, &caps->max_step, w, err, errsz) != 0 ||
      getNum(c, "max_speed", 1, &caps->max_speed, w, err, errsz) != 0 ||
      getNum(c, "step_duration", 1, &caps->step_duration, w, err, errsz) != 0 ||
      getBool(c, "reward", 1, &reward, w, err, errsz) != 0 ||
      getBool(c, "success", 1, &success, w, err, errsz) != 0 ||
      getBool(c, "hint", 1, &hint, w, err, errsz) != 0) {
    return TB_EINVAL;
  }
  for (int i = 0; i < 3; i++) {
    if (caps->workspace_lo[i] > caps->workspace_hi[i]) {
      tb_setErr(err, errsz, "%s: workspace_lo[%d] > workspace_hi[%d]", w, i, i);
      return TB_EINVAL;
    }
  }
  if (caps->max_step < 0.0 || caps->max_speed < 0.0 || caps->step_duration < 0.0) {
    tb_setErr(err, errsz, "%s: negative max_step, max_speed or step_duration", w);
    return TB_EINVAL;
  }
  caps->flags = (reward ? AG_DRIVER_CAP_REWARD : 0u) | (success ? AG_DRIVER_CAP_SUCCESS : 0u) |
                (hint ? AG_DRIVER_CAP_HINT : 0u);
  return 0;
}

/* The observation object of an observe reply: hand_pos and gripper_distance_apart are
 * required, the rest optional (zero when absent). */
static int decodeObs(const cJSON *o, agDriverObs *obs, char *err, size_t errsz) {
  const char *w = "observe reply obs";
  if (!cJSON_IsObject(o)) {
    tb_setErr(err, errsz, "observe reply: \"obs\" is not an object");
    return TB_EINVAL;
  }
  if (getVec(o, "hand_pos", 3, 1, obs->hand_pos, w, err, errsz) != 0 ||
      getNum(o, "gripper_distance_apart", 1, &obs->gripper_distance_apart, w, err, errsz) != 0 ||
      getVec(o, "obj_pos", 3, 0, obs->obj_pos, w, err, errsz) != 0 ||
      getVec(o, "obj_quat", 4, 0, obs->obj_quat, w, err, errsz) != 0 ||
      getVec(o, "goal_pos", 3, 0, obs->goal_pos, w, err, errsz) != 0 ||
      getVec(o, "obj2_pos", 3, 0, obs->obj2_pos, w, err, errsz) != 0 ||
      getVec(o, "obj2_quat", 4, 0, obs->obj2_quat, w, err, errsz) != 0 ||
      getNum(o, "reward", 0, &obs->reward, w, err, errsz) != 0 ||
      getBool(o, "success", 0, &obs->success, w, err, errsz) != 0 ||
      getStr(o, "hint", 0, obs->hint, sizeof(obs->hint), w, err, errsz) != 0) {
    return TB_EINVAL;
  }
  return 0;
}

int ag_netDecodeReply(agNetOp op, const char *line, size_t len, agNetReply *rep, char *err,
                      size_t errsz) {
  memset(rep, 0, sizeof(*rep));
  char what[32];
  snprintf(what, sizeof(what), "%s reply", ag_netOpName(op) != NULL ? ag_netOpName(op) : "?");
  cJSON *root = parseLine(line, len, what, err, errsz);
  if (root == NULL) {
    return TB_EINVAL;
  }
  int rc = TB_EINVAL;
  if (getBool(root, "ok", 1, &rep->ok, what, err, errsz) != 0) {
    goto done;
  }
  if (!rep->ok) {
    if (getStr(root, "error", 1, rep->error, sizeof(rep->error), what, err, errsz) != 0) {
      goto done;
    }
    for (char *p = rep->error; *p != '\0'; p++) {
      if ((unsigned char)*p < 0x20) {
        *p = ' ';
      }
    }
    rc = 0;
    goto done;
  }
  if (op == AG_NET_HELLO) {
    double v = 0.0;
    if (getInt(root, "version", 0, 1e6, &v, what, err, errsz) != 0 ||
        getStr(root, "name", 1, rep->name, sizeof(rep->name), what, err, errsz) != 0 ||
        decodeCaps(cJSON_GetObjectItemCaseSensitive(root, "caps"), &rep->caps, err, errsz) != 0) {
      goto done;
    }
    rep->version = (int)v;
  } else if (op == AG_NET_OBSERVE) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "obs");
    if (o == NULL) {
      tb_setErr(err, errsz, "%s: missing \"obs\"", what);
      goto done;
    }
    if (decodeObs(o, &rep->obs, err, errsz) != 0) {
      goto done;
    }
  }
  rc = 0;
done:
  cJSON_Delete(root);
  return rc;
}
