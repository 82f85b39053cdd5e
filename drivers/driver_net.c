/* The `net` driver: a TCP client of the line-delimited JSON protocol (DRIVERS.md).
 * Every request waits for its one reply under timeout_ms; any I/O or protocol error
 * breaks the connection for good (fail fast, no reconnect). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base.h"
#include "tracebot/drivers.h"
#include "driver_proto.h"

typedef struct netDriver {
  int fd;
  int timeout_ms;
  int bye_on_close;
  int broken; /* set on the first I/O or protocol error */
  char broken_why[256];
  char peer[128];    /* host:port for messages */
  char task[32];     /* the task the client expects a simulator server to run, or "" */
  agDriverCaps caps; /* from the hello reply */
  agNetReply rep;    /* last reply (large: kept off the stack) */
  char line[AG_NET_LINE_MAX + 1];
  char rbuf[AG_NET_LINE_MAX];
  size_t rlen;
} netDriver;

/* Marks the connection broken and reports why. */
static int breakConn(netDriver *nd, char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int breakConn(netDriver *nd, char *err, size_t errsz, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char why[256];
  vsnprintf(why, sizeof(why), fmt, ap);
  va_end(ap);
  if (!nd->broken) {
    nd->broken = 1;
    snprintf(nd->broken_why, sizeof(nd->broken_why), "%s", why);
  }
  tb_setErr(err, errsz, "net %s: %s", nd->peer, why);
  return TB_EIO;
}

/* Waits for fd to become ready for events until deadline (ms); 0 ready, else error. */
static int waitFd(int fd, short events, double deadline) {
  for (;;) {
    double left = deadline - tb_nowMs();
    if (left <= 0.0) {
      return -ETIMEDOUT;
    }
    struct pollfd p = {fd, events, 0};
    int n = poll(&p, 1, (int)ceil(left));
    if (n > 0) {
      return 0;
    }
    if (n < 0 && errno != EINTR) {
      return -errno;
    }
  }
}

/* Sends the whole buffer before the deadline. */
static int sendAll(netDriver *nd, const char *buf, size_t len, double deadline, char *err,
                   size_t errsz) {
  size_t off = 0;
  while (off < len) {
    int w = waitFd(nd->fd, POLLOUT, deadline);
    if (w != 0) {
      return breakConn(nd, err, errsz, "send: %s", w == -ETIMEDOUT ? "timed out" : strerror(-w));
    }
    ssize_t n = send(nd->fd, buf + off, len - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
        continue;
      }
      return breakConn(nd, err, errsz, "send: %s", strerror(errno));
    }
    off += (size_t)n;
  }
  return 0;
}

/* Reads one line (without '\n') into nd->line before the deadline. */
static int recvLine(netDriver *nd, size_t *len, double deadline, char *err, size_t errsz) {
  for (;;) {
    char *nl = memchr(nd->rbuf, '\n', nd->rlen);
    if (nl != NULL) {
      size_t n = (size_t)(nl - nd->rbuf);
      memcpy(nd->line, nd->rbuf, n);
      nd->line[n] = '\0';
      nd->rlen -= n + 1;
      memmove(nd->rbuf, nl + 1, nd->rlen);
      *len = n;
      return 0;
    }
    if (nd->rlen == sizeof(nd->rbuf)) {
      return breakConn(nd, err, errsz, "reply longer than %d bytes", AG_NET_LINE_MAX - 1);
    }
    int w = waitFd(nd->fd, POLLIN, deadline);
    if (w != 0) {
      return breakConn(nd, err, errsz, "no reply within %d ms%s", nd->timeout_ms,
                       w == -ETIMEDOUT ? "" : " (poll failed)");
    }
    ssize_t n = recv(nd->fd, nd->rbuf + nd->rlen, sizeof(nd->rbuf) - nd->rlen, 0);
    if (n == 0) {
      return breakConn(nd, err, errsz, "server closed the connection");
    }
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
        continue;
      }
      return breakConn(nd, err, errsz, "recv: %s", strerror(errno));
    }
    nd->rlen += (size_t)n;
  }
}

/* One request and its validated reply in nd->rep. A {"ok":false} reply is an error
 * (the connection stays usable); anything malformed breaks the connection. */
static int call(netDriver *nd, const agNetRequest *req, char *err, size_t errsz) {
  if (nd->broken) {
    tb_setErr(err, errsz, "net %s: connection unusable after an earlier error: %s", nd->peer,
              nd->broken_why);
    return TB_EIO;
  }
  int n = ag_netEncodeRequest(req, nd->line, sizeof(nd->line));
  if (n < 0) {
    tb_setErr(err, errsz, "net %s: cannot encode %s request (non-finite or out-of-range value)",
              nd->peer, ag_netOpName(req->op));
    return TB_EINVAL;
  }
  double deadline = tb_nowMs() + nd->timeout_ms;
  if (sendAll(nd, nd->line, (size_t)n, deadline, err, errsz) != 0) {
    return TB_EIO;
  }
  size_t len = 0;
  if (recvLine(nd, &len, deadline, err, errsz) != 0) {
    return TB_EIO;
  }
  if (nd->rlen != 0) {
    return breakConn(nd, err, errsz, "unexpected data after the %s reply", ag_netOpName(req->op));
  }
  char derr[256];
  if (ag_netDecodeReply(req->op, nd->line, len, &nd->rep, derr, sizeof(derr)) != 0) {
    return breakConn(nd, err, errsz, "malformed reply: %s", derr);
  }
  if (!nd->rep.ok) {
    tb_setErr(err, errsz, "net %s: %s failed on the server: %s", nd->peer, ag_netOpName(req->op),
              nd->rep.error);
    return TB_EIO;
  }
  return 0;
}

/* Reads the driver configuration: host, port, timeout_ms, bye_on_close. */
static int parseConfig(const char *config, char *host, size_t hostsz, int *port, netDriver *nd,
                       char *err, size_t errsz) {
  cJSON *root = cJSON_ParseWithLength(config, strlen(config));
  if (root == NULL || !cJSON_IsObject(root)) {
    cJSON_Delete(root);
    tb_setErr(err, errsz, "net driver config: not a JSON object");
    return TB_EINVAL;
  }
  int rc = TB_EINVAL;
  snprintf(host, hostsz, "127.0.0.1");
  *port = 0;
  nd->timeout_ms = 5000;
  for (const cJSON *it = root->child; it != NULL; it = it->next) {
    const char *k = it->string != NULL ? it->string : "";
    if (strcmp(k, "host") == 0 && cJSON_IsString(it) && strlen(it->valuestring) < hostsz &&
        it->valuestring[0] != '\0') {
      snprintf(host, hostsz, "%s", it->valuestring);
    } else if (strcmp(k, "port") == 0 && cJSON_IsNumber(it) && it->valuedouble >= 1 &&
               it->valuedouble <= 65535 && it->valuedouble == floor(it->valuedouble)) {
      *port = (int)it->valuedouble;
    } else if (strcmp(k, "timeout_ms") == 0 && cJSON_IsNumber(it) && it->valuedouble >= 1 &&
               it->valuedouble <= 3600000 && it->valuedouble == floor(it->valuedouble)) {
      nd->timeout_ms = (int)it->valuedouble;
    } else if (strcmp(k, "bye_on_close") == 0 && cJSON_IsBool(it)) {
      nd->bye_on_close = cJSON_IsTrue(it);
    } else if (strcmp(k, "task") == 0 && cJSON_IsString(it) &&
               strlen(it->valuestring) < sizeof(nd->task)) {
      snprintf(nd->task, sizeof(nd->task), "%s", it->valuestring);
    } else {
      tb_setErr(err, errsz, "net driver config: bad or unknown key \"%s\"", k);
      goto done;
    }
  }
  if (*port == 0) {
    tb_setErr(err, errsz, "net driver config: missing \"port\" (1..65535)");
    goto done;
  }
  rc = 0;
done:
  cJSON_Delete(root);
  return rc;
}

/* Connects a non-blocking socket to host:port within timeout_ms. */
static int connectTo(netDriver *nd, const char *host, int port, char *err, size_t errsz) {
  char service[16];
  snprintf(service, sizeof(service), "%d", port);
  struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  struct addrinfo *res = NULL;
  int g = getaddrinfo(host, service, &hints, &res);
  if (g != 0) {
    tb_setErr(err, errsz, "net %s: cannot resolve: %s", nd->peer, gai_strerror(g));
    return TB_EIO;
  }
  double deadline = tb_nowMs() + nd->timeout_ms;
  int rc = TB_EIO;
  char why[128] = "no address";
  for (struct addrinfo *a = res; a != NULL; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) {
      snprintf(why, sizeof(why), "socket: %s", strerror(errno));
      continue;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int c = connect(fd, a->ai_addr, a->ai_addrlen);
    if (c != 0 && errno == EINPROGRESS) {
      int w = waitFd(fd, POLLOUT, deadline);
      int soerr = 0;
      socklen_t sl = sizeof(soerr);
      if (w != 0) {
        soerr = w == -ETIMEDOUT ? ETIMEDOUT : -w;
      } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) {
        soerr = errno;
      }
      c = soerr == 0 ? 0 : -1;
      errno = soerr;
    }
    if (c == 0) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      nd->fd = fd;
      rc = 0;
      break;
    }
    snprintf(why, sizeof(why), "connect: %s", strerror(errno));
    close(fd);
  }
  freeaddrinfo(res);
  if (rc != 0) {
    tb_setErr(err, errsz, "net %s: %s", nd->peer, why);
  }
  return rc;
}

static void netClose(void *handle);

static void *netOpen(const char *config, const agDriverHost *host, char *err, size_t errsz) {
  netDriver *nd = calloc(1, sizeof(*nd));
  if (nd == NULL) {
    tb_setErr(err, errsz, "net driver: out of memory");
    return NULL;
  }
  nd->fd = -1;
  char hostname[96];
  int port = 0;
  if (parseConfig(config, hostname, sizeof(hostname), &port, nd, err, errsz) != 0) {
    free(nd);
    return NULL;
  }
  snprintf(nd->peer, sizeof(nd->peer), "%s:%d", hostname, port);
  if (connectTo(nd, hostname, port, err, errsz) != 0) {
    free(nd);
    return NULL;
  }

  /* Hello: same protocol version, then the server's capabilities */
  agNetRequest req = {.op = AG_NET_HELLO, .version = AG_NET_PROTOCOL};
  if (call(nd, &req, err, errsz) != 0) {
    netClose(nd);
    return NULL;
  }
  if (nd->rep.version != AG_NET_PROTOCOL) {
    tb_setErr(err, errsz, "net %s: server speaks protocol %d, tracebot speaks %d", nd->peer,
              nd->rep.version, AG_NET_PROTOCOL);
    netClose(nd);
    return NULL;
  }
  nd->caps = nd->rep.caps;
  /* A simulator server names itself sim:TASK; it must run the task the client expects */
  if (nd->task[0] != '\0' && strncmp(nd->rep.name, "sim:", 4) == 0 &&
      strcmp(nd->rep.name + 4, nd->task) != 0) {
    tb_setErr(err, errsz, "net %s: the server simulates %s, not %s", nd->peer, nd->rep.name + 4,
              nd->task);
    netClose(nd);
    return NULL;
  }
  if (host != NULL && host->log != NULL) {
    char msg[256];
    snprintf(msg, sizeof(msg), "net: connected to %s (%s)", nd->peer, nd->rep.name);
    host->log(host->host, AG_DRIVER_LOG_INFO, msg);
  }
  return nd;
}

static int netDescribe(void *handle, agDriverCaps *caps, char *err, size_t errsz) {
  (void)err;
  (void)errsz;
  *caps = ((netDriver *)handle)->caps;
  return 0;
}

static int netReset(void *handle, uint64_t seed, char *err, size_t errsz) {
  agNetRequest req = {.op = AG_NET_RESET, .seed = seed};
  return call(handle, &req, err, errsz);
}

static int netObserve(void *handle, agDriverObs *obs, char *err, size_t errsz) {
  netDriver *nd = handle;
  agNetRequest req = {.op = AG_NET_OBSERVE};
  int rc = call(nd, &req, err, errsz);
  if (rc == 0) {
    *obs = nd->rep.obs;
  }
  return rc;
}

static int netCommand(void *handle, const double target[3], double gripper, char *err,
                      size_t errsz) {
  agNetRequest req = {
      .op = AG_NET_COMMAND, .target = {target[0], target[1], target[2]}, .gripper = gripper};
  return call(handle, &req, err, errsz);
}

static void netStop(void *handle) {
  agNetRequest req = {.op = AG_NET_STOP};
  char err[64];
  (void)call(handle, &req, err, sizeof(err));
}

static void netClose(void *handle) {
  netDriver *nd = handle;
  if (nd == NULL) {
    return;
  }
  if (nd->bye_on_close && !nd->broken) {
    agNetRequest req = {.op = AG_NET_BYE};
    char err[64];
    (void)call(nd, &req, err, sizeof(err));
  }
  if (nd->fd >= 0) {
    close(nd->fd);
  }
  free(nd);
}

static const agDriverApi kNetApi = {
    .abi_version = AG_DRIVER_ABI_VERSION,
    .struct_size = sizeof(agDriverApi),
    .name = "net",
    .caps = {{0, 0, 0}, {0, 0, 0}, 0.0, 0.0, 0.0, 0u},
    .open = netOpen,
    .describe = netDescribe,
    .reset = netReset,
    .observe = netObserve,
    .command = netCommand,
    .stop = netStop,
    .close = netClose,
};

const agDriverApi *ag_netDriverApi(void) {
  return &kNetApi;
}
