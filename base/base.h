/* base: the one internal header every module may include (it is not installed).
 *
 * One of each utility the modules share: the one-line error writer, the monotonic clock,
 * bounded reading of input files, atomic replacement of output files with one durability
 * rule, and a bounded string builder. Error codes are public: tracebot/error.h.
 *
 * Input files. Every path tracebot reads comes through tb_openInput (or tb_readFile on
 * top of it): it opens without blocking (a FIFO with no writer does not hang), refuses
 * anything that is not a regular file, and refuses a file over the caller's cap before
 * reading a byte.
 *
 * Output files. tb_atomicOpen / tb_atomicCommit (and tb_writeFileAtomic on top of them)
 * write PATH.tmp, flush and fsync it, rename it over PATH and fsync the directory, so a
 * crash leaves either the old file or the new one, never a mix. An existing PATH that is
 * not a regular file (a device, a FIFO, a directory, a symbolic link) is refused, never
 * replaced. A file appended to in place (tb_openAppend) is opened without following a
 * link, and only when it is a regular file with no other name.
 *
 * Text. Everything tracebot writes as JSON is valid UTF-8: text entering from outside (a
 * file, an LLM reply) goes through tb_utf8Sanitize where it enters, and every JSON
 * document again before it is written or after it is read, so the value in memory, the
 * one on disk and the one read back are the same. Text from outside printed to a terminal
 * goes through tb_printable.
 */
#ifndef TRACEBOT_BASE_H
#define TRACEBOT_BASE_H

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "tracebot/error.h"

#if defined(__GNUC__)
#define TB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TB_PRINTF(f, a)
#endif

/* ---------------------------------------------------------------- errors and time */

/* Writes a printf-style message into err (errsz bytes, truncated, NUL-terminated).
 * Nullable: err (then, or with errsz 0, nothing is written). */
void tb_setErr(char *err, size_t errsz, const char *fmt, ...) TB_PRINTF(3, 4);

/* Milliseconds on CLOCK_MONOTONIC (for durations and deadlines). */
double tb_nowMs(void);

/* ---------------------------------------------------------------- plug-ins */

/* Opens the shared object at path with dlopen(RTLD_NOW | RTLD_LOCAL) (a path without '/'
 * is a file in the current directory, never a library dlopen searches for) and finds its
 * entry symbol into *sym. Returns the handle (release with dlclose), or NULL with
 * "WHAT PATH: cannot load: REASON" or "WHAT PATH: missing entry symbol ENTRY" in err,
 * where what names the kind of plug-in ("driver", "task plug-in"). */
void *tb_openPlugin(const char *path, const char *entry, const char *what, void **sym, char *err,
                    size_t errsz);

/* ---------------------------------------------------------------- files */

/* Opens path for reading: without blocking, regular files only, at most max bytes
 * (0: no cap). Returns the descriptor (blocking mode restored, close-on-exec) and the
 * size in *size (nullable). Errors: -1 with a one-line message naming the file and the
 * problem ("x.c: not a regular file (a FIFO)", "x.c: larger than 262144 bytes"). */
int tb_openInput(const char *path, size_t max, size_t *size, char *err, size_t errsz);

/* tb_openInput that does not follow a symbolic link in the last component of path
 * ("x: a symbolic link; refusing to follow it"): for files inside a directory tracebot
 * owns (a run directory). */
int tb_openInputNoFollow(const char *path, size_t max, size_t *size, char *err, size_t errsz);

/* tb_openInput as a stdio stream ("rb"). Errors: NULL, message in err. */
FILE *tb_fopenInput(const char *path, size_t max, char *err, size_t errsz);

/* Reads a whole regular file of at most max bytes into a NUL-terminated heap buffer;
 * *len (nullable) gets its length. Ownership: caller frees.
 * Errors: NULL, a one-line message naming the file. */
char *tb_readFile(const char *path, size_t max, size_t *len, char *err, size_t errsz);

/* tb_readFile through tb_openInputNoFollow. */
char *tb_readFileNoFollow(const char *path, size_t max, size_t *len, char *err, size_t errsz);

/* Opens path for appending, creating it (mode 0666 less the umask) when missing: never
 * through a symbolic link, never blocking, only a regular file with no other hard link (a
 * write there would change another file too). Returns the descriptor (close-on-exec).
 * Errors: a negative code, message in err naming the file: TB_EINVAL (a link, not a regular
 * file, another hard link), TB_EIO (cannot open). */
int tb_openAppend(const char *path, char *err, size_t errsz);

/* Checks that nothing inside the directory dir, at any depth, is a symbolic link, so that
 * tracebot may write there without following one. A dir that does not exist holds none.
 * Errors: TB_EINVAL ("RUN/iterations.jsonl is a symbolic link; ..."; dir is not a
 * directory; nested deeper than 16), TB_EIO (unreadable); message in err. */
int tb_checkNoLinks(const char *dir, char *err, size_t errsz);

/* Writes all n bytes to fd, retrying on EINTR and short writes. Returns 0 or -1 (errno). */
int tb_writeAll(int fd, const void *buf, size_t n);

/* Reads exactly n bytes from fd, retrying on EINTR and short reads. Returns 0, or -1 on an
 * error (errno) or at end of file before n bytes. */
int tb_readAll(int fd, void *buf, size_t n);

/* An output file being written: PATH.tmp until committed. */
typedef struct tbAtomicFile {
  FILE *f; /* write here */
  char path[PATH_MAX];
  char tmp[PATH_MAX + 8];
} tbAtomicFile;

/* Checks that path may be written as an output file, before any work is done: it does not
 * exist or is a regular file (never a device, a FIFO, a directory or a symbolic link), and
 * its directory exists. tb_atomicOpen makes the first check again.
 * Errors: TB_EINVAL ("x exists and is a FIFO; refusing to replace it", "cannot write x: d
 * is not a directory"); message in err. */
int tb_checkOutput(const char *path, char *err, size_t errsz);

/* Starts writing path atomically. Errors: TB_EINVAL (path exists and is not a regular
 * file), TB_EIO; message in err. On error nothing is left behind. */
int tb_atomicOpen(tbAtomicFile *a, const char *path, char *err, size_t errsz);

/* Finishes: flush, fsync, close, rename over the path, fsync the directory. On failure
 * the temporary file is removed and the old file (if any) is left as it was.
 * Errors: TB_EIO, message in err. */
int tb_atomicCommit(tbAtomicFile *a, char *err, size_t errsz);

/* Gives up: closes and removes the temporary file. Safe after a commit or a failed
 * open (does nothing then). */
void tb_atomicAbort(tbAtomicFile *a);

/* Writes data (n bytes) to path atomically (tb_atomicOpen + tb_atomicCommit).
 * Errors: as those two. */
int tb_writeFileAtomic(const char *path, const void *data, size_t n, char *err, size_t errsz);

/* ---------------------------------------------------------------- string builder */

/* A string under construction. Every append keeps data NUL-terminated. When an append
 * would exceed max bytes or memory runs out, failed becomes 1 and later appends do nothing.
 * Ownership: data is heap memory; release with tb_bufClose or take it with tb_bufTake. */
typedef struct tbBuf {
  char *data;
  size_t len;
  size_t cap;
  size_t max;
  int failed;
} tbBuf;

void tb_bufInit(tbBuf *b, size_t max);
void tb_bufClose(tbBuf *b);
void tb_bufClear(tbBuf *b);
void tb_bufPutn(tbBuf *b, const char *s, size_t n);
void tb_bufPuts(tbBuf *b, const char *s);
void tb_bufPutc(tbBuf *b, char c);
void tb_bufPrintf(tbBuf *b, const char *fmt, ...) TB_PRINTF(2, 3);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 0)))
#endif
void tb_bufVprintf(tbBuf *b, const char *fmt, va_list ap);

/* Returns the string (never NULL unless failed) and leaves b empty; the caller frees it.
 * Returns NULL when the buffer failed. */
char *tb_bufTake(tbBuf *b);

/* Appends s[0..n) with each byte that does not start a well-formed UTF-8 character (RFC
 * 3629: shortest form, no surrogate, at most U+10FFFF), and each NUL byte, replaced by
 * U+FFFD (TB_UTF8_REPLACEMENT); well-formed text is copied unchanged. */
void tb_bufPutUtf8(tbBuf *b, const char *s, size_t n);

/* Appends a number in the shortest "%.15g"/"%.17g" form that reads back exactly. */
void tb_bufNumber(tbBuf *b, double x);

/* ---------------------------------------------------------------- text */

#define TB_UTF8_REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* Whether s[0..n) is well-formed UTF-8 with no NUL byte. */
int tb_utf8Valid(const char *s, size_t n);

/* The one rule for text that enters tracebot and for JSON it writes: the heap string *text
 * (*len bytes, or up to its NUL when len is NULL) is replaced by a copy where each byte that
 * is not part of a well-formed UTF-8 character, and each NUL byte, is U+FFFD (as
 * tb_bufPutUtf8). Valid text is left as it is (no copy); applying it twice changes nothing.
 * *len (nullable) gets the new length. Ownership: the old string is freed when replaced.
 * Errors: TB_ENOMEM (*text unchanged). */
int tb_utf8Sanitize(char **text, size_t *len);

/* A heap copy of s[0..n) under that rule, NUL-terminated; *outLen (nullable) gets its
 * length. For text borrowed from elsewhere. Ownership: caller frees. Errors: NULL. */
char *tb_utf8Dup(const char *s, size_t n, size_t *outLen);

/* s made safe for a terminal, into out (outsz bytes, cut between characters): control
 * characters become escapes (\n, \r, \t, \xNN for the other C0 ones and DEL, \u00NN
 * for C1 ones such as CSI) and so does each byte that is not UTF-8 (\xNN); other text is
 * kept. For any text from a file, an LLM or a controller printed by the CLI.
 * Returns out. Nullable: s (gives ""). */
const char *tb_printable(const char *s, char *out, size_t outsz);

#endif /* TRACEBOT_BASE_H */
