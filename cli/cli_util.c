/* Helpers of the tracebot CLI; see cli_util.h. */
#include "cli_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void vreport(const char *fmt, va_list ap) {
  char line[1024];
  vsnprintf(line, sizeof line, fmt, ap);
  for (char *p = line; *p != '\0'; p++) {
    if (*p == '\n') {
      *p = ' ';
    }
  }
  fprintf(stderr, "tracebot: %s\n", line);
}

int cli_usage(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(fmt, ap);
  va_end(ap);
  return CLI_USAGE;
}

int cli_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(fmt, ap);
  va_end(ap);
  return CLI_FAIL;
}

int cli_nextFlag(cliArgs *a, const char **flag, const char **value) {
  if (a->i >= a->argc) {
    return 0;
  }
  const char *arg = a->argv[a->i++];
  if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
    *flag = arg;
    *value = NULL;
    return -1;
  }
  static char name[64];
  const char *eq = strchr(arg, '=');
  if (eq != NULL && (size_t)(eq - arg) < sizeof name) {
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = '\0';
    *flag = name;
    *value = eq + 1;
  } else {
    *flag = arg;
    *value = NULL;
  }
  return 1;
}

const char *cli_value(cliArgs *a, const char *flag, const char *inlineValue) {
  if (inlineValue != NULL) {
    return inlineValue;
  }
  if (a->i >= a->argc) {
    cli_usage("%s: %s needs a value", a->cmd, flag);
    return NULL;
  }
  return a->argv[a->i++];
}

int cli_parseInt(const char *flag, const char *text, int lo, int hi, int *out) {
  char *end = NULL;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi) {
    return cli_usage("%s must be an integer in %d..%d, got '%s'", flag, lo, hi, text);
  }
  *out = (int)v;
  return 0;
}

int cli_parseU64(const char *flag, const char *text, uint64_t *out) {
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-') {
    return cli_usage("%s must be a non-negative integer, got '%s'", flag, text);
  }
  *out = (uint64_t)v;
  return 0;
}

int cli_parseDouble(const char *flag, const char *text, double lo, double hi, double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !(v >= lo && v <= hi)) {
    return cli_usage("%s must be a number in %g..%g, got '%s'", flag, lo, hi, text);
  }
  *out = v;
  return 0;
}

int cli_parseTask(const char *text, envTaskId *out) {
  int id = env_lookup(text);
  if (id < 0) {
    return cli_usage("unknown task '%s' (tasks: reach, push, pick-place)", text);
  }
  *out = (envTaskId)id;
  return 0;
}

char *cli_readController(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    cli_usage("cannot read controller '%s': %s", path, strerror(errno));
    return NULL;
  }
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    fclose(f);
    cli_usage("cannot read controller '%s': not a regular file", path);
    return NULL;
  }
  char *buf = malloc(AG_SOURCE_MAX + 1);
  if (buf == NULL) {
    fclose(f);
    cli_usage("out of memory reading '%s'", path);
    return NULL;
  }
  size_t n = fread(buf, 1, AG_SOURCE_MAX + 1, f);
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    cli_usage("cannot read controller '%s': read error", path);
    return NULL;
  }
  if (n > AG_SOURCE_MAX) {
    free(buf);
    cli_usage("controller '%s' is larger than %d bytes", path, AG_SOURCE_MAX);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}
