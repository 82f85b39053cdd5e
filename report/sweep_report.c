/* The report of a sweep: per task, the mean test success per iteration of each variant over
 * its repeats with a 95% confidence band (one panel per task, PNG and SVG), the tables per
 * variant and report.html with a link to every cell's own report (see report.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

#define PAGE_MAX (64u << 20)
#define PANEL_W 440
#define PANEL_H 340
#define PANELS_PER_ROW 3
#define HEAD_H 74 /* title and legend above the panels */

/* Student's t at 0.975 for 1..30 degrees of freedom. */
static const double kT975[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                               2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                               2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                               2.060,  2.056, 2.052, 2.048, 2.045, 2.042};

static double t975(int df) {
  if (df <= 30) {
    return kT975[df - 1];
  }
  return df <= 60 ? 2.0 : df <= 120 ? 1.98 : 1.96;
}

/* Mean and 95% half-width of v[0..n) (half-width 0 for one value). */
typedef struct meanCi {
  int n;
  double mean, half;
} meanCi;

static meanCi meanOf(const double *v, int n) {
  meanCi m = {n, NAN, 0};
  if (n == 0) {
    return m;
  }
  double sum = 0;
  for (int i = 0; i < n; i++) {
    sum += v[i];
  }
  m.mean = sum / n;
  if (n > 1) {
    double ss = 0;
    for (int i = 0; i < n; i++) {
      ss += (v[i] - m.mean) * (v[i] - m.mean);
    }
    m.half = t975(n - 1) * sqrt(ss / (n - 1)) / sqrt(n);
  }
  return m;
}

/* ---------------------------------------------------------------- grouping */

/* The distinct names of a field of the cells, in order of first appearance. */
typedef struct nameList {
  int n;
  const char **names;
} nameList;

static int indexOf(const nameList *l, const char *name) {
  for (int i = 0; i < l->n; i++) {
    if (strcmp(l->names[i], name) == 0) {
      return i;
    }
  }
  return -1;
}

static int collect(nameList *l, const agSweepCell *cells, int n, int variants) {
  l->n = 0;
  l->names = calloc((size_t)n, sizeof *l->names);
  if (l->names == NULL) {
    return TB_ENOMEM;
  }
  for (int i = 0; i < n; i++) {
    const char *name = variants ? cells[i].variant : cells[i].task;
    if (indexOf(l, name) < 0) {
      l->names[l->n++] = name;
    }
  }
  return TB_OK;
}

/* One (task, variant) curve: the mean and band per iteration 1..niters. */
typedef struct curve {
  int repeats; /* done cells with iterations */
  int niters;
  double *mean, *lo, *hi;
} curve;

/* Everything the figure and the page show. */
typedef struct sweepData {
  const agSweepCell *cells;
  int ncells;
  nameList tasks, variants;
  curve *curves; /* [task * nvariants + variant] */
  int *maxIter;  /* per task */
} sweepData;

static int usable(const agSweepCell *c) {
  return strcmp(c->status, "done") == 0 && c->niters > 0 && c->test_success != NULL;
}

/* The value of cell c at iteration it (1-based), its last one after it stopped. */
static double valueAt(const agSweepCell *c, int it) {
  return c->test_success[(it <= c->niters ? it : c->niters) - 1];
}

static int makeCurve(sweepData *d, int t, int v, double *scratch) {
  curve *cv = &d->curves[t * d->variants.n + v];
  cv->niters = d->maxIter[t];
  for (int i = 0; i < d->ncells; i++) {
    const agSweepCell *c = &d->cells[i];
    cv->repeats += usable(c) && strcmp(c->task, d->tasks.names[t]) == 0 &&
                   strcmp(c->variant, d->variants.names[v]) == 0;
  }
  if (cv->repeats == 0 || cv->niters == 0) {
    return TB_OK;
  }
  cv->mean = calloc((size_t)cv->niters * 3, sizeof *cv->mean);
  if (cv->mean == NULL) {
    return TB_ENOMEM;
  }
  cv->lo = cv->mean + cv->niters;
  cv->hi = cv->lo + cv->niters;
  for (int it = 1; it <= cv->niters; it++) {
    int n = 0;
    for (int i = 0; i < d->ncells; i++) {
      const agSweepCell *c = &d->cells[i];
      if (usable(c) && strcmp(c->task, d->tasks.names[t]) == 0 &&
          strcmp(c->variant, d->variants.names[v]) == 0) {
        scratch[n++] = valueAt(c, it);
      }
    }
    meanCi m = meanOf(scratch, n);
    cv->mean[it - 1] = m.mean;
    cv->lo[it - 1] = fmax(0, m.mean - m.half);
    cv->hi[it - 1] = fmin(1, m.mean + m.half);
  }
  return TB_OK;
}

static void freeData(sweepData *d) {
  for (int i = 0; d->curves != NULL && i < d->tasks.n * d->variants.n; i++) {
    free(d->curves[i].mean);
  }
  free(d->curves);
  free(d->maxIter);
  free(d->tasks.names);
  free(d->variants.names);
}

static int gather(sweepData *d, const agSweepCell *cells, int n) {
  memset(d, 0, sizeof *d);
  d->cells = cells;
  d->ncells = n;
  double *scratch = calloc((size_t)n, sizeof *scratch);
  int rc = scratch != NULL ? collect(&d->tasks, cells, n, 0) : TB_ENOMEM;
  if (rc == TB_OK) {
    rc = collect(&d->variants, cells, n, 1);
  }
  if (rc == TB_OK) {
    d->curves = calloc((size_t)(d->tasks.n * d->variants.n), sizeof *d->curves);
    d->maxIter = calloc((size_t)d->tasks.n, sizeof *d->maxIter);
    rc = d->curves != NULL && d->maxIter != NULL ? TB_OK : TB_ENOMEM;
  }
  for (int i = 0; rc == TB_OK && i < n; i++) {
    int t = indexOf(&d->tasks, cells[i].task);
    if (usable(&cells[i]) && cells[i].niters > d->maxIter[t]) {
      d->maxIter[t] = cells[i].niters;
    }
  }
  for (int t = 0; rc == TB_OK && t < d->tasks.n; t++) {
    for (int v = 0; rc == TB_OK && v < d->variants.n; v++) {
      rc = makeCurve(d, t, v, scratch);
    }
  }
  free(scratch);
  return rc;
}

/* ---------------------------------------------------------------- the figure */

/* A qualitative palette, one colour per variant (cycling). */
static const double kPalette[][3] = {{0.12, 0.47, 0.71}, {0.85, 0.37, 0.01}, {0.17, 0.63, 0.17},
                                     {0.84, 0.15, 0.16}, {0.58, 0.40, 0.74}, {0.55, 0.34, 0.29},
                                     {0.89, 0.47, 0.76}, {0.50, 0.50, 0.50}, {0.74, 0.74, 0.13},
                                     {0.09, 0.75, 0.81}};
enum { kNColors = (int)(sizeof kPalette / sizeof kPalette[0]) };

static void variantColor(cairo_t *cr, int v, double alpha) {
  const double *c = kPalette[v % kNColors];
  cairo_set_source_rgba(cr, c[0], c[1], c[2], alpha);
}

static int figureCols(const sweepData *d) {
  return d->tasks.n < PANELS_PER_ROW ? d->tasks.n : PANELS_PER_ROW;
}

static int figureRows(const sweepData *d) {
  return (d->tasks.n + PANELS_PER_ROW - 1) / PANELS_PER_ROW;
}

/* One task's panel at (x, y): every variant's band, then its mean line. */
static void drawPanel(cairo_t *cr, const sweepData *d, int t, double x, double y) {
  int maxIter = d->maxIter[t] > 0 ? d->maxIter[t] : 1;
  const agPlotBox box = {x + 80, y + 30, PANEL_W - 100, PANEL_H - 90, 0.5, maxIter + 0.5};
  ag_reportAxes(cr, &box, maxIter, "test success rate");
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size(cr, 14);
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  cairo_text_extents_t ext; /* on a baseline, so that every panel's title lines up */
  cairo_text_extents(cr, d->tasks.names[t], &ext);
  cairo_move_to(cr, box.left + (box.width - ext.x_advance) / 2, y + 20);
  cairo_show_text(cr, d->tasks.names[t]);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  for (int pass = 0; pass < 2; pass++) {
    for (int v = 0; v < d->variants.n; v++) {
      const curve *cv = &d->curves[t * d->variants.n + v];
      if (cv->repeats == 0) {
        continue;
      }
      cairo_new_path(cr);
      if (pass == 0) {
        /* the band: along the upper edge, back along the lower one */
        for (int i = 0; i < cv->niters; i++) {
          cairo_line_to(cr, ag_reportBoxX(&box, i + 1), ag_reportBoxY(&box, cv->hi[i]));
        }
        for (int i = cv->niters - 1; i >= 0; i--) {
          cairo_line_to(cr, ag_reportBoxX(&box, i + 1), ag_reportBoxY(&box, cv->lo[i]));
        }
        cairo_close_path(cr);
        variantColor(cr, v, 0.18);
        cairo_fill(cr);
        continue;
      }
      cairo_set_line_width(cr, 2.5);
      variantColor(cr, v, 1);
      for (int i = 0; i < cv->niters; i++) {
        cairo_line_to(cr, ag_reportBoxX(&box, i + 1), ag_reportBoxY(&box, cv->mean[i]));
      }
      cairo_stroke(cr);
      for (int i = 0; i < cv->niters; i++) {
        cairo_new_sub_path(cr);
        cairo_arc(cr, ag_reportBoxX(&box, i + 1), ag_reportBoxY(&box, cv->mean[i]), 3.5, 0,
                  2 * M_PI);
        cairo_fill(cr);
      }
    }
  }
}

static void drawSweep(cairo_t *cr, int W, int H, const void *user) {
  const sweepData *d = user;
  (void)H;
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size(cr, 16);
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  ag_reportText(cr, W / 2.0, 18, "Test success per iteration: mean over repeats, 95% band", 0.5,
                0.5);
  /* legend: one entry per variant, wrapping */
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, 12);
  double lx = 80;
  double ly = 44;
  for (int v = 0; v < d->variants.n; v++) {
    cairo_text_extents_t ext;
    cairo_text_extents(cr, d->variants.names[v], &ext);
    if (lx + 24 + ext.x_advance > W - 20 && lx > 80) {
      lx = 80;
      ly += 18;
    }
    variantColor(cr, v, 1);
    cairo_rectangle(cr, lx, ly - 5, 18, 10);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    ag_reportText(cr, lx + 24, ly, d->variants.names[v], 0, 0.5);
    lx += 24 + ext.x_advance + 24;
  }
  for (int t = 0; t < d->tasks.n; t++) {
    drawPanel(cr, d, t, (t % PANELS_PER_ROW) * PANEL_W, HEAD_H + (t / PANELS_PER_ROW) * PANEL_H);
  }
}

/* ---------------------------------------------------------------- the page */

static const char kTableStyle[] =
    "<style>table.grid{border-collapse:collapse;font-size:14px;background:#fff;margin:8px 0}"
    "table.grid th,table.grid td{border:1px solid #ddd;padding:4px 10px;text-align:right}"
    "table.grid th{background:#f0f0f0}"
    "table.grid td.l,table.grid th.l{text-align:left}</style>\n";

/* A number with digits decimals, or "-" when it is not known. */
static void putNumber(tbBuf *b, int digits, double v) {
  if (isnan(v)) {
    tb_bufPuts(b, "-");
  } else {
    tb_bufPrintf(b, "%.*f", digits, v);
  }
}

/* The mean (and 95% half-width) of a field over the done cells of (task, variant); NAN mean
 * when one of them does not know it. */
static meanCi fieldMean(const sweepData *d, int t, int v, double (*field)(const agSweepCell *),
                        double *scratch) {
  int n = 0;
  for (int i = 0; i < d->ncells; i++) {
    const agSweepCell *c = &d->cells[i];
    if (strcmp(c->status, "done") == 0 && strcmp(c->task, d->tasks.names[t]) == 0 &&
        strcmp(c->variant, d->variants.names[v]) == 0) {
      double x = field(c);
      if (isnan(x)) {
        meanCi unknown = {n, NAN, 0};
        return unknown;
      }
      scratch[n++] = x;
    }
  }
  return meanOf(scratch, n);
}

static double fieldFinal(const agSweepCell *c) {
  return c->final_success;
}
static double fieldBest(const agSweepCell *c) {
  return c->best_success;
}
static double fieldCalls(const agSweepCell *c) {
  return c->llm_calls;
}
static double fieldTokens(const agSweepCell *c) {
  return c->prompt_tokens + c->completion_tokens;
}
static double fieldWall(const agSweepCell *c) {
  return c->wall_s;
}

/* Per task: one row per variant. */
static void putTaskTable(tbBuf *b, const sweepData *d, int t, double *scratch) {
  tb_bufPuts(b, "<h3>");
  ag_reportPutHtml(b, d->tasks.names[t]);
  tb_bufPuts(b,
             "</h3><table class=\"grid\"><tr><th class=\"l\">variant</th><th>done</th>"
             "<th>final success (95% CI)</th><th>best success</th><th>LLM calls</th>"
             "<th>tokens</th><th>wall time (s)</th></tr>\n");
  for (int v = 0; v < d->variants.n; v++) {
    int total = 0;
    int done = 0;
    for (int i = 0; i < d->ncells; i++) {
      const agSweepCell *c = &d->cells[i];
      if (strcmp(c->task, d->tasks.names[t]) == 0 &&
          strcmp(c->variant, d->variants.names[v]) == 0) {
        total++;
        done += strcmp(c->status, "done") == 0;
      }
    }
    tb_bufPuts(b, "<tr><td class=\"l\">");
    ag_reportPutHtml(b, d->variants.names[v]);
    tb_bufPrintf(b, "</td><td>%d/%d</td><td>", done, total);
    meanCi f = fieldMean(d, t, v, fieldFinal, scratch);
    putNumber(b, 3, f.mean);
    if (!isnan(f.mean) && f.n > 1) {
      tb_bufPrintf(b, " &plusmn; %.3f", f.half);
    }
    tb_bufPuts(b, "</td><td>");
    putNumber(b, 3, fieldMean(d, t, v, fieldBest, scratch).mean);
    tb_bufPuts(b, "</td><td>");
    putNumber(b, 1, fieldMean(d, t, v, fieldCalls, scratch).mean);
    tb_bufPuts(b, "</td><td>");
    putNumber(b, 0, fieldMean(d, t, v, fieldTokens, scratch).mean);
    tb_bufPuts(b, "</td><td>");
    putNumber(b, 1, fieldMean(d, t, v, fieldWall, scratch).mean);
    tb_bufPuts(b, "</td></tr>\n");
  }
  tb_bufPuts(b, "</table>\n");
}

/* Every cell, with a link to its own report. */
static void putCells(tbBuf *b, const sweepData *d) {
  tb_bufPuts(b,
             "<h2>Cells</h2><table class=\"grid\"><tr><th class=\"l\">task</th>"
             "<th class=\"l\">variant</th><th>repeat</th><th class=\"l\">status</th>"
             "<th>iterations</th><th>final</th><th>best</th><th>LLM calls</th><th>tokens</th>"
             "<th>wall (s)</th><th class=\"l\">run</th></tr>\n");
  for (int i = 0; i < d->ncells; i++) {
    const agSweepCell *c = &d->cells[i];
    tb_bufPuts(b, "<tr><td class=\"l\">");
    ag_reportPutHtml(b, c->task);
    tb_bufPuts(b, "</td><td class=\"l\">");
    ag_reportPutHtml(b, c->variant);
    tb_bufPrintf(b, "</td><td>%d</td><td class=\"l\"><span class=\"%s\">", c->repeat,
                 strcmp(c->status, "done") == 0     ? "ok"
                 : strcmp(c->status, "failed") == 0 ? "bad"
                                                    : "note");
    ag_reportPutHtml(b, c->status);
    tb_bufPuts(b, "</span>");
    if (c->reason != NULL && c->reason[0] != '\0') {
      tb_bufPuts(b, ": ");
      ag_reportPutHtml(b, c->reason);
    }
    tb_bufPrintf(b, "</td><td>%d</td><td>", c->niters);
    putNumber(b, 2, c->final_success);
    tb_bufPuts(b, "</td><td>");
    putNumber(b, 2, c->best_success);
    tb_bufPuts(b, "</td><td>");
    putNumber(b, 0, c->llm_calls);
    tb_bufPuts(b, "</td><td>");
    putNumber(b, 0, c->prompt_tokens + c->completion_tokens);
    tb_bufPuts(b, "</td><td>");
    putNumber(b, 1, c->wall_s);
    tb_bufPuts(b, "</td><td class=\"l\">");
    if (c->has_report) {
      tb_bufPuts(b, "<a href=\"");
      ag_reportPutHtml(b, c->run_dir);
      tb_bufPuts(b, "/report.html\">");
      ag_reportPutHtml(b, c->run_dir);
      tb_bufPuts(b, "</a>");
    } else {
      ag_reportPutHtml(b, c->run_dir);
    }
    tb_bufPuts(b, "</td></tr>\n");
  }
  tb_bufPuts(b, "</table>\n");
}

static void putPage(tbBuf *b, const char *dir, const sweepData *d, const char *svg) {
  int done = 0;
  int failed = 0;
  for (int i = 0; i < d->ncells; i++) {
    done += strcmp(d->cells[i].status, "done") == 0;
    failed += strcmp(d->cells[i].status, "failed") == 0;
  }
  ag_reportPageStart(b, "tracebot sweep report");
  tb_bufPuts(b, kTableStyle);
  tb_bufPuts(b, "<h1>tracebot sweep report</h1><p class=\"note\">");
  ag_reportPutHtml(b, dir);
  tb_bufPrintf(b,
               " &middot; %d task%s &times; %d variant%s &middot; %d cells: %d done, %d failed, "
               "%d not finished</p>\n",
               d->tasks.n, d->tasks.n == 1 ? "" : "s", d->variants.n, d->variants.n == 1 ? "" : "s",
               d->ncells, done, failed, d->ncells - done - failed);
  tb_bufPuts(b, "<h2>Test success per iteration</h2><figure>");
  const char *tag = svg != NULL ? strstr(svg, "<svg") : NULL;
  tb_bufPuts(b, tag != NULL ? tag : "<img alt=\"sweep curve\" src=\"sweep_curve.png\">");
  tb_bufPuts(b,
             "</figure><p class=\"note\">The line is the mean over the repeats that are done, "
             "the shade its 95% confidence interval (Student's t); a run that stopped early "
             "keeps its last value. Also as <a href=\"sweep_curve.png\">PNG</a> and "
             "<a href=\"sweep_curve.svg\">SVG</a>.</p>\n<h2>Per variant</h2>"
             "<p class=\"note\">Means per run over the done cells; &ldquo;-&rdquo;: not "
             "recorded by the runs.</p>\n");
  double *scratch = calloc((size_t)d->ncells + 1, sizeof *scratch);
  if (scratch == NULL) {
    b->failed = 1;
    return;
  }
  for (int t = 0; t < d->tasks.n; t++) {
    putTaskTable(b, d, t, scratch);
  }
  free(scratch);
  putCells(b, d);
  tb_bufPuts(b, "</body></html>\n");
}

int ag_reportSweep(const char *dir, const agSweepCell *cells, int ncells,
                   agSweepReportResult *result, char *err, size_t errsz) {
  if (dir == NULL || cells == NULL || ncells <= 0) {
    tb_setErr(err, errsz, "report: a sweep without cells");
    return TB_EINVAL;
  }
  sweepData d;
  int rc = gather(&d, cells, ncells);
  if (rc != TB_OK) {
    freeData(&d);
    tb_setErr(err, errsz, "out of memory gathering the sweep's cells");
    return rc;
  }
  /* the figure, then the page */
  int width = figureCols(&d) * PANEL_W;
  int height = HEAD_H + figureRows(&d) * PANEL_H;
  char *svg = NULL;
  rc = ag_reportWriteFigure(dir, "sweep_curve", width, height, drawSweep, &d, &svg, err, errsz);
  tbBuf b;
  tb_bufInit(&b, PAGE_MAX);
  if (rc == TB_OK) {
    putPage(&b, dir, &d, svg);
    if (b.failed) {
      tb_setErr(err, errsz, "report: out of memory building report.html");
      rc = TB_ENOMEM;
    }
  }
  char path[PATH_MAX];
  if (rc == TB_OK) {
    rc = ag_runPath(dir, "report.html", path, sizeof path, err, errsz);
  }
  if (rc == TB_OK) {
    rc = tb_writeFileAtomic(path, b.data, b.len, err, errsz);
  }
  if (rc == TB_OK && result != NULL) {
    result->tasks = d.tasks.n;
    result->variants = d.variants.n;
    result->curves = 0;
    for (int i = 0; i < d.tasks.n * d.variants.n; i++) {
      result->curves += d.curves[i].repeats > 0;
    }
  }
  tb_bufClose(&b);
  free(svg);
  freeData(&d);
  return rc;
}
