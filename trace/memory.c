/* The lean memory (TR_MEMORY_LEAN): the remembered (variables, feedback) pairs grouped by
 * value, so that a value is written once with every feedback it received; a code value
 * as a diff against the current one when that is shorter; oldest values left out first
 * when the text would pass the character cap, and the number of attempts left out said. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

/* One distinct value of the variables and what it received. */
typedef struct group {
  const cJSON *vars; /* the "variables" object (points into a parsed memory line) */
  char *key;         /* its compact JSON, the grouping key */
  const char **feedback;
  int *count; /* how many attempts received feedback[i] */
  int nfeedback;
  int attempts;
  int last; /* index of its newest memory line */
} group;

typedef struct groups {
  cJSON **lines; /* the parsed memory lines */
  int nlines;
  group *g;
  int n;
} groups;

static void closeGroups(groups *gs) {
  for (int i = 0; i < gs->n; i++) {
    free(gs->g[i].key);
    free(gs->g[i].feedback);
    free(gs->g[i].count);
  }
  for (int i = 0; i < gs->nlines; i++) {
    cJSON_Delete(gs->lines[i]);
  }
  free(gs->lines);
  free(gs->g);
  memset(gs, 0, sizeof *gs);
}

/* Adds one attempt (vars, feedback) at memory index at. Returns -1 when out of memory. */
static int addAttempt(groups *gs, const cJSON *vars, const char *feedback, int at) {
  char *key = cJSON_PrintUnformatted(vars);
  if (!key) {
    return -1;
  }
  group *g = NULL;
  for (int i = 0; i < gs->n && !g; i++) {
    if (strcmp(gs->g[i].key, key) == 0) {
      g = &gs->g[i];
    }
  }
  if (g) {
    free(key);
  } else {
    g = &gs->g[gs->n++];
    memset(g, 0, sizeof *g);
    g->vars = vars;
    g->key = key;
  }
  g->attempts++;
  g->last = at;
  for (int i = 0; i < g->nfeedback; i++) {
    if (strcmp(g->feedback[i], feedback) == 0) {
      g->count[i]++;
      return 0;
    }
  }
  const char **f = realloc(g->feedback, sizeof *f * (size_t)(g->nfeedback + 1));
  if (f) {
    g->feedback = f;
  }
  int *c = f ? realloc(g->count, sizeof *c * (size_t)(g->nfeedback + 1)) : NULL;
  if (!c) {
    return -1;
  }
  g->count = c;
  g->feedback[g->nfeedback] = feedback;
  g->count[g->nfeedback++] = 1;
  return 0;
}

/* Groups the memory lines (and, when current is not NULL, the current attempt as the
 * newest) by value, ordered by their newest attempt. */
static int makeGroups(const trOptimizer *opt, const cJSON *current, groups *gs) {
  memset(gs, 0, sizeof *gs);
  int cap = opt->nmemory + 1;
  gs->lines = calloc((size_t)cap, sizeof *gs->lines);
  gs->g = calloc((size_t)cap, sizeof *gs->g);
  if (!gs->lines || !gs->g) {
    return -1;
  }
  for (int i = 0; i < opt->nmemory; i++) {
    cJSON *line = cJSON_Parse(opt->memory[i]);
    gs->lines[gs->nlines++] = line;
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(line, "variables");
    const cJSON *fb = cJSON_GetObjectItemCaseSensitive(line, "feedback");
    if (!cJSON_IsObject(vars) || !cJSON_IsString(fb) || addAttempt(gs, vars, fb->valuestring, i)) {
      return -1;
    }
  }
  if (current) {
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(current, "variables");
    const cJSON *fb = cJSON_GetObjectItemCaseSensitive(current, "feedback");
    if (!cJSON_IsObject(vars) || !cJSON_IsString(fb) ||
        addAttempt(gs, vars, fb->valuestring, opt->nmemory)) {
      return -1;
    }
  }
  /* oldest newest-attempt first (insertion sort: a handful of groups) */
  for (int i = 1; i < gs->n; i++) {
    group g = gs->g[i];
    int j = i - 1;
    for (; j >= 0 && gs->g[j].last > g.last; j--) {
      gs->g[j + 1] = gs->g[j];
    }
    gs->g[j + 1] = g;
  }
  return 0;
}

/* ---- a code value as a diff ---- */

/* The lines of s: starts[i] and lens[i] (without the newline). Returns the count or -1. */
static int splitLines(const char *s, const char ***starts, size_t **lens) {
  int n = 1;
  for (const char *c = s; *c; c++) {
    n += *c == '\n' && c[1] != '\0';
  }
  *starts = malloc(sizeof **starts * (size_t)n);
  *lens = malloc(sizeof **lens * (size_t)n);
  if (!*starts || !*lens) {
    return -1;
  }
  int k = 0;
  const char *at = s;
  while (k < n) {
    const char *nl = strchr(at, '\n');
    size_t len = nl ? (size_t)(nl - at) : strlen(at);
    (*starts)[k] = at;
    (*lens)[k++] = len;
    at = nl ? nl + 1 : at + len;
  }
  return n;
}

static int sameLine(const char *a, size_t na, const char *b, size_t nb) {
  return na == nb && memcmp(a, b, na) == 0;
}

/* Appends the one-hunk unified diff from cur to val (the changed middle with up to two
 * lines of context). Returns -1 when out of memory. */
static int putDiff(tbBuf *b, const char *cur, const char *val) {
  const char **cs = NULL;
  const char **vs = NULL;
  size_t *cl = NULL;
  size_t *vl = NULL;
  int nc = splitLines(cur, &cs, &cl);
  int nv = splitLines(val, &vs, &vl);
  int rc = nc < 0 || nv < 0 ? -1 : 0;
  if (rc == 0) {
    int pre = 0;
    while (pre < nc && pre < nv && sameLine(cs[pre], cl[pre], vs[pre], vl[pre])) {
      pre++;
    }
    int suf = 0;
    while (suf < nc - pre && suf < nv - pre &&
           sameLine(cs[nc - 1 - suf], cl[nc - 1 - suf], vs[nv - 1 - suf], vl[nv - 1 - suf])) {
      suf++;
    }
    int before = pre < 2 ? pre : 2;
    int after = suf < 2 ? suf : 2;
    int from = pre - before;
    tb_bufPrintf(b, "@@ -%d,%d +%d,%d @@\n", from + 1, before + (nc - suf - pre) + after, from + 1,
                 before + (nv - suf - pre) + after);
    for (int i = from; i < pre; i++) {
      tb_bufPrintf(b, " %.*s\n", (int)cl[i], cs[i]);
    }
    for (int i = pre; i < nc - suf; i++) {
      tb_bufPrintf(b, "-%.*s\n", (int)cl[i], cs[i]);
    }
    for (int i = pre; i < nv - suf; i++) {
      tb_bufPrintf(b, "+%.*s\n", (int)vl[i], vs[i]);
    }
    for (int i = nc - suf; i < nc - suf + after; i++) {
      tb_bufPrintf(b, " %.*s\n", (int)cl[i], cs[i]);
    }
  }
  free(cs);
  free(vs);
  free(cl);
  free(vl);
  return rc;
}

/* ---- rendering ---- */

/* Appends text and a newline unless it ends in one. */
static void putLine(tbBuf *b, const char *text) {
  tb_bufPuts(b, text);
  if (!*text || text[strlen(text) - 1] != '\n') {
    tb_bufPutc(b, '\n');
  }
}

/* Appends one variable of an earlier value: in full, or for code as a diff against the
 * current value when that is shorter. */
static int putVariable(tbBuf *b, const trOptimizer *opt, const cJSON *v, const cJSON *cur) {
  const trParam *p = tr_findParam(opt, v->string);
  const char *kind = p ? tr_kindName(p->kind) : "text";
  if (cJSON_IsString(v) && p && p->kind == TR_CODE) {
    const char *now = cJSON_IsString(cur) ? cur->valuestring : NULL;
    if (now && strcmp(now, v->valuestring) == 0) {
      tb_bufPrintf(b, "(code) %s: the same as its current value\n", v->string);
      return 0;
    }
    if (now) {
      tbBuf d;
      tb_bufInit(&d, TR_MAX_TEXT_BYTES);
      int rc = putDiff(&d, now, v->valuestring);
      if (rc == 0 && !d.failed && d.len < strlen(v->valuestring)) {
        tb_bufPrintf(b, "(code) %s, as a diff from its current value:\n", v->string);
        tb_bufPutn(b, d.data, d.len);
        tb_bufClose(&d);
        return 0;
      }
      tb_bufClose(&d);
      if (rc != 0) {
        return -1;
      }
    }
    tb_bufPrintf(b, "(code) %s:", v->string);
    putLine(b, v->valuestring);
    return 0;
  }
  char *json = cJSON_IsString(v) ? NULL : cJSON_PrintUnformatted(v);
  const char *text = cJSON_IsString(v) ? v->valuestring : json;
  if (!text) {
    return -1;
  }
  size_t n = strlen(text);
  size_t max = opt->opts.max_value_chars;
  tb_bufPrintf(b, "(%s) %s=", kind, v->string);
  tb_bufPutn(b, text, max && n > max ? max : n);
  if (max && n > max) {
    tb_bufPrintf(b, " ...[shortened: first %zu of %zu characters shown]", max, n);
  }
  tb_bufPutc(b, '\n');
  free(json);
  return 0;
}

/* Appends a group's feedback texts, each once with how many attempts received it. */
static void putFeedback(tbBuf *b, const group *g) {
  for (int i = 0; i < g->nfeedback; i++) {
    if (g->count[i] > 1) {
      tb_bufPrintf(b, "Feedback (%d attempts):\n", g->count[i]);
    } else {
      tb_bufPuts(b, "Feedback:\n");
    }
    putLine(b, g->feedback[i]);
  }
}

/* Appends one group: its values (a reference to the current ones when equal, unless
 * full), then its feedback. */
static int putGroup(tbBuf *b, const trOptimizer *opt, const group *g, const cJSON *currentVars,
                    int isCurrent, int full) {
  const char *times = g->attempts > 1 ? "attempts" : "attempt";
  if (isCurrent && !full) {
    tb_bufPrintf(b, "== the current values, as in #Variables (%d earlier %s) ==\n", g->attempts,
                 times);
    putFeedback(b, g);
    return 0;
  }
  if (isCurrent) {
    tb_bufPrintf(b, "== the current values (%d %s, the latest last) ==\n", g->attempts, times);
  } else {
    tb_bufPrintf(b, "== earlier values (%d %s) ==\n", g->attempts, times);
  }
  for (const cJSON *v = g->vars->child; v; v = v->next) {
    const cJSON *cur = full ? NULL : cJSON_GetObjectItemCaseSensitive(currentVars, v->string);
    if (putVariable(b, opt, v, cur) != 0) {
      return -1;
    }
  }
  putFeedback(b, g);
  return 0;
}

int tr_leanMemory(const trOptimizer *opt, const trSelection *sel, int currentInHistory,
                  tbBuf *out) {
  char *curText = tr_selectionJson(sel);
  cJSON *current = curText ? cJSON_Parse(curText) : NULL;
  free(curText);
  const cJSON *curVars = cJSON_GetObjectItemCaseSensitive(current, "variables");
  groups gs;
  int rc = current && makeGroups(opt, currentInHistory ? current : NULL, &gs) == 0 ? 0 : -1;
  char *curKey = rc == 0 ? cJSON_PrintUnformatted(curVars) : NULL;
  tbBuf *parts = rc == 0 && curKey ? calloc((size_t)(gs.n ? gs.n : 1), sizeof *parts) : NULL;
  if (!parts) {
    rc = -1;
  }
  /* each group's text; in a history, the current one is the newest and always shown */
  int shown = rc == 0 ? gs.n : 0;
  size_t used = 0;
  for (int i = 0; rc == 0 && i < gs.n; i++) {
    int isCurrent = strcmp(gs.g[i].key, curKey) == 0;
    tb_bufInit(&parts[i], TR_MAX_TEXT_BYTES);
    rc = putGroup(&parts[i], opt, &gs.g[i], curVars, isCurrent, currentInHistory && isCurrent);
    if (!(currentInHistory && isCurrent)) {
      used += parts[i].len;
    }
  }
  /* oldest out while over the cap */
  size_t cap = opt->opts.memory_chars;
  int first = 0;
  while (rc == 0 && cap > 0 && used > cap && first < gs.n) {
    if (!(currentInHistory && strcmp(gs.g[first].key, curKey) == 0)) {
      used -= parts[first].len;
      shown -= 1;
    }
    first++;
  }
  /* the attempts shown and left out (every earlier step made one attempt) */
  int attempts = 0;
  for (int i = first; rc == 0 && i < gs.n; i++) {
    attempts += gs.g[i].attempts;
  }
  int earlier = opt->iteration;
  int leftOut = earlier - (currentInHistory ? attempts - 1 : attempts);
  if (rc == 0 && (shown > 0 || leftOut > 0)) {
    tb_bufPuts(out, currentInHistory ? "The attempts so far, oldest first, each value once "
                                       "with every feedback it received."
                                     : "Earlier attempts, oldest first, each value once with "
                                       "every feedback it received.");
    if (leftOut > 0) {
      tb_bufPrintf(out, " %d earlier %s left out.", leftOut,
                   leftOut == 1 ? "attempt is" : "attempts are");
    }
    tb_bufPutc(out, '\n');
    for (int i = first; i < gs.n; i++) {
      tb_bufPutn(out, parts[i].data, parts[i].len);
    }
  }
  for (int i = 0; parts && i < gs.n; i++) {
    tb_bufClose(&parts[i]);
  }
  free(parts);
  free(curKey);
  if (current) {
    closeGroups(&gs);
  }
  cJSON_Delete(current);
  if (rc != 0) {
    out->failed = 1;
    return TB_ENOMEM;
  }
  return 0;
}
