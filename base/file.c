/* Bounded input files and atomic output files (base.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

/* What a non-regular file is, for messages. */
static const char *fileKind(mode_t m) {
  if (S_ISDIR(m)) {
    return "a directory";
  }
  if (S_ISFIFO(m)) {
    return "a FIFO";
  }
  if (S_ISCHR(m)) {
    return "a character device";
  }
  if (S_ISBLK(m)) {
    return "a block device";
  }
  if (S_ISSOCK(m)) {
    return "a socket";
  }
  if (S_ISLNK(m)) {
    return "a symbolic link";
  }
  return "not a regular file";
}

/* tb_openInput with extra open flags (O_NOFOLLOW). */
static int openInput(const char *path, int extra, size_t max, size_t *size, char *err,
                     size_t errsz) {
  if (path == NULL || path[0] == '\0') {
    tb_setErr(err, errsz, "no file name given");
    return -1;
  }
  /* O_NONBLOCK: opening a FIFO with no writer returns at once instead of hanging */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | extra);
  if (fd < 0 && errno == ELOOP && (extra & O_NOFOLLOW)) {
    tb_setErr(err, errsz, "%s: a symbolic link; refusing to follow it", path);
    return -1;
  }
  if (fd < 0) {
    tb_setErr(err, errsz, "cannot open %s: %s", path, strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    tb_setErr(err, errsz, "cannot stat %s: %s", path, strerror(errno));
    close(fd);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    tb_setErr(err, errsz, "%s: not a regular file (%s)", path, fileKind(st.st_mode));
    close(fd);
    return -1;
  }
  if (max > 0 && (unsigned long long)st.st_size > (unsigned long long)max) {
    tb_setErr(err, errsz, "%s: larger than %zu bytes", path, max);
    close(fd);
    return -1;
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    tb_setErr(err, errsz, "cannot read %s: %s", path, strerror(errno));
    close(fd);
    return -1;
  }
  if (size != NULL) {
    *size = (size_t)st.st_size;
  }
  return fd;
}

int tb_openInput(const char *path, size_t max, size_t *size, char *err, size_t errsz) {
  return openInput(path, 0, max, size, err, errsz);
}

int tb_openInputNoFollow(const char *path, size_t max, size_t *size, char *err, size_t errsz) {
  return openInput(path, O_NOFOLLOW, max, size, err, errsz);
}

FILE *tb_fopenInput(const char *path, size_t max, char *err, size_t errsz) {
  int fd = tb_openInput(path, max, NULL, err, errsz);
  if (fd < 0) {
    return NULL;
  }
  FILE *f = fdopen(fd, "rb");
  if (f == NULL) {
    tb_setErr(err, errsz, "cannot read %s: %s", path, strerror(errno));
    close(fd);
  }
  return f;
}

/* Reads the file open on fd (size bytes when opened) into a NUL-terminated heap buffer;
 * closes fd. */
static char *readOpen(int fd, const char *path, size_t size, size_t *len, char *err, size_t errsz) {
  char *buf = malloc(size + 1);
  if (buf == NULL) {
    tb_setErr(err, errsz, "%s: out of memory for %zu bytes", path, size);
    close(fd);
    return NULL;
  }
  /* read at most size bytes: a file that grows meanwhile is cut at its size when opened */
  size_t got = 0;
  while (got < size) {
    ssize_t r = read(fd, buf + got, size - got);
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r < 0) {
      tb_setErr(err, errsz, "cannot read %s: %s", path, strerror(errno));
      free(buf);
      close(fd);
      return NULL;
    }
    if (r == 0) {
      break;
    }
    got += (size_t)r;
  }
  close(fd);
  buf[got] = '\0';
  if (len != NULL) {
    *len = got;
  }
  return buf;
}

char *tb_readFile(const char *path, size_t max, size_t *len, char *err, size_t errsz) {
  size_t size = 0;
  int fd = tb_openInput(path, max, &size, err, errsz);
  return fd >= 0 ? readOpen(fd, path, size, len, err, errsz) : NULL;
}

char *tb_readFileNoFollow(const char *path, size_t max, size_t *len, char *err, size_t errsz) {
  size_t size = 0;
  int fd = tb_openInputNoFollow(path, max, &size, err, errsz);
  return fd >= 0 ? readOpen(fd, path, size, len, err, errsz) : NULL;
}

int tb_openAppend(const char *path, char *err, size_t errsz) {
  /* O_NONBLOCK: a FIFO with no reader fails at once instead of hanging */
  int fd = open(
      path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0666);
  if (fd < 0 && errno == ELOOP) {
    tb_setErr(err, errsz, "%s: a symbolic link; refusing to write through it", path);
    return TB_EINVAL;
  }
  if (fd < 0 && errno == ENXIO) {
    tb_setErr(err, errsz, "%s: not a regular file (a FIFO); refusing to write to it", path);
    return TB_EINVAL;
  }
  if (fd < 0) {
    tb_setErr(err, errsz, "cannot open %s: %s", path, strerror(errno));
    return TB_EIO;
  }
  struct stat st;
  const char *why = NULL;
  int rc = TB_EINVAL;
  if (fstat(fd, &st) != 0) {
    why = strerror(errno);
    rc = TB_EIO;
  } else if (!S_ISREG(st.st_mode)) {
    why = fileKind(st.st_mode);
  } else if (st.st_nlink > 1) {
    why = "a file with another hard link";
  }
  int flags = why == NULL ? fcntl(fd, F_GETFL) : -1;
  if (why == NULL && (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)) {
    why = strerror(errno);
    rc = TB_EIO;
  }
  if (why != NULL) {
    tb_setErr(err, errsz, "%s: %s; refusing to write to it", path, why);
    close(fd);
    return rc;
  }
  return fd;
}

/* The links under the open directory fd (named path in messages), depth levels down. */
static int checkLinksAt(int fd, const char *path, int depth, char *err, size_t errsz) {
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    tb_setErr(err, errsz, "cannot read the directory %s: %s", path, strerror(errno));
    close(fd);
    return TB_EIO;
  }
  int rc = TB_OK;
  struct dirent *e;
  while (rc == TB_OK && (errno = 0, e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
      continue;
    }
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      continue; /* gone meanwhile */
    }
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
    if (S_ISLNK(st.st_mode)) {
      tb_setErr(err, errsz, "%s is a symbolic link; refusing a directory that holds links", sub);
      rc = TB_EINVAL;
    } else if (S_ISDIR(st.st_mode) && depth >= 16) {
      tb_setErr(err, errsz, "%s: nested too deeply", sub);
      rc = TB_EINVAL;
    } else if (S_ISDIR(st.st_mode)) {
      int sfd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      rc = sfd >= 0 ? checkLinksAt(sfd, sub, depth + 1, err, errsz) : TB_OK;
    }
  }
  if (rc == TB_OK && errno != 0) {
    tb_setErr(err, errsz, "cannot read the directory %s: %s", path, strerror(errno));
    rc = TB_EIO;
  }
  closedir(d);
  return rc;
}

int tb_checkNoLinks(const char *dir, char *err, size_t errsz) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    return TB_OK;
  }
  if (fd < 0 && errno == ENOTDIR) {
    tb_setErr(err, errsz, "%s is not a directory", dir);
    return TB_EINVAL;
  }
  if (fd < 0) {
    tb_setErr(err, errsz, "cannot open the directory %s: %s", dir, strerror(errno));
    return TB_EIO;
  }
  return checkLinksAt(fd, dir, 0, err, errsz);
}

int tb_writeAll(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int tb_readAll(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      return -1;
    }
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

/* The part of tb_checkOutput that tb_atomicOpen makes: a name, and never a special file. */
static int checkReplaceable(const char *path, char *err, size_t errsz) {
  if (path == NULL || path[0] == '\0') {
    tb_setErr(err, errsz, "no output file name given");
    return TB_EINVAL;
  }
  if (strlen(path) >= PATH_MAX) {
    tb_setErr(err, errsz, "output path too long: %.64s...", path);
    return TB_EINVAL;
  }
  /* never replace what is not a regular file (a device, a FIFO, a link, a directory) */
  struct stat st;
  if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    tb_setErr(err, errsz, "%s exists and is %s; refusing to replace it", path,
              fileKind(st.st_mode));
    return TB_EINVAL;
  }
  return TB_OK;
}

int tb_checkOutput(const char *path, char *err, size_t errsz) {
  int rc = checkReplaceable(path, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  /* the file goes beside it: its directory must be there */
  struct stat st;
  char copy[PATH_MAX];
  snprintf(copy, sizeof copy, "%s", path);
  const char *dir = dirname(copy);
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    tb_setErr(err, errsz, "cannot write %s: %s is not a directory", path, dir);
    return TB_EINVAL;
  }
  return TB_OK;
}

int tb_atomicOpen(tbAtomicFile *a, const char *path, char *err, size_t errsz) {
  a->f = NULL;
  a->path[0] = a->tmp[0] = '\0';
  int rc = checkReplaceable(path, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  snprintf(a->path, sizeof a->path, "%s", path);
  snprintf(a->tmp, sizeof a->tmp, "%s.tmp", path);
  /* O_EXCL after unlink: the temporary name is ours, not a link planted there */
  unlink(a->tmp);
  int fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0) {
    tb_setErr(err, errsz, "cannot write %s: %s", a->tmp, strerror(errno));
    a->tmp[0] = '\0';
    return TB_EIO;
  }
  a->f = fdopen(fd, "wb");
  if (a->f == NULL) {
    tb_setErr(err, errsz, "cannot write %s: %s", a->tmp, strerror(errno));
    close(fd);
    unlink(a->tmp);
    a->tmp[0] = '\0';
    return TB_EIO;
  }
  return TB_OK;
}

/* fsyncs the directory holding path, so that a rename into it is durable. */
static int syncDir(const char *path) {
  char copy[PATH_MAX];
  snprintf(copy, sizeof copy, "%s", path);
  int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return -1;
  }
  int rc = fsync(fd);
  close(fd);
  return rc;
}

int tb_atomicCommit(tbAtomicFile *a, char *err, size_t errsz) {
  if (a->f == NULL) {
    tb_setErr(err, errsz, "%s: not open for writing", a->path);
    return TB_EIO;
  }
  int bad = fflush(a->f) != 0 || ferror(a->f) || fsync(fileno(a->f)) != 0;
  int saved = errno;
  bad |= fclose(a->f) != 0;
  a->f = NULL;
  if (bad || rename(a->tmp, a->path) != 0) {
    if (!bad) {
      saved = errno;
    }
    tb_setErr(err, errsz, "cannot write %s: %s", a->path, strerror(saved));
    unlink(a->tmp);
    a->tmp[0] = '\0';
    return TB_EIO;
  }
  a->tmp[0] = '\0';
  if (syncDir(a->path) != 0) {
    tb_setErr(err, errsz, "cannot sync the directory of %s: %s", a->path, strerror(errno));
    return TB_EIO;
  }
  return TB_OK;
}

void tb_atomicAbort(tbAtomicFile *a) {
  if (a->f != NULL) {
    fclose(a->f);
    a->f = NULL;
  }
  if (a->tmp[0] != '\0') {
    unlink(a->tmp);
    a->tmp[0] = '\0';
  }
}

int tb_writeFileAtomic(const char *path, const void *data, size_t n, char *err, size_t errsz) {
  tbAtomicFile a;
  int rc = tb_atomicOpen(&a, path, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  if (n > 0 && fwrite(data, 1, n, a.f) != n) {
    tb_setErr(err, errsz, "cannot write %s: %s", a.tmp, strerror(errno));
    tb_atomicAbort(&a);
    return TB_EIO;
  }
  return tb_atomicCommit(&a, err, errsz);
}
