/* The one-line error writer and the monotonic clock (base.h). */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "base.h"

void tb_setErr(char *err, size_t errsz, const char *fmt, ...) {
  if (err != NULL && errsz > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
  }
}

double tb_nowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
