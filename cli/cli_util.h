/* Small helpers of the tracebot CLI: flag parsing, reading a controller file,
 * the embedded expert sources. */
#ifndef TRACEBOT_CLI_UTIL_H
#define TRACEBOT_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "tracebot/agent.h"

/* Exit statuses of the CLI contract. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* One command line being parsed: argv[i..argc). */
typedef struct cliArgs {
  int argc;
  char **argv;
  int i;
  const char *cmd; /* for messages */
} cliArgs;

/* Prints "tracebot: ..." (one line) to stderr. Returns CLI_USAGE. */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "tracebot: ..." to stderr. Returns CLI_FAIL. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Takes the next argument as a flag. Returns 1 with *flag (and *value when the flag
 * was given as --flag=value, else NULL), 0 at the end, -1 for a non-flag argument. */
int cli_nextFlag(cliArgs *a, const char **flag, const char **value);

/* The value of the current flag (inline or the next argument); NULL if missing
 * (message printed). */
const char *cli_value(cliArgs *a, const char *flag, const char *inlineValue);

/* Parsers: 0 ok, else a usage message was printed and CLI_USAGE returned. */
int cli_parseInt(const char *flag, const char *text, int lo, int hi, int *out);
int cli_parseU64(const char *flag, const char *text, uint64_t *out);
int cli_parseDouble(const char *flag, const char *text, double lo, double hi, double *out);
int cli_parseTask(const char *text, envTaskId *out);

/* Reads a whole input file of at most max bytes with tb_readFile (no hang on a FIFO,
 * regular files only). what names the file in the message: "cannot read WHAT 'PATH':
 * REASON". Returns a NUL-terminated heap buffer (*len nullable), or NULL with the
 * usage message printed. */
char *cli_readInput(const char *what, const char *path, size_t max, size_t *len);

/* cli_readInput of a controller source (at most AG_SOURCE_MAX bytes). */
char *cli_readController(const char *path, size_t *len);

#endif /* TRACEBOT_CLI_UTIL_H */
