/* Run directories: see rundir.h. */
#define _DEFAULT_SOURCE /* flock */
#include "runlog.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracebot/agent.h"
#include "base.h"

#define LINES_MAX (256u << 20) /* iterations.jsonl larger than this is refused */

void ag_runDirPath(const agRunDir *d, const char *name, char *out, size_t outsz) {
  snprintf(out, outsz, "%s/%s", d->path, name);
}

/* mkdir -p. */
static int makeDirs(const char *path, char *err, size_t errsz) {
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
    tb_setErr(err, errsz, "run directory path too long: %s", path);
    return TB_EIO;
  }
  for (char *p = tmp + 1; *p != '\0'; p++) {
    if (*p == '/') {
      *p = '\0';
      if (mkdir(tmp, 0777) != 0 && errno != EEXIST) {
        tb_setErr(err, errsz, "cannot create %s: %s", tmp, strerror(errno));
        return TB_EIO;
      }
      *p = '/';
    }
  }
  if (mkdir(tmp, 0777) != 0 && errno != EEXIST) {
    tb_setErr(err, errsz, "cannot create %s: %s", tmp, strerror(errno));
    return TB_EIO;
  }
  return TB_OK;
}

static int openLines(agRunDir *d, char *err, size_t errsz) {
  char p[PATH_MAX + 32];
  ag_runDirPath(d, "iterations.jsonl", p, sizeof p);
  d->fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (d->fd < 0) {
    tb_setErr(err, errsz, "cannot open %s: %s", p, strerror(errno));
    return TB_EIO;
  }
  /* One trainer per run directory. */
  if (flock(d->fd, LOCK_EX | LOCK_NB) != 0) {
    tb_setErr(err, errsz, "%s is in use by another trainer", d->path);
    close(d->fd);
    d->fd = -1;
    return TB_EINVAL;
  }
  return TB_OK;
}

int ag_runDirCreate(agRunDir *d, const char *path, char *err, size_t errsz) {
  d->fd = -1;
  if (snprintf(d->path, sizeof d->path, "%s", path) >= (int)sizeof d->path) {
    tb_setErr(err, errsz, "run directory path too long: %s", path);
    return TB_EIO;
  }
  char p[PATH_MAX + 32];
  struct stat st;
  ag_runDirPath(d, "iterations.jsonl", p, sizeof p);
  if (stat(p, &st) == 0 && st.st_size > 0) {
    tb_setErr(err, errsz, "%s already holds a run: use --resume %s or another --out", path, path);
    return TB_EINVAL;
  }
  ag_runDirPath(d, "episodes", p, sizeof p);
  int rc = makeDirs(p, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  return openLines(d, err, errsz);
}

char *ag_readFile(const char *path, size_t max, size_t *len, char *err, size_t errsz) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    tb_setErr(err, errsz, "cannot read %s: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 4096;
  size_t n = 0;
  char *buf = malloc(cap);
  while (buf != NULL) {
    n += fread(buf + n, 1, cap - n - 1, f);
    if (n > max) {
      tb_setErr(err, errsz, "%s is larger than %zu bytes", path, max);
      free(buf);
      fclose(f);
      return NULL;
    }
    if (n < cap - 1) {
      break;
    }
    if (cap > max) {
      tb_setErr(err, errsz, "%s is larger than %zu bytes", path, max);
      free(buf);
      fclose(f);
      return NULL;
    }
    char *grown = realloc(buf, cap * 2);
    if (grown == NULL) {
      free(buf);
    }
    buf = grown;
    cap *= 2;
  }
  int bad = ferror(f);
  fclose(f);
  if (buf == NULL || bad) {
    free(buf);
    tb_setErr(err, errsz, "cannot read %s", path);
    return NULL;
  }
  buf[n] = '\0';
  if (len != NULL) {
    *len = n;
  }
  return buf;
}

int ag_runDirResume(agRunDir *d, const char *path, cJSON **config, cJSON **lines, char *err,
                    size_t errsz) {
  *config = NULL;
  *lines = NULL;
  d->fd = -1;
  if (snprintf(d->path, sizeof d->path, "%s", path) >= (int)sizeof d->path) {
    tb_setErr(err, errsz, "run directory path too long: %s", path);
    return TB_EIO;
  }
  char p[PATH_MAX + 32];
  size_t n = 0;
  ag_runDirPath(d, "config.json", p, sizeof p);
  char *text = ag_readFile(p, 1u << 20, &n, err, errsz);
  if (text == NULL) {
    return TB_EINVAL; /* not a run directory: bad input */
  }
  *config = cJSON_ParseWithLengthOpts(text, n, NULL, 0);
  free(text);
  if (!cJSON_IsObject(*config)) {
    cJSON_Delete(*config);
    *config = NULL;
    tb_setErr(err, errsz, "%s is not a JSON object", p);
    return TB_EINVAL;
  }
  /* Take the run (lock) before reading and repairing its lines. */
  ag_runDirPath(d, "episodes", p, sizeof p);
  int rc = makeDirs(p, err, errsz);
  if (rc == TB_OK) {
    rc = openLines(d, err, errsz);
  }
  ag_runDirPath(d, "iterations.jsonl", p, sizeof p);
  text = rc == TB_OK ? ag_readFile(p, LINES_MAX, &n, err, errsz) : NULL;
  if (text == NULL) {
    cJSON_Delete(*config);
    *config = NULL;
    ag_runDirClose(d);
    return rc != TB_OK ? rc : TB_EIO;
  }
  /* Parse complete lines; the first bad one must be the last: it is cut off. */
  cJSON *arr = cJSON_CreateArray();
  size_t keep = 0;
  int lineNo = 0;
  for (size_t at = 0; at < n;) {
    char *nl = memchr(text + at, '\n', n - at);
    size_t end = nl != NULL ? (size_t)(nl - text) : n;
    lineNo++;
    cJSON *item = nl != NULL ? cJSON_ParseWithLengthOpts(text + at, end - at, NULL, 0) : NULL;
    if (!cJSON_IsObject(item)) {
      cJSON_Delete(item);
      if (nl != NULL && end + 1 < n) {
        tb_setErr(err, errsz, "%s: line %d is not a JSON object", p, lineNo);
        cJSON_Delete(arr);
        cJSON_Delete(*config);
        *config = NULL;
        free(text);
        ag_runDirClose(d);
        return TB_EINVAL;
      }
      break; /* a partial last line: the iteration in flight when the run stopped */
    }
    cJSON_AddItemToArray(arr, item);
    keep = end + 1;
    at = end + 1;
  }
  free(text);
  if (keep < n && ftruncate(d->fd, (off_t)keep) != 0) {
    tb_setErr(err, errsz, "cannot cut the partial last line of %s: %s", p, strerror(errno));
    cJSON_Delete(arr);
    cJSON_Delete(*config);
    *config = NULL;
    ag_runDirClose(d);
    return TB_EIO;
  }
  *lines = arr;
  return TB_OK;
}

/* Writes all of buf to fd. */
static int writeAll(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      return -1;
    }
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

int ag_runDirWriteFile(const agRunDir *d, const char *name, const char *data, size_t n, char *err,
                       size_t errsz) {
  char p[PATH_MAX + 64];
  char tmp[PATH_MAX + 80];
  ag_runDirPath(d, name, p, sizeof p);
  snprintf(tmp, sizeof tmp, "%s.tmp", p);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    tb_setErr(err, errsz, "cannot write %s: %s", tmp, strerror(errno));
    return TB_EIO;
  }
  int bad = writeAll(fd, data, n) != 0 || fsync(fd) != 0;
  bad |= close(fd) != 0;
  if (bad || rename(tmp, p) != 0) {
    tb_setErr(err, errsz, "cannot write %s: %s", p, strerror(errno));
    unlink(tmp);
    return TB_EIO;
  }
  return TB_OK;
}

int ag_runDirAppendLine(agRunDir *d, const char *text, char *err, size_t errsz) {
  size_t n = strlen(text);
  char *line = malloc(n + 1);
  if (line == NULL) {
    tb_setErr(err, errsz, "out of memory appending to iterations.jsonl");
    return TB_ENOMEM;
  }
  memcpy(line, text, n);
  line[n] = '\n';
  /* One write so that a crash leaves at most one partial line. */
  int bad = writeAll(d->fd, line, n + 1) != 0 || fsync(d->fd) != 0;
  free(line);
  if (bad) {
    tb_setErr(err, errsz, "cannot append to %s/iterations.jsonl: %s", d->path, strerror(errno));
    return TB_EIO;
  }
  return TB_OK;
}

void ag_runDirClose(agRunDir *d) {
  if (d->fd >= 0) {
    close(d->fd);
    d->fd = -1;
  }
}
