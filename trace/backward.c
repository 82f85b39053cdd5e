/* Backward: the minimal subgraph between an output and each parameter, plus feedback. */
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

/* Adds text to a parameter node's feedback list unless an equal text is already there. */
static int add_feedback(trGraph *g, trNode *p, const char *text) {
  trFeedback **tail = &p->feedback;
  for (trFeedback *f = p->feedback; f; f = f->next) {
    if (strcmp(f->text, text) == 0) {
      return 0;
    }
    tail = &f->next;
  }
  trFeedback *f = tr_graphAlloc(g, sizeof *f);
  const char *copy = tr_graphStrdup(g, text);
  if (!f || !copy) {
    return TB_ENOMEM;
  }
  f->next = NULL;
  f->text = copy;
  *tail = f;
  return 0;
}

int tr_backward(trGraph *g, trNode *output, const char *feedback, char *err, size_t errsz) {
  if (!g || !output) {
    tb_setErr(err, errsz, "tr_backward: NULL %s", g ? "output" : "graph");
    return TB_EINVAL;
  }
  if (output->id < 0 || output->id >= g->nnodes || g->nodes[output->id] != output) {
    tb_setErr(err, errsz, "tr_backward: output is not a node of this graph");
    return TB_EINVAL;
  }
  int n = output->id + 1;
  int words = (g->nnodes + 63) / 64;
  uint64_t *anc = calloc((size_t)words * 2, sizeof(uint64_t));
  if (!anc) {
    tb_setErr(err, errsz, "tr_backward: out of memory");
    return TB_ENOMEM;
  }
  uint64_t *path = anc + words;

  /* ancestors of the output (inputs always have smaller ids) */
  bit_set(anc, output->id);
  for (int i = output->id; i >= 0; i--) {
    if (!bit_get(anc, i)) {
      continue;
    }
    const trNode *node = g->nodes[i];
    for (int k = 0; k < node->nparents; k++) {
      bit_set(anc, node->parents[k]->id);
    }
  }
  output->is_output = 1;

  int reached = 0;
  for (int pi = 0; pi < n; pi++) {
    trNode *p = g->nodes[pi];
    if (p->kind != TR_NODE_PARAM || !bit_get(anc, pi)) {
      continue;
    }
    /* nodes on a path from p to the output: ancestors of the output fed by p */
    memset(path, 0, (size_t)words * sizeof(uint64_t));
    bit_set(path, pi);
    for (int i = pi + 1; i < n; i++) {
      if (!bit_get(anc, i)) {
        continue;
      }
      const trNode *node = g->nodes[i];
      for (int k = 0; k < node->nparents; k++) {
        if (bit_get(path, node->parents[k]->id)) {
          bit_set(path, i);
          break;
        }
      }
    }
    /* the subgraph: the path plus the direct inputs of its nodes, merged with earlier calls */
    uint64_t *sub = p->sub;
    if (p->subwords < words) {
      sub = tr_graphAlloc(g, (size_t)words * sizeof(uint64_t));
      if (!sub) {
        free(anc);
        tb_setErr(err, errsz, "tr_backward: out of memory");
        return TB_ENOMEM;
      }
      memset(sub, 0, (size_t)words * sizeof(uint64_t));
      if (p->sub) {
        memcpy(sub, p->sub, (size_t)p->subwords * sizeof(uint64_t));
      }
      p->sub = sub;
      p->subwords = words;
    }
    for (int i = pi; i < n; i++) {
      if (!bit_get(path, i)) {
        continue;
      }
      bit_set(sub, i);
      const trNode *node = g->nodes[i];
      for (int k = 0; k < node->nparents; k++) {
        bit_set(sub, node->parents[k]->id);
      }
    }
    if (feedback && add_feedback(g, p, feedback) != 0) {
      free(anc);
      tb_setErr(err, errsz, "tr_backward: out of memory");
      return TB_ENOMEM;
    }
    reached++;
  }
  free(anc);
  return reached;
}
