/* Child processes of the sweep: starting them (posix_spawn), waiting for them with a stop
 * flag, and running a tool (sbatch, squeue, sacct) for its output. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sweep_internal.h"

extern char **environ;

static void sleepMs(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* The environment plus extra, as a new NULL-terminated array (the strings are borrowed). */
static char **withExtra(char *const extra[]) {
  size_t n = 0;
  size_t k = 0;
  while (environ[n] != NULL) {
    n++;
  }
  while (extra != NULL && extra[k] != NULL) {
    k++;
  }
  char **envp = calloc(n + k + 1, sizeof *envp);
  if (envp == NULL) {
    return NULL;
  }
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    /* an extra NAME=... replaces the inherited NAME */
    int replaced = 0;
    for (size_t j = 0; j < k; j++) {
      size_t len = strcspn(extra[j], "=");
      replaced |= strncmp(environ[i], extra[j], len + 1) == 0;
    }
    if (!replaced) {
      envp[m++] = environ[i];
    }
  }
  for (size_t j = 0; j < k; j++) {
    envp[m++] = extra[j];
  }
  return envp;
}

/* Spawns argv with stdin from /dev/null, stdout and stderr to fd out (or outPath when out is
 * negative and outPath is not NULL), default signal actions and no blocked signals. */
static pid_t spawnWith(char *const argv[], int search, int out, const char *outPath,
                       char *const extra[], char *err, size_t errsz) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (out >= 0) {
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, out, 2);
  } else if (outPath != NULL) {
    posix_spawn_file_actions_addopen(&fa, 1, outPath, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW,
                                     0666);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  }
  sigset_t none;
  sigset_t deflt;
  sigemptyset(&none);
  sigemptyset(&deflt);
  int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    sigaddset(&deflt, sigs[i]);
  }
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &deflt);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  char **envp = withExtra(extra);
  pid_t pid = -1;
  int rc = envp == NULL ? ENOMEM
           : search     ? posix_spawnp(&pid, argv[0], &fa, &attr, argv, envp)
                        : posix_spawn(&pid, argv[0], &fa, &attr, argv, envp);
  free(envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    tb_setErr(err, errsz, "cannot start %s: %s", argv[0],
              rc == ENOENT && search ? "not found in PATH" : strerror(rc));
    return -1;
  }
  return pid;
}

pid_t sw_spawn(char *const argv[], int search, const char *outPath, char *const extra[], char *err,
               size_t errsz) {
  return spawnWith(argv, search, -1, outPath, extra, err, errsz);
}

int sw_waitChild(pid_t pid, volatile sig_atomic_t *stop, double grace_s) {
  int status = 0;
  double killAt = -1;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) {
      return r == pid ? status : 0;
    }
    /* asked to stop: SIGTERM now, SIGKILL after the grace time */
    if (stop != NULL && *stop && killAt < 0) {
      kill(pid, SIGTERM);
      killAt = tb_nowMs() + grace_s * 1000;
    } else if (killAt >= 0 && tb_nowMs() >= killAt) {
      kill(pid, SIGKILL);
      killAt = tb_nowMs() + 3600e3;
    }
    sleepMs(50);
  }
}

void sw_describeStatus(int status, char *out, size_t outsz) {
  if (WIFSIGNALED(status)) {
    const char *name = strsignal(WTERMSIG(status));
    snprintf(out, outsz, "killed by signal %d (%s)", WTERMSIG(status), name != NULL ? name : "?");
  } else {
    snprintf(out, outsz, "exited with status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
}

int sw_capture(char *const argv[], double timeout_s, size_t max, char **out, int *status, char *err,
               size_t errsz) {
  *out = NULL;
  *status = 0;
  int fds[2];
  if (pipe(fds) != 0) {
    tb_setErr(err, errsz, "cannot run %s: %s", argv[0], strerror(errno));
    return TB_ETOOL;
  }
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  pid_t pid = spawnWith(argv, 1, fds[1], NULL, NULL, err, errsz);
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    return TB_ETOOL;
  }
  /* read until end of file or the deadline; keep max bytes, drain the rest */
  tbBuf b;
  tb_bufInit(&b, max);
  double deadline = tb_nowMs() + timeout_s * 1000;
  int timedOut = 0;
  for (;;) {
    double left = deadline - tb_nowMs();
    if (left <= 0) {
      timedOut = 1;
      break;
    }
    struct pollfd p = {fds[0], POLLIN, 0};
    int r = poll(&p, 1, left > 1000 ? 1000 : (int)left + 1);
    if (r < 0 && errno != EINTR) {
      break;
    }
    if (r <= 0) {
      continue;
    }
    char chunk[4096];
    ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    if (b.len + (size_t)n < max) {
      tb_bufPutn(&b, chunk, (size_t)n);
    }
  }
  close(fds[0]);
  if (timedOut) {
    kill(pid, SIGKILL);
  }
  waitpid(pid, status, 0);
  if (timedOut) {
    tb_bufClose(&b);
    tb_setErr(err, errsz, "%s did not answer within %.0f s", argv[0], timeout_s);
    return TB_ETOOL;
  }
  *out = tb_bufTake(&b);
  tb_bufClose(&b);
  if (*out == NULL) {
    tb_setErr(err, errsz, "out of memory reading the output of %s", argv[0]);
    return TB_ENOMEM;
  }
  return TB_OK;
}
