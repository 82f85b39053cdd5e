/* report.c: learning-curve figure (cairo, PNG + SVG) and self-contained report.html
 * of a run directory (see report.h). */
#include "tracebot/report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairo-svg.h>
#include <cairo.h>
#include <cjson/cJSON.h>

#include "base.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define DIFF_MAX_LINES 5000
#define SMALL_FILE_MAX (4u << 20) /* config.json, summary.json, the SVG */

/* ---- a growing string; the first failure sticks ---- */

typedef struct sbuf {
  char *p;
  size_t len, cap;
  int failed;
} sbuf;

static void sbPutN(sbuf *b, const char *s, size_t n) {
  if (b->failed) {
    return;
  }
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) {
      cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
      b->failed = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void sbPut(sbuf *b, const char *s) {
  sbPutN(b, s, strlen(s));
}

static void sbPrintf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sbPrintf(sbuf *b, const char *fmt, ...) {
  char small[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof(small), fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = 1;
    return;
  }
  if ((size_t)n < sizeof(small)) {
    sbPutN(b, small, (size_t)n);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) {
    b->failed = 1;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  sbPutN(b, big, (size_t)n);
  free(big);
}

/* HTML-escapes s (text and attribute safe). */
static void sbPutHtml(sbuf *b, const char *s) {
  const char *run = s;
  for (; *s; s++) {
    const char *rep = NULL;
    switch (*s) {
      case '&':
        rep = "&amp;";
        break;
      case '<':
        rep = "&lt;";
        break;
      case '>':
        rep = "&gt;";
        break;
      case '"':
        rep = "&quot;";
        break;
      case '\'':
        rep = "&#39;";
        break;
      default:
        break;
    }
    if (rep) {
      sbPutN(b, run, (size_t)(s - run));
      sbPut(b, rep);
      run = s + 1;
    }
  }
  sbPutN(b, run, (size_t)(s - run));
}

static void sbPutBase64(sbuf *b, const unsigned char *d, size_t n) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char quad[4];
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)d[i] << 16;
    if (i + 1 < n) {
      v |= (unsigned)d[i + 1] << 8;
    }
    if (i + 2 < n) {
      v |= d[i + 2];
    }
    quad[0] = tab[(v >> 18) & 63];
    quad[1] = tab[(v >> 12) & 63];
    quad[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
    quad[3] = i + 2 < n ? tab[v & 63] : '=';
    sbPutN(b, quad, 4);
  }
}

/* ---- files ---- */

/* Reads a whole file (at most cap bytes) into a NUL-terminated buffer. */
static char *readFile(const char *path, size_t cap, size_t *len, char *err, size_t errsz) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    tb_setErr(err, errsz, "cannot open %s: %s", path, strerror(errno));
    return NULL;
  }
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > cap) {
    tb_setErr(err, errsz, "%s: not a regular file or larger than %zu bytes", path, cap);
    fclose(f);
    return NULL;
  }
  size_t n = (size_t)st.st_size;
  char *buf = malloc(n + 1);
  if (!buf) {
    tb_setErr(err, errsz, "%s: out of memory", path);
    fclose(f);
    return NULL;
  }
  size_t got = fread(buf, 1, n, f);
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    tb_setErr(err, errsz, "cannot read %s", path);
    free(buf);
    return NULL;
  }
  buf[got] = '\0';
  if (len) {
    *len = got;
  }
  return buf;
}

static int writeFileAtomic(const char *path, const char *data, size_t n, char *err, size_t errsz) {
  size_t plen = strlen(path);
  char *tmp = malloc(plen + 8);
  if (!tmp) {
    tb_setErr(err, errsz, "out of memory");
    return TB_ENOMEM;
  }
  snprintf(tmp, plen + 8, "%s.tmp", path);
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    tb_setErr(err, errsz, "cannot write %s: %s", tmp, strerror(errno));
    free(tmp);
    return TB_EIO;
  }
  int bad = fwrite(data, 1, n, f) != n;
  bad |= fclose(f) != 0;
  if (bad || rename(tmp, path) != 0) {
    tb_setErr(err, errsz, "cannot write %s: %s", path, strerror(errno));
    unlink(tmp);
    free(tmp);
    return TB_EIO;
  }
  free(tmp);
  return 0;
}

static char *joinPath(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p) {
    snprintf(p, n, "%s/%s", dir, name);
  }
  return p;
}

/* ---- the iterations ---- */

typedef struct iterRow {
  int iteration;
  int has_train, train_success, train_steps;
  double train_return;
  char *train_fault; /* "kind: message (step k)" or NULL */
  int has_test;
  double test_rate, test_mean_return;
  char *feedback, *controller, *next_controller, *outcome, *reason, *episode;
  int has_tokens, tokens_estimated;
  double prompt_tokens, completion_tokens;
  int has_latency;
  double latency;
} iterRow;

static void freeRow(iterRow *r) {
  free(r->train_fault);
  free(r->feedback);
  free(r->controller);
  free(r->next_controller);
  free(r->outcome);
  free(r->reason);
  free(r->episode);
}

typedef struct lineParser {
  int line;
  char *err;
  size_t errsz;
  int failed;
} lineParser;

static void lfail(lineParser *p, const char *key, const char *what) {
  if (!p->failed) {
    tb_setErr(p->err, p->errsz, "iterations.jsonl line %d: %s: %s", p->line, key, what);
    p->failed = 1;
  }
}

/* Optional string member (NULL when absent or null); a non-string is an error. */
static char *optString(lineParser *p, const cJSON *obj, const char *key) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!it || cJSON_IsNull(it)) {
    return NULL;
  }
  if (!cJSON_IsString(it) || !it->valuestring) {
    lfail(p, key, "expected a string");
    return NULL;
  }
  char *s = strdup(it->valuestring);
  if (!s) {
    lfail(p, key, "out of memory");
  }
  return s;
}

/* Optional finite number member: returns 1 and sets *v when present. */
static int optNumber(lineParser *p, const cJSON *obj, const char *key, double *v) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!it || cJSON_IsNull(it)) {
    return 0;
  }
  if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble)) {
    lfail(p, key, "expected a finite number");
    return 0;
  }
  *v = it->valuedouble;
  return 1;
}

static int optBool(lineParser *p, const cJSON *obj, const char *key, int *v) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!it || cJSON_IsNull(it)) {
    return 0;
  }
  if (!cJSON_IsBool(it)) {
    lfail(p, key, "expected true or false");
    return 0;
  }
  *v = cJSON_IsTrue(it) ? 1 : 0;
  return 1;
}

static const cJSON *optObject(lineParser *p, const cJSON *obj, const char *key) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!it || cJSON_IsNull(it)) {
    return NULL;
  }
  if (!cJSON_IsObject(it)) {
    lfail(p, key, "expected an object");
    return NULL;
  }
  return it;
}

static void parseRow(lineParser *p, const cJSON *o, iterRow *r) {
  double v = 0;
  if (!cJSON_IsObject(o)) {
    lfail(p, "line", "expected a JSON object");
    return;
  }
  if (!optNumber(p, o, "iteration", &v) || v != floor(v) || v < 0 || v > AG_REPORT_MAX_ITERS) {
    lfail(p, "iteration", "expected an integer");
    return;
  }
  r->iteration = (int)v;
  const cJSON *train = optObject(p, o, "train");
  if (train) {
    r->has_train = 1;
    optBool(p, train, "success", &r->train_success);
    optNumber(p, train, "return", &r->train_return);
    if (optNumber(p, train, "steps", &v)) {
      r->train_steps = (int)v;
    }
    const cJSON *fault = optObject(p, train, "fault");
    if (fault) {
      char *kind = optString(p, fault, "kind");
      char *msg = optString(p, fault, "message");
      double step = -1;
      optNumber(p, fault, "step", &step);
      size_t n = (kind ? strlen(kind) : 0) + (msg ? strlen(msg) : 0) + 48;
      r->train_fault = malloc(n);
      if (r->train_fault) {
        snprintf(r->train_fault, n, "%s: %s (step %.0f)", kind ? kind : "fault", msg ? msg : "",
                 step);
      }
      free(kind);
      free(msg);
    }
  }
  const cJSON *test = optObject(p, o, "test");
  if (test) {
    r->has_test = optNumber(p, test, "success_rate", &r->test_rate);
    optNumber(p, test, "mean_return", &r->test_mean_return);
  }
  const cJSON *update = optObject(p, o, "update");
  if (update) {
    r->outcome = optString(p, update, "outcome");
    r->reason = optString(p, update, "reason");
  }
  r->feedback = optString(p, o, "feedback");
  r->controller = optString(p, o, "controller");
  r->next_controller = optString(p, o, "next_controller");
  r->episode = optString(p, o, "episode");
  r->has_tokens = optNumber(p, o, "prompt_tokens", &r->prompt_tokens);
  r->has_tokens |= optNumber(p, o, "completion_tokens", &r->completion_tokens);
  optBool(p, o, "tokens_estimated", &r->tokens_estimated);
  r->has_latency = optNumber(p, o, "latency_s", &r->latency);
}

/* Parses iterations.jsonl; an unterminated last line is skipped (a write in progress). */
static int readIterations(const char *dir, iterRow **rowsOut, int *nOut, int *skipped, char *err,
                          size_t errsz) {
  char *path = joinPath(dir, "iterations.jsonl");
  if (!path) {
    tb_setErr(err, errsz, "out of memory");
    return TB_ENOMEM;
  }
  size_t len = 0;
  char *text = readFile(path, AG_REPORT_FILE_MAX, &len, err, errsz);
  free(path);
  if (!text) {
    return TB_EIO;
  }
  iterRow *rows = NULL;
  int n = 0;
  int cap = 0;
  lineParser p = {0, err, errsz, 0};
  *skipped = 0;
  char *line = text;
  while (!p.failed && line < text + len) {
    char *nl = memchr(line, '\n', (size_t)(text + len - line));
    p.line++;
    if (!nl) {
      *skipped = 1; /* partial last line */
      break;
    }
    size_t ll = (size_t)(nl - line);
    int blank = 1;
    for (size_t i = 0; i < ll; i++) {
      blank &= line[i] == ' ' || line[i] == '\t' || line[i] == '\r';
    }
    if (!blank) {
      cJSON *o = cJSON_ParseWithLengthOpts(line, ll, NULL, 0);
      if (!o) {
        lfail(&p, "line", "not valid JSON");
        break;
      }
      if (n == cap) {
        int ncap = cap ? cap * 2 : 16;
        iterRow *nr =
            ncap <= AG_REPORT_MAX_ITERS ? realloc(rows, sizeof(*nr) * (size_t)ncap) : NULL;
        if (!nr) {
          cJSON_Delete(o);
          lfail(&p, "line", "too many iterations or out of memory");
          break;
        }
        rows = nr;
        cap = ncap;
      }
      memset(&rows[n], 0, sizeof(rows[n]));
      parseRow(&p, o, &rows[n]);
      n++;
      cJSON_Delete(o);
    }
    line = nl + 1;
  }
  free(text);
  if (p.failed) {
    for (int i = 0; i < n; i++) {
      freeRow(&rows[i]);
    }
    free(rows);
    return TB_EFORMAT;
  }
  *rowsOut = rows;
  *nOut = n;
  return 0;
}

/* ---- line diff (LCS) ---- */

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

static void putHunkLine(sbuf *out, char op, const char *s, size_t n) {
  sbPutN(out, &op, 1);
  sbPutN(out, s, n);
  sbPut(out, "\n");
}

int ag_reportDiff(const char *a, const char *b, const char *a_name, const char *b_name,
                  char **out) {
  if (!a || !b || !out) {
    return TB_EINVAL;
  }
  *out = NULL;
  lines la = {0};
  lines lb = {0};
  sbuf res = {0};
  edit *ed = NULL;
  unsigned *tab = NULL;
  int rc = TB_ENOMEM;
  if (splitLines(a, &la) != 0 || splitLines(b, &lb) != 0) {
    goto done;
  }
  if (la.n > DIFF_MAX_LINES || lb.n > DIFF_MAX_LINES) {
    sbPrintf(&res, "(controllers of %d and %d lines: too long to diff)\n", la.n, lb.n);
    rc = res.failed ? TB_ENOMEM : 0;
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
    sbPrintf(&res, "--- %s\n+++ %s\n", a_name ? a_name : "a", b_name ? b_name : "b");
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
    sbPrintf(&res, "@@ -%d,%d +%d,%d @@\n", astart, acount, bstart, bcount);
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
  rc = res.failed ? TB_ENOMEM : 0;
done:
  free(la.s);
  free(la.len);
  free(lb.s);
  free(lb.len);
  free(tab);
  free(ed);
  if (rc == 0) {
    if (!res.p) {
      res.p = calloc(1, 1);
      if (!res.p) {
        return TB_ENOMEM;
      }
    }
    *out = res.p;
  } else {
    free(res.p);
  }
  return rc;
}

/* ---- the figure ---- */

typedef struct rgbColor {
  double r, g, b;
} rgbColor;

static const rgbColor kTest = {0.12, 0.47, 0.71};    /* test success rate: blue */
static const rgbColor kReturn = {0.85, 0.37, 0.0};   /* train return: orange */
static const rgbColor kSuccess = {0.17, 0.63, 0.17}; /* train success: green */
static const rgbColor kFail = {0.55, 0.55, 0.55};    /* train failure: grey */

static void setColor(cairo_t *cr, rgbColor c) {
  cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

static double niceCeil(double v) {
  if (!(v > 0)) {
    return 1;
  }
  double e = pow(10, floor(log10(v)));
  const double steps[] = {1, 2, 2.5, 5, 10};
  for (int i = 0; i < 5; i++) {
    if (steps[i] * e >= v) {
      return steps[i] * e;
    }
  }
  return 10 * e;
}

static void text(cairo_t *cr, double x, double y, const char *s, double ax, double ay) {
  cairo_text_extents_t ext;
  cairo_text_extents(cr, s, &ext);
  cairo_move_to(cr, x - ax * ext.width - ext.x_bearing, y - ay * ext.height - ext.y_bearing);
  cairo_show_text(cr, s);
}

static void drawCurve(cairo_t *cr, int W, int H, const iterRow *rows, int n, const char *title) {
  const double L = 70;
  const double R = 80;
  const double T = 56;
  const double B = 60;
  double pw = W - L - R;
  double ph = H - T - B;
  int maxIter = 1;
  double maxRet = 0;
  for (int i = 0; i < n; i++) {
    maxIter = rows[i].iteration > maxIter ? rows[i].iteration : maxIter;
    if (rows[i].has_train && rows[i].train_return > maxRet) {
      maxRet = rows[i].train_return;
    }
  }
  maxRet = niceCeil(maxRet);
  double x0 = 0.5;
  double x1 = maxIter + 0.5;
#define PX(it) (L + ((it)-x0) / (x1 - x0) * pw)
#define PY(v) (T + ph - (v)*ph)
  /* background */
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  /* grid and left axis ticks (success in [0, 1]) */
  cairo_set_font_size(cr, 12);
  cairo_set_line_width(cr, 1);
  char label[64];
  for (int k = 0; k <= 4; k++) {
    double v = k / 4.0;
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, L, PY(v));
    cairo_line_to(cr, L + pw, PY(v));
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    snprintf(label, sizeof(label), "%.2f", v);
    text(cr, L - 8, PY(v), label, 1, 0.5);
    snprintf(label, sizeof(label), "%g", v * maxRet);
    setColor(cr, kReturn);
    text(cr, L + pw + 8, PY(v), label, 0, 0.5);
  }
  /* x ticks: at most about 20 labels */
  int every = maxIter <= 20 ? 1 : (int)ceil(maxIter / 20.0);
  cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
  for (int it = 1; it <= maxIter; it += every) {
    cairo_move_to(cr, PX(it), T + ph);
    cairo_line_to(cr, PX(it), T + ph + 5);
    cairo_stroke(cr);
    snprintf(label, sizeof(label), "%d", it);
    text(cr, PX(it), T + ph + 9, label, 0.5, 0);
  }
  /* frame */
  cairo_set_line_width(cr, 1.2);
  cairo_rectangle(cr, L, T, pw, ph);
  cairo_stroke(cr);
  /* axis labels and title */
  cairo_set_font_size(cr, 14);
  text(cr, L + pw / 2, H - 18, "iteration", 0.5, 0.5);
  cairo_save(cr);
  cairo_translate(cr, 20, T + ph / 2);
  cairo_rotate(cr, -M_PI / 2);
  text(cr, 0, 0, "success / test success rate", 0.5, 0.5);
  cairo_restore(cr);
  cairo_save(cr);
  cairo_translate(cr, W - 18, T + ph / 2);
  cairo_rotate(cr, M_PI / 2);
  setColor(cr, kReturn);
  text(cr, 0, 0, "train return", 0.5, 0.5);
  cairo_restore(cr);
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size(cr, 16);
  text(cr, L + pw / 2, 22, title, 0.5, 0.5);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  /* train return: line + squares on the right scale */
  cairo_set_line_width(cr, 2);
  setColor(cr, kReturn);
  int started = 0;
  for (int i = 0; i < n; i++) {
    if (!rows[i].has_train) {
      continue;
    }
    double x = PX(rows[i].iteration);
    double y = PY(rows[i].train_return / maxRet);
    if (started) {
      cairo_line_to(cr, x, y);
    } else {
      cairo_move_to(cr, x, y);
      started = 1;
    }
  }
  cairo_stroke(cr);
  for (int i = 0; i < n; i++) {
    if (rows[i].has_train) {
      cairo_rectangle(cr, PX(rows[i].iteration) - 3.5, PY(rows[i].train_return / maxRet) - 3.5, 7,
                      7);
      cairo_fill(cr);
    }
  }
  /* test success rate: thick line + dots */
  cairo_set_line_width(cr, 3);
  setColor(cr, kTest);
  started = 0;
  for (int i = 0; i < n; i++) {
    if (!rows[i].has_test) {
      continue;
    }
    double x = PX(rows[i].iteration);
    double y = PY(rows[i].test_rate);
    if (started) {
      cairo_line_to(cr, x, y);
    } else {
      cairo_move_to(cr, x, y);
      started = 1;
    }
  }
  cairo_stroke(cr);
  for (int i = 0; i < n; i++) {
    if (rows[i].has_test) {
      cairo_arc(cr, PX(rows[i].iteration), PY(rows[i].test_rate), 4.5, 0, 2 * M_PI);
      cairo_fill(cr);
    }
  }
  /* train success: filled green at 1, hollow grey at 0 */
  cairo_set_line_width(cr, 2);
  for (int i = 0; i < n; i++) {
    if (!rows[i].has_train) {
      continue;
    }
    double x = PX(rows[i].iteration);
    cairo_new_sub_path(cr);
    cairo_arc(cr, x, PY(rows[i].train_success ? 1.0 : 0.0), 6, 0, 2 * M_PI);
    if (rows[i].train_success) {
      setColor(cr, kSuccess);
      cairo_fill(cr);
    } else {
      setColor(cr, kFail);
      cairo_stroke(cr);
    }
  }
  /* legend: one row between the title and the plot, so it never hides a curve */
  cairo_set_font_size(cr, 12);
  const char *names[] = {"test success rate", "train return", "train success (1) / failure (0)"};
  const rgbColor cols[] = {kTest, kReturn, kSuccess};
  double lx = L;
  double ly = T - 14;
  for (int k = 0; k < 3; k++) {
    setColor(cr, cols[k]);
    cairo_rectangle(cr, lx, ly - 5, 18, 10);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    text(cr, lx + 24, ly, names[k], 0, 0.5);
    cairo_text_extents_t ext;
    cairo_text_extents(cr, names[k], &ext);
    lx += 24 + ext.x_advance + 28;
  }
#undef PX
#undef PY
}

static int writeFigures(const char *dir, int W, int H, const iterRow *rows, int n,
                        const char *title, char *err, size_t errsz) {
  char *png = joinPath(dir, "learning_curve.png");
  char *pngTmp = joinPath(dir, "learning_curve.png.tmp");
  char *svg = joinPath(dir, "learning_curve.svg");
  char *svgTmp = joinPath(dir, "learning_curve.svg.tmp");
  int rc = 0;
  if (!png || !pngTmp || !svg || !svgTmp) {
    tb_setErr(err, errsz, "out of memory");
    rc = TB_ENOMEM;
    goto done;
  }
  /* PNG */
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
  cairo_t *cr = cairo_create(s);
  drawCurve(cr, W, H, rows, n, title);
  cairo_status_t st = cairo_status(cr);
  cairo_destroy(cr);
  if (st == CAIRO_STATUS_SUCCESS) {
    st = cairo_surface_write_to_png(s, pngTmp);
  }
  cairo_surface_destroy(s);
  if (st != CAIRO_STATUS_SUCCESS || rename(pngTmp, png) != 0) {
    tb_setErr(err, errsz, "cannot write %s: %s", png, cairo_status_to_string(st));
    unlink(pngTmp);
    rc = st == CAIRO_STATUS_WRITE_ERROR ? TB_EIO : TB_EDRAW;
    goto done;
  }
  /* SVG */
  s = cairo_svg_surface_create(svgTmp, W, H);
  cr = cairo_create(s);
  drawCurve(cr, W, H, rows, n, title);
  st = cairo_status(cr);
  cairo_destroy(cr);
  cairo_surface_finish(s);
  if (st == CAIRO_STATUS_SUCCESS) {
    st = cairo_surface_status(s);
  }
  cairo_surface_destroy(s);
  if (st != CAIRO_STATUS_SUCCESS || rename(svgTmp, svg) != 0) {
    tb_setErr(err, errsz, "cannot write %s: %s", svg, cairo_status_to_string(st));
    unlink(svgTmp);
    rc = st == CAIRO_STATUS_WRITE_ERROR ? TB_EIO : TB_EDRAW;
  }
done:
  free(png);
  free(pngTmp);
  free(svg);
  free(svgTmp);
  return rc;
}

/* ---- the HTML ---- */

static const char *kStyle =
    "body{font-family:'DejaVu Sans',Arial,sans-serif;margin:24px auto;max-width:1100px;"
    "color:#222;background:#fafafa}"
    "h1{font-size:26px;margin-bottom:4px}h2{margin-top:32px;border-bottom:2px solid #ddd}"
    "h3{margin:0 0 8px 0}h4{margin:12px 0 4px 0;font-size:14px;color:#555}"
    "section.iter{background:#fff;border:1px solid #ddd;border-radius:6px;padding:14px 18px;"
    "margin:16px 0}"
    "table.kv{border-collapse:collapse;font-size:14px}"
    "table.kv td{padding:2px 14px 2px 0;vertical-align:top}table.kv td:first-child{color:#666}"
    "pre{background:#f4f4f4;border:1px solid #e4e4e4;padding:8px;overflow-x:auto;font-size:12px;"
    "white-space:pre-wrap}"
    "pre.diff .add{background:#e6ffec;color:#116329;display:block}"
    "pre.diff .del{background:#ffebe9;color:#82071e;display:block}"
    "pre.diff .hunk{color:#0550ae;display:block}"
    ".ok{color:#1a7f37;font-weight:bold}.bad{color:#b3261e;font-weight:bold}"
    ".strip img{width:164px;margin:2px;border:1px solid #ccc}"
    ".note{color:#777;font-style:italic}figure{margin:0;background:#fff;"
    "border:1px solid #ddd;border-radius:6px;padding:8px}figure svg{width:100%;height:auto}";

/* Rows of a JSON object's scalar members as a two-column table. */
static void putScalarTable(sbuf *b, const cJSON *obj) {
  sbPut(b, "<table class=\"kv\">");
  const cJSON *it;
  cJSON_ArrayForEach(it, obj) {
    char num[64];
    const char *val = NULL;
    if (cJSON_IsString(it)) {
      val = it->valuestring;
    } else if (cJSON_IsNumber(it)) {
      snprintf(num, sizeof(num), "%.6g", it->valuedouble);
      val = num;
    } else if (cJSON_IsBool(it)) {
      val = cJSON_IsTrue(it) ? "true" : "false";
    } else if (cJSON_IsArray(it) && it->string && strcmp(it->string, "argv") == 0) {
      sbPut(b, "<tr><td>argv</td><td><code>");
      const cJSON *a;
      cJSON_ArrayForEach(a, it) {
        if (cJSON_IsString(a)) {
          sbPutHtml(b, a->valuestring);
          sbPut(b, " ");
        }
      }
      sbPut(b, "</code></td></tr>");
      continue;
    }
    if (val && it->string) {
      sbPut(b, "<tr><td>");
      sbPutHtml(b, it->string);
      sbPut(b, "</td><td>");
      sbPutHtml(b, val);
      sbPut(b, "</td></tr>");
    }
  }
  sbPut(b, "</table>");
}

/* Loads an optional small JSON object file of the run directory (NULL if absent or bad). */
static cJSON *loadJson(const char *dir, const char *name) {
  char *path = joinPath(dir, name);
  if (!path) {
    return NULL;
  }
  size_t len = 0;
  char *text = readFile(path, SMALL_FILE_MAX, &len, NULL, 0);
  free(path);
  if (!text) {
    return NULL;
  }
  cJSON *o = cJSON_ParseWithLengthOpts(text, len, NULL, 0);
  free(text);
  if (o && !cJSON_IsObject(o)) {
    cJSON_Delete(o);
    o = NULL;
  }
  return o;
}

static void putDiff(sbuf *b, const iterRow *r) {
  if (!r->controller || !r->next_controller) {
    sbPut(b, "<p class=\"note\">no controller recorded</p>");
    return;
  }
  char *diff = NULL;
  if (ag_reportDiff(r->controller, r->next_controller, "controller", "next_controller", &diff) !=
      0) {
    b->failed = 1;
    return;
  }
  if (!diff[0]) {
    sbPut(b, "<p class=\"note\">unchanged</p>");
    free(diff);
    return;
  }
  sbPut(b, "<pre class=\"diff\">");
  const char *line = diff;
  while (*line) {
    const char *nl = strchr(line, '\n');
    size_t n = nl ? (size_t)(nl - line) : strlen(line);
    const char *cls = NULL;
    if (n >= 2 && line[0] == '@' && line[1] == '@') {
      cls = "hunk";
    } else if (line[0] == '+' && !(n >= 3 && strncmp(line, "+++", 3) == 0)) {
      cls = "add";
    } else if (line[0] == '-' && !(n >= 3 && strncmp(line, "---", 3) == 0)) {
      cls = "del";
    }
    char *one = strndup(line, n);
    if (!one) {
      b->failed = 1;
      break;
    }
    if (cls) {
      sbPrintf(b, "<span class=\"%s\">", cls);
      sbPutHtml(b, one);
      sbPut(b, "</span>");
    } else {
      sbPutHtml(b, one);
      sbPut(b, "\n");
    }
    free(one);
    line += n + (nl ? 1 : 0);
  }
  sbPut(b, "</pre>");
  free(diff);
}

static int putStrip(sbuf *b, const char *dir, const iterRow *r, const agReportOptions *o) {
  if (!r->episode) {
    sbPut(b, "<p class=\"note\">no episode recorded</p>");
    return 0;
  }
  char *path = joinPath(dir, r->episode);
  if (!path) {
    b->failed = 1;
    return 0;
  }
  if (strstr(r->episode, "..") || access(path, R_OK) != 0) {
    sbPut(b, "<p class=\"note\">episode file ");
    sbPutHtml(b, r->episode);
    sbPut(b, " not found</p>");
    free(path);
    return 0;
  }
  if (!o->strip) {
    sbPut(b, "<p class=\"note\">episode ");
    sbPutHtml(b, r->episode);
    sbPut(b,
          ": no renderer in this build (frames not drawn); "
          "see <code>tracebot replay</code></p>");
    free(path);
    return 0;
  }
  int max = o->strip_frames > 0 ? o->strip_frames : 6;
  agReportImage *frames = calloc((size_t)max, sizeof(*frames));
  int nframes = 0;
  char why[256] = "";
  int ok = frames && o->strip(o->strip_user, path, max, frames, &nframes, why, sizeof(why)) == 0;
  free(path);
  if (!ok) {
    sbPut(b, "<p class=\"note\">episode frames not rendered: ");
    sbPutHtml(b, why[0] ? why : "renderer failed");
    sbPut(b, "</p>");
    free(frames);
    return 0;
  }
  sbPut(b, "<div class=\"strip\">");
  for (int i = 0; i < nframes && i < max; i++) {
    sbPrintf(b, "<img alt=\"frame %d\" src=\"data:image/png;base64,", i);
    sbPutBase64(b, frames[i].data, frames[i].len);
    sbPut(b, "\">");
  }
  sbPut(b, "</div>");
  for (int i = 0; i < max; i++) {
    free(frames[i].data);
  }
  free(frames);
  return nframes > 0;
}

static void putIteration(sbuf *b, const char *dir, const iterRow *r, const agReportOptions *o,
                         int *strips) {
  sbPrintf(b, "<section class=\"iter\" id=\"iter-%d\"><h3>Iteration %d</h3>", r->iteration,
           r->iteration);
  sbPut(b, "<table class=\"kv\">");
  if (r->has_train) {
    sbPrintf(b,
             "<tr><td>train episode</td><td><span class=\"%s\">%s</span>, return %.3f, "
             "%d steps",
             r->train_success ? "ok" : "bad", r->train_success ? "success" : "failure",
             r->train_return, r->train_steps);
    if (r->train_fault) {
      sbPut(b, ", fault <span class=\"bad\">");
      sbPutHtml(b, r->train_fault);
      sbPut(b, "</span>");
    }
    sbPut(b, "</td></tr>");
  }
  if (r->has_test) {
    sbPrintf(b,
             "<tr><td>test (next controller)</td><td>success rate %.3f, mean return %.3f"
             "</td></tr>",
             r->test_rate, r->test_mean_return);
  }
  sbPut(b, "<tr><td>update</td><td>");
  sbPutHtml(b, r->outcome ? r->outcome : "?");
  if (r->reason && r->reason[0]) {
    sbPut(b, ": ");
    sbPutHtml(b, r->reason);
  }
  sbPut(b, "</td></tr>");
  if (r->has_tokens) {
    sbPrintf(b, "<tr><td>tokens</td><td>%.0f prompt + %.0f completion%s</td></tr>",
             r->prompt_tokens, r->completion_tokens, r->tokens_estimated ? " (estimated)" : "");
  }
  if (r->has_latency) {
    sbPrintf(b, "<tr><td>LLM latency</td><td>%.2f s</td></tr>", r->latency);
  }
  sbPut(b, "</table><h4>Feedback</h4><pre>");
  sbPutHtml(b, r->feedback ? r->feedback : "");
  sbPut(b, "</pre><h4>Controller diff (next_controller vs controller)</h4>");
  putDiff(b, r);
  sbPut(b, "<h4>Training episode</h4>");
  *strips += putStrip(b, dir, r, o);
  sbPut(b, "</section>\n");
}

void ag_defaultReportOptions(agReportOptions *opts) {
  memset(opts, 0, sizeof(*opts));
  opts->strip_frames = 6;
  opts->width = 900;
  opts->height = 500;
}

int ag_report(const char *dir, const agReportOptions *optsIn, agReportResult *result, char *err,
              size_t errsz) {
  if (!dir) {
    tb_setErr(err, errsz, "report: NULL directory");
    return TB_EINVAL;
  }
  agReportOptions opts;
  if (optsIn) {
    opts = *optsIn;
  } else {
    ag_defaultReportOptions(&opts);
  }
  if (opts.width < 200 || opts.height < 150 || opts.width > 8000 || opts.height > 8000) {
    tb_setErr(err, errsz, "report: figure size %dx%d out of range", opts.width, opts.height);
    return TB_EINVAL;
  }
  iterRow *rows = NULL;
  int n = 0;
  int skipped = 0;
  int rc = readIterations(dir, &rows, &n, &skipped, err, errsz);
  if (rc != 0) {
    return rc;
  }
  cJSON *config = loadJson(dir, "config.json");
  cJSON *summary = loadJson(dir, "summary.json");
  const cJSON *task = config ? cJSON_GetObjectItemCaseSensitive(config, "task") : NULL;
  char title[160];
  snprintf(title, sizeof(title), "Learning curve%s%s (%d iteration%s)",
           cJSON_IsString(task) ? ": " : "", cJSON_IsString(task) ? task->valuestring : "", n,
           n == 1 ? "" : "s");
  rc = writeFigures(dir, opts.width, opts.height, rows, n, title, err, errsz);
  sbuf b = {0};
  int strips = 0;
  if (rc == 0) {
    /* the page: header, figure, summary, configuration, iterations */
    sbPut(&b,
          "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>tracebot report</title><style>");
    sbPut(&b, kStyle);
    sbPut(&b, "</style></head><body>\n<h1>tracebot run report</h1><p class=\"note\">");
    sbPutHtml(&b, dir);
    sbPrintf(&b, " &middot; %d iteration%s%s</p>\n", n, n == 1 ? "" : "s",
             skipped ? " (a partial last line was skipped)" : "");
    sbPut(&b, "<h2>Learning curve</h2><figure>");
    char *svgPath = joinPath(dir, "learning_curve.svg");
    char *svg = svgPath ? readFile(svgPath, SMALL_FILE_MAX * 4, NULL, NULL, 0) : NULL;
    const char *tag = svg ? strstr(svg, "<svg") : NULL;
    if (tag) {
      sbPut(&b, tag);
    } else {
      sbPut(&b, "<img alt=\"learning curve\" src=\"learning_curve.png\">");
    }
    free(svg);
    free(svgPath);
    sbPut(&b,
          "</figure><p class=\"note\">Also as <a href=\"learning_curve.png\">PNG</a> and "
          "<a href=\"learning_curve.svg\">SVG</a>.</p>\n");
    if (summary) {
      sbPut(&b, "<h2>Summary</h2>");
      putScalarTable(&b, summary);
    }
    if (config) {
      sbPut(&b, "<h2>Configuration</h2>");
      putScalarTable(&b, config);
    }
    sbPut(&b, "<h2>Iterations</h2>\n");
    for (int i = 0; i < n; i++) {
      putIteration(&b, dir, &rows[i], &opts, &strips);
    }
    sbPut(&b, "</body></html>\n");
    if (b.failed) {
      tb_setErr(err, errsz, "report: out of memory building report.html");
      rc = TB_ENOMEM;
    }
  }
  if (rc == 0) {
    char *html = joinPath(dir, "report.html");
    rc = html ? writeFileAtomic(html, b.p, b.len, err, errsz) : TB_ENOMEM;
    free(html);
  }
  if (rc == 0 && result) {
    result->iterations = n;
    result->skipped_partial = skipped;
    result->strips = strips;
  }
  free(b.p);
  cJSON_Delete(config);
  cJSON_Delete(summary);
  for (int i = 0; i < n; i++) {
    freeRow(&rows[i]);
  }
  free(rows);
  return rc;
}
