/* Tests of viewer/render.c and png.c under a private Xvfb: offscreen frames,
 * the gripper where the camera says it is, PNG encoding, the render benchmark. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tracebot/envs.h"
#include "imgutil.h"
#include "tracebot/viewer.h"
#include "xvfb.h"

#define W 640
#define H 480

/* A pick-place task reset with seed 0 (the gripper above the table, the puck on it). */
typedef struct scene {
  envSpec *spec;
  envTask *task;
  const mjModel *m;
} scene;

static int sceneSetup(void **state) {
  static scene s;
  char err[256];
  s.spec = env_makeSpec(ENV_PICK_PLACE, err, sizeof(err));
  s.task = s.spec ? env_make(s.spec, err, sizeof(err)) : NULL;
  if (!s.task) {
    return -1;
  }
  envConfig cfg;
  env_defaultConfig(&cfg);
  obs_t obs;
  if (env_reset(s.task, 0, &cfg, &obs, err, sizeof(err)) != 0) {
    return -1;
  }
  s.m = sim_model(env_world(s.task));
  if (xvfb_start() != 0) {
    fprintf(stderr, "cannot start Xvfb (install xvfb)\n");
    return -1;
  }
  *state = &s;
  return 0;
}

static int sceneTeardown(void **state) {
  scene *s = *state;
  env_free(s->task);
  env_freeSpec(s->spec);
  xvfb_stop();
  return 0;
}

static void renderer_should_explain_a_missing_display(void **state) {
  scene *s = *state;
  char *saved = strdup(getenv("DISPLAY"));
  unsetenv("DISPLAY");
  char err[256] = "";
  simRenderer *r = sim_makeRenderer(s->m, W, H, err, sizeof(err));
  setenv("DISPLAY", saved, 1);
  free(saved);
  assert_null(r);
  assert_string_equal(err, "no display: set DISPLAY or run under xvfb-run");
}

static void rendered_frame_should_not_be_blank_and_show_the_gripper(void **state) {
  scene *s = *state;
  char err[256] = "";
  simRenderer *r = sim_makeRenderer(s->m, W, H, err, sizeof(err));
  if (!r) {
    fail_msg("%s", err);
  }
  unsigned char *rgb = malloc(W * H * 3);
  simWorld *w = env_world(s->task);
  assert_int_equal(sim_renderFrame(r, sim_data(w), NULL, rgb, err, sizeof(err)), 0);
  sim_writePng("/tmp/tracebot-test-render.png", rgb, W, H, NULL, 0);
  /* not blank: the pixel values spread */
  double sd = img_stddev(rgb, W, H);
  assert_true(sd > 20.0);
  /* the gripper's orange around the projected palm, and not everywhere */
  int palm = mj_name2id(s->m, mjOBJ_GEOM, "palm");
  assert_true(palm >= 0);
  double px = 0;
  double py = 0;
  assert_int_equal(sim_rendererProject(r, sim_data(w)->geom_xpos + 3 * palm, &px, &py), 0);
  assert_true(px > 0 && px < W && py > 0 && py < H);
  int near = img_countOrange(rgb, W, H, (int)px - 30, (int)py - 30, (int)px + 30, (int)py + 30);
  int all = img_countOrange(rgb, W, H, 0, 0, W, H);
  if (near < 40) {
    fail_msg("only %d orange pixels near the palm at (%.0f, %.0f)", near, px, py);
  }
  assert_true(near * 2 > all); /* most of the orange is at the gripper */
  /* the puck's red is visible too */
  int puck = mj_name2id(s->m, mjOBJ_GEOM, "puck");
  assert_int_equal(sim_rendererProject(r, sim_data(w)->geom_xpos + 3 * puck, &px, &py), 0);
  int red = 0;
  for (int y = (int)py - 12; y < (int)py + 12; y++) {
    for (int x = (int)px - 12; x < (int)px + 12; x++) {
      const unsigned char *p = rgb + ((size_t)y * W + (size_t)x) * 3;
      red += x >= 0 && x < W && y >= 0 && y < H && p[0] > 100 && p[1] * 2 < p[0] && p[2] * 2 < p[0];
    }
  }
  assert_true(red > 30);
  free(rgb);
  sim_freeRenderer(r);
}

static void overlay_should_change_the_top_left_corner_only(void **state) {
  scene *s = *state;
  simRenderer *r = sim_makeRenderer(s->m, W, H, NULL, 0);
  assert_non_null(r);
  unsigned char *a = malloc(W * H * 3);
  unsigned char *b = malloc(W * H * 3);
  const mjData *d = sim_data(env_world(s->task));
  assert_int_equal(sim_renderFrame(r, d, NULL, a, NULL, 0), 0);
  assert_int_equal(sim_renderFrame(r, d, "macro-step 3/10\nreward 2.5", b, NULL, 0), 0);
  int cornerDiff = 0;
  int restDiff = 0;
  for (int y = 0; y < H; y++) {
    for (int x = 0; x < W; x++) {
      size_t i = ((size_t)y * W + (size_t)x) * 3;
      int diff = memcmp(a + i, b + i, 3) != 0;
      if (x < W / 2 && y < H / 4) {
        cornerDiff += diff;
      } else {
        restDiff += diff;
      }
    }
  }
  assert_true(cornerDiff > 100);
  assert_int_equal(restDiff, 0);
  free(a);
  free(b);
  sim_freeRenderer(r);
}

static void png_should_round_trip_the_pixels(void **state) {
  (void)state;
  enum { PW = 37, PH = 21 };
  unsigned char rgb[PW * PH * 3];
  for (int i = 0; i < PW * PH * 3; i++) {
    rgb[i] = (unsigned char)(i * 7 + i / 5);
  }
  simPng png;
  assert_int_equal(sim_encodePng(rgb, PW, PH, &png, NULL, 0), 0);
  assert_memory_equal(png.data, "\x89PNG\r\n\x1a\n", 8);
  imgRgb back = img_decode(png.data, png.len);
  assert_non_null(back.rgb);
  assert_int_equal(back.w, PW);
  assert_int_equal(back.h, PH);
  assert_memory_equal(back.rgb, rgb, sizeof(rgb));
  free(back.rgb);
  free(png.data);
  /* to a file */
  const char *path = "/tmp/tracebot-test-roundtrip.png";
  assert_int_equal(sim_writePng(path, rgb, PW, PH, NULL, 0), 0);
  back = img_load(path);
  assert_non_null(back.rgb);
  assert_memory_equal(back.rgb, rgb, sizeof(rgb));
  free(back.rgb);
  unlink(path);
  char err[256] = "";
  assert_int_equal(sim_writePng("/nonexistent-dir/x.png", rgb, PW, PH, err, sizeof(err)), TB_EIO);
  assert_non_null(strstr(err, "/nonexistent-dir/x.png"));
}

/* A task's model may ask for another default view (a custom numeric "view_camera"). */
static void default_camera_should_follow_a_models_view_camera(void **state) {
  scene *s = *state;
  mjvCamera cam;
  sim_defaultCamera(s->m, &cam); /* pick-place: the shared default */
  assert_true(cam.type == mjCAMERA_FREE && cam.azimuth == -120.0 && cam.distance == 1.35);
  int door = env_lookup("door-open");
  assert_true(door >= 0);
  envSpec *spec = env_makeSpec((envTaskId)door, NULL, 0);
  assert_non_null(spec);
  envTask *task = env_make(spec, NULL, 0);
  assert_non_null(task);
  const mjModel *m = sim_model(env_world(task));
  int id = mj_name2id(m, mjOBJ_NUMERIC, "view_camera");
  assert_true(id >= 0);
  sim_defaultCamera(m, &cam);
  const mjtNum *v = m->numeric_data + m->numeric_adr[id];
  assert_true(cam.type == mjCAMERA_FREE);
  assert_true(cam.lookat[0] == v[0] && cam.lookat[1] == v[1] && cam.lookat[2] == v[2]);
  assert_true(cam.distance == v[3] && cam.azimuth == v[4] && cam.elevation == v[5]);
  env_free(task);
  env_freeSpec(spec);
}

static void render_bench_should_report_frames_per_second(void **state) {
  scene *s = *state;
  double fps = 0;
  char err[256] = "";
  assert_int_equal(sim_benchRenderFps(s->m, 640, 480, 30, &fps, err, sizeof(err)), 0);
  assert_true(fps > 1.0);
  fprintf(stderr, "render_fps (640x480, pick-place, Xvfb + Mesa): %.1f\n", fps);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(renderer_should_explain_a_missing_display),
      cmocka_unit_test(rendered_frame_should_not_be_blank_and_show_the_gripper),
      cmocka_unit_test(overlay_should_change_the_top_left_corner_only),
      cmocka_unit_test(png_should_round_trip_the_pixels),
      cmocka_unit_test(default_camera_should_follow_a_models_view_camera),
      cmocka_unit_test(render_bench_should_report_frames_per_second),
  };
  return cmocka_run_group_tests(tests, sceneSetup, sceneTeardown);
}
