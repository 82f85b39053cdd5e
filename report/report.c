/* ag_report: reads a run directory through runlog, then has the figure (figure.c) and
 * report.html (html.c) made and written (see report.h). */
#include "tracebot/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "report_internal.h"

#define HTML_MAX (1u << 30)

_Static_assert(AG_REPORT_FILE_MAX == AG_RUN_LINES_MAX, "one cap on iterations.jsonl");

void ag_reportFreeRows(agReportRow *rows, int n) {
  for (int i = 0; rows != NULL && i < n; i++) {
    free(rows[i].reason);
    free(rows[i].feedback);
    free(rows[i].controller);
    free(rows[i].next_controller);
    free(rows[i].episode);
  }
  free(rows);
}

/* The rows read so far. */
typedef struct rowList {
  agReportRow *rows;
  int n, cap;
} rowList;

/* Keeps what the report shows of one iteration (an agIterationFn). */
static int takeRow(void *user, const agIteration *it, char *err, size_t errsz) {
  rowList *l = user;
  if (l->n >= AG_REPORT_MAX_ITERS) {
    tb_setErr(err, errsz, "%s: more than %d iterations", AG_RUN_ITERATIONS, AG_REPORT_MAX_ITERS);
    return TB_EFORMAT;
  }
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 16;
    agReportRow *grown = realloc(l->rows, sizeof *grown * (size_t)cap);
    if (grown == NULL) {
      tb_setErr(err, errsz, "out of memory reading iteration %d", it->iteration);
      return TB_ENOMEM;
    }
    l->rows = grown;
    l->cap = cap;
  }
  agReportRow *r = &l->rows[l->n];
  memset(r, 0, sizeof *r);
  r->iteration = it->iteration;
  r->train = it->train;
  r->pool_starts = it->pool_starts;
  r->pool_successes = it->pool_successes;
  r->test_rate = it->test_success_rate;
  r->test_mean_return = it->test_mean_return;
  r->outcome = it->outcome;
  r->prompt_tokens = it->prompt_tokens;
  r->completion_tokens = it->completion_tokens;
  r->tokens_estimated = it->tokens_estimated;
  r->latency_s = it->latency_s;
  l->n++;
  r->reason = strdup(it->reason);
  r->feedback = strdup(it->feedback);
  r->controller = strdup(it->controller);
  r->next_controller = strdup(it->next_controller);
  r->episode = strdup(it->episode);
  if (!r->reason || !r->feedback || !r->controller || !r->next_controller || !r->episode) {
    tb_setErr(err, errsz, "out of memory reading iteration %d", it->iteration);
    return TB_ENOMEM;
  }
  return TB_OK;
}

void ag_defaultReportOptions(agReportOptions *opts) {
  memset(opts, 0, sizeof(*opts));
  opts->strip_frames = 6;
  opts->width = 900;
  opts->height = 500;
}

int ag_report(const char *dir, const agReportOptions *optsIn, agReportResult *result, char *err,
              size_t errsz) {
  if (!dir) {
    tb_setErr(err, errsz, "report: NULL directory");
    return TB_EINVAL;
  }
  agReportOptions opts;
  if (optsIn) {
    opts = *optsIn;
  } else {
    ag_defaultReportOptions(&opts);
  }
  if (opts.width < 200 || opts.height < 150 || opts.width > 8000 || opts.height > 8000) {
    tb_setErr(err, errsz, "report: figure size %dx%d out of range", opts.width, opts.height);
    return TB_EINVAL;
  }
  /* a run directory holding a link is refused: the report writes there too */
  int rc = tb_checkNoLinks(dir, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  /* the iterations; config.json and summary.json when they are there */
  char path[PATH_MAX];
  rowList l = {NULL, 0, 0};
  agIterationsInfo info;
  rc = ag_runPath(dir, AG_RUN_ITERATIONS, path, sizeof path, err, errsz);
  if (rc != TB_OK) {
    return TB_EIO;
  }
  rc = ag_iterationsRead(path, takeRow, &l, &info, err, errsz);
  /* the outputs can be written, before anything is drawn: none is a special file */
  static const char *const outputs[] = {"report.html", "learning_curve.png", "learning_curve.svg"};
  for (int i = 0; i < 3 && rc == TB_OK; i++) {
    rc = ag_runPath(dir, outputs[i], path, sizeof path, err, errsz);
    if (rc == TB_OK) {
      rc = tb_checkOutput(path, err, errsz);
    }
  }
  if (rc != TB_OK) {
    ag_reportFreeRows(l.rows, l.n);
    return rc;
  }
  cJSON *config = NULL;
  cJSON *summary = NULL;
  ag_runReadJson(dir, AG_RUN_CONFIG, &config, NULL, 0);
  ag_runReadJson(dir, AG_RUN_SUMMARY, &summary, NULL, 0);
  const char *task = config != NULL
                         ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(config, "task"))
                         : NULL;

  /* the figure, then the page */
  char title[160];
  snprintf(title, sizeof(title), "Learning curve%s%s (%d iteration%s)", task ? ": " : "",
           task ? task : "", l.n, l.n == 1 ? "" : "s");
  char *svg = NULL;
  rc = ag_reportFigure(dir, opts.width, opts.height, l.rows, l.n, title, &svg, err, errsz);
  tbBuf b;
  tb_bufInit(&b, HTML_MAX);
  int strips = 0;
  if (rc == TB_OK) {
    agReportPage page = {dir, l.rows, l.n, info.torn, svg, summary, config, &opts};
    ag_reportHtml(&b, &page, &strips);
    if (b.failed) {
      tb_setErr(err, errsz, "report: out of memory building report.html");
      rc = TB_ENOMEM;
    }
  }
  if (rc == TB_OK) {
    rc = ag_runPath(dir, "report.html", path, sizeof path, err, errsz);
  }
  if (rc == TB_OK) {
    rc = tb_writeFileAtomic(path, b.data, b.len, err, errsz);
  }
  if (rc == TB_OK && result) {
    result->iterations = l.n;
    result->skipped_partial = info.torn;
    result->strips = strips;
  }
  tb_bufClose(&b);
  free(svg);
  cJSON_Delete(config);
  cJSON_Delete(summary);
  ag_reportFreeRows(l.rows, l.n);
  return rc;
}
