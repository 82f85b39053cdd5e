/* episode.c: the episode recording (see episode.h) and its EP.json form. */
#include "tracebot/episode.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base.h"
#include "tracebot/sim.h"

/* ---- small helpers ---- */

static void copyText(char *dst, size_t cap, const char *src) {
  if (!src) {
    src = "";
  }
  size_t n = strlen(src);
  if (n >= cap) {
    n = cap - 1;
  }
  memcpy(dst, src, n);
  dst[n] = '\0';
}

static int allFinite(const double *v, int n) {
  for (int i = 0; i < n; i++) {
    if (!isfinite(v[i])) {
      return i;
    }
  }
  return -1;
}

int sim_episodeRowSize(const simEpisodeSizes *s) {
  if (!s) {
    return -1;
  }
  const int dims[5] = {s->nq, s->nv, s->na, s->nmocap, s->nu};
  for (int i = 0; i < 5; i++) {
    if (dims[i] < 0 || dims[i] > SIM_EP_MAX_DIM) {
      return -1;
    }
  }
  return 1 + s->nq + s->nv + s->na + 7 * s->nmocap + s->nu;
}

/* ---- lifecycle ---- */

simEpisode *sim_makeEpisode(const simEpisodeInfo *info, char *err, size_t errsz) {
  if (!info) {
    tb_setErr(err, errsz, "episode: info is NULL");
    return NULL;
  }
  int row = sim_episodeRowSize(&info->sizes);
  if (row < 0) {
    tb_setErr(err, errsz, "episode: sizes out of range (each in [0, %d])", SIM_EP_MAX_DIM);
    return NULL;
  }
  if (!isfinite(info->timestep) || info->timestep <= 0 || info->frame_skip < 1 ||
      info->horizon < 0 || info->seed > SIM_SEED_MAX) {
    tb_setErr(err, errsz, "episode: bad timestep, frame_skip, horizon or seed");
    return NULL;
  }
  int badParam = info->nperturb < 0 || info->nperturb > SIM_EP_MAX_PARAMS;
  for (int i = 0; !badParam && i < info->nperturb; i++) {
    badParam = !isfinite(info->perturb_values[i].value);
  }
  if (badParam) {
    tb_setErr(err, errsz, "episode: bad perturbation values (at most %d, finite)",
              SIM_EP_MAX_PARAMS);
    return NULL;
  }
  simEpisode *ep = calloc(1, sizeof(*ep));
  if (!ep) {
    tb_setErr(err, errsz, "episode: out of memory");
    return NULL;
  }
  ep->info = *info;
  /* force NUL termination of every text field */
  ep->info.task[SIM_EP_TEXT_MAX - 1] = '\0';
  ep->info.mode[SIM_EP_TEXT_MAX - 1] = '\0';
  ep->info.hints[SIM_EP_TEXT_MAX - 1] = '\0';
  ep->info.controller_hash[SIM_EP_TEXT_MAX - 1] = '\0';
  ep->info.perturb[SIM_EP_PERTURB_MAX - 1] = '\0';
  for (int i = 0; i < ep->info.nperturb; i++) {
    ep->info.perturb_values[i].name[SIM_EP_TEXT_MAX - 1] = '\0';
  }
  ep->row = row;
  ep->scratch = calloc((size_t)row + (size_t)info->sizes.nv, sizeof(double));
  if (!ep->scratch) {
    free(ep);
    tb_setErr(err, errsz, "episode: out of memory");
    return NULL;
  }
  return ep;
}

void sim_freeEpisode(simEpisode *ep) {
  if (!ep) {
    return;
  }
  free(ep->states);
  free(ep->steps);
  free(ep->scratch);
  free(ep);
}

void sim_episodeClear(simEpisode *ep) {
  if (!ep) {
    return;
  }
  ep->nstates = 0;
  ep->nsteps = 0;
  memset(&ep->result, 0, sizeof(ep->result));
}

static int growStates(simEpisode *ep, int want) {
  if (want <= ep->cap_states) {
    return 0;
  }
  if (want > SIM_EP_MAX_STATES) {
    return TB_ENOMEM;
  }
  int cap = ep->cap_states ? ep->cap_states : 64;
  while (cap < want) {
    cap = cap > SIM_EP_MAX_STATES / 2 ? SIM_EP_MAX_STATES : cap * 2;
  }
  size_t rowBytes = (size_t)(ep->row > 0 ? ep->row : 1) * sizeof(double);
  double *p = realloc(ep->states, (size_t)cap * rowBytes);
  if (!p) {
    return TB_ENOMEM;
  }
  ep->states = p;
  ep->cap_states = cap;
  return 0;
}

static int growSteps(simEpisode *ep, int want) {
  if (want <= ep->cap_steps) {
    return 0;
  }
  if (want > SIM_EP_MAX_STEPS) {
    return TB_ENOMEM;
  }
  int cap = ep->cap_steps ? ep->cap_steps : 16;
  while (cap < want) {
    cap = cap > SIM_EP_MAX_STEPS / 2 ? SIM_EP_MAX_STEPS : cap * 2;
  }
  simEpisodeStep *p = realloc(ep->steps, (size_t)cap * sizeof(*p));
  if (!p) {
    return TB_ENOMEM;
  }
  ep->steps = p;
  ep->cap_steps = cap;
  return 0;
}

int sim_episodeReserve(simEpisode *ep, int nstates, int nsteps, char *err, size_t errsz) {
  if (!ep || nstates < 0 || nsteps < 0) {
    tb_setErr(err, errsz, "episode reserve: bad argument");
    return TB_EINVAL;
  }
  if (growStates(ep, nstates) != 0 || growSteps(ep, nsteps) != 0) {
    tb_setErr(err, errsz, "episode reserve: cannot hold %d states and %d steps", nstates, nsteps);
    return TB_ENOMEM;
  }
  return 0;
}

/* ---- appends ---- */

int sim_episodeAppendState(simEpisode *ep, const double *state, size_t n, char *err, size_t errsz) {
  if (!ep || !state) {
    tb_setErr(err, errsz, "episode append state: NULL argument");
    return TB_EINVAL;
  }
  if (n != (size_t)ep->row) {
    tb_setErr(err, errsz, "episode append state: %zu doubles, expected %d", n, ep->row);
    return TB_EINVAL;
  }
  int bad = allFinite(state, ep->row);
  if (bad >= 0) {
    tb_setErr(err, errsz, "episode append state %d: value %d is not finite", ep->nstates, bad);
    return TB_EINVAL;
  }
  if (growStates(ep, ep->nstates + 1) != 0) {
    tb_setErr(err, errsz, "episode append state: cannot grow past %d states", ep->nstates);
    return TB_ENOMEM;
  }
  memcpy(ep->states + (size_t)ep->nstates * (size_t)ep->row, state,
         (size_t)ep->row * sizeof(double));
  ep->nstates++;
  return 0;
}

static int stepFinite(const simEpisodeStep *s) {
  const simEpisodeObs *o = &s->obs;
  return allFinite(o->hand_pos, 3) < 0 && isfinite(o->gripper_distance_apart) &&
         allFinite(o->obj_pos, 3) < 0 && allFinite(o->obj_quat, 4) < 0 &&
         allFinite(o->goal_pos, 3) < 0 && allFinite(o->obj2_pos, 3) < 0 &&
         allFinite(o->obj2_quat, 4) < 0 && allFinite(s->action, 4) < 0 && isfinite(s->reward);
}

int sim_episodeAppendStep(simEpisode *ep, const simEpisodeStep *step, char *err, size_t errsz) {
  if (!ep || !step) {
    tb_setErr(err, errsz, "episode append step: NULL argument");
    return TB_EINVAL;
  }
  if (!stepFinite(step)) {
    tb_setErr(err, errsz, "episode append step %d: non-finite observation, action or reward",
              ep->nsteps);
    return TB_EINVAL;
  }
  if (step->state < 0 || step->state >= ep->nstates || step->env_steps < 0) {
    tb_setErr(err, errsz, "episode append step %d: state index %d not in [0, %d)", ep->nsteps,
              step->state, ep->nstates);
    return TB_EINVAL;
  }
  if (growSteps(ep, ep->nsteps + 1) != 0) {
    tb_setErr(err, errsz, "episode append step: cannot grow past %d steps", ep->nsteps);
    return TB_ENOMEM;
  }
  simEpisodeStep *dst = &ep->steps[ep->nsteps];
  *dst = *step;
  dst->hint[SIM_EP_HINT_MAX - 1] = '\0';
  dst->success = step->success ? 1 : 0;
  ep->nsteps++;
  return 0;
}

int sim_episodeSetResult(simEpisode *ep, int success, double ret, int steps, const char *fault_kind,
                         const char *fault_message, int fault_step, char *err, size_t errsz) {
  if (!ep || !isfinite(ret)) {
    tb_setErr(err, errsz, "episode result: NULL episode or non-finite return");
    return TB_EINVAL;
  }
  simEpisodeResult *r = &ep->result;
  memset(r, 0, sizeof(*r));
  r->success = success ? 1 : 0;
  r->ret = ret;
  r->steps = steps;
  if (fault_kind) {
    r->has_fault = 1;
    copyText(r->fault_kind, sizeof(r->fault_kind), fault_kind);
    copyText(r->fault_message, sizeof(r->fault_message), fault_message);
    r->fault_step = fault_step;
  }
  return 0;
}

/* ---- queries ---- */

const double *sim_episodeState(const simEpisode *ep, int k) {
  if (!ep || k < 0 || k >= ep->nstates) {
    return NULL;
  }
  return ep->states + (size_t)k * (size_t)ep->row;
}

int sim_episodeStepAt(const simEpisode *ep, int k) {
  int found = -1;
  if (!ep) {
    return -1;
  }
  for (int i = 0; i < ep->nsteps; i++) {
    if (ep->steps[i].state <= k) {
      found = i;
    }
  }
  return found;
}

static double stateTime(const simEpisode *ep, int k) {
  return ep->states[(size_t)k * (size_t)ep->row];
}

int sim_episodeFrameCount(const simEpisode *ep, double fps) {
  if (!ep || ep->nstates == 0 || !(fps > 0) || !isfinite(fps)) {
    return 0;
  }
  double duration = stateTime(ep, ep->nstates - 1) - stateTime(ep, 0);
  if (!(duration > 0)) {
    return 1;
  }
  /* a small tolerance so that 0.5 s at 30 fps is 16 frames, not 15 */
  double frames = floor(duration * fps + 1e-9);
  if (frames > SIM_EP_MAX_STATES) {
    frames = SIM_EP_MAX_STATES;
  }
  return (int)frames + 1;
}

int sim_episodeFrameState(const simEpisode *ep, double fps, int i) {
  if (!ep || ep->nstates == 0 || !(fps > 0)) {
    return -1;
  }
  double t = stateTime(ep, 0) + (double)i / fps + 1e-9;
  /* binary search for the last state with time <= t */
  int lo = 0;
  int hi = ep->nstates - 1;
  if (stateTime(ep, hi) <= t) {
    return hi;
  }
  while (lo < hi) {
    int mid = lo + (hi - lo + 1) / 2;
    if (stateTime(ep, mid) <= t) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

/* ---- writing ---- */

/* Writes s as a JSON string, valid UTF-8 under the one rule (tb_utf8Sanitize: a byte that
 * is not part of a UTF-8 character is U+FFFD). */
static void putString(FILE *f, const char *s) {
  char *fixed = tb_utf8Valid(s, strlen(s)) ? NULL : tb_utf8Dup(s, strlen(s), NULL);
  if (fixed != NULL) {
    s = fixed;
  }
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
      case '"':
        fputs("\\\"", f);
        break;
      case '\\':
        fputs("\\\\", f);
        break;
      case '\n':
        fputs("\\n", f);
        break;
      case '\r':
        fputs("\\r", f);
        break;
      case '\t':
        fputs("\\t", f);
        break;
      default:
        if (*p < 0x20 || *p == 0x7f) {
          fprintf(f, "\\u%04x", *p);
        } else {
          fputc(*p, f);
        }
    }
  }
  fputc('"', f);
  free(fixed);
}

static void putNumbers(FILE *f, const double *v, int n) {
  fputc('[', f);
  for (int i = 0; i < n; i++) {
    fprintf(f, i ? ",%.17g" : "%.17g", v[i]);
  }
  fputc(']', f);
}

static void putStep(FILE *f, const simEpisodeStep *s) {
  fprintf(f,
          "{\"step\": %d, \"state\": %d, \"env_steps\": %d,\n   \"obs\": {\"hand_pos\": ", s->step,
          s->state, s->env_steps);
  putNumbers(f, s->obs.hand_pos, 3);
  fprintf(f, ", \"gripper_distance_apart\": %.17g, \"obj_pos\": ", s->obs.gripper_distance_apart);
  putNumbers(f, s->obs.obj_pos, 3);
  fputs(", \"obj_quat\": ", f);
  putNumbers(f, s->obs.obj_quat, 4);
  fputs(", \"goal_pos\": ", f);
  putNumbers(f, s->obs.goal_pos, 3);
  fputs(", \"obj2_pos\": ", f);
  putNumbers(f, s->obs.obj2_pos, 3);
  fputs(", \"obj2_quat\": ", f);
  putNumbers(f, s->obs.obj2_quat, 4);
  fputs("},\n   \"action\": ", f);
  putNumbers(f, s->action, 4);
  fprintf(f, ", \"reward\": %.17g, \"success\": %s, \"hint\": ", s->reward,
          s->success ? "true" : "false");
  putString(f, s->hint);
  fputc('}', f);
}

static void putEpisode(FILE *f, const simEpisode *ep) {
  const simEpisodeInfo *in = &ep->info;
  fputs("{\"format\": \"tracebot-episode\", \"version\": 1,\n \"task\": ", f);
  putString(f, in->task);
  fprintf(f, ", \"seed\": %llu, \"horizon\": %d, \"mode\": ", (unsigned long long)in->seed,
          in->horizon);
  putString(f, in->mode);
  fputs(", \"hints\": ", f);
  putString(f, in->hints);
  fputs(",\n \"controller_hash\": ", f);
  putString(f, in->controller_hash);
  if (in->perturb[0] != '\0') {
    fputs(",\n \"perturb\": {\"spec\": ", f);
    putString(f, in->perturb);
    fputs(", \"values\": {", f);
    for (int i = 0; i < in->nperturb; i++) {
      fputs(i ? ", " : "", f);
      putString(f, in->perturb_values[i].name);
      fprintf(f, ": %.17g", in->perturb_values[i].value);
    }
    fputs("}}", f);
  }
  fprintf(f, ",\n \"timestep\": %.17g, \"frame_skip\": %d,\n", in->timestep, in->frame_skip);
  fprintf(f, " \"sizes\": {\"nq\": %d, \"nv\": %d, \"na\": %d, \"nmocap\": %d, \"nu\": %d},\n",
          in->sizes.nq, in->sizes.nv, in->sizes.na, in->sizes.nmocap, in->sizes.nu);
  fputs(" \"states\": [", f);
  for (int k = 0; k < ep->nstates; k++) {
    fputs(k ? ",\n  " : "\n  ", f);
    putNumbers(f, sim_episodeState(ep, k), ep->row);
  }
  fputs("],\n \"steps\": [", f);
  for (int i = 0; i < ep->nsteps; i++) {
    fputs(i ? ",\n  " : "\n  ", f);
    putStep(f, &ep->steps[i]);
  }
  const simEpisodeResult *r = &ep->result;
  fprintf(f, "],\n \"result\": {\"success\": %s, \"return\": %.17g, \"steps\": %d, \"fault\": ",
          r->success ? "true" : "false", r->ret, r->steps);
  if (r->has_fault) {
    fputs("{\"kind\": ", f);
    putString(f, r->fault_kind);
    fputs(", \"message\": ", f);
    putString(f, r->fault_message);
    fprintf(f, ", \"step\": %d}", r->fault_step);
  } else {
    fputs("null", f);
  }
  fputs("}}\n", f);
}

int sim_episodeSave(const simEpisode *ep, const char *path, char *err, size_t errsz) {
  if (!ep || !path) {
    tb_setErr(err, errsz, "episode save: NULL argument");
    return TB_EINVAL;
  }
  /* JSON has no NaN or Inf: refuse them before touching the disk */
  for (int k = 0; k < ep->nstates; k++) {
    int bad = allFinite(sim_episodeState(ep, k), ep->row);
    if (bad >= 0) {
      tb_setErr(err, errsz, "episode save: states[%d][%d] is not finite", k, bad);
      return TB_EINVAL;
    }
  }
  for (int i = 0; i < ep->nsteps; i++) {
    if (!stepFinite(&ep->steps[i])) {
      tb_setErr(err, errsz, "episode save: steps[%d] has a non-finite number", i);
      return TB_EINVAL;
    }
  }
  if (!isfinite(ep->result.ret) || !isfinite(ep->info.timestep)) {
    tb_setErr(err, errsz, "episode save: non-finite return or timestep");
    return TB_EINVAL;
  }
  tbAtomicFile out;
  char why[PATH_MAX + 128];
  int rc = tb_atomicOpen(&out, path, why, sizeof why);
  if (rc != TB_OK) {
    tb_setErr(err, errsz, "episode save: %s", why);
    return rc;
  }
  putEpisode(out.f, ep);
  rc = tb_atomicCommit(&out, why, sizeof why);
  if (rc != TB_OK) {
    tb_setErr(err, errsz, "episode save: %s", why);
  }
  return rc;
}

/* ---- reading ---- */

/* Parsing context: the first error wins. */
typedef struct parser {
  char *err;
  size_t errsz;
  int failed;
} parser;

static void fail(parser *p, const char *fmt, ...) {
  if (p->failed) {
    return;
  }
  p->failed = 1;
  if (!p->err || p->errsz == 0) {
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err, p->errsz, fmt, ap);
  va_end(ap);
}

static const cJSON *member(parser *p, const cJSON *obj, const char *key, const char *where) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!it) {
    fail(p, "%s%s: missing", where, key);
  }
  return it;
}

static double number(parser *p, const cJSON *it, const char *where, const char *key) {
  if (!it) {
    return 0;
  }
  if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble)) {
    fail(p, "%s%s: expected a finite number", where, key);
    return 0;
  }
  return it->valuedouble;
}

static int integer(parser *p, const cJSON *obj, const char *key, const char *where, double lo,
                   double hi) {
  const cJSON *it = member(p, obj, key, where);
  double v = number(p, it, where, key);
  if (p->failed) {
    return 0;
  }
  if (v != floor(v) || v < lo || v > hi) {
    fail(p, "%s%s: expected an integer in [%.0f, %.0f]", where, key, lo, hi);
    return 0;
  }
  return (int)v;
}

static void text(parser *p, const cJSON *obj, const char *key, const char *where, char *dst,
                 size_t cap) {
  const cJSON *it = member(p, obj, key, where);
  if (!it || p->failed) {
    return;
  }
  if (!cJSON_IsString(it) || !it->valuestring) {
    fail(p, "%s%s: expected a string", where, key);
    return;
  }
  if (strlen(it->valuestring) >= cap) {
    fail(p, "%s%s: longer than %zu bytes", where, key, cap - 1);
    return;
  }
  copyText(dst, cap, it->valuestring);
}

static int boolean(parser *p, const cJSON *obj, const char *key, const char *where) {
  const cJSON *it = member(p, obj, key, where);
  if (!it || p->failed) {
    return 0;
  }
  if (!cJSON_IsBool(it)) {
    fail(p, "%s%s: expected true or false", where, key);
    return 0;
  }
  return cJSON_IsTrue(it) ? 1 : 0;
}

/* Reads an array of exactly n finite numbers into dst. */
static void numbers(parser *p, const cJSON *arr, int n, double *dst, const char *where) {
  if (!arr || p->failed) {
    return;
  }
  if (!cJSON_IsArray(arr)) {
    fail(p, "%s: expected an array", where);
    return;
  }
  int got = cJSON_GetArraySize(arr);
  if (got != n) {
    fail(p, "%s: expected %d numbers, got %d", where, n, got);
    return;
  }
  int i = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, arr) {
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble)) {
      fail(p, "%s[%d]: expected a finite number", where, i);
      return;
    }
    dst[i++] = it->valuedouble;
  }
}

static void readObs(parser *p, const cJSON *obs, simEpisodeObs *o, const char *where) {
  char w[96];
  if (!obs || p->failed) {
    return;
  }
  if (!cJSON_IsObject(obs)) {
    fail(p, "%sobs: expected an object", where);
    return;
  }
  snprintf(w, sizeof(w), "%sobs.hand_pos", where);
  numbers(p, member(p, obs, "hand_pos", where), 3, o->hand_pos, w);
  snprintf(w, sizeof(w), "%sobs.", where);
  o->gripper_distance_apart =
      number(p, member(p, obs, "gripper_distance_apart", w), w, "gripper_distance_apart");
  snprintf(w, sizeof(w), "%sobs.obj_pos", where);
  numbers(p, member(p, obs, "obj_pos", where), 3, o->obj_pos, w);
  snprintf(w, sizeof(w), "%sobs.obj_quat", where);
  numbers(p, member(p, obs, "obj_quat", where), 4, o->obj_quat, w);
  snprintf(w, sizeof(w), "%sobs.goal_pos", where);
  numbers(p, member(p, obs, "goal_pos", where), 3, o->goal_pos, w);
  /* the second object slot: optional (zero in recordings made before it) */
  snprintf(w, sizeof(w), "%sobs.obj2_pos", where);
  numbers(p, cJSON_GetObjectItemCaseSensitive(obs, "obj2_pos"), 3, o->obj2_pos, w);
  snprintf(w, sizeof(w), "%sobs.obj2_quat", where);
  numbers(p, cJSON_GetObjectItemCaseSensitive(obs, "obj2_quat"), 4, o->obj2_quat, w);
}

static void readStep(parser *p, const cJSON *js, simEpisodeStep *s, int i, int nstates) {
  char where[48];
  char w[96];
  snprintf(where, sizeof(where), "steps[%d].", i);
  if (!cJSON_IsObject(js)) {
    fail(p, "steps[%d]: expected an object", i);
    return;
  }
  memset(s, 0, sizeof(*s));
  s->step = integer(p, js, "step", where, 0, SIM_EP_MAX_STEPS);
  s->state = integer(p, js, "state", where, 0, nstates - 1);
  s->env_steps = integer(p, js, "env_steps", where, 0, SIM_EP_MAX_STATES);
  readObs(p, member(p, js, "obs", where), &s->obs, where);
  snprintf(w, sizeof(w), "%saction", where);
  numbers(p, member(p, js, "action", where), 4, s->action, w);
  s->reward = number(p, member(p, js, "reward", where), where, "reward");
  s->success = boolean(p, js, "success", where);
  text(p, js, "hint", where, s->hint, sizeof(s->hint));
}

static void readResult(parser *p, const cJSON *js, simEpisodeResult *r) {
  if (!js || p->failed) {
    return;
  }
  if (!cJSON_IsObject(js)) {
    fail(p, "result: expected an object");
    return;
  }
  r->success = boolean(p, js, "success", "result.");
  r->ret = number(p, member(p, js, "return", "result."), "result.", "return");
  r->steps = integer(p, js, "steps", "result.", 0, SIM_EP_MAX_STEPS);
  const cJSON *fault = member(p, js, "fault", "result.");
  if (!fault || p->failed || cJSON_IsNull(fault)) {
    return;
  }
  if (!cJSON_IsObject(fault)) {
    fail(p, "result.fault: expected null or an object");
    return;
  }
  r->has_fault = 1;
  text(p, fault, "kind", "result.fault.", r->fault_kind, sizeof(r->fault_kind));
  text(p, fault, "message", "result.fault.", r->fault_message, sizeof(r->fault_message));
  r->fault_step = integer(p, fault, "step", "result.fault.", -1, SIM_EP_MAX_STEPS);
}

/* The optional "perturb": absent or null (none), or {"spec": "...", "values": {...}}. */
static void readPerturb(parser *p, const cJSON *js, simEpisodeInfo *in) {
  if (!js || cJSON_IsNull(js) || p->failed) {
    return;
  }
  if (!cJSON_IsObject(js)) {
    fail(p, "perturb: expected null or an object");
    return;
  }
  text(p, js, "spec", "perturb.", in->perturb, sizeof(in->perturb));
  if (!p->failed && in->perturb[0] == '\0') {
    fail(p, "perturb.spec: expected a non-empty string");
  }
  const cJSON *values = member(p, js, "values", "perturb.");
  if (!values || p->failed) {
    return;
  }
  if (!cJSON_IsObject(values) || cJSON_GetArraySize(values) > SIM_EP_MAX_PARAMS) {
    fail(p, "perturb.values: expected an object of at most %d numbers", SIM_EP_MAX_PARAMS);
    return;
  }
  const cJSON *it;
  cJSON_ArrayForEach(it, values) {
    simEpisodeParam *v = &in->perturb_values[in->nperturb];
    if (strlen(it->string) >= sizeof(v->name)) {
      fail(p, "perturb.values: a name is longer than %zu bytes", sizeof(v->name) - 1);
      return;
    }
    copyText(v->name, sizeof(v->name), it->string);
    v->value = number(p, it, "perturb.values.", it->string);
    if (p->failed) {
      return;
    }
    in->nperturb++;
  }
}

static void readInfo(parser *p, const cJSON *root, simEpisodeInfo *in) {
  const cJSON *fmt = member(p, root, "format", "");
  if (fmt && (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "tracebot-episode") != 0)) {
    fail(p, "format: expected \"tracebot-episode\"");
  }
  integer(p, root, "version", "", 1, 1);
  text(p, root, "task", "", in->task, sizeof(in->task));
  const cJSON *seed = member(p, root, "seed", "");
  double s = number(p, seed, "", "seed");
  if (!p->failed && (s != floor(s) || s < 0 || s > (double)SIM_SEED_MAX)) {
    fail(p, "seed: expected an integer in [0, 2^53]");
  }
  in->seed = p->failed ? 0 : (uint64_t)s;
  in->horizon = integer(p, root, "horizon", "", 0, SIM_EP_MAX_STEPS);
  text(p, root, "mode", "", in->mode, sizeof(in->mode));
  text(p, root, "hints", "", in->hints, sizeof(in->hints));
  text(p, root, "controller_hash", "", in->controller_hash, sizeof(in->controller_hash));
  readPerturb(p, cJSON_GetObjectItemCaseSensitive(root, "perturb"), in);
  in->timestep = number(p, member(p, root, "timestep", ""), "", "timestep");
  if (!p->failed && !(in->timestep > 0)) {
    fail(p, "timestep: expected a positive number");
  }
  in->frame_skip = integer(p, root, "frame_skip", "", 1, 1000000);
  const cJSON *sizes = member(p, root, "sizes", "");
  if (!sizes || p->failed) {
    return;
  }
  if (!cJSON_IsObject(sizes)) {
    fail(p, "sizes: expected an object");
    return;
  }
  in->sizes.nq = integer(p, sizes, "nq", "sizes.", 0, SIM_EP_MAX_DIM);
  in->sizes.nv = integer(p, sizes, "nv", "sizes.", 0, SIM_EP_MAX_DIM);
  in->sizes.na = integer(p, sizes, "na", "sizes.", 0, SIM_EP_MAX_DIM);
  in->sizes.nmocap = integer(p, sizes, "nmocap", "sizes.", 0, SIM_EP_MAX_DIM);
  in->sizes.nu = integer(p, sizes, "nu", "sizes.", 0, SIM_EP_MAX_DIM);
}

simEpisode *sim_episodeParse(const char *textIn, size_t len, char *err, size_t errsz) {
  parser p = {err, errsz, 0};
  if (!textIn) {
    tb_setErr(err, errsz, "episode: NULL text");
    return NULL;
  }
  if (len > SIM_EP_FILE_MAX) {
    tb_setErr(err, errsz, "episode: document larger than %u bytes", SIM_EP_FILE_MAX);
    return NULL;
  }
  cJSON *root = cJSON_ParseWithLengthOpts(textIn, len, NULL, 0);
  if (!root) {
    tb_setErr(err, errsz, "episode: not valid JSON");
    return NULL;
  }
  if (!cJSON_IsObject(root)) {
    tb_setErr(err, errsz, "episode: expected a JSON object");
    cJSON_Delete(root);
    return NULL;
  }
  /* metadata first: it fixes the row size */
  simEpisodeInfo info;
  memset(&info, 0, sizeof(info));
  readInfo(&p, root, &info);
  simEpisode *ep = p.failed ? NULL : sim_makeEpisode(&info, err, errsz);
  if (!ep) {
    cJSON_Delete(root);
    return NULL;
  }
  /* states: one row per env step */
  const cJSON *states = member(&p, root, "states", "");
  if (states && !p.failed && !cJSON_IsArray(states)) {
    fail(&p, "states: expected an array");
  }
  if (!p.failed) {
    int n = cJSON_GetArraySize(states);
    if (sim_episodeReserve(ep, n, 0, NULL, 0) != 0) {
      fail(&p, "states: %d rows is too many", n);
    }
    const cJSON *row;
    char where[48];
    cJSON_ArrayForEach(row, states) {
      if (p.failed) {
        break;
      }
      snprintf(where, sizeof(where), "states[%d]", ep->nstates);
      numbers(&p, row, ep->row, ep->states + (size_t)ep->nstates * (size_t)ep->row, where);
      if (!p.failed) {
        ep->nstates++;
      }
    }
  }
  /* steps: one annotation per macro-step */
  const cJSON *steps = p.failed ? NULL : member(&p, root, "steps", "");
  if (steps && !p.failed && !cJSON_IsArray(steps)) {
    fail(&p, "steps: expected an array");
  }
  if (steps && !p.failed) {
    int n = cJSON_GetArraySize(steps);
    if (sim_episodeReserve(ep, 0, n, NULL, 0) != 0) {
      fail(&p, "steps: %d entries is too many", n);
    }
    const cJSON *js;
    cJSON_ArrayForEach(js, steps) {
      if (p.failed) {
        break;
      }
      readStep(&p, js, &ep->steps[ep->nsteps], ep->nsteps, ep->nstates);
      if (!p.failed) {
        ep->nsteps++;
      }
    }
  }
  if (!p.failed) {
    readResult(&p, member(&p, root, "result", ""), &ep->result);
  }
  cJSON_Delete(root);
  if (p.failed) {
    sim_freeEpisode(ep);
    return NULL;
  }
  return ep;
}

simEpisode *sim_episodeLoad(const char *path, char *err, size_t errsz) {
  if (!path) {
    tb_setErr(err, errsz, "episode load: NULL path");
    return NULL;
  }
  char why[PATH_MAX + 128];
  size_t got = 0;
  char *buf = tb_readFile(path, SIM_EP_FILE_MAX, &got, why, sizeof why);
  if (buf == NULL) {
    tb_setErr(err, errsz, "episode load: %s", why);
    return NULL;
  }
  /* read back under the rule it was written with: text that is not UTF-8 is U+FFFD */
  if (tb_utf8Sanitize(&buf, &got) != TB_OK) {
    free(buf);
    tb_setErr(err, errsz, "episode load: %s: out of memory", path);
    return NULL;
  }
  char msg[400] = "";
  simEpisode *ep = sim_episodeParse(buf, got, msg, sizeof(msg));
  free(buf);
  if (!ep) {
    tb_setErr(err, errsz, "%s: %s", path, msg);
  }
  return ep;
}

/* ---- with a simWorld ---- */

static int checkWorld(const simEpisode *ep, const simWorld *w, char *err, size_t errsz) {
  const mjModel *m = sim_model(w);
  const simEpisodeSizes *s = &ep->info.sizes;
  if (m->nq != s->nq || m->nv != s->nv || m->na != s->na || m->nmocap != s->nmocap ||
      m->nu != s->nu) {
    tb_setErr(err, errsz,
              "episode: model sizes (nq %d nv %d na %d nmocap %d nu %d) differ from the "
              "recording's (nq %d nv %d na %d nmocap %d nu %d)",
              m->nq, m->nv, m->na, m->nmocap, m->nu, s->nq, s->nv, s->na, s->nmocap, s->nu);
    return TB_EINVAL;
  }
  if (sim_stateSize(m) != (size_t)ep->row + (size_t)s->nv) {
    tb_setErr(err, errsz, "episode: sim state has %zu doubles, expected row %d + nv %d",
              sim_stateSize(m), ep->row, s->nv);
    return TB_EINVAL;
  }
  return 0;
}

int sim_episodeRecord(simEpisode *ep, const simWorld *w, char *err, size_t errsz) {
  if (!ep || !w) {
    tb_setErr(err, errsz, "episode record: NULL argument");
    return TB_EINVAL;
  }
  int rc = checkWorld(ep, w, err, errsz);
  if (rc != 0) {
    return rc;
  }
  sim_getState(w, ep->scratch);
  return sim_episodeAppendState(ep, ep->scratch, (size_t)ep->row, err, errsz);
}

int sim_episodeRestore(simEpisode *ep, int k, simWorld *w, char *err, size_t errsz) {
  if (!ep || !w) {
    tb_setErr(err, errsz, "episode restore: NULL argument");
    return TB_EINVAL;
  }
  const double *row = sim_episodeState(ep, k);
  if (!row) {
    tb_setErr(err, errsz, "episode restore: state %d not in [0, %d)", k, ep->nstates);
    return TB_EINVAL;
  }
  int rc = checkWorld(ep, w, err, errsz);
  if (rc != 0) {
    return rc;
  }
  /* keep the world's own warm start, replace everything the recording has */
  size_t full = (size_t)ep->row + (size_t)ep->info.sizes.nv;
  sim_getState(w, ep->scratch);
  memcpy(ep->scratch, row, (size_t)ep->row * sizeof(double));
  rc = sim_setState(w, ep->scratch, full, err, errsz);
  /* MuJoCo 2.2.2's mj_forward renormalizes the quaternions in qpos in place, which
   * can move their last bits: put the recorded qpos back */
  if (rc == 0) {
    memcpy(sim_data(w)->qpos, row + 1, sizeof(double) * (size_t)ep->info.sizes.nq);
  }
  return rc;
}
