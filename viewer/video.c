/* video.c: raw rgb24 frames piped into ffmpeg (posix_spawnp, no shell). ffmpeg writes the
 * temporary file of an atomic output (tb_atomicOpen), renamed over the path once it
 * succeeded: an existing path that is not a regular file is refused, never written. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base.h"
#include "viewer_internal.h"

extern char **environ;

struct simVideo {
  pid_t pid;
  int fd;    /* write end of ffmpeg's stdin; -1 once closed */
  int logfd; /* ffmpeg's stderr (an unlinked temporary file) */
  int width, height;
  long frames;
  int failed; /* ffmpeg stopped before the end */
  char path[512];
  tbAtomicFile out; /* ffmpeg writes out.tmp */
};

/* The last non-empty line ffmpeg wrote to its stderr, into buf. */
static void lastLogLine(int logfd, char *buf, size_t n) {
  buf[0] = '\0';
  if (logfd < 0 || n < 2) {
    return;
  }
  off_t end = lseek(logfd, 0, SEEK_END);
  if (end <= 0) {
    return;
  }
  char tail[512];
  off_t start = end > (off_t)sizeof(tail) - 1 ? end - (off_t)sizeof(tail) + 1 : 0;
  ssize_t got = pread(logfd, tail, (size_t)(end - start), start);
  if (got <= 0) {
    return;
  }
  tail[got] = '\0';
  while (got > 0 && (tail[got - 1] == '\n' || tail[got - 1] == '\r' || tail[got - 1] == ' ')) {
    tail[--got] = '\0';
  }
  const char *line = strrchr(tail, '\n');
  line = line ? line + 1 : tail;
  size_t len = strlen(line);
  if (len >= n) {
    len = n - 1;
  }
  memcpy(buf, line, len);
  buf[len] = '\0';
}

simVideo *sim_openVideo(const char *path, int width, int height, double fps, char *err,
                        size_t errsz) {
  if (!path || width < 2 || height < 2 || (width % 2) || (height % 2) || !(fps > 0) || fps > 1000 ||
      strlen(path) >= sizeof(((simVideo *)0)->path)) {
    tb_setErr(err, errsz, "video: need a path, an even size (got %dx%d) and 0 < fps <= 1000", width,
              height);
    return NULL;
  }
  simVideo *v = calloc(1, sizeof(*v));
  if (!v) {
    tb_setErr(err, errsz, "video: out of memory");
    return NULL;
  }
  v->fd = -1;
  v->logfd = -1;
  v->width = width;
  v->height = height;
  snprintf(v->path, sizeof(v->path), "%s", path);
  char why[PATH_MAX + 128];
  if (tb_atomicOpen(&v->out, path, why, sizeof why) != TB_OK) {
    tb_setErr(err, errsz, "video: %s", why);
    free(v);
    return NULL;
  }
  /* "file:" so that ffmpeg takes the name as a file whatever it looks like */
  char target[sizeof v->out.tmp + 8];
  snprintf(target, sizeof target, "file:%s", v->out.tmp);
  /* ffmpeg's messages go to an unlinked temporary file we read on failure */
  char logpath[] = "/tmp/tracebot-ffmpeg-XXXXXX";
  v->logfd = mkstemp(logpath);
  if (v->logfd >= 0) {
    unlink(logpath);
    fcntl(v->logfd, F_SETFD, FD_CLOEXEC);
  }
  int fds[2];
  if (pipe(fds) != 0) {
    tb_setErr(err, errsz, "video: pipe: %s", strerror(errno));
    if (v->logfd >= 0) {
      close(v->logfd);
    }
    tb_atomicAbort(&v->out);
    free(v);
    return NULL;
  }
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  char size[32];
  char rate[32];
  snprintf(size, sizeof(size), "%dx%d", width, height);
  snprintf(rate, sizeof(rate), "%.17g", fps);
  char *argv[] = {"ffmpeg",   "-nostdin", "-hide_banner", "-loglevel", "error",   "-y",   "-f",
                  "rawvideo", "-pix_fmt", "rgb24",        "-s",        size,      "-r",   rate,
                  "-i",       "-",        "-an",          "-pix_fmt",  "yuv420p", "-c:v", "libx264",
                  "-f",       "mp4",      target,         NULL};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  if (v->logfd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, v->logfd, 2);
  } else {
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  }
  int rc = posix_spawnp(&v->pid, "ffmpeg", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[0]);
  if (rc != 0) {
    if (rc == ENOENT) {
      tb_setErr(err, errsz, "ffmpeg not found in PATH: install ffmpeg to export video");
    } else {
      tb_setErr(err, errsz, "video: cannot start ffmpeg: %s", strerror(rc));
    }
    close(fds[1]);
    if (v->logfd >= 0) {
      close(v->logfd);
    }
    tb_atomicAbort(&v->out);
    free(v);
    return NULL;
  }
  v->fd = fds[1];
  return v;
}

/* Writes n bytes to fd with SIGPIPE blocked in this thread, so that a dead reader
 * gives EPIPE instead of killing the process. Returns 0 or an errno value. */
static int writeAll(int fd, const unsigned char *p, size_t n) {
  sigset_t pipeSet;
  sigset_t old;
  sigemptyset(&pipeSet);
  sigaddset(&pipeSet, SIGPIPE);
  sigset_t pending;
  sigpending(&pending);
  int wasPending = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipeSet, &old);
  int rc = 0;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      rc = errno;
      break;
    }
    p += w;
    n -= (size_t)w;
  }
  if (rc == EPIPE && !wasPending) {
    /* consume the SIGPIPE we caused before unblocking */
    struct timespec zero = {0, 0};
    sigtimedwait(&pipeSet, NULL, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return rc;
}

/* Waits for ffmpeg; returns 0 when it exited with status 0, else fills err. */
static int reap(simVideo *v, char *err, size_t errsz) {
  int status = 0;
  pid_t got;
  do {
    got = waitpid(v->pid, &status, 0);
  } while (got < 0 && errno == EINTR);
  v->pid = 0;
  if (got < 0) {
    tb_setErr(err, errsz, "video: waiting for ffmpeg: %s", strerror(errno));
    return TB_ETOOL;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    return 0;
  }
  char line[300];
  lastLogLine(v->logfd, line, sizeof(line));
  if (WIFEXITED(status)) {
    tb_setErr(err, errsz, "ffmpeg exited with status %d writing %s: %s", WEXITSTATUS(status),
              v->path, line[0] ? line : "(no message)");
  } else {
    tb_setErr(err, errsz, "ffmpeg killed by signal %d writing %s", WTERMSIG(status), v->path);
  }
  return TB_ETOOL;
}

int sim_videoFrame(simVideo *v, const unsigned char *rgb, char *err, size_t errsz) {
  if (!v || !rgb) {
    tb_setErr(err, errsz, "video frame: NULL argument");
    return TB_EINVAL;
  }
  if (v->fd < 0) {
    tb_setErr(err, errsz, "video frame: ffmpeg has already stopped");
    return TB_ETOOL;
  }
  int rc = writeAll(v->fd, rgb, (size_t)v->width * (size_t)v->height * 3);
  if (rc != 0) {
    v->failed = 1;
    close(v->fd);
    v->fd = -1;
    if (v->pid > 0 && reap(v, err, errsz) == 0) {
      tb_setErr(err, errsz, "video frame: ffmpeg stopped reading: %s", strerror(rc));
    }
    return TB_ETOOL;
  }
  v->frames++;
  return 0;
}

int sim_closeVideo(simVideo *v, char *err, size_t errsz) {
  if (!v) {
    return 0;
  }
  int rc = 0;
  if (v->fd >= 0) {
    close(v->fd);
    v->fd = -1;
  }
  if (v->pid > 0) {
    rc = reap(v, err, errsz);
  }
  if (rc == 0 && v->failed) {
    tb_setErr(err, errsz, "video: ffmpeg stopped before the end; %s not written", v->path);
    rc = TB_ETOOL;
  }
  /* the finished file replaces the path; a failed one is removed */
  if (rc == 0) {
    rc = tb_atomicCommit(&v->out, err, errsz);
  }
  tb_atomicAbort(&v->out);
  if (v->logfd >= 0) {
    close(v->logfd);
  }
  free(v);
  return rc;
}
