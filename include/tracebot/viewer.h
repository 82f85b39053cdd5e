/* viewer: seeing episodes. The only part of tracebot that uses GLFW (an optional
 * target, tracebot_viewer; training, tests and CI build without it).
 *
 * - simRenderer: offscreen MuJoCo rendering into an RGB buffer through a hidden
 *   GLFW window (works under Xvfb, never shows a window).
 * - PNG (libpng) of one frame, to a file or to memory.
 * - simVideo: raw rgb24 frames piped into ffmpeg (libx264, yuv420p).
 * - Replay helpers: an episode to MP4, one state to PNG, a strip of PNG frames,
 *   each recorded state set exactly (sim_episodeRestore: no stepping).
 * - simViewer: an on-screen window that replays a recorded episode (mouse camera,
 *   space, arrows, speed, overlay) or shows states pushed live by a training loop;
 *   closing the window only disables the viewer, the caller goes on.
 *
 * Threads: GLFW and OpenGL are used from the thread that made the object; make,
 * use and free each object on one thread. GLFW is initialized on first use and
 * stays initialized (one X connection, the OpenGL driver loaded) until
 * sim_viewerTerminate. Everything here needs a display (X11:
 * DISPLAY set, e.g. under xvfb-run); without one, make functions fail with
 * "no display: set DISPLAY or run under xvfb-run".
 *
 * Errors: functions return 0 or a negative TB_E* code (sim.h) and write a one-line
 * message into (err, errsz) when err is not NULL. Nothing here prints or exits.
 */
#ifndef TRACEBOT_VIEWER_H
#define TRACEBOT_VIEWER_H

#include <stddef.h>

#include <mujoco/mujoco.h>

#include "tracebot/error.h"
#include "tracebot/episode.h"
#include "tracebot/sim.h"

/* Errors (tracebot/error.h) returned here:
 *   TB_ENODISPLAY: no X display (DISPLAY unset or unreachable)
 *   TB_EGL: GLFW or OpenGL failed (no GLX, no context, ...)
 *   TB_EIO: a file could not be written
 *   TB_ETOOL: ffmpeg missing, failed or exited with an error */

/* Terminates GLFW (closes the X connection, unloads the OpenGL driver) if no
 * renderer or viewer is alive. Optional, e.g. at the end of main.
 * Errors: TB_EINVAL while a renderer or viewer still exists. */
int sim_viewerTerminate(void);

/* ---- offscreen rendering ---- */

typedef struct simRenderer simRenderer;

/* Sets cam to tracebot's default view: a free camera looking at the table and
 * the arm from the front-left, above the table edge, with the arm behind; or, when the
 * model has a custom numeric "view_camera" of six numbers, a free camera with that
 * lookat (x y z), distance, azimuth and elevation (degrees). */
void sim_defaultCamera(const mjModel *m, mjvCamera *cam);

/* Makes an offscreen renderer of width x height pixels for model m (which must
 * outlive it). Creates a hidden GLFW window for the OpenGL context.
 * Ownership: caller frees with sim_freeRenderer.
 * Errors: NULL, message in err ("no display: ..." when there is no display). */
simRenderer *sim_makeRenderer(const mjModel *m, int width, int height, char *err, size_t errsz);

/* Frees a renderer. Nullable. */
void sim_freeRenderer(simRenderer *r);

/* The renderer's camera, to change the view (initially sim_defaultCamera). */
mjvCamera *sim_rendererCamera(simRenderer *r);

/* Renders data d (of the renderer's model, already forwarded) into rgb: width *
 * height * 3 bytes, top row first. overlay (nullable) is drawn in the top-left
 * corner; lines separated by '\n'. Errors: TB_EINVAL, TB_EGL. */
int sim_renderFrame(simRenderer *r, const mjData *d, const char *overlay, unsigned char *rgb,
                    char *err, size_t errsz);

/* Projects a world point to pixel coordinates (x right, y down, origin top-left)
 * with the camera of the last sim_renderFrame. Returns 0, or -1 if the point is
 * behind the camera or nothing was rendered yet. */
int sim_rendererProject(const simRenderer *r, const double world[3], double *px, double *py);

/* Frames per second of sim_renderFrame (render + readPixels + row flip) at
 * width x height for model m at its initial state, over nframes frames (after a
 * few warm-up frames). Errors: those of sim_makeRenderer / sim_renderFrame. */
int sim_benchRenderFps(const mjModel *m, int width, int height, int nframes, double *fps, char *err,
                       size_t errsz);

/* ---- PNG ---- */

/* An encoded image in memory. Ownership: free(data). */
typedef struct simPng {
  unsigned char *data;
  size_t len;
} simPng;

/* Encodes an RGB image (top row first) as PNG into *out.
 * Errors: TB_EINVAL, TB_ENOMEM, TB_EIO (libpng failed). */
int sim_encodePng(const unsigned char *rgb, int width, int height, simPng *out, char *err,
                  size_t errsz);

/* Writes an RGB image as a PNG file (path.tmp + rename). Errors: TB_EINVAL, TB_EIO. */
int sim_writePng(const char *path, const unsigned char *rgb, int width, int height, char *err,
                 size_t errsz);

/* ---- video ---- */

typedef struct simVideo simVideo;

/* Starts `ffmpeg -f rawvideo -pix_fmt rgb24 -s WxH -r FPS -i - -pix_fmt yuv420p
 * -c:v libx264 path` (posix_spawnp, no shell). width and height must be even. The file is
 * written atomically: ffmpeg writes path.tmp, which sim_closeVideo renames over path once
 * ffmpeg succeeded; an existing path that is not a regular file is refused.
 * Ownership: finish with sim_closeVideo (which also frees).
 * Errors: NULL, message in err ("ffmpeg not found in PATH: install ffmpeg", "video: x
 * exists and is a FIFO; refusing to replace it", ...). */
simVideo *sim_openVideo(const char *path, int width, int height, double fps, char *err,
                        size_t errsz);

/* Sends one RGB frame (width * height * 3 bytes, top row first).
 * Errors: TB_ETOOL when ffmpeg has gone away (its message in err). */
int sim_videoFrame(simVideo *v, const unsigned char *rgb, char *err, size_t errsz);

/* Ends the stream, waits for ffmpeg, puts the file in place and frees v. Nullable.
 * Errors: TB_ETOOL when ffmpeg failed or stopped early (exit status and its last message in
 * err; the path is left as it was), TB_EIO (the rename). */
int sim_closeVideo(simVideo *v, char *err, size_t errsz);

/* ---- replay of a recorded episode ---- */

typedef struct simReplayOptions {
  int width, height; /* pixels (even for video); default 640 x 480 */
  double fps;        /* video frames per second of recorded (simulated) time; default 30 */
  int overlay;       /* draw the macro-step/reward/success/action/hint overlay; default 1 */
} simReplayOptions;

/* Fills opts with the defaults. */
void sim_defaultReplayOptions(simReplayOptions *opts);

/* Writes the overlay text for state k of ep into buf (always NUL-terminated):
 * macro-step, env step, time, reward, success, action and hint. */
void sim_episodeOverlay(const simEpisode *ep, int k, char *buf, size_t n);

/* Renders state k (0-based env step index) of ep to a PNG file. m must be the
 * model the episode was recorded on (same sizes). Errors: TB_EINVAL, render and
 * file errors. */
int sim_replayPng(const mjModel *m, simEpisode *ep, int k, const char *path,
                  const simReplayOptions *opts, char *err, size_t errsz);

/* Renders ep to an MP4 at opts->fps in real (recorded) time:
 * sim_episodeFrameCount(ep, fps) frames, frame i showing sim_episodeFrameState.
 * *nframes (nullable) receives the number of frames written.
 * Errors: TB_EINVAL, render errors, TB_ETOOL (ffmpeg). */
int sim_replayVideo(const mjModel *m, simEpisode *ep, const char *path,
                    const simReplayOptions *opts, int *nframes, char *err, size_t errsz);

/* Renders up to maxframes states of ep, evenly spaced from the first to the last,
 * as PNG images into frames[0 .. *nframes-1].
 * Ownership: caller frees each frames[i].data. Errors: as sim_replayPng (frames
 * already made are freed). */
int sim_replayStrip(const mjModel *m, simEpisode *ep, int maxframes, const simReplayOptions *opts,
                    simPng *frames, int *nframes, char *err, size_t errsz);

/* ---- on-screen viewer ---- */

typedef struct simViewer simViewer;

/* Opens a window of width x height showing model m (which must outlive it).
 * Mouse: left-drag rotates, right-drag pans, scroll zooms (shift+left-drag rotates
 * about the horizontal). Keys: space play/pause, left/right one env step back/on,
 * up/down speed x2 or /2, home back to the start, escape closes.
 * Ownership: caller frees with sim_freeViewer. Errors: NULL, message in err. */
simViewer *sim_makeViewer(const mjModel *m, const char *title, int width, int height, char *err,
                          size_t errsz);

/* Frees a viewer (closes its window if still open). Nullable. */
void sim_freeViewer(simViewer *v);

/* 1 while the window is open, 0 once the person closed it (or it failed). */
int sim_viewerIsOpen(const simViewer *v);

/* Closes the window as if the person had closed it (the viewer stays valid and
 * every later call is a cheap no-op). */
void sim_viewerClose(simViewer *v);

/* Replays ep in the window until it is closed, or for max_frames drawn frames
 * when max_frames > 0 (for tests and scripts). Starts paused at state 0 when
 * max_frames is 0, playing otherwise. Errors: TB_EINVAL (sizes differ from the
 * model), render errors. Returns 0 when the window was closed. */
int sim_viewerReplay(simViewer *v, simEpisode *ep, int max_frames, char *err, size_t errsz);

/* Live mode: shows one state pushed by a running episode. state holds n doubles,
 * either sim's full flat state (sim_stateSize) or an episode row
 * (sim_episodeRowSize). The viewer throttles to real time (times the speed set
 * with the arrow keys) from the states' time stamps, draws at most about 60
 * frames a second and never blocks otherwise; while paused (space) it only keeps
 * the window responsive. overlay is nullable.
 * Returns 1 if the state was taken, 0 if the window is closed (nothing done), or
 * a negative TB_E* code for a bad state (the viewer stays usable). */
int sim_viewerPush(simViewer *v, const double *state, size_t n, const char *overlay);

#endif /* TRACEBOT_VIEWER_H */
