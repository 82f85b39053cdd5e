/* render.c: offscreen rendering through a hidden GLFW window, and the render benchmark. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <GLFW/glfw3.h>

#include "base.h"
#include "viewer_internal.h"

struct simRenderer {
  GLFWwindow *win;
  const mjModel *m;
  int width, height;
  mjvScene scn;
  mjvCamera cam;
  mjvOption opt;
  mjrContext con;
  unsigned char *raw; /* width * height * 3, bottom row first (OpenGL order) */
  int rendered;       /* scn.camera holds the camera of a rendered frame */
};

/* ---- GLFW lifetime, shared by the renderer and the window ---- */

/* GLFW is initialized on first use and stays initialized (the X connection and
 * the OpenGL driver stay loaded) until sim_viewerTerminate: re-initializing per
 * renderer would reload the driver every time. */
static int glfwReady;
static int glfwUsers;
static char glfwMessage[256];

static void onGlfwError(int code, const char *desc) {
  snprintf(glfwMessage, sizeof(glfwMessage), "%s (GLFW error 0x%x)", desc ? desc : "?", code);
}

const char *vw_glfwLastError(void) {
  return glfwMessage;
}

int vw_glfwAcquire(char *err, size_t errsz) {
  if (glfwReady) {
    glfwUsers++;
    return 0;
  }
  const char *display = getenv("DISPLAY");
  if (!display || !*display) {
    tb_setErr(err, errsz, "no display: set DISPLAY or run under xvfb-run");
    return TB_ENODISPLAY;
  }
  glfwMessage[0] = '\0';
  glfwSetErrorCallback(onGlfwError);
  if (!glfwInit()) {
    tb_setErr(err, errsz, "no display: set DISPLAY or run under xvfb-run (DISPLAY=%s: %s)", display,
              glfwMessage);
    return TB_ENODISPLAY;
  }
  glfwReady = 1;
  glfwUsers = 1;
  return 0;
}

void vw_glfwRelease(void) {
  if (glfwUsers > 0) {
    glfwUsers--;
  }
}

int sim_viewerTerminate(void) {
  if (glfwUsers > 0) {
    return TB_EINVAL;
  }
  if (glfwReady) {
    glfwTerminate();
    glfwReady = 0;
  }
  return 0;
}

int vw_setState(simWorld *w, const double *state, size_t n, double *scratch, char *err,
                size_t errsz) {
  const mjModel *m = sim_model(w);
  size_t full = sim_stateSize(m);
  simEpisodeSizes sizes = {m->nq, m->nv, m->na, m->nmocap, m->nu};
  int row = sim_episodeRowSize(&sizes);
  if (n == full) {
    return sim_setState(w, state, n, err, errsz);
  }
  if (row < 0 || n != (size_t)row) {
    tb_setErr(err, errsz, "state has %zu doubles, expected %zu (full) or %d (episode row)", n, full,
              row);
    return TB_EINVAL;
  }
  sim_getState(w, scratch);
  memcpy(scratch, state, n * sizeof(double));
  return sim_setState(w, scratch, full, err, errsz);
}

/* ---- camera ---- */

void sim_defaultCamera(const mjModel *m, mjvCamera *cam) {
  mjv_defaultFreeCamera(m, cam);
  cam->type = mjCAMERA_FREE;
  cam->lookat[0] = 0.0;
  cam->lookat[1] = 0.68;
  cam->lookat[2] = 0.1;
  cam->distance = 1.35;
  cam->azimuth = -120.0;
  cam->elevation = -28.0;

  /* a model may ask for another view: a custom numeric "view_camera" of six numbers,
   * lookat x y z, distance, azimuth, elevation (a task whose objects face the robot) */
  int id = mj_name2id(m, mjOBJ_NUMERIC, "view_camera");
  if (id >= 0 && m->numeric_size[id] == 6) {
    const mjtNum *v = m->numeric_data + m->numeric_adr[id];
    cam->lookat[0] = v[0];
    cam->lookat[1] = v[1];
    cam->lookat[2] = v[2];
    cam->distance = v[3];
    cam->azimuth = v[4];
    cam->elevation = v[5];
  }
}

/* ---- renderer ---- */

simRenderer *sim_makeRenderer(const mjModel *m, int width, int height, char *err, size_t errsz) {
  if (!m || width < 1 || height < 1 || width > 8192 || height > 8192) {
    tb_setErr(err, errsz, "renderer: bad model or size %dx%d", width, height);
    return NULL;
  }
  sim_installHandlers();
  if (vw_glfwAcquire(err, errsz) != 0) {
    return NULL;
  }
  simRenderer *r = calloc(1, sizeof(*r));
  if (r) {
    r->raw = malloc((size_t)width * (size_t)height * 3);
  }
  if (!r || !r->raw) {
    free(r);
    vw_glfwRelease();
    tb_setErr(err, errsz, "renderer: out of memory");
    return NULL;
  }
  r->m = m;
  r->width = width;
  r->height = height;
  /* a hidden window only for its OpenGL context; we draw into MuJoCo's offscreen buffer */
  glfwDefaultWindowHints();
  glfwWindowHint(GLFW_VISIBLE, GLFW_FALSE);
  glfwWindowHint(GLFW_DOUBLEBUFFER, GLFW_FALSE);
  r->win = glfwCreateWindow(64, 64, "tracebot offscreen", NULL, NULL);
  if (!r->win) {
    tb_setErr(err, errsz, "renderer: no OpenGL context: %s", vw_glfwLastError());
    free(r->raw);
    free(r);
    vw_glfwRelease();
    return NULL;
  }
  glfwMakeContextCurrent(r->win);
  /* the offscreen buffer's size comes from the model: use a copy that asks for ours */
  mjModel *mc = mj_copyModel(NULL, m);
  if (!mc) {
    tb_setErr(err, errsz, "renderer: out of memory copying the model");
    sim_freeRenderer(r);
    return NULL;
  }
  if (mc->vis.global.offwidth < width) {
    mc->vis.global.offwidth = width;
  }
  if (mc->vis.global.offheight < height) {
    mc->vis.global.offheight = height;
  }
  mjv_defaultScene(&r->scn);
  mjv_makeScene(m, &r->scn, 4000);
  mjv_defaultOption(&r->opt);
  mjr_defaultContext(&r->con);
  /* overlay text: smaller on small frames so it does not cover the scene */
  mjr_makeContext(mc, &r->con, height >= 600 ? mjFONTSCALE_150 : mjFONTSCALE_100);
  mj_deleteModel(mc);
  sim_defaultCamera(m, &r->cam);
  mjr_setBuffer(mjFB_OFFSCREEN, &r->con);
  if (r->con.currentBuffer != mjFB_OFFSCREEN || r->con.offWidth < width ||
      r->con.offHeight < height) {
    tb_setErr(err, errsz, "renderer: no %dx%d offscreen buffer (got %dx%d)", width, height,
              r->con.offWidth, r->con.offHeight);
    sim_freeRenderer(r);
    return NULL;
  }
  return r;
}

void sim_freeRenderer(simRenderer *r) {
  if (!r) {
    return;
  }
  if (r->win) {
    glfwMakeContextCurrent(r->win);
    mjr_freeContext(&r->con);
    mjv_freeScene(&r->scn);
    glfwMakeContextCurrent(NULL);
    glfwDestroyWindow(r->win);
    vw_glfwRelease();
  }
  free(r->raw);
  free(r);
}

mjvCamera *sim_rendererCamera(simRenderer *r) {
  return r ? &r->cam : NULL;
}

int sim_renderFrame(simRenderer *r, const mjData *d, const char *overlay, unsigned char *rgb,
                    char *err, size_t errsz) {
  if (!r || !d || !rgb) {
    tb_setErr(err, errsz, "render: NULL argument");
    return TB_EINVAL;
  }
  glfwMakeContextCurrent(r->win);
  /* mjv_updateScene does not change the data; its prototype is not const */
  mjv_updateScene(r->m, (mjData *)d, &r->opt, NULL, &r->cam, mjCAT_ALL, &r->scn);
  mjrRect viewport = {0, 0, r->width, r->height};
  mjr_setBuffer(mjFB_OFFSCREEN, &r->con);
  mjr_render(viewport, &r->scn, &r->con);
  if (overlay && *overlay) {
    mjr_overlay(mjFONT_NORMAL, mjGRID_TOPLEFT, viewport, overlay, NULL, &r->con);
  }
  mjr_readPixels(r->raw, NULL, viewport, &r->con);
  r->rendered = 1;
  /* OpenGL's rows run bottom-up; images run top-down */
  size_t stride = (size_t)r->width * 3;
  for (int y = 0; y < r->height; y++) {
    memcpy(rgb + (size_t)y * stride, r->raw + (size_t)(r->height - 1 - y) * stride, stride);
  }
  return 0;
}

int sim_rendererProject(const simRenderer *r, const double world[3], double *px, double *py) {
  if (!r || !r->rendered || !world || !px || !py) {
    return -1;
  }
  const mjvGLCamera *c = &r->scn.camera[0];
  double f[3] = {c->forward[0], c->forward[1], c->forward[2]};
  double u[3] = {c->up[0], c->up[1], c->up[2]};
  /* right = forward x up */
  double s[3] = {f[1] * u[2] - f[2] * u[1], f[2] * u[0] - f[0] * u[2], f[0] * u[1] - f[1] * u[0]};
  double v[3] = {world[0] - c->pos[0], world[1] - c->pos[1], world[2] - c->pos[2]};
  double z = v[0] * f[0] + v[1] * f[1] + v[2] * f[2];
  if (z <= 1e-9) {
    return -1;
  }
  double x = (v[0] * s[0] + v[1] * s[1] + v[2] * s[2]) * c->frustum_near / z;
  double y = (v[0] * u[0] + v[1] * u[1] + v[2] * u[2]) * c->frustum_near / z;
  double halfh = 0.5 * (c->frustum_top - c->frustum_bottom);
  double halfw = halfh * (double)r->width / (double)r->height;
  double left = c->frustum_center - halfw;
  *px = (x - left) / (2 * halfw) * r->width;
  *py = (c->frustum_top - y) / (c->frustum_top - c->frustum_bottom) * r->height;
  return 0;
}

/* ---- benchmark ---- */

int sim_benchRenderFps(const mjModel *m, int width, int height, int nframes, double *fps, char *err,
                       size_t errsz) {
  if (!m || !fps || nframes < 1) {
    tb_setErr(err, errsz, "render bench: bad argument");
    return TB_EINVAL;
  }
  simWorld *w = sim_make(m, err, errsz);
  if (!w) {
    return TB_EINVAL;
  }
  simRenderer *r = sim_makeRenderer(m, width, height, err, errsz);
  unsigned char *rgb = malloc((size_t)width * (size_t)height * 3);
  int rc = (r && rgb) ? 0 : (r ? TB_ENOMEM : TB_EGL);
  if (r && !rgb) {
    tb_setErr(err, errsz, "render bench: out of memory");
  }
  /* warm up (shader compilation, first buffer allocations), then time */
  for (int i = 0; i < 3 && rc == 0; i++) {
    rc = sim_renderFrame(r, sim_data(w), NULL, rgb, err, errsz);
  }
  double t0 = (1e-3 * tb_nowMs());
  for (int i = 0; i < nframes && rc == 0; i++) {
    rc = sim_renderFrame(r, sim_data(w), NULL, rgb, err, errsz);
  }
  double dt = (1e-3 * tb_nowMs()) - t0;
  if (rc == 0) {
    *fps = dt > 0 ? nframes / dt : 0;
  }
  free(rgb);
  sim_freeRenderer(r);
  sim_free(w);
  return rc;
}
