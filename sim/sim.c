/* sim: model loading, fault-checked stepping and exact state save/restore. */
#include "base.h"
#include "tracebot/sim.h"

#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct simWorld {
  const mjModel *m;
  mjData *d;
  long faults;
};

/* ---- error guard ---------------------------------------------------------------------- */

/* The innermost active guard of this thread (NULL outside sim calls) and the last
 * message MuJoCo handed to our handlers on this thread. */
static _Thread_local jmp_buf *guardJmp;
static _Thread_local char lastMsg[256];

static pthread_once_t handlersOnce = PTHREAD_ONCE_INIT;

/* mj_loadXML keeps global parser state: one compilation at a time */
static pthread_mutex_t loadLock = PTHREAD_MUTEX_INITIALIZER;

static void copyMessage(const char *msg) {
  snprintf(lastMsg, sizeof(lastMsg), "%s", msg ? msg : "");
  /* keep the message on one line */
  for (char *p = lastMsg; *p; p++) {
    if (*p == '\n' || *p == '\r') {
      *p = ' ';
    }
  }
}

static void onMujocoError(const char *msg) {
  copyMessage(msg);
  if (guardJmp) {
    longjmp(*guardJmp, 1);
  }
}

static void onMujocoWarning(const char *msg) {
  copyMessage(msg);
}

static void installOnce(void) {
  mju_user_error = onMujocoError;
  mju_user_warning = onMujocoWarning;
}

void sim_installHandlers(void) {
  pthread_once(&handlersOnce, installOnce);
}

const char *sim_lastMessage(void) {
  return lastMsg;
}

/* Runs MuJoCo code between SIM_GUARD_BEGIN and SIM_GUARD_END; an mju_error inside
 * jumps to the failure branch, which restores the outer guard and returns rc. */
#define SIM_GUARD_BEGIN(what)                                         \
  jmp_buf guardBuf_;                                                  \
  jmp_buf *volatile prevGuard_ = guardJmp;                            \
  if (setjmp(guardBuf_)) {                                            \
    guardJmp = prevGuard_;                                            \
    tb_setErr(err, errsz, "mujoco error in %s: %s", (what), lastMsg); \
    return TB_EMUJOCO;                                                \
  }                                                                   \
  guardJmp = &guardBuf_;

#define SIM_GUARD_END() guardJmp = prevGuard_;

/* ---- models --------------------------------------------------------------------------- */

mjModel *sim_loadModelXML(const char *xml, size_t len, char *err, size_t errsz) {
  sim_installHandlers();
  if (!xml || len == 0 || len > (size_t)1 << 30) {
    tb_setErr(err, errsz, "sim_loadModelXML: empty or oversized MJCF text (%zu bytes)", len);
    return NULL;
  }

  /* the VFS is ~2 MB: keep it off the stack */
  mjVFS *vfs = calloc(1, sizeof(*vfs));
  if (!vfs) {
    tb_setErr(err, errsz, "sim_loadModelXML: out of memory for the virtual file system");
    return NULL;
  }
  mj_defaultVFS(vfs);
  static const char name[] = "tracebot_model.xml";
  if (mj_makeEmptyFileVFS(vfs, name, (int)len) != 0) {
    free(vfs);
    tb_setErr(err, errsz, "sim_loadModelXML: cannot add the MJCF text to the VFS");
    return NULL;
  }
  int idx = mj_findFileVFS(vfs, name);
  memcpy(vfs->filedata[idx], xml, len);

  /* compile under a guard: a MuJoCo error becomes a NULL model */
  char msg[512] = "";
  mjModel *volatile m = NULL;
  jmp_buf jb;
  jmp_buf *volatile prev = guardJmp;
  pthread_mutex_lock(&loadLock);
  if (setjmp(jb) == 0) {
    guardJmp = &jb;
    m = mj_loadXML(name, vfs, msg, (int)sizeof(msg));
    guardJmp = prev;
  } else {
    guardJmp = prev;
    snprintf(msg, sizeof(msg), "mujoco error: %s", lastMsg);
    m = NULL;
  }
  pthread_mutex_unlock(&loadLock);
  mj_deleteVFS(vfs);
  free(vfs);
  if (!m) {
    for (char *p = msg; *p; p++) {
      if (*p == '\n' || *p == '\r') {
        *p = ' ';
      }
    }
    tb_setErr(err, errsz, "model: %s", msg[0] ? msg : "mj_loadXML failed");
    return NULL;
  }
  return m;
}

mjModel *sim_copyModel(const mjModel *m, char *err, size_t errsz) {
  sim_installHandlers();
  if (!m) {
    tb_setErr(err, errsz, "sim_copyModel: model is NULL");
    return NULL;
  }
  /* MuJoCo raises an error when it cannot allocate: guard it like a compilation */
  char msg[300] = "out of memory";
  mjModel *volatile copy = NULL;
  jmp_buf jb;
  jmp_buf *volatile prev = guardJmp;
  if (setjmp(jb) == 0) {
    guardJmp = &jb;
    copy = mj_copyModel(NULL, m);
    guardJmp = prev;
  } else {
    guardJmp = prev;
    snprintf(msg, sizeof(msg), "mujoco error: %s", lastMsg);
    copy = NULL;
  }
  if (!copy) {
    tb_setErr(err, errsz, "sim_copyModel: %s", msg);
  }
  return copy;
}

void sim_freeModel(mjModel *m) {
  if (m) {
    mj_deleteModel(m);
  }
}

/* ---- worlds --------------------------------------------------------------------------- */

simWorld *sim_make(const mjModel *m, char *err, size_t errsz) {
  sim_installHandlers();
  if (!m) {
    tb_setErr(err, errsz, "sim_make: model is NULL");
    return NULL;
  }
  simWorld *w = calloc(1, sizeof(*w));
  if (!w) {
    tb_setErr(err, errsz, "sim_make: out of memory");
    return NULL;
  }
  w->m = m;
  w->d = mj_makeData(m);
  if (!w->d) {
    free(w);
    tb_setErr(err, errsz, "sim_make: mj_makeData failed (out of memory)");
    return NULL;
  }
  if (sim_forward(w, err, errsz) != TB_OK) {
    sim_free(w);
    return NULL;
  }
  return w;
}

void sim_free(simWorld *w) {
  if (!w) {
    return;
  }
  if (w->d) {
    mj_deleteData(w->d);
  }
  free(w);
}

const mjModel *sim_model(const simWorld *w) {
  return w->m;
}

mjData *sim_data(simWorld *w) {
  return w->d;
}

long sim_faultCount(const simWorld *w) {
  return w->faults;
}

/* MuJoCo's mj_resetData (which it runs on a divergence) zeroes the warning counters
 * before counting the new warning, so comparing counts across a step can miss a
 * second divergence: clear the three counters before each call instead, and any
 * nonzero count afterwards is a divergence that happened in that call. */
static void clearBad(mjData *d) {
  d->warning[mjWARN_BADQACC].number = 0;
  d->warning[mjWARN_BADQPOS].number = 0;
  d->warning[mjWARN_BADQVEL].number = 0;
}

static int anyBad(const mjData *d) {
  return d->warning[mjWARN_BADQACC].number > 0 || d->warning[mjWARN_BADQPOS].number > 0 ||
         d->warning[mjWARN_BADQVEL].number > 0;
}

/* Reports a divergence that happened while running `what`. */
static int diverged(simWorld *w, const char *what, char *err, size_t errsz) {
  const mjData *d = w->d;
  const char *kind = "qacc";
  int dof = d->warning[mjWARN_BADQACC].lastinfo;
  if (d->warning[mjWARN_BADQPOS].number > 0) {
    kind = "qpos";
    dof = d->warning[mjWARN_BADQPOS].lastinfo;
  } else if (d->warning[mjWARN_BADQVEL].number > 0) {
    kind = "qvel";
    dof = d->warning[mjWARN_BADQVEL].lastinfo;
  }
  w->faults++;
  tb_setErr(err, errsz,
            "physics diverged in %s at t=%.4f: bad %s at dof %d (mujoco reset the data)", what,
            d->time, kind, dof);
  return TB_EPHYSICS;
}

int sim_reset(simWorld *w, char *err, size_t errsz) {
  SIM_GUARD_BEGIN("mj_resetData");
  mj_resetData(w->m, w->d);
  mj_forward(w->m, w->d);
  SIM_GUARD_END();
  return TB_OK;
}

int sim_forward(simWorld *w, char *err, size_t errsz) {
  clearBad(w->d);
  SIM_GUARD_BEGIN("mj_forward");
  mj_forward(w->m, w->d);
  SIM_GUARD_END();
  if (anyBad(w->d)) {
    return diverged(w, "mj_forward", err, errsz);
  }
  return TB_OK;
}

int sim_step(simWorld *w, int nsteps, char *err, size_t errsz) {
  if (nsteps < 0) {
    tb_setErr(err, errsz, "sim_step: nsteps must be >= 0, got %d", nsteps);
    return TB_EINVAL;
  }
  const mjModel *m = w->m;
  mjData *d = w->d;
  clearBad(d);
  SIM_GUARD_BEGIN("mj_step");
  for (int i = 0; i < nsteps; i++) {
    mj_step(m, d);
  }
  SIM_GUARD_END();
  if (anyBad(d)) {
    return diverged(w, "mj_step", err, errsz);
  }
  return TB_OK;
}

void sim_rawSteps(simWorld *w, long nsteps) {
  for (long i = 0; i < nsteps; i++) {
    mj_step(w->m, w->d);
  }
}

/* ---- state ---------------------------------------------------------------------------- */

size_t sim_stateSize(const mjModel *m) {
  return 1 + (size_t)m->nq + (size_t)m->nv + (size_t)m->na + 7 * (size_t)m->nmocap + (size_t)m->nu +
         (size_t)m->nv;
}

void sim_getState(const simWorld *w, double *state) {
  const mjModel *m = w->m;
  const mjData *d = w->d;
  double *p = state;
  *p++ = d->time;
  memcpy(p, d->qpos, sizeof(double) * (size_t)m->nq);
  p += m->nq;
  memcpy(p, d->qvel, sizeof(double) * (size_t)m->nv);
  p += m->nv;
  memcpy(p, d->act, sizeof(double) * (size_t)m->na);
  p += m->na;
  memcpy(p, d->mocap_pos, sizeof(double) * 3 * (size_t)m->nmocap);
  p += 3 * m->nmocap;
  memcpy(p, d->mocap_quat, sizeof(double) * 4 * (size_t)m->nmocap);
  p += 4 * m->nmocap;
  memcpy(p, d->ctrl, sizeof(double) * (size_t)m->nu);
  p += m->nu;
  memcpy(p, d->qacc_warmstart, sizeof(double) * (size_t)m->nv);
}

int sim_setState(simWorld *w, const double *state, size_t n, char *err, size_t errsz) {
  const mjModel *m = w->m;
  size_t want = sim_stateSize(m);
  if (!state || n != want) {
    tb_setErr(err, errsz, "sim_setState: state has %zu values, the model needs %zu", n, want);
    return TB_EINVAL;
  }
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(state[i])) {
      tb_setErr(err, errsz, "sim_setState: state value %zu is not finite", i);
      return TB_EINVAL;
    }
  }

  mjData *d = w->d;
  const double *p = state;
  d->time = *p++;
  memcpy(d->qpos, p, sizeof(double) * (size_t)m->nq);
  p += m->nq;
  memcpy(d->qvel, p, sizeof(double) * (size_t)m->nv);
  p += m->nv;
  memcpy(d->act, p, sizeof(double) * (size_t)m->na);
  p += m->na;
  memcpy(d->mocap_pos, p, sizeof(double) * 3 * (size_t)m->nmocap);
  p += 3 * m->nmocap;
  memcpy(d->mocap_quat, p, sizeof(double) * 4 * (size_t)m->nmocap);
  p += 4 * m->nmocap;
  memcpy(d->ctrl, p, sizeof(double) * (size_t)m->nu);
  p += m->nu;

  /* forward for the derived quantities, then put qpos and the warm start back: MuJoCo
   * 2.2.2's forward pass renormalizes quaternions in qpos in place and may overwrite the
   * warm start, and the next step must start from the recorded bits */
  int rc = sim_forward(w, err, errsz);
  memcpy(d->qpos, state + 1, sizeof(double) * (size_t)m->nq);
  memcpy(d->qacc_warmstart, p, sizeof(double) * (size_t)m->nv);
  return rc;
}
