/* loopback.c: TCP sockets on 127.0.0.1 for the tests. */
#include "loopback.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

static struct sockaddr_in loopbackAddr(int port) {
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return sa;
}

int loop_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sa = loopbackAddr(port);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  return fd;
}

/* A socket bound to a port the kernel picks (its number into *port). */
static int bound(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sa = loopbackAddr(0);
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  socklen_t sl = sizeof(sa);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
  *port = ntohs(sa.sin_port);
  return fd;
}

int loop_listen(int *port) {
  int fd = bound(port);
  assert_int_equal(listen(fd, 1), 0);
  return fd;
}

int loop_freePort(void) {
  int port = 0;
  close(bound(&port));
  return port;
}

static void *serveMain(void *arg) {
  simServer *s = arg;
  s->rc = ag_serverRun(s->srv, &s->stop, s->err, sizeof(s->err));
  return NULL;
}

void loop_startSim(simServer *s, const char *task, int idle_ms) {
  memset(s, 0, sizeof(*s));
  char cfg[128];
  snprintf(cfg, sizeof(cfg), "{\"task\":\"%s\"}", task);
  s->sim = ag_makeDriver("sim", cfg, NULL, s->err, sizeof(s->err));
  assert_non_null(s->sim);
  s->srv = ag_makeServer(ag_driverApi(s->sim), ag_driverHandle(s->sim), 0, s->err, sizeof(s->err));
  assert_non_null(s->srv);
  assert_true(ag_serverPort(s->srv) > 0);
  if (idle_ms > 0) {
    ag_serverSetIdleTimeout(s->srv, idle_ms);
  }
  assert_int_equal(pthread_create(&s->thread, NULL, serveMain, s), 0);
}

void loop_joinSim(simServer *s) {
  assert_int_equal(pthread_join(s->thread, NULL), 0);
  assert_int_equal(s->rc, 0);
  ag_freeServer(s->srv);
  ag_freeDriver(s->sim);
}
