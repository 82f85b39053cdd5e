/* The grid of a sweep: tasks, variants, repeats and train flags, resolved into cells (the
 * variants multiplied by the spec's axes, each repeat's training seeds shifted); see
 * sweep.h. spec.c reads spec files and sweep.json into a grid. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep_internal.h"
#include "tracebot/envs.h"
#include "tracebot/llm.h"

/* The built-in variants: the paper's ablations as train flags. */
static const struct {
  const char *name;
  const char *flag; /* NULL: train's defaults */
  const char *value;
} kVariants[] = {
    {"trace", NULL, NULL},
    {"nomem", "--memory", "0"},
    {"masked", "--mask", "trace"},
    {"opro", "--optimizer", "opro"},
};
enum { kNVariants = (int)(sizeof kVariants / sizeof kVariants[0]) };

/* Train flags the sweep sets itself (or that make no sense in a cell). */
static const char *const kReserved[] = {"--task", "--out", "--resume", "--view", "--json", NULL};

const char *sw_variantList(void) {
  return "trace, nomem, masked, opro";
}

/* ---------------------------------------------------------------- flags */

int sw_validFlagName(const char *name) {
  size_t n = strlen(name);
  if (n < 3 || n > 63 || strncmp(name, "--", 2) != 0) {
    return 0;
  }
  for (const char *p = name + 2; *p != '\0'; p++) {
    if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-')) {
      return 0;
    }
  }
  return 1;
}

int sw_flagsSet(swFlags *f, const char *name, const char *value, char *err, size_t errsz) {
  if (!sw_validFlagName(name)) {
    tb_setErr(err, errsz, "'%.64s' is not a train flag (--name)", name);
    return TB_EINVAL;
  }
  if (strlen(value) >= SW_MAX_VALUE) {
    tb_setErr(err, errsz, "the value of %s is longer than %d bytes", name, SW_MAX_VALUE - 1);
    return TB_EINVAL;
  }
  int at = f->n;
  for (int i = 0; i < f->n; i++) {
    if (strcmp(f->name[i], name) == 0) {
      at = i;
    }
  }
  if (at == SW_MAX_FLAGS) {
    tb_setErr(err, errsz, "more than %d train flags", SW_MAX_FLAGS);
    return TB_EINVAL;
  }
  char *v = strdup(value);
  char *n = at == f->n ? strdup(name) : f->name[at];
  if (v == NULL || n == NULL) {
    free(v);
    if (at == f->n) {
      free(n);
    }
    tb_setErr(err, errsz, "out of memory");
    return TB_ENOMEM;
  }
  if (at == f->n) {
    f->name[at] = n;
    f->value[at] = NULL;
    f->n++;
  }
  free(f->value[at]);
  f->value[at] = v;
  return TB_OK;
}

const char *sw_flagsGet(const swFlags *f, const char *name) {
  for (int i = 0; i < f->n; i++) {
    if (strcmp(f->name[i], name) == 0) {
      return f->value[i];
    }
  }
  return NULL;
}

int sw_flagsMerge(swFlags *dst, const swFlags *src, char *err, size_t errsz) {
  for (int i = 0; i < src->n; i++) {
    int rc = sw_flagsSet(dst, src->name[i], src->value[i], err, errsz);
    if (rc != TB_OK) {
      return rc;
    }
  }
  return TB_OK;
}

void sw_flagsClose(swFlags *f) {
  for (int i = 0; i < f->n; i++) {
    free(f->name[i]);
    free(f->value[i]);
  }
  f->n = 0;
}

/* ---------------------------------------------------------------- the grid */

void sw_gridInit(swGrid *g) {
  memset(g, 0, sizeof *g);
  g->repeat_offset = -1;
}

void sw_gridClearTasks(swGrid *g) {
  for (int i = 0; i < g->ntasks; i++) {
    free(g->tasks[i]);
  }
  free(g->tasks);
  g->tasks = NULL;
  g->ntasks = 0;
}

void sw_gridClearVariants(swGrid *g) {
  for (int i = 0; i < g->nvariants; i++) {
    sw_flagsClose(&g->variants[i].flags);
  }
  free(g->variants);
  g->variants = NULL;
  g->nvariants = 0;
}

void sw_gridClearAxes(swGrid *g) {
  for (int i = 0; i < g->naxes; i++) {
    for (int k = 0; k < g->axes[i].nvalues; k++) {
      free(g->axes[i].values[k].value);
    }
    free(g->axes[i].values);
    free(g->axes[i].flag);
  }
  free(g->axes);
  g->axes = NULL;
  g->naxes = 0;
}

void sw_gridClose(swGrid *g) {
  if (g == NULL) {
    return;
  }
  sw_gridClearTasks(g);
  sw_gridClearVariants(g);
  sw_gridClearAxes(g);
  sw_flagsClose(&g->flags);
  sw_gridInit(g);
}

int sw_gridAddTask(swGrid *g, const char *name, char *err, size_t errsz) {
  if (env_lookup(name) < 0) {
    tb_setErr(err, errsz, "unknown task '%.64s' (tasks: %s)", name, env_taskList());
    return TB_EINVAL;
  }
  for (int i = 0; i < g->ntasks; i++) {
    if (strcmp(g->tasks[i], name) == 0) {
      tb_setErr(err, errsz, "task '%s' is listed twice", name);
      return TB_EINVAL;
    }
  }
  char **grown = realloc(g->tasks, sizeof *grown * (size_t)(g->ntasks + 1));
  if (grown == NULL || (grown[g->ntasks] = strdup(name)) == NULL) {
    if (grown != NULL) {
      g->tasks = grown;
    }
    tb_setErr(err, errsz, "out of memory");
    return TB_ENOMEM;
  }
  g->tasks = grown;
  g->ntasks++;
  return TB_OK;
}

/* A variant name names a folder: letters, digits, '.', '_', '+', '-'; not "." or "..". */
int sw_validName(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n >= SW_MAX_NAME || name[0] == '.') {
    return 0;
  }
  for (const char *p = name; *p != '\0'; p++) {
    if (!(isalnum((unsigned char)*p) || strchr("._+-", *p) != NULL)) {
      return 0;
    }
  }
  return 1;
}

/* Appends an empty variant called name. */
swVariant *sw_gridAddVariant(swGrid *g, const char *name, char *err, size_t errsz) {
  if (!sw_validName(name)) {
    tb_setErr(err, errsz, "bad variant name '%.64s' (up to %d letters, digits, '.', '_', '+', '-')",
              name, SW_MAX_NAME - 1);
    return NULL;
  }
  for (int i = 0; i < g->nvariants; i++) {
    if (strcmp(g->variants[i].name, name) == 0) {
      tb_setErr(err, errsz, "variant '%s' is listed twice", name);
      return NULL;
    }
  }
  swVariant *grown = realloc(g->variants, sizeof *grown * (size_t)(g->nvariants + 1));
  if (grown == NULL) {
    tb_setErr(err, errsz, "out of memory");
    return NULL;
  }
  g->variants = grown;
  swVariant *v = &g->variants[g->nvariants++];
  memset(v, 0, sizeof *v);
  snprintf(v->name, sizeof v->name, "%s", name);
  return v;
}

/* Appends the built-in variant name. */
int sw_gridAddBuiltin(swGrid *g, const char *name, char *err, size_t errsz) {
  for (int i = 0; i < kNVariants; i++) {
    if (strcmp(kVariants[i].name, name) == 0) {
      swVariant *v = sw_gridAddVariant(g, name, err, errsz);
      if (v == NULL) {
        return TB_EINVAL;
      }
      return kVariants[i].flag == NULL
                 ? TB_OK
                 : sw_flagsSet(&v->flags, kVariants[i].flag, kVariants[i].value, err, errsz);
    }
  }
  tb_setErr(err, errsz, "unknown variant '%.64s' (variants: %s)", name, sw_variantList());
  return TB_EINVAL;
}

/* Calls add for every comma-separated item of list. */
static int eachItem(swGrid *g, const char *list, const char *what,
                    int (*add)(swGrid *, const char *, char *, size_t), char *err, size_t errsz) {
  int rc = TB_OK;
  int n = 0;
  for (const char *p = list; rc == TB_OK && *p != '\0';) {
    size_t len = strcspn(p, ",");
    char item[SW_MAX_NAME + 1];
    if (len == 0 || len >= sizeof item) {
      tb_setErr(err, errsz, "bad %s list '%.64s'", what, list);
      return TB_EINVAL;
    }
    memcpy(item, p, len);
    item[len] = '\0';
    rc = add(g, item, err, errsz);
    n++;
    p += len + (p[len] == ',');
  }
  if (rc == TB_OK && n == 0) {
    tb_setErr(err, errsz, "no %s given", what);
    rc = TB_EINVAL;
  }
  return rc;
}

int sw_gridSetTasks(swGrid *g, const char *list, char *err, size_t errsz) {
  sw_gridClearTasks(g);
  if (strcmp(list, "all") != 0) {
    return eachItem(g, list, "task", sw_gridAddTask, err, errsz);
  }
  for (int i = 0; i < env_taskCount(); i++) {
    int rc = sw_gridAddTask(g, env_name((envTaskId)i), err, errsz);
    if (rc != TB_OK) {
      return rc;
    }
  }
  return TB_OK;
}

int sw_gridSetVariants(swGrid *g, const char *list, char *err, size_t errsz) {
  sw_gridClearVariants(g);
  return eachItem(g, list, "variant", sw_gridAddBuiltin, err, errsz);
}

/* A flag a cell may not be given. */
int sw_checkFlag(const char *name, char *err, size_t errsz) {
  for (int i = 0; kReserved[i] != NULL; i++) {
    if (strcmp(name, kReserved[i]) == 0) {
      tb_setErr(err, errsz, "%s cannot be a train flag of a sweep (the sweep sets it)", name);
      return TB_EINVAL;
    }
  }
  return TB_OK;
}

int sw_gridSetFlag(swGrid *g, const char *name, const char *value, char *err, size_t errsz) {
  int rc = sw_checkFlag(name, err, errsz);
  return rc == TB_OK ? sw_flagsSet(&g->flags, name, value, err, errsz) : rc;
}

/* ---------------------------------------------------------------- resolving */

/* The variants of g multiplied by its axes, into out (which has no axes). */
static int expandVariants(const swGrid *g, swGrid *out, char *err, size_t errsz) {
  /* the built-in "trace" when none was given */
  swGrid base;
  sw_gridInit(&base);
  const swVariant *vs = g->variants;
  int nv = g->nvariants;
  int rc = TB_OK;
  if (nv == 0) {
    rc = sw_gridAddBuiltin(&base, "trace", err, errsz);
    vs = base.variants;
    nv = base.nvariants;
  }
  long long total = nv;
  if (g->naxes > 64) {
    tb_setErr(err, errsz, "the grid has more than 64 axes");
    rc = TB_EINVAL;
  }
  for (int a = 0; rc == TB_OK && a < g->naxes; a++) {
    total *= g->axes[a].nvalues;
    if (total > SW_MAX_CELLS) {
      tb_setErr(err, errsz, "the grid has more than %d variants", SW_MAX_CELLS);
      rc = TB_EINVAL;
      break;
    }
  }
  /* one combination per k: variant k / (product of axes), axis values by mixed radix */
  for (long long k = 0; rc == TB_OK && k < total; k++) {
    long long rest = k;
    int pick[64] = {0};
    for (int a = g->naxes - 1; a >= 0; a--) {
      pick[a] = (int)(rest % g->axes[a].nvalues);
      rest /= g->axes[a].nvalues;
    }
    const swVariant *src = &vs[rest];
    char name[4 * SW_MAX_NAME];
    int len = snprintf(name, sizeof name, "%s", src->name);
    for (int a = 0; a < g->naxes && len < (int)sizeof name; a++) {
      len +=
          snprintf(name + len, sizeof name - (size_t)len, "+%s", g->axes[a].values[pick[a]].label);
    }
    if (len >= SW_MAX_NAME) {
      tb_setErr(err, errsz, "variant name '%.80s...' is longer than %d: label the grid's values",
                name, SW_MAX_NAME - 1);
      rc = TB_EINVAL;
      break;
    }
    swVariant *v = sw_gridAddVariant(out, name, err, errsz);
    rc = v != NULL ? sw_flagsMerge(&v->flags, &src->flags, err, errsz) : TB_EINVAL;
    for (int a = 0; rc == TB_OK && a < g->naxes; a++) {
      rc = sw_flagsSet(&v->flags, g->axes[a].flag, g->axes[a].values[pick[a]].value, err, errsz);
    }
  }
  sw_gridClose(&base);
  return rc;
}

/* Adds shift to every seed of a --train-seed(s) value: "S", "A:B" or "a,b,c". */
static int shiftSeeds(const char *flag, const char *value, long long shift, char *out, size_t outsz,
                      char *err, size_t errsz) {
  size_t len = 0;
  out[0] = '\0';
  for (const char *p = value;;) {
    char *end = NULL;
    errno = 0;
    unsigned long long s = strtoull(p, &end, 10);
    if (errno != 0 || end == p || *p == '-' || s > UINT64_MAX - (unsigned long long)shift) {
      tb_setErr(err, errsz, "cannot shift %s '%.64s' for the repeats: not a seed list", flag,
                value);
      return TB_EINVAL;
    }
    int n = snprintf(out + len, outsz - len, "%llu", s + (unsigned long long)shift);
    if (n < 0 || (size_t)n >= outsz - len - 1) {
      tb_setErr(err, errsz, "%s '%.64s' is too long", flag, value);
      return TB_EINVAL;
    }
    len += (size_t)n;
    if (*end == '\0') {
      return TB_OK;
    }
    if (*end != ':' && *end != ',') {
      tb_setErr(err, errsz, "cannot shift %s '%.64s' for the repeats: not a seed list", flag,
                value);
      return TB_EINVAL;
    }
    out[len++] = *end;
    out[len] = '\0';
    p = end + 1;
  }
}

/* A cell's train flags: its task, the common flags, its variant's, the shifted seeds. */
static int cellArgs(const swSweep *s, swCell *c, char *err, size_t errsz) {
  const swGrid *g = &s->grid;
  int rc = sw_flagsSet(&c->args, "--task", g->tasks[c->task], err, errsz);
  if (rc == TB_OK) {
    rc = sw_flagsMerge(&c->args, &g->flags, err, errsz);
  }
  if (rc == TB_OK) {
    rc = sw_flagsMerge(&c->args, &g->variants[c->variant].flags, err, errsz);
  }
  /* the repeat's training start(s); --train-seed too when no --train-seeds is given */
  const char *several = sw_flagsGet(&c->args, "--train-seeds");
  static const char *const seedFlags[] = {"--train-seeds", "--train-seed"};
  for (int i = 0; rc == TB_OK && i < 2; i++) {
    const char *v = sw_flagsGet(&c->args, seedFlags[i]);
    if (v == NULL && (i == 0 || several != NULL)) {
      continue;
    }
    char shifted[SW_MAX_VALUE];
    rc = shiftSeeds(seedFlags[i], v != NULL ? v : "0", c->seed_shift, shifted, sizeof shifted, err,
                    errsz);
    if (rc == TB_OK) {
      rc = sw_flagsSet(&c->args, seedFlags[i], shifted, err, errsz);
    }
  }
  return rc;
}

/* A flag value holding the value of an API key variable. */
static int holdsKey(const char *value) {
  char copy[SW_MAX_VALUE + 64];
  snprintf(copy, sizeof copy, "%s", value);
  tr_llmRedactKeys(copy, sizeof copy);
  return strcmp(copy, value) != 0;
}

static int checkKeys(const swFlags *f, const char *where, char *err, size_t errsz) {
  for (int i = 0; i < f->n; i++) {
    if (holdsKey(f->value[i])) {
      tb_setErr(err, errsz,
                "%s %s holds the value of an API key: keys are never written to a sweep; "
                "keep them in the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY)",
                where, f->name[i]);
      return TB_EINVAL;
    }
  }
  return TB_OK;
}

int sw_resolve(const swGrid *g, const char *dir, swSweep *s, char *err, size_t errsz) {
  memset(s, 0, sizeof *s);
  sw_gridInit(&s->grid);
  snprintf(s->dir, sizeof s->dir, "%s", dir != NULL ? dir : "");
  swGrid *r = &s->grid;
  r->repeats = g->repeats > 0 ? g->repeats : 1;
  r->repeat_offset = g->repeat_offset >= 0 ? g->repeat_offset : SW_DEFAULT_REPEAT_OFFSET;
  if (g->repeats < 0 || g->repeats > SW_MAX_REPEATS) {
    tb_setErr(err, errsz, "repeats must be in 1..%d, got %d", SW_MAX_REPEATS, g->repeats);
    return TB_EINVAL;
  }
  if (g->ntasks == 0) {
    tb_setErr(err, errsz, "no tasks: give --tasks T1,T2 or all (tasks: %s)", env_taskList());
    return TB_EINVAL;
  }
  int rc = TB_OK;
  for (int i = 0; rc == TB_OK && i < g->ntasks; i++) {
    rc = sw_gridAddTask(r, g->tasks[i], err, errsz);
  }
  if (rc == TB_OK) {
    rc = sw_flagsMerge(&r->flags, &g->flags, err, errsz);
  }
  if (rc == TB_OK) {
    rc = checkKeys(&r->flags, "train flag", err, errsz);
  }
  if (rc == TB_OK) {
    rc = expandVariants(g, r, err, errsz);
  }
  for (int v = 0; rc == TB_OK && v < r->nvariants; v++) {
    rc = checkKeys(&r->variants[v].flags, r->variants[v].name, err, errsz);
  }
  if (rc != TB_OK) {
    return rc;
  }
  long long n = (long long)r->ntasks * r->nvariants * r->repeats;
  if (n > SW_MAX_CELLS) {
    tb_setErr(err, errsz, "%lld cells: a sweep has at most %d", n, SW_MAX_CELLS);
    return TB_EINVAL;
  }
  s->cells = calloc((size_t)n, sizeof *s->cells);
  if (s->cells == NULL) {
    tb_setErr(err, errsz, "out of memory");
    return TB_ENOMEM;
  }
  for (int t = 0; t < r->ntasks; t++) {
    for (int v = 0; v < r->nvariants; v++) {
      for (int k = 0; rc == TB_OK && k < r->repeats; k++) {
        swCell *c = &s->cells[s->ncells];
        c->index = s->ncells++;
        c->task = t;
        c->variant = v;
        c->repeat = k;
        c->seed_shift = (long long)k * r->repeat_offset;
        snprintf(c->run_dir, sizeof c->run_dir, "%s/%s/%s/r%d", SW_DIR_RUNS, r->tasks[t],
                 r->variants[v].name, k);
        rc = cellArgs(s, c, err, errsz);
      }
    }
  }
  return rc;
}

void sw_sweepClose(swSweep *s) {
  if (s == NULL) {
    return;
  }
  for (int i = 0; i < s->ncells; i++) {
    sw_flagsClose(&s->cells[i].args);
  }
  free(s->cells);
  s->cells = NULL;
  s->ncells = 0;
  sw_gridClose(&s->grid);
}

const char *sw_cellTask(const swSweep *s, const swCell *c) {
  return s->grid.tasks[c->task];
}

const char *sw_cellVariant(const swSweep *s, const swCell *c) {
  return s->grid.variants[c->variant].name;
}
