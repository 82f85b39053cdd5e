/* The files of a sweep directory: locks, the cells' states, engine.json and summary.json
 * (see sweep.h and README.md). Files are opened without following symbolic links. */
#define _DEFAULT_SOURCE /* flock */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runlog.h"
#include "sweep_internal.h"

/* ---------------------------------------------------------------- files */

int sw_path(const char *dir, const char *name, char *out, size_t outsz, char *err, size_t errsz) {
  int n = snprintf(out, outsz, "%s/%s", dir, name);
  if (n < 0 || (size_t)n >= outsz) {
    tb_setErr(err, errsz, "path too long: %.64s.../%s", dir, name);
    return TB_EINVAL;
  }
  return TB_OK;
}

/* mkdir of one path that may exist: as a directory, not a symbolic link. */
static int makeOne(const char *path, int mayLink, char *err, size_t errsz) {
  if (mkdir(path, 0777) != 0 && errno != EEXIST) {
    tb_setErr(err, errsz, "cannot create %s: %s", path, strerror(errno));
    return TB_EIO;
  }
  struct stat st;
  int rc = mayLink ? stat(path, &st) : lstat(path, &st);
  if (rc != 0 || !S_ISDIR(st.st_mode)) {
    tb_setErr(err, errsz, "cannot create %s: %s", path,
              rc != 0 ? strerror(errno) : "it exists and is not a directory");
    return TB_EIO;
  }
  return TB_OK;
}

int sw_makeDir(const char *dir, const char *sub, char *err, size_t errsz) {
  char tmp[PATH_MAX];
  size_t base = strlen(dir);
  int n = sub != NULL ? snprintf(tmp, sizeof tmp, "%s/%s", dir, sub)
                      : snprintf(tmp, sizeof tmp, "%s", dir);
  if (dir[0] == '\0' || n < 0 || (size_t)n >= sizeof tmp) {
    tb_setErr(err, errsz, "bad directory path '%.64s'", dir);
    return TB_EIO;
  }
  /* every component: those of dir may be links the user made, those below may not */
  for (char *p = tmp + 1; *p != '\0'; p++) {
    if (*p == '/' && p[-1] != '/') {
      *p = '\0';
      int rc = makeOne(tmp, (size_t)(p - tmp) <= base, err, errsz);
      *p = '/';
      if (rc != TB_OK) {
        return rc;
      }
    }
  }
  return makeOne(tmp, sub == NULL, err, errsz);
}

int sw_readJson(const char *dir, const char *name, cJSON **out, char *err, size_t errsz) {
  *out = NULL;
  char path[PATH_MAX];
  struct stat st;
  int rc = sw_path(dir, name, path, sizeof path, err, errsz);
  if (rc != TB_OK || lstat(path, &st) != 0) {
    if (rc == TB_OK && errno == ENOENT) {
      return TB_OK;
    }
    tb_setErr(err, errsz, "cannot read %s: %s", path,
              rc != TB_OK ? "path too long" : strerror(errno));
    return TB_EIO;
  }
  if (S_ISLNK(st.st_mode)) {
    tb_setErr(err, errsz, "%s: a symbolic link (refused in a sweep directory)", path);
    return TB_EIO;
  }
  return ag_runReadJson(dir, name, out, err, errsz);
}

int sw_writeJson(const char *path, const cJSON *o, char *err, size_t errsz) {
  char *text = cJSON_Print(o);
  if (text == NULL) {
    tb_setErr(err, errsz, "out of memory writing %s", path);
    return TB_ENOMEM;
  }
  size_t n = strlen(text);
  if (n + 1 > AG_RUN_JSON_MAX) {
    free(text);
    tb_setErr(err, errsz,
              "%s would be %zu bytes, more than the %u a reader takes: too large a grid", path,
              n + 1, AG_RUN_JSON_MAX);
    return TB_EINVAL;
  }
  text[n] = '\n'; /* the terminator becomes the last newline */
  int rc = tb_writeFileAtomic(path, text, n + 1, err, errsz);
  free(text);
  return rc == TB_EINVAL ? TB_EIO : rc;
}

int sw_lock(const char *path, double wait_s, int *busy, char *err, size_t errsz) {
  *busy = 0;
  int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) {
    tb_setErr(err, errsz, "cannot open %s: %s", path, strerror(errno));
    return -1;
  }
  double until = tb_nowMs() + wait_s * 1000;
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      tb_setErr(err, errsz, "cannot lock %s: %s", path, strerror(errno));
      close(fd);
      return -1;
    }
    if (tb_nowMs() >= until) {
      tb_setErr(err, errsz, "%s is held by another process", path);
      *busy = 1;
      close(fd);
      return -1;
    }
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return fd;
}

void sw_unlock(int fd) {
  if (fd >= 0) {
    close(fd);
  }
}

/* ---------------------------------------------------------------- cell states */

static const char *const kStatusNames[] = {"pending", "running", "done", "failed"};

const char *sw_statusName(swStatus s) {
  return (int)s >= 0 && (int)s < 4 ? kStatusNames[s] : "pending";
}

int sw_cellPath(const swSweep *s, const char *sub, int index, const char *ext, char *out,
                size_t outsz, char *err, size_t errsz) {
  char name[64];
  snprintf(name, sizeof name, "%s/%04d.%s", sub, index, ext);
  return sw_path(s->dir, name, out, outsz, err, errsz);
}

/* A string member into out ("" when absent); TB_EFORMAT when of another type. */
static int stringMember(const cJSON *o, const char *key, char *out, size_t outsz) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  out[0] = '\0';
  if (v == NULL || cJSON_IsNull(v)) {
    return TB_OK;
  }
  if (!cJSON_IsString(v)) {
    return TB_EFORMAT;
  }
  snprintf(out, outsz, "%s", v->valuestring);
  return TB_OK;
}

/* A finite non-negative number member (0 when absent). */
static int numberMember(const cJSON *o, const char *key, double *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  *out = 0;
  if (v == NULL) {
    return TB_OK;
  }
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0) {
    return TB_EFORMAT;
  }
  *out = v->valuedouble;
  return TB_OK;
}

int sw_cellStateRead(const swSweep *s, int index, swCellState *st, char *err, size_t errsz) {
  memset(st, 0, sizeof *st);
  char name[64];
  char path[PATH_MAX];
  cJSON *o = NULL;
  snprintf(name, sizeof name, "%s/%04d.json", SW_DIR_CELLS, index);
  int rc = sw_cellPath(s, SW_DIR_CELLS, index, "json", path, sizeof path, err, errsz);
  if (rc == TB_OK) {
    rc = sw_readJson(s->dir, name, &o, err, errsz);
  }
  if (rc != TB_OK || o == NULL) {
    return rc;
  }
  char status[16];
  double pid = 0;
  double attempts = 0;
  rc = stringMember(o, "status", status, sizeof status);
  int known = 0;
  for (int i = 0; rc == TB_OK && i < 4; i++) {
    if (strcmp(status, kStatusNames[i]) == 0) {
      st->status = (swStatus)i;
      known = 1;
    }
  }
  if (rc == TB_OK && !known) {
    rc = TB_EFORMAT;
  }
  if (rc == TB_OK) {
    rc = stringMember(o, "reason", st->reason, sizeof st->reason);
  }
  if (rc == TB_OK) {
    rc = stringMember(o, "engine_job", st->engine_job, sizeof st->engine_job);
  }
  if (rc == TB_OK) {
    rc = stringMember(o, "host", st->host, sizeof st->host);
  }
  if (rc == TB_OK) {
    rc = numberMember(o, "pid", &pid);
  }
  if (rc == TB_OK) {
    rc = numberMember(o, "attempts", &attempts);
  }
  if (rc == TB_OK) {
    rc = numberMember(o, "wall_s", &st->wall_s);
  }
  cJSON_Delete(o);
  if (rc != TB_OK || pid > 4e9 || attempts > 1e6) {
    tb_setErr(err, errsz,
              "%s: not a cell state (status, reason, engine_job, host, pid, "
              "attempts, wall_s)",
              path);
    return TB_EFORMAT;
  }
  st->pid = (long long)pid;
  st->attempts = (int)attempts;
  return TB_OK;
}

int sw_cellStateWrite(const swSweep *s, int index, const swCellState *st, char *err, size_t errsz) {
  char path[PATH_MAX];
  int rc = sw_cellPath(s, SW_DIR_CELLS, index, "json", path, sizeof path, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "index", index);
  cJSON_AddStringToObject(o, "status", sw_statusName(st->status));
  cJSON_AddStringToObject(o, "reason", st->reason);
  cJSON_AddStringToObject(o, "engine_job", st->engine_job);
  cJSON_AddStringToObject(o, "host", st->host);
  cJSON_AddNumberToObject(o, "pid", (double)st->pid);
  cJSON_AddNumberToObject(o, "attempts", st->attempts);
  cJSON_AddNumberToObject(o, "wall_s", st->wall_s);
  rc = sw_writeJson(path, o, err, errsz);
  cJSON_Delete(o);
  return rc;
}

int sw_cellHeld(const swSweep *s, int index) {
  char path[PATH_MAX];
  if (sw_cellPath(s, SW_DIR_CELLS, index, "lock", path, sizeof path, NULL, 0) != TB_OK) {
    return 0;
  }
  int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return 0;
  }
  int held = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd);
  return held;
}

/* ---------------------------------------------------------------- engine.json */

int sw_engineRunRead(const swSweep *s, swEngineRun *e, char *err, size_t errsz) {
  memset(e, 0, sizeof *e);
  char path[PATH_MAX];
  cJSON *o = NULL;
  int rc = sw_path(s->dir, SW_FILE_ENGINE, path, sizeof path, err, errsz);
  if (rc == TB_OK) {
    rc = sw_readJson(s->dir, SW_FILE_ENGINE, &o, err, errsz);
  }
  if (rc != TB_OK || o == NULL) {
    return rc;
  }
  char engine[16];
  const cJSON *cells = cJSON_GetObjectItemCaseSensitive(o, "cells");
  rc = stringMember(o, "engine", engine, sizeof engine);
  if (rc == TB_OK) {
    rc = stringMember(o, "job", e->job, sizeof e->job);
  }
  if (rc == TB_OK && strcmp(engine, "slurm") != 0 && strcmp(engine, "local") != 0) {
    rc = TB_EFORMAT;
  }
  int n = cJSON_GetArraySize(cells);
  if (rc == TB_OK && (!cJSON_IsArray(cells) || n > s->ncells)) {
    rc = TB_EFORMAT;
  }
  e->engine = strcmp(engine, "slurm") == 0 ? SW_ENGINE_SLURM : SW_ENGINE_LOCAL;
  e->cells = rc == TB_OK ? calloc((size_t)(n > 0 ? n : 1), sizeof *e->cells) : NULL;
  const cJSON *c;
  cJSON_ArrayForEach(c, cells) {
    if (e->cells == NULL || !cJSON_IsNumber(c) || c->valuedouble < 0 ||
        c->valuedouble >= s->ncells || c->valuedouble != floor(c->valuedouble)) {
      rc = TB_EFORMAT;
      break;
    }
    e->cells[e->ncells++] = (int)c->valuedouble;
  }
  cJSON_Delete(o);
  if (rc != TB_OK) {
    sw_engineRunClose(e);
    tb_setErr(err, errsz, "%s: not an engine record (engine, job, cells)", path);
    return TB_EFORMAT;
  }
  return TB_OK;
}

int sw_engineRunWrite(const swSweep *s, const swEngineRun *e, char *err, size_t errsz) {
  char path[PATH_MAX];
  int rc = sw_path(s->dir, SW_FILE_ENGINE, path, sizeof path, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "engine", e->engine == SW_ENGINE_SLURM ? "slurm" : "local");
  cJSON_AddStringToObject(o, "job", e->job);
  cJSON *cells = cJSON_AddArrayToObject(o, "cells");
  for (int i = 0; i < e->ncells; i++) {
    cJSON_AddItemToArray(cells, cJSON_CreateNumber(e->cells[i]));
  }
  rc = sw_writeJson(path, o, err, errsz);
  cJSON_Delete(o);
  return rc;
}

void sw_engineRunClose(swEngineRun *e) {
  free(e->cells);
  e->cells = NULL;
  e->ncells = 0;
}

/* ---------------------------------------------------------------- summary.json */

/* A number of the run's summary.json, or null when it is absent or not a finite number. */
static void copyNumber(cJSON *dst, const char *as, const cJSON *run, const char *key) {
  const cJSON *v = run != NULL ? cJSON_GetObjectItemCaseSensitive(run, key) : NULL;
  if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
    cJSON_AddNumberToObject(dst, as, v->valuedouble);
  } else {
    cJSON_AddNullToObject(dst, as);
  }
}

/* Whether cell index is one the engine run e was given. */
static int inRun(const swEngineRun *e, int index) {
  for (int i = 0; i < e->ncells; i++) {
    if (e->cells[i] == index) {
      return 1;
    }
  }
  return 0;
}

/* One entry of "cells". */
static cJSON *cellJson(const swSweep *s, const swCell *c, swCellState *st, const swEngineRun *e) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "index", c->index);
  cJSON_AddStringToObject(o, "task", sw_cellTask(s, c));
  cJSON_AddStringToObject(o, "variant", sw_cellVariant(s, c));
  cJSON_AddNumberToObject(o, "repeat", c->repeat);
  /* a running cell whose lock nobody holds lost its runner */
  if (st->status == SW_RUNNING && !sw_cellHeld(s, c->index)) {
    st->status = SW_FAILED;
    snprintf(st->reason, sizeof st->reason,
             "its runner stopped before the end (killed, or its node was lost)");
  }
  cJSON_AddStringToObject(o, "status", sw_statusName(st->status));
  if (st->reason[0] != '\0') {
    cJSON_AddStringToObject(o, "reason", st->reason);
  } else {
    cJSON_AddNullToObject(o, "reason");
  }
  /* the run's own totals, through runlog */
  char run[PATH_MAX];
  cJSON *sum = NULL;
  if (sw_path(s->dir, c->run_dir, run, sizeof run, NULL, 0) == TB_OK) {
    ag_runReadJson(run, AG_RUN_SUMMARY, &sum, NULL, 0);
  }
  copyNumber(o, "iterations", sum, "iterations");
  copyNumber(o, "final_test_success", sum, "final_test_success_rate");
  copyNumber(o, "best_test_success", sum, "best_test_success_rate");
  copyNumber(o, "llm_calls", sum, "llm_calls");
  copyNumber(o, "prompt_tokens", sum, "prompt_tokens");
  copyNumber(o, "completion_tokens", sum, "completion_tokens");
  copyNumber(o, "tokens_to_best", sum, "tokens_to_best");
  const char *stop =
      sum != NULL ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sum, "stop_reason"))
                  : NULL;
  if (stop != NULL) {
    cJSON_AddStringToObject(o, "stop_reason", stop);
  } else {
    cJSON_AddNullToObject(o, "stop_reason");
  }
  cJSON_Delete(sum);
  if (st->attempts > 0) {
    cJSON_AddNumberToObject(o, "wall_s", st->wall_s);
  } else {
    cJSON_AddNullToObject(o, "wall_s");
  }
  cJSON_AddStringToObject(o, "run_dir", c->run_dir);
  char job[96] = "";
  if (st->engine_job[0] != '\0') {
    snprintf(job, sizeof job, "%s", st->engine_job);
  } else if (e->engine == SW_ENGINE_SLURM && e->job[0] != '\0' && inRun(e, c->index)) {
    snprintf(job, sizeof job, "%s_%d", e->job, c->index);
  }
  if (job[0] != '\0') {
    cJSON_AddStringToObject(o, "engine_job", job);
  } else {
    cJSON_AddNullToObject(o, "engine_job");
  }
  return o;
}

cJSON *sw_summaryBuild(const swSweep *s, swCounts *c, char *err, size_t errsz) {
  swCounts local;
  if (c == NULL) {
    c = &local;
  }
  double elapsed = c->elapsed_s;
  int submitted = c->submitted;
  memset(c, 0, sizeof *c);
  c->elapsed_s = elapsed;
  c->submitted = submitted;
  swEngineRun e;
  if (sw_engineRunRead(s, &e, err, errsz) != TB_OK) {
    return NULL;
  }
  snprintf(c->engine_job, sizeof c->engine_job, "%s", e.job);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "format", "tracebot-sweep-summary");
  cJSON_AddNumberToObject(o, "version", 1);
  cJSON_AddStringToObject(o, "engine", e.engine == SW_ENGINE_SLURM ? "slurm" : "local");
  if (e.job[0] != '\0') {
    cJSON_AddStringToObject(o, "engine_job", e.job);
  } else {
    cJSON_AddNullToObject(o, "engine_job");
  }
  cJSON *counts = cJSON_AddObjectToObject(o, "counts");
  cJSON *cells = cJSON_AddArrayToObject(o, "cells");
  for (int i = 0; i < s->ncells; i++) {
    swCellState st;
    if (sw_cellStateRead(s, i, &st, err, errsz) != TB_OK) {
      cJSON_Delete(o);
      sw_engineRunClose(&e);
      return NULL;
    }
    cJSON_AddItemToArray(cells, cellJson(s, &s->cells[i], &st, &e));
    int *slot[] = {&c->pending, &c->running, &c->done, &c->failed};
    (*slot[st.status])++;
  }
  c->total = s->ncells;
  cJSON_AddNumberToObject(counts, "total", c->total);
  cJSON_AddNumberToObject(counts, "pending", c->pending);
  cJSON_AddNumberToObject(counts, "running", c->running);
  cJSON_AddNumberToObject(counts, "done", c->done);
  cJSON_AddNumberToObject(counts, "failed", c->failed);
  sw_engineRunClose(&e);
  return o;
}

int sw_summaryWrite(const swSweep *s, swCounts *c, char *err, size_t errsz) {
  char path[PATH_MAX];
  int rc = sw_path(s->dir, SW_FILE_SUMMARY_LOCK, path, sizeof path, err, errsz);
  int busy = 0;
  int fd = rc == TB_OK ? sw_lock(path, 30, &busy, err, errsz) : -1;
  if (fd < 0) {
    return rc != TB_OK ? rc : TB_EIO;
  }
  cJSON *o = sw_summaryBuild(s, c, err, errsz);
  rc = o != NULL ? sw_path(s->dir, SW_FILE_SUMMARY, path, sizeof path, err, errsz) : TB_EFORMAT;
  if (rc == TB_OK) {
    rc = sw_writeJson(path, o, err, errsz);
  }
  cJSON_Delete(o);
  sw_unlock(fd);
  return rc;
}
