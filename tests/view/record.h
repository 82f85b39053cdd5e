/* record.h: test helper that records a scripted-expert episode of a real task
 * (what tracebot run --record does, in a few lines). */
#ifndef TRACEBOT_TESTS_VIEW_RECORD_H
#define TRACEBOT_TESTS_VIEW_RECORD_H

#include "envs.h"
#include "episode.h"

/* A task kept for its model (the one the episode was recorded on). */
typedef struct recorded {
  envSpec *spec;
  envTask *task;
  const mjModel *m;
  simEpisode *ep;
} recorded;

/* Records `horizon` macro-steps of the expert on task id with seed: state 0
 * right after reset, then one state per env step. Returns 0 or -1. */
int record_expert(envTaskId id, uint64_t seed, int horizon, recorded *out);

/* Frees what record_expert made. */
void record_free(recorded *r);

#endif /* TRACEBOT_TESTS_VIEW_RECORD_H */
