/* Graphviz DOT export of a graph. */
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

#define DOT_VALUE_CHARS 60

/* Appends s (at most max bytes, cut on a UTF-8 boundary) escaped for a DOT string. */
static void dot_escape(tbBuf *b, const char *s, size_t max) {
  size_t n = strlen(s);
  int cut = 0;
  if (n > max) {
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
      n--;
    }
    cut = 1;
  }
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '"' || c == '\\') {
      tb_bufPutc(b, '\\');
      tb_bufPutc(b, c);
    } else if (c == '\n') {
      tb_bufPuts(b, "\\l");
    } else if ((unsigned char)c < 0x20) {
      tb_bufPutc(b, ' ');
    } else {
      tb_bufPutc(b, c);
    }
  }
  if (cut) {
    tb_bufPuts(b, "...");
  }
}

char *tr_graphDot(const trGraph *g, char *err, size_t errsz) {
  if (!g) {
    tb_setErr(err, errsz, "tr_graphDot: NULL graph");
    return NULL;
  }
  tbBuf b;
  tb_bufInit(&b, TR_MAX_TEXT_BYTES);
  tb_bufPuts(&b, "digraph trace {\n  rankdir=TB;\n  node [fontname=\"monospace\", fontsize=10];\n");
  for (int i = 0; i < g->nnodes; i++) {
    const trNode *n = g->nodes[i];
    tb_bufPrintf(&b, "  \"%s\" [", n->name);
    /* shape and colour by kind */
    switch (n->kind) {
      case TR_NODE_PARAM:
        tb_bufPuts(&b, "shape=box, style=\"filled\", fillcolor=\"lightblue\"");
        break;
      case TR_NODE_EXCEPTION:
        tb_bufPuts(&b, "shape=ellipse, style=\"filled\", fillcolor=\"tomato\", color=\"red\"");
        break;
      case TR_NODE_OP:
      case TR_NODE_VALUE:
      default:
        tb_bufPuts(&b, "shape=ellipse");
        break;
    }
    if (n->is_output) {
      tb_bufPuts(&b, ", penwidth=2");
    }
    /* label: name, operator, short value */
    tb_bufPuts(&b, ", label=\"");
    dot_escape(&b, n->name, 200);
    if (n->op) {
      tb_bufPuts(&b, "\\n[");
      dot_escape(&b, n->op, 200);
      tb_bufPutc(&b, ']');
    }
    const char *v = n->kind == TR_NODE_PARAM ? NULL : n->value;
    if (n->kind == TR_NODE_PARAM) {
      tb_bufPuts(&b, "\\n(");
      tb_bufPuts(&b, tr_kindName(n->param->kind));
      tb_bufPutc(&b, ')');
    } else if (v && *v) {
      tb_bufPuts(&b, "\\n");
      dot_escape(&b, v, DOT_VALUE_CHARS);
    }
    tb_bufPuts(&b, "\"];\n");
  }
  /* edges, labelled with the argument name */
  for (int i = 0; i < g->nnodes; i++) {
    const trNode *n = g->nodes[i];
    for (int k = 0; k < n->nparents; k++) {
      tb_bufPrintf(&b, "  \"%s\" -> \"%s\" [label=\"%s\"];\n", n->parents[k]->name, n->name,
                   n->argnames[k]);
    }
  }
  tb_bufPuts(&b, "}\n");
  char *s = tb_bufTake(&b);
  if (!s) {
    tb_setErr(err, errsz, "tr_graphDot: out of memory");
  }
  return s;
}
