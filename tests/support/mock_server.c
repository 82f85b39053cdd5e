/* A scripted HTTP server on 127.0.0.1 for the LLM client tests (see mock_server.h). */
#include "mock_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#define MAX_QUEUE 64
#define MAX_RECORDED 64

typedef struct queued {
  int status;
  char *body;
  size_t body_len;
  char *headers;
  int delay_ms;
  int truncate_at;
} queued;

struct mockServer {
  struct MHD_Daemon *daemon;
  int port;
  char base_url[64];
  pthread_mutex_t lock;
  queued queue[MAX_QUEUE];
  int head;
  int tail;
  mockRequest recorded[MAX_RECORDED];
  int nrecorded;
  atomic_int stopping;
};

/* A request being received: its body so far. */
typedef struct pending {
  char *body;
  size_t len;
} pending;

static char *dupOrEmpty(const char *s) {
  return strdup(s ? s : "");
}

void mock_push(mockServer *m, const mockResponse *r) {
  pthread_mutex_lock(&m->lock);
  if (m->tail < MAX_QUEUE) {
    queued *q = &m->queue[m->tail++];
    q->status = r->status;
    q->body = dupOrEmpty(r->body);
    q->body_len = strlen(q->body);
    q->headers = dupOrEmpty(r->headers);
    q->delay_ms = r->delay_ms;
    q->truncate_at = r->truncate_at;
  }
  pthread_mutex_unlock(&m->lock);
}

void mock_pushSimple(mockServer *m, int status, const char *body) {
  mockResponse r = {status, body, NULL, 0, 0};
  mock_push(m, &r);
}

int mock_requestCount(mockServer *m) {
  pthread_mutex_lock(&m->lock);
  int n = m->nrecorded;
  pthread_mutex_unlock(&m->lock);
  return n;
}

const mockRequest *mock_request(mockServer *m, int i) {
  pthread_mutex_lock(&m->lock);
  const mockRequest *r = (i >= 0 && i < m->nrecorded) ? &m->recorded[i] : NULL;
  pthread_mutex_unlock(&m->lock);
  return r;
}

const char *mock_baseUrl(const mockServer *m) {
  return m->base_url;
}

int mock_port(const mockServer *m) {
  return m->port;
}

/* Appends "key: value\n" to the growing string in cls. */
static enum MHD_Result collectHeader(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value) {
  (void)kind;
  char **all = cls;
  size_t old = *all ? strlen(*all) : 0;
  size_t add = strlen(key) + strlen(value ? value : "") + 3;
  char *grown = realloc(*all, old + add + 1);
  if (grown) {
    snprintf(grown + old, add + 1, "%s: %s\n", key, value ? value : "");
    *all = grown;
  }
  return MHD_YES;
}

static void copyHeader(struct MHD_Connection *c, const char *name, char *out, size_t outsz) {
  const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
  snprintf(out, outsz, "%s", v ? v : "");
}

/* Serves the first truncate_at bytes of the body, then fails the connection. */
typedef struct truncSource {
  char *body;
  size_t upto;
} truncSource;

static ssize_t truncRead(void *cls, uint64_t pos, char *buf, size_t max) {
  truncSource *t = cls;
  if (pos >= t->upto) {
    return MHD_CONTENT_READER_END_WITH_ERROR;
  }
  size_t n = t->upto - (size_t)pos;
  if (n > max) {
    n = max;
  }
  memcpy(buf, t->body + pos, n);
  return (ssize_t)n;
}

static void truncFree(void *cls) {
  truncSource *t = cls;
  free(t->body);
  free(t);
}

/* Adds "Name: value" lines to the response. */
static void addHeaders(struct MHD_Response *resp, const char *lines) {
  char *copy = strdup(lines);
  char *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *colon = strchr(line, ':');
    if (!colon) {
      continue;
    }
    *colon = '\0';
    const char *value = colon + 1;
    while (*value == ' ') {
      value++;
    }
    MHD_add_response_header(resp, line, value);
  }
  free(copy);
}

static enum MHD_Result onRequest(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls) {
  (void)version;
  mockServer *m = cls;
  pending *p = *con_cls;

  /* First call: headers only. Then body chunks. Then the final call. */
  if (!p) {
    p = calloc(1, sizeof(*p));
    *con_cls = p;
    return p ? MHD_YES : MHD_NO;
  }
  if (*upload_data_size > 0) {
    char *grown = realloc(p->body, p->len + *upload_data_size + 1);
    if (!grown) {
      return MHD_NO;
    }
    memcpy(grown + p->len, upload_data, *upload_data_size);
    p->body = grown;
    p->len += *upload_data_size;
    p->body[p->len] = '\0';
    *upload_data_size = 0;
    return MHD_YES;
  }

  /* Record the request and pop the next scripted answer. */
  queued q = {500, NULL, 0, NULL, 0, 0};
  pthread_mutex_lock(&m->lock);
  if (m->nrecorded < MAX_RECORDED) {
    mockRequest *r = &m->recorded[m->nrecorded++];
    snprintf(r->method, sizeof(r->method), "%s", method);
    snprintf(r->url, sizeof(r->url), "%s", url);
    copyHeader(conn, "Authorization", r->authorization, sizeof(r->authorization));
    copyHeader(conn, "x-api-key", r->api_key, sizeof(r->api_key));
    copyHeader(conn, "anthropic-version", r->anthropic_version, sizeof(r->anthropic_version));
    copyHeader(conn, "Content-Type", r->content_type, sizeof(r->content_type));
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collectHeader, &r->all_headers);
    r->body = p->body ? p->body : strdup("");
    r->body_len = p->len;
    p->body = NULL;
  }
  int have = m->head < m->tail;
  if (have) {
    q = m->queue[m->head++];
  }
  pthread_mutex_unlock(&m->lock);
  if (!have) {
    q.body = strdup("{\"error\":{\"message\":\"mock: no scripted response\"}}");
    q.body_len = strlen(q.body);
  }

  /* Delay in small steps so stopping is not held up long. */
  for (int waited = 0; waited < q.delay_ms && !m->stopping; waited += 10) {
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
  }

  struct MHD_Response *resp = NULL;
  if (q.truncate_at > 0 && (size_t)q.truncate_at < q.body_len) {
    truncSource *t = malloc(sizeof(*t));
    if (t) {
      t->body = q.body;
      t->upto = (size_t)q.truncate_at;
      q.body = NULL;
      resp = MHD_create_response_from_callback(q.body_len, 1024, truncRead, t, truncFree);
    }
  } else {
    resp = MHD_create_response_from_buffer(q.body_len, q.body, MHD_RESPMEM_MUST_COPY);
  }
  if (resp) {
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (q.headers) {
      addHeaders(resp, q.headers);
    }
  }
  free(q.body);
  free(q.headers);
  if (!resp) {
    return MHD_NO;
  }
  enum MHD_Result ok = MHD_queue_response(conn, (unsigned int)q.status, resp);
  MHD_destroy_response(resp);
  return ok;
}

static void onCompleted(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode code) {
  (void)cls;
  (void)conn;
  (void)code;
  pending *p = *con_cls;
  if (p) {
    free(p->body);
    free(p);
    *con_cls = NULL;
  }
}

mockServer *mock_start(void) {
  mockServer *m = calloc(1, sizeof(*m));
  if (!m) {
    return NULL;
  }
  pthread_mutex_init(&m->lock, NULL);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  m->daemon =
      MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL,
                       NULL, onRequest, m, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED,
                       onCompleted, m, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
  if (!m->daemon) {
    pthread_mutex_destroy(&m->lock);
    free(m);
    return NULL;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
  m->port = info ? (int)info->port : 0;
  snprintf(m->base_url, sizeof(m->base_url), "http://127.0.0.1:%d", m->port);
  return m;
}

void mock_stop(mockServer *m) {
  if (!m) {
    return;
  }
  m->stopping = 1;
  MHD_stop_daemon(m->daemon);
  for (int i = m->head; i < m->tail; i++) {
    free(m->queue[i].body);
    free(m->queue[i].headers);
  }
  for (int i = 0; i < m->nrecorded; i++) {
    free(m->recorded[i].body);
    free(m->recorded[i].all_headers);
  }
  pthread_mutex_destroy(&m->lock);
  free(m);
}
