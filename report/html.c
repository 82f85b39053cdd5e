/* report.html: a self-contained page (inline CSS, the SVG figure inlined, frames as data
 * URIs) with the run's summary, its configuration and every iteration (see report.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "report_internal.h"

/* HTML-escapes s[0..n) (text and attribute safe). */
static void putHtmlN(tbBuf *b, const char *s, size_t n) {
  const char *run = s;
  const char *end = s + n;
  for (; s < end; s++) {
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
      tb_bufPutn(b, run, (size_t)(s - run));
      tb_bufPuts(b, rep);
      run = s + 1;
    }
  }
  tb_bufPutn(b, run, (size_t)(s - run));
}

void ag_reportPutHtml(tbBuf *b, const char *s) {
  putHtmlN(b, s, strlen(s));
}

static void putBase64(tbBuf *b, const unsigned char *d, size_t n) {
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
    tb_bufPutn(b, quad, 4);
  }
}

const char ag_reportStyle[] =
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
static void putScalarTable(tbBuf *b, const cJSON *obj) {
  tb_bufPuts(b, "<table class=\"kv\">");
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
      tb_bufPuts(b, "<tr><td>argv</td><td><code>");
      const cJSON *a;
      cJSON_ArrayForEach(a, it) {
        if (cJSON_IsString(a)) {
          ag_reportPutHtml(b, a->valuestring);
          tb_bufPuts(b, " ");
        }
      }
      tb_bufPuts(b, "</code></td></tr>");
      continue;
    }
    if (val && it->string) {
      tb_bufPuts(b, "<tr><td>");
      ag_reportPutHtml(b, it->string);
      tb_bufPuts(b, "</td><td>");
      ag_reportPutHtml(b, val);
      tb_bufPuts(b, "</td></tr>");
    }
  }
  tb_bufPuts(b, "</table>");
}

static void putDiff(tbBuf *b, const agReportRow *r) {
  char *diff = NULL;
  if (ag_reportDiff(r->controller, r->next_controller, "controller", "next_controller", &diff) !=
      0) {
    b->failed = 1;
    return;
  }
  if (!diff[0]) {
    tb_bufPuts(b, "<p class=\"note\">unchanged</p>");
    free(diff);
    return;
  }
  tb_bufPuts(b, "<pre class=\"diff\">");
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
    if (cls) {
      tb_bufPrintf(b, "<span class=\"%s\">", cls);
      putHtmlN(b, line, n);
      tb_bufPuts(b, "</span>");
    } else {
      putHtmlN(b, line, n);
      tb_bufPuts(b, "\n");
    }
    line += n + (nl ? 1 : 0);
  }
  tb_bufPuts(b, "</pre>");
  free(diff);
}

static int putStrip(tbBuf *b, const char *dir, const agReportRow *r, const agReportOptions *o) {
  char path[PATH_MAX];
  if (r->episode[0] == '\0') {
    tb_bufPuts(b, "<p class=\"note\">no episode recorded</p>");
    return 0;
  }
  if (strstr(r->episode, "..") || ag_runPath(dir, r->episode, path, sizeof path, NULL, 0) != 0 ||
      access(path, R_OK) != 0) {
    tb_bufPuts(b, "<p class=\"note\">episode file ");
    ag_reportPutHtml(b, r->episode);
    tb_bufPuts(b, " not found</p>");
    return 0;
  }
  if (!o->strip) {
    tb_bufPuts(b, "<p class=\"note\">episode ");
    ag_reportPutHtml(b, r->episode);
    tb_bufPuts(b,
               ": no renderer in this build (frames not drawn); "
               "see <code>tracebot replay</code></p>");
    return 0;
  }
  int max = o->strip_frames > 0 ? o->strip_frames : 6;
  agReportImage *frames = calloc((size_t)max, sizeof(*frames));
  int nframes = 0;
  char why[256] = "";
  int ok = frames && o->strip(o->strip_user, path, max, frames, &nframes, why, sizeof(why)) == 0;
  if (!ok) {
    tb_bufPuts(b, "<p class=\"note\">episode frames not rendered: ");
    ag_reportPutHtml(b, why[0] ? why : "renderer failed");
    tb_bufPuts(b, "</p>");
    free(frames);
    return 0;
  }
  tb_bufPuts(b, "<div class=\"strip\">");
  for (int i = 0; i < nframes && i < max; i++) {
    tb_bufPrintf(b, "<img alt=\"frame %d\" src=\"data:image/png;base64,", i);
    putBase64(b, frames[i].data, frames[i].len);
    tb_bufPuts(b, "\">");
  }
  tb_bufPuts(b, "</div>");
  for (int i = 0; i < max; i++) {
    free(frames[i].data);
  }
  free(frames);
  return nframes > 0;
}

static void putIteration(tbBuf *b, const char *dir, const agReportRow *r, const agReportOptions *o,
                         int *strips) {
  tb_bufPrintf(b, "<section class=\"iter\" id=\"iter-%d\"><h3>Iteration %d</h3>", r->iteration,
               r->iteration);
  tb_bufPuts(b, "<table class=\"kv\">");
  tb_bufPrintf(b,
               "<tr><td>train episode</td><td><span class=\"%s\">%s</span>, return %.3f, "
               "%d steps",
               r->train.success ? "ok" : "bad", r->train.success ? "success" : "failure",
               r->train.ret, r->train.nsteps);
  if (r->train.fault.kind != AG_FT_NONE) {
    tb_bufPuts(b, ", fault <span class=\"bad\">");
    tb_bufPrintf(b, "%s: ", ag_faultName(r->train.fault.kind));
    ag_reportPutHtml(b, r->train.fault.message);
    tb_bufPrintf(b, " (step %d)</span>", r->train.fault.step);
  }
  tb_bufPuts(b, "</td></tr>");
  if (r->pool_starts > 1) {
    tb_bufPrintf(b, "<tr><td>training starts</td><td>%d of %d succeed</td></tr>", r->pool_successes,
                 r->pool_starts);
  }
  tb_bufPrintf(b,
               "<tr><td>test (next controller)</td><td>success rate %.3f, mean return %.3f"
               "</td></tr>",
               r->test_rate, r->test_mean_return);
  tb_bufPuts(b, "<tr><td>update</td><td>");
  tb_bufPuts(b, ag_outcomeName(r->outcome));
  if (r->reason[0] != '\0') {
    tb_bufPuts(b, ": ");
    ag_reportPutHtml(b, r->reason);
  }
  tb_bufPuts(b, "</td></tr>");
  tb_bufPrintf(b, "<tr><td>tokens</td><td>%lld prompt + %lld completion%s</td></tr>",
               r->prompt_tokens, r->completion_tokens, r->tokens_estimated ? " (estimated)" : "");
  tb_bufPrintf(b, "<tr><td>LLM latency</td><td>%.2f s</td></tr>", r->latency_s);
  tb_bufPuts(b, "</table><h4>Feedback</h4><pre>");
  ag_reportPutHtml(b, r->feedback);
  tb_bufPuts(b, "</pre><h4>Controller diff (next_controller vs controller)</h4>");
  putDiff(b, r);
  tb_bufPuts(b, "<h4>Training episode</h4>");
  *strips += putStrip(b, dir, r, o);
  tb_bufPuts(b, "</section>\n");
}

void ag_reportPageStart(tbBuf *b, const char *title) {
  tb_bufPuts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
  ag_reportPutHtml(b, title);
  tb_bufPuts(b, "</title><style>");
  tb_bufPuts(b, ag_reportStyle);
  tb_bufPuts(b, "</style></head><body>\n");
}

void ag_reportHtml(tbBuf *b, const agReportPage *p, int *strips) {
  /* the page: header, figure, summary, configuration, iterations */
  *strips = 0;
  ag_reportPageStart(b, "tracebot report");
  tb_bufPuts(b, "<h1>tracebot run report</h1><p class=\"note\">");
  ag_reportPutHtml(b, p->dir);
  tb_bufPrintf(b, " &middot; %d iteration%s%s</p>\n", p->n, p->n == 1 ? "" : "s",
               p->torn ? " (a partial last line was skipped)" : "");
  tb_bufPuts(b, "<h2>Learning curve</h2><figure>");
  const char *tag = p->svg != NULL ? strstr(p->svg, "<svg") : NULL;
  if (tag != NULL) {
    tb_bufPuts(b, tag);
  } else {
    tb_bufPuts(b, "<img alt=\"learning curve\" src=\"learning_curve.png\">");
  }
  tb_bufPuts(b,
             "</figure><p class=\"note\">Also as <a href=\"learning_curve.png\">PNG</a> and "
             "<a href=\"learning_curve.svg\">SVG</a>.</p>\n");
  if (p->summary != NULL) {
    tb_bufPuts(b, "<h2>Summary</h2>");
    putScalarTable(b, p->summary);
  }
  if (p->config != NULL) {
    tb_bufPuts(b, "<h2>Configuration</h2>");
    putScalarTable(b, p->config);
  }
  tb_bufPuts(b, "<h2>Iterations</h2>\n");
  for (int i = 0; i < p->n; i++) {
    putIteration(b, p->dir, &p->rows[i], p->opts, strips);
  }
  tb_bufPuts(b, "</body></html>\n");
}
