/* Graphviz DOT export of a graph. */
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

#define DOT_VALUE_CHARS 60

/* Appends s (at most max bytes, cut on a UTF-8 boundary) escaped for a DOT string. */
static void dot_escape(trBuf *b, const char *s, size_t max) {
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
      buf_putc(b, '\\');
      buf_putc(b, c);
    } else if (c == '\n') {
      buf_puts(b, "\\l");
    } else if ((unsigned char)c < 0x20) {
      buf_putc(b, ' ');
    } else {
      buf_putc(b, c);
    }
  }
  if (cut) {
    buf_puts(b, "...");
  }
}

char *tr_graphDot(const trGraph *g, char *err, size_t errsz) {
  if (!g) {
    tr_seterr(err, errsz, "tr_graphDot: NULL graph");
    return NULL;
  }
  trBuf b;
  buf_init(&b, TR_MAX_TEXT_BYTES);
  buf_puts(&b, "digraph trace {\n  rankdir=TB;\n  node [fontname=\"monospace\", fontsize=10];\n");
  for (int i = 0; i < g->nnodes; i++) {
    const trNode *n = g->nodes[i];
    buf_printf(&b, "  \"%s\" [", n->name);
    /* shape and colour by kind */
    switch (n->kind) {
      case TR_NODE_PARAM:
        buf_puts(&b, "shape=box, style=\"filled\", fillcolor=\"lightblue\"");
        break;
      case TR_NODE_EXCEPTION:
        buf_puts(&b, "shape=ellipse, style=\"filled\", fillcolor=\"tomato\", color=\"red\"");
        break;
      case TR_NODE_OP:
      case TR_NODE_VALUE:
      default:
        buf_puts(&b, "shape=ellipse");
        break;
    }
    if (n->is_output) {
      buf_puts(&b, ", penwidth=2");
    }
    /* label: name, operator, short value */
    buf_puts(&b, ", label=\"");
    dot_escape(&b, n->name, 200);
    if (n->op) {
      buf_puts(&b, "\\n[");
      dot_escape(&b, n->op, 200);
      buf_putc(&b, ']');
    }
    const char *v = n->kind == TR_NODE_PARAM ? NULL : n->value;
    if (n->kind == TR_NODE_PARAM) {
      buf_puts(&b, "\\n(");
      buf_puts(&b, kind_name(n->param->kind));
      buf_putc(&b, ')');
    } else if (v && *v) {
      buf_puts(&b, "\\n");
      dot_escape(&b, v, DOT_VALUE_CHARS);
    }
    buf_puts(&b, "\"];\n");
  }
  /* edges, labelled with the argument name */
  for (int i = 0; i < g->nnodes; i++) {
    const trNode *n = g->nodes[i];
    for (int k = 0; k < n->nparents; k++) {
      buf_printf(&b, "  \"%s\" -> \"%s\" [label=\"%s\"];\n", n->parents[k]->name, n->name,
                 n->argnames[k]);
    }
  }
  buf_puts(&b, "}\n");
  char *s = buf_take(&b);
  if (!s) {
    tr_seterr(err, errsz, "tr_graphDot: out of memory");
  }
  return s;
}
