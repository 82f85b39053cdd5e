/* Private: a bounded, growable NUL-terminated string buffer (trace module internals). */
#ifndef TRACEBOT_TRACE_BUF_H
#define TRACEBOT_TRACE_BUF_H

#include <stdarg.h>
#include <stddef.h>

/* A string under construction. Every append keeps data NUL-terminated. When an append
 * would exceed max bytes or memory runs out, failed becomes 1 and later appends do nothing.
 * Ownership: data is heap memory; release with buf_close or take it with buf_take. */
typedef struct trBuf {
  char *data;
  size_t len;
  size_t cap;
  size_t max;
  int failed;
} trBuf;

void buf_init(trBuf *b, size_t max);
void buf_close(trBuf *b);
void buf_clear(trBuf *b);
void buf_putn(trBuf *b, const char *s, size_t n);
void buf_puts(trBuf *b, const char *s);
void buf_putc(trBuf *b, char c);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void buf_printf(trBuf *b, const char *fmt, ...);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 0)))
#endif
void buf_vprintf(trBuf *b, const char *fmt, va_list ap);

/* Returns the string (never NULL unless failed) and leaves b empty; the caller frees it.
 * Returns NULL when the buffer failed. */
char *buf_take(trBuf *b);

/* Appends a number in the shortest "%.15g"/"%.17g" form that reads back exactly. */
void buf_number(trBuf *b, double x);

#endif /* TRACEBOT_TRACE_BUF_H */
