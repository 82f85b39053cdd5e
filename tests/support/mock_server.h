/* A scripted HTTP server on 127.0.0.1 for the LLM client tests (libmicrohttpd, a thread per
 * connection). Tests queue responses (status, extra headers, body, delay, truncation); the
 * server answers requests in order and records what it received.
 */
#ifndef TRACEBOT_TESTS_MOCK_SERVER_H
#define TRACEBOT_TESTS_MOCK_SERVER_H

#include <stddef.h>

/* One scripted answer. */
typedef struct mockResponse {
  int status;
  const char *body;    /* nullable: empty body */
  const char *headers; /* nullable: extra header lines "Name: value\n..." */
  int delay_ms;        /* wait before answering */
  int truncate_at;     /* > 0: announce the full length, send this many bytes, close */
} mockResponse;

/* One received request. */
typedef struct mockRequest {
  char method[16];
  char url[256];
  char authorization[256];    /* "" when absent */
  char api_key[256];          /* x-api-key, "" when absent */
  char anthropic_version[64]; /* "" when absent */
  char content_type[64];
  char *all_headers; /* every header as "name: value\n" lines */
  char *body;        /* NUL-terminated */
  size_t body_len;
} mockRequest;

typedef struct mockServer mockServer;

/* Starts a server on 127.0.0.1 with an ephemeral port. Returns NULL on failure. */
mockServer *mock_start(void);

/* Stops the server and frees everything it recorded. Nullable. */
void mock_stop(mockServer *m);

/* "http://127.0.0.1:PORT" (owned by the server). */
const char *mock_baseUrl(const mockServer *m);

/* The bound port. */
int mock_port(const mockServer *m);

/* Queues a response (copied). With the queue empty the server answers 500. */
void mock_push(mockServer *m, const mockResponse *r);

/* Shorthand: queue status + body. */
void mock_pushSimple(mockServer *m, int status, const char *body);

/* Number of requests received so far, and one of them (0-based; NULL when out of range).
 * The pointer stays valid until mock_stop. */
int mock_requestCount(mockServer *m);
const mockRequest *mock_request(mockServer *m, int i);

#endif /* TRACEBOT_TESTS_MOCK_SERVER_H */
