/* The sweep's entry points: creating a sweep directory, running what is not done with an
 * engine, and its status (see sweep.h). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sweep_internal.h"
#include "tracebot/llm.h"

void sw_defaultOptions(swOptions *o) {
  memset(o, 0, sizeof *o);
  o->engine = SW_ENGINE_LOCAL;
  o->poll_s = 5;
}

int sw_isSweep(const char *dir) {
  char path[PATH_MAX];
  struct stat st;
  return sw_path(dir, SW_FILE_SWEEP, path, sizeof path, NULL, 0) == TB_OK &&
         lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int sw_gridEachVariant(const swGrid *g, swCellFlagsFn fn, void *user, char *err, size_t errsz) {
  swSweep s;
  int rc = sw_resolve(g, NULL, &s, err, errsz);
  for (int v = 0; rc == TB_OK && v < s.grid.nvariants; v++) {
    rc = fn(user, &s.cells[(v + 1) * s.grid.repeats - 1].args);
  }
  sw_sweepClose(&s);
  return rc;
}

/* Whether some cell names its LLM, or TRACEBOT_LLM names one for all. */
static int haveLlm(const swSweep *s) {
  const char *env = getenv("TRACEBOT_LLM");
  if (env != NULL && env[0] != '\0') {
    return 1;
  }
  for (int i = 0; i < s->ncells; i++) {
    if (sw_flagsGet(&s->cells[i].args, "--llm") == NULL) {
      return 0;
    }
  }
  return 1;
}

/* Whether dir is not a directory with something in it (making it says what else is wrong). */
static int emptyOrMissing(const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL) {
    return 1;
  }
  int empty = 1;
  struct dirent *e;
  while (empty && (e = readdir(d)) != NULL) {
    empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
  }
  closedir(d);
  return empty;
}

int sw_create(const char *dir, const swGrid *g, char *err, size_t errsz) {
  swSweep s;
  int rc = sw_resolve(g, dir, &s, err, errsz);
  if (rc == TB_OK && !haveLlm(&s)) {
    tb_setErr(err, errsz,
              "no LLM configured: pass --llm SPEC with SPEC one of %s, or set TRACEBOT_LLM "
              "(the cells inherit the environment)",
              tr_llmBackendList());
    rc = TB_EINVAL;
  }
  if (rc == TB_OK && sw_isSweep(dir)) {
    tb_setErr(err, errsz, "%s already holds a sweep: continue it with tracebot sweep --resume %s",
              dir, dir);
    rc = TB_EINVAL;
  } else if (rc == TB_OK && !emptyOrMissing(dir)) {
    tb_setErr(err, errsz, "%s is not empty: a sweep needs a new or empty directory", dir);
    rc = TB_EINVAL;
  }
  struct stat st;
  int existed = stat(dir, &st) == 0;
  if (rc == TB_OK) {
    rc = sw_makeDir(dir, NULL, err, errsz);
  }
  /* sweep.json last: the directory is a sweep once it is there */
  char path[PATH_MAX];
  static const char *const subdirs[] = {SW_DIR_CELLS, SW_DIR_LOGS, SW_DIR_RUNS};
  int made = rc == TB_OK;
  for (int i = 0; rc == TB_OK && i < 3; i++) {
    rc = sw_makeDir(dir, subdirs[i], err, errsz);
  }
  if (rc == TB_OK) {
    rc = sw_path(dir, SW_FILE_SWEEP, path, sizeof path, err, errsz);
  }
  if (rc == TB_OK) {
    cJSON *o = sw_sweepJson(&s);
    rc = sw_writeJson(path, o, err, errsz);
    cJSON_Delete(o);
  }
  if (rc == TB_OK) {
    rc = sw_summaryWrite(&s, NULL, err, errsz);
  }
  /* no sweep after all: take back the (empty) folders made for it */
  for (int i = 0; made && rc != TB_OK && !sw_isSweep(dir) && i < 4; i++) {
    char sub[PATH_MAX];
    if (i < 3 && sw_path(dir, subdirs[i], sub, sizeof sub, NULL, 0) == TB_OK) {
      rmdir(sub);
    } else if (i == 3 && !existed) {
      rmdir(dir);
    }
  }
  sw_sweepClose(&s);
  return rc;
}

/* Takes sweep.lock: one sweep process per directory. */
static int lockSweep(const swSweep *s, char *err, size_t errsz) {
  char path[PATH_MAX];
  int busy = 0;
  if (sw_path(s->dir, SW_FILE_LOCK, path, sizeof path, err, errsz) != TB_OK) {
    return -1;
  }
  int fd = sw_lock(path, 0, &busy, err, errsz);
  if (fd < 0 && busy) {
    tb_setErr(err, errsz, "%s is in use by another sweep process", s->dir);
  }
  return fd;
}

/* When the last engine run was a Slurm job: refuses while it is queued or running, and
 * records what it left unfinished once it has ended. */
static int settleSlurm(const swSweep *s, const swEngineRun *e, int refuse, char *err,
                       size_t errsz) {
  if (e->engine != SW_ENGINE_SLURM || e->job[0] == '\0') {
    return TB_OK;
  }
  swSlurmJob j;
  char why[512];
  int rc = sw_slurmQuery(e->job, s->ncells, &j, why, sizeof why);
  if (rc != TB_OK) {
    tb_setErr(err, errsz, "cannot ask Slurm whether job %s of %s still runs: %s", e->job, s->dir,
              why);
  } else if (j.known && j.active) {
    tb_setErr(err, errsz,
              "Slurm job %s of %s is still queued or running: follow it with tracebot sweep "
              "--status %s (or scancel %s first)",
              e->job, s->dir, s->dir, e->job);
    rc = refuse ? TB_EINVAL : TB_OK;
  } else {
    rc = sw_slurmFinish(s, e, &j, err, errsz);
  }
  sw_slurmJobClose(&j);
  return rc;
}

int sw_run(const char *dir, const swOptions *opts, swProgressFn progress, void *user,
           swCounts *counts, char *err, size_t errsz) {
  swCounts local;
  if (counts == NULL) {
    counts = &local;
  }
  memset(counts, 0, sizeof *counts);
  if (opts == NULL || opts->tracebot == NULL) {
    tb_setErr(err, errsz, "sweep: which tracebot executable do the cells run?");
    return TB_EINVAL;
  }
  swSweep s;
  int rc = sw_sweepOpen(&s, dir, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  int lock = lockSweep(&s, err, errsz);
  swEngineRun last = {SW_ENGINE_LOCAL, "", 0, NULL};
  rc = lock >= 0 ? sw_engineRunRead(&s, &last, err, errsz) : TB_EINVAL;
  if (rc == TB_OK) {
    rc = settleSlurm(&s, &last, 1, err, errsz);
  }
  /* the cells that are not done */
  int *todo = rc == TB_OK ? calloc((size_t)s.ncells, sizeof *todo) : NULL;
  int n = 0;
  if (rc == TB_OK && todo == NULL) {
    tb_setErr(err, errsz, "out of memory");
    rc = TB_ENOMEM;
  }
  for (int i = 0; rc == TB_OK && i < s.ncells; i++) {
    swCellState st;
    rc = sw_cellStateRead(&s, i, &st, err, errsz);
    if (rc == TB_OK && st.status != SW_DONE) {
      todo[n++] = i;
    }
  }
  swEngine engine = opts->engine_given || last.ncells == 0 ? opts->engine : last.engine;
  if (rc == TB_OK && n == 0) {
    rc = sw_summaryWrite(&s, counts, err, errsz);
  } else if (rc == TB_OK && engine == SW_ENGINE_LOCAL) {
    swEngineRun e = {SW_ENGINE_LOCAL, "", n, todo};
    rc = sw_engineRunWrite(&s, &e, err, errsz);
    if (rc == TB_OK) {
      rc = sw_runLocal(&s, todo, n, opts, progress, user, counts, err, errsz);
    }
  } else if (rc == TB_OK) {
    rc = sw_runSlurm(&s, todo, n, opts, progress, user, counts, err, errsz);
  }
  free(todo);
  sw_engineRunClose(&last);
  sw_unlock(lock);
  sw_sweepClose(&s);
  return rc;
}

int sw_status(const char *dir, swCounts *counts, cJSON **summary, char *err, size_t errsz) {
  swCounts local;
  if (counts == NULL) {
    counts = &local;
  }
  memset(counts, 0, sizeof *counts);
  if (summary != NULL) {
    *summary = NULL;
  }
  swSweep s;
  int rc = sw_sweepOpen(&s, dir, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  /* with the directory to ourselves: settle an ended Slurm job, refresh summary.json */
  char why[512];
  int lock = lockSweep(&s, why, sizeof why);
  if (lock >= 0) {
    swEngineRun e;
    if (sw_engineRunRead(&s, &e, why, sizeof why) == TB_OK) {
      settleSlurm(&s, &e, 0, why, sizeof why);
      sw_engineRunClose(&e);
    }
    sw_summaryWrite(&s, NULL, why, sizeof why);
    sw_unlock(lock);
  }
  cJSON *o = sw_summaryBuild(&s, counts, err, errsz);
  rc = o != NULL ? TB_OK : TB_EFORMAT;
  if (summary != NULL) {
    *summary = o;
  } else {
    cJSON_Delete(o);
  }
  sw_sweepClose(&s);
  return rc;
}
