/* Helpers of the tracebot CLI; see cli_util.h. */
#include "cli_util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

/* Prints "tracebot: MESSAGE" as one line: a newline in the message becomes a space, other
 * control characters (the message may quote a file, an LLM or a controller) escapes. */
static void vreport(const char *fmt, va_list ap) {
  char line[1024];
  char shown[2048];
  vsnprintf(line, sizeof line, fmt, ap);
  for (char *p = line; *p != '\0'; p++) {
    if (*p == '\n') {
      *p = ' ';
    }
  }
  fprintf(stderr, "tracebot: %s\n", tb_printable(line, shown, sizeof shown));
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
  size_t n = strlen(CLI_TASK_PLUGIN);
  while (a->i < a->argc && strncmp(a->argv[a->i], CLI_TASK_PLUGIN, n) == 0) {
    const char *rest = a->argv[a->i] + n;
    if (rest[0] == '\0') {
      a->i += a->i + 1 < a->argc ? 2 : 1; /* main loaded it (or refused a missing value) */
    } else if (rest[0] == '=') {
      a->i++;
    } else {
      break;
    }
  }
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

int cli_nextOption(cliArgs *a, const char **flag, const char **value) {
  int r = cli_nextFlag(a, flag, value);
  if (r < 0) {
    cli_usage("%s: unexpected argument '%s'", a->cmd, *flag);
  }
  return r;
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

int cli_parseSeed(const char *flag, const char *text, uint64_t *out) {
  uint64_t v = 0;
  if (cli_parseU64(flag, text, &v) != 0) {
    return CLI_USAGE;
  }
  if (v > SIM_SEED_MAX) {
    return cli_usage("%s must be at most 2^53 = %llu (seeds are kept exactly in JSON), got '%s'",
                     flag, SIM_SEED_MAX, text);
  }
  *out = v;
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

int cli_isOneOf(const char *flag, const char *const *names) {
  for (int i = 0; names[i] != NULL; i++) {
    if (strcmp(flag, names[i]) == 0) {
      return 1;
    }
  }
  return 0;
}

const char *cli_knownValue(cliArgs *a, const char *flag, const char *inlineValue,
                           const char *const *known) {
  if (!cli_isOneOf(flag, known)) {
    cli_usage("%s: unknown flag '%s' (see tracebot %s --help)", a->cmd, flag, a->cmd);
    return NULL;
  }
  return cli_value(a, flag, inlineValue);
}

int cli_parseTask(const char *text, envTaskId *out) {
  int id = env_lookup(text);
  if (id < 0) {
    return cli_usage("unknown task '%s' (tasks: %s)", text, env_taskList());
  }
  *out = (envTaskId)id;
  return 0;
}

int cli_parseHints(const char *text, envHints *out) {
  if (strcmp(text, "expert") != 0 && strcmp(text, "none") != 0) {
    return cli_usage("--hints must be expert or none, got '%s'", text);
  }
  *out = strcmp(text, "expert") == 0 ? ENV_HINTS_EXPERT : ENV_HINTS_NONE;
  return 0;
}

int cli_parseMode(const char *text, envMode *out) {
  if (strcmp(text, "relative") != 0 && strcmp(text, "absolute") != 0) {
    return cli_usage("--mode must be relative or absolute, got '%s'", text);
  }
  *out = strcmp(text, "relative") == 0 ? ENV_RELATIVE : ENV_ABSOLUTE;
  return 0;
}

int cli_parsePerturb(const char *flag, const char *text, envPerturb *out) {
  char err[512];
  if (env_parsePerturb(text, out, err, sizeof err) != TB_OK) {
    return cli_usage("%s: %s", flag, err);
  }
  return 0;
}

/* The reason in a tb_readFile message, without the path it repeats ("cannot open P:
 * No such file or directory", "P: not a regular file (a FIFO)"); else the message. */
static const char *readReason(const char *msg, const char *path) {
  size_t n = strlen(path);
  for (const char *p = strstr(msg, path); n > 0 && p != NULL; p = strstr(p + 1, path)) {
    if (strncmp(p + n, ": ", 2) == 0) {
      return p + n + 2;
    }
  }
  return msg;
}

char *cli_readInput(const char *what, const char *path, size_t max, size_t *len) {
  char err[1024] = "";
  char *text = tb_readFile(path, max, len, err, sizeof err);
  if (text == NULL) {
    cli_usage("cannot read %s '%s': %s", what, path, readReason(err, path));
  }
  return text;
}

int cli_checkOutput(const char *flag, const char *path) {
  char err[PATH_MAX + 128] = "";
  if (tb_checkOutput(path, err, sizeof err) != TB_OK) {
    return cli_usage("%s: %s", flag, err);
  }
  return 0;
}

char *cli_readController(const char *path, size_t *len) {
  size_t n = 0;
  char *src = cli_readInput("controller", path, AG_SOURCE_MAX, &n);
  /* where a controller enters tracebot, it becomes valid UTF-8 (as it will be logged) */
  if (src != NULL && tb_utf8Sanitize(&src, &n) != TB_OK) {
    free(src);
    cli_fail("out of memory reading controller '%s'", path);
    return NULL;
  }
  if (len != NULL) {
    *len = n;
  }
  return src;
}

int cli_printJson(cJSON *root) {
  char *text = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  if (text == NULL || tb_utf8Sanitize(&text, NULL) != TB_OK) {
    free(text);
    return cli_fail("out of memory printing the JSON output");
  }
  puts(text);
  free(text);
  return CLI_OK;
}
