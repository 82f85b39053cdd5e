/* Tests of ag_serveSim (drivers/serve_sim.c) as `tracebot serve-sim` runs it: in its own
 * process, on a port picked by the kernel, shut down cleanly by SIGTERM or SIGINT; and of
 * the server's one-client rule: a second client is refused at once, an idle one dropped. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base.h"
#include "loopback.h"
#include "tracebot/drivers.h"
#include "tracebot/envs.h"

static volatile sig_atomic_t gStop;

static void onSignal(int sig) {
  (void)sig;
  gStop = 1;
}

static void reportPort(void *user, int port) {
  int fd = *(int *)user;
  if (write(fd, &port, sizeof(port)) != (ssize_t)sizeof(port)) {
    _exit(3);
  }
}

/* Forks a serve-sim process (as main would run it) and returns its pid and port. */
static pid_t spawnServeSim(const char *config, int *port) {
  int p[2];
  assert_int_equal(pipe(p), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    char err[256] = "";
    int rc = ag_serveSim(config, 0, &gStop, reportPort, &p[1], err, sizeof(err));
    _exit(rc == 0 ? 0 : 1);
  }
  close(p[1]);
  assert_int_equal(read(p[0], port, sizeof(*port)), (ssize_t)sizeof(*port));
  close(p[0]);
  assert_true(*port > 0);
  return pid;
}

/* Waits up to 3 s for pid; returns its exit status or -1. */
static int reap(pid_t pid) {
  for (int i = 0; i < 300; i++) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  return -1;
}

/* The net driver as a client of 127.0.0.1:port, with more config keys in extra ("" for
 * none, else starting with a comma). */
static agDriver *netClient(int port, const char *extra) {
  char cfg[128];
  snprintf(cfg, sizeof(cfg), "{\"port\":%d%s}", port, extra);
  char err[256] = "";
  agDriver *net = ag_makeDriver("net", cfg, NULL, err, sizeof(err));
  if (net == NULL) {
    fail_msg("%s", err);
  }
  return net;
}

static int expertPolicy(void *ctx, const obs_t *obs, double action[4], int timeout_ms, char *err,
                        size_t errsz) {
  (void)ctx;
  (void)timeout_ms;
  (void)err;
  (void)errsz;
  env_expert(ENV_PUSH, obs, action);
  return 0;
}

static void serve_sim_should_serve_an_episode_and_exit_cleanly_on_sigterm(void **state) {
  (void)state;
  int port = 0;
  pid_t pid = spawnServeSim("{\"task\":\"push\",\"hints\":\"none\"}", &port);
  agDriver *net = netClient(port, "");
  agEpisodeConfig ec;
  ag_defaultEpisode(&ec);
  ec.seed = 4;
  agEpisodeResult res;
  char err[256] = "";
  assert_int_equal(
      ag_runDriverEpisode(net, &ec, expertPolicy, NULL, NULL, NULL, &res, err, sizeof(err)), 0);
  assert_int_equal(res.fault, AG_FT_NONE);
  assert_true(res.success);
  ag_freeDriver(net); /* no bye: the server waits for the next client */

  assert_int_equal(kill(pid, SIGTERM), 0);
  assert_int_equal(reap(pid), 0);
}

static void serve_sim_should_exit_on_sigint_while_a_client_is_connected(void **state) {
  (void)state;
  int port = 0;
  pid_t pid = spawnServeSim("{\"task\":\"reach\"}", &port);
  agDriver *net = netClient(port, ",\"timeout_ms\":500");
  assert_int_equal(kill(pid, SIGINT), 0);
  assert_int_equal(reap(pid), 0);

  /* The client finds out at its next call, at once */
  char derr[256] = "";
  assert_true(ag_driverApi(net)->reset(ag_driverHandle(net), 0, derr, sizeof(derr)) < 0);
  assert_non_null(strstr(derr, "server closed the connection"));
  ag_freeDriver(net);
}

static void serve_sim_should_refuse_a_bad_config(void **state) {
  (void)state;
  char err[256] = "";
  assert_int_equal(ag_serveSim("{\"task\":\"juggle\"}", 0, NULL, NULL, NULL, err, sizeof(err)),
                   TB_EOPEN);
  assert_string_equal(err, "driver sim: open failed: sim driver config: unknown task \"juggle\"");
}

/* Reads what the server sends within ms (until it closes or ms pass) into buf. */
static size_t readFor(int fd, char *buf, size_t cap, int ms) {
  size_t n = 0;
  for (int waited = 0; waited < ms && n + 1 < cap; waited += 20) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 20) == 1) {
      ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);
      if (r <= 0) {
        break;
      }
      n += (size_t)r;
    }
  }
  buf[n] = '\0';
  return n;
}

static void server_should_refuse_a_second_client_and_drop_an_idle_one(void **state) {
  (void)state;
  simServer s;
  loop_startSim(&s, "reach", 600);
  int port = ag_serverPort(s.srv);

  /* The first client connects and says nothing; a second one is told the robot is busy */
  int idle = loop_connect(port);
  struct timespec settle = {0, 100 * 1000 * 1000};
  nanosleep(&settle, NULL);
  int second = loop_connect(port);
  char line[512];
  assert_true(readFor(second, line, sizeof(line), 400) > 0);
  assert_non_null(strstr(line, "\"ok\":false"));
  assert_non_null(strstr(line, "busy: another client is connected"));
  close(second);

  /* The idle client is dropped with a reason once its timeout passes */
  assert_true(readFor(idle, line, sizeof(line), 2000) > 0);
  assert_non_null(strstr(line, "idle for 600 ms"));
  close(idle);

  /* So is one that sends a byte now and then but never ends a request */
  int slow = loop_connect(port);
  double t0 = tb_nowMs();
  size_t got = 0;
  for (int i = 0; i < 20 && got == 0; i++) {
    assert_int_equal(send(slow, "{", 1, MSG_NOSIGNAL), 1);
    got = readFor(slow, line, sizeof(line), 200);
  }
  assert_true(got > 0);
  assert_non_null(strstr(line, "idle for 600 ms"));
  assert_true(tb_nowMs() - t0 < 2000);
  close(slow);

  /* Then the robot is free for the next client */
  agDriver *net = netClient(port, "");
  char derr[256] = "";
  assert_int_equal(ag_driverApi(net)->reset(ag_driverHandle(net), 0, derr, sizeof(derr)), 0);
  ag_freeDriver(net);

  s.stop = 1;
  loop_joinSim(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(serve_sim_should_serve_an_episode_and_exit_cleanly_on_sigterm),
      cmocka_unit_test(serve_sim_should_exit_on_sigint_while_a_client_is_connected),
      cmocka_unit_test(serve_sim_should_refuse_a_bad_config),
      cmocka_unit_test(server_should_refuse_a_second_client_and_drop_an_idle_one),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
