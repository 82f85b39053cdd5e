/* Seeing episodes from the CLI: `tracebot replay`, `tracebot report`, and the live
 * viewer behind `run --view` / `train --view`. Everything that draws needs the optional
 * viewer target (TRACEBOT_HAVE_VIEWER); without it these say so in one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "tracebot/report.h"
#ifdef TRACEBOT_HAVE_VIEWER
#include "tracebot/viewer.h"
#endif

static const char kReplayHelp[] =
    "usage: tracebot replay EP.json [--view] [--video OUT.mp4] [--png OUT.png --frame K]\n"
    "                      [--size WxH] [--fps F] [--no-overlay]\n"
    "Plays back a recorded episode (tracebot run --record, or a run's episodes/) from its\n"
    "exact states: no re-simulation. Without an output flag it prints a summary.\n"
    "  --view           a window: left-drag rotates, right-drag pans, scroll zooms, space\n"
    "                   plays/pauses, left/right step, up/down change the speed, home\n"
    "                   restarts, esc quits\n"
    "  --video OUT.mp4  renders offscreen (works under xvfb-run) and encodes with ffmpeg\n"
    "  --png OUT.png    writes one frame: --frame K is the env-step state index (default 0)\n"
    "  --size WxH       image size (default 640x480)\n"
    "  --fps F          video frames per second of simulated time (default 30)\n"
    "  --no-overlay     no text overlay (macro-step, reward, success, action, hint)\n";

static const char kReportHelp[] =
    "usage: tracebot report DIR [--frames N]\n"
    "Writes into the run directory DIR a learning curve (learning_curve.png and .svg:\n"
    "train success and return, test success rate per iteration) and a self-contained\n"
    "report.html (curves, each iteration's feedback, update outcome, tokens, a diff of\n"
    "the controller against the previous iteration, and the training episode as an\n"
    "image strip when a display is available, e.g. under xvfb-run).\n"
    "  --frames N       frames in each episode strip (default 6, 0: none)\n";

#ifndef TRACEBOT_HAVE_VIEWER
static const char kNoViewer[] =
    "this tracebot was built without the viewer (-DTRACEBOT_VIEWER=OFF)";
#endif

/* ------------------------------------------------------------- replay */

#ifdef TRACEBOT_HAVE_VIEWER
/* The task's model for a recording: a spec and a task whose world holds it. */
typedef struct episodeModel {
  envSpec *spec;
  envTask *task;
} episodeModel;

static const mjModel *openModel(const simEpisode *ep, episodeModel *em, char *err, size_t errsz) {
  memset(em, 0, sizeof *em);
  int id = env_lookup(ep->info.task);
  if (id < 0) {
    snprintf(err, errsz, "the episode's task '%s' is not one of ours", ep->info.task);
    return NULL;
  }
  em->spec = env_makeSpec((envTaskId)id, err, errsz);
  em->task = em->spec != NULL ? env_make(em->spec, err, errsz) : NULL;
  return em->task != NULL ? sim_model(env_world(em->task)) : NULL;
}

static void closeModel(episodeModel *em) {
  env_free(em->task);
  env_freeSpec(em->spec);
}
#endif

int cli_cmdReplay(cliArgs *a) {
  const char *path = NULL;
  const char *video = NULL;
  const char *png = NULL;
  int view = 0;
  int frame = 0;
  int frameGiven = 0;
  int width = 640;
  int height = 480;
  double fps = 30;
  int overlay = 1;
  const char *flag;
  const char *value;
  int r;
  while ((r = cli_nextFlag(a, &flag, &value)) != 0) {
    if (r < 0) {
      if (path != NULL) {
        return cli_usage("replay: unexpected argument '%s'", flag);
      }
      path = flag;
      continue;
    }
    if (strcmp(flag, "--help") == 0) {
      fputs(kReplayHelp, stdout);
      return CLI_OK;
    }
    if (value == NULL && (strcmp(flag, "--view") == 0 || strcmp(flag, "--no-overlay") == 0)) {
      view |= strcmp(flag, "--view") == 0;
      overlay &= strcmp(flag, "--no-overlay") != 0;
      continue;
    }
    int known = strcmp(flag, "--video") == 0 || strcmp(flag, "--png") == 0 ||
                strcmp(flag, "--frame") == 0 || strcmp(flag, "--size") == 0 ||
                strcmp(flag, "--fps") == 0;
    if (!known) {
      return cli_usage("replay: unknown flag '%s' (see tracebot replay --help)", flag);
    }
    const char *v = cli_value(a, flag, value);
    if (v == NULL) {
      return CLI_USAGE;
    }
    int rc = 0;
    if (strcmp(flag, "--video") == 0) {
      video = v;
    } else if (strcmp(flag, "--png") == 0) {
      png = v;
    } else if (strcmp(flag, "--frame") == 0) {
      rc = cli_parseInt(flag, v, 0, 100000000, &frame);
      frameGiven = 1;
    } else if (strcmp(flag, "--fps") == 0) {
      rc = cli_parseDouble(flag, v, 1, 1000, &fps);
    } else {
      char tail = 0;
      if (sscanf(v, "%dx%d%c", &width, &height, &tail) != 2 || width < 16 || height < 16 ||
          width > 8192 || height > 8192 || width % 2 != 0 || height % 2 != 0) {
        return cli_usage("--size must be WxH with even sizes from 16 to 8192, got '%s'", v);
      }
    }
    if (rc != 0) {
      return CLI_USAGE;
    }
  }
  if (path == NULL) {
    return cli_usage("replay: which episode? (tracebot replay EP.json, see --help)");
  }
  if (frameGiven && png == NULL) {
    return cli_usage("replay: --frame K goes with --png OUT.png");
  }
  char err[1024] = "";
  simEpisode *ep = sim_episodeLoad(path, err, sizeof err);
  if (ep == NULL) {
    return cli_usage("%s", err);
  }
  if (png != NULL && frame >= ep->nstates) {
    int n = ep->nstates;
    sim_freeEpisode(ep);
    return cli_usage("--frame %d: the episode has states 0 to %d", frame, n - 1);
  }
  if (!view && video == NULL && png == NULL) {
    const simEpisodeResult *res = &ep->result;
    printf("%s seed %llu: %s, return %.3f in %d steps, %d states (%.2f s simulated)%s%s%s%s\n",
           ep->info.task, (unsigned long long)ep->info.seed,
           res->success ? "success" : "no success", res->ret, res->steps, ep->nstates,
           ep->nstates > 0 ? sim_episodeState(ep, ep->nstates - 1)[0] - sim_episodeState(ep, 0)[0]
                           : 0.0,
           res->has_fault ? "; fault: " : "", res->has_fault ? res->fault_kind : "",
           res->has_fault ? " " : "", res->has_fault ? res->fault_message : "");
    sim_freeEpisode(ep);
    return CLI_OK;
  }
#ifdef TRACEBOT_HAVE_VIEWER
  episodeModel em;
  const mjModel *m = openModel(ep, &em, err, sizeof err);
  int rc = m != NULL ? 0 : -1;
  simReplayOptions opts;
  sim_defaultReplayOptions(&opts);
  opts.width = width;
  opts.height = height;
  opts.fps = fps;
  opts.overlay = overlay;
  if (rc == 0 && png != NULL) {
    rc = sim_replayPng(m, ep, frame, png, &opts, err, sizeof err);
    if (rc == 0) {
      fprintf(stderr, "tracebot: wrote state %d of %s to %s\n", frame, path, png);
    }
  }
  if (rc == 0 && video != NULL) {
    int nframes = 0;
    rc = sim_replayVideo(m, ep, video, &opts, &nframes, err, sizeof err);
    if (rc == 0) {
      fprintf(stderr, "tracebot: wrote %d frames at %g fps to %s\n", nframes, fps, video);
    }
  }
  if (rc == 0 && view) {
    simViewer *v = sim_makeViewer(m, path, width, height, err, sizeof err);
    rc = v != NULL ? sim_viewerReplay(v, ep, 0, err, sizeof err) : -1;
    sim_freeViewer(v);
  }
  closeModel(&em);
  sim_freeEpisode(ep);
  if (rc != 0) {
    return cli_fail("replay: %s", err);
  }
  return CLI_OK;
#else
  sim_freeEpisode(ep);
  return cli_fail("replay: %s", kNoViewer);
#endif
}

/* ------------------------------------------------------------- report */

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
  episodeModel em;
  const mjModel *m = openModel(ep, &em, err, errsz);
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
  closeModel(&em);
  sim_freeEpisode(ep);
  return rc;
}
#endif

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
    if (strcmp(flag, "--help") == 0) {
      fputs(kReportHelp, stdout);
      return CLI_OK;
    }
    if (strcmp(flag, "--frames") != 0) {
      return cli_usage("report: unknown flag '%s' (see tracebot report --help)", flag);
    }
    const char *v = cli_value(a, flag, value);
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
  agReportResult res;
  char err[1024] = "";
  int rc = ag_report(dir, &opts, &res, err, sizeof err);
#ifdef TRACEBOT_HAVE_VIEWER
#endif
  if (rc != TB_OK) {
    return rc == TB_EIO || rc == TB_EFORMAT ? cli_usage("report: %s", err)
                                            : cli_fail("report: %s", err);
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
    const char *why = kNoViewer;
#endif
    fprintf(stderr, "tracebot: the report has no episode strips (%s)\n", why);
  }
  if (res.skipped_partial) {
    fprintf(stderr, "tracebot: skipped the unfinished last line of iterations.jsonl\n");
  }
  return CLI_OK;
}

/* ------------------------------------------------------------- bench */

int cli_benchRender(envTaskId task, double *fps, char *err, size_t errsz) {
#ifdef TRACEBOT_HAVE_VIEWER
  envSpec *spec = env_makeSpec(task, err, errsz);
  envTask *t = spec != NULL ? env_make(spec, err, errsz) : NULL;
  int rc = -1;
  if (t != NULL) {
    obs_t obs;
    envConfig cfg;
    env_defaultConfig(&cfg);
    rc = env_reset(t, 0, &cfg, &obs, err, errsz);
  }
  if (rc == 0) {
    rc = sim_benchRenderFps(sim_model(env_world(t)), 640, 480, 120, fps, err, errsz);
  }
  env_free(t);
  env_freeSpec(spec);
  return rc == 0 ? 0 : -1;
#else
  (void)task;
  *fps = 0;
  snprintf(err, errsz, "%s", kNoViewer);
  return -1;
#endif
}

/* ------------------------------------------------------------- live view */

struct cliLiveView {
#ifdef TRACEBOT_HAVE_VIEWER
  mjModel *model; /* a copy: the viewer outlives the rollout's spec */
  simViewer *viewer;
  double *state;
  size_t n;
#endif
  int failed;
};

cliLiveView *cli_makeLiveView(void) {
#ifdef TRACEBOT_HAVE_VIEWER
  return calloc(1, sizeof(cliLiveView));
#else
  cli_usage("--view: %s", kNoViewer);
  return NULL;
#endif
}

void cli_liveWatch(void *user, envTask *task) {
  cliLiveView *lv = user;
  if (lv == NULL || lv->failed) {
    return;
  }
#ifdef TRACEBOT_HAVE_VIEWER
  const simWorld *w = env_world(task);
  if (lv->viewer == NULL) {
    char err[512] = "";
    lv->model = mj_copyModel(NULL, sim_model(w));
    lv->n = sim_stateSize(sim_model(w));
    lv->state = malloc(lv->n * sizeof *lv->state);
    lv->viewer = lv->model != NULL && lv->state != NULL
                     ? sim_makeViewer(lv->model, "tracebot", 960, 720, err, sizeof err)
                     : NULL;
    if (lv->viewer == NULL) {
      /* The episode goes on without a window. */
      fprintf(stderr, "tracebot: --view: %s; continuing without the viewer\n",
              lv->state == NULL           ? "out of memory"
              : getenv("DISPLAY") == NULL ? "no display (a live window needs one)"
                                          : err);
      lv->failed = 1;
      return;
    }
  }
  sim_getState(w, lv->state);
  sim_viewerPush(lv->viewer, lv->state, lv->n, NULL);
#else
  (void)task;
#endif
}

void cli_freeLiveView(cliLiveView *lv) {
  if (lv == NULL) {
    return;
  }
#ifdef TRACEBOT_HAVE_VIEWER
  sim_freeViewer(lv->viewer);
  free(lv->state);
  if (lv->model != NULL) {
    mj_deleteModel(lv->model);
  }
#endif
  free(lv);
}
