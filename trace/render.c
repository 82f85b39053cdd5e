/* OptoPrime prompt rendering: the problem instance, the system message and the memory. */
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

#define DEFAULT_INSTRUCTION                                                                  \
  "Change the values of the variables in #Variables to improve the output according to the " \
  "feedback."

static const char SYSTEM_TEXT[] =
    "You are an optimizer. You are shown a program that was run: the operations it "
    "performed, the values it read, the values it computed, and feedback on its result. "
    "Your job is to change the trainable variables so that the result improves according "
    "to the feedback.\n"
    "\n"
    "The problem instance has these sections:\n"
    "#Instruction: what you must do.\n"
    "#Code: the operations that were run, one per line, written as "
    "`result = operation(argument=value, ...)`.\n"
    "#Documentation: what each operation in #Code does.\n"
    "#Variables: the trainable variables and their current values. These are the only "
    "things you may change.\n"
    "#Constraints: conditions the new values of the variables must satisfy.\n"
    "#Inputs: fixed values the program read. You cannot change them.\n"
    "#Others: intermediate values computed while the program ran.\n"
    "#Outputs: the final results of the program.\n"
    "#Feedback: how the results were judged.\n"
    "A section can be empty.\n"
    "\n"
    "Each value is written on its own line as `(type) name=value`. A variable of type code "
    "is written as `(code) name:source`, followed by its complete source code. A long value "
    "may be shortened; a shortened value ends with a note saying how much of it is shown.\n"
    "\n"
    "Reply with a single JSON object in exactly this format:\n"
    "{\n"
    "  \"reasoning\": \"<why the results came out as they did and what to change>\",\n"
    "  \"answer\": \"<a short answer if the instruction asks for one, else empty>\",\n"
    "  \"suggestion\": {\n"
    "    \"<variable name>\": <new value>,\n"
    "    ...\n"
    "  }\n"
    "}\n"
    "\n"
    "Rules:\n"
    "- Use in \"suggestion\" only names listed in #Variables, spelled exactly as shown.\n"
    "- Give a number as a JSON number, a vector as a JSON array of numbers, and text or "
    "code as a JSON string.\n"
    "- For code, give the complete new source, keep the function name and signature, and "
    "write line breaks as \\n inside the JSON string.\n"
    "- If the variables need no change, write TERMINATE as the \"answer\" and leave "
    "\"suggestion\" empty.\n";

/* Appends value, cut to max bytes (on a UTF-8 boundary) with a note when longer. */
static void put_limited(tbBuf *b, const char *value, size_t max) {
  size_t n = strlen(value);
  if (max == 0 || n <= max) {
    tb_bufPutn(b, value, n);
    return;
  }
  size_t k = max;
  while (k > 0 && ((unsigned char)value[k] & 0xC0) == 0x80) {
    k--;
  }
  tb_bufPutn(b, value, k);
  tb_bufPrintf(b, " ...[shortened: first %zu of %zu characters shown]", k, n);
}

/* One value line: "(type) name=value" or "(code) name:source" (source ending in one newline). */
static void value_line(tbBuf *b, const trNode *n, size_t max) {
  int code = 0;
  if (n->kind == TR_NODE_PARAM) {
    const trParam *p = n->param;
    if (p->kind == TR_CODE) {
      tb_bufPrintf(b, "(code) %s:", n->name);
      tb_bufPuts(b, p->text ? p->text : "");
      code = 1;
    } else {
      tbBuf tmp;
      tb_bufInit(&tmp, TR_MAX_TEXT_BYTES);
      tr_paramValueText(&tmp, p);
      tb_bufPrintf(b, "(%s) %s=", tr_kindName(p->kind), n->name);
      put_limited(b, tmp.data ? tmp.data : "", max);
      if (tmp.failed) {
        b->failed = 1;
      }
      tb_bufClose(&tmp);
    }
  } else if (strcmp(n->type, "code") == 0) {
    tb_bufPrintf(b, "(code) %s:", n->name);
    tb_bufPuts(b, n->value);
    code = 1;
  } else {
    tb_bufPrintf(b, "(%s) %s=", n->type, n->name);
    put_limited(b, n->value, max);
  }
  if (!(code && b->len > 0 && b->data[b->len - 1] == '\n')) {
    tb_bufPutc(b, '\n');
  }
}

/* Sort key: level, then id (a topological order that matches the reference's level order). */
static int by_level(const void *a, const void *b) {
  const trNode *x = *(const trNode *const *)a;
  const trNode *y = *(const trNode *const *)b;
  if (x->level != y->level) {
    return x->level < y->level ? -1 : 1;
  }
  return (x->id > y->id) - (x->id < y->id);
}

static int is_var(const trSelection *sel, const trNode *n) {
  for (int v = 0; v < sel->nvars; v++) {
    if (sel->vars[v] == n) {
      return 1;
    }
  }
  return 0;
}

/* Ends a section: its header, then its body unless masked. */
static void section(tbBuf *out, const char *title, unsigned bit, unsigned mask, const tbBuf *body) {
  tb_bufPrintf(out, "#%s\n", title);
  if (!(mask & bit) && body->data && body->len) {
    tb_bufPutn(out, body->data, body->len);
    if (body->data[body->len - 1] != '\n') {
      tb_bufPutc(out, '\n');
    }
  }
  tb_bufPutc(out, '\n');
}

static int render_optoprime(const trOptimizer *opt, const trGraph *g, const trSelection *sel,
                            trPrompt *out, char *err, size_t errsz) {
  const trOptimizerOptions *o = &opt->opts;
  size_t max = o->max_value_chars;
  enum { CODE, DOC, VARS, CONS, INPUTS, OTHERS, OUTPUTS, NSEC };
  tbBuf s[NSEC];
  for (int i = 0; i < NSEC; i++) {
    tb_bufInit(&s[i], TR_MAX_TEXT_BYTES);
  }
  int rc = 0;
  trNode **order = malloc(sizeof(trNode *) * (size_t)(g->nnodes ? g->nnodes : 1));
  const char **docs = malloc(sizeof(char *) * (size_t)(g->nnodes ? g->nnodes : 1));
  tbBuf user;
  tb_bufInit(&user, TR_MAX_TEXT_BYTES);
  if (!order || !docs) {
    rc = TB_ENOMEM;
    goto done;
  }
  /* the subgraph's nodes in level order */
  int count = 0;
  for (int i = 0; i < g->nnodes; i++) {
    if (bit_get(sel->sub, i)) {
      order[count++] = g->nodes[i];
    }
  }
  qsort(order, (size_t)count, sizeof *order, by_level);

  /* classify each node */
  int ndocs = 0;
  for (int i = 0; i < count; i++) {
    const trNode *n = order[i];
    int inside = n->kind == TR_NODE_OP || n->kind == TR_NODE_EXCEPTION;
    for (int k = 0; inside && k < n->nparents; k++) {
      inside = bit_get(sel->sub, n->parents[k]->id);
    }
    if (!inside) {
      /* roots and operators fed from outside the subgraph */
      if (n->kind == TR_NODE_PARAM && is_var(sel, n)) {
        value_line(&s[VARS], n, max);
        if (n->param->constraint && *n->param->constraint) {
          tb_bufPrintf(&s[CONS], "(%s) %s: %s\n", tr_kindName(n->param->kind), n->name,
                       n->param->constraint);
        }
      } else {
        value_line(&s[INPUTS], n, max);
      }
      continue;
    }
    /* an operator inside the subgraph: one line of code, its documentation once */
    tb_bufPrintf(&s[CODE], "%s = %s(", n->name, n->op);
    for (int k = 0; k < n->nparents; k++) {
      tb_bufPrintf(&s[CODE], "%s%s=%s", k ? ", " : "", n->argnames[k], n->parents[k]->name);
    }
    tb_bufPuts(&s[CODE], ")\n");
    int seen = 0;
    for (int d = 0; d < ndocs && !seen; d++) {
      seen = strcmp(docs[d], n->op) == 0;
    }
    if (!seen) {
      docs[ndocs++] = n->op;
      tb_bufPrintf(&s[DOC], "[%s] %s\n", n->op, n->doc ? n->doc : "");
    }
    value_line(n->is_output ? &s[OUTPUTS] : &s[OTHERS], n, max);
  }

  /* the user message */
  tbBuf instr, fb;
  tb_bufInit(&instr, TR_MAX_TEXT_BYTES);
  tb_bufInit(&fb, TR_MAX_TEXT_BYTES);
  tb_bufPuts(&instr, o->objective ? o->objective : DEFAULT_INSTRUCTION);
  tb_bufPuts(&fb, sel->feedback.data ? sel->feedback.data : "");
  unsigned mask = o->mask;
  tb_bufPuts(&user, "Here is the problem instance.\n\n================================\n");
  section(&user, "Instruction", TR_SEC_INSTRUCTION, mask, &instr);
  section(&user, "Code", TR_SEC_CODE, mask, &s[CODE]);
  section(&user, "Documentation", TR_SEC_DOCUMENTATION, mask, &s[DOC]);
  section(&user, "Variables", TR_SEC_VARIABLES, mask, &s[VARS]);
  section(&user, "Constraints", TR_SEC_CONSTRAINTS, mask, &s[CONS]);
  section(&user, "Inputs", TR_SEC_INPUTS, mask, &s[INPUTS]);
  section(&user, "Others", TR_SEC_OTHERS, mask, &s[OTHERS]);
  section(&user, "Outputs", TR_SEC_OUTPUTS, mask, &s[OUTPUTS]);
  section(&user, "Feedback", TR_SEC_FEEDBACK, mask, &fb);
  tb_bufPuts(&user, "================================\n\n");
  tb_bufClose(&instr);
  tb_bufClose(&fb);
  if (o->memory > 0 && o->memory_style == TR_MEMORY_LEAN) {
    size_t before = user.len;
    if (tr_leanMemory(opt, sel, 0, &user) != 0) {
      rc = TB_ENOMEM;
    } else if (user.len > before) {
      tb_bufPutc(&user, '\n');
    }
  } else if (o->memory > 0 && opt->nmemory > 0) {
    tb_bufPuts(&user,
               "Below are the values the variables had in earlier iterations and the feedback "
               "each received, oldest first:\n");
    for (int i = 0; i < opt->nmemory; i++) {
      tb_bufPuts(&user, opt->memory[i]);
      tb_bufPutc(&user, '\n');
    }
    tb_bufPutc(&user, '\n');
  }
  tb_bufPuts(&user, "Your response:\n");
  for (int i = 0; i < NSEC; i++) {
    if (s[i].failed) {
      user.failed = 1;
    }
  }
  out->user = tb_bufTake(&user);
  out->system = malloc(sizeof SYSTEM_TEXT);
  if (!out->user || !out->system) {
    tr_promptClose(out);
    rc = TB_ENOMEM;
    goto done;
  }
  memcpy(out->system, SYSTEM_TEXT, sizeof SYSTEM_TEXT);

done:
  if (rc == TB_ENOMEM) {
    tb_setErr(err, errsz, "out of memory or prompt over %zu bytes", (size_t)TR_MAX_TEXT_BYTES);
  }
  tb_bufClose(&user);
  for (int i = 0; i < NSEC; i++) {
    tb_bufClose(&s[i]);
  }
  free(order);
  free(docs);
  return rc;
}

void tr_promptClose(trPrompt *p) {
  if (!p) {
    return;
  }
  free(p->system);
  free(p->user);
  p->system = NULL;
  p->user = NULL;
}

int tr_optimizerRender(const trOptimizer *opt, const trGraph *g, trPrompt *out, char *err,
                       size_t errsz) {
  if (!out) {
    tb_setErr(err, errsz, "tr_optimizerRender: NULL prompt");
    return TB_EINVAL;
  }
  memset(out, 0, sizeof *out);
  trSelection sel;
  int rc = tr_selectStep(opt, g, &sel, err, errsz);
  if (rc != 0) {
    return rc;
  }
  if (opt->opts.kind == TR_OPRO) {
    rc = tr_oproRender(opt, &sel, out, err, errsz);
  } else {
    rc = render_optoprime(opt, g, &sel, out, err, errsz);
  }
  tr_selectionClose(&sel);
  return rc;
}
