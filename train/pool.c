/* The pool of training starts (pool.h). */
#include "pool.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"

#define POOL_MAX 1000000

int ag_poolInit(agPool *p, uint64_t first, int starts, uint64_t skipBegin, uint64_t skipEnd,
                char *err, size_t errsz) {
  memset(p, 0, sizeof *p);
  if (starts < 1 || starts > POOL_MAX) {
    tb_setErr(err, errsz, "the pool needs 1 to %d training starts, not %d", POOL_MAX, starts);
    return TB_EINVAL;
  }
  p->first = first;
  p->initial = starts;
  p->skipBegin = skipBegin;
  p->skipEnd = skipEnd;
  return ag_poolGrow(p, starts, err, errsz);
}

int ag_poolGrow(agPool *p, int n, char *err, size_t errsz) {
  if (n > POOL_MAX) {
    tb_setErr(err, errsz, "the pool cannot grow past %d training starts", POOL_MAX);
    return TB_EINVAL;
  }
  if (n > p->cap) {
    int cap = n > 2 * p->cap ? n : 2 * p->cap;
    uint64_t *seeds = realloc(p->seeds, sizeof *seeds * (size_t)cap);
    if (seeds != NULL) {
      p->seeds = seeds;
    }
    agEvalEpisode *results =
        seeds != NULL ? realloc(p->results, sizeof *results * (size_t)cap) : NULL;
    if (results == NULL) {
      tb_setErr(err, errsz, "out of memory for %d training starts", n);
      return TB_ENOMEM;
    }
    p->results = results;
    p->cap = cap;
  }
  for (; p->n < n; p->n++) {
    uint64_t s = p->first + (uint64_t)p->n;
    if (p->n >= p->initial) {
      s = p->seeds[p->n - 1] + 1;
      if (s >= p->skipBegin && s < p->skipEnd) {
        s = p->skipEnd;
      }
    }
    p->seeds[p->n] = s;
  }
  return TB_OK;
}

int ag_poolEvaluate(agPool *p, const envSpec *spec, const agRolloutConfig *cfg, const char *src,
                    int jobs, char *err, size_t errsz) {
  if (p->source == NULL || strcmp(p->source, src) != 0) {
    char *copy = strdup(src);
    if (copy == NULL) {
      tb_setErr(err, errsz, "out of memory");
      return TB_ENOMEM;
    }
    free(p->source);
    p->source = copy;
    p->evaluated = 0;
  }
  /* each run of consecutive seeds not yet evaluated, as one ag_eval */
  while (p->evaluated < p->n) {
    int from = p->evaluated;
    int to = from + 1;
    while (to < p->n && p->seeds[to] == p->seeds[to - 1] + 1) {
      to++;
    }
    agEvalSummary sum;
    int rc =
        ag_eval(spec, cfg, src, strlen(src), p->seeds[from], p->seeds[from] + (uint64_t)(to - from),
                jobs, NULL, NULL, p->results + from, &sum, err, errsz);
    if (rc != TB_OK) {
      return rc;
    }
    p->evaluated = to;
  }
  return TB_OK;
}

int ag_poolSuccesses(const agPool *p) {
  int n = 0;
  for (int i = 0; i < p->evaluated; i++) {
    n += p->results[i].success != 0;
  }
  return n;
}

/* Whether start i should be shown before start j: lower return, then lower seed. */
static int worse(const agPool *p, int i, int j) {
  const agEvalEpisode *a = &p->results[i];
  const agEvalEpisode *b = &p->results[j];
  return a->ret < b->ret || (a->ret == b->ret && a->seed < b->seed);
}

int ag_poolWorst(const agPool *p) {
  int w = 0;
  for (int i = 1; i < p->evaluated; i++) {
    if (worse(p, i, w)) {
      w = i;
    }
  }
  return w;
}

int ag_poolFailing(const agPool *p, const uint64_t *lastShown, int **order) {
  *order = malloc(sizeof **order * (size_t)(p->evaluated > 0 ? p->evaluated : 1));
  if (*order == NULL) {
    return -1;
  }
  int n = 0;
  for (int i = 0; i < p->evaluated; i++) {
    if (p->results[i].success) {
      continue;
    }
    /* insertion in show order */
    int k = n++;
    for (; k > 0 && worse(p, i, (*order)[k - 1]); k--) {
      (*order)[k] = (*order)[k - 1];
    }
    (*order)[k] = i;
  }
  /* the start shown last time goes last, when another one fails */
  for (int k = 0; lastShown != NULL && n > 1 && k < n - 1; k++) {
    if (p->seeds[(*order)[k]] == *lastShown) {
      int last = (*order)[k];
      memmove(*order + k, *order + k + 1, sizeof **order * (size_t)(n - 1 - k));
      (*order)[n - 1] = last;
      break;
    }
  }
  return n;
}

void ag_poolClose(agPool *p) {
  free(p->seeds);
  free(p->results);
  free(p->source);
  memset(p, 0, sizeof *p);
}
