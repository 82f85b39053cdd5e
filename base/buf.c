/* Bounded growable string buffer. */
#include "base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tb_bufInit(tbBuf *b, size_t max) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
  b->failed = 0;
}

void tb_bufClose(tbBuf *b) {
  free(b->data);
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
}

void tb_bufClear(tbBuf *b) {
  b->len = 0;
  b->failed = 0;
  if (b->data) {
    b->data[0] = '\0';
  }
}

/* Makes room for n more bytes plus the terminator; returns 0 on success. */
static int reserve(tbBuf *b, size_t n) {
  if (b->failed) {
    return -1;
  }
  if (n > b->max || b->len > b->max - n) {
    b->failed = 1;
    return -1;
  }
  size_t need = b->len + n + 1;
  if (need <= b->cap) {
    return 0;
  }
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need) {
    cap *= 2;
  }
  char *p = realloc(b->data, cap);
  if (!p) {
    b->failed = 1;
    return -1;
  }
  b->data = p;
  b->cap = cap;
  return 0;
}

void tb_bufPutn(tbBuf *b, const char *s, size_t n) {
  if (reserve(b, n) != 0) {
    return;
  }
  if (n) {
    memcpy(b->data + b->len, s, n);
  }
  b->len += n;
  b->data[b->len] = '\0';
}

void tb_bufPuts(tbBuf *b, const char *s) {
  tb_bufPutn(b, s ? s : "", s ? strlen(s) : 0);
}

void tb_bufPutc(tbBuf *b, char c) {
  tb_bufPutn(b, &c, 1);
}

void tb_bufVprintf(tbBuf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) {
    b->failed = 1;
    return;
  }
  if (reserve(b, (size_t)n) != 0) {
    return;
  }
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
}

void tb_bufPrintf(tbBuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tb_bufVprintf(b, fmt, ap);
  va_end(ap);
}

char *tb_bufTake(tbBuf *b) {
  if (b->failed) {
    tb_bufClose(b);
    b->failed = 0;
    return NULL;
  }
  if (!b->data) {
    char *empty = calloc(1, 1);
    return empty;
  }
  char *s = b->data;
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  return s;
}

void tb_bufNumber(tbBuf *b, double x) {
  char tmp[40];
  snprintf(tmp, sizeof tmp, "%.15g", x);
  if (strtod(tmp, NULL) != x) {
    snprintf(tmp, sizeof tmp, "%.17g", x);
  }
  tb_bufPuts(b, tmp);
}
