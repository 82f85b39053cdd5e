/* Small helpers of the tracebot CLI: printing the one-line errors of the CLI contract,
 * flag parsing, reading input files, printing JSON. */
#ifndef TRACEBOT_CLI_UTIL_H
#define TRACEBOT_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "tracebot/agent.h"

struct cJSON;

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

/* The flag of every command that loads a task plug-in; main handles it before the command
 * runs, and cli_nextFlag passes over it and its value. */
#define CLI_TASK_PLUGIN "--task-plugin"

/* Takes the next argument as a flag, passing over CLI_TASK_PLUGIN and its value. Returns 1
 * with *flag (and *value when the flag was given as --flag=value, else NULL), 0 at the
 * end, -1 for a non-flag argument. */
int cli_nextFlag(cliArgs *a, const char **flag, const char **value);

/* cli_nextFlag for commands without positional arguments: a non-flag argument prints
 * "CMD: unexpected argument 'x'" and returns -1. */
int cli_nextOption(cliArgs *a, const char **flag, const char **value);

/* The value of the current flag (inline or the next argument); NULL if missing
 * (message printed). */
const char *cli_value(cliArgs *a, const char *flag, const char *inlineValue);

/* Whether flag is one of the NULL-terminated names. */
int cli_isOneOf(const char *flag, const char *const *names);

/* cli_value of a flag that must be one of known (NULL-terminated); NULL with a message
 * printed when it is not ("CMD: unknown flag 'x' (see tracebot CMD --help)") or its
 * value is missing. */
const char *cli_knownValue(cliArgs *a, const char *flag, const char *inlineValue,
                           const char *const *known);

/* Parsers: 0 ok, else a usage message was printed and CLI_USAGE returned. An unknown
 * task is "unknown task 'x' (tasks: ...)" with the task table's names. */
int cli_parseInt(const char *flag, const char *text, int lo, int hi, int *out);
int cli_parseU64(const char *flag, const char *text, uint64_t *out);
/* A seed: an integer from 0 to SIM_SEED_MAX (2^53), the seeds the whole pipeline keeps. */
int cli_parseSeed(const char *flag, const char *text, uint64_t *out);
int cli_parseDouble(const char *flag, const char *text, double lo, double hi, double *out);
int cli_parseTask(const char *text, envTaskId *out);
int cli_parseHints(const char *text, envHints *out);
int cli_parseMode(const char *text, envMode *out);
/* A perturbation spec (env_parsePerturb): "FLAG: perturbation ..." on a bad one. */
int cli_parsePerturb(const char *flag, const char *text, envPerturb *out);

/* Reads a whole input file of at most max bytes with tb_readFile (no hang on a FIFO,
 * regular files only). what names the file in the message: "cannot read WHAT 'PATH':
 * REASON". Returns a NUL-terminated heap buffer (*len nullable), or NULL with the
 * usage message printed. */
char *cli_readInput(const char *what, const char *path, size_t max, size_t *len);

/* Checks an output path before any work (tb_checkOutput): 0, or CLI_USAGE with "FLAG: x
 * exists and is a FIFO; refusing to replace it" printed. */
int cli_checkOutput(const char *flag, const char *path);

/* cli_readInput of a controller source (at most AG_SOURCE_MAX bytes); the text as it
 * enters tracebot, valid UTF-8 (tb_utf8Sanitize). */
char *cli_readController(const char *path, size_t *len);

/* Prints root as one line of JSON on stdout and deletes it. Returns CLI_OK, or
 * CLI_FAIL (message printed) when it cannot be printed. */
int cli_printJson(struct cJSON *root);

#endif /* TRACEBOT_CLI_UTIL_H */
