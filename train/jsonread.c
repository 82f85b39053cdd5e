/* Checked reading of JSON members (jsonread.h). */
#include "jsonread.h"

#include <math.h>
#include <stdlib.h>

#include "base.h"

void ag_jsonBad(agJsonReader *r, const char *prefix, const char *key, const char *what) {
  if (r->rc != TB_OK) {
    return;
  }
  if (r->line > 0) {
    tb_setErr(r->err, r->errsz, "%s line %d: %s%s: %s", r->file, r->line, prefix, key, what);
  } else {
    tb_setErr(r->err, r->errsz, "%s: %s%s: %s", r->file, prefix, key, what);
  }
  r->rc = TB_EFORMAT;
}

void ag_jsonOutOfMemory(agJsonReader *r) {
  if (r->rc == TB_OK) {
    tb_setErr(r->err, r->errsz, "%s line %d: out of memory", r->file, r->line);
    r->rc = TB_ENOMEM;
  }
}

/* calloc, with running out of memory as the reader's error. */
void *ag_jsonAlloc(agJsonReader *r, size_t n, size_t size) {
  void *p = calloc(n, size);
  if (p == NULL) {
    ag_jsonOutOfMemory(r);
  }
  return p;
}

const cJSON *ag_jsonMember(agJsonReader *r, const cJSON *o, const char *prefix, const char *key) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
  if (it == NULL) {
    ag_jsonBad(r, prefix, key, "missing");
  }
  return it;
}

/* A required finite number in [lo, hi] (infinite bounds: any finite number); an integer
 * when integral. 0 after a problem. */
double ag_jsonNumber(agJsonReader *r, const cJSON *o, const char *prefix, const char *key,
                     double lo, double hi, int integral) {
  const cJSON *it = ag_jsonMember(r, o, prefix, key);
  if (it == NULL) {
    return 0;
  }
  double v = it->valuedouble;
  if (!cJSON_IsNumber(it) || !isfinite(v) || v < lo || v > hi || (integral && v != floor(v))) {
    char what[96];
    if (isfinite(lo) && isfinite(hi)) {
      snprintf(what, sizeof what, "expected %s from %.17g to %.17g",
               integral ? "an integer" : "a number", lo, hi);
    } else {
      snprintf(what, sizeof what, "expected a finite number");
    }
    ag_jsonBad(r, prefix, key, what);
    return 0;
  }
  return v;
}

/* A required string ("" after a problem). */
const char *ag_jsonString(agJsonReader *r, const cJSON *o, const char *prefix, const char *key) {
  const cJSON *it = ag_jsonMember(r, o, prefix, key);
  if (it != NULL && !cJSON_IsString(it)) {
    ag_jsonBad(r, prefix, key, "expected a string");
  }
  return cJSON_IsString(it) ? it->valuestring : "";
}

int ag_jsonBool(agJsonReader *r, const cJSON *o, const char *prefix, const char *key) {
  const cJSON *it = ag_jsonMember(r, o, prefix, key);
  if (it != NULL && !cJSON_IsBool(it)) {
    ag_jsonBad(r, prefix, key, "expected true or false");
  }
  return cJSON_IsTrue(it);
}

/* A required object (NULL after a problem). */
const cJSON *ag_jsonObject(agJsonReader *r, const cJSON *o, const char *prefix, const char *key) {
  const cJSON *it = ag_jsonMember(r, o, prefix, key);
  if (it != NULL && !cJSON_IsObject(it)) {
    ag_jsonBad(r, prefix, key, "expected an object");
  }
  return cJSON_IsObject(it) ? it : NULL;
}

/* A required array of n items (n < 0: any length); NULL after a problem. */
const cJSON *ag_jsonArray(agJsonReader *r, const cJSON *o, const char *prefix, const char *key,
                          int n) {
  const cJSON *it = ag_jsonMember(r, o, prefix, key);
  if (it != NULL && !cJSON_IsArray(it)) {
    ag_jsonBad(r, prefix, key, "expected an array");
    return NULL;
  }
  if (it != NULL && n >= 0 && cJSON_GetArraySize(it) != n) {
    char what[64];
    snprintf(what, sizeof what, "expected %d items", n);
    ag_jsonBad(r, prefix, key, what);
    return NULL;
  }
  return it;
}

/* A fault kind name other than "none" (AG_FT_NONE after a problem). */
