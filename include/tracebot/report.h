/* report: the learning-curve figure and the self-contained HTML report of a run
 * directory (`tracebot report DIR`); library tracebot_report.
 *
 * Reads DIR/iterations.jsonl through train's runlog (every complete line must be a valid
 * iteration; an unterminated last line is a write in progress and is skipped), and, when
 * present, DIR/config.json, DIR/summary.json and DIR/episodes/. Writes
 * DIR/learning_curve.png, DIR/learning_curve.svg (train success markers, train return,
 * test success rate per iteration, drawn with cairo) and DIR/report.html (inline CSS, the
 * SVG inlined, per iteration: feedback, update outcome and reason, tokens, latency, a
 * unified diff of next_controller against controller, and the training episode as a
 * strip of PNG frames when a renderer is given). The run's formats: train/README.md.
 *
 * This library knows nothing about GLFW or MuJoCo: frames come through the strip
 * callback (the viewer target provides the rendering; see viewer/README.md).
 *
 * Errors: functions return 0 or a negative TB_E* code and write a one-line
 * message naming the file, line or key into (err, errsz) when err is not NULL.
 */
#ifndef TRACEBOT_AGENT_REPORT_H
#define TRACEBOT_AGENT_REPORT_H

#include <stddef.h>

#include "tracebot/error.h"

/* Errors (tracebot/error.h) returned here:
 *   TB_EINVAL: bad argument
 *   TB_EIO: a file could not be read or written
 *   TB_EFORMAT: a run file is malformed (message names file, line and key)
 *   TB_ENOMEM
 *   TB_EDRAW: cairo failed */

#define AG_REPORT_FILE_MAX (256u << 20) /* iterations.jsonl size cap */
#define AG_REPORT_MAX_ITERS 100000

/* One encoded PNG image. Ownership: free(data). */
typedef struct agReportImage {
  unsigned char *data;
  size_t len;
} agReportImage;

/* Renders up to maxframes frames of the episode file episode_path into frames
 * (PNG bytes, caller-owned array of maxframes), setting *nframes. Returns 0, or
 * non-zero with a one-line reason in err (e.g. "no display: ...") — the report
 * then shows that reason instead of the strip. */
typedef int (*agReportStripFn)(void *user, const char *episode_path, int maxframes,
                               agReportImage *frames, int *nframes, char *err, size_t errsz);

typedef struct agReportOptions {
  agReportStripFn strip; /* nullable: no image strips */
  void *strip_user;
  int strip_frames;  /* frames per training episode; default 6 */
  int width, height; /* figure size in pixels; default 900 x 500 */
} agReportOptions;

/* What ag_report found and wrote. */
typedef struct agReportResult {
  int iterations;      /* iteration lines read */
  int skipped_partial; /* 1 if an unterminated last line was skipped */
  int strips;          /* iterations with an image strip */
} agReportResult;

/* Fills opts with the defaults (no strip renderer). */
void ag_defaultReportOptions(agReportOptions *opts);

/* Writes learning_curve.png, learning_curve.svg and report.html into dir (each
 * atomically: a temporary file, fsynced, renamed; an existing one that is not a regular
 * file is refused). opts and result are nullable.
 * Errors: TB_EINVAL (a symbolic link inside dir, an output that is not a regular file:
 * refused before anything is drawn), TB_EIO (dir or iterations.jsonl unreadable, outputs
 * unwritable), TB_EFORMAT (a malformed line), TB_EDRAW, TB_ENOMEM. */
int ag_report(const char *dir, const agReportOptions *opts, agReportResult *result, char *err,
              size_t errsz);

/* ---------------------------------------------------------------- a sweep's report */

/* One cell of a sweep as its report shows it (tracebot/sweep.h fills these from the sweep
 * directory). Strings are borrowed; a number that is not known is NAN. */
typedef struct agSweepCell {
  const char *task;
  const char *variant;
  int repeat;
  const char *status;  /* "pending", "running", "done", "failed" */
  const char *reason;  /* nullable: why it failed */
  const char *run_dir; /* relative to the sweep directory */
  int has_report;      /* run_dir/report.html was written */
  int niters;
  const double *test_success; /* niters values: the test success rate after each iteration */
  double final_success, best_success;
  double llm_calls;
  double prompt_tokens, completion_tokens;
  double wall_s;
} agSweepCell;

/* What ag_reportSweep wrote. */
typedef struct agSweepReportResult {
  int tasks, variants; /* in the figure and the tables */
  int curves;          /* (task, variant) pairs with at least one done cell */
} agSweepReportResult;

/* Writes into dir sweep_curve.png and sweep_curve.svg (one panel per task: the test success
 * per iteration of each variant's done cells, the mean over repeats as a line and its 95%
 * confidence band (Student's t) as a shade; a run that stopped early keeps its last value)
 * and report.html (the figure, per task a table per variant of final and best success, LLM
 * calls, tokens and wall time, and every cell with a link to its own report). Tasks and
 * variants are shown in the order they first appear in cells. Nullable: result.
 * Errors: TB_EINVAL (no cells), TB_EIO, TB_EDRAW, TB_ENOMEM. */
int ag_reportSweep(const char *dir, const agSweepCell *cells, int ncells,
                   agSweepReportResult *result, char *err, size_t errsz);

/* Appends a unified diff (3 lines of context, "--- a_name" / "+++ b_name" header,
 * @@ hunks) of text b against text a to a malloc'd string in *out. Identical
 * texts give "". Longer than 5000 lines each: a one-line note instead.
 * Ownership: caller frees *out. Errors: TB_ENOMEM, TB_EINVAL. */
int ag_reportDiff(const char *a, const char *b, const char *a_name, const char *b_name, char **out);

#endif /* TRACEBOT_AGENT_REPORT_H */
