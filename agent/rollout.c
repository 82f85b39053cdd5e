/* The parent side of a sandboxed rollout: spawn the child, speak the protocol,
 * step the environment, enforce the wall-clock limits, classify faults, reap. */
#define _GNU_SOURCE
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "protocol.h"

#ifndef AG_SANDBOX_BUILD_PATH
#define AG_SANDBOX_BUILD_PATH ""
#endif

_Static_assert((int)AG_WIRE_COMPILE == (int)AG_FT_COMPILE, "wire fault kinds follow agFaultType");
_Static_assert((int)AG_WIRE_MEMORY == (int)AG_FT_MEMORY, "wire fault kinds follow agFaultType");
_Static_assert((int)AG_WIRE_SYSCALL == (int)AG_FT_SYSCALL, "wire fault kinds follow agFaultType");
_Static_assert(AG_SOURCE_LIMIT == AG_SOURCE_MAX, "one source limit");

#define MAX_HORIZON 10000
#define ENV_MAX_RECORD_STEPS MAX_HORIZON
#define SANDBOX_NAME "tracebot-sandbox"

struct agRunner {
  const envSpec *spec;
  envTask *task;
  simEpisode *rec;  /* the recording of the current episode, when asked for */
  int recording;    /* 1 while env steps are recorded (not during reset's settling) */
  int recFailed;    /* a state could not be appended */
  int stepState[ENV_MAX_RECORD_STEPS]; /* first state index of each macro-step */
};

/* One live child and what has been read from it. */
typedef struct child {
  pid_t pid;
  int fd;
  size_t have;
  uint8_t buf[AG_REC_MAX_REPLY];
} child;

/* Outcome of waiting for one record. */
enum { RECV_OK = 0, RECV_TIMEOUT = 1, RECV_EOF = 2, RECV_BAD = 3 };

static void setErr(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void setErr(char *err, size_t errsz, const char *fmt, ...) {
  if (err != NULL && errsz > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
  }
}

static double nowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ------------------------------------------------------------- locating the child */

static char gSelfSandbox[PATH_MAX];
static pthread_once_t gSelfOnce = PTHREAD_ONCE_INIT;

static void findSelfSandbox(void) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    return;
  }
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  if (slash == NULL) {
    return;
  }
  *slash = '\0';
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/%s", self, SANDBOX_NAME) < (int)sizeof path &&
      access(path, X_OK) == 0) {
    memcpy(gSelfSandbox, path, sizeof path);
  }
}

const char *ag_sandboxPath(const agRolloutConfig *cfg, char *err, size_t errsz) {
  if (cfg != NULL && cfg->sandbox_path != NULL && cfg->sandbox_path[0] != '\0') {
    if (access(cfg->sandbox_path, X_OK) != 0) {
      setErr(err, errsz, "sandbox executable %s is not executable", cfg->sandbox_path);
      return NULL;
    }
    return cfg->sandbox_path;
  }
  pthread_once(&gSelfOnce, findSelfSandbox);
  if (gSelfSandbox[0] != '\0') {
    return gSelfSandbox;
  }
  if (AG_SANDBOX_BUILD_PATH[0] != '\0' && access(AG_SANDBOX_BUILD_PATH, X_OK) == 0) {
    return AG_SANDBOX_BUILD_PATH;
  }
  setErr(err, errsz, "%s not found next to this executable nor at its build path",
         SANDBOX_NAME);
  return NULL;
}

/* ------------------------------------------------------------- the child process */

/* Starts the sandbox with an empty environment, its socket end as fd 3, in its own
 * process group, all signals at their defaults. */
static int spawnChild(const char *path, child *c, char *err, size_t errsz) {
  int sv[2];
  c->pid = -1;
  c->fd = -1;
  c->have = 0;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    setErr(err, errsz, "socketpair: %s", strerror(errno));
    return AG_ESANDBOX;
  }
  /* keep the child's end off fd 3 so that dup2 really clears close-on-exec */
  int childFd = fcntl(sv[1], F_DUPFD_CLOEXEC, AG_FD + 1);
  close(sv[1]);
  if (childFd < 0) {
    close(sv[0]);
    setErr(err, errsz, "fcntl: %s", strerror(errno));
    return AG_ESANDBOX;
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
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                    POSIX_SPAWN_SETSIGDEF);
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
    setErr(err, errsz, "cannot start the sandbox %s", msg);
    return AG_ESANDBOX;
  }
  c->fd = sv[0];
  fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
  return AG_OK;
}

/* Kills the child's process group, closes the socket and reaps; returns the wait
 * status. Safe to call once per spawned child. */
static int endChild(child *c) {
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
    double left = deadline - nowMs();
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
static int sendAll(child *c, const void *buf, size_t n, double deadline) {
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
static int recvRecord(child *c, double deadline, uint32_t *type, uint8_t *payload,
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

static void setFault(agFault *f, agFaultType kind, int step, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void setFault(agFault *f, agFaultType kind, int step, const char *fmt, ...) {
  f->kind = kind;
  f->step = step;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->message, sizeof f->message, fmt, ap);
  va_end(ap);
}

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
      setFault(f, AG_FT_SYSCALL, fstep, "forbidden system call (SIGSYS) %s", where);
    } else if (sig == SIGXCPU) {
      setFault(f, AG_FT_TIMEOUT, fstep, "CPU time limit of %d s exceeded %s", lim->cpu_s,
               where);
    } else {
      setFault(f, AG_FT_CRASH, fstep, "SIG%s %s", abbrev != NULL ? abbrev : "?", where);
    }
    return;
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  setFault(f, AG_FT_CRASH, fstep, "the sandbox exited with status %d %s", code, where);
}

/* A FAULT record from the child. Returns AG_ESANDBOX for a setup failure. */
static int faultFromRecord(const uint8_t *payload, uint32_t len, int step, agFault *f,
                           char *err, size_t errsz) {
  agWireFault wf;
  char where[32];
  whereText(step, where, sizeof where);
  int fstep = step < 0 ? 0 : step;
  if (ag_decodeFault(payload, len, &wf) != 0) {
    setFault(f, AG_FT_CRASH, fstep, "malformed fault record from the sandbox %s", where);
    return AG_OK;
  }
  if (wf.kind == AG_WIRE_SYSCALL) {
    char name[64];
    syscallName(wf.aux, name, sizeof name);
    setFault(f, AG_FT_SYSCALL, fstep, "forbidden system call %s %s", name, where);
  } else if (wf.kind == AG_WIRE_COMPILE && step < 0) {
    setFault(f, AG_FT_COMPILE, 0, "%s", wf.message);
    f->line = wf.aux > 0 ? wf.aux : 0;
  } else if (wf.kind == AG_WIRE_MEMORY && step < 0) {
    setFault(f, AG_FT_MEMORY, 0, "%s", wf.message);
  } else if (step < 0 && wf.kind == 100u) {
    setErr(err, errsz, "sandbox: %s", wf.message);
    return AG_ESANDBOX;
  } else {
    setFault(f, AG_FT_CRASH, fstep, "unexpected fault record from the sandbox %s", where);
  }
  return AG_OK;
}

/* ------------------------------------------------------------- runner and episode */

/* ------------------------------------------------------------- recording */

/* Env step hook: appends the world's state while recording. */
static void recordHook(void *user, envTask *task) {
  agRunner *r = user;
  if (r->recording && sim_episodeRecord(r->rec, env_world(task), NULL, 0) != 0) {
    r->recFailed = 1;
  }
}

/* FNV-1a 64 of the controller source, for the recording's controller_hash. */
static uint64_t fnv1a64(const char *s, size_t n) {
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < n; i++) {
    h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
  }
  return h;
}

/* Prepares the runner's recording for an episode of cfg (made on first use). */
static int prepareRecording(agRunner *r, const agRolloutConfig *cfg, const char *src,
                            size_t len, char *err, size_t errsz) {
  const mjModel *m = sim_model(env_world(r->task));
  simEpisodeInfo info;
  memset(&info, 0, sizeof info);
  snprintf(info.task, sizeof info.task, "%s", env_name(cfg->task));
  info.seed = cfg->seed;
  info.horizon = cfg->env.horizon;
  snprintf(info.mode, sizeof info.mode, "%s",
           cfg->env.mode == ENV_ABSOLUTE ? "absolute" : "relative");
  snprintf(info.hints, sizeof info.hints, "%s",
           cfg->env.hints == ENV_HINTS_NONE ? "none" : "expert");
  snprintf(info.controller_hash, sizeof info.controller_hash, "fnv1a64:%016llx",
           (unsigned long long)fnv1a64(src, len));
  info.timestep = m->opt.timestep;
  info.frame_skip = 5;
  info.sizes = (simEpisodeSizes){m->nq, m->nv, m->na, m->nmocap, m->nu};
  sim_freeEpisode(r->rec);
  r->rec = sim_makeEpisode(&info, err, errsz);
  if (r->rec == NULL) {
    return AG_ENOMEM;
  }
  r->recording = 0;
  r->recFailed = 0;
  env_setStepHook(r->task, recordHook, r);
  /* one macro-step runs at most ENV_MAX_SUBSTEPS env steps */
  return sim_episodeReserve(r->rec, 1 + cfg->env.horizon * ENV_MAX_SUBSTEPS, cfg->env.horizon,
                            err, errsz) == 0
             ? AG_OK
             : AG_ENOMEM;
}

/* Starts recording right after reset: state 0 is the state the episode starts in. */
static void startRecording(agRunner *r) {
  if (r->rec != NULL) {
    r->recFailed |= sim_episodeRecord(r->rec, env_world(r->task), NULL, 0) != 0;
    r->recording = 1;
  }
}

/* Adds the per-step annotations and the result, and writes the file. */
static int finishRecording(agRunner *r, const agEpisode *ep, const char *path, char *err,
                           size_t errsz) {
  r->recording = 0;
  env_setStepHook(r->task, NULL, NULL);
  if (r->recFailed) {
    setErr(err, errsz, "recording the episode for %s failed (out of memory)", path);
    return AG_ENOMEM;
  }
  for (int t = 0; t < ep->nsteps; t++) {
    const agStep *s = &ep->steps[t];
    simEpisodeStep st;
    memset(&st, 0, sizeof st);
    st.step = t;
    st.state = r->stepState[t];
    st.env_steps = s->result.env_steps;
    memcpy(st.obs.hand_pos, s->obs.hand_pos, sizeof st.obs.hand_pos);
    st.obs.gripper_distance_apart = s->obs.gripper_distance_apart;
    memcpy(st.obs.obj_pos, s->obs.obj_pos, sizeof st.obs.obj_pos);
    memcpy(st.obs.obj_quat, s->obs.obj_quat, sizeof st.obs.obj_quat);
    memcpy(st.obs.goal_pos, s->obs.goal_pos, sizeof st.obs.goal_pos);
    memcpy(st.action, s->action, sizeof st.action);
    st.reward = s->result.reward;
    st.success = s->result.success;
    snprintf(st.hint, sizeof st.hint, "%s", s->result.hint);
    if (sim_episodeAppendStep(r->rec, &st, err, errsz) != 0) {
      return AG_ENOMEM;
    }
  }
  int faulted = ep->fault.kind != AG_FT_NONE;
  if (sim_episodeSetResult(r->rec, ep->success, ep->ret, ep->nsteps,
                           faulted ? ag_faultName(ep->fault.kind) : NULL, ep->fault.message,
                           ep->fault.step, err, errsz) != 0) {
    return AG_EINVAL;
  }
  return sim_episodeSave(r->rec, path, err, errsz) == 0 ? AG_OK : AG_EIO;
}

agRunner *ag_makeRunner(const envSpec *spec, char *err, size_t errsz) {
  if (spec == NULL) {
    setErr(err, errsz, "%s", "ag_makeRunner: no spec");
    return NULL;
  }
  agRunner *r = calloc(1, sizeof *r);
  if (r == NULL) {
    setErr(err, errsz, "%s", "out of memory");
    return NULL;
  }
  r->spec = spec;
  r->task = env_make(spec, err, errsz);
  if (r->task == NULL) {
    free(r);
    return NULL;
  }
  return r;
}

void ag_freeRunner(agRunner *runner) {
  if (runner == NULL) {
    return;
  }
  env_free(runner->task);
  sim_freeEpisode(runner->rec);
  free(runner);
}

void ag_episodeClose(agEpisode *ep) {
  if (ep == NULL) {
    return;
  }
  free(ep->steps);
  ep->steps = NULL;
  ep->nsteps = 0;
}

static int checkConfig(const agRunner *r, const agRolloutConfig *cfg, const char *src,
                       size_t len, char *err, size_t errsz) {
  char buf[64];
  if (r == NULL || cfg == NULL || src == NULL) {
    setErr(err, errsz, "%s", "ag_rollout: NULL argument");
    return AG_EINVAL;
  }
  if (env_specTask(r->spec) != cfg->task) {
    setErr(err, errsz, "the runner is for task %s", env_name(env_specTask(r->spec)));
    return AG_EINVAL;
  }
  if (len > AG_SOURCE_MAX) {
    snprintf(buf, sizeof buf, "%zu bytes, max %d", len, AG_SOURCE_MAX);
    setErr(err, errsz, "controller source too large (%s)", buf);
    return AG_EINVAL;
  }
  const agLimits *l = &cfg->limits;
  if (cfg->env.horizon < 1 || cfg->env.horizon > MAX_HORIZON) {
    snprintf(buf, sizeof buf, "%d", cfg->env.horizon);
    setErr(err, errsz, "horizon %s out of range 1..10000", buf);
    return AG_EINVAL;
  }
  if (!(l->episode_wall_s > 0 && l->episode_wall_s <= 86400) || l->call_ms < 0 ||
      l->compile_ms <= 0 || l->memory_mib < 32 || l->memory_mib > 65536 || l->cpu_s < 0) {
    setErr(err, errsz, "%s", "bad sandbox limits (wall > 0, call >= 0, compile > 0, "
                             "memory 32..65536 MiB, cpu >= 0)");
    return AG_EINVAL;
  }
  return AG_OK;
}

/* Turns a wait/receive outcome into the episode's fault (or an error). */
static int replyProblem(int got, child *c, int step, double callDeadline,
                        double episodeDeadline, const agRolloutConfig *cfg, agFault *f) {
  const agLimits *lim = &cfg->limits;
  if (got == RECV_TIMEOUT) {
    endChild(c);
    if (step < 0) {
      setFault(f, AG_FT_TIMEOUT, 0, "compiling exceeded %d ms", lim->compile_ms);
    } else if (callDeadline < episodeDeadline) {
      setFault(f, AG_FT_TIMEOUT, step, "controller call exceeded %d ms at step %d",
               lim->call_ms, step);
    } else {
      setFault(f, AG_FT_TIMEOUT, step, "episode exceeded the %.3g s wall-clock limit at "
               "step %d", lim->episode_wall_s, step);
    }
  } else if (got == RECV_BAD) {
    endChild(c);
    setFault(f, AG_FT_CRASH, step < 0 ? 0 : step,
             "the sandbox broke the protocol (malformed record) %s%d",
             step < 0 ? "while compiling, step " : "at step ", step < 0 ? 0 : step);
  } else {
    faultFromStatus(endChild(c), step, lim, f);
  }
  return AG_OK;
}

static int rolloutEpisode(agRunner *runner, const agRolloutConfig *cfg, const char *src,
                          size_t len, agEpisode *ep, char *err, size_t errsz) {
  int rc;
  ep->task = cfg->task;
  ep->seed = cfg->seed;
  ep->env = cfg->env;
  ep->fault.kind = AG_FT_NONE;
  ep->steps = calloc((size_t)cfg->env.horizon, sizeof *ep->steps);
  if (ep->steps == NULL) {
    setErr(err, errsz, "%s", "out of memory for the trajectory");
    return AG_ENOMEM;
  }
  const char *path = ag_sandboxPath(cfg, err, errsz);
  if (path == NULL) {
    return AG_ESANDBOX;
  }
  agLimits lim = cfg->limits;
  if (lim.cpu_s == 0) {
    lim.cpu_s = (int)ceil(lim.episode_wall_s) + 1;
  }
  agRolloutConfig eff = *cfg;
  eff.limits = lim;

  /* Start the child and hand it the source */
  double t0 = nowMs();
  double episodeDeadline = t0 + lim.episode_wall_s * 1e3;
  double compileDeadline = fmin(t0 + lim.compile_ms, episodeDeadline);
  child c;
  rc = spawnChild(path, &c, err, errsz);
  if (rc != AG_OK) {
    return rc;
  }
  uint8_t head[AG_REC_HEADER + AG_COMPILE_HEAD];
  ag_encodeCompileHead(head, (uint32_t)lim.memory_mib, (uint32_t)lim.cpu_s, len);
  int got = sendAll(&c, head, sizeof head, compileDeadline);
  if (got == RECV_OK) {
    got = sendAll(&c, src, len, compileDeadline);
  }

  /* Reset the task while the child compiles */
  obs_t obs;
  char envErr[256];
  if (env_reset(runner->task, cfg->seed, &cfg->env, &obs, envErr, sizeof envErr) != 0) {
    endChild(&c);
    setErr(err, errsz, "env_reset: %s", envErr);
    return AG_EENV;
  }
  ep->obs0 = obs;
  startRecording(runner);

  /* READY, or a compile/memory/syscall fault */
  uint8_t payload[AG_REC_MAX_REPLY];
  uint32_t type = 0;
  uint32_t plen = 0;
  if (got == RECV_OK) {
    got = recvRecord(&c, compileDeadline, &type, payload, &plen);
  }
  if (got != RECV_OK) {
    replyProblem(got, &c, -1, compileDeadline, episodeDeadline, &eff, &ep->fault);
    ep->wall_ms = nowMs() - t0;
    return AG_OK;
  }
  if (type == AG_REC_FAULT) {
    endChild(&c);
    rc = faultFromRecord(payload, plen, -1, &ep->fault, err, errsz);
    ep->wall_ms = nowMs() - t0;
    return rc;
  }
  uint64_t image = 0;
  if (type != AG_REC_READY || ag_decodeReady(payload, plen, &image) != 0) {
    replyProblem(RECV_BAD, &c, -1, compileDeadline, episodeDeadline, &eff, &ep->fault);
    ep->wall_ms = nowMs() - t0;
    return AG_OK;
  }
  ep->startup_ms = nowMs() - t0;

  /* One controller call per macro-step */
  for (int t = 0; t < cfg->env.horizon; t++) {
    uint8_t rec[AG_REC_HEADER + AG_OBS_PAYLOAD];
    size_t n = ag_encodeObs(rec, &obs);
    double callDeadline = lim.call_ms > 0 ? nowMs() + lim.call_ms : episodeDeadline;
    double deadline = fmin(callDeadline, episodeDeadline);
    got = sendAll(&c, rec, n, deadline);
    if (got == RECV_OK) {
      got = recvRecord(&c, deadline, &type, payload, &plen);
    }
    if (got != RECV_OK) {
      replyProblem(got, &c, t, callDeadline, episodeDeadline, &eff, &ep->fault);
      break;
    }
    if (type == AG_REC_FAULT) {
      endChild(&c);
      faultFromRecord(payload, plen, t, &ep->fault, NULL, 0);
      break;
    }
    agStep *st = &ep->steps[t];
    if (type != AG_REC_ACTION || ag_decodeAction(payload, plen, st->action) != 0) {
      replyProblem(RECV_BAD, &c, t, callDeadline, episodeDeadline, &eff, &ep->fault);
      break;
    }
    int bad = -1;
    for (int i = 0; i < 4 && bad < 0; i++) {
      bad = isfinite(st->action[i]) ? -1 : i;
    }
    if (bad >= 0) {
      endChild(&c);
      setFault(&ep->fault, AG_FT_INVALID_ACTION, t, "action[%d] is %s at step %d", bad,
               isnan(st->action[bad]) ? "NaN" : "Inf", t);
      break;
    }

    /* The trusted side: physics, reward, success */
    st->obs = obs;
    if (runner->rec != NULL) {
      runner->stepState[t] = runner->rec->nstates - 1;
    }
    int erc = env_macroStep(runner->task, st->action, &st->result, envErr, sizeof envErr);
    if (erc == ENV_EPHYSICS) {
      endChild(&c);
      setFault(&ep->fault, AG_FT_CRASH, t, "the simulation diverged at step %d", t);
      break;
    }
    if (erc != 0) {
      endChild(&c);
      setErr(err, errsz, "env_macroStep: %s", envErr);
      return AG_EENV;
    }
    ep->nsteps = t + 1;
    ep->ret += st->result.reward;
    ep->success = st->result.success;
    obs = st->result.obs;
    if (ep->success) {
      break;
    }
  }
  endChild(&c);
  ep->wall_ms = nowMs() - t0;
  return AG_OK;
}

int ag_rollout(agRunner *runner, const agRolloutConfig *cfg, const char *src, size_t len,
               agEpisode *ep, char *err, size_t errsz) {
  memset(ep, 0, sizeof *ep);
  int rc = checkConfig(runner, cfg, src, len, err, errsz);
  if (rc != AG_OK) {
    return rc;
  }
  sim_freeEpisode(runner->rec);
  runner->rec = NULL;
  if (cfg->record_path != NULL) {
    rc = prepareRecording(runner, cfg, src, len, err, errsz);
    if (rc != AG_OK) {
      return rc;
    }
  }
  rc = rolloutEpisode(runner, cfg, src, len, ep, err, errsz);
  if (rc == AG_OK && cfg->record_path != NULL) {
    rc = finishRecording(runner, ep, cfg->record_path, err, errsz);
  }
  if (runner->rec != NULL) {
    env_setStepHook(runner->task, NULL, NULL);
    sim_freeEpisode(runner->rec);
    runner->rec = NULL;
  }
  return rc;
}

int ag_rolloutOnce(const agRolloutConfig *cfg, const char *src, size_t len, agEpisode *ep,
                   char *err, size_t errsz) {
  memset(ep, 0, sizeof *ep);
  if (cfg == NULL) {
    setErr(err, errsz, "%s", "ag_rolloutOnce: NULL config");
    return AG_EINVAL;
  }
  envSpec *spec = env_makeSpec(cfg->task, err, errsz);
  if (spec == NULL) {
    return AG_EENV;
  }
  agRunner *r = ag_makeRunner(spec, err, errsz);
  if (r == NULL) {
    env_freeSpec(spec);
    return AG_EENV;
  }
  int rc = ag_rollout(r, cfg, src, len, ep, err, errsz);
  ag_freeRunner(r);
  env_freeSpec(spec);
  return rc;
}
