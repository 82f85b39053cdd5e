/* Response parsing: LLM reply text -> suggested values. Pure: no I/O, no global state. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

#define MAX_FENCES 8
#define MAX_EMBEDDED 32
#define MAX_ITEMS 256

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Bounded search for needle in s[0..n). */
static const char *find(const char *s, size_t n, const char *needle) {
  size_t m = strlen(needle);
  if (m == 0 || n < m) {
    return NULL;
  }
  for (size_t i = 0; i + m <= n; i++) {
    if (s[i] == needle[0] && memcmp(s + i, needle, m) == 0) {
      return s + i;
    }
  }
  return NULL;
}

/* Parses s[0..n) as one JSON object with nothing but whitespace after it. The bytes after
 * s[n] must be readable (they are: every span lies inside one NUL-terminated copy). */
static cJSON *parse_object(const char *s, size_t n) {
  const char *end = NULL;
  cJSON *j = cJSON_ParseWithLengthOpts(s, n, &end, 0);
  if (!j) {
    return NULL;
  }
  if (!cJSON_IsObject(j) || !end || end < s || end > s + n) {
    cJSON_Delete(j);
    return NULL;
  }
  for (const char *p = end; p < s + n; p++) {
    if (!is_space(*p)) {
      cJSON_Delete(j);
      return NULL;
    }
  }
  return j;
}

/* Index just past the '}' closing the object opened at s[0] ('{'), or 0 if unbalanced.
 * String-aware: braces inside JSON strings do not count. */
static size_t balanced_end(const char *s, size_t n) {
  int depth = 0;
  int in_str = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (in_str) {
      if (c == '\\') {
        i++;
      } else if (c == '"') {
        in_str = 0;
      }
    } else if (c == '"') {
      in_str = 1;
    } else if (c == '{') {
      depth++;
    } else if (c == '}') {
      if (--depth == 0) {
        return i + 1;
      }
    }
  }
  return 0;
}

/* A copy of s[0..n) fixed for common model mistakes: raw control characters and bad
 * escapes inside strings, trailing commas. Heap, NUL-terminated; NULL on no memory. */
static char *repair(const char *s, size_t n, size_t *outlen) {
  tbBuf b;
  tb_bufInit(&b, n * 6 + 16);
  int in_str = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (in_str) {
      if (c == '\\' && i + 1 < n) {
        char e = s[i + 1];
        if (e != '\0' && strchr("\"\\/bfnrtu", e)) {
          tb_bufPutc(&b, c);
          tb_bufPutc(&b, e);
        } else {
          tb_bufPuts(&b, "\\\\");
          tb_bufPutc(&b, e);
        }
        i++;
      } else if (c == '"') {
        in_str = 0;
        tb_bufPutc(&b, c);
      } else if (c == '\n') {
        tb_bufPuts(&b, "\\n");
      } else if (c == '\r') {
        tb_bufPuts(&b, "\\r");
      } else if (c == '\t') {
        tb_bufPuts(&b, "\\t");
      } else if ((unsigned char)c < 0x20) {
        tb_bufPrintf(&b, "\\u%04x", (unsigned)(unsigned char)c);
      } else {
        tb_bufPutc(&b, c);
      }
    } else if (c == '"') {
      in_str = 1;
      tb_bufPutc(&b, c);
    } else if (c == ',') {
      /* drop a comma that only precedes a closing bracket */
      size_t j = i + 1;
      while (j < n && is_space(s[j])) {
        j++;
      }
      if (!(j < n && (s[j] == '}' || s[j] == ']'))) {
        tb_bufPutc(&b, c);
      }
    } else {
      tb_bufPutc(&b, c);
    }
  }
  *outlen = b.len;
  return tb_bufTake(&b);
}

/* True when obj looks like an answer: it has a "suggestion" key. */
static int has_suggestion(const cJSON *obj) {
  return cJSON_GetObjectItem(obj, "suggestion") || cJSON_GetObjectItem(obj, "suggestions");
}

/* The search state: the best object so far and where it came from. */
typedef struct finder {
  cJSON *best;
  const char *how;
  int done; /* best has a suggestion key */
} finder;

/* Offers a candidate object; keeps the first with a suggestion, else the first object. */
static void offer(finder *f, cJSON *obj, const char *how) {
  if (!obj) {
    return;
  }
  if (f->done) {
    cJSON_Delete(obj);
    return;
  }
  if (has_suggestion(obj)) {
    cJSON_Delete(f->best);
    f->best = obj;
    f->how = how;
    f->done = 1;
  } else if (!f->best) {
    f->best = obj;
    f->how = how;
  } else {
    cJSON_Delete(obj);
  }
}

/* Offers a repaired copy of s[0..n). Returns -1 on no memory. */
static int offer_repaired(finder *f, const char *s, size_t n) {
  size_t rn = 0;
  char *r = repair(s, n, &rn);
  if (!r) {
    return -1;
  }
  offer(f, parse_object(r, rn), "repaired");
  free(r);
  return 0;
}

/* Tries each place a JSON answer may be, best first. */
static int find_object(const char *s, size_t n, finder *f) {
  /* 1: the whole text */
  size_t a = 0;
  size_t z = n;
  while (a < z && is_space(s[a])) {
    a++;
  }
  while (z > a && is_space(s[z - 1])) {
    z--;
  }
  offer(f, parse_object(s + a, z - a), "whole text");

  /* 2: fenced blocks ```json ... ``` */
  const char *p = s;
  for (int k = 0; k < MAX_FENCES && !f->done; k++) {
    const char *open = find(p, (size_t)(s + n - p), "```");
    if (!open) {
      break;
    }
    const char *body = open + 3;
    while (body < s + n && *body != '\n') {
      body++;
    }
    const char *close = find(body, (size_t)(s + n - body), "```");
    if (!close) {
      break;
    }
    offer(f, parse_object(body, (size_t)(close - body)), "fenced block");
    p = close + 3;
  }

  /* 3: the outermost braces */
  const char *first = memchr(s, '{', n);
  const char *last = NULL;
  for (size_t i = n; i > 0; i--) {
    if (s[i - 1] == '}') {
      last = s + i - 1;
      break;
    }
  }
  if (!f->done && first && last && last > first) {
    offer(f, parse_object(first, (size_t)(last - first + 1)), "outermost braces");
  }

  /* 4: balanced objects that start like JSON ('{' then '"' or '}') */
  size_t spans[MAX_EMBEDDED][2];
  int nspans = 0;
  int attempts = 0; /* each attempt scans O(n): bounded so hostile input stays linear */
  for (size_t i = 0; i < n && attempts < MAX_EMBEDDED && !f->done; i++) {
    if (s[i] != '{') {
      continue;
    }
    size_t j = i + 1;
    while (j < n && is_space(s[j])) {
      j++;
    }
    if (j >= n || (s[j] != '"' && s[j] != '}')) {
      continue;
    }
    attempts++;
    size_t e = balanced_end(s + i, n - i);
    if (e == 0) {
      continue;
    }
    spans[nspans][0] = i;
    spans[nspans][1] = e;
    nspans++;
    offer(f, parse_object(s + i, e), "embedded object");
  }

  /* 5: repaired copies of the outermost span and of the embedded spans */
  if (!f->done && first && last && last > first) {
    if (offer_repaired(f, first, (size_t)(last - first + 1)) != 0) {
      return -1;
    }
  }
  for (int k = 0; k < nspans && !f->done; k++) {
    if (offer_repaired(f, s + spans[k][0], spans[k][1]) != 0) {
      return -1;
    }
  }
  return 0;
}

/* A heap string for a JSON item: the string itself, or its compact JSON. */
static char *item_text(const cJSON *item) {
  if (cJSON_IsString(item)) {
    const char *v = item->valuestring ? item->valuestring : "";
    size_t n = strlen(v) + 1;
    char *c = malloc(n);
    if (c) {
      memcpy(c, v, n);
    }
    return c;
  }
  return cJSON_PrintUnformatted(item);
}

static trJsonType item_type(const cJSON *item) {
  if (cJSON_IsBool(item)) {
    return TR_JSON_BOOL;
  }
  if (cJSON_IsNumber(item)) {
    return TR_JSON_NUMBER;
  }
  if (cJSON_IsString(item)) {
    return TR_JSON_STRING;
  }
  if (cJSON_IsArray(item)) {
    return TR_JSON_ARRAY;
  }
  if (cJSON_IsObject(item)) {
    return TR_JSON_OBJECT;
  }
  return TR_JSON_NULL;
}

/* Copies the members of obj into out->items. Returns -1 on no memory. */
static int take_items(const cJSON *obj, trResponse *out) {
  int count = 0;
  for (const cJSON *c = obj->child; c; c = c->next) {
    count++;
  }
  if (count > MAX_ITEMS) {
    count = MAX_ITEMS;
  }
  if (count == 0) {
    return 0;
  }
  out->items = calloc((size_t)count, sizeof *out->items);
  if (!out->items) {
    return -1;
  }
  for (const cJSON *c = obj->child; c && out->nitems < count; c = c->next) {
    trSuggestion *it = &out->items[out->nitems];
    const char *k = c->string ? c->string : "";
    size_t kn = strlen(k) + 1;
    it->key = malloc(kn);
    it->text = item_text(c);
    it->type = item_type(c);
    out->nitems++;
    if (!it->key || !it->text) {
      return -1;
    }
    memcpy(it->key, k, kn);
  }
  return 0;
}

static void set_reason(trResponse *out, trResponseStatus st, const char *fmt, ...) TB_PRINTF(3, 4);
static void set_reason(trResponse *out, trResponseStatus st, const char *fmt, ...) {
  out->status = st;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out->reason, sizeof out->reason, fmt, ap);
  va_end(ap);
}

/* Reads reasoning, answer and the suggestion from the chosen object. */
static int extract(const cJSON *obj, trResponse *out) {
  const cJSON *r = cJSON_GetObjectItem(obj, "reasoning");
  const cJSON *a = cJSON_GetObjectItem(obj, "answer");
  if (r && !cJSON_IsNull(r) && !(out->reasoning = item_text(r))) {
    return -1;
  }
  if (a && !cJSON_IsNull(a) && !(out->answer = item_text(a))) {
    return -1;
  }
  const cJSON *s = cJSON_GetObjectItem(obj, "suggestion");
  if (!s) {
    s = cJSON_GetObjectItem(obj, "suggestions");
  }
  if (!s) {
    if (!r && !a) {
      /* a bare object of values: {"controller0": "..."} */
      return take_items(obj, out);
    }
    set_reason(out, TR_RESPONSE_EMPTY, "the JSON answer has no \"suggestion\"");
    return 0;
  }
  if (cJSON_IsObject(s)) {
    if (!s->child) {
      set_reason(out, TR_RESPONSE_EMPTY, "the suggestion is empty");
    }
    return take_items(s, out);
  }
  if (cJSON_IsNull(s)) {
    set_reason(out, TR_RESPONSE_EMPTY, "the suggestion is null");
    return 0;
  }
  if (cJSON_IsString(s)) {
    /* a suggestion object given as a JSON string */
    const char *v = s->valuestring ? s->valuestring : "";
    size_t n = strlen(v);
    size_t a0 = 0;
    while (a0 < n && is_space(v[a0])) {
      a0++;
    }
    if (a0 == n) {
      set_reason(out, TR_RESPONSE_EMPTY, "the suggestion is an empty string");
      return 0;
    }
    cJSON *inner = parse_object(v + a0, n - a0);
    if (!inner) {
      set_reason(out, TR_RESPONSE_INVALID,
                 "the suggestion is a string, not an object of variable values");
      return 0;
    }
    int rc = take_items(inner, out);
    if (rc == 0 && out->nitems == 0) {
      set_reason(out, TR_RESPONSE_EMPTY, "the suggestion is empty");
    }
    cJSON_Delete(inner);
    return rc;
  }
  set_reason(out, TR_RESPONSE_INVALID, "the suggestion is %s, not an object of variable values",
             cJSON_IsArray(s) ? "an array" : (cJSON_IsNumber(s) ? "a number" : "a boolean"));
  return 0;
}

int tr_parseResponse(const char *text, size_t len, trResponse *out) {
  if (!out) {
    return TB_EINVAL;
  }
  memset(out, 0, sizeof *out);
  out->status = TR_RESPONSE_INVALID;
  if (!text && len) {
    snprintf(out->reason, sizeof out->reason, "NULL response text");
    return TB_EINVAL;
  }
  if (len > TR_MAX_RESPONSE_BYTES) {
    snprintf(out->reason, sizeof out->reason, "the response has %zu bytes, over the %u limit", len,
             (unsigned)TR_MAX_RESPONSE_BYTES);
    return 0;
  }
  size_t a = 0;
  while (a < len && is_space(text[a])) {
    a++;
  }
  if (a == len) {
    snprintf(out->reason, sizeof out->reason, "the response is empty");
    return 0;
  }
  /* one NUL-terminated copy: every span parsed below lies inside it */
  char *s = malloc(len + 1);
  if (!s) {
    snprintf(out->reason, sizeof out->reason, "out of memory");
    return TB_ENOMEM;
  }
  memcpy(s, text, len);
  s[len] = '\0';
  int terminate = find(s, len, "TERMINATE") != NULL;

  finder f = {NULL, NULL, 0};
  int rc = find_object(s, len, &f);
  if (rc == 0 && f.best) {
    out->how = f.how;
    out->status = TR_RESPONSE_SUGGESTION;
    rc = extract(f.best, out);
  } else if (rc == 0) {
    snprintf(out->reason, sizeof out->reason, "no JSON object found in the response");
  }
  cJSON_Delete(f.best);
  free(s);
  if (rc != 0) {
    tr_responseClose(out);
    out->status = TR_RESPONSE_INVALID;
    snprintf(out->reason, sizeof out->reason, "out of memory");
    return TB_ENOMEM;
  }
  /* the status: values win over TERMINATE; TERMINATE over an empty or broken answer */
  if (out->nitems > 0) {
    out->status = TR_RESPONSE_SUGGESTION;
    out->reason[0] = '\0';
  } else if (terminate) {
    out->status = TR_RESPONSE_TERMINATE;
    snprintf(out->reason, sizeof out->reason, "the model answered TERMINATE (no change needed)");
  } else if (out->status == TR_RESPONSE_SUGGESTION) {
    out->status = TR_RESPONSE_EMPTY;
    snprintf(out->reason, sizeof out->reason, "the suggestion is empty");
  }
  return 0;
}

void tr_responseClose(trResponse *r) {
  if (!r) {
    return;
  }
  for (int i = 0; i < r->nitems; i++) {
    free(r->items[i].key);
    free(r->items[i].text);
  }
  free(r->items);
  free(r->reasoning);
  free(r->answer);
  r->items = NULL;
  r->nitems = 0;
  r->reasoning = NULL;
  r->answer = NULL;
}
