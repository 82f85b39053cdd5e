/* A parameter's value: accessors and setters, its kind's name, and its value as prompt
 * text and as JSON (shared by the graph, the prompts, the memory lines and saved state). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

const char *tr_kindName(trKind k) {
  switch (k) {
    case TR_NUMBER:
      return "number";
    case TR_VECTOR:
      return "vector";
    case TR_CODE:
      return "code";
    case TR_TEXT:
    default:
      return "text";
  }
}

void tr_paramValueText(tbBuf *b, const trParam *p) {
  switch (p->kind) {
    case TR_NUMBER:
      tb_bufNumber(b, p->number);
      break;
    case TR_VECTOR:
      tb_bufPutc(b, '[');
      for (int i = 0; i < p->nvec; i++) {
        if (i) {
          tb_bufPuts(b, ", ");
        }
        tb_bufNumber(b, p->vec[i]);
      }
      tb_bufPutc(b, ']');
      break;
    case TR_TEXT:
    case TR_CODE:
    default:
      tb_bufPuts(b, p->text ? p->text : "");
      break;
  }
}

cJSON *tr_paramValueJson(const trParam *p) {
  switch (p->kind) {
    case TR_NUMBER:
      return cJSON_CreateNumber(p->number);
    case TR_VECTOR: {
      cJSON *v = cJSON_CreateDoubleArray(p->vec, p->nvec);
      return v || p->nvec != 0 ? v : cJSON_CreateArray();
    }
    case TR_TEXT:
    case TR_CODE:
    default:
      return cJSON_CreateString(p->text ? p->text : "");
  }
}

const char *tr_paramName(const trParam *p) {
  return p ? p->name : NULL;
}

trKind tr_paramKind(const trParam *p) {
  return p ? p->kind : TR_TEXT;
}

const char *tr_paramConstraint(const trParam *p) {
  return p ? p->constraint : NULL;
}

double tr_paramNumber(const trParam *p) {
  return (p && p->kind == TR_NUMBER) ? p->number : 0.0;
}

const double *tr_paramVector(const trParam *p, int *n) {
  if (n) {
    *n = (p && p->kind == TR_VECTOR) ? p->nvec : 0;
  }
  return (p && p->kind == TR_VECTOR) ? p->vec : NULL;
}

const char *tr_paramText(const trParam *p) {
  return (p && (p->kind == TR_TEXT || p->kind == TR_CODE)) ? p->text : NULL;
}

int tr_setNumber(trParam *p, double x, char *err, size_t errsz) {
  if (!p || p->kind != TR_NUMBER) {
    tb_setErr(err, errsz, "tr_setNumber: %s is not a number parameter", p ? p->name : "NULL");
    return TB_EINVAL;
  }
  if (!isfinite(x)) {
    tb_setErr(err, errsz, "tr_setNumber: %s: value is not finite", p->name);
    return TB_EINVAL;
  }
  p->number = x;
  return 0;
}

int tr_setVector(trParam *p, const double *x, int n, char *err, size_t errsz) {
  if (!p || p->kind != TR_VECTOR || n < 0 || (n > 0 && !x)) {
    tb_setErr(err, errsz, "tr_setVector: %s is not a vector parameter or bad data",
              p ? p->name : "NULL");
    return TB_EINVAL;
  }
  for (int i = 0; i < n; i++) {
    if (!isfinite(x[i])) {
      tb_setErr(err, errsz, "tr_setVector: %s[%d] is not finite", p->name, i);
      return TB_EINVAL;
    }
  }
  double *v = NULL;
  if (n > 0) {
    v = malloc(sizeof(double) * (size_t)n);
    if (!v) {
      tb_setErr(err, errsz, "out of memory");
      return TB_ENOMEM;
    }
    memcpy(v, x, sizeof(double) * (size_t)n);
  }
  free(p->vec);
  p->vec = v;
  p->nvec = n;
  return 0;
}

int tr_setText(trParam *p, const char *text, char *err, size_t errsz) {
  if (!p || (p->kind != TR_TEXT && p->kind != TR_CODE) || !text) {
    tb_setErr(err, errsz, "tr_setText: %s is not a text or code parameter, or NULL text",
              p ? p->name : "NULL");
    return TB_EINVAL;
  }
  char *t = strdup(text);
  if (!t) {
    tb_setErr(err, errsz, "out of memory");
    return TB_ENOMEM;
  }
  free(p->text);
  p->text = t;
  return 0;
}

trParam *tr_findParam(const trOptimizer *opt, const char *name) {
  if (!opt || !name) {
    return NULL;
  }
  for (int i = 0; i < opt->nparams; i++) {
    if (strcmp(opt->params[i]->name, name) == 0) {
      return opt->params[i];
    }
  }
  return NULL;
}
