/* Text that crosses tracebot's edges (base.h): UTF-8 for what is written as JSON, escaped
 * control characters for what is printed to a terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

/* The length of the well-formed UTF-8 character at s[0..n) (RFC 3629: shortest form, no
 * surrogate, at most U+10FFFF), with its code point in *cp; 0 when s does not start one.
 * NUL is not a character here: C strings end at it. */
static size_t utf8Char(const unsigned char *s, size_t n, unsigned *cp) {
  unsigned c = s[0];
  if (c >= 0x01 && c <= 0x7F) {
    *cp = c;
    return 1;
  }
  size_t len;
  unsigned lo = 0x80;
  unsigned hi = 0xBF; /* the range of the second byte */
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    c &= 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    lo = c == 0xE0 ? 0xA0 : 0x80; /* no overlong form */
    hi = c == 0xED ? 0x9F : 0xBF; /* no surrogate */
    c &= 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    lo = c == 0xF0 ? 0x90 : 0x80; /* no overlong form */
    hi = c == 0xF4 ? 0x8F : 0xBF; /* nothing above U+10FFFF */
    c &= 0x07;
  } else {
    return 0;
  }
  if (n < len || s[1] < lo || s[1] > hi) {
    return 0;
  }
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) {
      return 0;
    }
    c = (c << 6) | (s[i] & 0x3F);
  }
  *cp = c;
  return len;
}

int tb_utf8Valid(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  unsigned cp;
  for (size_t i = 0; i < n;) {
    size_t k = utf8Char(p + i, n - i, &cp);
    if (k == 0) {
      return 0;
    }
    i += k;
  }
  return 1;
}

void tb_bufPutUtf8(tbBuf *b, const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  unsigned cp;
  size_t run = 0; /* start of the well-formed bytes not yet appended */
  for (size_t i = 0; i < n;) {
    size_t k = utf8Char(p + i, n - i, &cp);
    if (k > 0) {
      i += k;
      continue;
    }
    tb_bufPutn(b, s + run, i - run);
    tb_bufPuts(b, TB_UTF8_REPLACEMENT);
    run = ++i;
  }
  tb_bufPutn(b, s + run, n - run);
}

char *tb_utf8Dup(const char *s, size_t n, size_t *outLen) {
  tbBuf b;
  tb_bufInit(&b, (size_t)-1 / 4);
  tb_bufPutUtf8(&b, s, n);
  if (outLen != NULL) {
    *outLen = b.len;
  }
  return tb_bufTake(&b);
}

int tb_utf8Sanitize(char **text, size_t *len) {
  size_t n = len != NULL ? *len : strlen(*text);
  if (tb_utf8Valid(*text, n)) {
    return TB_OK;
  }
  size_t fixed = 0;
  char *copy = tb_utf8Dup(*text, n, &fixed);
  if (copy == NULL) {
    return TB_ENOMEM;
  }
  free(*text);
  *text = copy;
  if (len != NULL) {
    *len = fixed;
  }
  return TB_OK;
}

/* ------------------------------------------------------------- terminal text */

/* The printable form of the character or byte at s[0..n) into piece (at most 7 bytes
 * and a NUL); returns its length and sets *used to the bytes of s it stands for. */
static size_t printablePiece(const unsigned char *s, size_t n, char piece[8], size_t *used) {
  unsigned cp;
  size_t k = utf8Char(s, n, &cp);
  if (k == 0) {
    *used = 1; /* a byte that is not UTF-8, or NUL */
    return (size_t)snprintf(piece, 8, "\\x%02x", s[0]);
  }
  *used = k;
  if (cp == '\n' || cp == '\r' || cp == '\t') {
    return (size_t)snprintf(piece, 8, "\\%c", cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't');
  }
  if (cp < 0x20 || cp == 0x7F) {
    return (size_t)snprintf(piece, 8, "\\x%02x", cp); /* C0 controls and DEL */
  }
  if (cp >= 0x80 && cp <= 0x9F) {
    return (size_t)snprintf(piece, 8, "\\u%04x", cp); /* C1 controls (CSI is U+009B) */
  }
  memcpy(piece, s, k);
  piece[k] = '\0';
  return k;
}

const char *tb_printable(const char *s, char *out, size_t outsz) {
  if (outsz == 0) {
    return out;
  }
  size_t n = s != NULL ? strlen(s) : 0;
  size_t w = 0;
  for (size_t i = 0; i < n;) {
    char piece[8];
    size_t used;
    size_t k = printablePiece((const unsigned char *)s + i, n - i, piece, &used);
    if (w + k >= outsz) {
      break; /* cut between characters, never inside one */
    }
    memcpy(out + w, piece, k);
    w += k;
    i += used;
  }
  out[w] = '\0';
  return out;
}
