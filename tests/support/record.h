/* record.h: test helper that records a scripted-expert episode of a real task
 * (what tracebot run --record does, in a few lines), alone or with a private Xvfb to draw
 * it on. */
#ifndef TRACEBOT_TESTS_VIEW_RECORD_H
#define TRACEBOT_TESTS_VIEW_RECORD_H

#include "tracebot/envs.h"
#include "tracebot/episode.h"

/* A task kept for its model (the one the episode was recorded on). */
typedef struct recorded {
  envSpec *spec;
  envTask *task;
  const mjModel *m;
  simEpisode *ep;
} recorded;

/* Records up to `horizon` macro-steps (fewer if the task succeeds) of the expert
 * on task id with seed: state 0 right after reset, then one state per env step.
 * Returns 0 or -1. */
int record_expert(envTaskId id, uint64_t seed, int horizon, recorded *out);

/* Same with a wandering controller (small hand circles, gripper toggling) that
 * never succeeds, so the episode has exactly `horizon` macro-steps. */
int record_wander(envTaskId id, uint64_t seed, int horizon, recorded *out);

/* Frees what record_expert made. */
void record_free(recorded *r);

/* record_expert or record_wander. */
typedef int (*recordFn)(envTaskId id, uint64_t seed, int horizon, recorded *out);

/* Group setup of a test executable that draws a recording: records an episode with record
 * into rec and starts a private Xvfb (DISPLAY names it). Returns 0, or -1 with nothing left
 * running. */
int record_openScene(recorded *rec, recordFn record, envTaskId id, uint64_t seed, int horizon);

/* Group teardown (cmocka_run_group_tests): frees the recording of record_openScene and stops
 * its Xvfb. Returns 0. */
int record_closeScene(void **state);

#endif /* TRACEBOT_TESTS_VIEW_RECORD_H */
