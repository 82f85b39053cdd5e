/* One cell, run by `tracebot sweep --run-cell DIR INDEX` on whatever machine the engine
 * chose: `tracebot train` for the cell (a new run, or --resume of the one already there),
 * its output in logs/, its outcome in cells/NNNN.json (see sweep.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runlog.h"
#include "sweep_internal.h"

#define LOG_TAIL 16384 /* bytes of a train's output searched for its error line */
#define CELL_LOCK_WAIT_S 10.0
#define STOP_GRACE_S 10.0

/* Who runs the cell: Slurm's array job and index, else this process. */
static void engineJob(char *out, size_t outsz) {
  const char *job = getenv("SLURM_ARRAY_JOB_ID");
  const char *task = getenv("SLURM_ARRAY_TASK_ID");
  if (job != NULL && task != NULL) {
    snprintf(out, outsz, "%s_%s", job, task);
  } else if ((job = getenv("SLURM_JOB_ID")) != NULL) {
    snprintf(out, outsz, "%s", job);
  } else {
    snprintf(out, outsz, "local:%ld", (long)getpid());
  }
}

/* The size of a file (0 when it is missing). */
static off_t sizeOf(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : 0;
}

/* The last "tracebot: " line train wrote after offset from of the log, without the prefix. */
static void lastError(const char *log, off_t from, char *out, size_t outsz) {
  out[0] = '\0';
  int fd = open(log, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return;
  }
  off_t end = lseek(fd, 0, SEEK_END);
  off_t at = end - from > LOG_TAIL ? end - LOG_TAIL : from;
  char buf[LOG_TAIL + 1];
  ssize_t n = at >= 0 && end > at ? pread(fd, buf, (size_t)(end - at), at) : 0;
  close(fd);
  if (n <= 0) {
    return;
  }
  buf[n] = '\0';
  const char *line = NULL;
  for (const char *p = buf; (p = strstr(p, "tracebot: ")) != NULL; p++) {
    if (p == buf || p[-1] == '\n') {
      line = p + strlen("tracebot: ");
    }
  }
  if (line != NULL) {
    snprintf(out, outsz, "%.*s", (int)strcspn(line, "\n"), line);
  }
}

/* The train command of a cell: --resume when its run directory already holds a run. */
static int trainArgv(const swCell *c, const char *tracebot, const char *run, char **argv, char *err,
                     size_t errsz) {
  int n = 0;
  argv[n++] = (char *)tracebot;
  argv[n++] = "train";
  char config[PATH_MAX];
  int rc = sw_path(run, AG_RUN_CONFIG, config, sizeof config, err, errsz);
  struct stat st;
  if (rc == TB_OK && lstat(config, &st) == 0) {
    argv[n++] = "--resume";
    argv[n++] = (char *)run;
  } else {
    for (int i = 0; i < c->args.n; i++) {
      argv[n++] = c->args.name[i];
      argv[n++] = c->args.value[i];
    }
    argv[n++] = "--out";
    argv[n++] = (char *)run;
  }
  argv[n] = NULL;
  return rc;
}

/* Runs train for cell c (its lock held) and fills st with the outcome. */
static int runTrain(const swSweep *s, const swCell *c, const swOptions *opts, swCellState *st,
                    char *err, size_t errsz) {
  char run[PATH_MAX];
  char log[PATH_MAX];
  int rc = sw_path(s->dir, c->run_dir, run, sizeof run, err, errsz);
  if (rc == TB_OK) {
    rc = sw_cellPath(s, SW_DIR_LOGS, c->index, "log", log, sizeof log, err, errsz);
  }
  char *parent = rc == TB_OK ? strdup(c->run_dir) : NULL;
  if (parent != NULL) {
    *strrchr(parent, '/') = '\0';
    rc = sw_makeDir(s->dir, parent, err, errsz);
    free(parent);
  }
  char *argv[2 * SW_MAX_FLAGS + 8]; /* tracebot train, the flags, --out RUN */
  if (rc == TB_OK) {
    rc = trainArgv(c, opts->tracebot, run, argv, err, errsz);
  }
  if (rc != TB_OK) {
    return rc;
  }
  /* a header line per attempt, then train's own output */
  off_t from = sizeOf(log);
  int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) {
    tb_setErr(err, errsz, "cannot write %s: %s", log, strerror(errno));
    return TB_EIO;
  }
  char head[512];
  time_t now = time(NULL);
  struct tm tmv;
  char when[32];
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", gmtime_r(&now, &tmv));
  int hn =
      snprintf(head, sizeof head, "== tracebot sweep: cell %d (%s), attempt %d on %s at %sZ: %s\n",
               c->index, c->run_dir, st->attempts, st->host, when,
               strcmp(argv[2], "--resume") == 0 ? "train --resume" : "train");
  int bad = tb_writeAll(fd, head, (size_t)(hn < (int)sizeof head ? hn : (int)sizeof head - 1));
  close(fd);
  if (bad != 0) {
    tb_setErr(err, errsz, "cannot write %s: %s", log, strerror(errno));
    return TB_EIO;
  }
  double t0 = tb_nowMs();
  char why[256] = "";
  pid_t pid = sw_spawn(argv, 0, log, NULL, why, sizeof why);
  int status = 0;
  if (pid > 0) {
    status = sw_waitChild(pid, opts->stop, STOP_GRACE_S);
  }
  st->wall_s += (tb_nowMs() - t0) / 1000;
  /* the outcome: done, or failed with train's last error line */
  if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    st->status = SW_DONE;
    st->reason[0] = '\0';
    return TB_OK;
  }
  st->status = SW_FAILED;
  char how[96];
  char line[SW_REASON_MAX - 128];
  if (pid <= 0) {
    snprintf(st->reason, sizeof st->reason, "%s", why);
    return TB_OK;
  }
  sw_describeStatus(status, how, sizeof how);
  lastError(log, from, line, sizeof line);
  snprintf(st->reason, sizeof st->reason, "%strain %s%s%s",
           opts->stop != NULL && *opts->stop ? "interrupted by a signal: " : "", how,
           line[0] != '\0' ? ": " : "", line);
  return TB_OK;
}

int sw_runCell(const char *dir, int index, const swOptions *opts, int *done, char *err,
               size_t errsz) {
  int isDone = 0;
  if (done != NULL) {
    *done = 0;
  }
  if (opts == NULL || opts->tracebot == NULL) {
    tb_setErr(err, errsz, "run-cell: which tracebot executable?");
    return TB_EINVAL;
  }
  swSweep s;
  int rc = sw_sweepOpen(&s, dir, err, errsz);
  if (rc == TB_OK && (index < 0 || index >= s.ncells)) {
    tb_setErr(err, errsz, "%s has no cell %d (cells 0..%d)", dir, index, s.ncells - 1);
    rc = TB_EINVAL;
  }
  if (rc == TB_OK) {
    rc = sw_makeDir(s.dir, SW_DIR_CELLS, err, errsz);
  }
  if (rc == TB_OK) {
    rc = sw_makeDir(s.dir, SW_DIR_LOGS, err, errsz);
  }
  /* one runner per cell */
  char lockPath[PATH_MAX];
  int lock = -1;
  if (rc == TB_OK) {
    rc = sw_cellPath(&s, SW_DIR_CELLS, index, "lock", lockPath, sizeof lockPath, err, errsz);
  }
  if (rc == TB_OK) {
    int busy = 0;
    lock = sw_lock(lockPath, CELL_LOCK_WAIT_S, &busy, err, errsz);
    if (lock < 0) {
      if (busy) {
        tb_setErr(err, errsz, "cell %d of %s is being run by another process", index, dir);
      }
      rc = busy ? TB_EINVAL : TB_EIO;
    }
  }
  swCellState st;
  if (rc == TB_OK) {
    rc = sw_cellStateRead(&s, index, &st, err, errsz);
  }
  if (rc == TB_OK && st.status == SW_DONE) {
    isDone = 1;
  } else if (rc == TB_OK) {
    /* running, then done or failed */
    st.status = SW_RUNNING;
    st.reason[0] = '\0';
    st.pid = getpid();
    st.attempts++;
    engineJob(st.engine_job, sizeof st.engine_job);
    if (gethostname(st.host, sizeof st.host) != 0) {
      snprintf(st.host, sizeof st.host, "?");
    }
    st.host[sizeof st.host - 1] = '\0';
    rc = sw_cellStateWrite(&s, index, &st, err, errsz);
    if (rc == TB_OK) {
      rc = runTrain(&s, &s.cells[index], opts, &st, err, errsz);
      if (rc != TB_OK) {
        st.status = SW_FAILED;
        snprintf(st.reason, sizeof st.reason, "%s", err != NULL ? err : "could not start");
      }
      int wrc = sw_cellStateWrite(&s, index, &st, err, errsz);
      rc = rc != TB_OK ? rc : wrc;
    }
    isDone = st.status == SW_DONE;
  }
  sw_unlock(lock);
  /* the sweep's summary, now that this cell changed */
  if (rc == TB_OK) {
    char why[256];
    sw_summaryWrite(&s, NULL, why, sizeof why);
  }
  if (done != NULL) {
    *done = isDone;
  }
  sw_sweepClose(&s);
  return rc;
}
