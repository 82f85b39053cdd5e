/* LLM clients: one interface over several backends (the llm module).
 *
 * A trLlm is made from a backend spec "PREFIX:ARG", for example
 *   openai:MODEL     chat completions (OPENAI_BASE_URL, OPENAI_API_KEY)
 *   exec:COMMAND     /bin/sh -c COMMAND; request JSON on stdin, reply text on stdout
 *   replay:FILE      the logged responses of a run's iterations.jsonl, in order
 * tr_llmBackendList() names every backend (they are rows of one table).
 * API keys are read from the environment when the client is made and are never
 * written to any file, log line or error message (they are scrubbed from every message,
 * even when a server or an exec: command echoes them).
 *
 * Process setup: the HTTP backends need curl_global_init(CURL_GLOBAL_DEFAULT) to have been
 * called once by main before tr_makeLlm (libraries do no process-wide setup).
 * Threads: a client is used by one thread at a time; separate clients are independent.
 * Details (retry policy, json_mode fallback, keys, exec and replay rules, adding a backend):
 * llm/README.md.
 */
#ifndef TRACEBOT_LLM_H
#define TRACEBOT_LLM_H

#include <stddef.h>

#include "tracebot/error.h"

typedef struct trLlm trLlm;

/* Client options; tr_defaultLlmOptions fills sane defaults. */
typedef struct trLlmOptions {
  int max_attempts;          /* total tries per request, >= 1 (default 5) */
  double timeout_s;          /* per-request timeout in seconds (default 120) */
  double backoff_base_s;     /* first retry delay, doubled each retry, with jitter (default 1) */
  double backoff_max_s;      /* cap on one retry delay (default 30) */
  size_t max_response_bytes; /* larger bodies are an error (default 4 MiB) */
  unsigned long long seed;   /* jitter RNG seed (default 0: from the clock) */
} trLlmOptions;

/* One chat request: a system and a user message. */
typedef struct trLlmRequest {
  const char *system;
  const char *user;
  int max_tokens; /* default 4096 when <= 0 */
  int json_mode;  /* ask for a JSON-object response format where supported */
} trLlmRequest;

/* One reply. Ownership: text is heap memory released by tr_llmReplyClose. */
typedef struct trLlmReply {
  char *text; /* the assistant's reply text, NUL-terminated */
  long prompt_tokens;
  long completion_tokens;
  int tokens_estimated; /* 1 when the server gave no usage and we estimated */
  double latency_s;     /* wall time of the whole call, retries included */
  int attempts;         /* requests sent */
} trLlmReply;

/* Errors (tracebot/error.h) returned here:
 *   TB_EINVAL: bad spec or options
 *   TB_EAUTH: 401/403: not retried
 *   TB_EREQUEST: 400/404 or another non-retryable answer
 *   TB_ETRANSIENT: retries exhausted on 429/5xx/timeouts/connection errors
 *   TB_EPROTOCOL: the body was not what the API promises (truncated, not JSON, too large)
 *   TB_EEXEC: exec: command failed (exit status and stderr in the message)
 *   TB_EEXHAUSTED: replay: no more recorded responses */

/* The backend specs as one line for help texts and messages, from the backend table in its
 * order: "openai:MODEL, anthropic:MODEL, exec:COMMAND, replay:FILE". Ownership: static. */
const char *tr_llmBackendList(void);

/* Fills opts with the defaults. */
void tr_defaultLlmOptions(trLlmOptions *opts);

/* Makes a client for spec (see above). opts may be NULL for the defaults.
 * Ownership: caller frees with tr_freeLlm. Errors: NULL, a one-line message in err. */
trLlm *tr_makeLlm(const char *spec, const trLlmOptions *opts, char *err, size_t errsz);

/* Frees a client. Nullable. */
void tr_freeLlm(trLlm *llm);

/* Skips the next n answers of a recorded backend (replay:), so that a resumed run
 * continues where its LLM left off; does nothing for live backends.
 * Errors: TB_EEXHAUSTED when fewer than n answers remain, TB_EINVAL. */
int tr_llmSkip(trLlm *llm, size_t n, char *err, size_t errsz);

/* The answers a recorded backend (replay:) has left, or -1 for a live backend. */
long tr_llmRemaining(const trLlm *llm);

/* Replaces in s (a NUL-terminated string in a buffer of cap bytes) every occurrence of
 * the current value of every backend's key variable (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...),
 * e.g. in a command line that is about to be saved. */
void tr_llmRedactKeys(char *s, size_t cap);

/* The spec the client was made from, for logs (never contains a key). */
const char *tr_llmSpec(const trLlm *llm);

/* Sends one request, retrying as configured. On success fills reply (text owned by
 * the reply, valid UTF-8: each byte of the answer that is not part of a UTF-8 character
 * is U+FFFD). Errors: a negative TB_E* code and a one-line message in err
 * (e.g. "401 from URL: check OPENAI_API_KEY"); reply->text is NULL and the token counts
 * are 0, but attempts and latency_s are still set (for logs). */
int tr_llmComplete(trLlm *llm, const trLlmRequest *req, trLlmReply *reply, char *err, size_t errsz);

/* Releases a reply's text. Nullable; safe on an empty reply. */
void tr_llmReplyClose(trLlmReply *reply);

#endif /* TRACEBOT_LLM_H */
