/* report/ internals: what ag_report (report.c) reads from a run and hands to the figure
 * (figure.c) and the page (html.c). Not installed; only report/ includes it. */
#ifndef TRACEBOT_REPORT_INTERNAL_H
#define TRACEBOT_REPORT_INTERNAL_H

#include <cairo.h>
#include <stddef.h>

#include "base.h"
#include "runlog.h"
#include "tracebot/report.h"

/* What the report shows of one iteration (taken from its agIteration).
 * Ownership: the strings are the row's; ag_reportFreeRows releases them. */
typedef struct agReportRow {
  int iteration;
  agEvalEpisode train; /* the training episode: success, return, steps, fault */
  int pool_starts;     /* the training starts the controller ran on, and its successes */
  int pool_successes;  /* (1 and train.success in the paper protocol) */
  double test_rate;    /* the next controller on the test seeds */
  double test_mean_return;
  trOutcome outcome;
  char *reason;
  char *feedback;
  char *controller;
  char *next_controller;
  char *episode; /* relative to the run directory */
  long long prompt_tokens;
  long long completion_tokens;
  int tokens_estimated;
  double latency_s;
} agReportRow;

/* Frees n rows and the array. Nullable. */
void ag_reportFreeRows(agReportRow *rows, int n);

/* Draws the learning curve of rows (width x height pixels, with title) and writes
 * dir/learning_curve.png and dir/learning_curve.svg, each atomically. *svg gets the SVG
 * text. Ownership: caller frees *svg. Errors: TB_EDRAW, TB_EIO, TB_ENOMEM (*svg NULL). */
int ag_reportFigure(const char *dir, int width, int height, const agReportRow *rows, int n,
                    const char *title, char **svg, char *err, size_t errsz);

/* ---------------------------------------------------------------- figures (figure.c) */

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Draws a figure of width x height on cr. */
typedef void (*agFigureDrawFn)(cairo_t *cr, int width, int height, const void *user);

/* Draws fn into dir/STEM.png and dir/STEM.svg, each atomically; *svg gets the SVG text.
 * Ownership: caller frees *svg. Errors: TB_EDRAW, TB_EIO, TB_ENOMEM (*svg NULL). */
int ag_reportWriteFigure(const char *dir, const char *stem, int width, int height,
                         agFigureDrawFn fn, const void *user, char **svg, char *err, size_t errsz);

/* A plot's box in a figure (pixels), and the iterations it spans. */
typedef struct agPlotBox {
  double left, top, width, height;
  double x0, x1;
} agPlotBox;

/* The pixel of an iteration, and of a value in [0, 1]. */
double ag_reportBoxX(const agPlotBox *b, double iteration);
double ag_reportBoxY(const agPlotBox *b, double v);

/* Shows s at (x, y), aligned by (ax, ay) in [0, 1] of its extents (0.5, 0.5: centred). */
void ag_reportText(cairo_t *cr, double x, double y, const char *s, double ax, double ay);

/* The axes of a plot of success in [0, 1] over iterations 1..maxIter: grid, ticks, frame,
 * "iteration" below and ylabel on the left. */
void ag_reportAxes(cairo_t *cr, const agPlotBox *box, int maxIter, const char *ylabel);

/* ---------------------------------------------------------------- pages (html.c) */

/* The page's CSS. */
extern const char ag_reportStyle[];

/* Appends s HTML-escaped (text and attribute safe). */
void ag_reportPutHtml(tbBuf *b, const char *s);

/* Appends the start of a page: doctype, head with title and style, and <body>. */
void ag_reportPageStart(tbBuf *b, const char *title);

/* Everything report.html shows. */
typedef struct agReportPage {
  const char *dir;
  const agReportRow *rows;
  int n;
  int torn;                    /* an unterminated last line was skipped */
  const char *svg;             /* the figure, inlined */
  const struct cJSON *summary; /* nullable: summary.json */
  const struct cJSON *config;  /* nullable: config.json */
  const agReportOptions *opts; /* the strip renderer */
} agReportPage;

/* Appends report.html to b; *strips gets the number of iterations shown with an image
 * strip. A failure to build shows in b->failed. */
void ag_reportHtml(tbBuf *b, const agReportPage *page, int *strips);

#endif /* TRACEBOT_REPORT_INTERNAL_H */
