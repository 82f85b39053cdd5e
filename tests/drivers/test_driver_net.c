/* Tests of agent/driver_net.c and agent/serve_sim.c: the net driver against serve-sim on
 * loopback (same results as the sim driver and as the env itself), server and client
 * behaviour on malformed input, and the loopback latency bench. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "tracebot/bench.h"
#include "cases.h"
#include "loopback.h"
#include "tracebot/drivers.h"
#include "driver_proto.h"
#include "tracebot/envs.h"

static agDriver *connectNet(int port, int timeout_ms, char *err, size_t errsz) {
  char cfg[128];
  snprintf(cfg, sizeof(cfg), "{\"port\":%d,\"timeout_ms\":%d,\"bye_on_close\":true}", port,
           timeout_ms);
  return ag_makeDriver("net", cfg, NULL, err, errsz);
}

/* ---------------------------------------------------------------- experts */

static int expertPolicy(void *ctx, const obs_t *obs, double action[4], int timeout_ms, char *err,
                        size_t errsz) {
  (void)timeout_ms;
  (void)err;
  (void)errsz;
  env_expert(*(const envTaskId *)ctx, obs, action);
  return 0;
}

/* The reference: the expert on the env directly (env_macroStep, relative mode). */
static void envEpisode(envTask *task, envTaskId id, uint64_t seed, double *ret, int *success) {
  envConfig cfg;
  env_defaultConfig(&cfg);
  obs_t obs;
  char err[256] = "";
  assert_int_equal(env_reset(task, seed, &cfg, &obs, err, sizeof(err)), 0);
  static envStepResult res;
  *ret = 0.0;
  *success = 0;
  for (int k = 0; k < cfg.horizon; k++) {
    double a[4];
    env_expert(id, &obs, a);
    assert_int_equal(env_macroStep(task, a, &res, err, sizeof(err)), 0);
    *ret += res.reward;
    *success = res.success;
    obs = res.obs;
    if (res.success) {
      break;
    }
  }
}

static void experts_should_score_the_same_through_net_as_through_sim(void **state) {
  (void)state;
  const int nseeds = 20;
  for (int id = 0; id < env_taskCount(); id++) {
    const char *name = env_name((envTaskId)id);
    char err[256] = "";
    simServer s;
    loop_startSim(&s, name, 0);
    agDriver *net = connectNet(ag_serverPort(s.srv), 5000, err, sizeof(err));
    assert_non_null(net);
    char cfg[128];
    snprintf(cfg, sizeof(cfg), "{\"task\":\"%s\"}", name);
    agDriver *sim = ag_makeDriver("sim", cfg, NULL, err, sizeof(err));
    assert_non_null(sim);
    envSpec *spec = env_makeSpec((envTaskId)id, err, sizeof(err));
    assert_non_null(spec);
    envTask *task = env_make(spec, err, sizeof(err));
    assert_non_null(task);

    int succ_env = 0;
    int succ_sim = 0;
    int succ_net = 0;
    double sum_ret = 0.0;
    int clamps = 0;
    for (int seed = 0; seed < nseeds; seed++) {
      agEpisodeConfig ec;
      ag_defaultEpisode(&ec);
      ec.seed = (uint64_t)seed;
      envTaskId tid = (envTaskId)id;
      agEpisodeResult rs;
      agEpisodeResult rn;
      assert_int_equal(
          ag_runDriverEpisode(sim, &ec, expertPolicy, &tid, NULL, NULL, &rs, err, sizeof(err)), 0);
      assert_int_equal(
          ag_runDriverEpisode(net, &ec, expertPolicy, &tid, NULL, NULL, &rn, err, sizeof(err)), 0);
      double ret_env;
      int success_env;
      envEpisode(task, tid, (uint64_t)seed, &ret_env, &success_env);

      /* Bit-identical returns on every path, no faults; the safety layer's workspace
       * clamps (the experts aim below the hand's lowest z) are the env's own clipping */
      assert_int_equal(rs.fault, AG_FT_NONE);
      assert_int_equal(rn.fault, AG_FT_NONE);
      assert_true(rs.ret == ret_env);
      assert_true(rn.ret == rs.ret);
      assert_int_equal(rs.success, success_env);
      assert_int_equal(rn.success, rs.success);
      assert_int_equal(rn.steps, rs.steps);
      assert_int_equal(rn.safety.violations, rs.safety.violations);
      assert_int_equal(rs.safety.step_limits + rs.safety.speed_limits, 0);
      clamps += rn.safety.workspace_clamps;
      succ_env += success_env;
      succ_sim += rs.success;
      succ_net += rn.success;
      sum_ret += rn.ret;
    }
    printf(
        "[ INFO     ] %s seeds 0:%d: success env %d/%d, sim driver %d/%d, net driver %d/%d, "
        "mean return %.3f, workspace clamps %d\n",
        name, nseeds, succ_env, nseeds, succ_sim, nseeds, succ_net, nseeds, sum_ret / nseeds,
        clamps);
    assert_true(succ_net >= nseeds * 3 / 4); /* the experts are good at their tasks */

    env_free(task);
    env_freeSpec(spec);
    ag_freeDriver(sim);
    ag_freeDriver(net); /* bye */
    loop_joinSim(&s);
  }
}

/* ---------------------------------------------------------------- errors */

static void net_should_relay_server_errors_and_stay_usable(void **state) {
  (void)state;
  simServer s;
  loop_startSim(&s, "reach", 0);
  char err[256] = "";
  agDriver *net = connectNet(ag_serverPort(s.srv), 5000, err, sizeof(err));
  assert_non_null(net);
  const agDriverApi *api = ag_driverApi(net);
  void *h = ag_driverHandle(net);
  agDriverObs o;
  char derr[256] = "";
  assert_true(api->observe(h, &o, derr, sizeof(derr)) < 0);
  char want[256];
  snprintf(want, sizeof(want),
           "net 127.0.0.1:%d: observe failed on the server: sim driver: observe before a "
           "successful reset",
           ag_serverPort(s.srv));
  assert_string_equal(derr, want);
  assert_int_equal(api->reset(h, 3, derr, sizeof(derr)), 0);
  assert_int_equal(api->observe(h, &o, derr, sizeof(derr)), 0);
  assert_true(o.hand_pos[1] > 0.5);

  /* The capabilities came over hello */
  agDriverCaps caps;
  ag_driverCaps(net, &caps);
  assert_true(caps.workspace_lo[2] == 0.05 && caps.workspace_hi[1] == 1.0);
  assert_true(caps.flags & AG_DRIVER_CAP_SUCCESS);
  ag_freeDriver(net);
  loop_joinSim(&s);
}

static void net_open_should_fail_fast_when_nothing_listens(void **state) {
  (void)state;
  char err[256] = "";
  assert_null(connectNet(loop_freePort(), 1000, err, sizeof(err)));
  assert_non_null(strstr(err, "driver net: open failed: net 127.0.0.1:"));
  assert_non_null(strstr(err, "connect: Connection refused"));
}

static void net_config_should_reject_unknown_keys_and_missing_port(void **state) {
  (void)state;
  char err[256] = "";
  assert_null(ag_makeDriver("net", "{\"prot\":5}", NULL, err, sizeof(err)));
  assert_string_equal(err,
                      "driver net: open failed: net driver config: bad or unknown key "
                      "\"prot\"");
  assert_null(ag_makeDriver("net", "{}", NULL, err, sizeof(err)));
  assert_string_equal(err,
                      "driver net: open failed: net driver config: missing \"port\" "
                      "(1..65535)");
}

/* A scripted server: answers each request line with the next scripted reply (NULL: say
 * nothing and hold the connection until the client leaves). */
typedef struct scripted {
  int lfd;
  int port;
  const char *replies[4];
  pthread_t thread;
} scripted;

static void *scriptedMain(void *arg) {
  scripted *s = arg;
  int fd = accept(s->lfd, NULL, NULL);
  if (fd < 0) {
    return NULL;
  }
  char buf[16384];
  for (int i = 0; i < 4; i++) {
    /* Read one request line (requests are small) */
    size_t n = 0;
    while (n < sizeof(buf) && (n == 0 || buf[n - 1] != '\n')) {
      ssize_t r = recv(fd, buf + n, 1, 0);
      if (r <= 0) {
        close(fd);
        return NULL;
      }
      n++;
    }
    if (s->replies[i] == NULL) {
      while (recv(fd, buf, sizeof(buf), 0) > 0) {
      }
      break;
    }
    size_t len = strlen(s->replies[i]);
    if (send(fd, s->replies[i], len, MSG_NOSIGNAL) != (ssize_t)len) {
      break;
    }
  }
  close(fd);
  return NULL;
}

#define HELLO_OK                                                                       \
  "{\"ok\":true,\"version\":1,\"name\":\"bridge\",\"caps\":{\"workspace_lo\":[0,0,0]," \
  "\"workspace_hi\":[1,1,1],\"max_step\":0.1,\"max_speed\":0,\"step_duration\":0.5,"   \
  "\"reward\":false,\"success\":false,\"hint\":false}}\n"

static void startScripted(scripted *s, const char *r0, const char *r1, const char *r2) {
  s->lfd = loop_listen(&s->port);
  s->replies[0] = r0;
  s->replies[1] = r1;
  s->replies[2] = r2;
  s->replies[3] = NULL;
  assert_int_equal(pthread_create(&s->thread, NULL, scriptedMain, s), 0);
}

static void stopScripted(scripted *s) {
  pthread_join(s->thread, NULL);
  close(s->lfd);
}

/* Opens the net driver on a scripted server whose second reply (to reset) is bad, and
 * expects the reset error to contain want and the next call to fail fast. */
static void expectBadReset(const char *reply, const char *want) {
  scripted s;
  startScripted(&s, HELLO_OK, reply, "{\"ok\":true}\n");
  char err[256] = "";
  agDriver *net = connectNet(s.port, 300, err, sizeof(err));
  assert_non_null(net);
  const agDriverApi *api = ag_driverApi(net);
  void *h = ag_driverHandle(net);
  char derr[256] = "";
  assert_true(api->reset(h, 1, derr, sizeof(derr)) < 0);
  if (strstr(derr, want) == NULL) {
    fail_msg("error \"%s\" does not contain \"%s\"", derr, want);
  }
  agDriverObs o;
  assert_true(api->observe(h, &o, derr, sizeof(derr)) < 0);
  assert_non_null(strstr(derr, "connection unusable after an earlier error"));
  ag_freeDriver(net);
  stopScripted(&s);
}

static void net_should_fail_fast_on_malformed_replies(void **state) {
  (void)state;
  expectBadReset("yes\n", "malformed reply: reset reply: not valid JSON");
  expectBadReset("{\"ok\":\"true\"}\n", "malformed reply: reset reply: \"ok\" is not true");
  expectBadReset("{\"ok\":true}\n{\"ok\":true}\n", "unexpected data after the reset reply");
  expectBadReset(NULL, "no reply within 300 ms");
  static char huge[AG_NET_LINE_MAX + 100];
  memset(huge, 'x', sizeof(huge) - 1);
  expectBadReset(huge, "reply longer than 8191 bytes");
}

static void net_should_take_caps_from_hello_and_check_the_version(void **state) {
  (void)state;
  scripted s;
  startScripted(&s, HELLO_OK, NULL, NULL);
  char err[256] = "";
  agDriver *net = connectNet(s.port, 2000, err, sizeof(err));
  assert_non_null(net);
  agDriverCaps caps;
  ag_driverCaps(net, &caps);
  assert_true(caps.max_step == 0.1 && caps.step_duration == 0.5 && caps.flags == 0);
  ag_freeDriver(net); /* stop is swallowed; our close ends the scripted server */
  stopScripted(&s);

  startScripted(&s,
                "{\"ok\":true,\"version\":2,\"name\":\"new\",\"caps\":{\"workspace_lo\":[0,0,0],"
                "\"workspace_hi\":[1,1,1],\"max_step\":0,\"max_speed\":0,\"step_duration\":0,"
                "\"reward\":false,\"success\":false,\"hint\":false}}\n",
                NULL, NULL);
  assert_null(connectNet(s.port, 2000, err, sizeof(err)));
  char want[256];
  snprintf(want, sizeof(want),
           "driver net: open failed: net 127.0.0.1:%d: server speaks protocol 2, tracebot "
           "speaks 1",
           s.port);
  assert_string_equal(err, want);
  stopScripted(&s);
}

/* ---------------------------------------------------------------- the server */

/* Sends one line to fd and reads one reply line into out. */
static void exchange(int fd, const char *line, char *out, size_t outsz) {
  assert_int_equal(send(fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
  size_t n = 0;
  while (n + 1 < outsz) {
    ssize_t r = recv(fd, out + n, 1, 0);
    assert_true(r == 1);
    if (out[n] == '\n') {
      break;
    }
    n++;
  }
  out[n] = '\0';
}

/* A conversation with the server, in order: each request and the reply it gets (exactly, or
 * holding it when part is set). */
static const struct {
  const char *request;
  const char *reply;
  int part;
} kConversation[] = {
    {"{\"op\":\"reset\",\"seed\":1}\n", "{\"ok\":false,\"error\":\"say hello first\"}", 0},
    {"{\"op\":\"hello\",\"version\":9}\n",
     "{\"ok\":false,\"error\":\"client speaks protocol 9, server speaks 1\"}", 0},
    {"{\"op\":\"hello\",\"version\":1}\n",
     "{\"ok\":true,\"version\":1,\"name\":\"sim\",\"caps\":", 1},
    {"not json\n", "{\"ok\":false,\"error\":\"request: not valid JSON\"}", 0},
    {"{\"op\":\"reset\",\"seed\":1}\r\n", "{\"ok\":true}", 0},
    {"{\"op\":\"observe\"}\n", "\"obs\":{\"hand_pos\":[", 1},
    {"{\"op\":\"command\",\"target\":[0,0.6,0.2],\"gripper\":1}\n", "{\"ok\":true}", 0},
    {"{\"op\":\"stop\"}\n", "{\"ok\":true}", 0},
    {"{\"op\":\"bye\"}\n", "{\"ok\":true}", 0},
};

static void server_should_answer_bad_requests_and_end_on_bye(void **state) {
  (void)state;
  simServer s;
  loop_startSim(&s, "push", 0);
  int fd = loop_connect(ag_serverPort(s.srv));
  char out[AG_NET_LINE_MAX];
  for (size_t i = 0; i < sizeof kConversation / sizeof kConversation[0]; i++) {
    const char *request = kConversation[i].request;
    exchange(fd, request, out, sizeof(out));
    if (kConversation[i].part) {
      case_has(request, "the reply", out, kConversation[i].reply);
    } else {
      case_str(request, "the reply", out, kConversation[i].reply);
    }
  }
  close(fd);
  loop_joinSim(&s);
}

static void server_should_drop_a_client_sending_an_endless_line(void **state) {
  (void)state;
  simServer s;
  loop_startSim(&s, "reach", 0);
  int fd = loop_connect(ag_serverPort(s.srv));
  /* Exactly one buffer of bytes and no newline: the server reads it all, then hangs up */
  static char junk[AG_NET_LINE_MAX + 1];
  memset(junk, '{', AG_NET_LINE_MAX);
  junk[AG_NET_LINE_MAX] = '\0';
  char out[512];
  exchange(fd, junk, out, sizeof(out));
  assert_string_equal(out, "{\"ok\":false,\"error\":\"request longer than 8191 bytes\"}");
  char c;
  assert_true(recv(fd, &c, 1, 0) <= 0); /* dropped */
  close(fd);

  /* The server still serves the next client */
  char err[256] = "";
  agDriver *net = connectNet(ag_serverPort(s.srv), 2000, err, sizeof(err));
  assert_non_null(net);
  ag_freeDriver(net);
  loop_joinSim(&s);
}

/* ---------------------------------------------------------------- bench */

static void bench_should_measure_the_loopback_round_trip(void **state) {
  (void)state;
  agDriverBench b;
  char err[256] = "";
  assert_int_equal(ag_benchDriver("reach", 300, &b, err, sizeof(err)), 0);
  assert_int_equal(b.steps, 300);
  assert_true(b.sim_us > 0.0 && b.net_us > 0.0);
  assert_true(b.net_p50_us <= b.net_p99_us);
  assert_true(b.rtt_p50_us > 0.0 && b.rtt_p50_us <= b.rtt_p99_us);
  printf(
      "[ INFO     ] reach, %d steps: sim driver %.1f us/step, net driver %.1f us/step "
      "(p50 %.1f, p99 %.1f), overhead %.1f us/step; bare observe round trip p50 %.1f us, "
      "p99 %.1f us\n",
      b.steps, b.sim_us, b.net_us, b.net_p50_us, b.net_p99_us, b.overhead_us, b.rtt_p50_us,
      b.rtt_p99_us);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(experts_should_score_the_same_through_net_as_through_sim),
      cmocka_unit_test(net_should_relay_server_errors_and_stay_usable),
      cmocka_unit_test(net_open_should_fail_fast_when_nothing_listens),
      cmocka_unit_test(net_config_should_reject_unknown_keys_and_missing_port),
      cmocka_unit_test(net_should_fail_fast_on_malformed_replies),
      cmocka_unit_test(net_should_take_caps_from_hello_and_check_the_version),
      cmocka_unit_test(server_should_answer_bad_requests_and_end_on_bye),
      cmocka_unit_test(server_should_drop_a_client_sending_an_endless_line),
      cmocka_unit_test(bench_should_measure_the_loopback_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
