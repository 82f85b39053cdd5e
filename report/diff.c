/* The unified line diff of two controllers (LCS), for report.html (see report.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "tracebot/report.h"

#define DIFF_MAX_LINES 5000

typedef struct lines {
  const char **s;
  size_t *len;
  int n;
} lines;

static int splitLines(const char *text, lines *out) {
  int n = 0;
  for (const char *p = text; *p; p++) {
    n += *p == '\n';
  }
  n += (*text && text[strlen(text) - 1] != '\n');
  out->n = n;
  out->s = malloc(sizeof(char *) * (size_t)(n + 1));
  out->len = malloc(sizeof(size_t) * (size_t)(n + 1));
  if (!out->s || !out->len) {
    return -1;
  }
  int i = 0;
  const char *start = text;
  for (const char *p = text;; p++) {
    if (*p == '\n' || (*p == '\0' && p > start)) {
      out->s[i] = start;
      out->len[i] = (size_t)(p - start);
      i++;
      start = p + 1;
    }
    if (*p == '\0') {
      break;
    }
  }
  out->n = i;
  return 0;
}

static int sameLine(const lines *a, int i, const lines *b, int j) {
  return a->len[i] == b->len[j] && memcmp(a->s[i], b->s[j], a->len[i]) == 0;
}

/* One edit: ' ' keep, '-' delete a[i], '+' insert b[j]. */
typedef struct edit {
  char op;
  int i, j;
} edit;

static void putHunkLine(tbBuf *out, char op, const char *s, size_t n) {
  tb_bufPutc(out, op);
  tb_bufPutn(out, s, n);
  tb_bufPutc(out, '\n');
}

int ag_reportDiff(const char *a, const char *b, const char *a_name, const char *b_name,
                  char **out) {
  if (!a || !b || !out) {
    return TB_EINVAL;
  }
  *out = NULL;
  lines la = {0};
  lines lb = {0};
  tbBuf res;
  edit *ed = NULL;
  unsigned *tab = NULL;
  int rc = TB_ENOMEM;
  if (splitLines(a, &la) != 0 || splitLines(b, &lb) != 0) {
    tb_bufInit(&res, 0);
    goto done;
  }
  /* each line at most once, with its op and newline, plus the headers */
  tb_bufInit(&res, strlen(a) + strlen(b) + 64 * ((size_t)la.n + (size_t)lb.n) +
                       (a_name ? strlen(a_name) : 1) + (b_name ? strlen(b_name) : 1) + 256);
  if (la.n > DIFF_MAX_LINES || lb.n > DIFF_MAX_LINES) {
    tb_bufPrintf(&res, "(controllers of %d and %d lines: too long to diff)\n", la.n, lb.n);
    rc = res.failed ? TB_ENOMEM : TB_OK;
    goto done;
  }
  /* LCS lengths of suffixes: tab[i][j] for a[i..], b[j..] */
  size_t w = (size_t)lb.n + 1;
  tab = calloc(((size_t)la.n + 1) * w, sizeof(unsigned));
  ed = malloc(sizeof(edit) * (size_t)(la.n + lb.n + 1));
  if (!tab || !ed) {
    goto done;
  }
  for (int i = la.n - 1; i >= 0; i--) {
    for (int j = lb.n - 1; j >= 0; j--) {
      unsigned down = tab[(size_t)(i + 1) * w + (size_t)j];
      unsigned right = tab[(size_t)i * w + (size_t)j + 1];
      tab[(size_t)i * w + (size_t)j] = sameLine(&la, i, &lb, j)
                                           ? tab[(size_t)(i + 1) * w + (size_t)j + 1] + 1
                                           : (down >= right ? down : right);
    }
  }
  /* walk the table into an edit script */
  int ne = 0;
  int i = 0;
  int j = 0;
  while (i < la.n || j < lb.n) {
    if (i < la.n && j < lb.n && sameLine(&la, i, &lb, j)) {
      ed[ne++] = (edit){' ', i++, j++};
    } else if (i < la.n && (j == lb.n || tab[(size_t)(i + 1) * w + (size_t)j] >=
                                             tab[(size_t)i * w + (size_t)j + 1])) {
      ed[ne++] = (edit){'-', i++, j}; /* deletions before insertions */
    } else {
      ed[ne++] = (edit){'+', i, j++};
    }
  }
  /* group changes into hunks: 3 lines of context, merging changes <= 6 lines apart */
  int any = 0;
  for (int e = 0; e < ne; e++) {
    any |= ed[e].op != ' ';
  }
  if (any) {
    tb_bufPrintf(&res, "--- %s\n+++ %s\n", a_name ? a_name : "a", b_name ? b_name : "b");
  }
  int e = 0;
  int prevEnd = 0;
  while (e < ne) {
    while (e < ne && ed[e].op == ' ') {
      e++;
    }
    if (e >= ne) {
      break;
    }
    int start = e - 3 > prevEnd ? e - 3 : prevEnd;
    int last = e;
    int k = e;
    while (k < ne) {
      if (ed[k].op != ' ') {
        last = k++;
        continue;
      }
      int run = k;
      while (run < ne && ed[run].op == ' ') {
        run++;
      }
      if (run < ne && run - k <= 6) {
        k = run;
        continue;
      }
      break;
    }
    int end = last + 4 < ne ? last + 4 : ne;
    int acount = 0;
    int bcount = 0;
    for (int q = start; q < end; q++) {
      acount += ed[q].op != '+';
      bcount += ed[q].op != '-';
    }
    int astart = ed[start].i + (acount > 0);
    int bstart = ed[start].j + (bcount > 0);
    tb_bufPrintf(&res, "@@ -%d,%d +%d,%d @@\n", astart, acount, bstart, bcount);
    for (int q = start; q < end; q++) {
      if (ed[q].op == '+') {
        putHunkLine(&res, '+', lb.s[ed[q].j], lb.len[ed[q].j]);
      } else {
        putHunkLine(&res, ed[q].op, la.s[ed[q].i], la.len[ed[q].i]);
      }
    }
    e = end;
    prevEnd = end;
  }
  rc = res.failed ? TB_ENOMEM : TB_OK;
done:
  free(la.s);
  free(la.len);
  free(lb.s);
  free(lb.len);
  free(tab);
  free(ed);
  *out = rc == TB_OK ? tb_bufTake(&res) : NULL;
  tb_bufClose(&res);
  return *out != NULL ? TB_OK : TB_ENOMEM;
}
