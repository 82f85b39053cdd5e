/* Names and descriptions of the error codes (tracebot/error.h), from its one table. */
#include <stddef.h>

#include "tracebot/error.h"

typedef struct errorRow {
  int code;
  const char *name;
  const char *text;
} errorRow;

static const errorRow kErrors[] = {
#define TB_ERROR_ROW(name, value, text) {value, #name, text},
    TB_ERRORS(TB_ERROR_ROW)
#undef TB_ERROR_ROW
};

static const errorRow *findError(int code) {
  for (size_t i = 0; i < sizeof kErrors / sizeof kErrors[0]; i++) {
    if (kErrors[i].code == code) {
      return &kErrors[i];
    }
  }
  return NULL;
}

const char *tb_errorName(int code) {
  const errorRow *r = findError(code);
  return r != NULL ? r->name : "unknown";
}

const char *tb_strerror(int code) {
  const errorRow *r = findError(code);
  return r != NULL ? r->text : "unknown error";
}
