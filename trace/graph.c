/* Per-episode graph: an arena of nodes with per-base name counters. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

#define CHUNK_MIN ((size_t)32 << 10)
#define ALIGN 16

void tr_graphFail(trGraph *g, const char *fmt, ...) {
  if (g->failed) {
    return;
  }
  g->failed = 1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g->error, sizeof g->error, fmt, ap);
  va_end(ap);
}

trGraph *tr_makeGraph(void) {
  return calloc(1, sizeof(trGraph));
}

static void free_chunks(trChunk *c) {
  while (c) {
    trChunk *next = c->next;
    free(c);
    c = next;
  }
}

void tr_freeGraph(trGraph *g) {
  if (!g) {
    return;
  }
  free_chunks(g->chunks);
  free(g->nodes);
  free(g->counters);
  free(g);
}

void tr_resetGraph(trGraph *g) {
  if (!g) {
    return;
  }
  /* keep the newest (largest) chunk, free the rest */
  if (g->chunks) {
    free_chunks(g->chunks->next);
    g->chunks->next = NULL;
    g->chunks->used = 0;
  }
  g->nnodes = 0;
  g->ncounters = 0;
  g->failed = 0;
  g->error[0] = '\0';
}

const char *tr_graphError(const trGraph *g) {
  return (g && g->failed) ? g->error : NULL;
}

int tr_graphNodeCount(const trGraph *g) {
  return g ? g->nnodes : 0;
}

static size_t header_size(void) {
  return (sizeof(trChunk) + ALIGN - 1) / ALIGN * ALIGN;
}

void *tr_graphAlloc(trGraph *g, size_t n) {
  n = (n + ALIGN - 1) / ALIGN * ALIGN;
  trChunk *c = g->chunks;
  if (!c || c->size - c->used < n) {
    size_t size = n > CHUNK_MIN ? n : CHUNK_MIN;
    if (c && c->size * 2 > size && c->size < ((size_t)4 << 20)) {
      size = c->size * 2;
    }
    c = malloc(header_size() + size);
    if (!c) {
      tr_graphFail(g, "out of memory in the graph arena");
      return NULL;
    }
    c->size = size;
    c->used = 0;
    c->next = g->chunks;
    g->chunks = c;
  }
  void *p = (char *)c + header_size() + c->used;
  c->used += n;
  return p;
}

const char *tr_graphStrdup(trGraph *g, const char *s) {
  if (!s) {
    return NULL;
  }
  size_t n = strlen(s) + 1;
  char *d = tr_graphAlloc(g, n);
  if (d) {
    memcpy(d, s, n);
  }
  return d;
}

/* A base name is non-empty and made of letters, digits and underscores. */
static int valid_base(const char *s) {
  if (!s || !*s) {
    return 0;
  }
  for (; *s; s++) {
    char c = *s;
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) {
      return 0;
    }
  }
  return 1;
}

static trCounter *counter_for(trGraph *g, const char *base) {
  for (int i = 0; i < g->ncounters; i++) {
    if (strcmp(g->counters[i].base, base) == 0) {
      return &g->counters[i];
    }
  }
  if (g->ncounters == g->capcounters) {
    int cap = g->capcounters ? g->capcounters * 2 : 16;
    trCounter *c = realloc(g->counters, (size_t)cap * sizeof *c);
    if (!c) {
      tr_graphFail(g, "out of memory for name counters");
      return NULL;
    }
    g->counters = c;
    g->capcounters = cap;
  }
  const char *copy = tr_graphStrdup(g, base);
  if (!copy) {
    return NULL;
  }
  trCounter *c = &g->counters[g->ncounters++];
  c->base = copy;
  c->next = 0;
  return c;
}

/* Makes base<k> with the next counter of base. */
static const char *next_name(trGraph *g, const char *base) {
  if (!valid_base(base)) {
    tr_graphFail(g, "bad node base name \"%.60s\" (use letters, digits, _)", base ? base : "");
    return NULL;
  }
  trCounter *c = counter_for(g, base);
  if (!c) {
    return NULL;
  }
  char tmp[24];
  int k = snprintf(tmp, sizeof tmp, "%d", c->next++);
  size_t nb = strlen(base);
  char *name = tr_graphAlloc(g, nb + (size_t)k + 1);
  if (!name) {
    return NULL;
  }
  memcpy(name, base, nb);
  memcpy(name + nb, tmp, (size_t)k + 1);
  return name;
}

/* Appends a zeroed node to g. */
static trNode *new_node(trGraph *g, trNodeKind kind) {
  if (g->nnodes == g->capnodes) {
    int cap = g->capnodes ? g->capnodes * 2 : 64;
    trNode **n = realloc(g->nodes, (size_t)cap * sizeof *n);
    if (!n) {
      tr_graphFail(g, "out of memory for nodes");
      return NULL;
    }
    g->nodes = n;
    g->capnodes = cap;
  }
  trNode *node = tr_graphAlloc(g, sizeof *node);
  if (!node) {
    return NULL;
  }
  memset(node, 0, sizeof *node);
  node->kind = kind;
  node->id = g->nnodes;
  g->nodes[g->nnodes++] = node;
  return node;
}

/* True when n is a node of g. */
static int owns(const trGraph *g, const trNode *n) {
  return n && n->id >= 0 && n->id < g->nnodes && g->nodes[n->id] == n;
}

trNode *tr_value(trGraph *g, const char *base, const char *type, const char *value) {
  if (!g) {
    return NULL;
  }
  const char *name = next_name(g, base);
  const char *t = tr_graphStrdup(g, type ? type : "text");
  const char *v = tr_graphStrdup(g, value ? value : "");
  if (!name || !t || !v) {
    return NULL;
  }
  trNode *n = new_node(g, TR_NODE_VALUE);
  if (!n) {
    return NULL;
  }
  n->name = name;
  n->type = t;
  n->value = v;
  return n;
}

trNode *tr_valuef(trGraph *g, const char *base, const char *type, const char *fmt, ...) {
  if (!g || !fmt) {
    return NULL;
  }
  va_list ap;
  va_start(ap, fmt);
  va_list ap2;
  va_copy(ap2, ap);
  int len = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  char *text = NULL;
  if (len >= 0) {
    text = tr_graphAlloc(g, (size_t)len + 1);
    if (text) {
      vsnprintf(text, (size_t)len + 1, fmt, ap);
    }
  } else {
    tr_graphFail(g, "bad format for value %.60s", base ? base : "");
  }
  va_end(ap);
  if (!text) {
    return NULL;
  }
  return tr_value(g, base, type, text);
}

trNode *tr_paramNode(trGraph *g, trParam *p) {
  if (!g) {
    return NULL;
  }
  if (!p) {
    tr_graphFail(g, "tr_paramNode: NULL parameter");
    return NULL;
  }
  /* one node per parameter per graph */
  for (int i = 0; i < g->nnodes; i++) {
    if (g->nodes[i]->param == p) {
      return g->nodes[i];
    }
  }
  /* reserve the parameter's name in the graph's counters */
  trCounter *c = counter_for(g, p->base);
  if (!c) {
    return NULL;
  }
  int k = atoi(p->name + strlen(p->base));
  if (c->next > k) {
    tr_graphFail(g, "node name %s is already used in this graph (add parameter nodes first)",
                 p->name);
    return NULL;
  }
  c->next = k + 1;
  trNode *n = new_node(g, TR_NODE_PARAM);
  if (!n) {
    return NULL;
  }
  n->name = tr_graphStrdup(g, p->name);
  n->type = tr_kindName(p->kind);
  n->param = p;
  return n->name ? n : NULL;
}

/* Shared body of tr_op and tr_exception. */
static trNode *add_call(trGraph *g, trNodeKind kind, const char *op, const char *doc,
                        const trArg *args, int nargs, const char *base, const char *type,
                        const char *value) {
  if (!g) {
    return NULL;
  }
  if (!valid_base(op)) {
    tr_graphFail(g, "bad operator name \"%.60s\" (use letters, digits, _)", op ? op : "");
    return NULL;
  }
  if (nargs < 0 || (nargs > 0 && !args)) {
    tr_graphFail(g, "operator %s: bad argument list", op);
    return NULL;
  }
  /* check inputs first: a NULL input is an earlier failure, a foreign node a new one */
  for (int i = 0; i < nargs; i++) {
    if (!args[i].node) {
      if (!g->failed) {
        tr_graphFail(g, "operator %s: input %d (%s) is NULL", op, i,
                     args[i].name ? args[i].name : "?");
      }
      return NULL;
    }
    if (!owns(g, args[i].node)) {
      tr_graphFail(g, "operator %s: input %s is not a node of this graph", op,
                   args[i].name ? args[i].name : "?");
      return NULL;
    }
    if (!valid_base(args[i].name)) {
      tr_graphFail(g, "operator %s: bad argument name \"%.60s\"", op,
                   args[i].name ? args[i].name : "");
      return NULL;
    }
  }
  const char *name;
  if (kind == TR_NODE_EXCEPTION) {
    char eb[96];
    snprintf(eb, sizeof eb, "exception_%.80s", op);
    name = next_name(g, eb);
  } else {
    name = next_name(g, base ? base : op);
  }
  if (!name) {
    return NULL;
  }
  trNode **parents = tr_graphAlloc(g, sizeof(trNode *) * (size_t)(nargs ? nargs : 1));
  const char **argnames = tr_graphAlloc(g, sizeof(char *) * (size_t)(nargs ? nargs : 1));
  const char *opc = tr_graphStrdup(g, op);
  const char *docc = tr_graphStrdup(g, doc);
  const char *t = tr_graphStrdup(g, type ? type : "text");
  const char *v = tr_graphStrdup(g, value ? value : "");
  if (!parents || !argnames || !opc || (doc && !docc) || !t || !v) {
    return NULL;
  }
  int level = 0;
  for (int i = 0; i < nargs; i++) {
    parents[i] = args[i].node;
    argnames[i] = tr_graphStrdup(g, args[i].name);
    if (!argnames[i]) {
      return NULL;
    }
    if (args[i].node->level + 1 > level) {
      level = args[i].node->level + 1;
    }
  }
  trNode *n = new_node(g, kind);
  if (!n) {
    return NULL;
  }
  n->name = name;
  n->type = t;
  n->value = v;
  n->op = opc;
  n->doc = docc;
  n->nparents = nargs;
  n->parents = parents;
  n->argnames = argnames;
  n->level = level;
  return n;
}

trNode *tr_op(trGraph *g, const char *op, const char *doc, const trArg *args, int nargs,
              const char *base, const char *type, const char *value) {
  return add_call(g, TR_NODE_OP, op, doc, args, nargs, base, type, value);
}

trNode *tr_exception(trGraph *g, const char *op, const char *doc, const trArg *args, int nargs,
                     const char *error) {
  return add_call(g, TR_NODE_EXCEPTION, op, doc, args, nargs, NULL, "error", error);
}

const char *tr_nodeName(const trNode *n) {
  return n ? n->name : NULL;
}

trNodeKind tr_nodeKind(const trNode *n) {
  return n ? n->kind : TR_NODE_VALUE;
}

const char *tr_nodeValue(const trNode *n) {
  if (!n) {
    return NULL;
  }
  if (n->kind == TR_NODE_PARAM) {
    return tr_paramText(n->param);
  }
  return n->value;
}

trParam *tr_nodeParam(const trNode *n) {
  return n ? n->param : NULL;
}
