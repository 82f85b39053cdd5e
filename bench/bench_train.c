/* The optimizer's own time per training iteration: a short pool-protocol training run
 * (10 training starts) with an LLM that answers at once, and the median of the
 * optimizer_overhead_ms it logged. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base.h"
#include "runlog.h"
#include "tracebot/bench.h"
#include "tracebot/train.h"

static int compareDoubles(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The optimizer overhead of each iteration of the run. */
typedef struct overheads {
  double ms[100];
  int n;
} overheads;

static int takeOverhead(void *user, const agIteration *it, char *err, size_t errsz) {
  overheads *o = user;
  (void)err;
  (void)errsz;
  if (o->n < (int)(sizeof o->ms / sizeof o->ms[0])) {
    o->ms[o->n++] = it->optimizer_overhead_ms;
  }
  return TB_OK;
}

/* Removes a bench run directory (its files are ours: names known). */
static void removeRun(const char *dir, int iters) {
  static const char *const files[] = {AG_RUN_CONFIG, AG_RUN_ITERATIONS, AG_RUN_FINAL,
                                      AG_RUN_BEST,   AG_RUN_SUMMARY,    "reply.txt"};
  char p[PATH_MAX + 64];
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, files[i]);
    unlink(p);
  }
  for (int it = 1; it <= iters; it++) {
    snprintf(p, sizeof p, "%s/" AG_RUN_EPISODES "/iter_%03d.json", dir, it);
    unlink(p);
  }
  snprintf(p, sizeof p, "%s/" AG_RUN_EPISODES, dir);
  rmdir(p);
  rmdir(dir);
}

int ag_benchTrainOverhead(int iters, double *median_ms, char *err, size_t errsz) {
  char dir[] = "/tmp/tracebot-bench-XXXXXX";
  if (iters < 1 || iters > 100 || mkdtemp(dir) == NULL) {
    tb_setErr(err, errsz, "bench: cannot make a scratch run directory in /tmp");
    return TB_EIO;
  }
  /* An LLM that always answers a controller which creeps toward the goal and succeeds on
   * no training start, so that every iteration shows a failing start and asks */
  char reply[PATH_MAX + 64];
  snprintf(reply, sizeof reply, "%s/reply.txt", dir);
  static const char kReply[] =
      "{\"reasoning\": \"move to the goal\", \"suggestion\": {\"controller0\": "
      "\"void controller(const obs_t *obs, double action[4]) {\\n  for (int i = 0; i < 3; "
      "i++) action[i] = 0.01 * (obs->goal_pos[i] - obs->hand_pos[i]);\\n  action[3] = "
      "0.0;\\n}\\n\"}}";
  if (tb_writeFileAtomic(reply, kReply, sizeof kReply - 1, err, errsz) != TB_OK) {
    rmdir(dir);
    return TB_EIO;
  }
  char llm[PATH_MAX + 96];
  snprintf(llm, sizeof llm, "exec:cat '%s'", reply);
  char out[PATH_MAX + 16];
  snprintf(out, sizeof out, "%s/run", dir);

  agTrainConfig cfg;
  ag_defaultTrain(&cfg);
  cfg.llm = llm;
  cfg.out_dir = out;
  cfg.iters = iters;
  cfg.protocol = AG_PROTOCOL_POOL;
  cfg.train_starts = AG_POOL_STARTS;
  cfg.patience = 0; /* the same answer again is a step like any other here */
  cfg.test_begin = AG_POOL_TEST_BEGIN;
  cfg.test_end = AG_POOL_TEST_BEGIN + 2;
  int rc = ag_train(&cfg, NULL, NULL, NULL, err, errsz);

  /* The median of the per-iteration figure the run logged */
  overheads ms = {{0}, 0};
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/%s", out, AG_RUN_ITERATIONS);
  if (rc == TB_OK) {
    rc = ag_iterationsRead(path, takeOverhead, &ms, NULL, err, errsz);
  }
  removeRun(out, iters);
  unlink(reply);
  rmdir(dir);
  if (rc != TB_OK) {
    return rc;
  }
  if (ms.n == 0) {
    tb_setErr(err, errsz, "bench: the training run logged no optimizer overhead");
    return TB_EIO;
  }
  qsort(ms.ms, (size_t)ms.n, sizeof ms.ms[0], compareDoubles);
  *median_ms = ms.ms[ms.n / 2];
  return TB_OK;
}
