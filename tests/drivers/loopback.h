/* loopback.h: raw TCP sockets and a sim server on 127.0.0.1 for the net driver and server
 * tests (test_driver_net, test_serve_sim). Each fails the running cmocka test when a call
 * fails. */
#ifndef TRACEBOT_TESTS_DRIVERS_LOOPBACK_H
#define TRACEBOT_TESTS_DRIVERS_LOOPBACK_H

#include <pthread.h>
#include <signal.h>

#include "tracebot/drivers.h"

/* A client socket connected to 127.0.0.1:port. */
int loop_connect(int port);

/* A socket listening on a port of 127.0.0.1 the kernel picked; the port goes to *port. */
int loop_listen(int *port);

/* A port of 127.0.0.1 that was free a moment ago (nothing listens on it). */
int loop_freePort(void);

/* The sim driver of a task served by a thread of the test, as `tracebot serve-sim` serves it
 * in its own process. */
typedef struct simServer {
  agDriver *sim;
  agServer *srv; /* its port: ag_serverPort(srv) */
  pthread_t thread;
  volatile sig_atomic_t stop; /* set it to end the server without a client's bye */
  int rc;
  char err[256];
} simServer;

/* Starts serving task on a free port; idle_ms is the idle timeout (0: the default). */
void loop_startSim(simServer *s, const char *task, int idle_ms);

/* Waits for the server's end (a client said bye, or stop was set), which must be clean, and
 * frees it and its driver. */
void loop_joinSim(simServer *s);

#endif /* TRACEBOT_TESTS_DRIVERS_LOOPBACK_H */
