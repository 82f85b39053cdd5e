/* Private parts of the LLM clients (trace/llm*.c): the backend vtable, the HTTP transport
 * vtable, the pure request builders and response decoders, and shared helpers.
 * Not installed; tests include it to call the pure functions directly.
 */
#ifndef TRACEBOT_TRACE_LLM_INTERNAL_H
#define TRACEBOT_TRACE_LLM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tracebot/llm.h"

/* ---- backends --------------------------------------------------------------------------- */

/* One backend: complete one request, free its state. */
typedef struct trLlmBackend {
  const char *name;
  int (*complete)(trLlm *llm, const trLlmRequest *req, trLlmReply *reply, char *err, size_t errsz);
  void (*freeState)(void *state);
  int (*skip)(trLlm *llm, size_t n, char *err, size_t errsz); /* NULL: live backend */
  long (*remaining)(const trLlm *llm);                        /* NULL: live backend */
} trLlmBackend;

struct trLlm {
  char *spec; /* as given; never holds a key */
  trLlmOptions opts;
  const trLlmBackend *backend;
  void *state;      /* owned by the backend */
  char *secrets[2]; /* copies of OPENAI_API_KEY / ANTHROPIC_API_KEY (when set),
                       scrubbed from every error message; wiped on free */
};

/* Backend constructors: fill llm->backend and llm->state from the part after "name:". */
int tr_llmInitOpenai(trLlm *llm, const char *model, char *err, size_t errsz);
int tr_llmInitAnthropic(trLlm *llm, const char *model, char *err, size_t errsz);
int tr_llmInitExec(trLlm *llm, const char *command, char *err, size_t errsz);
int tr_llmInitReplay(trLlm *llm, const char *path, char *err, size_t errsz);

/* ---- HTTP transport (curl in llm_curl.c) -------------------------------------------------- */

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

/* The libcurl transport: one easy handle per client, CURLOPT_NOSIGNAL, size cap. */
extern const trLlmTransport tr_llmCurlTransport;

/* ---- pure request builders and decoders (llm_codec.c) ------------------------------------ */

/* Builds the OpenAI-style chat request JSON (also what exec: commands receive):
 * model, messages [system?, user], max_tokens, response_format when with_format.
 * Ownership: caller frees the result with free(). Errors: NULL on out of memory. */
char *tr_llmBuildOpenaiRequest(const char *model, const trLlmRequest *req, int with_format);

/* Builds the Anthropic Messages request JSON: model, max_tokens, system, messages [user].
 * Ownership: caller frees with free(). Errors: NULL on out of memory. */
char *tr_llmBuildAnthropicRequest(const char *model, const trLlmRequest *req);

/* Decodes a chat-completions body: text = choices[0].message.content, tokens from usage
 * (estimated from prompt_chars and the text when absent). Pure: no I/O.
 * Ownership: on success reply->text is heap memory. Errors: TB_EPROTOCOL + message. */
int tr_llmDecodeOpenai(const char *body, size_t len, size_t prompt_chars, trLlmReply *reply,
                       char *err, size_t errsz);

/* Decodes a Messages API body: text = concatenation of content[].text, tokens from
 * usage.input_tokens / usage.output_tokens (estimated when absent). Pure: no I/O.
 * Ownership and errors as tr_llmDecodeOpenai. */
int tr_llmDecodeAnthropic(const char *body, size_t len, size_t prompt_chars, trLlmReply *reply,
                          char *err, size_t errsz);

/* Copies the server's error text of an error body ({"error":{"message":...}} in both APIs,
 * else the first bytes) into out as one printable line of at most outsz-1 bytes. */
void tr_llmErrorText(const char *body, size_t len, char *out, size_t outsz);

/* Writes at most n bytes of s into out as one printable ASCII line ('?' for others). */
void tr_llmPrintable(const char *s, size_t n, char *out, size_t outsz);

/* Token estimate for a text of n characters: ceil(n / 4). */
long tr_llmEstimateTokens(size_t n);

/* ---- shared helpers (llm.c) ------------------------------------------------------------- */

/* snprintf into err (nullable) and replace every occurrence of secret (nullable) with
 * "[redacted]", so no message can carry a key even if a server echoes it. */
void tr_llmSetErr(char *err, size_t errsz, const char *secret, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Replaces every occurrence of secret in the NUL-terminated buffer s (capacity cap). */
void tr_llmScrub(char *s, size_t cap, const char *secret);

/* Monotonic clock in seconds. */
double tr_llmNow(void);

/* Sleeps for s seconds, resuming after signals (only time ends it). */
void tr_llmSleep(double s);

/* Fills *state from the seed (0: from the clock) and returns uniform numbers in [0, 1). */
void tr_llmSeedRng(uint64_t *state, unsigned long long seed);
double tr_llmUniform(uint64_t *state);

/* Overwrites n bytes of p in a way the compiler keeps (for key copies). */
void tr_llmWipe(void *p, size_t n);

#endif /* TRACEBOT_TRACE_LLM_INTERNAL_H */
