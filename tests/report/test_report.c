/* Tests of report/: the line diff, the figure and report.html of a synthetic
 * run directory (with an image strip rendered under a private Xvfb), and a headless
 * Chromium screenshot of the report that shows the learning curve. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "imgutil.h"
#include "record.h"
#include "tracebot/report.h"
#include "tracebot/viewer.h"
#include "base.h"
#include "tmpdir.h"
#include "trees.h"

static recorded rec;

/* fontconfig (through cairo's text) keeps caches that LeakSanitizer reports at exit */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:libfontconfig\n";
}

/* ---- the strip callback: what the CLI wires (load the episode, render frames) ---- */

static int stripFrames(void *user, const char *path, int maxframes, agReportImage *frames,
                       int *nframes, char *err, size_t errsz) {
  const recorded *r = user;
  simEpisode *ep = sim_episodeLoad(path, err, errsz);
  if (!ep) {
    return -1;
  }
  simReplayOptions opts;
  sim_defaultReplayOptions(&opts);
  opts.width = 240;
  opts.height = 180;
  opts.overlay = 0; /* small frames: the picture, not the text */
  simPng *png = calloc((size_t)maxframes, sizeof(*png));
  int rc = png ? sim_replayStrip(r->m, ep, maxframes, &opts, png, nframes, err, errsz) : -1;
  for (int i = 0; rc == 0 && i < *nframes; i++) {
    frames[i].data = png[i].data;
    frames[i].len = png[i].len;
  }
  free(png);
  sim_freeEpisode(ep);
  return rc;
}

static int failingStrip(void *user, const char *path, int maxframes, agReportImage *frames,
                        int *nframes, char *err, size_t errsz) {
  (void)user;
  (void)path;
  (void)maxframes;
  (void)frames;
  *nframes = 0;
  snprintf(err, errsz, "no display: set DISPLAY or run under xvfb-run");
  return -1;
}

/* ---- the synthetic run directory ---- */

static void writeText(const char *name, const char *text) {
  char path[512];
  tmpdir_join(path, sizeof(path), name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static const char *kController1 =
    "void controller(const obs_t *obs, double action[4]) {\\n"
    "  action[0] = 0;\\n  action[1] = 0;\\n  action[2] = 0;\\n  action[3] = -1;\\n}\\n";
static const char *kController2 =
    "void controller(const obs_t *obs, double action[4]) {\\n"
    "  action[0] = obs->obj_pos[0] - obs->hand_pos[0];\\n  action[1] = 0;\\n"
    "  action[2] = 0;\\n  action[3] = -1;\\n}\\n";

static void iterationLine(char *buf, size_t n, int it, int success, double ret, double rate,
                          const char *outcome, const char *from, const char *to) {
  snprintf(buf, n,
           "{\"iteration\": %d, \"controller\": \"%s\", "
           "\"train\": {\"seed\": 0, \"success\": %s, \"return\": %g, \"steps\": 10, "
           "\"fault\": %s}, "
           "\"feedback\": \"Success: %s\\nReturn: %.2f <b>not bold</b>\", "
           "\"system\": \"s\", \"user\": \"u\", \"response\": \"r\", "
           "\"prompt_tokens\": %d, \"completion_tokens\": 321, \"tokens_estimated\": false, "
           "\"latency_s\": 1.9, "
           "\"update\": {\"outcome\": \"%s\", \"reason\": \"reason %d\", \"changed\": "
           "[\"controller\"]}, "
           "\"next_controller\": \"%s\", "
           "\"test\": {\"seeds\": [1, 2], \"success\": [true, false], \"return\": [1, 2], "
           "\"faults\": [null, \"timeout\"], \"success_rate\": %g, \"mean_return\": 45.1}, "
           "\"episode\": \"episodes/iter_%03d.json\", \"elapsed_s\": 12.3, "
           "\"optimizer_overhead_ms\": 0.8, \"optimizer_state\": {}}\n",
           it, from, success ? "true" : "false", ret,
           it == 2 ? "{\"kind\": \"crash\", \"message\": \"signal 11\", \"step\": 3}" : "null",
           success ? "true" : "false", ret, 1200 + it, outcome, it, to, rate, it);
}

/* The run directory (the scratch directory, tmpdir_path()) with iteration 1's episode, recorded
 * from the pick-place expert; a private Xvfb to draw its strip. */
static int setup(void **state) {
  if (tmpdir_setup(state) != 0 ||
      record_openScene(&rec, record_expert, ENV_PICK_PLACE, 0, 10) != 0) {
    return -1;
  }
  char path[400];
  tmpdir_join(path, sizeof(path), "episodes");
  mkdir(path, 0755);
  tmpdir_join(path, sizeof(path), "episodes/iter_001.json");
  return sim_episodeSave(rec.ep, path, NULL, 0);
}

static int teardown(void **state) {
  record_closeScene(state);
  return tmpdir_teardown(state);
}

static void writeRun(void) {
  writeText("config.json",
            "{\"task\": \"pick-place\", \"llm\": \"exec:./scripted.sh\", \"iters\": 4, "
            "\"argv\": [\"tracebot\", \"train\", \"--task\", \"pick-place\"]}");
  writeText("summary.json",
            "{\"out\": \"run\", \"iterations\": 4, \"best_train_success\": true, "
            "\"final_test_success_rate\": 0.5, \"best_test_success_rate\": 0.75, "
            "\"prompt_tokens\": 4810, \"completion_tokens\": 1284}");
  char all[16384] = "";
  char line[4096];
  iterationLine(line, sizeof(line), 1, 0, 12.4, 0.0, "updated", kController1, kController2);
  strcat(all, line);
  iterationLine(line, sizeof(line), 2, 0, 20.5, 0.25, "no_change", kController2, kController2);
  strcat(all, line);
  iterationLine(line, sizeof(line), 3, 1, 61.0, 0.5, "updated", kController2, kController1);
  strcat(all, line);
  iterationLine(line, sizeof(line), 4, 1, 80.0, 0.75, "unusable", kController1, kController1);
  strcat(all, line);
  strcat(all, "{\"iteration\": 5, \"controller\": \"partial"); /* a write in progress */
  writeText("iterations.jsonl", all);
}

/* The synthetic run written again, and report options drawing its strips with strip. */
static agReportOptions runWithStrips(agReportStripFn strip) {
  writeRun();
  agReportOptions opts;
  ag_defaultReportOptions(&opts);
  opts.strip = strip;
  opts.strip_user = &rec;
  return opts;
}

/* The text of a file below the run directory (NULL when it cannot be read). */
static char *slurp(const char *name) {
  char path[512];
  tmpdir_join(path, sizeof(path), name);
  return tb_readFile(path, 64u << 20, NULL, NULL, 0);
}

/* Fails unless text holds every string of has and none of lacks. */
static void assertHasAndLacks(const char *what, const char *text, const char *const *has,
                              size_t nhas, const char *const *lacks, size_t nlacks) {
  assert_non_null(text);
  for (size_t i = 0; i < nhas; i++) {
    if (!strstr(text, has[i])) {
      fail_msg("%s lacks \"%s\"", what, has[i]);
    }
  }
  for (size_t i = 0; i < nlacks; i++) {
    if (strstr(text, lacks[i])) {
      fail_msg("%s holds \"%s\"", what, lacks[i]);
    }
  }
}

/* Pixels of the test-success-rate blue (31, 120, 181) in an image. */
static int bluePixels(imgRgb img) {
  return img_countNear(img.rgb, img.w, img.h, 0, 0, img.w, img.h, 31, 120, 181, 18);
}

/* ---- diff ---- */

static void diff_should_be_empty_for_identical_texts(void **state) {
  (void)state;
  char *d = NULL;
  assert_int_equal(ag_reportDiff("a\nb\n", "a\nb\n", "x", "y", &d), 0);
  assert_string_equal(d, "");
  free(d);
}

static void diff_should_write_unified_hunks_with_context(void **state) {
  (void)state;
  const char *a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n";
  const char *b = "1\n2\n3\nfour\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\nseventeen\n";
  char *d = NULL;
  assert_int_equal(ag_reportDiff(a, b, "old", "new", &d), 0);
  assert_string_equal(d,
                      "--- old\n+++ new\n"
                      "@@ -1,7 +1,7 @@\n 1\n 2\n 3\n-4\n+four\n 5\n 6\n 7\n"
                      "@@ -14,3 +14,4 @@\n 14\n 15\n 16\n+seventeen\n");
  free(d);
  /* close changes merge into one hunk; an empty side counts from line 0 */
  assert_int_equal(ag_reportDiff("", "x\ny\n", "a", "b", &d), 0);
  assert_string_equal(d, "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n");
  free(d);
  assert_int_equal(ag_reportDiff("a\nb\nc\nd\n", "a\nB\nc\nD\n", "a", "b", &d), 0);
  assert_string_equal(d, "--- a\n+++ b\n@@ -1,4 +1,4 @@\n a\n-b\n+B\n c\n-d\n+D\n");
  free(d);
}

/* ---- report ---- */

static void report_should_write_curve_png_svg_and_html_with_every_iteration(void **state) {
  (void)state;
  agReportOptions opts = runWithStrips(stripFrames);
  opts.strip_frames = 4;
  agReportResult res;
  char err[256] = "";
  if (ag_report(tmpdir_path(), &opts, &res, err, sizeof(err)) != 0) {
    fail_msg("%s", err);
  }
  assert_int_equal(res.iterations, 4);
  assert_int_equal(res.skipped_partial, 1);
  assert_int_equal(res.strips, 1); /* only iteration 1's episode file exists */
  /* the PNG figure: right size, not blank, the test-success curve drawn in blue */
  char png[400];
  tmpdir_join(png, sizeof(png), "learning_curve.png");
  imgRgb fig = img_load(png);
  assert_non_null(fig.rgb);
  assert_int_equal(fig.w, 900);
  assert_int_equal(fig.h, 500);
  assert_true(img_stddev(fig.rgb, fig.w, fig.h) > 10);
  assert_true(bluePixels(fig) > 200);
  /* the return curve: orange */
  assert_true(img_countNear(fig.rgb, fig.w, fig.h, 0, 0, fig.w, fig.h, 217, 94, 0, 18) > 100);
  free(fig.rgb);
  /* the SVG */
  char *svg = slurp("learning_curve.svg");
  assert_non_null(svg);
  assert_non_null(strstr(svg, "<svg"));
  free(svg);
  /* the HTML: every complete iteration, the figure inline, feedback escaped, the diffs */
  static const char *const has[] = {
      "<!DOCTYPE html>",
      "<h2>Learning curve</h2><figure><svg",
      "Learning curve",
      "<h3>Iteration 1</h3>",
      "<h3>Iteration 2</h3>",
      "<h3>Iteration 3</h3>",
      "<h3>Iteration 4</h3>",
      "partial last line was skipped",
      "Return: 12.40 &lt;b&gt;not bold&lt;/b&gt;",
      "updated: reason 1",
      "no_change: reason 2",
      "unusable: reason 4",
      "1201 prompt + 321 completion",
      "1.90 s",
      "crash: signal 11 (step 3)",
      "success rate 0.750",
      "<span class=\"add\">+  action[0] = obs-&gt;obj_pos[0] - obs-&gt;hand_pos[0];",
      "<span class=\"del\">-  action[0] = 0;</span>",
      "unchanged",
      "<img alt=\"frame 0\" src=\"data:image/png;base64,iVBORw0KGgo",
      "episodes/iter_002.json not found",
      "final_test_success_rate",
      "tracebot train --task pick-place",
  };
  static const char *const lacks[] = {"<?xml", "Iteration 5", "<b>not bold</b>"};
  char *html = slurp("report.html");
  assertHasAndLacks("report.html", html, has, sizeof has / sizeof has[0], lacks,
                    sizeof lacks / sizeof lacks[0]);
  free(html);
}

static void report_should_show_why_frames_are_missing(void **state) {
  (void)state;
  agReportOptions opts = runWithStrips(failingStrip);
  agReportResult res;
  assert_int_equal(ag_report(tmpdir_path(), &opts, &res, NULL, 0), 0);
  assert_int_equal(res.strips, 0);
  char *html = slurp("report.html");
  assert_non_null(strstr(html, "episode frames not rendered: no display: set DISPLAY"));
  free(html);
  /* and without any renderer */
  assert_int_equal(ag_report(tmpdir_path(), NULL, &res, NULL, 0), 0);
  html = slurp("report.html");
  assert_non_null(strstr(html, "no renderer in this build"));
  free(html);
}

/* The error message's text after the run directory. */
static const char *afterDir(const char *err) {
  size_t n = strlen(tmpdir_path());
  return strncmp(err, tmpdir_path(), n) == 0 ? err + n : err;
}

static void report_should_name_the_line_of_a_malformed_iteration(void **state) {
  (void)state;
  char all[8192];
  char line[4096];
  char err[512] = "";
  /* a key of the wrong type */
  iterationLine(all, sizeof(all), 1, 0, 12.4, 0.0, "updated", kController1, kController2);
  iterationLine(line, sizeof(line), 2, 0, 20.5, 0.25, "no_change", kController2, kController2);
  char *success = strstr(line, "\"success\": false");
  assert_non_null(success);
  memcpy(success, "\"success\": \"no\" ", 16); /* as long as what it replaces */
  strcat(all, line);
  writeText("iterations.jsonl", all);
  assert_int_equal(ag_report(tmpdir_path(), NULL, NULL, err, sizeof(err)), TB_EFORMAT);
  assert_string_equal(afterDir(err),
                      "/iterations.jsonl line 2: train.success: expected true or false");
  /* a missing key */
  writeText("iterations.jsonl",
            "{\"iteration\": 1, \"train\": {\"success\": true, \"return\": 3}}\n");
  assert_int_equal(ag_report(tmpdir_path(), NULL, NULL, err, sizeof(err)), TB_EFORMAT);
  assert_string_equal(afterDir(err), "/iterations.jsonl line 1: controller: missing");
  /* not JSON, even as the last complete line */
  iterationLine(all, sizeof(all), 1, 0, 12.4, 0.0, "updated", kController1, kController2);
  strcat(all, "not json\n");
  writeText("iterations.jsonl", all);
  assert_int_equal(ag_report(tmpdir_path(), NULL, NULL, err, sizeof(err)), TB_EFORMAT);
  assert_string_equal(afterDir(err), "/iterations.jsonl line 2: not a JSON object");
  assert_int_equal(ag_report("/nonexistent-run-dir", NULL, NULL, err, sizeof(err)), TB_EIO);
  assert_non_null(strstr(err, "/nonexistent-run-dir/iterations.jsonl"));
}

/* Screenshots dir/report.html in headless Chromium and checks the learning curve (the
 * blue test-success line) is on screen; keeps a copy at copy_to. */
static void assertScreenshotShowsCurve(const char *dir, const char *copy_to) {
  if (system("command -v chromium >/dev/null 2>&1") != 0) {
    fail_msg("chromium is not installed (scripts/setup.sh installs it)");
  }
  char shot[400];
  snprintf(shot, sizeof(shot), "%s/screenshot.png", dir);
  char profile[] = "/tmp/tracebot-chromium-XXXXXX";
  assert_non_null(mkdtemp(profile));
  char cmd[2048];
  snprintf(cmd, sizeof(cmd),
           "timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic "
           "--no-first-run --disable-background-networking --disable-component-update "
           "--disable-sync --hide-scrollbars --user-data-dir=%s --screenshot=%s "
           "--window-size=1200,900 file://%s/report.html >/dev/null 2>&1",
           profile, shot, dir);
  int rc = system(cmd);
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", profile);
  assert_int_equal(system(cmd), 0);
  assert_int_equal(rc, 0);
  imgRgb screen = img_load(shot);
  assert_non_null(screen.rgb);
  assert_int_equal(screen.w, 1200);
  assert_true(img_stddev(screen.rgb, screen.w, screen.h) > 10);
  int blue = bluePixels(screen);
  if (blue < 150) {
    fail_msg("only %d pixels of the curve's blue in the screenshot", blue);
  }
  free(screen.rgb);
  /* keep a copy for people to look at */
  snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", shot, copy_to);
  (void)system(cmd);
}

static void report_html_should_show_the_curve_in_headless_chromium(void **state) {
  (void)state;
  agReportOptions opts = runWithStrips(stripFrames);
  assert_int_equal(ag_report(tmpdir_path(), &opts, NULL, NULL, 0), 0);
  assertScreenshotShowsCurve(tmpdir_path(), "/tmp/report_screenshot.png");
}

/* The whole path a person takes: `tracebot train` with the scripted LLM of the training
 * tests, then `tracebot report` on its run directory (with episode strips: the test's
 * Xvfb is the display), then the page in headless Chromium. */
static void report_of_a_scripted_training_run_should_show_the_curve(void **state) {
  (void)state;
  const char *src = tree_source();
  const char *bin = tree_binary();
  char dir[400];
  tmpdir_join(dir, sizeof(dir), "trained");
  char cmd[4096];
  snprintf(cmd, sizeof(cmd),
           "'%s/bin/tracebot' train --task reach --iters 4 --out '%s' --llm 'exec:sh "
           "%s/tests/train/llm/scripted_llm.sh %s/tests/train/llm' >/dev/null 2>&1 && "
           "'%s/bin/tracebot' report '%s' >/dev/null 2>&1",
           bin, dir, src, src, bin, dir);
  assert_int_equal(system(cmd), 0);
  char path[600];
  snprintf(path, sizeof(path), "%s/learning_curve.svg", dir);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  /* the figure, the diff of iteration 3, iteration 2's feedback, the episode strips */
  static const char *const has[] = {"<svg", "MARKER_SOLVE", "(compile) line 4",
                                    "data:image/png;base64,"};
  char *html = slurp("trained/report.html");
  assertHasAndLacks("trained/report.html", html, has, sizeof has / sizeof has[0], NULL, 0);
  free(html);
  assertScreenshotShowsCurve(dir, "/tmp/report_training_screenshot.png");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(diff_should_be_empty_for_identical_texts),
      cmocka_unit_test(diff_should_write_unified_hunks_with_context),
      cmocka_unit_test(report_should_write_curve_png_svg_and_html_with_every_iteration),
      cmocka_unit_test(report_should_show_why_frames_are_missing),
      cmocka_unit_test(report_should_name_the_line_of_a_malformed_iteration),
      cmocka_unit_test(report_html_should_show_the_curve_in_headless_chromium),
      cmocka_unit_test(report_of_a_scripted_training_run_should_show_the_curve),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
