/* The backend table: one line per backend. Spec parsing, help texts, error messages and key
 * scrubbing all read it, so adding a backend is its file (llm/backend_NAME.c, defining
 * tr_llmMakeNAME) plus its line here (llm/README.md, "Adding a backend"). */
#include <string.h>

#include "llm_internal.h"

/* X(Name, prefix, argument, key variable, base URL variable): the spec is "prefix:argument",
 * the constructor tr_llmMake##Name. Help texts list the rows in this order. */
#define TR_LLM_BACKENDS(X)                                                      \
  X(Openai, "openai", "MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL")             \
  X(Anthropic, "anthropic", "MODEL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL") \
  X(Exec, "exec", "COMMAND", NULL, NULL)                                        \
  X(Replay, "replay", "FILE", NULL, NULL)

/* The constructors, each defined in its backend's file. */
#define DECLARE(Name, prefix, arg, key_var, url_var) trLlmMakeFn tr_llmMake##Name;
TR_LLM_BACKENDS(DECLARE)
#undef DECLARE

#define ROW(Name, prefix, arg, key_var, url_var) \
  {prefix, prefix ":" arg, key_var, url_var, tr_llmMake##Name},
static const trLlmBackend backends[] = {TR_LLM_BACKENDS(ROW)};
#undef ROW

/* ", openai:MODEL, anthropic:MODEL, ...": returned from after its first separator. */
#define ITEM(Name, prefix, arg, key_var, url_var) ", " prefix ":" arg
static const char backendList[] = TR_LLM_BACKENDS(ITEM);
#undef ITEM

size_t tr_llmBackendCount(void) {
  return sizeof backends / sizeof backends[0];
}

const trLlmBackend *tr_llmBackendAt(size_t i) {
  return i < tr_llmBackendCount() ? &backends[i] : NULL;
}

const trLlmBackend *tr_llmFindBackend(const char *prefix, size_t n) {
  for (size_t i = 0; prefix && i < tr_llmBackendCount(); i++) {
    if (strlen(backends[i].prefix) == n && strncmp(prefix, backends[i].prefix, n) == 0) {
      return &backends[i];
    }
  }
  return NULL;
}

const char *tr_llmBackendList(void) {
  return backendList + 2;
}
