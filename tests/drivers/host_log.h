/* host_log.h: the log lines a driver sends its host, kept for tests to look at what reached
 * the fake robot (test_driver_load, test_safety). */
#ifndef TRACEBOT_TESTS_DRIVERS_HOST_LOG_H
#define TRACEBOT_TESTS_DRIVERS_HOST_LOG_H

/* The first 64 lines a driver logged. */
typedef struct logBook {
  char lines[64][160];
  int n;
} logBook;

/* The host's log callback (agDriverHost.log) with a logBook as the host pointer. */
void logbook_collect(void *host, int level, const char *msg);

/* Lines that start with prefix. */
int logbook_count(const logBook *b, const char *prefix);

#endif /* TRACEBOT_TESTS_DRIVERS_HOST_LOG_H */
