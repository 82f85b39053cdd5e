/* sw_report: gathers every cell of a sweep (its state, its run's summary and test success
 * per iteration, read through runlog), has each cell's own report written, then the
 * sweep's (report/sweep_report.c). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runlog.h"
#include "sweep_internal.h"

/* A cell's test success per iteration, as read. */
typedef struct series {
  int n, cap;
  double *v;
} series;

static int takeSuccess(void *user, const agIteration *it, char *err, size_t errsz) {
  series *s = user;
  if (s->n == s->cap) {
    int cap = s->cap > 0 ? s->cap * 2 : 32;
    double *grown = cap <= AG_REPORT_MAX_ITERS ? realloc(s->v, sizeof *grown * (size_t)cap) : NULL;
    if (grown == NULL) {
      tb_setErr(err, errsz, "too many iterations, or out of memory");
      return TB_ENOMEM;
    }
    s->v = grown;
    s->cap = cap;
  }
  s->v[s->n++] = it->test_success_rate;
  return TB_OK;
}

/* A number of a summary entry, NAN when it is null. */
static double numberOf(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Fills cell from its summary entry e, writes its own report and reads its iterations. */
static void gatherCell(const swSweep *s, const cJSON *e, const agReportOptions *opts,
                       agSweepCell *cell, series *ser) {
  cell->status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "status"));
  cell->reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "reason"));
  cell->final_success = numberOf(e, "final_test_success");
  cell->best_success = numberOf(e, "best_test_success");
  cell->llm_calls = numberOf(e, "llm_calls");
  cell->prompt_tokens = numberOf(e, "prompt_tokens");
  cell->completion_tokens = numberOf(e, "completion_tokens");
  cell->wall_s = numberOf(e, "wall_s");
  /* the run: its own report, and its test success per iteration */
  char run[PATH_MAX];
  char lines[PATH_MAX];
  struct stat st;
  if (sw_path(s->dir, cell->run_dir, run, sizeof run, NULL, 0) != TB_OK ||
      sw_path(run, AG_RUN_ITERATIONS, lines, sizeof lines, NULL, 0) != TB_OK ||
      lstat(lines, &st) != 0 || !S_ISREG(st.st_mode)) {
    return;
  }
  char why[512];
  cell->has_report = ag_report(run, opts, NULL, why, sizeof why) == TB_OK;
  if (ag_iterationsRead(lines, takeSuccess, ser, NULL, why, sizeof why) == TB_OK) {
    cell->niters = ser->n;
    cell->test_success = ser->v;
  }
}

int sw_report(const char *dir, const agReportOptions *opts, swReportResult *result, char *err,
              size_t errsz) {
  swSweep s;
  int rc = sw_sweepOpen(&s, dir, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  swCounts counts;
  cJSON *summary = sw_summaryBuild(&s, &counts, err, errsz);
  agSweepCell *cells = calloc((size_t)s.ncells, sizeof *cells);
  series *ser = calloc((size_t)s.ncells, sizeof *ser);
  if (summary == NULL) {
    rc = TB_EFORMAT;
  } else if (cells == NULL || ser == NULL) {
    tb_setErr(err, errsz, "out of memory");
    rc = TB_ENOMEM;
  }
  const cJSON *entries = cJSON_GetObjectItemCaseSensitive(summary, "cells");
  int reports = 0;
  for (int i = 0; rc == TB_OK && i < s.ncells; i++) {
    const swCell *c = &s.cells[i];
    cells[i].task = sw_cellTask(&s, c);
    cells[i].variant = sw_cellVariant(&s, c);
    cells[i].repeat = c->repeat;
    cells[i].run_dir = c->run_dir;
    gatherCell(&s, cJSON_GetArrayItem(entries, i), opts, &cells[i], &ser[i]);
    reports += cells[i].has_report;
  }
  if (rc == TB_OK) {
    rc = ag_reportSweep(s.dir, cells, s.ncells, NULL, err, errsz);
  }
  if (rc == TB_OK && result != NULL) {
    result->cells = s.ncells;
    result->done = counts.done;
    result->cell_reports = reports;
  }
  for (int i = 0; ser != NULL && i < s.ncells; i++) {
    free(ser[i].v);
  }
  free(ser);
  free(cells);
  cJSON_Delete(summary);
  sw_sweepClose(&s);
  return rc;
}
