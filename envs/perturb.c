/* envs/perturb.c: perturbations for sim-to-real robustness (envs.h, "perturbations"): the
 * knob and preset tables, parsing and printing a spec, the per-episode draw, and applying
 * it to a task: the model's parameters once per episode (on the task's own copy of the
 * model), the observation the controller sees, the command and the pushes per macro-step.
 * Nothing here allocates after a task's first perturbed reset. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "task.h"

#define SPEC_MAX 1024    /* longest spec env_parsePerturb reads */
#define PUSH_CHANCE 0.25 /* per macro-step */
#define BIT(k) (1u << (k))
#define ALL_KNOBS (BIT(ENV_PERTURB_KNOBS) - 1u)
/* the knobs that change the model, so need the task's own copy */
#define MODEL_KNOBS (BIT(ENV_PERTURB_FRICTION) | BIT(ENV_PERTURB_MASS) | BIT(ENV_PERTURB_DAMPING))

/* One knob: its name, the values it may take, its value when off, and how it reads
 * (env_perturbDescribe writes before, value * shown with `decimals` decimals, after). */
typedef struct knobRow {
  const char *name;
  double min, max; /* bounds of LO and HI */
  double neutral;  /* the value when the knob is off */
  int integer;     /* LO and HI are whole numbers, and so is the draw */
  const char *before;
  double shown;
  int decimals;
  const char *after;
} knobRow;

static const knobRow kKnobs[ENV_PERTURB_KNOBS] = {
    [ENV_PERTURB_FRICTION] = {"friction", 0.05, 20.0, 1.0, 0, "friction x", 1.0, 2, ""},
    [ENV_PERTURB_MASS] = {"mass", 0.05, 20.0, 1.0, 0, "object mass x", 1.0, 2, ""},
    [ENV_PERTURB_DAMPING] = {"damping", 0.0, 20.0, 1.0, 0, "object joint damping x", 1.0, 2, ""},
    [ENV_PERTURB_GAIN] = {"gain", 0.05, 20.0, 1.0, 0, "P-controller gain x", 1.0, 2, ""},
    [ENV_PERTURB_OBS_NOISE] = {"obs_noise", 0.0, 0.5, 0.0, 0, "observation noise ", 1000.0, 1,
                               " mm"},
    [ENV_PERTURB_ACTION_NOISE] = {"action_noise", 0.0, 0.5, 0.0, 0, "action noise ", 1000.0, 1,
                                  " mm"},
    [ENV_PERTURB_LATENCY] = {"latency", 0.0, ENV_PERTURB_MAX_LATENCY, 0.0, 1, "observations ", 12.5,
                             1, " ms late"},
    [ENV_PERTURB_PUSH] = {"push", 0.0, 5.0, 0.0, 0, "random pushes of ", 1.0, 2, " m/s"},
};

/* The named presets: knobs as env_parsePerturb reads them. */
static const struct {
  const char *name;
  const char *knobs;
} kPresets[] = {
    {"mild",
     "friction=0.8:1.2,mass=0.8:1.2,damping=0.8:1.2,gain=0.9:1.1,obs_noise=0.001,"
     "action_noise=0.001,latency=0:2"},
    {"strong",
     "friction=0.5:1.5,mass=0.5:2,damping=0.5:1.5,gain=0.7:1.3,obs_noise=0.004,"
     "action_noise=0.004,latency=0:8,push=0.5"},
};
#define NPRESETS ((int)(sizeof kPresets / sizeof kPresets[0]))

const char *env_perturbKnobName(envPerturbKnob k) {
  return (int)k >= 0 && k < ENV_PERTURB_KNOBS ? kKnobs[k].name : NULL;
}

/* ---- parsing ---------------------------------------------------------------------------- */

/* Whether [s, e) spells name. */
static int spells(const char *s, const char *e, const char *name) {
  return strlen(name) == (size_t)(e - s) && memcmp(name, s, (size_t)(e - s)) == 0;
}

/* The knob named by [s, e), or -1. */
static int findKnob(const char *s, const char *e) {
  int k = 0;
  while (k < ENV_PERTURB_KNOBS && !spells(s, e, kKnobs[k].name)) {
    k++;
  }
  return k < ENV_PERTURB_KNOBS ? k : -1;
}

/* The preset named by [s, e), or -1. */
static int findPreset(const char *s, const char *e) {
  int i = 0;
  while (i < NPRESETS && !spells(s, e, kPresets[i].name)) {
    i++;
  }
  return i < NPRESETS ? i : -1;
}

/* A finite number spanning [s, e) exactly. */
static int parseNumber(const char *s, const char *e, double *out) {
  char buf[64];
  size_t n = (size_t)(e - s);
  if (n == 0 || n >= sizeof buf || s[0] == ' ') {
    return -1;
  }
  memcpy(buf, s, n);
  buf[n] = '\0';
  char *stop = NULL;
  errno = 0;
  double v = strtod(buf, &stop);
  if (stop != buf + n || errno == ERANGE || !isfinite(v)) {
    return -1;
  }
  *out = v;
  return 0;
}

/* Whether knob k may take [lo, hi]; else a message naming the item. */
static int checkRange(int k, double lo, double hi, int itemLen, const char *item, char *err,
                      size_t errsz) {
  const knobRow *r = &kKnobs[k];
  if (!(isfinite(lo) && isfinite(hi))) {
    tb_setErr(err, errsz, "perturbation '%.*s': not a finite number", itemLen, item);
    return TB_EINVAL;
  }
  if (lo > hi) {
    tb_setErr(err, errsz, "perturbation '%.*s': the range is reversed (LO:HI needs LO <= HI)",
              itemLen, item);
    return TB_EINVAL;
  }
  if (lo < r->min || hi > r->max) {
    tb_setErr(err, errsz, "perturbation '%.*s': %s must be within [%g, %g]", itemLen, item, r->name,
              r->min, r->max);
    return TB_EINVAL;
  }
  if (r->integer && (lo != floor(lo) || hi != floor(hi))) {
    tb_setErr(err, errsz, "perturbation '%.*s': %s takes whole numbers (env steps)", itemLen, item,
              r->name);
    return TB_EINVAL;
  }
  return TB_OK;
}

static int parseSpec(const char *text, envPerturb *out, int nested, char *err, size_t errsz);

/* One item [s, e) of a spec: a preset (first only) or NAME=V or NAME=LO:HI. given holds
 * the knobs set by an item so far (a preset's do not count: items after it override). */
static int parseItem(const char *s, const char *e, int first, envPerturb *out, unsigned *given,
                     char *err, size_t errsz) {
  int len = (int)(e - s);
  const char *eq = memchr(s, '=', (size_t)len);
  if (len == 0) {
    tb_setErr(err, errsz, "perturbation: empty item (items are separated by single commas)");
    return TB_EINVAL;
  }
  if (eq == NULL) {
    int preset = findPreset(s, e);
    if (preset >= 0 && first) {
      return parseSpec(kPresets[preset].knobs, out, 1, err, errsz);
    }
    if (preset >= 0 || spells(s, e, "none")) {
      tb_setErr(err, errsz, "perturbation: '%.*s' must come first (%s)", len, s,
                preset >= 0 ? "a preset, then knobs that override it" : "and alone");
      return TB_EINVAL;
    }
    tb_setErr(err, errsz, "perturbation: unknown item '%.*s' (%s; knobs take NAME=V or NAME=LO:HI)",
              len, s, env_perturbHelp());
    return TB_EINVAL;
  }
  int k = findKnob(s, eq);
  if (k < 0) {
    tb_setErr(err, errsz, "perturbation: unknown knob '%.*s' (%s)", (int)(eq - s), s,
              env_perturbHelp());
    return TB_EINVAL;
  }
  if (*given & BIT(k)) {
    tb_setErr(err, errsz, "perturbation: knob '%s' is given twice", kKnobs[k].name);
    return TB_EINVAL;
  }
  const char *colon = memchr(eq + 1, ':', (size_t)(e - eq - 1));
  double lo = 0.0;
  double hi = 0.0;
  int bad = colon != NULL
                ? parseNumber(eq + 1, colon, &lo) != 0 || parseNumber(colon + 1, e, &hi) != 0
                : parseNumber(eq + 1, e, &lo) != 0;
  if (bad) {
    tb_setErr(err, errsz, "perturbation '%.*s': expected %s=V or %s=LO:HI with numbers", len, s,
              kKnobs[k].name, kKnobs[k].name);
    return TB_EINVAL;
  }
  if (colon == NULL) {
    hi = lo;
  }
  int rc = checkRange(k, lo, hi, len, s, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  *given |= BIT(k);
  out->on |= BIT(k);
  out->lo[k] = lo;
  out->hi[k] = hi;
  return TB_OK;
}

/* Parses text into out (which a preset's knobs fill first); nested: a preset's own text. */
static int parseSpec(const char *text, envPerturb *out, int nested, char *err, size_t errsz) {
  unsigned given = 0;
  const char *p = text;
  for (int first = !nested;; first = 0) {
    const char *end = strchr(p, ',');
    if (end == NULL) {
      end = p + strlen(p);
    }
    int rc = parseItem(p, end, first, out, &given, err, errsz);
    if (rc != TB_OK) {
      return rc;
    }
    if (*end == '\0') {
      return TB_OK;
    }
    p = end + 1;
  }
}

int env_parsePerturb(const char *text, envPerturb *out, char *err, size_t errsz) {
  memset(out, 0, sizeof *out);
  if (text == NULL || text[0] == '\0') {
    tb_setErr(err, errsz, "perturbation: empty (expected none, a preset or knobs: %s)",
              env_perturbHelp());
    return TB_EINVAL;
  }
  if (strlen(text) > SPEC_MAX) {
    tb_setErr(err, errsz, "perturbation: longer than %d bytes", SPEC_MAX);
    return TB_EINVAL;
  }
  if (strcmp(text, "none") == 0) {
    return TB_OK;
  }
  int rc = parseSpec(text, out, 0, err, errsz);
  if (rc != TB_OK) {
    memset(out, 0, sizeof *out);
  }
  return rc;
}

/* ---- printing --------------------------------------------------------------------------- */

/* The shortest %g form of v that reads back as v. */
static void shortest(double v, char *out, size_t outsz) {
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(out, outsz, "%.*g", prec, v);
    if (strtod(out, NULL) == v) {
      return;
    }
  }
}

/* Appends to out (outsz bytes, *n used so far), after sep unless out is still empty;
 * stops quietly at the end of the buffer. */
__attribute__((format(printf, 5, 6))) static void append(char *out, size_t outsz, size_t *n,
                                                         const char *sep, const char *fmt, ...) {
  if (*n > 0 && *n < outsz) {
    *n += (size_t)snprintf(out + *n, outsz - *n, "%s", sep);
  }
  if (*n < outsz) {
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(out + *n, outsz - *n, fmt, ap);
    va_end(ap);
    *n += w > 0 ? (size_t)w : 0;
  }
}

/* "knobs friction, mass, ...; presets none, mild, strong", built once from the tables. */
static char helpText[512];
static pthread_once_t helpOnce = PTHREAD_ONCE_INIT;

static void buildHelp(void) {
  size_t n = 0;
  for (int k = 0; k < ENV_PERTURB_KNOBS; k++) {
    append(helpText, sizeof helpText, &n, ", ", "%s%s", k ? "" : "knobs ", kKnobs[k].name);
  }
  append(helpText, sizeof helpText, &n, "; ", "presets none");
  for (int i = 0; i < NPRESETS; i++) {
    append(helpText, sizeof helpText, &n, ", ", "%s", kPresets[i].name);
  }
}

const char *env_perturbHelp(void) {
  pthread_once(&helpOnce, buildHelp);
  return helpText;
}

void env_perturbText(const envPerturb *p, char *out, size_t outsz) {
  if (out == NULL || outsz == 0) {
    return;
  }
  snprintf(out, outsz, "none");
  size_t n = 0;
  for (int k = 0; p != NULL && k < ENV_PERTURB_KNOBS; k++) {
    if (p->on & BIT(k)) {
      char lo[32];
      char hi[32];
      shortest(p->lo[k], lo, sizeof lo);
      shortest(p->hi[k], hi, sizeof hi);
      append(out, outsz, &n, ",", "%s=%s%s%s", kKnobs[k].name, lo, p->lo[k] == p->hi[k] ? "" : ":",
             p->lo[k] == p->hi[k] ? "" : hi);
    }
  }
}

void env_perturbDescribe(const envPerturbValues *v, char *out, size_t outsz) {
  if (out == NULL || outsz == 0) {
    return;
  }
  snprintf(out, outsz, "none");
  size_t n = 0;
  for (int k = 0; v != NULL && k < ENV_PERTURB_KNOBS; k++) {
    const knobRow *r = &kKnobs[k];
    if (v->on & BIT(k)) {
      append(out, outsz, &n, ", ", "%s%.*f%s", r->before, r->decimals, v->value[k] * r->shown,
             r->after);
    }
  }
}

cJSON *env_perturbJson(const envPerturb *p, const envPerturbValues *v) {
  if (p == NULL || p->on == 0) {
    return cJSON_CreateNull();
  }
  char text[ENV_PERTURB_TEXT_MAX];
  env_perturbText(p, text, sizeof text);
  cJSON *o = cJSON_CreateObject();
  cJSON *values = cJSON_CreateObject();
  if (o == NULL || values == NULL || cJSON_AddStringToObject(o, "spec", text) == NULL) {
    cJSON_Delete(o);
    cJSON_Delete(values);
    return NULL;
  }
  cJSON_AddItemToObject(o, "values", values);
  for (int k = 0; v != NULL && k < ENV_PERTURB_KNOBS; k++) {
    if ((v->on & BIT(k)) && cJSON_AddNumberToObject(values, kKnobs[k].name, v->value[k]) == NULL) {
      cJSON_Delete(o);
      return NULL;
    }
  }
  return o;
}

/* ---- the draw --------------------------------------------------------------------------- */

/* The seed's stream of per-episode values, and of per-step noise and pushes: both apart
 * from the stream of the task's own draw, so that the object and goal do not change. */
static uint64_t drawState(uint64_t seed) {
  return env_seedState(seed) ^ 0x7065727475726221ull; /* "perturb!" */
}

static uint64_t stepState(uint64_t seed) {
  return env_seedState(seed) ^ 0x6e6f69736573210aull; /* "noises!\n" */
}

void env_perturbDraw(const envPerturb *p, uint64_t seed, envPerturbValues *out) {
  uint64_t state = drawState(seed);
  out->on = p != NULL ? p->on & ALL_KNOBS : 0;
  /* one uniform per knob whether it is on or not: a knob's value ignores the others */
  for (int k = 0; k < ENV_PERTURB_KNOBS; k++) {
    double u = env_uniform(&state, 0.0, 1.0);
    if (!(out->on & BIT(k))) {
      out->value[k] = kKnobs[k].neutral;
    } else if (p->lo[k] == p->hi[k]) {
      out->value[k] = p->lo[k];
    } else if (kKnobs[k].integer) {
      out->value[k] = fmin(p->lo[k] + floor(u * (p->hi[k] - p->lo[k] + 1.0)), p->hi[k]);
    } else {
      out->value[k] = p->lo[k] + (p->hi[k] - p->lo[k]) * u;
    }
  }
}

/* A standard normal draw from the stream (Box-Muller). */
static double gaussian(uint64_t *state) {
  double u1 = env_uniform(state, 0.0, 1.0);
  double u2 = env_uniform(state, 0.0, 1.0);
  return sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
}

/* ---- applying it to a task -------------------------------------------------------------- */

const envPerturbValues *env_perturbValues(const envTask *task) {
  return &task->perturb.values;
}

/* Whether p can be applied; else a message. */
static int checkSpec(const envPerturb *p, char *err, size_t errsz) {
  if (p->on & ~ALL_KNOBS) {
    tb_setErr(err, errsz, "perturbation: unknown knob bits 0x%x", p->on & ~ALL_KNOBS);
    return TB_EINVAL;
  }
  for (int k = 0; k < ENV_PERTURB_KNOBS; k++) {
    const char *name = kKnobs[k].name;
    int rc = p->on & BIT(k) ? checkRange(k, p->lo[k], p->hi[k], (int)strlen(name), name, err, errsz)
                            : TB_OK;
    if (rc != TB_OK) {
      return rc;
    }
  }
  return TB_OK;
}

/* Puts back the spec's values of every parameter a perturbation may change. */
static void restoreModel(mjModel *dst, const mjModel *src) {
#define RESTORE(field, n) memcpy(dst->field, src->field, sizeof(mjtNum) * (size_t)(n))
  RESTORE(geom_friction, 3 * src->ngeom);
  RESTORE(body_mass, src->nbody);
  RESTORE(body_subtreemass, src->nbody);
  RESTORE(body_inertia, 3 * src->nbody);
  RESTORE(body_invweight0, 2 * src->nbody);
  RESTORE(dof_invweight0, src->nv);
  RESTORE(dof_damping, src->nv);
#undef RESTORE
}

/* Scales the model's parameters by the drawn values. */
static void applyModel(const envSpec *s, mjModel *m, const envPerturbValues *v) {
  /* friction: every geom that collides, so that each contact of the object and the pads
     (with each other, the table, its walls, the hand) is scaled whatever MuJoCo mixes */
  double f = v->value[ENV_PERTURB_FRICTION];
  for (int g = 0; f != 1.0 && g < m->ngeom; g++) {
    if (m->geom_contype[g] != 0 || m->geom_conaffinity[g] != 0) {
      for (int i = 0; i < 3; i++) {
        m->geom_friction[3 * g + i] *= f;
      }
    }
  }

  /* the objects' masses (every body of the task's objects that can move): inertia, inverse
     weights and the subtree masses up to the world follow, as the compiler would have set
     them */
  double k = v->value[ENV_PERTURB_MASS];
  for (int o = 0; k != 1.0 && s->def->objects != NULL && s->def->objects[o].name != NULL; o++) {
    int b = s->ids[o];
    if (s->def->objects[o].type != mjOBJ_BODY || m->body_mocapid[b] >= 0 ||
        m->body_dofnum[b] == 0) {
      continue;
    }
    double added = m->body_mass[b] * (k - 1.0);
    m->body_mass[b] *= k;
    for (int i = 0; i < 3; i++) {
      m->body_inertia[3 * b + i] *= k;
    }
    m->body_invweight0[2 * b] /= k;
    m->body_invweight0[2 * b + 1] /= k;
    for (int i = 0; i < m->body_dofnum[b]; i++) {
      m->dof_invweight0[m->body_dofadr[b] + i] /= k;
    }
    for (int a = b;; a = m->body_parentid[a]) {
      m->body_subtreemass[a] += added;
      if (a == 0) {
        break;
      }
    }
  }

  /* damping of the objects' joints: every non-free joint outside the robot's tree */
  double damp = v->value[ENV_PERTURB_DAMPING];
  int robot = m->body_rootid[s->hand];
  for (int j = 0; damp != 1.0 && j < m->njnt; j++) {
    if (m->jnt_type[j] == mjJNT_FREE || m->body_rootid[m->jnt_bodyid[j]] == robot) {
      continue;
    }
    int ndof = m->jnt_type[j] == mjJNT_BALL ? 3 : 1;
    for (int i = 0; i < ndof; i++) {
      m->dof_damping[m->jnt_dofadr[j] + i] *= damp;
    }
  }
}

/* Moves the task to a world on its own copy of the spec's model. */
static int ownModel(envTask *task, char *err, size_t errsz) {
  mjModel *m = sim_copyModel(task->spec->m, err, errsz);
  if (m == NULL) {
    return TB_ENOMEM;
  }
  simWorld *w = sim_make(m, err, errsz);
  if (w == NULL) {
    sim_freeModel(m);
    return TB_ENOMEM;
  }
  sim_free(task->world);
  task->world = w;
  task->perturb.model = m;
  return TB_OK;
}

int env_perturbBegin(envTask *task, const envPerturb *p, uint64_t seed, char *err, size_t errsz) {
  int rc = checkSpec(p, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  envTaskPerturb *tp = &task->perturb;
  if ((p->on & MODEL_KNOBS) && tp->model == NULL) {
    rc = ownModel(task, err, errsz);
    if (rc != TB_OK) {
      return rc;
    }
  }
  env_perturbDraw(p, seed, &tp->values);
  tp->gainScale = tp->values.value[ENV_PERTURB_GAIN];
  tp->stream = stepState(seed);
  tp->seen = 0;
  /* once per episode: the spec's parameters back, then this episode's scales */
  if (tp->model != NULL) {
    restoreModel(tp->model, task->spec->m);
    applyModel(task->spec, tp->model, &tp->values);
  }
  return TB_OK;
}

/* Remembers the true observation obs as the latest of the episode. */
static void remember(envTaskPerturb *tp, const obs_t *obs) {
  tp->past[tp->seen % ENV_PERTURB_RING] = *obs;
  tp->seen++;
}

int env_perturbDelays(const envTask *task) {
  const envTaskPerturb *tp = &task->perturb;
  return tp->seen > 0 && tp->values.value[ENV_PERTURB_LATENCY] > 0.0;
}

void env_perturbStep(envTask *task, const obs_t *now) {
  remember(&task->perturb, now);
}

void env_perturbSense(envTask *task, obs_t *obs) {
  envTaskPerturb *tp = &task->perturb;
  const double *v = tp->values.value;
  if (tp->values.on == 0) {
    return;
  }
  /* latency: the sensed fields of `lag` env steps ago (at most back to the episode's
     first observation, which the reset's call remembers) */
  int lag = (int)v[ENV_PERTURB_LATENCY];
  if (lag > 0) {
    if (tp->seen == 0) {
      remember(tp, obs);
    }
    int from = tp->seen - 1 > lag ? tp->seen - 1 - lag : 0;
    int step = obs->step;
    int horizon = obs->horizon;
    *obs = tp->past[from % ENV_PERTURB_RING];
    obs->step = step;
    obs->horizon = horizon;
  }
  /* noise on the sensed positions */
  double sd = v[ENV_PERTURB_OBS_NOISE];
  for (int i = 0; sd > 0.0 && i < 3; i++) {
    obs->hand_pos[i] += sd * gaussian(&tp->stream);
    obs->obj_pos[i] += sd * gaussian(&tp->stream);
  }
}

/* The first dof of the first free joint among the task's objects, or -1 (a door, a drawer:
 * pushes do nothing there). */
static int freeObjectDof(const envSpec *s) {
  const mjModel *m = s->m;
  for (int o = 0; s->def->objects != NULL && s->def->objects[o].name != NULL; o++) {
    int b = s->ids[o];
    if (s->def->objects[o].type == mjOBJ_BODY && m->body_jntnum[b] > 0 &&
        m->jnt_type[m->body_jntadr[b]] == mjJNT_FREE) {
      return m->jnt_dofadr[m->body_jntadr[b]];
    }
  }
  return -1;
}

void env_perturbCommand(envTask *task, double target[3]) {
  envTaskPerturb *tp = &task->perturb;
  const double *v = tp->values.value;
  if (tp->values.on == 0) {
    return;
  }
  /* a push: the horizontal velocity of the task's free object (if it has one) changes by
     `push` m/s */
  if (v[ENV_PERTURB_PUSH] > 0.0 && env_uniform(&tp->stream, 0.0, 1.0) < PUSH_CHANCE) {
    double angle = env_uniform(&tp->stream, 0.0, 2.0 * M_PI);
    int dof = freeObjectDof(task->spec);
    if (dof >= 0) {
      double *qvel = sim_data(task->world)->qvel + dof;
      qvel[0] += v[ENV_PERTURB_PUSH] * cos(angle);
      qvel[1] += v[ENV_PERTURB_PUSH] * sin(angle);
    }
  }
  /* the command lands off target */
  double sd = v[ENV_PERTURB_ACTION_NOISE];
  for (int i = 0; sd > 0.0 && i < 3; i++) {
    target[i] += sd * gaussian(&tp->stream);
  }
}

void env_perturbClose(envTask *task) {
  sim_freeModel(task->perturb.model);
  task->perturb.model = NULL;
}
