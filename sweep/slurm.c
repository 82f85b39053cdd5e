/* The Slurm engine: sweep.sbatch (a job array, one cell per index, each running `tracebot
 * sweep --run-cell DIR INDEX`), sbatch to submit it, squeue and sacct to follow it (see
 * sweep.h). Slurm schedules; tracebot only asks it. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "sweep_internal.h"

#define TOOL_TIMEOUT_S 60
#define TOOL_OUTPUT_MAX (1u << 20)
#define SQUEUE_FAILURES_MAX 10

/* ---------------------------------------------------------------- the script */

/* s between single quotes for sh ('\'' for a quote). */
static void putQuoted(tbBuf *b, const char *s) {
  tb_bufPutc(b, '\'');
  for (; *s != '\0'; s++) {
    if (*s == '\'') {
      tb_bufPuts(b, "'\\''");
    } else {
      tb_bufPutc(b, *s);
    }
  }
  tb_bufPutc(b, '\'');
}

/* cells[0..n) (ascending) as Slurm's index list: "0-3,5,7-9". */
static void putRanges(tbBuf *b, const int *cells, int n) {
  for (int i = 0; i < n;) {
    int j = i;
    while (j + 1 < n && cells[j + 1] == cells[j] + 1) {
      j++;
    }
    tb_bufPrintf(b, i > 0 ? ",%d" : "%d", cells[i]);
    if (j > i) {
      tb_bufPrintf(b, "-%d", cells[j]);
    }
    i = j + 1;
  }
}

void sw_sbatchScript(tbBuf *b, const char *tracebot, const char *dir, const int *cells, int n,
                     int throttle, const char *const *args, int nargs) {
  tb_bufPuts(b,
             "#!/bin/sh\n"
             "# A tracebot sweep as a Slurm job array: array index I runs cell I of the sweep\n"
             "# (`tracebot sweep --run-cell DIR I`, which runs `tracebot train` for it and\n"
             "# records the outcome in DIR/cells/). Written by `tracebot sweep`; `tracebot\n"
             "# sweep --resume DIR` writes it again for the cells that are not done.\n"
             "# No API key is written here: the job inherits the environment of the shell\n"
             "# that submitted it (--export=ALL), where OPENAI_API_KEY, ANTHROPIC_API_KEY and\n"
             "# TRACEBOT_LLM are read.\n"
             "#SBATCH --job-name=tracebot-sweep\n"
             "#SBATCH --array=");
  putRanges(b, cells, n);
  if (throttle > 0) {
    tb_bufPrintf(b, "%%%d", throttle);
  }
  tb_bufPrintf(b, "\n#SBATCH --output=%s/%s/slurm-%%A_%%a.out\n#SBATCH --export=ALL\n", dir,
               SW_DIR_LOGS);
  for (int i = 0; i < nargs; i++) {
    tb_bufPrintf(b, "#SBATCH %s\n", args[i]);
  }
  tb_bufPuts(b, "exec ");
  putQuoted(b, tracebot);
  tb_bufPuts(b, " sweep --run-cell ");
  putQuoted(b, dir);
  tb_bufPuts(b, " \"$SLURM_ARRAY_TASK_ID\"\n");
}

/* What an #SBATCH line can hold: sbatch reads it without a shell. */
int sw_checkOptions(const char *dir, const swOptions *opts, char *err, size_t errsz) {
  if (opts->engine != SW_ENGINE_SLURM) {
    return TB_OK;
  }
  if (strpbrk(dir, " \t\n\"'\\%") != NULL) {
    tb_setErr(err, errsz,
              "the slurm engine needs a sweep directory without spaces, quotes, backslashes or "
              "'%%': %.128s",
              dir);
    return TB_EINVAL;
  }
  for (int i = 0; i < opts->nsbatch_args; i++) {
    const char *a = opts->sbatch_args[i];
    if (a[0] != '-' || strpbrk(a, "\n\r") != NULL || strlen(a) > 512) {
      tb_setErr(err, errsz, "--sbatch-arg '%.64s' is not one sbatch option (--partition=P)", a);
      return TB_EINVAL;
    }
  }
  return TB_OK;
}

/* ---------------------------------------------------------------- asking Slurm */

/* The first line of a tool's output, for a message. */
static void firstLine(const char *text, char *out, size_t outsz) {
  snprintf(out, outsz, "%.*s", (int)strcspn(text, "\n"), text);
}

static int finished(const char *state) {
  static const char *const done[] = {"COMPLETED",     "FAILED",    "CANCELLED", "TIMEOUT",
                                     "NODE_FAIL",     "BOOT_FAIL", "DEADLINE",  "PREEMPTED",
                                     "OUT_OF_MEMORY", NULL};
  for (int i = 0; done[i] != NULL; i++) {
    if (strncmp(state, done[i], strlen(done[i])) == 0) {
      return 1;
    }
  }
  return 0;
}

/* Lines "JOB_INDEX|STATE" (or "JOB_[a-b]|STATE", "JOB|STATE") of squeue or sacct into j. */
static int parseStates(const char *text, swSlurmJob *j) {
  for (const char *line = text; *line != '\0';) {
    size_t len = strcspn(line, "\n");
    char buf[256];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), line);
    line += len + (line[len] == '\n');
    char *bar = strchr(buf, '|');
    if (bar == NULL) {
      continue;
    }
    *bar = '\0';
    char *state = bar + 1;
    state[strcspn(state, "| ")] = '\0';
    j->known = 1;
    j->active |= !finished(state);
    char *under = strchr(buf, '_');
    if (under == NULL || !isdigit((unsigned char)under[1])) {
      continue;
    }
    long idx = strtol(under + 1, NULL, 10);
    if (idx >= 0 && idx < j->n && j->states[idx] == NULL &&
        (j->states[idx] = strdup(state)) == NULL) {
      return TB_ENOMEM;
    }
  }
  return TB_OK;
}

static int initJob(swSlurmJob *j, int ncells) {
  memset(j, 0, sizeof *j);
  j->states = calloc((size_t)(ncells > 0 ? ncells : 1), sizeof *j->states);
  j->n = ncells;
  return j->states != NULL ? TB_OK : TB_ENOMEM;
}

void sw_slurmJobClose(swSlurmJob *j) {
  for (int i = 0; j->states != NULL && i < j->n; i++) {
    free(j->states[i]);
  }
  free(j->states);
  memset(j, 0, sizeof *j);
}

int sw_slurmQuery(const char *job, int ncells, swSlurmJob *j, char *err, size_t errsz) {
  if (initJob(j, ncells) != TB_OK) {
    tb_setErr(err, errsz, "out of memory");
    return TB_ENOMEM;
  }
  char *argv[] = {"squeue", "-h", "-j", (char *)job, "-t", "all", "-o", "%i|%T", NULL};
  char *out = NULL;
  int status = 0;
  int rc = sw_capture(argv, TOOL_TIMEOUT_S, TOOL_OUTPUT_MAX, &out, &status, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    /* a job Slurm has forgotten is a job that ended */
    if (strstr(out, "Invalid job id") == NULL) {
      char line[256];
      firstLine(out, line, sizeof line);
      tb_setErr(err, errsz, "squeue failed for job %s: %s", job, line);
      rc = TB_ETOOL;
    }
    free(out);
    return rc;
  }
  rc = parseStates(out, j);
  free(out);
  return rc;
}

/* sacct's states of the job's indices, for the cells squeue no longer knows (accounting
 * may be off: then nothing). */
static void sacctStates(const char *job, swSlurmJob *j) {
  char *argv[] = {"sacct", "-n", "-P", "-X", "-j", (char *)job, "-o", "JobID,State", NULL};
  char *out = NULL;
  int status = 0;
  char err[256];
  if (sw_capture(argv, TOOL_TIMEOUT_S, TOOL_OUTPUT_MAX, &out, &status, err, sizeof err) == TB_OK) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      parseStates(out, j);
    }
    free(out);
  }
}

int sw_slurmFinish(const swSweep *s, const swEngineRun *e, const swSlurmJob *j, char *err,
                   size_t errsz) {
  swSlurmJob acct;
  int asked = 0;
  int rc = initJob(&acct, s->ncells);
  for (int i = 0; rc == TB_OK && i < e->ncells; i++) {
    int idx = e->cells[i];
    swCellState st;
    rc = sw_cellStateRead(s, idx, &st, err, errsz);
    if (rc != TB_OK || st.status == SW_DONE || st.status == SW_FAILED) {
      continue;
    }
    const char *state = idx < j->n ? j->states[idx] : NULL;
    if (state == NULL && !asked) {
      sacctStates(e->job, &acct);
      asked = 1;
    }
    if (state == NULL) {
      state = acct.states[idx];
    }
    st.status = SW_FAILED;
    snprintf(st.engine_job, sizeof st.engine_job, "%.40s_%d", e->job, idx);
    if (state != NULL) {
      snprintf(st.reason, sizeof st.reason, "Slurm job %s_%d ended %s before the cell finished",
               e->job, idx, state);
    } else {
      snprintf(st.reason, sizeof st.reason,
               "Slurm job %s ended without finishing the cell (Slurm no longer says why)", e->job);
    }
    rc = sw_cellStateWrite(s, idx, &st, err, errsz);
  }
  sw_slurmJobClose(&acct);
  return rc;
}

/* ---------------------------------------------------------------- submitting and following */

static int submit(const swSweep *s, const char *script, char *job, size_t jobsz, char *err,
                  size_t errsz) {
  char *argv[] = {"sbatch", "--parsable", (char *)script, NULL};
  char *out = NULL;
  int status = 0;
  int rc = sw_capture(argv, TOOL_TIMEOUT_S, TOOL_OUTPUT_MAX, &out, &status, err, errsz);
  if (rc != TB_OK) {
    char why[256];
    snprintf(why, sizeof why, "%s", err != NULL ? err : "");
    tb_setErr(err, errsz,
              "cannot submit %s/%s: %s (the slurm engine needs Slurm's sbatch and squeue in "
              "PATH)",
              s->dir, SW_FILE_SBATCH, why);
    return rc;
  }
  /* the line "JOBID" or "JOBID;CLUSTER" (warnings may come before it) */
  const char *id = NULL;
  size_t digits = 0;
  for (const char *line = out; *line != '\0' && id == NULL; line += strcspn(line, "\n")) {
    line += *line == '\n';
    digits = strspn(line, "0123456789");
    if (digits > 0 && digits < jobsz && strchr(";\n", line[digits]) != NULL) {
      id = line;
    }
  }
  if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) || id == NULL) {
    char line[256];
    firstLine(out, line, sizeof line);
    tb_setErr(err, errsz, "sbatch refused %s/%s: %s", s->dir, SW_FILE_SBATCH, line);
    free(out);
    return TB_ETOOL;
  }
  snprintf(job, jobsz, "%.*s", (int)digits, id);
  free(out);
  return TB_OK;
}

/* Sleeps secs in short steps; 1 when *stop was set. */
static int nap(double secs, volatile sig_atomic_t *stop) {
  double until = tb_nowMs() + secs * 1000;
  while (tb_nowMs() < until) {
    if (stop != NULL && *stop) {
      return 1;
    }
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return stop != NULL && *stop;
}

/* Follows job until it leaves the queue, then records what it did not finish. */
static int follow(const swSweep *s, const swEngineRun *e, const swOptions *opts,
                  swProgressFn progress, void *user, swCounts *counts, char *err, size_t errsz) {
  double t0 = tb_nowMs();
  int failures = 0;
  for (;;) {
    if (nap(opts->poll_s > 0 ? opts->poll_s : 5, opts->stop)) {
      counts->submitted = 1; /* the job goes on without us */
      return TB_OK;
    }
    swSlurmJob j;
    char why[512];
    int rc = sw_slurmQuery(e->job, s->ncells, &j, why, sizeof why);
    if (rc == TB_ETOOL && ++failures < SQUEUE_FAILURES_MAX) {
      sw_slurmJobClose(&j);
      continue;
    }
    if (rc != TB_OK) {
      sw_slurmJobClose(&j);
      tb_setErr(err, errsz,
                "lost track of Slurm job %s (%s); its cells go on: see tracebot "
                "sweep --status %s",
                e->job, why, s->dir);
      return rc;
    }
    failures = 0;
    int ended = !j.known || !j.active;
    if (ended) {
      rc = sw_slurmFinish(s, e, &j, err, errsz);
    }
    sw_slurmJobClose(&j);
    counts->elapsed_s = (tb_nowMs() - t0) / 1000;
    if (ended) {
      int wrc = sw_summaryWrite(s, counts, err, errsz);
      return rc != TB_OK ? rc : wrc;
    }
    cJSON_Delete(sw_summaryBuild(s, counts, why, sizeof why));
    if (progress != NULL) {
      progress(user, counts);
    }
  }
}

int sw_runSlurm(const swSweep *s, const int *cells, int n, const swOptions *opts,
                swProgressFn progress, void *user, swCounts *counts, char *err, size_t errsz) {
  swOptions slurm = *opts;
  slurm.engine = SW_ENGINE_SLURM;
  int rc = sw_checkOptions(s->dir, &slurm, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  /* the script of the cells to run */
  char script[PATH_MAX];
  rc = sw_path(s->dir, SW_FILE_SBATCH, script, sizeof script, err, errsz);
  tbBuf b;
  tb_bufInit(&b, 1u << 20);
  sw_sbatchScript(&b, opts->tracebot, s->dir, cells, n, opts->jobs, opts->sbatch_args,
                  opts->nsbatch_args);
  if (rc == TB_OK && b.failed) {
    tb_setErr(err, errsz, "out of memory writing %s", script);
    rc = TB_ENOMEM;
  }
  if (rc == TB_OK) {
    rc = tb_writeFileAtomic(script, b.data, b.len, err, errsz);
    rc = rc == TB_EINVAL ? TB_EIO : rc;
  }
  tb_bufClose(&b);
  /* submitted: the job id goes into engine.json before anything else */
  swEngineRun e = {SW_ENGINE_SLURM, "", n, (int *)cells};
  if (rc == TB_OK) {
    rc = submit(s, script, e.job, sizeof e.job, err, errsz);
  }
  if (rc == TB_OK) {
    rc = sw_engineRunWrite(s, &e, err, errsz);
  }
  if (rc == TB_OK) {
    rc = sw_summaryWrite(s, counts, err, errsz);
  }
  if (rc != TB_OK) {
    return rc;
  }
  if (progress != NULL) {
    progress(user, counts);
  }
  if (!opts->wait) {
    counts->submitted = 1;
    return TB_OK;
  }
  return follow(s, &e, opts, progress, user, counts, err, errsz);
}
