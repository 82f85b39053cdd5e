/* tracebot replay: plays back a recorded episode from its exact states (a summary, a
 * window, a video or a PNG). Drawing needs the optional viewer target
 * (TRACEBOT_HAVE_VIEWER); without it replay says so in one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "commands.h"
#ifdef TRACEBOT_HAVE_VIEWER
#include "tracebot/viewer.h"
#endif

const char cli_replayHelp[] =
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

static const char *const kValueFlags[] = {"--video", "--png", "--frame", "--size", "--fps", NULL};

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
    if (value == NULL && (strcmp(flag, "--view") == 0 || strcmp(flag, "--no-overlay") == 0)) {
      view |= strcmp(flag, "--view") == 0;
      overlay &= strcmp(flag, "--no-overlay") != 0;
      continue;
    }
    const char *v = cli_knownValue(a, flag, value, kValueFlags);
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
  if ((png != NULL && cli_checkOutput("--png", png) != 0) ||
      (video != NULL && cli_checkOutput("--video", video) != 0)) {
    return CLI_USAGE;
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
    /* the texts of a recording are shown escaped: a crafted file must not drive the terminal */
    const simEpisodeResult *res = &ep->result;
    char task[4 * sizeof ep->info.task];
    char kind[4 * sizeof res->fault_kind];
    char message[4 * sizeof res->fault_message];
    printf("%s seed %llu: %s, return %.3f in %d steps, %d states (%.2f s simulated)%s%s%s%s\n",
           tb_printable(ep->info.task, task, sizeof task), (unsigned long long)ep->info.seed,
           res->success ? "success" : "no success", res->ret, res->steps, ep->nstates,
           ep->nstates > 0 ? sim_episodeState(ep, ep->nstates - 1)[0] - sim_episodeState(ep, 0)[0]
                           : 0.0,
           res->has_fault ? "; fault: " : "",
           res->has_fault ? tb_printable(res->fault_kind, kind, sizeof kind) : "",
           res->has_fault ? " " : "",
           res->has_fault ? tb_printable(res->fault_message, message, sizeof message) : "");
    if (ep->info.perturb[0] != '\0') {
      char perturb[512];
      printf("perturb: %s\n", tb_printable(ep->info.perturb, perturb, sizeof perturb));
    }
    sim_freeEpisode(ep);
    return CLI_OK;
  }
#ifdef TRACEBOT_HAVE_VIEWER
  cliEpisodeModel em;
  const mjModel *m = cli_openEpisodeModel(ep, &em, err, sizeof err);
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
  cli_closeEpisodeModel(&em);
  sim_freeEpisode(ep);
  if (rc != 0) {
    return cli_fail("replay: %s", err);
  }
  return CLI_OK;
#else
  sim_freeEpisode(ep);
  return cli_fail("replay: %s", CLI_NO_VIEWER);
#endif
}
