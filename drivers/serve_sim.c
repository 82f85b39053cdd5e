/* The server side of the net protocol: exposes an opened driver (the simulator for
 * `tracebot serve-sim`) on a loopback TCP port. One client holds the robot at a time: a
 * second client is told at once that the robot is busy and disconnected, and a client that
 * completes no request for the idle timeout is disconnected (the robot is stopped), so no
 * client can keep the others out for long, not even by sending a byte now and then. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base.h"
#include "tracebot/drivers.h"
#include "driver_proto.h"

#define POLL_MS 100           /* how often the stop flag is checked */
#define IDLE_MS_DEFAULT 30000 /* a client silent this long is disconnected */
#define SEND_TIMEOUT_S 5      /* a reply that cannot be sent in this time drops the client */

struct agServer {
  const agDriverApi *api;
  void *handle;
  int lfd; /* listening socket */
  int cfd; /* client, -1 when none */
  int port;
  int hello;                  /* the client said hello */
  char name[AG_NET_NAME_MAX]; /* what hello answers (the driver's name by default) */
  int bye;                    /* a client said bye */
  int idle_ms;                /* disconnect a client silent this long (0: never) */
  double last_ms;             /* when the client's last complete request came (tb_nowMs) */
  agNetRequest req;
  agNetReply rep;
  char rbuf[AG_NET_LINE_MAX];
  size_t rlen;
  char out[AG_NET_LINE_MAX + 1];
};

agServer *ag_makeServer(const agDriverApi *api, void *handle, int port, char *err, size_t errsz) {
  if (api == NULL || handle == NULL || port < 0 || port > 65535) {
    tb_setErr(err, errsz, "serve: bad driver or port %d", port);
    return NULL;
  }
  agServer *srv = calloc(1, sizeof(*srv));
  if (srv == NULL) {
    tb_setErr(err, errsz, "serve: out of memory");
    return NULL;
  }
  srv->api = api;
  srv->handle = handle;
  snprintf(srv->name, sizeof(srv->name), "%s", api->name != NULL ? api->name : "driver");
  srv->cfd = -1;
  srv->idle_ms = IDLE_MS_DEFAULT;
  srv->lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (srv->lfd < 0) {
    tb_setErr(err, errsz, "serve: socket: %s", strerror(errno));
    free(srv);
    return NULL;
  }
  fcntl(srv->lfd, F_SETFD, FD_CLOEXEC);
  int one = 1;
  setsockopt(srv->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));

  /* Loopback only: a simulator (or a robot) is never exposed to the network */
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(srv->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(srv->lfd, 4) != 0) {
    tb_setErr(err, errsz, "serve: bind 127.0.0.1:%d: %s", port, strerror(errno));
    ag_freeServer(srv);
    return NULL;
  }
  socklen_t sl = sizeof(sa);
  if (getsockname(srv->lfd, (struct sockaddr *)&sa, &sl) != 0) {
    tb_setErr(err, errsz, "serve: getsockname: %s", strerror(errno));
    ag_freeServer(srv);
    return NULL;
  }
  srv->port = ntohs(sa.sin_port);
  return srv;
}

int ag_serverPort(const agServer *srv) {
  return srv->port;
}

void ag_serverSetIdleTimeout(agServer *srv, int ms) {
  srv->idle_ms = ms > 0 ? ms : 0;
}

void ag_freeServer(agServer *srv) {
  if (srv == NULL) {
    return;
  }
  if (srv->cfd >= 0) {
    close(srv->cfd);
  }
  if (srv->lfd >= 0) {
    close(srv->lfd);
  }
  free(srv);
}

/* Ends the current client: the robot is told to stop (a lost client must not leave it
 * moving). */
static void dropClient(agServer *srv) {
  if (srv->cfd >= 0) {
    close(srv->cfd);
    srv->cfd = -1;
    srv->api->stop(srv->handle);
  }
  srv->rlen = 0;
  srv->hello = 0;
}

/* Writes the whole line to the client (blocking socket, no SIGPIPE). */
static int sendLine(agServer *srv, int len) {
  int off = 0;
  while (off < len) {
    ssize_t n = send(srv->cfd, srv->out + off, (size_t)(len - off), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return -1;
    }
    off += (int)n;
  }
  return 0;
}

/* Replies {"ok":false,"error":msg} to a request of kind op. */
static int replyError(agServer *srv, agNetOp op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int replyError(agServer *srv, agNetOp op, const char *fmt, ...) {
  memset(&srv->rep, 0, sizeof(srv->rep));
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(srv->rep.error, sizeof(srv->rep.error), fmt, ap);
  va_end(ap);
  int n = ag_netEncodeReply(op, &srv->rep, srv->out, sizeof(srv->out));
  return n < 0 ? -1 : sendLine(srv, n);
}

/* Handles one request line: calls the driver and replies. Returns -1 to drop the
 * client. */
static int handle(agServer *srv, const char *line, size_t len) {
  char derr[AG_NET_ERROR_MAX];
  derr[0] = '\0';
  agNetRequest *req = &srv->req;
  if (ag_netDecodeRequest(line, len, req, derr, sizeof(derr)) != 0) {
    return replyError(srv, AG_NET_STOP, "%s", derr);
  }
  if (!srv->hello && req->op != AG_NET_HELLO && req->op != AG_NET_BYE && req->op != AG_NET_STOP) {
    return replyError(srv, req->op, "say hello first");
  }
  agNetReply *rep = &srv->rep;
  memset(rep, 0, sizeof(*rep));
  rep->ok = 1;
  int rc = 0;
  switch (req->op) {
    case AG_NET_HELLO:
      if (req->version != AG_NET_PROTOCOL) {
        return replyError(srv, req->op, "client speaks protocol %d, server speaks %d", req->version,
                          AG_NET_PROTOCOL);
      }
      srv->hello = 1;
      rep->version = AG_NET_PROTOCOL;
      snprintf(rep->name, sizeof(rep->name), "%s", srv->name);
      rep->caps = srv->api->caps;
      if (srv->api->describe != NULL) {
        rc = srv->api->describe(srv->handle, &rep->caps, derr, sizeof(derr));
      }
      break;
    case AG_NET_RESET:
      rc = srv->api->reset(srv->handle, req->seed, derr, sizeof(derr));
      break;
    case AG_NET_OBSERVE:
      rc = srv->api->observe(srv->handle, &rep->obs, derr, sizeof(derr));
      rep->obs.hint[AG_DRIVER_HINT_MAX - 1] = '\0';
      break;
    case AG_NET_COMMAND:
      rc = srv->api->command(srv->handle, req->target, req->gripper, derr, sizeof(derr));
      break;
    case AG_NET_STOP:
      srv->api->stop(srv->handle);
      break;
    case AG_NET_BYE:
      srv->bye = 1;
      break;
    default:
      break;
  }
  if (rc != 0) {
    derr[sizeof(derr) - 1] = '\0';
    return replyError(srv, req->op, "%s", derr[0] != '\0' ? derr : "driver call failed");
  }
  int n = ag_netEncodeReply(req->op, rep, srv->out, sizeof(srv->out));
  if (n < 0) {
    return replyError(srv, req->op, "the driver produced a non-finite or oversized reply");
  }
  return sendLine(srv, n);
}

/* Accepts a pending connection with the socket options every client gets. Returns the
 * descriptor or -1 (errno). */
static int acceptClient(agServer *srv) {
  int fd = accept(srv->lfd, NULL, NULL);
  if (fd < 0) {
    return -1;
  }
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  /* A client that stops reading must not wedge the server in send */
  struct timeval tv = {SEND_TIMEOUT_S, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return fd;
}

/* A second client while one holds the robot: one error line, then the door. */
static void refuseBusy(agServer *srv) {
  int fd = acceptClient(srv);
  if (fd < 0) {
    return;
  }
  agNetReply rep;
  memset(&rep, 0, sizeof(rep));
  snprintf(rep.error, sizeof(rep.error),
           "busy: another client is connected to %s; try again when it disconnects", srv->name);
  char line[AG_NET_LINE_MAX + 1];
  int n = ag_netEncodeReply(AG_NET_HELLO, &rep, line, sizeof(line));
  if (n > 0) {
    (void)send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  close(fd);
}

/* Serves the connected client until it leaves, says bye, errs, idles past the timeout, or
 * stop is set. Other clients that connect meanwhile are refused. */
static void serveClient(agServer *srv, volatile sig_atomic_t *stop) {
  srv->last_ms = tb_nowMs();
  while (srv->cfd >= 0 && !srv->bye && !(stop != NULL && *stop)) {
    /* Handle every complete line already buffered */
    char *nl = memchr(srv->rbuf, '\n', srv->rlen);
    if (nl != NULL) {
      size_t n = (size_t)(nl - srv->rbuf);
      size_t ln = n > 0 && srv->rbuf[n - 1] == '\r' ? n - 1 : n;
      int rc = ln == 0 ? 0 : handle(srv, srv->rbuf, ln);
      srv->last_ms = tb_nowMs();
      srv->rlen -= n + 1;
      memmove(srv->rbuf, nl + 1, srv->rlen);
      if (rc != 0) {
        dropClient(srv);
      }
      continue;
    }
    if (srv->rlen == sizeof(srv->rbuf)) {
      (void)replyError(srv, AG_NET_STOP, "request longer than %d bytes", AG_NET_LINE_MAX - 1);
      dropClient(srv);
      return;
    }

    /* Wait for more bytes, refusing other clients meanwhile */
    struct pollfd p[2] = {{srv->cfd, POLLIN, 0}, {srv->lfd, POLLIN, 0}};
    int k = poll(p, 2, POLL_MS);
    if (k > 0 && (p[1].revents & POLLIN)) {
      refuseBusy(srv);
    }
    if (srv->idle_ms > 0 && tb_nowMs() - srv->last_ms > srv->idle_ms) {
      (void)replyError(srv, AG_NET_STOP, "idle for %d ms: disconnected (the robot is stopped)",
                       srv->idle_ms);
      break;
    }
    if (k <= 0 || !(p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      continue;
    }
    ssize_t n = recv(srv->cfd, srv->rbuf + srv->rlen, sizeof(srv->rbuf) - srv->rlen, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      dropClient(srv);
      return;
    }
    srv->rlen += (size_t)n;
  }
  dropClient(srv);
}

int ag_serverRun(agServer *srv, volatile sig_atomic_t *stop, char *err, size_t errsz) {
  srv->bye = 0;
  while (!srv->bye && !(stop != NULL && *stop)) {
    struct pollfd p = {srv->lfd, POLLIN, 0};
    int k = poll(&p, 1, POLL_MS);
    if (k < 0 && errno != EINTR) {
      tb_setErr(err, errsz, "serve: poll: %s", strerror(errno));
      return TB_EIO;
    }
    if (k <= 0) {
      continue;
    }
    int fd = acceptClient(srv);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN) {
        continue;
      }
      tb_setErr(err, errsz, "serve: accept: %s", strerror(errno));
      return TB_EIO;
    }
    srv->cfd = fd;
    serveClient(srv, stop);
  }
  return TB_OK;
}

int ag_serveSim(const char *config, int port, volatile sig_atomic_t *stop,
                void (*ready)(void *user, int port), void *user, char *err, size_t errsz) {
  agDriver *drv = ag_makeDriver("sim", config, NULL, err, errsz);
  if (drv == NULL) {
    return TB_EOPEN;
  }
  agServer *srv = ag_makeServer(ag_driverApi(drv), ag_driverHandle(drv), port, err, errsz);
  if (srv == NULL) {
    ag_freeDriver(drv);
    return TB_EIO;
  }
  /* Clients that name a task can check they reached the right simulator */
  cJSON *root = cJSON_Parse(config);
  const cJSON *task = cJSON_GetObjectItemCaseSensitive(root, "task");
  if (cJSON_IsString(task)) {
    snprintf(srv->name, sizeof(srv->name), "sim:%s", task->valuestring);
  }
  cJSON_Delete(root);
  if (ready != NULL) {
    ready(user, ag_serverPort(srv));
  }
  int rc = ag_serverRun(srv, stop, err, errsz);
  ag_freeServer(srv);
  ag_freeDriver(drv);
  return rc;
}
