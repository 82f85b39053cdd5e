/* Tests of viewer/video.c and replay.c under a private Xvfb: a recorded
 * 10-step episode to MP4 (frame count checked with ffprobe), one frame to PNG, a
 * strip, and clear errors when ffmpeg is missing or fails; an output path that is not a
 * regular file is refused, never written. */
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
#include "tracebot/viewer.h"

static recorded rec;

/* A 10-macro-step pick-place episode (a controller that never succeeds) and a private Xvfb. */
static int setup(void **state) {
  (void)state;
  return record_openScene(&rec, record_wander, ENV_PICK_PLACE, 0, 10);
}

/* Runs ffprobe and returns the counted video frames (-1 on error); *rate gets r_frame_rate. */
static long probeFrames(const char *path, char *rate, size_t n) {
  char cmd[512];
  snprintf(cmd, sizeof(cmd),
           "ffprobe -v error -count_frames -select_streams v:0 "
           "-show_entries stream=nb_read_frames,r_frame_rate,width,height -of csv=p=0 '%s'",
           path);
  FILE *p = popen(cmd, "r");
  if (!p) {
    return -1;
  }
  char line[256] = "";
  char *got = fgets(line, sizeof(line), p);
  pclose(p);
  if (!got) {
    return -1;
  }
  /* "width,height,r_frame_rate,nb_read_frames" */
  int w = 0;
  int h = 0;
  char r[64] = "";
  long frames = -1;
  if (sscanf(line, "%d,%d,%63[^,],%ld", &w, &h, r, &frames) != 4) {
    return -1;
  }
  snprintf(rate, n, "%s", r);
  return frames;
}

/* The default replay options with frames of w x h pixels. */
static simReplayOptions sized(int w, int h) {
  simReplayOptions opts;
  sim_defaultReplayOptions(&opts);
  opts.width = w;
  opts.height = h;
  return opts;
}

static void video_should_have_the_frame_count_of_the_recording_at_the_chosen_rate(void **state) {
  (void)state;
  assert_int_equal(rec.ep->nsteps, 10);
  const char *path = "/tmp/tracebot-test-video.mp4";
  simReplayOptions opts = sized(320, 240);
  opts.fps = 25;
  int written = 0;
  char err[256] = "";
  if (sim_replayVideo(rec.m, rec.ep, path, &opts, &written, err, sizeof(err)) != 0) {
    fail_msg("%s", err);
  }
  int expected = sim_episodeFrameCount(rec.ep, 25);
  double duration =
      sim_episodeState(rec.ep, rec.ep->nstates - 1)[0] - sim_episodeState(rec.ep, 0)[0];
  assert_true(expected > 10);
  assert_int_equal(expected, (int)(duration * 25 + 1e-9) + 1);
  assert_int_equal(written, expected);
  char rate[64] = "";
  long frames = probeFrames(path, rate, sizeof(rate));
  assert_int_equal(frames, expected);
  assert_string_equal(rate, "25/1");
  unlink(path);
}

static void video_should_say_when_ffmpeg_is_missing(void **state) {
  (void)state;
  char *saved = strdup(getenv("PATH"));
  setenv("PATH", "/nonexistent-tracebot-bin", 1);
  char err[256] = "";
  simVideo *v = sim_openVideo("/tmp/tracebot-test-none.mp4", 64, 48, 30, err, sizeof(err));
  setenv("PATH", saved, 1);
  free(saved);
  assert_null(v);
  assert_non_null(strstr(err, "ffmpeg not found"));
}

static void video_should_report_a_failing_ffmpeg_with_its_message(void **state) {
  (void)state;
  /* an ffmpeg that reads a little, complains and fails */
  char bin[] = "/tmp/tracebot-test-ffmpeg.XXXXXX";
  assert_non_null(mkdtemp(bin));
  char tool[128];
  char out[128];
  snprintf(tool, sizeof tool, "%s/ffmpeg", bin);
  snprintf(out, sizeof out, "%s/out.mp4", bin);
  FILE *f = fopen(tool, "w");
  assert_non_null(f);
  fputs("#!/bin/sh\nhead -c 100 >/dev/null\necho 'encoder exploded' >&2\nexit 1\n", f);
  fclose(f);
  assert_int_equal(chmod(tool, 0755), 0);
  char *saved = strdup(getenv("PATH"));
  setenv("PATH", bin, 1);
  char err[256] = "";
  simVideo *v = sim_openVideo(out, 64, 48, 30, err, sizeof(err));
  setenv("PATH", saved, 1);
  free(saved);
  assert_non_null(v);
  unsigned char frame[64 * 48 * 3];
  memset(frame, 128, sizeof(frame));
  int rc = 0;
  for (int i = 0; i < 50 && rc == 0; i++) {
    rc = sim_videoFrame(v, frame, err, sizeof(err));
  }
  int crc = sim_closeVideo(v, rc == 0 ? err : NULL, rc == 0 ? sizeof(err) : 0);
  assert_true(rc == TB_ETOOL || crc == TB_ETOOL);
  assert_non_null(strstr(err, "ffmpeg"));
  assert_non_null(strstr(err, "encoder exploded"));
  assert_null(strchr(err, '\n'));
  /* nothing is left where the video would have gone */
  char tmp[160];
  snprintf(tmp, sizeof tmp, "%s.tmp", out);
  assert_int_not_equal(access(out, F_OK), 0);
  assert_int_not_equal(access(tmp, F_OK), 0);
  unlink(tool);
  rmdir(bin);
}

static void video_should_refuse_a_path_it_cannot_or_must_not_write(void **state) {
  (void)state;
  char err[256] = "";
  assert_null(sim_openVideo("/nonexistent-dir/out.mp4", 64, 48, 30, err, sizeof(err)));
  assert_non_null(strstr(err, "/nonexistent-dir/out.mp4.tmp"));
  /* a device, a FIFO, a link: never replaced, refused before ffmpeg starts */
  char dir[] = "/tmp/tracebot-test-video.XXXXXX";
  assert_non_null(mkdtemp(dir));
  char fifo[128];
  char link[128];
  snprintf(fifo, sizeof fifo, "%s/fifo.mp4", dir);
  snprintf(link, sizeof link, "%s/null.mp4", dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(symlink("/dev/null", link), 0);
  assert_null(sim_openVideo(fifo, 64, 48, 30, err, sizeof(err)));
  assert_non_null(strstr(err, "a FIFO; refusing to replace it"));
  assert_null(sim_openVideo(link, 64, 48, 30, err, sizeof(err)));
  assert_non_null(strstr(err, "a symbolic link; refusing to replace it"));
  assert_null(sim_openVideo("/dev/null", 64, 48, 30, err, sizeof(err)));
  assert_non_null(strstr(err, "a character device; refusing to replace it"));
  unlink(fifo);
  unlink(link);
  rmdir(dir);
}

static void video_should_refuse_odd_sizes(void **state) {
  (void)state;
  char err[256] = "";
  assert_null(sim_openVideo("/tmp/x.mp4", 65, 48, 30, err, sizeof(err)));
  assert_non_null(strstr(err, "even size"));
}

static void replay_png_should_write_the_chosen_frame(void **state) {
  (void)state;
  const char *path = "/tmp/tracebot-test-frame.png";
  simReplayOptions opts;
  sim_defaultReplayOptions(&opts);
  char err[256] = "";
  int k = rec.ep->nstates - 1;
  if (sim_replayPng(rec.m, rec.ep, k, path, &opts, err, sizeof(err)) != 0) {
    fail_msg("%s", err);
  }
  imgRgb frame = img_load(path);
  assert_non_null(frame.rgb);
  assert_int_equal(frame.w, 640);
  assert_int_equal(frame.h, 480);
  assert_true(img_stddev(frame.rgb, frame.w, frame.h) > 20);
  /* the overlay's white text is in the top-left corner */
  assert_true(img_countNear(frame.rgb, frame.w, frame.h, 0, 0, 320, 60, 255, 255, 255, 30) > 50);
  free(frame.rgb);
  assert_int_equal(sim_replayPng(rec.m, rec.ep, rec.ep->nstates, path, &opts, err, sizeof(err)),
                   TB_EINVAL);
  assert_non_null(strstr(err, "not in"));
}

static void replay_strip_should_render_evenly_spaced_png_frames(void **state) {
  (void)state;
  simReplayOptions opts = sized(160, 120);
  simPng frames[5];
  int n = 0;
  char err[256] = "";
  assert_int_equal(sim_replayStrip(rec.m, rec.ep, 5, &opts, frames, &n, err, sizeof(err)), 0);
  assert_int_equal(n, 5);
  for (int i = 0; i < n; i++) {
    imgRgb frame = img_decode(frames[i].data, frames[i].len);
    assert_non_null(frame.rgb);
    assert_int_equal(frame.w, 160);
    free(frame.rgb);
    free(frames[i].data);
  }
}

static void overlay_text_should_name_step_reward_success_action_and_hint(void **state) {
  (void)state;
  char text[1200];
  const simEpisodeStep *s = &rec.ep->steps[2];
  sim_episodeOverlay(rec.ep, s->state, text, sizeof(text));
  assert_non_null(strstr(text, "pick-place"));
  assert_non_null(strstr(text, "macro-step 3/10"));
  assert_non_null(strstr(text, "reward"));
  assert_non_null(strstr(text, "success"));
  assert_non_null(strstr(text, "action ["));
  if (s->hint[0]) {
    assert_non_null(strstr(text, "hint:"));
  }
  sim_episodeOverlay(rec.ep, -1, text, sizeof(text));
  assert_string_equal(text, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(video_should_have_the_frame_count_of_the_recording_at_the_chosen_rate),
      cmocka_unit_test(video_should_say_when_ffmpeg_is_missing),
      cmocka_unit_test(video_should_report_a_failing_ffmpeg_with_its_message),
      cmocka_unit_test(video_should_refuse_a_path_it_cannot_or_must_not_write),
      cmocka_unit_test(video_should_refuse_odd_sizes),
      cmocka_unit_test(replay_png_should_write_the_chosen_frame),
      cmocka_unit_test(replay_strip_should_render_evenly_spaced_png_frames),
      cmocka_unit_test(overlay_text_should_name_step_reward_success_action_and_hint),
  };
  return cmocka_run_group_tests(tests, setup, record_closeScene);
}
