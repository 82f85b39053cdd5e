/* The selection of one step: this optimizer's parameters that received feedback, the union
 * of their subgraphs and their distinct feedback texts (what both prompts and the memory
 * lines are made from). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

void tr_selectionClose(trSelection *sel) {
  free(sel->vars);
  free(sel->sub);
  tb_bufClose(&sel->feedback);
  memset(sel, 0, sizeof *sel);
}

int tr_selectStep(const trOptimizer *opt, const trGraph *g, trSelection *sel, char *err,
                  size_t errsz) {
  memset(sel, 0, sizeof *sel);
  tb_bufInit(&sel->feedback, TR_MAX_TEXT_BYTES);
  if (!opt || !g) {
    tb_setErr(err, errsz, "NULL %s", opt ? "graph" : "optimizer");
    return TB_EINVAL;
  }
  if (g->failed) {
    tb_setErr(err, errsz, "the graph has an error: %s", g->error);
    return TB_EINVAL;
  }
  sel->words = (g->nnodes + 63) / 64;
  sel->vars = malloc(sizeof(trNode *) * (size_t)(g->nnodes ? g->nnodes : 1));
  sel->sub = calloc((size_t)(sel->words ? sel->words : 1), sizeof(uint64_t));
  if (!sel->vars || !sel->sub) {
    tr_selectionClose(sel);
    tb_setErr(err, errsz, "out of memory");
    return TB_ENOMEM;
  }
  /* the variables: this optimizer's parameter nodes that backward reached */
  for (int i = 0; i < g->nnodes; i++) {
    trNode *n = g->nodes[i];
    if (n->kind != TR_NODE_PARAM || !n->sub || n->param->owner != opt) {
      continue;
    }
    sel->vars[sel->nvars++] = n;
    for (int w = 0; w < n->subwords && w < sel->words; w++) {
      sel->sub[w] |= n->sub[w];
    }
  }
  if (sel->nvars == 0) {
    tr_selectionClose(sel);
    tb_setErr(err, errsz,
              "no parameter of this optimizer received feedback in the graph "
              "(add its node with tr_paramNode and call tr_backward)");
    return TB_ENOFEEDBACK;
  }
  /* distinct feedback texts, in the order they reached the variables */
  int nfb = 0;
  for (int v = 0; v < sel->nvars; v++) {
    for (const trFeedback *f = sel->vars[v]->feedback; f; f = f->next) {
      int seen = 0;
      for (int u = 0; u < v && !seen; u++) {
        for (const trFeedback *h = sel->vars[u]->feedback; h; h = h->next) {
          if (strcmp(h->text, f->text) == 0) {
            seen = 1;
            break;
          }
        }
      }
      if (!seen) {
        if (nfb++) {
          tb_bufPutc(&sel->feedback, '\n');
        }
        tb_bufPuts(&sel->feedback, f->text);
      }
    }
  }
  if (sel->feedback.failed) {
    tr_selectionClose(sel);
    tb_setErr(err, errsz, "feedback too large");
    return TB_ENOMEM;
  }
  return 0;
}

char *tr_selectionJson(const trSelection *sel) {
  cJSON *root = cJSON_CreateObject();
  cJSON *vars = cJSON_AddObjectToObject(root, "variables");
  if (!root || !vars) {
    cJSON_Delete(root);
    return NULL;
  }
  for (int v = 0; v < sel->nvars; v++) {
    const trParam *p = sel->vars[v]->param;
    cJSON *value = tr_paramValueJson(p);
    if (!value || !cJSON_AddItemToObject(vars, p->name, value)) {
      cJSON_Delete(value);
      cJSON_Delete(root);
      return NULL;
    }
  }
  if (!cJSON_AddStringToObject(root, "feedback", sel->feedback.data ? sel->feedback.data : "")) {
    cJSON_Delete(root);
    return NULL;
  }
  char *s = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  return s;
}
