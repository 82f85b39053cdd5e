/* loopback.h: raw TCP sockets on 127.0.0.1 for the net driver and server tests
 * (test_driver_net, test_serve_sim). Each fails the running cmocka test when a call fails. */
#ifndef TRACEBOT_TESTS_DRIVERS_LOOPBACK_H
#define TRACEBOT_TESTS_DRIVERS_LOOPBACK_H

/* A client socket connected to 127.0.0.1:port. */
int loop_connect(int port);

/* A socket listening on a port of 127.0.0.1 the kernel picked; the port goes to *port. */
int loop_listen(int *port);

/* A port of 127.0.0.1 that was free a moment ago (nothing listens on it). */
int loop_freePort(void);

#endif /* TRACEBOT_TESTS_DRIVERS_LOOPBACK_H */
