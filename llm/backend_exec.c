/* The exec:COMMAND backend: /bin/sh -c COMMAND in its own process group, the OpenAI-style
 * request JSON on its stdin, the reply text from its stdout. Writing and reading go through
 * one poll loop so a command that never reads stdin cannot deadlock us; the request goes
 * over a socket (send with MSG_NOSIGNAL), so a command that exits early cannot raise
 * SIGPIPE in the caller. No retries: a failure or timeout is reported at once. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "llm_internal.h"

#define STDERR_KEEP 1024

typedef struct execState {
  char *command;
} execState;

static void freeExec(void *p) {
  execState *st = p;
  if (st) {
    free(st->command);
    free(st);
  }
}

/* The running child and its three pipe ends (-1 once closed). */
typedef struct child {
  pid_t pid;
  int in;    /* our end of its stdin (socket) */
  int out;   /* its stdout */
  int errfd; /* its stderr */
} child;

static void closeFd(int *fd) {
  if (*fd >= 0) {
    close(*fd);
    *fd = -1;
  }
}

/* Starts /bin/sh -c command with stdin/stdout/stderr connected to us. */
static int spawn(const char *command, child *c, char *err, size_t errsz) {
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  int er[2] = {-1, -1};
  c->pid = -1;
  c->in = c->out = c->errfd = -1;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
      pipe2(er, O_CLOEXEC) != 0) {
    tr_llmSetErr(err, errsz, NULL, "exec: cannot make pipes: %s", strerror(errno));
    goto fail;
  }
  pid_t pid = fork();
  if (pid < 0) {
    tr_llmSetErr(err, errsz, NULL, "exec: fork failed: %s", strerror(errno));
    goto fail;
  }
  if (pid == 0) {
    /* Child: own process group, default SIGPIPE, the three fds, then the shell. */
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    if (dup2(in[1], 0) < 0 || dup2(out[1], 1) < 0 || dup2(er[1], 2) < 0) {
      _exit(127);
    }
    execl("/bin/sh", "sh", "-c", command, (char *)NULL);
    _exit(127);
  }
  setpgid(pid, pid); /* also from the parent, so a kill cannot race the child's own call */
  close(in[1]);
  close(out[1]);
  close(er[1]);
  c->pid = pid;
  c->in = in[0];
  c->out = out[0];
  c->errfd = er[0];
  fcntl(c->in, F_SETFL, fcntl(c->in, F_GETFL) | O_NONBLOCK);
  fcntl(c->out, F_SETFL, fcntl(c->out, F_GETFL) | O_NONBLOCK);
  fcntl(c->errfd, F_SETFL, fcntl(c->errfd, F_GETFL) | O_NONBLOCK);
  return 0;
fail:
  for (int i = 0; i < 2; i++) {
    closeFd(&in[i]);
    closeFd(&out[i]);
    closeFd(&er[i]);
  }
  return -1;
}

/* Kills the whole process group and reaps the shell. */
static void killChild(child *c) {
  kill(-c->pid, SIGKILL);
  kill(c->pid, SIGKILL);
  while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR) {
  }
}

/* Waits for the shell until the deadline (tb_nowMs); returns 1 with *status when it exited. */
static int reap(pid_t pid, double deadline, int *status) {
  for (;;) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid) {
      return 1;
    }
    if (r < 0 && errno != EINTR) {
      *status = 0;
      return 1;
    }
    if (tb_nowMs() >= deadline) {
      return 0;
    }
    tr_llmSleep(0.002);
  }
}

static int completeExec(trLlm *llm, const trLlmRequest *req, trLlmReply *reply, char *err,
                        size_t errsz) {
  execState *st = llm->state;
  const trLlmOptions *o = &llm->opts;
  char *request = tr_llmBuildOpenaiRequest("exec", req, req->json_mode);
  if (!request) {
    tr_llmSetErr(err, errsz, NULL, "exec: out of memory building the request");
    return TB_EINVAL;
  }
  size_t req_len = strlen(request);
  size_t req_sent = 0;

  /* stdout: kept up to max_response_bytes; stderr: its first bytes. */
  tbBuf out;
  tb_bufInit(&out, o->max_response_bytes);
  char errbuf[STDERR_KEEP + 1];
  size_t errlen = 0;
  child c;
  int rc = TB_OK;
  reply->attempts = 1;
  if (spawn(st->command, &c, err, errsz) != 0) {
    free(request);
    return TB_EEXEC;
  }
  double deadline = tb_nowMs() + o->timeout_s * 1000.0;

  /* One poll loop: feed stdin, drain stdout and stderr, until both outputs hit EOF. */
  int timed_out = 0;
  int too_big = 0;
  while (c.out >= 0 || c.errfd >= 0) {
    struct pollfd fds[3];
    int nfds = 0;
    int iin = -1;
    int iout = -1;
    int ierr = -1;
    if (c.in >= 0) {
      iin = nfds;
      fds[nfds++] = (struct pollfd){c.in, POLLOUT, 0};
    }
    if (c.out >= 0) {
      iout = nfds;
      fds[nfds++] = (struct pollfd){c.out, POLLIN, 0};
    }
    if (c.errfd >= 0) {
      ierr = nfds;
      fds[nfds++] = (struct pollfd){c.errfd, POLLIN, 0};
    }
    double left_ms = deadline - tb_nowMs();
    if (left_ms <= 0) {
      timed_out = 1;
      break;
    }
    int ms = left_ms > 1e6 ? 1000000 : (int)left_ms + 1;
    int n = poll(fds, (nfds_t)nfds, ms);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      tr_llmSetErr(err, errsz, NULL, "exec: poll failed: %s", strerror(errno));
      rc = TB_EEXEC;
      break;
    }
    /* stdin: send what it takes; close when done or when the command stopped reading. */
    if (iin >= 0 && fds[iin].revents) {
      ssize_t w = send(c.in, request + req_sent, req_len - req_sent, MSG_NOSIGNAL);
      if (w > 0) {
        req_sent += (size_t)w;
      }
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || req_sent == req_len) {
        closeFd(&c.in);
      }
    }
    if (c.in >= 0 && req_sent == req_len) {
      closeFd(&c.in);
    }
    /* stdout: keep up to max_response_bytes. */
    if (iout >= 0 && fds[iout].revents) {
      char chunk[4096];
      ssize_t r = read(c.out, chunk, sizeof(chunk));
      if (r > 0) {
        if ((size_t)r > out.max - out.len) {
          too_big = 1;
          break;
        }
        tb_bufPutn(&out, chunk, (size_t)r);
        if (out.failed) {
          tr_llmSetErr(err, errsz, NULL, "exec: out of memory reading stdout");
          rc = TB_EEXEC;
          break;
        }
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        closeFd(&c.out);
      }
    }
    /* stderr: keep the first bytes, drain the rest. */
    if (ierr >= 0 && fds[ierr].revents) {
      char sink[1024];
      char *dst = errlen < STDERR_KEEP ? errbuf + errlen : sink;
      size_t room = errlen < STDERR_KEEP ? STDERR_KEEP - errlen : sizeof(sink);
      ssize_t r = read(c.errfd, dst, room);
      if (r > 0) {
        if (dst != sink) {
          errlen += (size_t)r;
        }
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        closeFd(&c.errfd);
      }
    }
  }
  errbuf[errlen] = '\0';
  free(request);

  /* Outputs closed: wait for the exit status within what is left of the deadline. */
  int status = 0;
  int exited = 0;
  if (rc == TB_OK && !timed_out && !too_big) {
    exited = reap(c.pid, deadline, &status);
    timed_out = !exited;
  }
  if (!exited) {
    killChild(&c);
  }
  closeFd(&c.in);
  closeFd(&c.out);
  closeFd(&c.errfd);

  /* The first line of stderr, for messages. */
  char first[256];
  size_t fl = strcspn(errbuf, "\n");
  tr_llmPrintable(errbuf, fl, first, sizeof(first));

  if (rc != TB_OK) {
    /* message already set */
  } else if (timed_out) {
    tr_llmSetErr(err, errsz, NULL,
                 "exec: command timed out after %.3g s (process group killed)%s%s", o->timeout_s,
                 first[0] ? ": " : "", first);
    rc = TB_EEXEC;
  } else if (too_big) {
    tr_llmSetErr(err, errsz, NULL, "exec: command wrote more than %zu bytes on stdout",
                 o->max_response_bytes);
    rc = TB_EPROTOCOL;
  } else if (WIFSIGNALED(status)) {
    tr_llmSetErr(err, errsz, NULL, "exec: command killed by signal %d%s%s", WTERMSIG(status),
                 first[0] ? ": " : "", first);
    rc = TB_EEXEC;
  } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    tr_llmSetErr(err, errsz, NULL, "exec: command exited with status %d%s%s", WEXITSTATUS(status),
                 first[0] ? ": " : "", first);
    rc = TB_EEXEC;
  } else if (out.len == 0) {
    tr_llmSetErr(err, errsz, NULL, "exec: command exited 0 but wrote nothing on stdout");
    rc = TB_EEXEC;
  } else if (memchr(out.data, '\0', out.len)) {
    tr_llmSetErr(err, errsz, NULL, "exec: command wrote a NUL byte on stdout");
    rc = TB_EPROTOCOL;
  }
  if (rc != TB_OK) {
    tb_bufClose(&out);
    return rc;
  }

  /* Success: the whole stdout is the reply; tokens are estimated. */
  reply->text = tb_bufTake(&out);
  tr_llmFillTokens(reply, -1, -1, tr_llmPromptChars(req));
  return TB_OK;
}

static const trLlmOps execOps = {completeExec, freeExec, NULL, NULL};

trLlmMakeFn tr_llmMakeExec;
int tr_llmMakeExec(trLlm *llm, const char *command, char *err, size_t errsz) {
  execState *st = calloc(1, sizeof(*st));
  if (!st || !(st->command = strdup(command))) {
    free(st);
    tr_llmSetErr(err, errsz, NULL, "out of memory making llm client");
    return TB_EINVAL;
  }
  llm->ops = &execOps;
  llm->state = st;
  return TB_OK;
}
