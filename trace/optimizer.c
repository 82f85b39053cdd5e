/* Optimizer state: parameters, memory FIFO, options; applying a response; save and load. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "trace_internal.h"

static char *dup_str(const char *s) {
  if (!s) {
    return NULL;
  }
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) {
    memcpy(d, s, n);
  }
  return d;
}

/* ---- options and lifetime ---- */

void tr_defaultOptimizerOptions(trOptimizerOptions *opts) {
  memset(opts, 0, sizeof *opts);
  opts->kind = TR_OPTOPRIME;
  opts->memory = 0;
  opts->history = 0;
  opts->mask = 0;
  opts->max_value_chars = 2000;
  opts->max_tokens = 4096;
  opts->json_mode = 1;
  opts->objective = NULL;
  opts->memory_style = TR_MEMORY_PAPER;
  opts->memory_chars = 0;
}

trOptimizer *tr_makeOptimizer(const trOptimizerOptions *opts, char *err, size_t errsz) {
  trOptimizerOptions o;
  if (opts) {
    o = *opts;
  } else {
    tr_defaultOptimizerOptions(&o);
  }
  if (o.kind != TR_OPTOPRIME && o.kind != TR_OPRO) {
    tb_setErr(err, errsz, "optimizer kind %d is not OptoPrime or OPRO", (int)o.kind);
    return NULL;
  }
  if (o.memory < 0 || o.history < 0) {
    tb_setErr(err, errsz, "optimizer %s must be >= 0", o.memory < 0 ? "memory" : "history");
    return NULL;
  }
  if (o.memory_style != TR_MEMORY_PAPER && o.memory_style != TR_MEMORY_LEAN) {
    tb_setErr(err, errsz, "memory style %d is not paper or lean", (int)o.memory_style);
    return NULL;
  }
  if (o.max_tokens <= 0) {
    o.max_tokens = 4096;
  }
  trOptimizer *opt = calloc(1, sizeof *opt);
  if (!opt) {
    tb_setErr(err, errsz, "out of memory");
    return NULL;
  }
  if (o.objective) {
    opt->objective_copy = dup_str(o.objective);
    if (!opt->objective_copy) {
      free(opt);
      tb_setErr(err, errsz, "out of memory");
      return NULL;
    }
  }
  o.objective = opt->objective_copy;
  opt->opts = o;
  return opt;
}

static void free_param(trParam *p) {
  if (!p) {
    return;
  }
  free(p->name);
  free(p->base);
  free(p->constraint);
  free(p->vec);
  free(p->text);
  free(p);
}

static void clear_memory(trOptimizer *opt) {
  for (int i = 0; i < opt->nmemory; i++) {
    free(opt->memory[i]);
  }
  opt->nmemory = 0;
}

void tr_freeOptimizer(trOptimizer *opt) {
  if (!opt) {
    return;
  }
  for (int i = 0; i < opt->nparams; i++) {
    free_param(opt->params[i]);
  }
  free(opt->params);
  clear_memory(opt);
  free(opt->memory);
  free(opt->objective_copy);
  free(opt);
}

int tr_optimizerIteration(const trOptimizer *opt) {
  return opt ? opt->iteration : 0;
}

int tr_optimizerMemoryCount(const trOptimizer *opt) {
  return opt ? opt->nmemory : 0;
}

const char *tr_optimizerMemoryAt(const trOptimizer *opt, int i) {
  return (opt && i >= 0 && i < opt->nmemory) ? opt->memory[i] : NULL;
}

/* Appends a line to the memory FIFO (taking it), dropping the oldest beyond limit
 * (limit 0: unbounded). */
static int memory_push(trOptimizer *opt, char *line, int limit) {
  if (limit > 0 && opt->nmemory >= limit) {
    int drop = opt->nmemory - limit + 1;
    for (int i = 0; i < drop; i++) {
      free(opt->memory[i]);
    }
    memmove(opt->memory, opt->memory + drop, sizeof(char *) * (size_t)(opt->nmemory - drop));
    opt->nmemory -= drop;
  }
  if (opt->nmemory == opt->capmemory) {
    int cap = opt->capmemory ? opt->capmemory * 2 : 8;
    char **m = realloc(opt->memory, sizeof(char *) * (size_t)cap);
    if (!m) {
      free(line);
      return TB_ENOMEM;
    }
    opt->memory = m;
    opt->capmemory = cap;
  }
  opt->memory[opt->nmemory++] = line;
  return 0;
}

/* The memory bound of this optimizer: -1 when it keeps nothing, 0 when unbounded. */
static int memory_limit(const trOptimizer *opt) {
  if (opt->opts.kind == TR_OPRO) {
    return opt->opts.history;
  }
  return opt->opts.memory > 0 ? opt->opts.memory : -1;
}

/* ---- parameters ---- */

trParam *tr_addParam(trOptimizer *opt, const char *base, trKind kind, const char *constraint,
                     char *err, size_t errsz) {
  if (!opt || !base || !*base) {
    tb_setErr(err, errsz, "tr_addParam: NULL optimizer or empty base name");
    return NULL;
  }
  size_t nb = strlen(base);
  for (size_t i = 0; i < nb; i++) {
    if (!(isalnum((unsigned char)base[i]) || base[i] == '_') || nb > 64) {
      tb_setErr(err, errsz, "tr_addParam: bad base name \"%.64s\" (letters, digits, _)", base);
      return NULL;
    }
  }
  if (isdigit((unsigned char)base[nb - 1])) {
    tb_setErr(err, errsz, "tr_addParam: base name \"%s\" must not end in a digit", base);
    return NULL;
  }
  if (kind != TR_NUMBER && kind != TR_VECTOR && kind != TR_TEXT && kind != TR_CODE) {
    tb_setErr(err, errsz, "tr_addParam: bad kind %d for %s", (int)kind, base);
    return NULL;
  }
  /* next counter for this base */
  int k = 0;
  for (int i = 0; i < opt->nparams; i++) {
    if (strcmp(opt->params[i]->base, base) == 0) {
      k++;
    }
  }
  if (opt->nparams == opt->capparams) {
    int cap = opt->capparams ? opt->capparams * 2 : 4;
    trParam **ps = realloc(opt->params, sizeof(trParam *) * (size_t)cap);
    if (!ps) {
      tb_setErr(err, errsz, "out of memory");
      return NULL;
    }
    opt->params = ps;
    opt->capparams = cap;
  }
  trParam *p = calloc(1, sizeof *p);
  char name[96];
  snprintf(name, sizeof name, "%s%d", base, k);
  if (p) {
    p->owner = opt;
    p->kind = kind;
    p->name = dup_str(name);
    p->base = dup_str(base);
    p->constraint = constraint ? dup_str(constraint) : NULL;
    p->text = (kind == TR_TEXT || kind == TR_CODE) ? dup_str("") : NULL;
  }
  if (!p || !p->name || !p->base || (constraint && !p->constraint) ||
      ((kind == TR_TEXT || kind == TR_CODE) && !p->text)) {
    free_param(p);
    tb_setErr(err, errsz, "out of memory");
    return NULL;
  }
  opt->params[opt->nparams++] = p;
  return p;
}

int tr_paramCount(const trOptimizer *opt) {
  return opt ? opt->nparams : 0;
}

trParam *tr_paramAt(const trOptimizer *opt, int i) {
  return (opt && i >= 0 && i < opt->nparams) ? opt->params[i] : NULL;
}

/* ---- masks ---- */

int tr_parseMask(const char *text, unsigned *mask, char *err, size_t errsz) {
  static const struct {
    const char *name;
    unsigned bits;
  } names[] = {
      {"instruction", TR_SEC_INSTRUCTION},
      {"code", TR_SEC_CODE},
      {"documentation", TR_SEC_DOCUMENTATION},
      {"variables", TR_SEC_VARIABLES},
      {"constraints", TR_SEC_CONSTRAINTS},
      {"inputs", TR_SEC_INPUTS},
      {"others", TR_SEC_OTHERS},
      {"outputs", TR_SEC_OUTPUTS},
      {"feedback", TR_SEC_FEEDBACK},
      {"paper", TR_MASK_PAPER},
      {"masked", TR_MASK_PAPER},
      {"none", 0},
  };
  if (!mask) {
    tb_setErr(err, errsz, "tr_parseMask: NULL mask");
    return TB_EINVAL;
  }
  unsigned m = 0;
  const char *s = text ? text : "";
  while (*s) {
    /* one comma-separated word, spaces and a leading '#' ignored */
    while (*s == ' ' || *s == ',' || *s == '\t') {
      s++;
    }
    if (!*s) {
      break;
    }
    const char *w = s;
    while (*s && *s != ',' && *s != ' ' && *s != '\t') {
      s++;
    }
    size_t n = (size_t)(s - w);
    if (*w == '#') {
      w++;
      n--;
    }
    int found = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
      if (strlen(names[i].name) == n && strncasecmp(names[i].name, w, n) == 0) {
        m |= names[i].bits;
        found = 1;
        break;
      }
    }
    if (!found) {
      tb_setErr(err, errsz,
                "unknown section \"%.*s\" in mask (use instruction, code, "
                "documentation, variables, constraints, inputs, others, outputs, feedback, "
                "paper)",
                (int)(n > 40 ? 40 : n), w);
      return TB_EINVAL;
    }
  }
  *mask = m;
  return 0;
}

/* ---- applying a response ---- */

void tr_stepLogClose(trStepLog *log) {
  if (!log) {
    return;
  }
  free(log->system);
  free(log->user);
  free(log->response);
  for (int i = 0; i < log->nchanged; i++) {
    free(log->changed[i]);
  }
  free(log->changed);
  free(log->reasoning);
  memset(log, 0, sizeof *log);
}

void tr_stepLogReason(trStepLog *log, trOutcome outcome, const char *fmt, ...) {
  log->outcome = outcome;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(log->reason, sizeof log->reason, fmt, ap);
  va_end(ap);
}

/* Finds the variable a response key names: exact, without ':' (controller:0), the only
 * code variable for "__code..." keys, case-insensitive, or the base when unambiguous. */
static trNode *resolve_key(const trSelection *sel, const char *key) {
  char k[128];
  size_t n = 0;
  while (*key == ' ' || *key == '#' || *key == '`') {
    key++;
  }
  for (const char *c = key; *c && n + 1 < sizeof k; c++) {
    if (*c != ':' && *c != '`') {
      k[n++] = *c;
    }
  }
  while (n > 0 && k[n - 1] == ' ') {
    n--;
  }
  k[n] = '\0';
  if (strlen(key) >= sizeof k - 1) {
    return NULL;
  }
  for (int v = 0; v < sel->nvars; v++) {
    if (strcmp(sel->vars[v]->name, k) == 0) {
      return sel->vars[v];
    }
  }
  trNode *only = NULL;
  int count = 0;
  if (strncmp(k, "__code", 6) == 0) {
    for (int v = 0; v < sel->nvars; v++) {
      if (sel->vars[v]->param->kind == TR_CODE) {
        only = sel->vars[v];
        count++;
      }
    }
    return count == 1 ? only : NULL;
  }
  for (int v = 0; v < sel->nvars; v++) {
    if (strcasecmp(sel->vars[v]->name, k) == 0) {
      return sel->vars[v];
    }
  }
  count = 0;
  for (int v = 0; v < sel->nvars; v++) {
    if (strcasecmp(sel->vars[v]->param->base, k) == 0) {
      only = sel->vars[v];
      count++;
    }
  }
  return count == 1 ? only : NULL;
}

static const char *type_name(trJsonType t) {
  switch (t) {
    case TR_JSON_NULL:
      return "null";
    case TR_JSON_BOOL:
      return "boolean";
    case TR_JSON_NUMBER:
      return "number";
    case TR_JSON_STRING:
      return "string";
    case TR_JSON_ARRAY:
      return "array";
    case TR_JSON_OBJECT:
      return "object";
    default:
      return "value";
  }
}

/* Parses the whole of s (spaces allowed around) as one finite number. */
static int parse_number(const char *s, double *x) {
  char *end = NULL;
  while (*s && isspace((unsigned char)*s)) {
    s++;
  }
  if (!*s) {
    return -1;
  }
  double v = strtod(s, &end);
  if (end == s) {
    return -1;
  }
  while (*end && isspace((unsigned char)*end)) {
    end++;
  }
  if (*end || !isfinite(v)) {
    return -1;
  }
  *x = v;
  return 0;
}

/* Parses a vector from a JSON array text, or from numbers separated by commas/spaces with
 * optional brackets. Returns the count, or -1. */
static int parse_vector(const char *s, double *out, int max) {
  cJSON *arr = cJSON_ParseWithLengthOpts(s, strlen(s), NULL, 0);
  int n = 0;
  if (arr && cJSON_IsArray(arr)) {
    for (const cJSON *c = arr->child; c; c = c->next) {
      double x;
      if (n >= max) {
        n = -1;
        break;
      }
      if (cJSON_IsNumber(c) && isfinite(c->valuedouble)) {
        x = c->valuedouble;
      } else if (!(cJSON_IsString(c) && c->valuestring && parse_number(c->valuestring, &x) == 0)) {
        n = -1;
        break;
      }
      out[n++] = x;
    }
    cJSON_Delete(arr);
    return n;
  }
  cJSON_Delete(arr);
  /* loose form: "1, 2, 3" or "(1 2 3)" */
  const char *p = s;
  while (*p && (isspace((unsigned char)*p) || *p == '[' || *p == '(')) {
    p++;
  }
  while (*p) {
    char *end = NULL;
    double x = strtod(p, &end);
    if (end == p || !isfinite(x) || n >= max) {
      return -1;
    }
    out[n++] = x;
    p = end;
    while (*p && (isspace((unsigned char)*p) || *p == ',')) {
      p++;
    }
    if (*p == ']' || *p == ')') {
      p++;
      while (*p && isspace((unsigned char)*p)) {
        p++;
      }
      return *p ? -1 : n;
    }
  }
  return n;
}

/* Turns "\n", "\t", "\"", "\\" escapes into characters, in place. */
static void unescape(char *s) {
  char *w = s;
  for (char *r = s; *r; r++) {
    if (*r == '\\' && r[1]) {
      char e = r[1];
      char c = e == 'n'    ? '\n'
               : e == 't'  ? '\t'
               : e == 'r'  ? '\r'
               : e == '"'  ? '"'
               : e == '\\' ? '\\'
               : e == '\'' ? '\''
                           : 0;
      if (c) {
        *w++ = c;
        r++;
        continue;
      }
    }
    *w++ = *r;
  }
  *w = '\0';
}

/* Cleans suggested code in place: literal \n escapes when it has no real line break, and a
 * Markdown fence around it. Returns 1 when only whitespace is left. */
static int clean_code(char *s) {
  if (!strchr(s, '\n') && strstr(s, "\\n")) {
    unescape(s);
  }
  /* strip a ```lang ... ``` fence */
  char *a = s;
  while (isspace((unsigned char)*a)) {
    a++;
  }
  if (strncmp(a, "```", 3) == 0) {
    char *body = strchr(a, '\n');
    char *close = body ? strstr(body, "```") : NULL;
    if (body && close) {
      size_t n = (size_t)(close - body - 1);
      if (n > 0 && body[n] == '\n') {
        n--; /* the line break before the closing fence */
      }
      memmove(s, body + 1, n);
      s[n] = '\0';
    }
  }
  for (char *c = s; *c; c++) {
    if (!isspace((unsigned char)*c)) {
      return 0;
    }
  }
  return 1;
}

/* What one suggested value does. */
enum { V_CHANGED, V_SAME, V_BLANK, V_BAD };

/* Converts a suggested value for p and applies it. why receives the problem for V_BAD. */
static int apply_value(trParam *p, const trSuggestion *it, char *why, size_t whysz) {
  switch (p->kind) {
    case TR_NUMBER: {
      double x;
      int ok = (it->type == TR_JSON_NUMBER || it->type == TR_JSON_STRING) &&
               parse_number(it->text, &x) == 0;
      if (!ok) {
        snprintf(why, whysz, "%s: expected a number, got %s %.40s", p->name, type_name(it->type),
                 it->text);
        return V_BAD;
      }
      if (x == p->number) {
        return V_SAME;
      }
      p->number = x;
      return V_CHANGED;
    }
    case TR_VECTOR: {
      int max = p->nvec > 0 ? p->nvec : 4096;
      double *v = malloc(sizeof(double) * (size_t)(max + 1));
      if (!v) {
        snprintf(why, whysz, "%s: out of memory", p->name);
        return V_BAD;
      }
      int n = -1;
      if (it->type == TR_JSON_ARRAY || it->type == TR_JSON_STRING || it->type == TR_JSON_NUMBER) {
        n = parse_vector(it->text, v, max);
      }
      if (n < 0 || n == 0 || (p->nvec > 0 && n != p->nvec)) {
        snprintf(why, whysz, "%s: expected %d numbers, got %s %.40s", p->name, p->nvec,
                 type_name(it->type), it->text);
        free(v);
        return V_BAD;
      }
      if (n == p->nvec && memcmp(v, p->vec, sizeof(double) * (size_t)n) == 0) {
        free(v);
        return V_SAME;
      }
      free(p->vec);
      p->vec = v;
      p->nvec = n;
      return V_CHANGED;
    }
    case TR_CODE:
    case TR_TEXT:
    default: {
      if (it->type == TR_JSON_NULL || (p->kind == TR_CODE && it->type != TR_JSON_STRING)) {
        snprintf(why, whysz, "%s: expected %s as a string, got %s", p->name,
                 p->kind == TR_CODE ? "code" : "text", type_name(it->type));
        return V_BAD;
      }
      char *t = dup_str(it->text);
      if (!t) {
        snprintf(why, whysz, "%s: out of memory", p->name);
        return V_BAD;
      }
      if (p->kind == TR_CODE && clean_code(t)) {
        free(t);
        return V_BLANK;
      }
      if (strcmp(t, p->text ? p->text : "") == 0) {
        free(t);
        return V_SAME;
      }
      free(p->text);
      p->text = t;
      return V_CHANGED;
    }
  }
}

/* Appends "; " and a note to a reason buffer (cut when full). */
static void note(tbBuf *b, const char *fmt, ...) TB_PRINTF(2, 3);
static void note(tbBuf *b, const char *fmt, ...) {
  if (b->len) {
    tb_bufPuts(b, "; ");
  }
  va_list ap;
  va_start(ap, fmt);
  tb_bufVprintf(b, fmt, ap);
  va_end(ap);
}

/* Is name a node of g (an input or intermediate value the model confused for a variable)? */
static int graph_has(const trGraph *g, const char *name) {
  for (int i = 0; i < g->nnodes; i++) {
    if (strcmp(g->nodes[i]->name, name) == 0) {
      return 1;
    }
  }
  return 0;
}

static int record_changed(trStepLog *log, const char *name) {
  char **c = realloc(log->changed, sizeof(char *) * (size_t)(log->nchanged + 1));
  if (!c) {
    return -1;
  }
  log->changed = c;
  c[log->nchanged] = dup_str(name);
  if (!c[log->nchanged]) {
    return -1;
  }
  log->nchanged++;
  return 0;
}

void tr_stepFinish(trOptimizer *opt, const trGraph *g, const trSelection *sel, const char *response,
                   size_t len, trStepLog *log) {
  (void)opt;
  /* keep the raw reply for the log (bounded) */
  size_t keep = len > TR_MAX_RESPONSE_BYTES ? TR_MAX_RESPONSE_BYTES : len;
  log->response = malloc(keep + 1);
  if (log->response) {
    if (keep) {
      memcpy(log->response, response, keep);
    }
    log->response[keep] = '\0';
  }
  trResponse r;
  int rc = tr_parseResponse(response, len, &r);
  if (r.reasoning) {
    log->reasoning = dup_str(r.reasoning);
  }
  if (rc != 0 || r.status == TR_RESPONSE_INVALID) {
    tr_stepLogReason(log, TR_OUTCOME_UNUSABLE, "unusable response: %s", r.reason);
    tr_responseClose(&r);
    return;
  }
  if (r.status == TR_RESPONSE_TERMINATE || r.status == TR_RESPONSE_EMPTY) {
    log->terminate = r.status == TR_RESPONSE_TERMINATE;
    tr_stepLogReason(log, TR_OUTCOME_NO_CHANGE, "%s", r.reason);
    tr_responseClose(&r);
    return;
  }
  /* apply each suggested value to the variable its key names */
  tbBuf why;
  tb_bufInit(&why, sizeof log->reason);
  const trNode **done = calloc((size_t)r.nitems, sizeof *done);
  int changed = 0;
  int same = 0;
  int bad = 0;
  for (int i = 0; i < r.nitems && done; i++) {
    const trSuggestion *it = &r.items[i];
    trNode *v = resolve_key(sel, it->key);
    if (!v) {
      bad++;
      note(&why, "%.60s is %s", it->key,
           graph_has(g, it->key) ? "not in #Variables (it is an input or computed value)"
                                 : "not a variable name");
      continue;
    }
    int dup = 0;
    for (int k = 0; k < i; k++) {
      dup |= done[k] == v;
    }
    if (dup) {
      note(&why, "%.60s repeats %s (ignored)", it->key, v->name);
      continue;
    }
    done[i] = v;
    char msg[200];
    int res = apply_value(v->param, it, msg, sizeof msg);
    if (res == V_CHANGED) {
      changed++;
      if (record_changed(log, v->name) != 0) {
        note(&why, "out of memory recording %s", v->name);
      }
    } else if (res == V_SAME) {
      same++;
      note(&why, "%s: same value as before", v->name);
    } else if (res == V_BLANK) {
      same++;
      note(&why, "%s: blank code ignored", v->name);
    } else {
      bad++;
      note(&why, "%s", msg);
    }
  }
  if (!done) {
    tr_stepLogReason(log, TR_OUTCOME_UNUSABLE, "out of memory applying the response");
  } else if (changed > 0) {
    tbBuf names;
    tb_bufInit(&names, sizeof log->reason);
    for (int i = 0; i < log->nchanged; i++) {
      tb_bufPrintf(&names, "%s%s", i ? ", " : "", log->changed[i]);
    }
    tr_stepLogReason(log, TR_OUTCOME_UPDATED, "updated %s%s%s", names.data ? names.data : "",
                     why.len ? "; " : "", why.len ? why.data : "");
    tb_bufClose(&names);
  } else if (same > 0) {
    tr_stepLogReason(log, TR_OUTCOME_NO_CHANGE, "no change: %s", why.data ? why.data : "");
  } else {
    tr_stepLogReason(log, TR_OUTCOME_UNUSABLE, "unusable response: %s",
                     why.data ? why.data : "no value");
  }
  (void)bad;
  free(done);
  tb_bufClose(&why);
  tr_responseClose(&r);
}

int tr_stepBegin(trOptimizer *opt, const trGraph *g, trSelection *sel, trStepLog *log, char *err,
                 size_t errsz) {
  memset(log, 0, sizeof *log);
  int rc = tr_selectStep(opt, g, sel, log->reason, sizeof log->reason);
  trPrompt prompt = {NULL, NULL};
  if (rc == 0) {
    rc = tr_optimizerRender(opt, g, &prompt, log->reason, sizeof log->reason);
  }
  char *pair = NULL;
  if (rc == 0) {
    pair = tr_selectionJson(sel);
    if (!pair) {
      snprintf(log->reason, sizeof log->reason, "out of memory");
      rc = TB_ENOMEM;
    }
  }
  if (rc != 0) {
    tr_promptClose(&prompt);
    tr_selectionClose(sel);
    tb_setErr(err, errsz, "%s", log->reason);
    log->outcome = TR_OUTCOME_NONE;
    return rc;
  }
  log->system = prompt.system;
  log->user = prompt.user;
  /* memory holds previous iterations: push after the prompt is built */
  int limit = memory_limit(opt);
  if (limit >= 0) {
    if (memory_push(opt, pair, limit) != 0) {
      tb_setErr(err, errsz, "out of memory");
      snprintf(log->reason, sizeof log->reason, "out of memory");
      tr_selectionClose(sel);
      return TB_ENOMEM;
    }
  } else {
    free(pair);
  }
  opt->iteration++;
  log->iteration = opt->iteration;
  return 0;
}

int tr_optimizerApply(trOptimizer *opt, const trGraph *g, const char *response, size_t len,
                      trStepLog *log, char *err, size_t errsz) {
  trStepLog local;
  trStepLog *lg = log ? log : &local;
  if (!response && len) {
    memset(lg, 0, sizeof *lg);
    tb_setErr(err, errsz, "tr_optimizerApply: NULL response");
    snprintf(lg->reason, sizeof lg->reason, "NULL response");
    return TB_EINVAL;
  }
  trSelection sel;
  int rc = tr_stepBegin(opt, g, &sel, lg, err, errsz);
  if (rc == 0) {
    tr_stepFinish(opt, g, &sel, response ? response : "", len, lg);
    tr_selectionClose(&sel);
  }
  if (!log) {
    tr_stepLogClose(&local);
  }
  return rc;
}

/* ---- save and load ---- */

char *tr_optimizerSaveJson(const trOptimizer *opt, char *err, size_t errsz) {
  if (!opt) {
    tb_setErr(err, errsz, "tr_optimizerSaveJson: NULL optimizer");
    return NULL;
  }
  cJSON *root = cJSON_CreateObject();
  int ok = root != NULL;
  ok = ok && cJSON_AddStringToObject(root, "format", "tracebot-optimizer");
  ok = ok && cJSON_AddNumberToObject(root, "version", 1);
  ok =
      ok && cJSON_AddStringToObject(root, "kind", opt->opts.kind == TR_OPRO ? "opro" : "optoprime");
  ok = ok && cJSON_AddNumberToObject(root, "iteration", opt->iteration);
  cJSON *params = ok ? cJSON_AddArrayToObject(root, "params") : NULL;
  ok = ok && params;
  for (int i = 0; ok && i < opt->nparams; i++) {
    const trParam *p = opt->params[i];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToArray(params, e);
    ok = e && cJSON_AddStringToObject(e, "name", p->name) &&
         cJSON_AddStringToObject(e, "kind", tr_kindName(p->kind));
    cJSON *v = ok ? tr_paramValueJson(p) : NULL;
    ok = ok && v;
    if (ok) {
      cJSON_AddItemToObject(e, "value", v);
    }
  }
  cJSON *mem = ok ? cJSON_AddArrayToObject(root, "memory") : NULL;
  ok = ok && mem;
  for (int i = 0; ok && i < opt->nmemory; i++) {
    cJSON *m = cJSON_Parse(opt->memory[i]);
    ok = m != NULL;
    if (ok) {
      cJSON_AddItemToArray(mem, m);
    }
  }
  char *s = ok ? cJSON_Print(root) : NULL;
  cJSON_Delete(root);
  if (!s) {
    tb_setErr(err, errsz, "tr_optimizerSaveJson: out of memory");
  }
  return s;
}

/* A staged parameter value for an all-or-nothing load. */
typedef struct staged {
  trParam *p;
  double number;
  double *vec;
  int nvec;
  char *text;
} staged;

int tr_optimizerLoadJson(trOptimizer *opt, const char *json, size_t len, char *err, size_t errsz) {
  if (!opt || (!json && len)) {
    tb_setErr(err, errsz, "tr_optimizerLoadJson: NULL argument");
    return TB_EINVAL;
  }
  if (len > TR_MAX_TEXT_BYTES) {
    tb_setErr(err, errsz, "saved state of %zu bytes is too large", len);
    return TB_EFORMAT;
  }
  char *copy = malloc(len + 1);
  if (!copy) {
    tb_setErr(err, errsz, "out of memory");
    return TB_ENOMEM;
  }
  if (len) {
    memcpy(copy, json, len);
  }
  copy[len] = '\0';
  cJSON *root = cJSON_ParseWithLengthOpts(copy, len, NULL, 0);
  free(copy);
  staged *st = calloc((size_t)(opt->nparams ? opt->nparams : 1), sizeof *st);
  char **lines = NULL;
  int nlines = 0;
  int rc = TB_EFORMAT;
  if (!st) {
    tb_setErr(err, errsz, "out of memory");
    cJSON_Delete(root);
    return TB_ENOMEM;
  }
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
  const cJSON *iter = cJSON_GetObjectItemCaseSensitive(root, "iteration");
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "params");
  const cJSON *mem = cJSON_GetObjectItemCaseSensitive(root, "memory");
  const char *want = opt->opts.kind == TR_OPRO ? "opro" : "optoprime";
  if (!cJSON_IsObject(root) || !cJSON_IsString(fmt) ||
      strcmp(fmt->valuestring, "tracebot-optimizer") != 0) {
    tb_setErr(err, errsz, "not a saved tracebot optimizer state (no \"format\")");
    goto done;
  }
  if (!cJSON_IsString(kind) || strcmp(kind->valuestring, want) != 0) {
    tb_setErr(err, errsz, "saved state is for another optimizer kind (want %s)", want);
    goto done;
  }
  if (!cJSON_IsNumber(iter) || iter->valuedouble < 0 || iter->valuedouble > 1e9) {
    tb_setErr(err, errsz, "saved state: bad \"iteration\"");
    goto done;
  }
  if (!cJSON_IsArray(params) || cJSON_GetArraySize(params) != opt->nparams) {
    tb_setErr(err, errsz, "saved state: \"params\" must list the %d parameters", opt->nparams);
    goto done;
  }
  /* stage every parameter value */
  int i = 0;
  for (const cJSON *e = params->child; e; e = e->next, i++) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "kind");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "value");
    trParam *p = cJSON_IsString(name) ? tr_findParam(opt, name->valuestring) : NULL;
    if (!p || !cJSON_IsString(k) || strcmp(k->valuestring, tr_kindName(p->kind)) != 0 || !v) {
      tb_setErr(err, errsz, "saved state: parameter %d (%.60s) is unknown or of another kind", i,
                cJSON_IsString(name) ? name->valuestring : "?");
      goto done;
    }
    for (int j = 0; j < i; j++) {
      if (st[j].p == p) {
        tb_setErr(err, errsz, "saved state: parameter %s appears twice", p->name);
        goto done;
      }
    }
    st[i].p = p;
    if (p->kind == TR_NUMBER) {
      if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
        tb_setErr(err, errsz, "saved state: %s: value is not a finite number", p->name);
        goto done;
      }
      st[i].number = v->valuedouble;
    } else if (p->kind == TR_VECTOR) {
      int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : -1;
      st[i].vec = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
      if (n < 0 || !st[i].vec) {
        tb_setErr(err, errsz, "saved state: %s: value is not an array", p->name);
        goto done;
      }
      int j = 0;
      for (const cJSON *x = v->child; x; x = x->next, j++) {
        if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble)) {
          tb_setErr(err, errsz, "saved state: %s[%d] is not a finite number", p->name, j);
          goto done;
        }
        st[i].vec[j] = x->valuedouble;
      }
      st[i].nvec = n;
    } else {
      if (!cJSON_IsString(v) || !(st[i].text = dup_str(v->valuestring))) {
        tb_setErr(err, errsz, "saved state: %s: value is not a string", p->name);
        goto done;
      }
    }
  }
  /* stage the memory lines (the newest ones that fit) */
  if (!cJSON_IsArray(mem)) {
    tb_setErr(err, errsz, "saved state: \"memory\" is not an array");
    goto done;
  }
  int nm = cJSON_GetArraySize(mem);
  int limit = memory_limit(opt);
  int skip = limit < 0 ? nm : (limit > 0 && nm > limit ? nm - limit : 0);
  lines = calloc((size_t)(nm ? nm : 1), sizeof *lines);
  if (!lines) {
    tb_setErr(err, errsz, "out of memory");
    rc = TB_ENOMEM;
    goto done;
  }
  i = 0;
  for (const cJSON *m = mem->child; m; m = m->next, i++) {
    if (!cJSON_IsObject(m) || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(m, "variables")) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "feedback"))) {
      tb_setErr(err, errsz, "saved state: memory entry %d is not {variables, feedback}", i);
      goto done;
    }
    if (i >= skip) {
      lines[nlines] = cJSON_PrintUnformatted(m);
      if (!lines[nlines]) {
        tb_setErr(err, errsz, "out of memory");
        rc = TB_ENOMEM;
        goto done;
      }
      nlines++;
    }
  }
  if (nlines > opt->capmemory) {
    char **grown = realloc(opt->memory, sizeof(char *) * (size_t)nlines);
    if (!grown) {
      tb_setErr(err, errsz, "out of memory");
      rc = TB_ENOMEM;
      goto done;
    }
    opt->memory = grown;
    opt->capmemory = nlines;
  }
  /* commit */
  for (int j = 0; j < opt->nparams; j++) {
    trParam *p = st[j].p;
    if (p->kind == TR_NUMBER) {
      p->number = st[j].number;
    } else if (p->kind == TR_VECTOR) {
      free(p->vec);
      p->vec = st[j].vec;
      p->nvec = st[j].nvec;
      st[j].vec = NULL;
    } else {
      free(p->text);
      p->text = st[j].text;
      st[j].text = NULL;
    }
  }
  clear_memory(opt);
  for (int j = 0; j < nlines; j++) {
    opt->memory[j] = lines[j];
    lines[j] = NULL;
  }
  opt->nmemory = nlines;
  opt->iteration = (int)iter->valuedouble;
  rc = 0;

done:
  for (int j = 0; j < opt->nparams; j++) {
    free(st[j].vec);
    free(st[j].text);
  }
  free(st);
  for (int j = 0; lines && j < nlines; j++) {
    free(lines[j]);
  }
  free(lines);
  cJSON_Delete(root);
  return rc;
}
