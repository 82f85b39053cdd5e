/* tracebot report: the learning curve and report.html of a run directory, with episode
 * strips when the viewer target is built (TRACEBOT_HAVE_VIEWER) and a display is there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "tracebot/report.h"
#include "tracebot/sweep.h"
#ifdef TRACEBOT_HAVE_VIEWER
#include "tracebot/viewer.h"
#endif

const char cli_reportHelp[] =
    "Writes into the run directory DIR a learning curve (learning_curve.png and .svg:\n"
    "train success and return, test success rate per iteration) and a self-contained\n"
    "report.html (curves, each iteration's feedback, update outcome, tokens, a diff of\n"
    "the controller against the previous iteration, and the training episode as an\n"
    "image strip when a display is available, e.g. under xvfb-run).\n"
    "On a sweep directory (tracebot sweep): each cell's own report, then sweep_curve.png\n"
    "and .svg (per task, the test success per iteration of each variant: the mean over\n"
    "repeats and its 95% confidence band) and a report.html with the tables per variant\n"
    "and a link to every cell's report.\n"
    "  --frames N       frames in each episode strip (default 6, 0: none)\n";

#ifdef TRACEBOT_HAVE_VIEWER
/* Renders frames of one recorded training episode for the report's strip. */
static int stripFrames(void *user, const char *path, int maxframes, agReportImage *frames,
                       int *nframes, char *err, size_t errsz) {
  (void)user;
  *nframes = 0;
  simEpisode *ep = sim_episodeLoad(path, err, errsz);
  if (ep == NULL) {
    return -1;
  }
  cliEpisodeModel em;
  const mjModel *m = cli_openEpisodeModel(ep, &em, err, errsz);
  simPng *png = calloc((size_t)maxframes, sizeof *png);
  simReplayOptions opts;
  sim_defaultReplayOptions(&opts);
  opts.width = 240;
  opts.height = 180;
  opts.overlay = 0;
  int rc = m != NULL && png != NULL
               ? sim_replayStrip(m, ep, maxframes, &opts, png, nframes, err, errsz)
               : -1;
  for (int i = 0; rc == 0 && i < *nframes; i++) {
    frames[i].data = png[i].data;
    frames[i].len = png[i].len;
  }
  free(png);
  cli_closeEpisodeModel(&em);
  sim_freeEpisode(ep);
  return rc;
}
#endif

static const char *const kValueFlags[] = {"--frames", NULL};

/* The report of a sweep directory. */
static int sweepReport(const char *dir, const agReportOptions *opts) {
  swReportResult res;
  char err[1024] = "";
  int rc = sw_report(dir, opts, &res, err, sizeof err);
  if (rc != TB_OK) {
    return rc == TB_EIO || rc == TB_EFORMAT || rc == TB_EINVAL ? cli_usage("report: %s", err)
                                                               : cli_fail("report: %s", err);
  }
  printf(
      "%s/report.html: %d cells (%d done), %d cell reports; figure in %s/sweep_curve.png "
      "and .svg\n",
      dir, res.cells, res.done, res.cell_reports, dir);
  return CLI_OK;
}

int cli_cmdReport(cliArgs *a) {
  const char *dir = NULL;
  int frames = 6;
  const char *flag;
  const char *value;
  int r;
  while ((r = cli_nextFlag(a, &flag, &value)) != 0) {
    if (r < 0) {
      if (dir != NULL) {
        return cli_usage("report: unexpected argument '%s'", flag);
      }
      dir = flag;
      continue;
    }
    const char *v = cli_knownValue(a, flag, value, kValueFlags);
    if (v == NULL || cli_parseInt(flag, v, 0, 50, &frames) != 0) {
      return CLI_USAGE;
    }
  }
  if (dir == NULL) {
    return cli_usage("report: which run? (tracebot report DIR)");
  }
  agReportOptions opts;
  ag_defaultReportOptions(&opts);
#ifdef TRACEBOT_HAVE_VIEWER
  if (frames > 0) {
    opts.strip = stripFrames;
    opts.strip_frames = frames;
  }
#endif
  char err[1024] = "";
  if (sw_isSweep(dir)) {
    return sweepReport(dir, &opts);
  }
  agReportResult res;
  int rc = ag_report(dir, &opts, &res, err, sizeof err);
  if (rc != TB_OK) {
    int input = rc == TB_EIO || rc == TB_EFORMAT || rc == TB_EINVAL;
    return input ? cli_usage("report: %s", err) : cli_fail("report: %s", err);
  }
  printf(
      "%s/report.html: %d iterations, %d episode strips; figure in "
      "%s/learning_curve.png and .svg\n",
      dir, res.iterations, res.strips, dir);
  if (frames > 0 && res.strips == 0 && res.iterations > 0) {
#ifdef TRACEBOT_HAVE_VIEWER
    const char *why = getenv("DISPLAY") == NULL ? "no display: run under xvfb-run"
                                                : "see report.html for the reason";
#else
    const char *why = CLI_NO_VIEWER;
#endif
    fprintf(stderr, "tracebot: the report has no episode strips (%s)\n", why);
  }
  if (res.skipped_partial) {
    fprintf(stderr, "tracebot: skipped the unfinished last line of iterations.jsonl\n");
  }
  return CLI_OK;
}
