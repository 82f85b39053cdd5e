/* sweep: grids of training runs (tasks x variants x repeats, and any train flag), run on a
 * local pool of worker processes or as a Slurm job array, with their results gathered into
 * one summary and one report; library tracebot_sweep.
 *
 * A sweep directory (sweep/README.md has every key):
 *   sweep.json        the resolved grid: tasks, variants (each a list of train flags), repeats,
 *                     the repeat offset, the common train flags, and every cell's arguments.
 *                     Never an API key: flags holding a key's value are refused.
 *   summary.json      one entry per cell: task, variant, repeat, status (pending, running,
 *                     done, failed) and its reason, final and best test success, LLM calls,
 *                     tokens, stop reason, wall time, run_dir, engine_job
 *   runs/TASK/VARIANT/rK/   one ordinary run directory per cell (`tracebot train --out`)
 *   cells/NNNN.json   the state of cell NNNN, written by whoever runs it; cells/NNNN.lock
 *                     is held while it runs
 *   logs/NNNN.log     the output of the cell's `tracebot train`
 *   engine.json       the last engine run: engine, Slurm job id, the cells it was given
 *   sweep.sbatch      (slurm) the job array script, one cell per index
 *   sweep.lock        held by the one sweep process (run, resume, wait) of the directory
 *
 * A cell is run by a child process, `tracebot sweep --run-cell DIR INDEX`, which runs
 * `tracebot train ... --out RUN` (or `train --resume RUN` when RUN already holds a run) and
 * records the outcome. The local engine starts such children itself (posix_spawn); the
 * Slurm engine writes sweep.sbatch, submits it with sbatch and follows it with squeue and
 * sacct. A killed sweep leaves cells that sw_run on the same directory continues; done
 * cells are never run again.
 *
 * Errors: functions return 0 or a negative TB_E* code (tracebot/error.h) and write a
 * one-line message into (err, errsz) when err is not NULL: TB_EINVAL (a bad grid or flag,
 * a directory in use or holding another sweep), TB_EIO (a file of the sweep directory
 * could not be written or read), TB_EFORMAT (a malformed sweep.json or spec file, naming
 * the key), TB_ETOOL (sbatch or squeue missing or failing), TB_ENOMEM.
 * Threads: none; the functions start and wait for child processes.
 */
#ifndef TRACEBOT_SWEEP_H
#define TRACEBOT_SWEEP_H

#include <signal.h>
#include <stddef.h>

#include "tracebot/report.h"

struct cJSON;

#define SW_MAX_CELLS 4096 /* cells of one sweep */
#define SW_MAX_FLAGS 64   /* train flags of one list (common or one variant) */
#define SW_MAX_NAME 64    /* a variant or label name */
#define SW_MAX_VALUE 1024 /* one flag's value */

/* Where the cells run. */
typedef enum swEngine { SW_ENGINE_LOCAL = 0, SW_ENGINE_SLURM = 1 } swEngine;

/* A cell's state. */
typedef enum swStatus { SW_PENDING = 0, SW_RUNNING, SW_DONE, SW_FAILED } swStatus;

/* An ordered list of train flags ("--iters" -> "5"), each flag at most once: setting a
 * flag again replaces its value in place. */
typedef struct swFlags {
  int n;
  char *name[SW_MAX_FLAGS];
  char *value[SW_MAX_FLAGS];
} swFlags;

/* One variant: a name and the train flags it adds to the common ones. */
typedef struct swVariant {
  char name[SW_MAX_NAME];
  swFlags flags;
} swVariant;

/* A grid as the user describes it (flags and a spec file), before it is resolved into
 * cells. Ownership: sw_gridInit, then sw_gridClose releases everything. */
typedef struct swGrid {
  int ntasks;
  char **tasks; /* task names, in order */
  int nvariants;
  swVariant *variants;
  int repeats;             /* 0: not given (1) */
  long long repeat_offset; /* -1: not given (SW_DEFAULT_REPEAT_OFFSET) */
  swFlags flags;           /* common train flags, given to every cell */
  int naxes;               /* the spec file's "grid": variants x each axis */
  struct swAxis *axes;
} swGrid;

/* Repeat r trains from the training start(s) shifted by r times this. */
#define SW_DEFAULT_REPEAT_OFFSET 1000

void sw_gridInit(swGrid *g);
void sw_gridClose(swGrid *g);

/* The built-in variants, "trace, nomem, masked, opro", for help and messages. */
const char *sw_variantList(void);

/* Sets the tasks from "T1,T2" or "all" (replacing any). Errors: TB_EINVAL ("unknown task
 * 'x' (tasks: ...)"). */
int sw_gridSetTasks(swGrid *g, const char *list, char *err, size_t errsz);

/* Sets the variants from "trace,nomem,..." (built-in names, replacing any).
 * Errors: TB_EINVAL ("unknown variant 'x' (variants: ...)"). */
int sw_gridSetVariants(swGrid *g, const char *list, char *err, size_t errsz);

/* Sets a common train flag. Errors: TB_EINVAL (too many flags, a value too long, a flag the
 * sweep sets itself: --task, --out, --resume, --view, --json). */
int sw_gridSetFlag(swGrid *g, const char *name, const char *value, char *err, size_t errsz);

/* Reads a JSON sweep file into g (what it gives replaces g's tasks, variants, repeats,
 * offset; its flags are set before g's own): {"tasks": [..] or "all", "variants": [name or
 * {"name", "flags": {..}}], "repeats": R, "repeat_offset": N, "flags": {"--iters": 5},
 * "grid": {"--llm": {"label": "spec", ..} or [values]}}. Errors: TB_EIO (unreadable),
 * TB_EFORMAT (naming the file and the key), TB_EINVAL (an unknown task or variant). */
int sw_gridReadSpec(swGrid *g, const char *path, char *err, size_t errsz);

/* How a sweep runs. sw_defaultOptions fills it. */
typedef struct swOptions {
  swEngine engine;
  int engine_given; /* 0: on resume, the engine of the last run */
  int jobs;         /* local: worker processes; slurm: array throttle (0: none) */
  int wait;         /* slurm: follow the job until it ends */
  double poll_s;    /* slurm: seconds between squeue calls (default 5) */
  int nsbatch_args; /* slurm: extra sbatch options (partition, time, account) */
  const char *const *sbatch_args;
  const char *tracebot;        /* the tracebot executable the cells run (absolute path) */
  volatile sig_atomic_t *stop; /* nullable: set by a signal, stops waiting (cells go on) */
} swOptions;

void sw_defaultOptions(swOptions *o);

/* Checks what the engine of opts needs of a sweep in dir before one is made: for slurm, a
 * path an #SBATCH line can hold (no spaces, quotes, backslashes or '%') and --sbatch-arg
 * options that are one option each. Errors: TB_EINVAL naming the problem. */
int sw_checkOptions(const char *dir, const swOptions *opts, char *err, size_t errsz);

/* Counts of cells by status, and the engine's job. */
typedef struct swCounts {
  int total, pending, running, done, failed;
  char engine_job[64]; /* slurm: the job id of the last submission; local: "" */
  int submitted;       /* slurm without wait: the job was submitted and not followed */
  double elapsed_s;
} swCounts;

/* Called by the engines whenever a count changes (and about once a second). Nullable. */
typedef void (*swProgressFn)(void *user, const swCounts *c);

/* Called with the train flags of one cell (sw_gridEachVariant). Returns 0 to go on. */
typedef int (*swCellFlagsFn)(void *user, const swFlags *args);

/* Resolves g (with the checks of sw_create but the directory's) and calls fn with the train
 * flags of one cell of each variant, as `tracebot train` is given them but --out: the first
 * task's last repeat, whose training seeds are shifted the most. Returns fn's first non-zero
 * value (passed back as it is), or 0. Errors: as sw_create. */
int sw_gridEachVariant(const swGrid *g, swCellFlagsFn fn, void *user, char *err, size_t errsz);

/* Checks g, resolves it into cells and creates the sweep directory dir with sweep.json
 * (dir is made; it must not hold a sweep already). Errors: TB_EINVAL (an empty grid,
 * repeats out of 1..1000, more than SW_MAX_CELLS cells, a flag holding an API key, no LLM
 * given and TRACEBOT_LLM unset, dir already a sweep), TB_EIO (dir cannot be made or
 * written, naming it). */
int sw_create(const char *dir, const swGrid *g, char *err, size_t errsz);

/* Runs every cell of the sweep in dir that is not done, with the engine of opts (or, when
 * opts->engine_given is 0, of the last run), holding sweep.lock throughout. local: up to
 * opts->jobs cells at a time, returns when all have ended. slurm: writes sweep.sbatch,
 * submits it and, with opts->wait, follows the job to its end; without, returns once it
 * is submitted (counts->submitted). summary.json is rewritten whenever a cell ends and at
 * the end. Nullable: progress, user, counts.
 * Errors: TB_EINVAL (dir in use by another sweep process, not a sweep, its Slurm job still
 * queued), TB_EFORMAT (a malformed sweep.json), TB_ETOOL (sbatch failed), TB_EIO. A failed
 * cell is not an error: counts->failed says how many. */
int sw_run(const char *dir, const swOptions *opts, swProgressFn progress, void *user,
           swCounts *counts, char *err, size_t errsz);

/* Runs cell index of the sweep in dir (what `tracebot sweep --run-cell` does): takes the
 * cell's lock, records it running, runs `tracebot train` (opts->tracebot) for it with its
 * output in logs/, and records it done or failed with the reason; a cell already done is
 * left alone. opts->stop, when set by a signal, stops the train child (SIGTERM) and marks
 * the cell failed. *done (nullable) is 1 when the cell is done.
 * Errors: TB_EINVAL (no such cell, the cell held by another runner), TB_EFORMAT, TB_EIO.
 * A failed training is not an error (*done 0). */
int sw_runCell(const char *dir, int index, const swOptions *opts, int *done, char *err,
               size_t errsz);

/* Gathers the state of every cell into dir/summary.json (when no other sweep process
 * holds the directory) and counts. For a Slurm sweep whose job has left the queue, cells
 * that it did not finish are recorded failed with Slurm's reason.
 * Ownership: *summary (nullable) gets the summary object; free with cJSON_Delete.
 * Errors: TB_EINVAL (not a sweep), TB_EFORMAT, TB_EIO. */
int sw_status(const char *dir, swCounts *counts, struct cJSON **summary, char *err, size_t errsz);

/* Whether dir holds a sweep (a regular sweep.json). */
int sw_isSweep(const char *dir);

/* What sw_report wrote. */
typedef struct swReportResult {
  int cells, done;
  int cell_reports; /* cells whose own report.html was written */
} swReportResult;

/* The sweep's report: each cell's own report (ag_report with opts), then per task the test
 * success per iteration averaged over repeats with a 95% confidence band, one line per
 * variant (dir/sweep_curve.png and .svg), and dir/report.html with the tables per variant
 * and links to every cell's report. Nullable: opts, result.
 * Errors: TB_EINVAL (not a sweep), TB_EFORMAT, TB_EIO, TB_EDRAW, TB_ENOMEM. */
int sw_report(const char *dir, const agReportOptions *opts, swReportResult *result, char *err,
              size_t errsz);

#endif /* TRACEBOT_SWEEP_H */
