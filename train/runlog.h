/* runlog: the run directory and its file formats, in both directions. The trainer writes
 * a run and reads it back to resume; the report and the bench read it. This is the one
 * non-public header another module may include besides base.h.
 *
 * A run directory (see train/README.md for every key):
 *   config.json             the run's settings (ag_runConfigJson / ag_runConfigRead)
 *   iterations.jsonl        one compact JSON object per finished iteration (agIteration),
 *                           appended with one write and an fsync (ag_runDirAppend)
 *   summary.json            the totals (ag_trainSummaryJson, train.h)
 *   controller_final.c      the current controller; controller_best.c: the best one on
 *                           the test seeds
 *   episodes/iter_NNN.json  the training episode of iteration NNN
 * The small files are replaced atomically (tb_writeFileAtomic). Every file is read and
 * written without following a symbolic link, and a run directory holding one is refused.
 * JSON is written and read back valid UTF-8 (tb_utf8Sanitize).
 *
 * iterations.jsonl: line k (1-based) is iteration k and ends with '\n'. Only the last line
 * may lack its '\n': that is a write in flight when the trainer stopped (torn); readers skip
 * it and resume cuts it off. Any other defect, the last complete line included, is an error
 * naming the file, the line and the key.
 *
 * Errors: 0 or a negative TB_E* code (tracebot/error.h), with a one-line message in
 * (err, errsz) when err is not NULL.
 */
#ifndef TRACEBOT_TRAIN_RUNLOG_H
#define TRACEBOT_TRAIN_RUNLOG_H

#include <limits.h>
#include <stddef.h>

#include "tracebot/agent.h"
#include "tracebot/train.h"

/* The files of a run directory. */
#define AG_RUN_CONFIG "config.json"
#define AG_RUN_ITERATIONS "iterations.jsonl"
#define AG_RUN_SUMMARY "summary.json"
#define AG_RUN_FINAL "controller_final.c"
#define AG_RUN_BEST "controller_best.c"
#define AG_RUN_EPISODES "episodes"

#define AG_RUN_LINES_MAX (256u << 20) /* iterations.jsonl larger than this is refused */
#define AG_RUN_JSON_MAX (4u << 20)    /* config.json, summary.json */

/* Writes dir/name into out. Errors: TB_EINVAL (longer than outsz). */
int ag_runPath(const char *dir, const char *name, char *out, size_t outsz, char *err, size_t errsz);

/* Reads the small JSON object file dir/name (config.json, summary.json).
 * Ownership: caller frees *out with cJSON_Delete.
 * Errors: TB_EIO (unreadable), TB_EFORMAT (not a JSON object); *out NULL. */
int ag_runReadJson(const char *dir, const char *name, struct cJSON **out, char *err, size_t errsz);

/* ------------------------------------------------------------- one iteration line */

/* The update outcome's name in a line ("updated", "no_change", "unusable", "none"). */
const char *ag_outcomeName(trOutcome outcome);

typedef struct agIterationStore agIterationStore;

/* One line of iterations.jsonl: one finished iteration. Strings are borrowed: from the
 * caller when writing, from the parse (until ag_iterationClose) when read. */
typedef struct agIteration {
  int iteration;          /* 1-based; line k holds iteration k */
  const char *controller; /* the source rolled out on the training seed */
  agEvalEpisode train;    /* the training episode shown (its trace): seed, success, ret,
                             nsteps, fault; without an LLM call, the pool's worst start */
  int pool_starts;        /* "pool": the training starts the controller ran on (1 in the */
  int pool_successes;     /* paper protocol) and on how many it succeeded */
  const char *feedback;   /* what the optimizer was told */
  const char *system;     /* the prompt sent ("" when rendering failed or nothing was sent) */
  const char *user;
  const char *response; /* the LLM's reply; NULL (null in the line) when the iteration asked
                           no LLM (the controller succeeded on every training start and the
                           pool grew) */
  long long prompt_tokens;
  long long completion_tokens;
  int tokens_estimated;
  double latency_s;
  trOutcome outcome;  /* the update: outcome, why, whether the answer was TERMINATE, the */
  const char *reason; /* parameters it changed */
  int terminate;
  int nchanged;
  const char *const *changed;
  const char *next_controller; /* the controller the update produced */
  int ntest;                   /* the test episodes of next_controller, in seed order (a */
  const agEvalEpisode *test;   /* line keeps seed, success, ret and fault.kind of each) */
  double test_success_rate;
  double test_mean_return;
  const char *episode; /* the training episode's file, relative to the run directory */
  double elapsed_s;    /* since the trainer (or its resume) started */
  double optimizer_overhead_ms;
  const char *optimizer_state; /* tr_optimizerSaveJson's JSON object (read back compact) */
  agIterationStore *store;     /* what a parsed line borrows from; NULL when built by hand */
} agIteration;

/* The line of it: compact JSON, no newline, the keys in the order of the struct.
 * Ownership: caller frees. Errors: NULL (out of memory, optimizer_state not a JSON object),
 * message in err. */
char *ag_iterationText(const agIteration *it, char *err, size_t errsz);

/* Parses and validates one line (len bytes, no newline) of file (for messages) at line
 * number lineNo into *it: every key present, of its type and range, and iteration ==
 * lineNo. Ownership: release *it with ag_iterationClose (also after an error).
 * Errors: TB_EFORMAT ("FILE line N: KEY: what is wrong"), TB_ENOMEM. */
int ag_iterationParse(const char *text, size_t len, const char *file, int lineNo, agIteration *it,
                      char *err, size_t errsz);

/* Releases what a parsed line holds and zeroes it. Nullable; safe on a line built by hand
 * (store NULL: only zeroes it). */
void ag_iterationClose(agIteration *it);

/* Called once per complete line, in order; it is valid during the call only. A non-zero
 * return stops the read and is returned by it. */
typedef int (*agIterationFn)(void *user, const agIteration *it, char *err, size_t errsz);

/* What a read of iterations.jsonl found. */
typedef struct agIterationsInfo {
  int lines;       /* complete lines read */
  int torn;        /* 1 when the file ends in an unterminated line (not read) */
  size_t complete; /* bytes up to the end of the last complete line */
} agIterationsInfo;

/* Reads the iterations file path (at most AG_RUN_LINES_MAX bytes), handing each complete
 * line to fn (nullable: validate only). Nullable: info.
 * Errors: TB_EIO (unreadable), TB_EFORMAT (a bad line, named), TB_ENOMEM, or fn's code. */
int ag_iterationsRead(const char *path, agIterationFn fn, void *user, agIterationsInfo *info,
                      char *err, size_t errsz);

/* ------------------------------------------------------------- the directory */

typedef struct agRunDir {
  char path[PATH_MAX];
  int fd;          /* iterations.jsonl, opened for appending; -1 when closed */
  int lockfd;      /* the directory, locked (flock) while a trainer has it; -1 when not */
  int torn;        /* the last ag_runDirReadLines found an unterminated last line */
  size_t complete; /* and the bytes up to the end of its last complete line */
} agRunDir;

/* Nothing is written into a run directory until the run has been validated, and nothing
 * there is followed through a link. A new run: ag_runDirCreate, write config.json
 * (ag_runDirWriteFile), ag_runDirOpenLines, then append. A resumed run: ag_runDirResume,
 * ag_runDirReadLines (validates, writes nothing), check everything else, then
 * ag_runDirOpenLines (which cuts a torn last line) and append. */

/* Creates path (and its parents, and path/episodes) for a new run and takes it (flock on
 * the directory). Writes no file.
 * Errors: TB_EINVAL (path already holds a run: a config.json, or iterations.jsonl with
 * lines; another trainer has it; something inside it is a symbolic link), TB_EIO; message
 * in err. */
int ag_runDirCreate(agRunDir *d, const char *path, char *err, size_t errsz);

/* Opens an existing run for resuming: refuses one that holds a symbolic link, reads its
 * config.json into *config and takes the run (flock). Writes nothing.
 * Ownership: caller frees *config with cJSON_Delete and closes d.
 * Errors: TB_EINVAL (no readable config.json object: not a run; a link inside; another
 * trainer has it), TB_EIO. */
int ag_runDirResume(agRunDir *d, const char *path, struct cJSON **config, char *err, size_t errsz);

/* Reads the iterations of an open run (ag_iterationsRead; fn nullable; no file yet: no
 * lines) and notes a torn last line for ag_runDirOpenLines. Writes nothing. Nullable: info.
 * Errors: as ag_iterationsRead, but TB_EFORMAT for a file that cannot be read (not a
 * regular file, a link, over the cap): not a run to resume. */
int ag_runDirReadLines(agRunDir *d, agIterationFn fn, void *user, agIterationsInfo *info, char *err,
                       size_t errsz);

/* Opens iterations.jsonl for appending (tb_openAppend: created when missing, never through a
 * link) once config.json is there, and cuts the torn last line the last ag_runDirReadLines
 * found. Errors: TB_EINVAL (no config.json yet; iterations.jsonl is a link, not a regular
 * file or has another hard link), TB_EIO. */
int ag_runDirOpenLines(agRunDir *d, char *err, size_t errsz);

/* Appends it as one line to iterations.jsonl with one write, then fsyncs it.
 * Errors: TB_EIO (also: not opened with ag_runDirOpenLines), TB_ENOMEM. */
int ag_runDirAppend(agRunDir *d, const agIteration *it, char *err, size_t errsz);

/* Writes path/name atomically (tb_writeFileAtomic). Errors: TB_EIO, TB_EINVAL. */
int ag_runDirWriteFile(const agRunDir *d, const char *name, const char *data, size_t n, char *err,
                       size_t errsz);

/* The path of name inside the run directory (truncated to outsz). */
void ag_runDirPath(const agRunDir *d, const char *name, char *out, size_t outsz);

/* Closes the iterations file and the lock. Safe to call twice, and on a struct with fd and
 * lockfd -1. */
void ag_runDirClose(agRunDir *d);

#endif /* TRACEBOT_TRAIN_RUNLOG_H */
