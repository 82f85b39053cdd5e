/* Tests of viewer/window.c under a private Xvfb: replaying a recording in a
 * window, live pushes, and that closing the window only disables the viewer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "record.h"
#include "tracebot/viewer.h"

static recorded rec;

/* Three macro-steps of the push expert and a private Xvfb. */
static int setup(void **state) {
  (void)state;
  return record_openScene(&rec, record_expert, ENV_PUSH, 2, 3);
}

static void viewer_should_explain_a_missing_display(void **state) {
  (void)state;
  char *saved = strdup(getenv("DISPLAY"));
  unsetenv("DISPLAY");
  char err[256] = "";
  simViewer *v = sim_makeViewer(rec.m, "t", 320, 240, err, sizeof(err));
  setenv("DISPLAY", saved, 1);
  free(saved);
  assert_null(v);
  assert_string_equal(err, "no display: set DISPLAY or run under xvfb-run");
}

static void viewer_replay_should_draw_the_recording_and_return(void **state) {
  (void)state;
  char err[256] = "";
  simViewer *v = sim_makeViewer(rec.m, "tracebot test", 320, 240, err, sizeof(err));
  if (!v) {
    fail_msg("%s", err);
  }
  assert_int_equal(sim_viewerIsOpen(v), 1);
  assert_int_equal(sim_viewerReplay(v, rec.ep, 8, err, sizeof(err)), 0);
  assert_int_equal(sim_viewerIsOpen(v), 1);
  sim_freeViewer(v);
}

static void viewer_push_should_take_states_until_the_window_is_closed(void **state) {
  (void)state;
  simViewer *v = sim_makeViewer(rec.m, "tracebot live", 320, 240, NULL, 0);
  assert_non_null(v);
  simWorld *w = env_world(rec.task);
  size_t full = sim_stateSize(rec.m);
  double *st = malloc(full * sizeof(double));
  sim_getState(w, st);
  /* a full sim state and an episode row are both accepted */
  assert_int_equal(sim_viewerPush(v, st, full, "live"), 1);
  for (int k = 0; k < 5; k++) {
    assert_int_equal(sim_viewerPush(v, sim_episodeState(rec.ep, k), (size_t)rec.ep->row, NULL), 1);
  }
  /* a bad state is refused and the viewer stays usable */
  assert_true(sim_viewerPush(v, st, 3, NULL) < 0);
  assert_int_equal(sim_viewerIsOpen(v), 1);
  /* once the window is closed, pushes are cheap no-ops that tell the caller */
  sim_viewerClose(v);
  assert_int_equal(sim_viewerIsOpen(v), 0);
  assert_int_equal(sim_viewerPush(v, st, full, NULL), 0);
  char err[128] = "";
  assert_int_equal(sim_viewerReplay(v, rec.ep, 3, err, sizeof(err)), 0);
  free(st);
  sim_freeViewer(v);
  sim_freeViewer(NULL);
}

static void renderer_and_viewer_should_live_side_by_side(void **state) {
  (void)state;
  simViewer *v = sim_makeViewer(rec.m, "a", 320, 240, NULL, 0);
  simRenderer *r = sim_makeRenderer(rec.m, 64, 48, NULL, 0);
  assert_non_null(v);
  assert_non_null(r);
  unsigned char rgb[64 * 48 * 3];
  assert_int_equal(sim_renderFrame(r, sim_data(env_world(rec.task)), NULL, rgb, NULL, 0), 0);
  assert_int_equal(sim_viewerPush(v, sim_episodeState(rec.ep, 0), (size_t)rec.ep->row, NULL), 1);
  sim_freeViewer(v);
  /* the renderer still works after the window's GLFW reference is gone */
  assert_int_equal(sim_renderFrame(r, sim_data(env_world(rec.task)), NULL, rgb, NULL, 0), 0);
  sim_freeRenderer(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(viewer_should_explain_a_missing_display),
      cmocka_unit_test(viewer_replay_should_draw_the_recording_and_return),
      cmocka_unit_test(viewer_push_should_take_states_until_the_window_is_closed),
      cmocka_unit_test(renderer_and_viewer_should_live_side_by_side),
  };
  return cmocka_run_group_tests(tests, setup, record_closeScene);
}
