/* The local engine: a pool of `tracebot sweep --run-cell DIR INDEX` children, at most
 * opts->jobs at a time (see sweep.h). Each child learns this process's pid from
 * TRACEBOT_SWEEP_PARENT, so that it can stop with it. */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sweep_internal.h"

/* A child running a cell. */
typedef struct worker {
  pid_t pid;
  int cell;
} worker;

/* Records a cell failed when its runner could not record it (it could not start, or died);
 * never a cell another runner holds. */
static void markFailed(const swSweep *s, int cell, const char *why) {
  swCellState st;
  char err[256];
  if (sw_cellHeld(s, cell) || sw_cellStateRead(s, cell, &st, err, sizeof err) != TB_OK ||
      st.status == SW_DONE || st.status == SW_FAILED) {
    return;
  }
  st.status = SW_FAILED;
  snprintf(st.reason, sizeof st.reason, "%s", why);
  sw_cellStateWrite(s, cell, &st, err, sizeof err);
}

/* Starts a runner for cell; -1 (cell recorded failed) when it cannot start. */
static pid_t startCell(const swSweep *s, int cell, const swOptions *opts) {
  char index[16];
  char parent[48];
  char log[PATH_MAX];
  snprintf(index, sizeof index, "%d", cell);
  snprintf(parent, sizeof parent, "TRACEBOT_SWEEP_PARENT=%ld", (long)getpid());
  char *argv[] = {(char *)opts->tracebot, "sweep", "--run-cell", (char *)s->dir, index, NULL};
  char *extra[] = {parent, NULL};
  char why[256] = "";
  pid_t pid = -1;
  if (sw_cellPath(s, SW_DIR_LOGS, cell, "log", log, sizeof log, why, sizeof why) == TB_OK) {
    pid = sw_spawn(argv, 0, log, extra, why, sizeof why);
  }
  if (pid < 0) {
    markFailed(s, cell, why);
  }
  return pid;
}

/* Counts the cells again (writing summary.json when write is 1) and tells progress. */
static void refresh(const swSweep *s, swCounts *c, int write, double t0, swProgressFn progress,
                    void *user) {
  char err[256];
  c->elapsed_s = (tb_nowMs() - t0) / 1000;
  if (write) {
    sw_summaryWrite(s, c, err, sizeof err);
  } else {
    cJSON_Delete(sw_summaryBuild(s, c, err, sizeof err));
  }
  if (progress != NULL) {
    progress(user, c);
  }
}

int sw_runLocal(const swSweep *s, const int *cells, int n, const swOptions *opts,
                swProgressFn progress, void *user, swCounts *counts, char *err, size_t errsz) {
  int jobs = opts->jobs;
  if (jobs <= 0) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    jobs = cpus > 3 ? (int)(cpus / 2) : 1;
  }
  worker *active = calloc((size_t)jobs, sizeof *active);
  if (active == NULL) {
    tb_setErr(err, errsz, "out of memory");
    return TB_ENOMEM;
  }
  double t0 = tb_nowMs();
  double lastTick = t0;
  int next = 0;
  int nactive = 0;
  int stopping = 0;
  refresh(s, counts, 1, t0, progress, user);
  while (nactive > 0 || (next < n && !stopping)) {
    int changed = 0;
    /* start cells while there are free workers */
    while (!stopping && nactive < jobs && next < n) {
      pid_t pid = startCell(s, cells[next], opts);
      if (pid > 0) {
        active[nactive++] = (worker){pid, cells[next]};
      }
      next++;
      changed = 1;
    }
    /* reap the runners that ended */
    for (int i = 0; i < nactive;) {
      int status = 0;
      if (waitpid(active[i].pid, &status, WNOHANG) != active[i].pid) {
        i++;
        continue;
      }
      if (!(WIFEXITED(status) && WEXITSTATUS(status) <= 1)) {
        char how[96];
        char why[160];
        sw_describeStatus(status, how, sizeof how);
        snprintf(why, sizeof why, "its runner %s", how);
        markFailed(s, active[i].cell, why);
      }
      active[i] = active[--nactive];
      changed = 1;
    }
    /* a signal: the runners stop their trains and record the cells failed */
    if (opts->stop != NULL && *opts->stop && !stopping) {
      stopping = 1;
      for (int i = 0; i < nactive; i++) {
        kill(active[i].pid, SIGTERM);
      }
    }
    if (changed || tb_nowMs() - lastTick >= 1000) {
      lastTick = tb_nowMs();
      refresh(s, counts, changed, t0, progress, user);
    }
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  free(active);
  refresh(s, counts, 1, t0, progress, user);
  return TB_OK;
}
