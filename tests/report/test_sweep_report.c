/* Tests of report/sweep_report.c: the figure and report.html of a sweep from synthetic cells:
 * the mean and 95% band over repeats (Student's t), unknown numbers shown as "-", failed
 * cells out of the curves but in the cell table with their reason, links to the cells' own
 * reports, one panel per task. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "tracebot/report.h"

/* fontconfig (through cairo's text) keeps caches that LeakSanitizer reports at exit */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:libfontconfig\n";
}

static char gTmp[256];
static char gErr[1024];

static int setup(void **state) {
  (void)state;
  snprintf(gTmp, sizeof gTmp, "/tmp/tracebot-test-sweep-report-XXXXXX");
  return mkdtemp(gTmp) != NULL ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", gTmp);
  return system(cmd) == 0 ? 0 : -1;
}

static const double kRising[] = {0, 0.5, 1};
static const double kFlat[] = {0, 0, 0};
static const double kShort[] = {1};

/* A done cell of task and variant ending at final. */
static agSweepCell doneCell(const char *task, const char *variant, int repeat, const double *series,
                            int n, double final) {
  agSweepCell c = {task,   variant, repeat, "done", NULL, "runs/x", 1,  n,
                   series, final,   final,  NAN,    1000, 200,      2.5};
  return c;
}

/* The file gTmp/name, read. */
static char *readOut(const char *name, size_t *len) {
  char path[400];
  snprintf(path, sizeof path, "%s/%s", gTmp, name);
  char *text = tb_readFile(path, 64u << 20, len, gErr, sizeof gErr);
  assert_non_null(text);
  return text;
}

/* The width and height of a PNG (its IHDR). */
static void pngSize(const char *name, unsigned *w, unsigned *h) {
  size_t n = 0;
  unsigned char *png = (unsigned char *)readOut(name, &n);
  assert_true(n > 24);
  *w = (unsigned)png[16] << 24 | (unsigned)png[17] << 16 | (unsigned)png[18] << 8 | png[19];
  *h = (unsigned)png[20] << 24 | (unsigned)png[21] << 16 | (unsigned)png[22] << 8 | png[23];
  free(png);
}

static void page_should_show_the_mean_and_95_percent_band_per_variant(void **state) {
  (void)state;
  agSweepCell cells[] = {
      doneCell("reach", "trace", 0, kRising, 3, 0),
      doneCell("reach", "trace", 1, kRising, 3, 1),
      doneCell("reach", "trace", 2, kRising, 3, 1),
      doneCell("reach", "nomem", 0, kFlat, 3, 0),
      doneCell("reach", "nomem", 1, kShort, 1, 1),
      {"reach", "nomem", 2, "failed", "train exited: <LLM down>", "runs/reach/nomem/r2", 0, 0, NULL,
       NAN, NAN, NAN, NAN, NAN, 1.0},
  };
  cells[0].llm_calls = 3;
  cells[1].llm_calls = 4;
  cells[2].llm_calls = 5;
  agSweepReportResult res;
  assert_int_equal(ag_reportSweep(gTmp, cells, 6, &res, gErr, sizeof gErr), TB_OK);
  assert_int_equal(res.tasks, 1);
  assert_int_equal(res.variants, 2);
  assert_int_equal(res.curves, 2);
  size_t n = 0;
  char *html = readOut("report.html", &n);
  /* final 0, 1, 1: mean 0.667, t(2) = 4.303 times sd 0.577 over sqrt(3) */
  assert_non_null(strstr(html,
                         "<td class=\"l\">trace</td><td>3/3</td><td>0.667 &plusmn; "
                         "1.434</td><td>0.667</td><td>4.0</td><td>1200</td><td>2.5</td>"));
  /* two done of three, LLM calls unknown */
  assert_non_null(strstr(html,
                         "<td class=\"l\">nomem</td><td>2/3</td><td>0.500 &plusmn; "
                         "6.353</td><td>0.500</td><td>-</td>"));
  /* the failed cell: escaped reason, no link; the done ones link their report */
  assert_non_null(strstr(html, "failed</span>: train exited: &lt;LLM down&gt;"));
  assert_non_null(strstr(html, "<td class=\"l\">runs/reach/nomem/r2</td>"));
  assert_non_null(strstr(html, "<a href=\"runs/x/report.html\">runs/x</a>"));
  /* the figure inlined, with its bands */
  assert_non_null(strstr(html, "<svg"));
  free(html);
  char *svg = readOut("sweep_curve.svg", &n);
  assert_non_null(strstr(svg, "fill-opacity:0.18"));
  free(svg);
  unsigned w = 0;
  unsigned h = 0;
  pngSize("sweep_curve.png", &w, &h);
  assert_int_equal(w, 440);
  assert_int_equal(h, 74 + 340);
}

static void figure_should_have_one_panel_per_task(void **state) {
  (void)state;
  const char *tasks[] = {"a", "b", "c", "d"};
  agSweepCell cells[4];
  for (int i = 0; i < 4; i++) {
    cells[i] = doneCell(tasks[i], "trace", 0, kRising, 3, 1);
  }
  assert_int_equal(ag_reportSweep(gTmp, cells, 4, NULL, gErr, sizeof gErr), TB_OK);
  unsigned w = 0;
  unsigned h = 0;
  pngSize("sweep_curve.png", &w, &h);
  assert_int_equal(w, 3 * 440); /* three panels a row, then a second row */
  assert_int_equal(h, 74 + 2 * 340);
  /* nothing done yet: empty panels, still a page */
  cells[0].status = "pending";
  assert_int_equal(ag_reportSweep(gTmp, cells, 1, NULL, gErr, sizeof gErr), TB_OK);
  assert_int_equal(ag_reportSweep(gTmp, cells, 0, NULL, gErr, sizeof gErr), TB_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(page_should_show_the_mean_and_95_percent_band_per_variant),
      cmocka_unit_test(figure_should_have_one_panel_per_task),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
