/* Checked reading of JSON members for the run-directory formats (private to train/):
 * every problem becomes TB_EFORMAT with a message naming the file, the line (for
 * iterations.jsonl) and the key; the first problem is kept and later reads do nothing. */
#ifndef TRACEBOT_TRAIN_JSONREAD_H
#define TRACEBOT_TRAIN_JSONREAD_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* The largest integer a JSON number (a double) keeps exactly: 2^53. */
#define AG_JSON_MAX_INTEGER 9007199254740992.0
/* The largest token count a run records. */
#define AG_JSON_MAX_TOKENS 1e18

/* Where a member is being read, for messages; the first problem is kept. */
typedef struct agJsonReader {
  const char *file;
  int line; /* 0: a whole-file JSON object */
  char *err;
  size_t errsz;
  int rc;
} agJsonReader;

void ag_jsonBad(agJsonReader *r, const char *prefix, const char *key, const char *what);

void ag_jsonOutOfMemory(agJsonReader *r);

/* calloc, with running out of memory as the reader's error. */
void *ag_jsonAlloc(agJsonReader *r, size_t n, size_t size);

const cJSON *ag_jsonMember(agJsonReader *r, const cJSON *o, const char *prefix, const char *key);

double ag_jsonNumber(agJsonReader *r, const cJSON *o, const char *prefix, const char *key,
                     double lo, double hi, int integral);

/* A required string ("" after a problem). */
const char *ag_jsonString(agJsonReader *r, const cJSON *o, const char *prefix, const char *key);

int ag_jsonBool(agJsonReader *r, const cJSON *o, const char *prefix, const char *key);

/* A required object (NULL after a problem). */
const cJSON *ag_jsonObject(agJsonReader *r, const cJSON *o, const char *prefix, const char *key);

/* A required array of n items (n < 0: any length); NULL after a problem. */
const cJSON *ag_jsonArray(agJsonReader *r, const cJSON *o, const char *prefix, const char *key,
                          int n);

#endif /* TRACEBOT_TRAIN_JSONREAD_H */
