/* record.h: test helper that records a scripted-expert episode of a real task
 * (what tracebot run --record does, in a few lines). */
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

#endif /* TRACEBOT_TESTS_VIEW_RECORD_H */
