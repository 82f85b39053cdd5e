/* tracebot-sandbox: the child that compiles and runs one controller for one episode.
 *
 * Started by the parent (sandbox.c, for agent/rollout.c) with an empty environment and its
 * end of an AF_UNIX stream socket as fd 3. Sequence (see sandbox/README.md):
 *   close every other descriptor, die with the parent
 *   read the COMPILE request (bounded)
 *   no-new-privileges, rlimits (address space, CPU, no core, no files, no processes)
 *   seccomp stage 1 (compiler: memory, reading tcc's runtime archive, fd 3)
 *   compile + relocate -> FAULT (compile/memory) or READY
 *   seccomp stage 2 (controller: read/write on fd 3, exit)
 *   loop: OBS -> controller() -> ACTION, until the parent closes the socket.
 * A forbidden system call raises SIGSYS; the handler reports its number on fd 3 and
 * exits. Crashes (SIGSEGV, ...) are left to their default action: the parent reads
 * them from the wait status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "compile.h"
#include "protocol.h"

enum { EXIT_SETUP = 120, EXIT_PROTOCOL = 121, EXIT_SYSCALL = 122 };

/* Wire kind of a setup failure (no controller fault: the parent reports an error). */
#define WIRE_SETUP 100u

static void sendFault(uint32_t kind, int32_t aux, const char *msg) {
  uint8_t rec[AG_REC_MAX_REPLY];
  size_t n = ag_encodeFault(rec, kind, aux, msg);
  (void)tb_writeAll(AG_FD, rec, n);
}

/* SIGSYS from a seccomp TRAP: report the call's number and leave. */
static void onSigsys(int sig, siginfo_t *si, void *uctx) {
  (void)sig;
  (void)uctx;
  uint8_t rec[AG_REC_MAX_REPLY];
  size_t n = ag_encodeFault(rec, AG_WIRE_SYSCALL, si->si_syscall, "");
  (void)!write(AG_FD, rec, n);
  _exit(EXIT_SYSCALL);
}

/* Every descriptor but fd 3 closed. */
static void closeOthers(void) {
  if (close_range(0, AG_FD - 1, 0) != 0 || close_range(AG_FD + 1, ~0U, 0) != 0) {
    struct rlimit rl;
    int maxfd =
        getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
    for (int fd = 0; fd < maxfd; fd++) {
      if (fd != AG_FD) {
        close(fd);
      }
    }
  }
}

static int setLimit(int resource, rlim_t soft, rlim_t hard) {
  struct rlimit rl = {.rlim_cur = soft, .rlim_max = hard};
  return setrlimit(resource, &rl);
}

/* Resource limits of the child; 0 or -1. */
static int applyLimits(const agCompileReq *req) {
  rlim_t as = (rlim_t)req->memory_mib * 1024u * 1024u;
  int rc = 0;
  rc |= setLimit(RLIMIT_AS, as, as);
  rc |= setLimit(RLIMIT_CPU, req->cpu_s, (rlim_t)req->cpu_s + 1);
  rc |= setLimit(RLIMIT_CORE, 0, 0);
  rc |= setLimit(RLIMIT_FSIZE, 0, 0);
  rc |= setLimit(RLIMIT_NPROC, 0, 0);
  rc |= setLimit(RLIMIT_NOFILE, 16, 16);
  rc |= setLimit(RLIMIT_MEMLOCK, 0, 0);
  return rc;
}

/* Stage 1: what the compiler needs (and seccomp(2) to load stage 2). tcc's runtime
 * archive was read before this stage, so every open fails with EACCES (`#include
 * "/etc/passwd"` is a compile error, not a read, even for code that took over the
 * compiler). */
static int stage1(void) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
  if (ctx == NULL) {
    return -1;
  }
  int rc = 0;
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0);
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0);
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, AG_FD));
  static const int kAllowed[] = {
      SCMP_SYS(read),       SCMP_SYS(close),      SCMP_SYS(fstat),
      SCMP_SYS(newfstatat), SCMP_SYS(lseek),      SCMP_SYS(pread64),
      SCMP_SYS(brk),        SCMP_SYS(mmap),       SCMP_SYS(munmap),
      SCMP_SYS(mremap),     SCMP_SYS(mprotect),   SCMP_SYS(madvise),
      SCMP_SYS(exit),       SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn),
      SCMP_SYS(seccomp), /* loading stage 2: another filter can only restrict */
  };
  for (size_t i = 0; i < sizeof kAllowed / sizeof kAllowed[0]; i++) {
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, kAllowed[i], 0);
  }
  rc |= seccomp_load(ctx);
  seccomp_release(ctx);
  return rc;
}

/* Stage 2: what a running controller needs: its socket and exit. */
static int stage2(void) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
  if (ctx == NULL) {
    return -1;
  }
  /* no-new-privileges is already set; do not make libseccomp call prctl again */
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, AG_FD));
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, AG_FD));
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(exit), 0);
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(exit_group), 0);
  rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigreturn), 0);
  rc |= seccomp_load(ctx);
  seccomp_release(ctx);
  return rc;
}

/* Reads the COMPILE request into a heap buffer; NULL on a protocol error. */
static uint8_t *readRequest(agCompileReq *req) {
  uint8_t head[AG_REC_HEADER];
  uint32_t type;
  uint32_t len;
  if (tb_readAll(AG_FD, head, sizeof head) != 0 ||
      ag_getHeader(head, AG_SOURCE_LIMIT, &type, &len) != 0 || type != AG_REC_COMPILE) {
    return NULL;
  }
  uint8_t *buf = malloc(len > 0 ? len : 1);
  if (buf == NULL || tb_readAll(AG_FD, buf, len) != 0 || ag_decodeCompile(buf, len, req) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

int main(void) {
  /* Die with the parent; keep only the socket */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  closeOthers();
  struct stat st;
  if (fstat(AG_FD, &st) != 0 || !S_ISSOCK(st.st_mode)) {
    return EXIT_SETUP;
  }

  agCompileReq req;
  uint8_t *reqBuf = readRequest(&req);
  if (reqBuf == NULL) {
    return EXIT_PROTOCOL;
  }

  /* Lock down before the compiler sees the source */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = onSigsys;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || applyLimits(&req) != 0 ||
      sigaction(SIGSYS, &sa, NULL) != 0) {
    sendFault(WIRE_SETUP, 0, "sandbox setup failed (prctl, setrlimit or sigaction)");
    return EXIT_SETUP;
  }
  char msg[AG_FAULT_TEXT_MAX + 1];
  agCompiler *compiler = ag_makeCompiler(msg, sizeof msg);
  if (compiler == NULL) {
    sendFault(WIRE_SETUP, 0, msg);
    return EXIT_SETUP;
  }
  if (stage1() != 0) {
    sendFault(WIRE_SETUP, 0, "sandbox setup failed (seccomp stage 1)");
    return EXIT_SETUP;
  }

  /* Compile; half the address space may go to the image */
  agCompiled *compiled = NULL;
  int line = 0;
  size_t maxImage = (size_t)req.memory_mib * 1024u * 1024u / 2u;
  int rc = ag_compileWith(compiler, req.src, req.len, maxImage, &compiled, &line, msg, sizeof msg);
  free(reqBuf);
  if (rc != TB_OK) {
    uint32_t kind = rc == TB_ECOMPILE ? AG_WIRE_COMPILE
                    : rc == TB_ENOMEM ? AG_WIRE_MEMORY
                                      : WIRE_SETUP;
    sendFault(kind, line, msg);
    _exit(0);
  }
  agControllerFn entry = ag_compiledEntry(compiled);

  /* From here on only the socket and exit */
  if (stage2() != 0) {
    sendFault(WIRE_SETUP, 0, "sandbox setup failed (seccomp stage 2)");
    _exit(EXIT_SETUP);
  }
  uint8_t out[AG_REC_HEADER + AG_ACTION_PAYLOAD];
  size_t n = ag_encodeReady(out, ag_compiledSize(compiled));
  if (tb_writeAll(AG_FD, out, n) != 0) {
    _exit(0);
  }

  /* One controller call per OBS record */
  for (;;) {
    uint8_t rec[AG_REC_HEADER + AG_OBS_PAYLOAD];
    uint32_t type;
    uint32_t len;
    if (tb_readAll(AG_FD, rec, AG_REC_HEADER) != 0) {
      _exit(0); /* the parent closed the socket: episode over */
    }
    obs_t obs;
    if (ag_getHeader(rec, 0, &type, &len) != 0 || type != AG_REC_OBS ||
        tb_readAll(AG_FD, rec + AG_REC_HEADER, len) != 0 ||
        ag_decodeObs(rec + AG_REC_HEADER, len, &obs) != 0) {
      _exit(EXIT_PROTOCOL);
    }
    double action[4] = {0.0, 0.0, 0.0, 0.0};
    entry(&obs, action);
    n = ag_encodeAction(out, action);
    if (tb_writeAll(AG_FD, out, n) != 0) {
      _exit(0);
    }
  }
}
