/* The pool of training starts of the pool protocol (private to train/): its seeds, the
 * results of one controller on them (evaluated in parallel sandboxes, cached while the
 * controller stays the same), its growth by fresh starts, and the choice of the start
 * whose trace the LLM sees. */
#ifndef TRACEBOT_TRAIN_POOL_H
#define TRACEBOT_TRAIN_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "tracebot/agent.h"

typedef struct agPool {
  uint64_t first;              /* the first training start */
  int initial;                 /* the starts first .. first + initial - 1 */
  uint64_t skipBegin, skipEnd; /* fresh starts skip this range (the test starts) */
  int n, cap;                  /* starts in the pool */
  uint64_t *seeds;             /* seeds[0 .. n) */
  agEvalEpisode *results;      /* source's results on seeds[0 .. evaluated) */
  int evaluated;
  char *source; /* the controller results are for; NULL before any */
} agPool;

/* Makes the pool of the starts first .. first + starts - 1 (growing later past the test
 * range [skipBegin, skipEnd)). Errors: TB_EINVAL (starts < 1), TB_ENOMEM. */
int ag_poolInit(agPool *p, uint64_t first, int starts, uint64_t skipBegin, uint64_t skipEnd,
                char *err, size_t errsz);

/* Grows the pool to n starts (never shrinks): the next seeds after the last one, skipping
 * the test range. Errors: TB_EINVAL (n over 1000000), TB_ENOMEM. */
int ag_poolGrow(agPool *p, int n, char *err, size_t errsz);

/* Makes results hold src's episodes on every start, running only those not yet run for
 * src (ag_eval over each run of consecutive seeds, jobs at a time; cfg->seed is ignored).
 * Errors: as ag_eval, TB_ENOMEM. */
int ag_poolEvaluate(agPool *p, const envSpec *spec, const agRolloutConfig *cfg, const char *src,
                    int jobs, char *err, size_t errsz);

/* How many starts src succeeded on (after ag_poolEvaluate). */
int ag_poolSuccesses(const agPool *p);

/* The failing starts as indices into seeds, in the order to show them: lowest return
 * first (then lowest seed), the start shown last time (lastShown; nullable) at the end.
 * Returns how many (0: none fails). Ownership: caller frees *order. Errors: -1 (memory). */
int ag_poolFailing(const agPool *p, const uint64_t *lastShown, int **order);

/* The index of the start with the lowest return (ties: lowest seed). */
int ag_poolWorst(const agPool *p);

/* Releases the pool. Safe on a zeroed pool. */
void ag_poolClose(agPool *p);

#endif /* TRACEBOT_TRAIN_POOL_H */
