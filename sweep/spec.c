/* The spec file of a sweep (--spec FILE) and sweep.json, the resolved grid: both are read
 * by one reader of a spec object (see sweep.h and README.md). */
#define _DEFAULT_SOURCE /* realpath */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runlog.h"
#include "sweep_internal.h"

#define SW_FORMAT "tracebot-sweep"
#define SW_VERSION 1
#define MAX_OFFSET 1000000000000LL

/* ---------------------------------------------------------------- the spec file */

/* Where a spec is read from, for messages: "FILE: KEY: what". */
typedef struct specReader {
  const char *file;
  char *err;
  size_t errsz;
} specReader;

static int bad(const specReader *r, const char *key, const char *what) {
  tb_setErr(r->err, r->errsz, "%s: %s: %s", r->file, key, what);
  return TB_EFORMAT;
}

/* A flag value: a string, or an integer written as a number. */
static int valueText(const specReader *r, const char *key, const cJSON *v, char *out,
                     size_t outsz) {
  if (cJSON_IsString(v)) {
    if (strlen(v->valuestring) >= outsz) {
      return bad(r, key, "value too long");
    }
    snprintf(out, outsz, "%s", v->valuestring);
    return TB_OK;
  }
  if (cJSON_IsNumber(v) && isfinite(v->valuedouble) && fabs(v->valuedouble) < 9e15) {
    if (v->valuedouble == floor(v->valuedouble)) {
      snprintf(out, outsz, "%.0f", v->valuedouble);
    } else {
      snprintf(out, outsz, "%.17g", v->valuedouble);
    }
    return TB_OK;
  }
  return bad(r, key, "expected a string or a number");
}

/* An object of train flags into f. */
static int readFlags(const specReader *r, const char *key, const cJSON *o, swFlags *f) {
  if (!cJSON_IsObject(o)) {
    return bad(r, key, "expected an object of train flags ({\"--iters\": 5})");
  }
  const cJSON *m;
  cJSON_ArrayForEach(m, o) {
    char value[SW_MAX_VALUE];
    char where[128];
    snprintf(where, sizeof where, "%s.%s", key, m->string);
    int rc = valueText(r, where, m, value, sizeof value);
    if (rc == TB_OK) {
      rc = sw_checkFlag(m->string, r->err, r->errsz);
    }
    if (rc == TB_OK) {
      rc = sw_flagsSet(f, m->string, value, r->err, r->errsz);
    }
    if (rc != TB_OK && rc != TB_EFORMAT && r->err != NULL) {
      char why[256];
      snprintf(why, sizeof why, "%s", r->err);
      return bad(r, where, why);
    }
    if (rc != TB_OK) {
      return rc;
    }
  }
  return TB_OK;
}

/* An integer member in [lo, hi], or TB_OK leaving *out alone when absent. */
static int readInteger(const specReader *r, const cJSON *o, const char *key, long long lo,
                       long long hi, long long *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (v == NULL) {
    return TB_OK;
  }
  if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo ||
      v->valuedouble > hi) {
    char what[96];
    snprintf(what, sizeof what, "expected an integer in %lld..%lld", lo, hi);
    return bad(r, key, what);
  }
  *out = (long long)v->valuedouble;
  return TB_OK;
}

static int readTasks(const specReader *r, swGrid *g, const cJSON *v) {
  if (cJSON_IsString(v)) {
    return sw_gridSetTasks(g, v->valuestring, r->err, r->errsz);
  }
  if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0) {
    return bad(r, "tasks", "expected \"all\" or a non-empty array of task names");
  }
  sw_gridClearTasks(g);
  const cJSON *t;
  cJSON_ArrayForEach(t, v) {
    if (!cJSON_IsString(t)) {
      return bad(r, "tasks", "expected task names");
    }
    int rc = sw_gridAddTask(g, t->valuestring, r->err, r->errsz);
    if (rc != TB_OK) {
      return rc;
    }
  }
  return TB_OK;
}

static int readVariants(const specReader *r, swGrid *g, const cJSON *v) {
  if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0) {
    return bad(r, "variants", "expected a non-empty array");
  }
  sw_gridClearVariants(g);
  const cJSON *item;
  cJSON_ArrayForEach(item, v) {
    int rc;
    if (cJSON_IsString(item)) {
      rc = sw_gridAddBuiltin(g, item->valuestring, r->err, r->errsz);
    } else if (cJSON_IsObject(item)) {
      const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "name"));
      const cJSON *flags = cJSON_GetObjectItemCaseSensitive(item, "flags");
      if (name == NULL) {
        return bad(r, "variants", "a variant object needs a \"name\" string");
      }
      swVariant *var = sw_gridAddVariant(g, name, r->err, r->errsz);
      if (var == NULL) {
        return TB_EINVAL;
      }
      rc = flags == NULL ? TB_OK : readFlags(r, "variants.flags", flags, &var->flags);
    } else {
      return bad(r, "variants", "expected variant names or {\"name\", \"flags\"} objects");
    }
    if (rc != TB_OK) {
      return rc;
    }
  }
  return TB_OK;
}

/* A label from a value: "memory-0" for --memory 0, with '-' for what a name cannot hold. */
static void labelOf(const char *flag, const char *value, char *out, size_t outsz) {
  snprintf(out, outsz, "%.20s-%.40s", flag + 2, value);
  for (char *p = out; *p != '\0'; p++) {
    if (!(isalnum((unsigned char)*p) || strchr("._-", *p) != NULL)) {
      *p = '-';
    }
  }
}

/* One axis of "grid": an array of values or an object of label -> value. */
static int readAxis(const specReader *r, const cJSON *m, swAxis *ax) {
  char where[128];
  snprintf(where, sizeof where, "grid.%s", m->string);
  int rc = sw_checkFlag(m->string, r->err, r->errsz);
  if (rc != TB_OK || !sw_validFlagName(m->string)) {
    return bad(r, where, "not a train flag a sweep can vary");
  }
  int n = cJSON_GetArraySize(m);
  if (!(cJSON_IsArray(m) || cJSON_IsObject(m)) || n == 0 || n > SW_MAX_CELLS) {
    return bad(r, where, "expected a non-empty array of values or object of label: value");
  }
  ax->flag = strdup(m->string);
  ax->values = calloc((size_t)n, sizeof *ax->values);
  if (ax->flag == NULL || ax->values == NULL) {
    tb_setErr(r->err, r->errsz, "out of memory");
    return TB_ENOMEM;
  }
  const cJSON *v;
  cJSON_ArrayForEach(v, m) {
    char value[SW_MAX_VALUE];
    rc = valueText(r, where, v, value, sizeof value);
    if (rc != TB_OK) {
      return rc;
    }
    swAxisValue *av = &ax->values[ax->nvalues++];
    if (cJSON_IsObject(m)) {
      if (!sw_validName(v->string)) {
        return bad(r, where, "a label must be a valid name (letters, digits, '.', '_', '-')");
      }
      snprintf(av->label, sizeof av->label, "%s", v->string);
    } else {
      labelOf(m->string, value, av->label, sizeof av->label);
    }
    if ((av->value = strdup(value)) == NULL) {
      tb_setErr(r->err, r->errsz, "out of memory");
      return TB_ENOMEM;
    }
  }
  return TB_OK;
}

static int readGrid(const specReader *r, swGrid *g, const cJSON *v) {
  if (!cJSON_IsObject(v)) {
    return bad(r, "grid", "expected an object of train flag: values");
  }
  sw_gridClearAxes(g);
  int n = cJSON_GetArraySize(v);
  g->axes = calloc((size_t)(n > 0 ? n : 1), sizeof *g->axes);
  if (g->axes == NULL) {
    tb_setErr(r->err, r->errsz, "out of memory");
    return TB_ENOMEM;
  }
  const cJSON *m;
  cJSON_ArrayForEach(m, v) {
    int rc = readAxis(r, m, &g->axes[g->naxes++]);
    if (rc != TB_OK) {
      return rc;
    }
  }
  return TB_OK;
}

/* A spec object (a spec file, or sweep.json) into g. */
static int readSpecObject(const specReader *r, swGrid *g, const cJSON *o) {
  static const char *const known[] = {"format",        "version", "tasks", "variants", "repeats",
                                      "repeat_offset", "flags",   "grid",  "cells",    NULL};
  const cJSON *m;
  cJSON_ArrayForEach(m, o) {
    int ok = 0;
    for (int i = 0; known[i] != NULL; i++) {
      ok |= strcmp(m->string, known[i]) == 0;
    }
    if (!ok) {
      return bad(r, m->string,
                 "unknown key (keys: tasks, variants, repeats, repeat_offset, "
                 "flags, grid)");
    }
  }
  const cJSON *v;
  int rc = TB_OK;
  if ((v = cJSON_GetObjectItemCaseSensitive(o, "tasks")) != NULL) {
    rc = readTasks(r, g, v);
  }
  if (rc == TB_OK && (v = cJSON_GetObjectItemCaseSensitive(o, "variants")) != NULL) {
    rc = readVariants(r, g, v);
  }
  long long repeats = g->repeats;
  if (rc == TB_OK) {
    rc = readInteger(r, o, "repeats", 1, SW_MAX_REPEATS, &repeats);
    g->repeats = (int)repeats;
  }
  if (rc == TB_OK) {
    rc = readInteger(r, o, "repeat_offset", 0, MAX_OFFSET, &g->repeat_offset);
  }
  if (rc == TB_OK && (v = cJSON_GetObjectItemCaseSensitive(o, "flags")) != NULL) {
    /* the file's flags come first; those already given (the command line's) win */
    swFlags given = g->flags;
    memset(&g->flags, 0, sizeof g->flags);
    rc = readFlags(r, "flags", v, &g->flags);
    if (rc == TB_OK) {
      rc = sw_flagsMerge(&g->flags, &given, r->err, r->errsz);
    }
    sw_flagsClose(&given);
  }
  if (rc == TB_OK && (v = cJSON_GetObjectItemCaseSensitive(o, "grid")) != NULL) {
    rc = readGrid(r, g, v);
  }
  return rc;
}

int sw_gridReadSpec(swGrid *g, const char *path, char *err, size_t errsz) {
  /* runlog's reader of a small JSON object file, given its folder and name */
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/');
  snprintf(dir, sizeof dir, "%.*s", slash != NULL ? (int)(slash - path) : 1,
           slash != NULL ? path : ".");
  cJSON *o = NULL;
  int rc = ag_runReadJson(dir, slash != NULL ? slash + 1 : path, &o, err, errsz);
  specReader r = {path, err, errsz};
  if (rc == TB_OK) {
    rc = readSpecObject(&r, g, o);
  }
  cJSON_Delete(o);
  return rc;
}

/* ---------------------------------------------------------------- sweep.json */

static cJSON *flagsJson(const swFlags *f) {
  cJSON *o = cJSON_CreateObject();
  for (int i = 0; i < f->n; i++) {
    cJSON_AddStringToObject(o, f->name[i], f->value[i]);
  }
  return o;
}

cJSON *sw_sweepJson(const swSweep *s) {
  const swGrid *g = &s->grid;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "format", SW_FORMAT);
  cJSON_AddNumberToObject(o, "version", SW_VERSION);
  cJSON *tasks = cJSON_AddArrayToObject(o, "tasks");
  for (int i = 0; i < g->ntasks; i++) {
    cJSON_AddItemToArray(tasks, cJSON_CreateString(g->tasks[i]));
  }
  cJSON *variants = cJSON_AddArrayToObject(o, "variants");
  for (int i = 0; i < g->nvariants; i++) {
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "name", g->variants[i].name);
    cJSON_AddItemToObject(v, "flags", flagsJson(&g->variants[i].flags));
    cJSON_AddItemToArray(variants, v);
  }
  cJSON_AddNumberToObject(o, "repeats", g->repeats);
  cJSON_AddNumberToObject(o, "repeat_offset", (double)g->repeat_offset);
  cJSON_AddItemToObject(o, "flags", flagsJson(&g->flags));
  cJSON *cells = cJSON_AddArrayToObject(o, "cells");
  for (int i = 0; i < s->ncells; i++) {
    const swCell *c = &s->cells[i];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "index", c->index);
    cJSON_AddStringToObject(e, "task", sw_cellTask(s, c));
    cJSON_AddStringToObject(e, "variant", sw_cellVariant(s, c));
    cJSON_AddNumberToObject(e, "repeat", c->repeat);
    cJSON_AddStringToObject(e, "run_dir", c->run_dir);
    cJSON_AddNumberToObject(e, "train_seed_shift", (double)c->seed_shift);
    cJSON_AddItemToArray(cells, e);
  }
  return o;
}

/* The cells of sweep.json must be the ones its grid resolves to. */
static int checkCells(const specReader *r, const swSweep *s, const cJSON *cells) {
  if (!cJSON_IsArray(cells) || cJSON_GetArraySize(cells) != s->ncells) {
    return bad(r, "cells", "expected one entry per cell of the grid");
  }
  int i = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, cells) {
    const char *dir = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "run_dir"));
    if (dir == NULL || strcmp(dir, s->cells[i].run_dir) != 0) {
      char where[64];
      snprintf(where, sizeof where, "cells[%d].run_dir", i);
      return bad(r, where, "does not match the grid");
    }
    i++;
  }
  return TB_OK;
}

int sw_sweepOpen(swSweep *s, const char *dir, char *err, size_t errsz) {
  memset(s, 0, sizeof *s);
  sw_gridInit(&s->grid);
  char path[PATH_MAX];
  int rc = sw_path(dir, SW_FILE_SWEEP, path, sizeof path, err, errsz);
  cJSON *o = NULL;
  if (rc == TB_OK) {
    rc = sw_readJson(dir, SW_FILE_SWEEP, &o, err, errsz);
  }
  if (rc == TB_OK && o == NULL) {
    tb_setErr(err, errsz, "%s is not a sweep (no %s)", dir, SW_FILE_SWEEP);
    rc = TB_EINVAL;
  }
  specReader r = {path, err, errsz};
  if (rc == TB_OK) {
    const char *format = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "format"));
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(o, "version");
    if (format == NULL || strcmp(format, SW_FORMAT) != 0) {
      rc = bad(&r, "format", "expected \"" SW_FORMAT "\"");
    } else if (!cJSON_IsNumber(version) || version->valuedouble != SW_VERSION) {
      rc = bad(&r, "version", "expected 1");
    }
  }
  swGrid g;
  sw_gridInit(&g);
  if (rc == TB_OK) {
    rc = readSpecObject(&r, &g, o);
  }
  if (rc == TB_OK && (g.naxes > 0 || g.ntasks == 0 || g.nvariants == 0 || g.repeats == 0)) {
    rc = bad(&r, "(file)", "needs tasks, variants and repeats, and no grid");
  }
  if (rc == TB_OK) {
    char why[512];
    char *abs = realpath(dir, NULL); /* the cells and Slurm need absolute paths */
    rc = sw_resolve(&g, abs != NULL ? abs : dir, s, why, sizeof why);
    free(abs);
    if (rc != TB_OK) {
      tb_setErr(err, errsz, "%s: %s", path, why);
      rc = TB_EFORMAT;
    }
  }
  if (rc == TB_OK) {
    rc = checkCells(&r, s, cJSON_GetObjectItemCaseSensitive(o, "cells"));
  }
  sw_gridClose(&g);
  cJSON_Delete(o);
  if (rc != TB_OK) {
    sw_sweepClose(s);
  }
  return rc;
}
