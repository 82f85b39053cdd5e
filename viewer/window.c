/* window.c: the on-screen viewer (replay of a recording, or live states). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <GLFW/glfw3.h>

#include "base.h"
#include "viewer_internal.h"

#define LIVE_DRAW_PERIOD (1.0 / 60.0) /* live mode draws at most this often (s) */
#define MAX_SPEED 16.0
#define MIN_SPEED (1.0 / 16.0)

struct simViewer {
  GLFWwindow *win; /* NULL once closed */
  const mjModel *m;
  simWorld *world;
  double *scratch; /* one full sim state */
  mjvScene scn;
  mjvCamera cam;
  mjvOption opt;
  mjrContext con;
  /* input */
  int left, right; /* mouse buttons held */
  double lastx, lasty;
  int playing;
  double speed;
  int stepRequest; /* env steps asked for with the arrow keys */
  int homeRequest;
  /* live mode pacing */
  double lastDraw;    /* wall time of the last draw */
  double lastSimTime; /* time stamp of the last pushed state */
  double lastWall;    /* wall time when it was taken */
  int haveLast;
  char overlay[1200];
};

static void closeWindow(simViewer *v) {
  if (!v->win) {
    return;
  }
  glfwMakeContextCurrent(v->win);
  mjr_freeContext(&v->con);
  mjv_freeScene(&v->scn);
  glfwMakeContextCurrent(NULL);
  glfwDestroyWindow(v->win);
  v->win = NULL;
  vw_glfwRelease();
}

/* ---- input callbacks (the user pointer is the viewer) ---- */

static void onKey(GLFWwindow *win, int key, int scancode, int action, int mods) {
  (void)scancode;
  (void)mods;
  simViewer *v = glfwGetWindowUserPointer(win);
  if (action == GLFW_RELEASE) {
    return;
  }
  switch (key) {
    case GLFW_KEY_SPACE:
      if (action == GLFW_PRESS) {
        v->playing = !v->playing;
      }
      break;
    case GLFW_KEY_RIGHT:
      v->stepRequest++;
      v->playing = 0;
      break;
    case GLFW_KEY_LEFT:
      v->stepRequest--;
      v->playing = 0;
      break;
    case GLFW_KEY_UP:
      v->speed = fmin(MAX_SPEED, v->speed * 2);
      break;
    case GLFW_KEY_DOWN:
      v->speed = fmax(MIN_SPEED, v->speed / 2);
      break;
    case GLFW_KEY_HOME:
      v->homeRequest = 1;
      break;
    case GLFW_KEY_ESCAPE:
      glfwSetWindowShouldClose(win, GLFW_TRUE);
      break;
    default:
      break;
  }
}

static void onButton(GLFWwindow *win, int button, int action, int mods) {
  (void)mods;
  simViewer *v = glfwGetWindowUserPointer(win);
  int down = action == GLFW_PRESS;
  if (button == GLFW_MOUSE_BUTTON_LEFT) {
    v->left = down;
  } else if (button == GLFW_MOUSE_BUTTON_RIGHT) {
    v->right = down;
  }
  glfwGetCursorPos(win, &v->lastx, &v->lasty);
}

static void onMove(GLFWwindow *win, double x, double y) {
  simViewer *v = glfwGetWindowUserPointer(win);
  double dx = x - v->lastx;
  double dy = y - v->lasty;
  v->lastx = x;
  v->lasty = y;
  if (!v->left && !v->right) {
    return;
  }
  int width = 1;
  int height = 1;
  glfwGetWindowSize(win, &width, &height);
  if (height < 1) {
    height = 1;
  }
  int shift = glfwGetKey(win, GLFW_KEY_LEFT_SHIFT) == GLFW_PRESS ||
              glfwGetKey(win, GLFW_KEY_RIGHT_SHIFT) == GLFW_PRESS;
  int action;
  if (v->right) {
    action = shift ? mjMOUSE_MOVE_H : mjMOUSE_MOVE_V;
  } else {
    action = shift ? mjMOUSE_ROTATE_H : mjMOUSE_ROTATE_V;
  }
  mjv_moveCamera(v->m, action, dx / height, dy / height, &v->scn, &v->cam);
}

static void onScroll(GLFWwindow *win, double xoff, double yoff) {
  (void)xoff;
  simViewer *v = glfwGetWindowUserPointer(win);
  mjv_moveCamera(v->m, mjMOUSE_ZOOM, 0, -0.05 * yoff, &v->scn, &v->cam);
}

/* ---- lifecycle ---- */

simViewer *sim_makeViewer(const mjModel *m, const char *title, int width, int height, char *err,
                          size_t errsz) {
  if (!m || width < 16 || height < 16 || width > 8192 || height > 8192) {
    tb_setErr(err, errsz, "viewer: bad model or size %dx%d", width, height);
    return NULL;
  }
  sim_installHandlers();
  simViewer *v = calloc(1, sizeof(*v));
  if (!v) {
    tb_setErr(err, errsz, "viewer: out of memory");
    return NULL;
  }
  v->m = m;
  v->speed = 1.0;
  v->playing = 1;
  v->world = sim_make(m, err, errsz);
  v->scratch = malloc(sim_stateSize(m) * sizeof(double));
  if (!v->world || !v->scratch) {
    if (v->world) {
      tb_setErr(err, errsz, "viewer: out of memory");
    }
    sim_freeViewer(v);
    return NULL;
  }
  if (vw_glfwAcquire(err, errsz) != 0) {
    sim_freeViewer(v);
    return NULL;
  }
  glfwDefaultWindowHints();
  glfwWindowHint(GLFW_SAMPLES, 4);
  v->win = glfwCreateWindow(width, height, title ? title : "tracebot", NULL, NULL);
  if (!v->win) {
    tb_setErr(err, errsz, "viewer: cannot open a window: %s", vw_glfwLastError());
    vw_glfwRelease();
    sim_freeViewer(v);
    return NULL;
  }
  glfwMakeContextCurrent(v->win);
  glfwSwapInterval(0); /* we pace ourselves; vsync would slow a live caller */
  mjv_defaultScene(&v->scn);
  mjv_makeScene(m, &v->scn, 4000);
  mjv_defaultOption(&v->opt);
  mjr_defaultContext(&v->con);
  mjr_makeContext(m, &v->con, mjFONTSCALE_150);
  sim_defaultCamera(m, &v->cam);
  glfwSetWindowUserPointer(v->win, v);
  glfwSetKeyCallback(v->win, onKey);
  glfwSetMouseButtonCallback(v->win, onButton);
  glfwSetCursorPosCallback(v->win, onMove);
  glfwSetScrollCallback(v->win, onScroll);
  return v;
}

void sim_freeViewer(simViewer *v) {
  if (!v) {
    return;
  }
  closeWindow(v);
  sim_free(v->world);
  free(v->scratch);
  free(v);
}

int sim_viewerIsOpen(const simViewer *v) {
  return v && v->win != NULL;
}

void sim_viewerClose(simViewer *v) {
  if (v) {
    closeWindow(v);
  }
}

/* Processes events; closes the window if the person asked. Returns 1 while open. */
static int pump(simViewer *v, double wait) {
  if (!v->win) {
    return 0;
  }
  if (wait > 0) {
    glfwWaitEventsTimeout(wait);
  } else {
    glfwPollEvents();
  }
  if (glfwWindowShouldClose(v->win)) {
    closeWindow(v);
    return 0;
  }
  return 1;
}

/* Draws the world's current data and the overlay into the window. */
static void draw(simViewer *v, const char *overlay) {
  glfwMakeContextCurrent(v->win);
  mjrRect viewport = {0, 0, 0, 0};
  glfwGetFramebufferSize(v->win, &viewport.width, &viewport.height);
  mjv_updateScene(v->m, sim_data(v->world), &v->opt, NULL, &v->cam, mjCAT_ALL, &v->scn);
  mjr_setBuffer(mjFB_WINDOW, &v->con);
  mjr_render(viewport, &v->scn, &v->con);
  if (overlay && *overlay) {
    mjr_overlay(mjFONT_NORMAL, mjGRID_TOPLEFT, viewport, overlay, NULL, &v->con);
  }
  char help[160];
  snprintf(help, sizeof(help),
           "%s  speed x%g\nspace play/pause  arrows step  up/down speed  drag/scroll camera",
           v->playing ? "playing" : "paused", v->speed);
  mjr_overlay(mjFONT_NORMAL, mjGRID_BOTTOMLEFT, viewport, help, NULL, &v->con);
  glfwSwapBuffers(v->win);
  v->lastDraw = glfwGetTime();
}

/* ---- replay ---- */

int sim_viewerReplay(simViewer *v, simEpisode *ep, int max_frames, char *err, size_t errsz) {
  if (!v || !ep || ep->nstates == 0) {
    tb_setErr(err, errsz, "viewer replay: NULL viewer or empty episode");
    return TB_EINVAL;
  }
  int k = 0;
  int rc = sim_episodeRestore(ep, k, v->world, err, errsz);
  if (rc != 0) {
    return rc;
  }
  v->playing = max_frames > 0;
  double t0 = sim_episodeState(ep, 0)[0];
  double playTime = 0; /* recorded time shown, from the first state */
  double wallPrev = glfwGetTime();
  int drawn = 0;
  int shown = -1;
  while (pump(v, drawn == 0 ? 0 : 1.0 / 60.0)) {
    double wall = glfwGetTime();
    /* keys: home, single steps, playing in recorded time */
    if (v->homeRequest) {
      v->homeRequest = 0;
      k = 0;
      playTime = 0;
    }
    if (v->stepRequest) {
      k += v->stepRequest;
      v->stepRequest = 0;
      k = k < 0 ? 0 : (k >= ep->nstates ? ep->nstates - 1 : k);
      playTime = sim_episodeState(ep, k)[0] - t0;
    } else if (v->playing) {
      playTime += (wall - wallPrev) * v->speed;
      while (k + 1 < ep->nstates && sim_episodeState(ep, k + 1)[0] - t0 <= playTime) {
        k++;
      }
      if (k + 1 >= ep->nstates) {
        v->playing = max_frames > 0; /* stop at the end (scripted runs keep going) */
      }
    }
    wallPrev = wall;
    if (k != shown) {
      rc = sim_episodeRestore(ep, k, v->world, err, errsz);
      if (rc != 0) {
        return rc;
      }
      sim_episodeOverlay(ep, k, v->overlay, sizeof(v->overlay));
      shown = k;
    }
    draw(v, v->overlay);
    drawn++;
    if (max_frames > 0 && drawn >= max_frames) {
      break;
    }
  }
  return 0;
}

/* ---- live ---- */

static void sleepFor(double s) {
  if (s <= 0) {
    return;
  }
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

int sim_viewerPush(simViewer *v, const double *state, size_t n, const char *overlay) {
  if (!v || !v->win) {
    return 0;
  }
  if (!state) {
    return TB_EINVAL;
  }
  if (!pump(v, 0)) {
    return 0;
  }
  if (!v->playing && v->haveLast) {
    /* paused: keep the window responsive, skip this state, never block */
    v->haveLast = 0;
  }
  /* pace to real time (times the speed) from the states' time stamps */
  double simTime = state[0];
  double wall = (1e-3 * tb_nowMs());
  if (v->playing && v->haveLast) {
    double due = v->lastWall + (simTime - v->lastSimTime) / v->speed;
    if (due > wall && due - wall < 1.0) {
      sleepFor(due - wall);
      wall = due;
    }
  }
  v->lastSimTime = simTime;
  v->lastWall = wall;
  v->haveLast = v->playing;
  if (!v->playing) {
    return 1;
  }
  int rc = vw_setState(v->world, state, n, v->scratch, NULL, 0);
  if (rc != 0) {
    return rc;
  }
  if (glfwGetTime() - v->lastDraw >= LIVE_DRAW_PERIOD) {
    snprintf(v->overlay, sizeof(v->overlay), "%s", overlay ? overlay : "");
    draw(v, v->overlay);
  }
  return 1;
}
