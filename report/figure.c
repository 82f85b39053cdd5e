/* The learning curve of a run: train success, train return and test success rate per
 * iteration, drawn with cairo as a PNG and an SVG (see report.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-svg.h>
#include <cairo.h>

#include "report_internal.h"

#define SVG_MAX (256u << 20)

typedef struct rgbColor {
  double r, g, b;
} rgbColor;

static const rgbColor kTest = {0.12, 0.47, 0.71};    /* test success rate: blue */
static const rgbColor kReturn = {0.85, 0.37, 0.0};   /* train return: orange */
static const rgbColor kSuccess = {0.17, 0.63, 0.17}; /* train success: green */
static const rgbColor kFail = {0.55, 0.55, 0.55};    /* train failure: grey */

static void setColor(cairo_t *cr, rgbColor c) {
  cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

static double niceCeil(double v) {
  if (!(v > 0)) {
    return 1;
  }
  double e = pow(10, floor(log10(v)));
  const double steps[] = {1, 2, 2.5, 5, 10};
  for (int i = 0; i < 5; i++) {
    if (steps[i] * e >= v) {
      return steps[i] * e;
    }
  }
  return 10 * e;
}

void ag_reportText(cairo_t *cr, double x, double y, const char *s, double ax, double ay) {
  cairo_text_extents_t ext;
  cairo_text_extents(cr, s, &ext);
  cairo_move_to(cr, x - ax * ext.width - ext.x_bearing, y - ay * ext.height - ext.y_bearing);
  cairo_show_text(cr, s);
}

double ag_reportBoxX(const agPlotBox *b, double iteration) {
  return b->left + (iteration - b->x0) / (b->x1 - b->x0) * b->width;
}

double ag_reportBoxY(const agPlotBox *b, double v) {
  return b->top + b->height - v * b->height;
}

/* The value a curve shows for a row: the test success rate, or the train return over
 * maxRet (the right scale's top). */
static double curveValue(const agReportRow *r, int test, double maxRet) {
  return test ? r->test_rate : r->train.ret / maxRet;
}

/* The line through every row's value. */
static void curveLine(cairo_t *cr, const agPlotBox *box, const agReportRow *rows, int n, int test,
                      double maxRet) {
  for (int i = 0; i < n; i++) {
    double x = ag_reportBoxX(box, rows[i].iteration);
    double y = ag_reportBoxY(box, curveValue(&rows[i], test, maxRet));
    if (i > 0) {
      cairo_line_to(cr, x, y);
    } else {
      cairo_move_to(cr, x, y);
    }
  }
  cairo_stroke(cr);
}

void ag_reportAxes(cairo_t *cr, const agPlotBox *box, int maxIter, const char *ylabel) {
  /* grid and the left ticks (success in [0, 1]) */
  cairo_set_font_size(cr, 12);
  cairo_set_line_width(cr, 1);
  char label[64];
  for (int k = 0; k <= 4; k++) {
    double y = ag_reportBoxY(box, k / 4.0);
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, box->left, y);
    cairo_line_to(cr, box->left + box->width, y);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    snprintf(label, sizeof(label), "%.2f", k / 4.0);
    ag_reportText(cr, box->left - 8, y, label, 1, 0.5);
  }
  /* x ticks: at most about 20 labels */
  int every = maxIter <= 20 ? 1 : (int)ceil(maxIter / 20.0);
  double bottom = box->top + box->height;
  for (int it = 1; it <= maxIter; it += every) {
    double x = ag_reportBoxX(box, it);
    cairo_move_to(cr, x, bottom);
    cairo_line_to(cr, x, bottom + 5);
    cairo_stroke(cr);
    snprintf(label, sizeof(label), "%d", it);
    ag_reportText(cr, x, bottom + 9, label, 0.5, 0);
  }
  /* frame and axis labels */
  cairo_set_line_width(cr, 1.2);
  cairo_rectangle(cr, box->left, box->top, box->width, box->height);
  cairo_stroke(cr);
  cairo_set_font_size(cr, 14);
  ag_reportText(cr, box->left + box->width / 2, bottom + 42, "iteration", 0.5, 0.5);
  cairo_save(cr);
  cairo_translate(cr, box->left - 50, box->top + box->height / 2);
  cairo_rotate(cr, -M_PI / 2);
  ag_reportText(cr, 0, 0, ylabel, 0.5, 0.5);
  cairo_restore(cr);
}

static void drawCurve(cairo_t *cr, int W, int H, const agReportRow *rows, int n,
                      const char *title) {
  const double L = 70;
  const double R = 80;
  const double T = 56;
  const double B = 60;
  double pw = W - L - R;
  double ph = H - T - B;
  int maxIter = 1;
  double maxRet = 0;
  for (int i = 0; i < n; i++) {
    maxIter = rows[i].iteration > maxIter ? rows[i].iteration : maxIter;
    if (rows[i].train.ret > maxRet) {
      maxRet = rows[i].train.ret;
    }
  }
  maxRet = niceCeil(maxRet);
  const agPlotBox box = {L, T, pw, ph, 0.5, maxIter + 0.5};
#define PX(it) ag_reportBoxX(&box, (it))
#define PY(v) ag_reportBoxY(&box, (v))
  /* background, fonts, the success axis on the left, iterations, frame */
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  ag_reportAxes(cr, &box, maxIter, "success / test success rate");
  /* the return scale on the right */
  cairo_set_font_size(cr, 12);
  char label[64];
  setColor(cr, kReturn);
  for (int k = 0; k <= 4; k++) {
    snprintf(label, sizeof(label), "%g", k / 4.0 * maxRet);
    ag_reportText(cr, L + pw + 8, PY(k / 4.0), label, 0, 0.5);
  }
  cairo_set_font_size(cr, 14);
  cairo_save(cr);
  cairo_translate(cr, W - 18, T + ph / 2);
  cairo_rotate(cr, M_PI / 2);
  setColor(cr, kReturn);
  ag_reportText(cr, 0, 0, "train return", 0.5, 0.5);
  cairo_restore(cr);
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size(cr, 16);
  ag_reportText(cr, L + pw / 2, 22, title, 0.5, 0.5);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  /* train return: line + squares on the right scale */
  cairo_set_line_width(cr, 2);
  setColor(cr, kReturn);
  curveLine(cr, &box, rows, n, 0, maxRet);
  for (int i = 0; i < n; i++) {
    cairo_rectangle(cr, PX(rows[i].iteration) - 3.5, PY(rows[i].train.ret / maxRet) - 3.5, 7, 7);
    cairo_fill(cr);
  }
  /* test success rate: thick line + dots */
  cairo_set_line_width(cr, 3);
  setColor(cr, kTest);
  curveLine(cr, &box, rows, n, 1, maxRet);
  for (int i = 0; i < n; i++) {
    cairo_arc(cr, PX(rows[i].iteration), PY(rows[i].test_rate), 4.5, 0, 2 * M_PI);
    cairo_fill(cr);
  }
  /* train success, the share of the training starts (one start: 1 or 0): filled green when
   * every start succeeds, else hollow grey */
  cairo_set_line_width(cr, 2);
  for (int i = 0; i < n; i++) {
    double x = PX(rows[i].iteration);
    int all = rows[i].pool_successes == rows[i].pool_starts;
    double share =
        rows[i].pool_starts > 0 ? (double)rows[i].pool_successes / rows[i].pool_starts : 0.0;
    cairo_new_sub_path(cr);
    cairo_arc(cr, x, PY(share), 6, 0, 2 * M_PI);
    if (all) {
      setColor(cr, kSuccess);
      cairo_fill(cr);
    } else {
      setColor(cr, kFail);
      cairo_stroke(cr);
    }
  }
  /* legend: one row between the title and the plot, so it never hides a curve */
  cairo_set_font_size(cr, 12);
  const char *names[] = {"test success rate", "train return",
                         "train success (share of the training starts)"};
  const rgbColor cols[] = {kTest, kReturn, kSuccess};
  double lx = L;
  double ly = T - 14;
  for (int k = 0; k < 3; k++) {
    setColor(cr, cols[k]);
    cairo_rectangle(cr, lx, ly - 5, 18, 10);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    ag_reportText(cr, lx + 24, ly, names[k], 0, 0.5);
    cairo_text_extents_t ext;
    cairo_text_extents(cr, names[k], &ext);
    lx += 24 + ext.x_advance + 28;
  }
#undef PX
#undef PY
}

/* cairo's write callbacks: into an open output file, into a string. */
static cairo_status_t toFile(void *closure, const unsigned char *data, unsigned int n) {
  return fwrite(data, 1, n, closure) == n ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static cairo_status_t toBuf(void *closure, const unsigned char *data, unsigned int n) {
  tbBuf *b = closure;
  tb_bufPutn(b, (const char *)data, n);
  return b->failed ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

/* Draws on s and finishes it; returns the first cairo error. */
static cairo_status_t draw(cairo_surface_t *s, int W, int H, agFigureDrawFn fn, const void *user) {
  cairo_t *cr = cairo_create(s);
  fn(cr, W, H, user);
  cairo_status_t st = cairo_status(cr);
  cairo_destroy(cr);
  cairo_surface_flush(s);
  if (st == CAIRO_STATUS_SUCCESS) {
    st = cairo_surface_status(s);
  }
  return st;
}

/* The error of a failed figure: a write error is TB_EIO, anything else TB_EDRAW. */
static int drawError(const char *path, cairo_status_t st, char *err, size_t errsz) {
  tb_setErr(err, errsz, "cannot write %s: %s", path, cairo_status_to_string(st));
  return st == CAIRO_STATUS_WRITE_ERROR ? TB_EIO : TB_EDRAW;
}

/* The PNG, streamed into its output file. */
static int writePng(const char *path, int W, int H, agFigureDrawFn fn, const void *user, char *err,
                    size_t errsz) {
  tbAtomicFile out;
  int rc = tb_atomicOpen(&out, path, err, errsz);
  if (rc != TB_OK) {
    return rc == TB_EINVAL ? TB_EIO : rc;
  }
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
  cairo_status_t st = draw(s, W, H, fn, user);
  if (st == CAIRO_STATUS_SUCCESS) {
    st = cairo_surface_write_to_png_stream(s, toFile, out.f);
  }
  cairo_surface_destroy(s);
  if (st != CAIRO_STATUS_SUCCESS) {
    tb_atomicAbort(&out);
    return drawError(path, st, err, errsz);
  }
  return tb_atomicCommit(&out, err, errsz);
}

int ag_reportWriteFigure(const char *dir, const char *stem, int width, int height,
                         agFigureDrawFn fn, const void *user, char **svg, char *err, size_t errsz) {
  *svg = NULL;
  char name[128];
  char path[PATH_MAX];
  snprintf(name, sizeof name, "%s.png", stem);
  int rc = ag_runPath(dir, name, path, sizeof path, err, errsz);
  if (rc == TB_OK) {
    rc = writePng(path, width, height, fn, user, err, errsz);
  }
  if (rc != TB_OK) {
    return rc == TB_EINVAL ? TB_EIO : rc;
  }
  /* the SVG, kept for the page too */
  snprintf(name, sizeof name, "%s.svg", stem);
  rc = ag_runPath(dir, name, path, sizeof path, err, errsz);
  if (rc != TB_OK) {
    return TB_EIO;
  }
  tbBuf b;
  tb_bufInit(&b, SVG_MAX);
  cairo_surface_t *s = cairo_svg_surface_create_for_stream(toBuf, &b, width, height);
  cairo_status_t st = draw(s, width, height, fn, user);
  cairo_surface_finish(s);
  if (st == CAIRO_STATUS_SUCCESS) {
    st = cairo_surface_status(s);
  }
  cairo_surface_destroy(s);
  if (st != CAIRO_STATUS_SUCCESS) {
    int tooBig = b.failed;
    tb_bufClose(&b);
    if (tooBig) {
      tb_setErr(err, errsz, "%s: larger than %u bytes or out of memory", path, SVG_MAX);
      return TB_ENOMEM;
    }
    return drawError(path, st, err, errsz);
  }
  rc = tb_writeFileAtomic(path, b.data, b.len, err, errsz);
  *svg = rc == TB_OK ? tb_bufTake(&b) : NULL;
  tb_bufClose(&b);
  if (rc == TB_OK && *svg == NULL) {
    tb_setErr(err, errsz, "out of memory drawing %s", path);
    rc = TB_ENOMEM;
  }
  return rc;
}

/* What the learning curve draws. */
typedef struct curveArgs {
  const agReportRow *rows;
  int n;
  const char *title;
} curveArgs;

static void drawCurveFn(cairo_t *cr, int W, int H, const void *user) {
  const curveArgs *a = user;
  drawCurve(cr, W, H, a->rows, a->n, a->title);
}

int ag_reportFigure(const char *dir, int width, int height, const agReportRow *rows, int n,
                    const char *title, char **svg, char *err, size_t errsz) {
  curveArgs a = {rows, n, title};
  return ag_reportWriteFigure(dir, "learning_curve", width, height, drawCurveFn, &a, svg, err,
                              errsz);
}
