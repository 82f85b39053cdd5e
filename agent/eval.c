/* Evaluation over a seed range with worker threads; see ag_eval in agent.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"
#include "tracebot/agent.h"

typedef struct evalShared {
  pthread_mutex_t mu;
  const envSpec *spec;
  const agRolloutConfig *cfg;
  const char *src;
  size_t len;
  uint64_t begin;
  int n;
  int next;
  int done;
  agEvalEpisode *episodes;
  agProgressFn progress;
  void *user;
  int rc;
  char err[256];
} evalShared;

/* Records the first infrastructure error. Caller holds the lock. */
static void noteError(evalShared *sh, int rc, const char *msg) {
  if (sh->rc == TB_OK) {
    sh->rc = rc;
    snprintf(sh->err, sizeof sh->err, "%s", msg);
  }
}

static void *worker(void *arg) {
  evalShared *sh = arg;
  char err[256];
  agRunner *runner = ag_makeRunner(sh->spec, err, sizeof err);
  if (runner == NULL) {
    pthread_mutex_lock(&sh->mu);
    noteError(sh, TB_EENV, err);
    pthread_mutex_unlock(&sh->mu);
    return NULL;
  }
  for (;;) {
    /* Next seed, unless another worker failed */
    pthread_mutex_lock(&sh->mu);
    int i = sh->rc == TB_OK && sh->next < sh->n ? sh->next++ : -1;
    pthread_mutex_unlock(&sh->mu);
    if (i < 0) {
      break;
    }
    agRolloutConfig cfg = *sh->cfg;
    cfg.seed = sh->begin + (uint64_t)i;
    cfg.record_path = NULL; /* one file per seed would overwrite itself */
    cfg.watch = NULL;       /* workers are not the caller's thread */
    agEpisode ep;
    int rc = ag_rollout(runner, &cfg, sh->src, sh->len, &ep, err, sizeof err);
    agEvalEpisode *out = &sh->episodes[i];
    out->seed = cfg.seed;
    out->success = ep.success;
    out->ret = ep.ret;
    out->nsteps = ep.nsteps;
    out->fault = ep.fault;
    ag_episodeClose(&ep);

    /* Publish */
    pthread_mutex_lock(&sh->mu);
    if (rc != TB_OK) {
      noteError(sh, rc, err);
    } else {
      sh->done++;
      if (sh->progress != NULL) {
        sh->progress(sh->user, sh->done, sh->n, out);
      }
    }
    pthread_mutex_unlock(&sh->mu);
  }
  ag_freeRunner(runner);
  return NULL;
}

int ag_eval(const envSpec *spec, const agRolloutConfig *cfg, const char *src, size_t len,
            uint64_t seed_begin, uint64_t seed_end, int jobs, agProgressFn progress, void *user,
            agEvalEpisode *episodes, agEvalSummary *summary, char *err, size_t errsz) {
  if (cfg == NULL || src == NULL || summary == NULL || seed_end <= seed_begin ||
      seed_end - seed_begin > 1000000u || seed_end > SIM_SEED_MAX || jobs < 1 || jobs > 256) {
    tb_setErr(err, errsz,
              "ag_eval: bad arguments (empty seed range, a seed past 2^53 or jobs not in 1..256)");
    return TB_EINVAL;
  }
  double t0 = tb_nowMs();
  memset(summary, 0, sizeof *summary);
  summary->task = cfg->task;

  /* The shared spec: the caller's or ours */
  envSpec *own = NULL;
  if (spec == NULL) {
    own = env_makeSpec(cfg->task, err, errsz);
    if (own == NULL) {
      return TB_EENV;
    }
    spec = own;
  }
  int n = (int)(seed_end - seed_begin);
  agEvalEpisode *eps = episodes != NULL ? episodes : calloc((size_t)n, sizeof *eps);
  if (eps == NULL) {
    env_freeSpec(own);
    tb_setErr(err, errsz, "out of memory for %d episodes", n);
    return TB_ENOMEM;
  }
  memset(eps, 0, (size_t)n * sizeof *eps);
  evalShared sh = {.spec = spec,
                   .cfg = cfg,
                   .src = src,
                   .len = len,
                   .begin = seed_begin,
                   .n = n,
                   .episodes = eps,
                   .progress = progress,
                   .user = user,
                   .rc = TB_OK};
  pthread_mutex_init(&sh.mu, NULL);

  /* Workers */
  if (jobs > n) {
    jobs = n;
  }
  pthread_t threads[256];
  int started = 0;
  for (; started < jobs; started++) {
    if (pthread_create(&threads[started], NULL, worker, &sh) != 0) {
      break;
    }
  }
  if (started == 0) {
    worker(&sh);
  }
  for (int i = 0; i < started; i++) {
    pthread_join(threads[i], NULL);
  }
  pthread_mutex_destroy(&sh.mu);

  /* Totals */
  int rc = sh.rc;
  if (rc == TB_OK) {
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
      summary->successes += eps[i].success ? 1 : 0;
      sum += eps[i].ret;
      summary->faults[eps[i].fault.kind]++;
    }
    summary->episodes = n;
    summary->success_rate = (double)summary->successes / n;
    summary->mean_return = sum / n;
  } else {
    tb_setErr(err, errsz, "%s", sh.err);
  }
  summary->wall_s = (tb_nowMs() - t0) / 1e3;
  if (episodes == NULL) {
    free(eps);
  }
  env_freeSpec(own);
  return rc;
}
