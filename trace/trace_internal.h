/* Private: structures shared by the trace core's sources (not part of the public API). */
#ifndef TRACEBOT_TRACE_INTERNAL_H
#define TRACEBOT_TRACE_INTERNAL_H

#include <stdint.h>

#include "base.h"
#include "tracebot/trace.h"

/* Largest prompt or saved state we build (a bound on hostile or runaway values). */
#define TR_MAX_TEXT_BYTES ((size_t)64 << 20)

/* One block of the graph arena. */
typedef struct trChunk {
  struct trChunk *next;
  size_t size;
  size_t used;
} trChunk;

/* A distinct feedback text reaching a parameter (arena list, in arrival order). */
typedef struct trFeedback {
  struct trFeedback *next;
  const char *text;
} trFeedback;

struct trNode {
  int id;    /* index in the graph, a topological order */
  int level; /* 0 for roots, else 1 + the deepest input */
  trNodeKind kind;
  const char *name;
  const char *type;  /* label in "(type) name=value" */
  const char *value; /* text form (error text for exceptions); NULL for parameters */
  const char *op;    /* operator name (op and exception nodes) */
  const char *doc;   /* operator documentation, nullable */
  int nparents;
  trNode **parents;
  const char **argnames;
  trParam *param; /* parameter nodes only */
  int is_output;  /* a tr_backward output */
  uint64_t *sub;  /* parameter nodes: minimal subgraph bitset (ids), NULL before backward */
  int subwords;
  trFeedback *feedback; /* parameter nodes: distinct feedback texts */
};

/* Per-base name counter. */
typedef struct trCounter {
  const char *base;
  int next;
} trCounter;

struct trGraph {
  trChunk *chunks;
  trNode **nodes;
  int nnodes;
  int capnodes;
  trCounter *counters;
  int ncounters;
  int capcounters;
  int failed;
  char error[256];
};

struct trParam {
  trOptimizer *owner;
  char *name;
  char *base;
  trKind kind;
  char *constraint;
  double number;
  double *vec;
  int nvec;
  char *text;
};

struct trOptimizer {
  trOptimizerOptions opts; /* objective points at objective_copy */
  char *objective_copy;
  trParam **params;
  int nparams;
  int capparams;
  char **memory; /* FIFO of JSON lines, oldest first */
  int nmemory;
  int capmemory;
  int iteration;
};

/* graph.c: arena allocation and string copy (NULL stays NULL); both record an error in
 * the graph on failure. tr_graphFail records the first error only. */
const char *tr_graphStrdup(trGraph *g, const char *s);
void *tr_graphAlloc(trGraph *g, size_t n);
void tr_graphFail(trGraph *g, const char *fmt, ...) TB_PRINTF(2, 3);

/* param.c: a kind's name ("number", "vector", "text", "code"); a parameter's current
 * value appended as prompt text (no truncation); its value as a new cJSON item (NULL when
 * out of memory; the caller owns it). */
const char *tr_kindName(trKind k);
void tr_paramValueText(tbBuf *b, const trParam *p);
struct cJSON *tr_paramValueJson(const trParam *p);

/* select.c: the selection of one step, shared by OptoPrime and OPRO rendering and by the
 * memory lines. */
typedef struct trSelection {
  trNode **vars; /* parameter nodes of the optimizer that received feedback */
  int nvars;
  uint64_t *sub; /* union of their subgraphs */
  int words;
  tbBuf feedback; /* distinct feedback texts joined by newlines */
} trSelection;

/* Selects this optimizer's parameter nodes that backward reached. Errors: TB_EINVAL (NULL
 * argument, graph with an error), TB_ENOFEEDBACK, TB_ENOMEM; sel is then empty. */
int tr_selectStep(const trOptimizer *opt, const trGraph *g, trSelection *sel, char *err,
                  size_t errsz);
void tr_selectionClose(trSelection *sel);

/* The (variables, feedback) pair of a selection as one JSON line; heap, NULL on failure. */
char *tr_selectionJson(const trSelection *sel);

/* memory.c: appends the lean memory (TR_MEMORY_LEAN) of opt for the selection sel to out.
 * currentInHistory 0: the current values are shown elsewhere (OptoPrime's #Variables), so
 * the memory refers to them; 1: the memory is a history that ends with the current attempt
 * in full (OPRO). Appends nothing when there is nothing to say.
 * Errors: TB_ENOMEM (out is marked failed). */
int tr_leanMemory(const trOptimizer *opt, const trSelection *sel, int currentInHistory, tbBuf *out);

/* opro.c: the OPRO messages of a selection. Errors: TB_ENOMEM (out is left empty). */
int tr_oproRender(const trOptimizer *opt, const trSelection *sel, trPrompt *out, char *err,
                  size_t errsz);

/* optimizer.c: the shared part of Apply/Step. begin renders and pushes memory; finish
 * parses a response and applies it; the log's outcome and one-line reason. */
int tr_stepBegin(trOptimizer *opt, const trGraph *g, trSelection *sel, trStepLog *log, char *err,
                 size_t errsz);
void tr_stepFinish(trOptimizer *opt, const trGraph *g, const trSelection *sel, const char *response,
                   size_t len, trStepLog *log);
void tr_stepLogReason(trStepLog *log, trOutcome outcome, const char *fmt, ...) TB_PRINTF(3, 4);

static inline int bit_get(const uint64_t *s, int i) {
  return (int)((s[i >> 6] >> (i & 63)) & 1u);
}
static inline void bit_set(uint64_t *s, int i) {
  s[i >> 6] |= (uint64_t)1 << (i & 63);
}

#endif /* TRACEBOT_TRACE_INTERNAL_H */
