/* Private parts of the LLM clients (llm/): the backend table, the per-client operations,
 * the HTTP chat-API descriptor and transport, the pure request builders and response
 * decoders, and the module's small helpers.
 * Not installed; tests and the fuzz target include it to call the pure functions directly.
 *
 * Files, each using only the ones listed after it:
 *   llm.c         the public API: spec parsing, option checks, dispatch, key scrubbing
 *   backends.c    the backend table (one line per backend), tr_llmBackendList
 *   backend_*.c   one backend each: its constructor and what only it needs
 *   http.c        the HTTP chat backends' client: environment, headers, retries
 *   curl.c        the HTTP transport (libcurl)
 *   codec.c       JSON helpers shared by the chat APIs (no I/O)
 *   util.c        messages, key scrubbing, sleep, jitter RNG, token estimates
 */
#ifndef TRACEBOT_LLM_INTERNAL_H
#define TRACEBOT_LLM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "tracebot/llm.h"

/* ---- the backend table (backends.c) ------------------------------------------------------ */

/* A backend's constructor: fills llm->ops and llm->state from arg (the part of the spec after
 * "prefix:", never empty). llm->backend (its table row) and llm->opts are set already.
 * On error it may leave llm->ops and llm->state set: tr_makeLlm frees them. */
typedef int trLlmMakeFn(trLlm *llm, const char *arg, char *err, size_t errsz);

/* One row of the backend table. */
typedef struct trLlmBackend {
  const char *prefix;  /* before the colon: "openai" */
  const char *usage;   /* the spec form for help texts: "openai:MODEL" */
  const char *key_var; /* the variable holding its API key, or NULL; every client scrubs the
                          keys of all rows from its messages */
  const char *url_var; /* the variable holding its base URL, or NULL */
  trLlmMakeFn *make;
} trLlmBackend;

/* The rows, in the order help texts list them. */
size_t tr_llmBackendCount(void);
const trLlmBackend *tr_llmBackendAt(size_t i);

/* The row whose prefix is the n bytes at prefix, or NULL. */
const trLlmBackend *tr_llmFindBackend(const char *prefix, size_t n);

/* ---- one client ---------------------------------------------------------------------------- */

/* What a client does; filled by its backend's constructor. */
typedef struct trLlmOps {
  int (*complete)(trLlm *llm, const trLlmRequest *req, trLlmReply *reply, char *err, size_t errsz);
  void (*freeState)(void *state);
  int (*skip)(trLlm *llm, size_t n, char *err, size_t errsz); /* NULL: live backend */
  long (*remaining)(const trLlm *llm);                        /* NULL: live backend */
} trLlmOps;

struct trLlm {
  char *spec; /* as given; never holds a key */
  trLlmOptions opts;
  const trLlmBackend *backend; /* its table row */
  const trLlmOps *ops;
  void *state;     /* owned by the backend */
  char **secrets;  /* copies of the key variables' values (when set), one slot per table
                      row, scrubbed from every error message; wiped on free */
  size_t nsecrets; /* tr_llmBackendCount() */
};

/* ---- HTTP chat backends (http.c) ----------------------------------------------------------- */

/* What differs between two chat APIs. The environment variables come from the table row
 * (key_var, url_var); everything else (retries, status mapping, key handling) is shared. */
typedef struct trLlmChatApi {
  const char *default_base; /* used when url_var is unset or empty */
  const char *path;         /* appended to the base URL: "/chat/completions" */
  const char *key_header;   /* the key's header up to the key: "Authorization: Bearer " */
  const char *extra_header; /* one more constant header line, or NULL */
  int json_format;          /* takes response_format: json_mode sends it (with the fallback) */
  /* The request body; with_format only when json_format. NULL on out of memory. */
  char *(*build)(const char *model, const trLlmRequest *req, int with_format);
  /* A 2xx body into a reply (pure; as tr_llmDecodeOpenai). */
  int (*decode)(const char *body, size_t len, size_t prompt_chars, trLlmReply *reply, char *err,
                size_t errsz);
} trLlmChatApi;

/* The constructor of an HTTP chat backend: base URL and key from the row's variables, a
 * transport handle, the retry loop of llm/README.md. Ownership: api must outlive the client
 * (a static). Errors: TB_EINVAL with a message naming the variable. */
int tr_llmMakeHttp(trLlm *llm, const trLlmChatApi *api, const char *model, char *err, size_t errsz);

/* Outcome classes of one HTTP exchange. */
enum {
  TR_LLM_TX_OK = 0,        /* a complete response with some status arrived */
  TR_LLM_TX_TIMEOUT = 1,   /* the per-request timeout expired */
  TR_LLM_TX_CONNECT = 2,   /* could not connect / send / receive; nothing usable came back */
  TR_LLM_TX_TRUNCATED = 3, /* the connection closed before the announced body was complete */
  TR_LLM_TX_TOOBIG = 4,    /* the body exceeded max_bytes */
  TR_LLM_TX_FAIL = 5       /* anything else (bad URL, TLS verification, out of memory) */
};

/* One HTTP response. Ownership: body is heap memory (NUL-terminated), freed by the caller. */
typedef struct trLlmHttpResult {
  long status;
  char *body;
  size_t len;
  double retry_after_s; /* Retry-After in seconds, < 0 when absent or not in seconds form */
} trLlmHttpResult;

/* The transport vtable: POST a JSON body to url with extra header lines (NULL-terminated
 * array of "Name: value"). Returns a TR_LLM_TX_* class; on anything but TR_LLM_TX_OK err
 * holds a one-line description (never a header value). */
typedef struct trLlmTransport {
  void *(*make)(void);
  int (*post)(void *self, const char *url, const char *const *headers, const char *body, size_t len,
              double timeout_s, size_t max_bytes, trLlmHttpResult *res, char *err, size_t errsz);
  void (*free)(void *self);
} trLlmTransport;

/* The libcurl transport (curl.c): one easy handle per client, CURLOPT_NOSIGNAL, size cap. */
extern const trLlmTransport tr_llmCurlTransport;

/* ---- request builders and response decoders ----------------------------------------------- */

/* codec.c: builds the OpenAI-style chat request JSON (also what exec: commands receive):
 * model, messages [system?, user], max_tokens, response_format when with_format.
 * Ownership: caller frees the result with free(). Errors: NULL on out of memory. */
char *tr_llmBuildOpenaiRequest(const char *model, const trLlmRequest *req, int with_format);

/* backend_anthropic.c: builds the Anthropic Messages request JSON: model, max_tokens,
 * system, messages [user]. Ownership: caller frees with free(). Errors: NULL on out of
 * memory. */
char *tr_llmBuildAnthropicRequest(const char *model, const trLlmRequest *req);

/* backend_openai.c: decodes a chat-completions body: text = choices[0].message.content,
 * tokens from usage (estimated from prompt_chars and the text when absent). Pure: no I/O.
 * Ownership: on success reply->text is heap memory. Errors: TB_EPROTOCOL + message. */
int tr_llmDecodeOpenai(const char *body, size_t len, size_t prompt_chars, trLlmReply *reply,
                       char *err, size_t errsz);

/* backend_anthropic.c: decodes a Messages API body: text = concatenation of content[].text,
 * tokens from usage.input_tokens / usage.output_tokens (estimated when absent). Pure: no I/O.
 * Ownership and errors as tr_llmDecodeOpenai. */
int tr_llmDecodeAnthropic(const char *body, size_t len, size_t prompt_chars, trLlmReply *reply,
                          char *err, size_t errsz);

/* codec.c: the pieces a chat API's builder and decoder are made of. */
struct cJSON;

/* Appends {"role": role, "content": content} to a messages array. Returns 0 or -1 (out of
 * memory). */
int tr_llmAddMessage(struct cJSON *messages, const char *role, const char *content);

/* req->max_tokens, or 4096 when <= 0. */
int tr_llmMaxTokens(const trLlmRequest *req);

/* Parses a response body as one JSON document (bounded by len). Errors: NULL and a message
 * naming the first bytes ("response body is not JSON or is truncated ..."). */
struct cJSON *tr_llmParseBody(const char *body, size_t len, char *err, size_t errsz);

/* A usage count of obj: a finite, non-negative number not absurdly large; else -1. */
long tr_llmUsageCount(const struct cJSON *obj, const char *name);

/* Fills reply's token fields from the counts (< 0: absent), estimating the missing ones
 * from prompt_chars and reply->text. */
void tr_llmFillTokens(trLlmReply *reply, long prompt, long completion, size_t prompt_chars);

/* Copies the server's error text of an error body ({"error":{"message":...}} in both APIs,
 * else the first bytes) into out as one printable line of at most outsz-1 bytes. */
void tr_llmErrorText(const char *body, size_t len, char *out, size_t outsz);

/* ---- replay: files (backend_replay.c) ------------------------------------------------------ */

/* Reads one line (through its '\n', or to the end of the file) into line, replacing what it
 * held. Returns 1 for a line, 0 at the end of the file, -1 when the line reaches max bytes
 * without ending (it stops reading there: a line with no end cannot hold it up), -2 on a
 * read error or out of memory. */
int tr_llmReadLine(FILE *f, tbBuf *line, size_t max);

/* ---- helpers (util.c) ---------------------------------------------------------------------- */

/* snprintf into err (nullable) as one line (control characters become spaces) and replace
 * every occurrence of secret (nullable) with "[redacted]", so no message can carry a key
 * even if a server echoes it. */
void tr_llmSetErr(char *err, size_t errsz, const char *secret, const char *fmt, ...)
    TB_PRINTF(4, 5);

/* Replaces every occurrence of secret in the NUL-terminated buffer s (capacity cap). */
void tr_llmScrub(char *s, size_t cap, const char *secret);

/* Writes at most n bytes of s into out as one printable ASCII line ('?' for others). */
void tr_llmPrintable(const char *s, size_t n, char *out, size_t outsz);

/* Token estimate for a text of n characters: ceil(n / 4). */
long tr_llmEstimateTokens(size_t n);

/* The characters of a request's messages (for token estimates). */
size_t tr_llmPromptChars(const trLlmRequest *req);

/* Sleeps for s seconds, resuming after signals (only time ends it). */
void tr_llmSleep(double s);

/* Fills *state from the seed (0: from the clock) and returns uniform numbers in [0, 1). */
void tr_llmSeedRng(uint64_t *state, unsigned long long seed);
double tr_llmUniform(uint64_t *state);

/* Overwrites n bytes of p in a way the compiler keeps (for key copies). */
void tr_llmWipe(void *p, size_t n);

#endif /* TRACEBOT_LLM_INTERNAL_H */
