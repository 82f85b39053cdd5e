/* The libcurl HTTP transport of the LLM clients: one easy handle per client, a size-capped
 * body buffer, Retry-After from the headers. Requires curl_global_init done by main. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "llm_internal.h"

typedef struct curlSelf {
  CURL *easy;
  char errbuf[CURL_ERROR_SIZE];
} curlSelf;

/* The response being received; too_big set when the body would exceed its max. */
typedef struct sink {
  tbBuf body;
  int too_big;
  int out_of_memory;
  double retry_after_s;
} sink;

static void *curlMake(void) {
  curlSelf *self = calloc(1, sizeof(*self));
  if (!self) {
    return NULL;
  }
  self->easy = curl_easy_init();
  if (!self->easy) {
    free(self);
    return NULL;
  }
  return self;
}

static void curlFree(void *p) {
  curlSelf *self = p;
  if (!self) {
    return;
  }
  curl_easy_cleanup(self->easy);
  free(self);
}

/* Appends a chunk, refusing to grow past max. */
static size_t onBody(char *ptr, size_t size, size_t nmemb, void *userdata) {
  sink *s = userdata;
  size_t n = size * nmemb;
  if (n > s->body.max - s->body.len) {
    s->too_big = 1;
    return 0;
  }
  tb_bufPutn(&s->body, ptr, n);
  if (s->body.failed) {
    s->out_of_memory = 1;
    return 0;
  }
  return n;
}

/* Reads "Retry-After: <seconds>" (the HTTP-date form is ignored). */
static size_t onHeader(char *buffer, size_t size, size_t nitems, void *userdata) {
  sink *s = userdata;
  size_t n = size * nitems;
  static const char name[] = "retry-after:";
  size_t nl = sizeof(name) - 1;
  if (n > nl && n < 128) {
    int match = 1;
    for (size_t i = 0; i < nl; i++) {
      if (tolower((unsigned char)buffer[i]) != name[i]) {
        match = 0;
        break;
      }
    }
    if (match) {
      char value[128];
      memcpy(value, buffer + nl, n - nl);
      value[n - nl] = '\0';
      char *p = value;
      while (*p == ' ' || *p == '\t') {
        p++;
      }
      char *end = NULL;
      errno = 0;
      double v = strtod(p, &end);
      while (end && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')) {
        end++;
      }
      if (end != p && end && *end == '\0' && errno == 0 && v >= 0 && v < 1e7) {
        s->retry_after_s = v;
      }
    }
  }
  return n;
}

static int curlPost(void *p, const char *url, const char *const *headers, const char *body,
                    size_t len, double timeout_s, size_t max_bytes, trLlmHttpResult *res, char *err,
                    size_t errsz) {
  curlSelf *self = p;
  CURL *h = self->easy;
  memset(res, 0, sizeof(*res));
  res->retry_after_s = -1;

  /* Header list: copies the strings; wiped and freed below. */
  struct curl_slist *list = NULL;
  for (size_t i = 0; headers && headers[i]; i++) {
    struct curl_slist *next = curl_slist_append(list, headers[i]);
    if (!next) {
      curl_slist_free_all(list);
      tr_llmSetErr(err, errsz, NULL, "out of memory building request headers");
      return TR_LLM_TX_FAIL;
    }
    list = next;
  }

  sink s = {0};
  tb_bufInit(&s.body, max_bytes);
  s.retry_after_s = -1;
  long timeout_ms = (long)(timeout_s * 1000.0);
  if (timeout_ms < 1) {
    timeout_ms = 1;
  }
  self->errbuf[0] = '\0';

  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, self->errbuf);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 30000 ? timeout_ms : 30000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_bytes);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "tracebot");

  CURLcode rc = curl_easy_perform(h);

  /* The handle keeps a pointer to the list until the next reset: drop it now. */
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
  for (struct curl_slist *it = list; it; it = it->next) {
    tr_llmWipe(it->data, strlen(it->data));
  }
  curl_slist_free_all(list);

  const char *why = self->errbuf[0] ? self->errbuf : curl_easy_strerror(rc);
  int cls = TR_LLM_TX_OK;
  switch (rc) {
    case CURLE_OK:
      break;
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
      if (s.out_of_memory) {
        tr_llmSetErr(err, errsz, NULL, "out of memory receiving the response");
        cls = TR_LLM_TX_FAIL;
      } else {
        tr_llmSetErr(err, errsz, NULL, "response body larger than %zu bytes", max_bytes);
        cls = TR_LLM_TX_TOOBIG;
      }
      break;
    case CURLE_OPERATION_TIMEDOUT:
      tr_llmSetErr(err, errsz, NULL, "timeout (%.3g s)", timeout_s);
      cls = TR_LLM_TX_TIMEOUT;
      break;
    case CURLE_PARTIAL_FILE:
      tr_llmSetErr(err, errsz, NULL, "truncated body (%s)", why);
      cls = TR_LLM_TX_TRUNCATED;
      break;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      tr_llmSetErr(err, errsz, NULL, "connection failed (%s)", why);
      cls = TR_LLM_TX_CONNECT;
      break;
    default:
      tr_llmSetErr(err, errsz, NULL, "request failed (%s)", why);
      cls = TR_LLM_TX_FAIL;
      break;
  }
  if (cls != TR_LLM_TX_OK) {
    tb_bufClose(&s.body);
    return cls;
  }

  /* A complete response: hand over the body (an empty one becomes ""). */
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
  res->len = s.body.len;
  res->body = tb_bufTake(&s.body);
  if (!res->body) {
    tr_llmSetErr(err, errsz, NULL, "out of memory receiving the response");
    return TR_LLM_TX_FAIL;
  }
  res->retry_after_s = s.retry_after_s;
  return TR_LLM_TX_OK;
}

const trLlmTransport tr_llmCurlTransport = {curlMake, curlPost, curlFree};
