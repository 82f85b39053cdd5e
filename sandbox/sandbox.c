/* The parent side of the sandbox protocol (sandbox.h): locate, spawn and end the
 * child, send it the source and observations, read its records within the wall-clock
 * limits, classify faults. Shared by ag_rollout and ag_rolloutDriver. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base.h"
#include "protocol.h"
#include "tracebot/sandbox.h"

#ifndef AG_SANDBOX_BUILD_PATH
#define AG_SANDBOX_BUILD_PATH ""
#endif
#ifndef AG_SANDBOX_INSTALL_PATH
#define AG_SANDBOX_INSTALL_PATH ""
#endif
/* The sandbox relative to the installed bin/ and lib/ folders (the install layout), so a
 * prefix that was moved or copied still finds its own child. */
#ifndef AG_SANDBOX_FROM_BINDIR
#define AG_SANDBOX_FROM_BINDIR "../libexec/tracebot/tracebot-sandbox"
#endif
#ifndef AG_SANDBOX_FROM_LIBDIR
#define AG_SANDBOX_FROM_LIBDIR "../libexec/tracebot/tracebot-sandbox"
#endif

_Static_assert((int)AG_WIRE_COMPILE == (int)AG_FT_COMPILE, "wire fault kinds follow agFaultType");
_Static_assert((int)AG_WIRE_MEMORY == (int)AG_FT_MEMORY, "wire fault kinds follow agFaultType");
_Static_assert((int)AG_WIRE_SYSCALL == (int)AG_FT_SYSCALL, "wire fault kinds follow agFaultType");
_Static_assert(AG_SOURCE_LIMIT == AG_SOURCE_MAX, "one source limit");
_Static_assert(AG_SANDBOX_REPLY_MAX >= AG_REC_MAX_REPLY, "room for the largest reply");

#define SANDBOX_NAME "tracebot-sandbox"

/* Outcome of waiting for one record. */
enum { RECV_OK = 0, RECV_TIMEOUT = 1, RECV_EOF = 2, RECV_BAD = 3 };

/* ------------------------------------------------------------- locating the child */

static char gSelfSandbox[PATH_MAX];
static pthread_once_t gSelfOnce = PTHREAD_ONCE_INIT;

/* The folder of file, symbolic links resolved, into dir. Returns 0, or -1. */
static int dirOf(const char *file, char dir[PATH_MAX]) {
  if (realpath(file, dir) == NULL) {
    return -1;
  }
  char *slash = strrchr(dir, '/');
  if (slash == NULL) {
    return -1;
  }
  *slash = '\0';
  return 0;
}

/* Takes dir/rel (made canonical) as the sandbox when it is executable. Returns 1 when it
 * was taken. */
static int takeIn(const char *dir, const char *rel) {
  char path[PATH_MAX];
  char real[PATH_MAX];
  if (rel[0] == '\0' || snprintf(path, sizeof path, "%s/%s", dir, rel) >= (int)sizeof path ||
      realpath(path, real) == NULL || access(real, X_OK) != 0) {
    return 0;
  }
  memcpy(gSelfSandbox, real, sizeof real);
  return 1;
}

/* Looks next to the executable, then in the install layout relative to the executable
 * (bin/../libexec/tracebot) and relative to the shared library holding this code
 * (libtracebot.so: lib/../libexec/tracebot), so a relocated prefix finds its own child. */
static void findSelfSandbox(void) {
  char dir[PATH_MAX];
  if (dirOf("/proc/self/exe", dir) == 0 &&
      (takeIn(dir, SANDBOX_NAME) || takeIn(dir, AG_SANDBOX_FROM_BINDIR))) {
    return;
  }
  /* the object this code was loaded from (the executable itself when linked statically) */
  Dl_info info;
  if (dladdr(gSelfSandbox, &info) != 0 && info.dli_fname != NULL &&
      dirOf(info.dli_fname, dir) == 0) {
    takeIn(dir, AG_SANDBOX_FROM_LIBDIR);
  }
}

const char *ag_sandboxPath(const char *path, char *err, size_t errsz) {
  if (path != NULL && path[0] != '\0') {
    if (access(path, X_OK) != 0) {
      tb_setErr(err, errsz, "sandbox executable %s is not executable", path);
      return NULL;
    }
    return path;
  }
  pthread_once(&gSelfOnce, findSelfSandbox);
  if (gSelfSandbox[0] != '\0') {
    return gSelfSandbox;
  }
  if (AG_SANDBOX_INSTALL_PATH[0] != '\0' && access(AG_SANDBOX_INSTALL_PATH, X_OK) == 0) {
    return AG_SANDBOX_INSTALL_PATH;
  }
  if (AG_SANDBOX_BUILD_PATH[0] != '\0' && access(AG_SANDBOX_BUILD_PATH, X_OK) == 0) {
    return AG_SANDBOX_BUILD_PATH;
  }
  tb_setErr(err, errsz,
            "%s not found next to this executable, at %s relative to it or to "
            "libtracebot, at %s nor at its build path",
            SANDBOX_NAME, AG_SANDBOX_FROM_BINDIR, AG_SANDBOX_INSTALL_PATH);
  return NULL;
}

void ag_defaultLimits(agLimits *limits) {
  limits->episode_wall_s = 10.0;
  limits->call_ms = 1000;
  limits->compile_ms = 5000;
  limits->memory_mib = 256;
  limits->cpu_s = 0;
}

/* ------------------------------------------------------------- the child process */

/* Starts the sandbox with an empty environment, its socket end as fd 3, in its own
 * process group, all signals at their defaults. */
static int spawnChild(const char *path, agSandbox *c, char *err, size_t errsz) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    tb_setErr(err, errsz, "socketpair: %s", strerror(errno));
    return TB_ESANDBOX;
  }
  /* keep the child's end off fd 3 so that dup2 really clears close-on-exec */
  int childFd = fcntl(sv[1], F_DUPFD_CLOEXEC, AG_FD + 1);
  close(sv[1]);
  if (childFd < 0) {
    close(sv[0]);
    tb_setErr(err, errsz, "fcntl: %s", strerror(errno));
    return TB_ESANDBOX;
  }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, childFd, AG_FD);
  posix_spawnattr_init(&at);
  sigset_t none;
  sigset_t defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig = 1; sig < 32; sig++) {
    if (sig != SIGKILL && sig != SIGSTOP) {
      sigaddset(&defaults, sig);
    }
  }
  posix_spawnattr_setflags(&at,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&at, 0);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &defaults);
  char *argv[] = {(char *)SANDBOX_NAME, NULL};
  char *envp[] = {NULL};
  int rc = posix_spawn(&c->pid, path, &fa, &at, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  close(childFd);
  if (rc != 0) {
    close(sv[0]);
    c->pid = -1;
    char msg[PATH_MAX + 64];
    snprintf(msg, sizeof msg, "%s: %s", path, strerror(rc));
    tb_setErr(err, errsz, "cannot start the sandbox %s", msg);
    return TB_ESANDBOX;
  }
  c->fd = sv[0];
  fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
  return TB_OK;
}

/* Kills the child's process group, closes the socket and reaps; returns the wait
 * status. Safe to call once per spawned child. */
static int endChild(agSandbox *c) {
  int status = 0;
  if (c->fd >= 0) {
    close(c->fd);
    c->fd = -1;
  }
  if (c->pid > 0) {
    kill(-c->pid, SIGKILL);
    while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR) {
    }
    c->pid = -1;
  }
  return status;
}

/* Waits for fd readiness until deadline (ms, monotonic). 1 ready, 0 timeout. */
static int waitFd(int fd, short events, double deadline) {
  for (;;) {
    double left = deadline - tb_nowMs();
    if (left <= 0) {
      return 0;
    }
    struct pollfd p = {.fd = fd, .events = events};
    int r = poll(&p, 1, (int)ceil(left));
    if (r > 0) {
      return 1;
    }
    if (r < 0 && errno != EINTR) {
      return 1; /* let the read or write report the problem */
    }
  }
}

/* Sends n bytes before deadline: RECV_OK, RECV_TIMEOUT or RECV_EOF (peer gone). */
static int sendAll(agSandbox *c, const void *buf, size_t n, double deadline) {
  const uint8_t *p = buf;
  while (n > 0) {
    ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!waitFd(c->fd, POLLOUT, deadline)) {
        return RECV_TIMEOUT;
      }
      continue;
    }
    return RECV_EOF;
  }
  return RECV_OK;
}

/* Reads one whole, well-formed reply record before deadline. */
static int recvRecord(agSandbox *c, double deadline, uint32_t *type, uint8_t *payload,
                      uint32_t *len) {
  for (;;) {
    if (c->have >= AG_REC_HEADER) {
      if (ag_getHeader(c->buf, 0, type, len) != 0 ||
          (*type != AG_REC_READY && *type != AG_REC_ACTION && *type != AG_REC_FAULT)) {
        return RECV_BAD;
      }
      size_t whole = AG_REC_HEADER + *len;
      if (c->have >= whole) {
        memcpy(payload, c->buf + AG_REC_HEADER, *len);
        memmove(c->buf, c->buf + whole, c->have - whole);
        c->have -= whole;
        return RECV_OK;
      }
    }
    ssize_t r = read(c->fd, c->buf + c->have, sizeof c->buf - c->have);
    if (r > 0) {
      c->have += (size_t)r;
      continue;
    }
    if (r == 0) {
      return RECV_EOF;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return RECV_EOF;
    }
    if (!waitFd(c->fd, POLLIN, deadline)) {
      return RECV_TIMEOUT;
    }
  }
}

/* ------------------------------------------------------------- faults */

static void syscallName(int nr, char *out, size_t outsz) {
  char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
  if (name != NULL) {
    snprintf(out, outsz, "%s", name);
    free(name);
  } else {
    snprintf(out, outsz, "#%d", nr);
  }
}

/* Where a fault happened, for messages. */
static void whereText(int step, char *out, size_t outsz) {
  if (step < 0) {
    snprintf(out, outsz, "while compiling");
  } else {
    snprintf(out, outsz, "at step %d", step);
  }
}

/* A child that died or closed its socket: the fault from its wait status. */
static void faultFromStatus(int status, int step, const agLimits *lim, agFault *f) {
  char where[32];
  whereText(step, where, sizeof where);
  int fstep = step < 0 ? 0 : step;
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char *abbrev = sigabbrev_np(sig);
    if (sig == SIGSYS) {
      ag_setFault(f, AG_FT_SYSCALL, fstep, "forbidden system call (SIGSYS) %s", where);
    } else if (sig == SIGXCPU) {
      ag_setFault(f, AG_FT_TIMEOUT, fstep, "CPU time limit of %d s exceeded %s", lim->cpu_s, where);
    } else {
      ag_setFault(f, AG_FT_CRASH, fstep, "SIG%s %s", abbrev != NULL ? abbrev : "?", where);
    }
    return;
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  ag_setFault(f, AG_FT_CRASH, fstep, "the sandbox exited with status %d %s", code, where);
}

/* A FAULT record from the child. Returns TB_ESANDBOX for a setup failure. */
static int faultFromRecord(const uint8_t *payload, uint32_t len, int step, agFault *f, char *err,
                           size_t errsz) {
  agWireFault wf;
  char where[32];
  whereText(step, where, sizeof where);
  int fstep = step < 0 ? 0 : step;
  if (ag_decodeFault(payload, len, &wf) != 0) {
    ag_setFault(f, AG_FT_CRASH, fstep, "malformed fault record from the sandbox %s", where);
    return TB_OK;
  }
  if (wf.kind == AG_WIRE_SYSCALL) {
    char name[64];
    syscallName(wf.aux, name, sizeof name);
    ag_setFault(f, AG_FT_SYSCALL, fstep, "forbidden system call %s %s", name, where);
  } else if (wf.kind == AG_WIRE_COMPILE && step < 0) {
    ag_setFault(f, AG_FT_COMPILE, 0, "%s", wf.message);
    f->line = wf.aux > 0 ? wf.aux : 0;
  } else if (wf.kind == AG_WIRE_MEMORY && step < 0) {
    ag_setFault(f, AG_FT_MEMORY, 0, "%s", wf.message);
  } else if (step < 0 && wf.kind == 100u) {
    tb_setErr(err, errsz, "sandbox: %s", wf.message);
    return TB_ESANDBOX;
  } else {
    ag_setFault(f, AG_FT_CRASH, fstep, "unexpected fault record from the sandbox %s", where);
  }
  return TB_OK;
}

/* ------------------------------------------------------------- the session */

/* Turns a wait/receive outcome into the fault (the child is ended). */
/* The child answered out of turn (an action it had not been asked for, or before it read
 * the observation): a protocol violation, so a crash fault. */
static void outOfTurn(agSandbox *c, int step, agFault *f) {
  endChild(c);
  ag_setFault(f, AG_FT_CRASH, step,
              "the sandbox broke the protocol (a reply out of turn) at step %d", step);
}

static void replyProblem(agSandbox *c, int got, int step, int call_ms, double callDeadline,
                         agFault *f) {
  const agLimits *lim = &c->lim;
  if (got == RECV_TIMEOUT) {
    endChild(c);
    if (step < 0) {
      ag_setFault(f, AG_FT_TIMEOUT, 0, "compiling exceeded %d ms", lim->compile_ms);
    } else if (callDeadline < c->episode_deadline) {
      ag_setFault(f, AG_FT_TIMEOUT, step, "controller call exceeded %d ms at step %d", call_ms,
                  step);
    } else {
      ag_setFault(f, AG_FT_TIMEOUT, step,
                  "episode exceeded the %.3g s wall-clock limit at "
                  "step %d",
                  lim->episode_wall_s, step);
    }
  } else if (got == RECV_BAD) {
    endChild(c);
    ag_setFault(f, AG_FT_CRASH, step < 0 ? 0 : step,
                "the sandbox broke the protocol (malformed record) %s%d",
                step < 0 ? "while compiling, step " : "at step ", step < 0 ? 0 : step);
  } else {
    faultFromStatus(endChild(c), step, lim, f);
  }
}

int ag_sandboxStart(agSandbox *sb, const char *path, const agLimits *lim, const char *src,
                    size_t len, char *err, size_t errsz) {
  sb->pid = -1;
  sb->fd = -1;
  sb->have = 0;
  sb->send_state = RECV_OK;
  sb->lim = *lim;
  if (sb->lim.cpu_s == 0) {
    sb->lim.cpu_s = (int)ceil(sb->lim.episode_wall_s) + 1;
  }
  sb->t0 = tb_nowMs();
  sb->episode_deadline = sb->t0 + sb->lim.episode_wall_s * 1e3;
  sb->compile_deadline = fmin(sb->t0 + sb->lim.compile_ms, sb->episode_deadline);
  int rc = spawnChild(path, sb, err, errsz);
  if (rc != TB_OK) {
    return rc;
  }
  uint8_t head[AG_REC_HEADER + AG_COMPILE_HEAD];
  ag_encodeCompileHead(head, (uint32_t)sb->lim.memory_mib, (uint32_t)sb->lim.cpu_s, len);
  int got = sendAll(sb, head, sizeof head, sb->compile_deadline);
  if (got == RECV_OK) {
    got = sendAll(sb, src, len, sb->compile_deadline);
  }
  sb->send_state = got;
  return TB_OK;
}

int ag_sandboxReady(agSandbox *sb, agFault *f, char *err, size_t errsz) {
  memset(f, 0, sizeof *f);
  f->kind = AG_FT_NONE;
  uint8_t payload[AG_REC_MAX_REPLY];
  uint32_t type = 0;
  uint32_t plen = 0;
  int got = sb->send_state;
  if (got == RECV_OK) {
    got = recvRecord(sb, sb->compile_deadline, &type, payload, &plen);
  }
  if (got != RECV_OK) {
    replyProblem(sb, got, -1, sb->lim.call_ms, sb->compile_deadline, f);
    return TB_OK;
  }
  if (type == AG_REC_FAULT) {
    endChild(sb);
    return faultFromRecord(payload, plen, -1, f, err, errsz);
  }
  uint64_t image = 0;
  if (type != AG_REC_READY || ag_decodeReady(payload, plen, &image) != 0) {
    replyProblem(sb, RECV_BAD, -1, sb->lim.call_ms, sb->compile_deadline, f);
  }
  return TB_OK;
}

void ag_sandboxCall(agSandbox *sb, const obs_t *obs, int step, int call_ms, double action[4],
                    agFault *f) {
  f->kind = AG_FT_NONE;
  if (sb->fd < 0) {
    ag_setFault(f, AG_FT_CRASH, step, "the sandbox is not running at step %d", step);
    return;
  }
  uint8_t rec[AG_REC_HEADER + AG_OBS_PAYLOAD];
  uint8_t payload[AG_REC_MAX_REPLY];
  uint32_t type = 0;
  uint32_t plen = 0;
  size_t n = ag_encodeObs(rec, obs);
  double callDeadline = call_ms > 0 ? tb_nowMs() + call_ms : sb->episode_deadline;
  double deadline = fmin(callDeadline, sb->episode_deadline);
  /* Nothing may be waiting before the observation is sent (no answers in advance) */
  uint8_t peek;
  if (sb->have != 0 || recv(sb->fd, &peek, 1, MSG_PEEK | MSG_DONTWAIT) > 0) {
    outOfTurn(sb, step, f);
    return;
  }
  int got = sendAll(sb, rec, n, deadline);
  if (got == RECV_OK) {
    got = recvRecord(sb, deadline, &type, payload, &plen);
  }
  if (got != RECV_OK) {
    replyProblem(sb, got, step, call_ms, callDeadline, f);
    return;
  }
  if (type == AG_REC_FAULT) {
    endChild(sb);
    faultFromRecord(payload, plen, step, f, NULL, 0);
    return;
  }
  if (type != AG_REC_ACTION || ag_decodeAction(payload, plen, action) != 0) {
    replyProblem(sb, RECV_BAD, step, call_ms, callDeadline, f);
    return;
  }
  /* An action is an answer to this observation: the child must have read all of it,
   * and sent nothing more */
  int unread = 0;
  if (sb->have != 0 || ioctl(sb->fd, SIOCOUTQ, &unread) != 0 || unread != 0) {
    outOfTurn(sb, step, f);
  }
}

void ag_sandboxEnd(agSandbox *sb) {
  endChild(sb);
}
