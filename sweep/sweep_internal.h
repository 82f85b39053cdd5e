/* sweep/ internals: the resolved sweep (grid.c, spec.c), the files of a sweep directory (state.c),
 * child processes (proc.c), the engines (local.c, slurm.c), the cell runner (cell.c) and the
 * report's gathering (report.c). Not installed; only sweep/ and its tests include it. */
#ifndef TRACEBOT_SWEEP_INTERNAL_H
#define TRACEBOT_SWEEP_INTERNAL_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "base.h"
#include "tracebot/sweep.h"

struct cJSON;

/* The files of a sweep directory. */
#define SW_FILE_SWEEP "sweep.json"
#define SW_FILE_SUMMARY "summary.json"
#define SW_FILE_ENGINE "engine.json"
#define SW_FILE_SBATCH "sweep.sbatch"
#define SW_FILE_LOCK "sweep.lock"
#define SW_FILE_SUMMARY_LOCK "summary.lock"
#define SW_DIR_CELLS "cells"
#define SW_DIR_LOGS "logs"
#define SW_DIR_RUNS "runs"

#define SW_REASON_MAX 512

/* ---------------------------------------------------------------- flags (grid.c) */

/* Sets name to value in f (replacing the value in place when name is there).
 * Errors: TB_EINVAL (too many, too long), TB_ENOMEM. */
int sw_flagsSet(swFlags *f, const char *name, const char *value, char *err, size_t errsz);
/* The value of name in f, or NULL. */
const char *sw_flagsGet(const swFlags *f, const char *name);
/* Copies every flag of src into dst (sw_flagsSet, in order). */
int sw_flagsMerge(swFlags *dst, const swFlags *src, char *err, size_t errsz);
void sw_flagsClose(swFlags *f);

#define SW_MAX_REPEATS 1000

/* The parts of a grid (grid.c), for spec.c: a task and a variant appended (a built-in one by
 * name, or an empty one to fill), the lists emptied. Errors: TB_EINVAL naming the bad name
 * (unknown, listed twice, not a folder name), TB_ENOMEM. */
int sw_gridAddTask(swGrid *g, const char *name, char *err, size_t errsz);
int sw_gridAddBuiltin(swGrid *g, const char *name, char *err, size_t errsz);
swVariant *sw_gridAddVariant(swGrid *g, const char *name, char *err, size_t errsz);
void sw_gridClearTasks(swGrid *g);
void sw_gridClearVariants(swGrid *g);
void sw_gridClearAxes(swGrid *g);

/* Whether name is a train flag ("--lower-case-words"), and a variant or label name (letters,
 * digits, '.', '_', '+', '-'; not starting with '.'). */
int sw_validFlagName(const char *name);
int sw_validName(const char *name);

/* A flag a cell may not be given (the sweep sets it: --task, --out, --resume, --view,
 * --json). Errors: TB_EINVAL. */
int sw_checkFlag(const char *name, char *err, size_t errsz);

/* One axis of a spec file's "grid": a train flag and its labelled values. */
typedef struct swAxisValue {
  char label[SW_MAX_NAME];
  char *value;
} swAxisValue;

typedef struct swAxis {
  char *flag;
  int nvalues;
  swAxisValue *values;
} swAxis;

/* ---------------------------------------------------------------- the sweep (grid.c, spec.c) */

/* One cell: a task, a variant, a repeat; its run directory and its train flags. */
typedef struct swCell {
  int index;
  int task, variant, repeat;          /* indices into the sweep's grid */
  char run_dir[3 * SW_MAX_NAME + 16]; /* runs/TASK/VARIANT/rK, relative to the sweep */
  long long seed_shift;               /* repeat * repeat_offset */
  swFlags args;                       /* every train flag but --out: --task first */
} swCell;

/* A resolved sweep: the grid with its axes expanded into variants, and its cells
 * (index = (task * nvariants + variant) * repeats + repeat). */
typedef struct swSweep {
  char dir[PATH_MAX]; /* as given to sw_sweepOpen or sw_resolve */
  swGrid grid;        /* naxes 0 */
  int ncells;
  swCell *cells;
} swSweep;

/* Resolves g into s (s->dir is set to dir): the axes multiply the variants, each repeat
 * shifts the training seed(s), and every check of sw_create but the directory's.
 * Ownership: sw_sweepClose (also after an error). */
int sw_resolve(const swGrid *g, const char *dir, swSweep *s, char *err, size_t errsz);

/* The sweep.json object of s. Ownership: caller frees with cJSON_Delete. */
struct cJSON *sw_sweepJson(const swSweep *s);

/* Reads dir/sweep.json (its grid, resolved again) into s.
 * Errors: TB_EINVAL (no sweep.json), TB_EFORMAT (naming the key), TB_EIO, TB_ENOMEM. */
int sw_sweepOpen(swSweep *s, const char *dir, char *err, size_t errsz);
void sw_sweepClose(swSweep *s);

/* The task and variant names of a cell. */
const char *sw_cellTask(const swSweep *s, const swCell *c);
const char *sw_cellVariant(const swSweep *s, const swCell *c);

/* ---------------------------------------------------------------- the directory (state.c) */

/* dir/name into out. Errors: TB_EINVAL (too long). */
int sw_path(const char *dir, const char *name, char *out, size_t outsz, char *err, size_t errsz);

/* mkdir -p of dir/sub (sub nullable), refusing a symbolic link on the way below dir.
 * Errors: TB_EIO naming the path. */
int sw_makeDir(const char *dir, const char *sub, char *err, size_t errsz);

/* Reads the JSON object file dir/name with runlog's reader (ag_runReadJson: at most
 * AG_RUN_JSON_MAX bytes), refusing a symbolic link. *out is NULL and TB_OK returned when the
 * file does not exist. Errors: TB_EIO, TB_EFORMAT (not a JSON object). */
int sw_readJson(const char *dir, const char *name, struct cJSON **out, char *err, size_t errsz);

/* Writes o (pretty-printed) to path atomically. Errors: TB_EIO, TB_ENOMEM, TB_EINVAL (more
 * than AG_RUN_JSON_MAX bytes: sw_readJson could not read it back). */
int sw_writeJson(const char *path, const struct cJSON *o, char *err, size_t errsz);

/* Takes an exclusive flock on path (made if missing, never through a symbolic link),
 * trying for up to wait_s seconds. Returns the descriptor, or -1 with *busy 1 when someone
 * else holds it (message in err), or -1 with *busy 0 on another error. */
int sw_lock(const char *path, double wait_s, int *busy, char *err, size_t errsz);
/* Releases a lock of sw_lock (a negative fd does nothing). */
void sw_unlock(int fd);

/* What the runner of a cell records in cells/NNNN.json. */
typedef struct swCellState {
  swStatus status;
  char reason[SW_REASON_MAX]; /* why it failed ("" otherwise) */
  char engine_job[64];        /* "local:PID" or "JOB_INDEX" of Slurm */
  char host[64];
  long long pid;
  int attempts;  /* times a runner started it */
  double wall_s; /* the train processes' wall time, summed over attempts */
} swCellState;

const char *sw_statusName(swStatus s);

/* Reads the state of cell index (pending with zero counts when it has no file).
 * Errors: TB_EIO, TB_EFORMAT. */
int sw_cellStateRead(const swSweep *s, int index, swCellState *st, char *err, size_t errsz);
int sw_cellStateWrite(const swSweep *s, int index, const swCellState *st, char *err, size_t errsz);

/* The path of a cell's file: cells/NNNN.json (ext "json"), cells/NNNN.lock, logs/NNNN.log. */
int sw_cellPath(const swSweep *s, const char *sub, int index, const char *ext, char *out,
                size_t outsz, char *err, size_t errsz);

/* Whether a runner holds the lock of cell index now. */
int sw_cellHeld(const swSweep *s, int index);

/* The last engine run (engine.json). */
typedef struct swEngineRun {
  swEngine engine;
  char job[64]; /* Slurm's job id, "" for local */
  int ncells;
  int *cells; /* the cells it was given */
} swEngineRun;

/* Reads engine.json (engine local, no cells, when there is none). Ownership:
 * sw_engineRunClose. Errors: TB_EIO, TB_EFORMAT. */
int sw_engineRunRead(const swSweep *s, swEngineRun *e, char *err, size_t errsz);
int sw_engineRunWrite(const swSweep *s, const swEngineRun *e, char *err, size_t errsz);
void sw_engineRunClose(swEngineRun *e);

/* The summary object of the sweep, counting into c (nullable): every cell's state and its
 * run's summary.json (read through runlog). A cell recorded running whose lock nobody
 * holds is shown failed ("its runner stopped"). Ownership: cJSON_Delete.
 * Errors: NULL (out of memory, or a malformed state file), message in err. */
struct cJSON *sw_summaryBuild(const swSweep *s, swCounts *c, char *err, size_t errsz);

/* Builds the summary and writes summary.json (under summary.lock). Nullable: c. */
int sw_summaryWrite(const swSweep *s, swCounts *c, char *err, size_t errsz);

/* ---------------------------------------------------------------- processes (proc.c) */

/* Starts argv (argv[0] a path; searched in PATH when search is 1) with stdin from
 * /dev/null and stdout and stderr appended to outPath (NULL: inherited), with the
 * environment plus the NAME=VALUE strings of extra (NULL-terminated, nullable).
 * Returns the pid, or -1 with a message. */
pid_t sw_spawn(char *const argv[], int search, const char *outPath, char *const extra[], char *err,
               size_t errsz);

/* Waits for pid; when *stop becomes set (stop nullable) sends it SIGTERM, and SIGKILL
 * grace_s later. Returns its wait status. */
int sw_waitChild(pid_t pid, volatile sig_atomic_t *stop, double grace_s);

/* "exited with status N" / "killed by signal S (NAME)" of a wait status, into out. */
void sw_describeStatus(int status, char *out, size_t outsz);

/* Runs argv (searched in PATH) to its end, at most timeout_s seconds, and returns its
 * stdout and stderr (at most max bytes, the rest dropped) in *out and its wait status.
 * Ownership: caller frees *out. Errors: TB_ETOOL (cannot be started: "NAME not found"; or
 * timed out), TB_ENOMEM. */
int sw_capture(char *const argv[], double timeout_s, size_t max, char **out, int *status, char *err,
               size_t errsz);

/* ---------------------------------------------------------------- engines */

/* The local pool (local.c): runs cells[0..n) with opts->jobs `tracebot sweep --run-cell`
 * children. */
int sw_runLocal(const swSweep *s, const int *cells, int n, const swOptions *opts,
                swProgressFn progress, void *user, swCounts *counts, char *err, size_t errsz);

/* Slurm (slurm.c). The job array script of cells[0..n) (throttle: at most that many at
 * once, 0: no limit), appended to b. */
void sw_sbatchScript(tbBuf *b, const char *tracebot, const char *dir, const int *cells, int n,
                     int throttle, const char *const *args, int nargs);

/* Writes sweep.sbatch, submits it, records the job in engine.json and, with opts->wait,
 * follows it to its end. */
int sw_runSlurm(const swSweep *s, const int *cells, int n, const swOptions *opts,
                swProgressFn progress, void *user, swCounts *counts, char *err, size_t errsz);

/* What squeue says of a job: whether any part is still queued or running, and the state
 * of every array index it lists (NULL where it says nothing). */
typedef struct swSlurmJob {
  int known;  /* squeue knows the job */
  int active; /* some index is pending, running, or ending */
  int n;      /* states[0..n): by cell index */
  char **states;
} swSlurmJob;

/* Asks squeue about job (for cells 0..ncells). Errors: TB_ETOOL (squeue missing or
 * failing for another reason than an unknown job). Ownership: sw_slurmJobClose. */
int sw_slurmQuery(const char *job, int ncells, swSlurmJob *j, char *err, size_t errsz);
void sw_slurmJobClose(swSlurmJob *j);

/* After a Slurm job ended: every cell of e that it did not finish is recorded failed with
 * the state Slurm (squeue, else sacct) gives for it. */
int sw_slurmFinish(const swSweep *s, const swEngineRun *e, const swSlurmJob *j, char *err,
                   size_t errsz);

#endif /* TRACEBOT_SWEEP_INTERNAL_H */
