/* replay.c: a recorded episode to PNG, MP4 or a strip of frames (exact states, no stepping). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "viewer_internal.h"

void sim_defaultReplayOptions(simReplayOptions *opts) {
  opts->width = 640;
  opts->height = 480;
  opts->fps = 30.0;
  opts->overlay = 1;
}

/* Appends text to buf at *pos (bounded), wrapping at about width columns. */
static void appendWrapped(char *buf, size_t n, size_t *pos, const char *text, int width) {
  int col = 0;
  for (const char *p = text; *p && *pos + 1 < n; p++) {
    char c = *p == '\t' ? ' ' : *p;
    if (c == '\n') {
      col = -1;
    } else if (c == ' ' && col >= width) {
      c = '\n';
      col = -1;
    }
    buf[(*pos)++] = c;
    col++;
  }
  buf[*pos < n ? *pos : n - 1] = '\0';
}

void sim_episodeOverlay(const simEpisode *ep, int k, char *buf, size_t n) {
  if (!buf || n == 0) {
    return;
  }
  buf[0] = '\0';
  const double *st = sim_episodeState(ep, k);
  if (!st) {
    return;
  }
  int s = sim_episodeStepAt(ep, k);
  int len;
  if (s < 0) {
    len = snprintf(buf, n, "%s seed %llu  env step %d/%d  t %.3f s\nbefore the first call",
                   ep->info.task, (unsigned long long)ep->info.seed, k, ep->nstates - 1, st[0]);
  } else {
    const simEpisodeStep *e = &ep->steps[s];
    len = snprintf(buf, n,
                   "%s seed %llu  env step %d/%d  t %.3f s\n"
                   "macro-step %d/%d  reward %.3f  success %s\n"
                   "action [%.3f %.3f %.3f | %.2f]\n",
                   ep->info.task, (unsigned long long)ep->info.seed, k, ep->nstates - 1, st[0],
                   e->step + 1, ep->info.horizon, e->reward, e->success ? "yes" : "no",
                   e->action[0], e->action[1], e->action[2], e->action[3]);
    if (len > 0 && (size_t)len < n && e->hint[0]) {
      size_t pos = (size_t)len;
      appendWrapped(buf, n, &pos, "hint: ", 1000);
      appendWrapped(buf, n, &pos, e->hint, 60);
      return;
    }
  }
  (void)len;
}

/* Everything a replay needs: a world to set states on, a renderer and a frame buffer. */
typedef struct replayer {
  simWorld *world;
  simRenderer *r;
  unsigned char *rgb;
  simReplayOptions opts;
  char overlay[1024];
} replayer;

static void closeReplayer(replayer *p) {
  sim_freeRenderer(p->r);
  sim_free(p->world);
  free(p->rgb);
}

static int openReplayer(replayer *p, const mjModel *m, const simEpisode *ep,
                        const simReplayOptions *opts, char *err, size_t errsz) {
  memset(p, 0, sizeof(*p));
  if (opts) {
    p->opts = *opts;
  } else {
    sim_defaultReplayOptions(&p->opts);
  }
  if (!m || !ep) {
    tb_setErr(err, errsz, "replay: NULL model or episode");
    return TB_EINVAL;
  }
  if (ep->nstates == 0) {
    tb_setErr(err, errsz, "replay: the episode has no states");
    return TB_EINVAL;
  }
  p->world = sim_make(m, err, errsz);
  if (!p->world) {
    return TB_EMODEL;
  }
  p->r = sim_makeRenderer(m, p->opts.width, p->opts.height, err, errsz);
  if (!p->r) {
    closeReplayer(p);
    return TB_EGL;
  }
  p->rgb = malloc((size_t)p->opts.width * (size_t)p->opts.height * 3);
  if (!p->rgb) {
    tb_setErr(err, errsz, "replay: out of memory");
    closeReplayer(p);
    return TB_ENOMEM;
  }
  return 0;
}

/* Sets state k exactly and renders it into p->rgb. */
static int renderState(replayer *p, simEpisode *ep, int k, char *err, size_t errsz) {
  int rc = sim_episodeRestore(ep, k, p->world, err, errsz);
  if (rc != 0) {
    return rc;
  }
  const char *text = NULL;
  if (p->opts.overlay) {
    sim_episodeOverlay(ep, k, p->overlay, sizeof(p->overlay));
    text = p->overlay;
  }
  return sim_renderFrame(p->r, sim_data(p->world), text, p->rgb, err, errsz);
}

int sim_replayPng(const mjModel *m, simEpisode *ep, int k, const char *path,
                  const simReplayOptions *opts, char *err, size_t errsz) {
  if (ep && (k < 0 || k >= ep->nstates)) {
    tb_setErr(err, errsz, "replay: frame %d not in [0, %d)", k, ep->nstates);
    return TB_EINVAL;
  }
  replayer p;
  int rc = openReplayer(&p, m, ep, opts, err, errsz);
  if (rc != 0) {
    return rc;
  }
  rc = renderState(&p, ep, k, err, errsz);
  if (rc == 0) {
    rc = sim_writePng(path, p.rgb, p.opts.width, p.opts.height, err, errsz);
  }
  closeReplayer(&p);
  return rc;
}

int sim_replayVideo(const mjModel *m, simEpisode *ep, const char *path,
                    const simReplayOptions *opts, int *nframes, char *err, size_t errsz) {
  replayer p;
  int rc = openReplayer(&p, m, ep, opts, err, errsz);
  if (rc != 0) {
    return rc;
  }
  simVideo *v = sim_openVideo(path, p.opts.width, p.opts.height, p.opts.fps, err, errsz);
  if (!v) {
    closeReplayer(&p);
    return TB_ETOOL;
  }
  int frames = sim_episodeFrameCount(ep, p.opts.fps);
  int written = 0;
  for (int i = 0; i < frames && rc == 0; i++) {
    rc = renderState(&p, ep, sim_episodeFrameState(ep, p.opts.fps, i), err, errsz);
    if (rc == 0) {
      rc = sim_videoFrame(v, p.rgb, err, errsz);
    }
    written += rc == 0;
  }
  /* on an earlier error keep its message; still wait for ffmpeg */
  int crc = sim_closeVideo(v, rc == 0 ? err : NULL, rc == 0 ? errsz : 0);
  if (rc == 0) {
    rc = crc;
  }
  if (nframes) {
    *nframes = written;
  }
  closeReplayer(&p);
  return rc;
}

int sim_replayStrip(const mjModel *m, simEpisode *ep, int maxframes, const simReplayOptions *opts,
                    simPng *frames, int *nframes, char *err, size_t errsz) {
  if (!frames || !nframes || maxframes < 1) {
    tb_setErr(err, errsz, "replay strip: bad argument");
    return TB_EINVAL;
  }
  *nframes = 0;
  replayer p;
  int rc = openReplayer(&p, m, ep, opts, err, errsz);
  if (rc != 0) {
    return rc;
  }
  int count = maxframes < ep->nstates ? maxframes : ep->nstates;
  for (int i = 0; i < count && rc == 0; i++) {
    int k = count == 1 ? 0 : (int)((long)i * (ep->nstates - 1) / (count - 1));
    rc = renderState(&p, ep, k, err, errsz);
    if (rc == 0) {
      rc = sim_encodePng(p.rgb, p.opts.width, p.opts.height, &frames[i], err, errsz);
    }
    if (rc == 0) {
      (*nframes)++;
    }
  }
  if (rc != 0) {
    for (int i = 0; i < *nframes; i++) {
      free(frames[i].data);
      frames[i].data = NULL;
    }
    *nframes = 0;
  }
  closeReplayer(&p);
  return rc;
}
