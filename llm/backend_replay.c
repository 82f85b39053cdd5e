/* The replay:FILE backend: the LLM responses logged in a run's iterations.jsonl, answered
 * in order. The file is read once when the client is made. Each line is one JSON object;
 * the response is its "response" string, or "llm": {"response": ...}; token counts come
 * from "prompt_tokens"/"completion_tokens" at the same level or in a "usage" object.
 * Lines without a response are skipped; an invalid last line (a run cut mid-write) is
 * ignored; an invalid line elsewhere is an error naming file and line.
 * FILE must be a regular file of at most MAX_FILE bytes (a FIFO, a directory, a device or a
 * larger file is refused when the client is made, without reading), and a line longer than
 * MAX_LINE fails as soon as that many bytes are read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "llm_internal.h"

#define MAX_LINE ((size_t)64 << 20)
#define MAX_FILE ((size_t)256 << 20) /* as large as a run's iterations.jsonl may be */

typedef struct replayEntry {
  char *text;
  long prompt_tokens; /* -1 when not recorded */
  long completion_tokens;
  int tokens_estimated; /* recorded as estimated */
} replayEntry;

typedef struct replayState {
  char *path;
  size_t maxResponse; /* the client's max_response_bytes */
  replayEntry *entries;
  size_t count;
  size_t next;
} replayState;

static void freeReplay(void *p) {
  replayState *st = p;
  if (!st) {
    return;
  }
  for (size_t i = 0; i < st->count; i++) {
    free(st->entries[i].text);
  }
  free(st->entries);
  free(st->path);
  free(st);
}

/* The count named a, or b when a is absent (b nullable); -1 when absent or not believable. */
static long countOf(const cJSON *obj, const char *a, const char *b) {
  return tr_llmUsageCount(obj, cJSON_GetObjectItemCaseSensitive(obj, a) || !b ? a : b);
}

/* Token counts of one record: its own fields, then its "usage" object. */
static void readTokens(const cJSON *rec, replayEntry *e) {
  const cJSON *usage = cJSON_GetObjectItemCaseSensitive(rec, "usage");
  long p = countOf(rec, "prompt_tokens", NULL);
  long c = countOf(rec, "completion_tokens", NULL);
  if (p < 0) {
    p = countOf(usage, "prompt_tokens", "input_tokens");
  }
  if (c < 0) {
    c = countOf(usage, "completion_tokens", "output_tokens");
  }
  if (e->prompt_tokens < 0) {
    e->prompt_tokens = p;
  }
  if (e->completion_tokens < 0) {
    e->completion_tokens = c;
  }
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "tokens_estimated"))) {
    e->tokens_estimated = 1;
  }
}

/* Parses one line into e (e->text NULL when the line has no response).
 * Returns 0, or -1 for invalid JSON, -2 for a response of the wrong type, -3 out of memory. */
static int parseLine(const char *line, size_t len, replayEntry *e) {
  memset(e, 0, sizeof(*e));
  e->prompt_tokens = -1;
  e->completion_tokens = -1;
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(line, len, &end, 0);
  if (!root || !cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return -1;
  }
  int rc = 0;
  const cJSON *rec = root;
  const cJSON *resp = cJSON_GetObjectItemCaseSensitive(root, "response");
  const cJSON *nested = cJSON_GetObjectItemCaseSensitive(root, "llm");
  if ((!resp || cJSON_IsNull(resp)) && cJSON_IsObject(nested)) {
    rec = nested;
    resp = cJSON_GetObjectItemCaseSensitive(nested, "response");
  }
  if (resp && !cJSON_IsNull(resp)) {
    if (!cJSON_IsString(resp) || !resp->valuestring) {
      rc = -2;
    } else if (!(e->text = strdup(resp->valuestring))) {
      rc = -3;
    } else {
      readTokens(rec, e);
      if (rec != root) {
        readTokens(root, e);
      }
    }
  }
  cJSON_Delete(root);
  return rc;
}

/* True when the line holds only white space. */
static int blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') {
      return 0;
    }
  }
  return 1;
}

int tr_llmReadLine(FILE *f, tbBuf *line, size_t max) {
  tb_bufClear(line);
  char chunk[4096];
  size_t n = 0; /* bytes in chunk, not yet in line */
  int c = EOF;
  /* A byte at a time into chunk, a chunk at a time into line, never past max bytes. */
  while (line->len + n < max && (c = getc(f)) != EOF) {
    chunk[n++] = (char)c;
    if (c == '\n') {
      break;
    }
    if (n == sizeof(chunk)) {
      tb_bufPutn(line, chunk, n);
      n = 0;
      if (line->failed) {
        break;
      }
    }
  }
  tb_bufPutn(line, chunk, n);
  if (line->failed || ferror(f)) {
    return -2;
  }
  if (c == '\n' || (c == EOF && line->len > 0)) {
    return 1;
  }
  if (c == EOF) {
    return 0;
  }
  /* max bytes and no '\n': fine only when the file ends right there */
  c = getc(f);
  if (c == EOF && !ferror(f)) {
    return 1;
  }
  return -1;
}

static int loadFile(replayState *st, char *err, size_t errsz) {
  char ferr[256];
  FILE *f = tb_fopenInput(st->path, MAX_FILE, ferr, sizeof(ferr));
  if (!f) {
    tr_llmSetErr(err, errsz, NULL, "replay: %s", ferr);
    return TB_EINVAL;
  }
  tbBuf line;
  tb_bufInit(&line, MAX_LINE);
  size_t cap = 0;
  size_t lineno = 0;
  int rc = TB_OK;
  int got;
  while ((got = tr_llmReadLine(f, &line, MAX_LINE)) == 1) {
    lineno++;
    size_t len = line.len;
    int last = line.data[len - 1] != '\n';
    if (blank(line.data, len)) {
      continue;
    }
    replayEntry e;
    int pr = parseLine(line.data, len, &e);
    if (pr == -1) {
      /* Invalid JSON: fine only on the last line (a partial write). */
      int c = fgetc(f);
      if (last || c == EOF) {
        break;
      }
      ungetc(c, f);
      tr_llmSetErr(err, errsz, NULL, "replay: %s line %zu is not a JSON object", st->path, lineno);
      rc = TB_EINVAL;
      break;
    }
    if (pr == -2) {
      tr_llmSetErr(err, errsz, NULL, "replay: %s line %zu: \"response\" is not a string", st->path,
                   lineno);
      rc = TB_EINVAL;
      break;
    }
    if (pr == -3) {
      tr_llmSetErr(err, errsz, NULL, "replay: out of memory reading %s", st->path);
      rc = TB_EINVAL;
      break;
    }
    if (!e.text) {
      continue; /* an iteration without an LLM call */
    }
    /* an answer the client would refuse is refused now, before a run is made */
    if (strlen(e.text) > st->maxResponse) {
      free(e.text);
      tr_llmSetErr(err, errsz, NULL, "replay: %s line %zu: the response is larger than %zu bytes",
                   st->path, lineno, st->maxResponse);
      rc = TB_EINVAL;
      break;
    }
    if (st->count == cap) {
      size_t ncap = cap ? cap * 2 : 16;
      replayEntry *grown = realloc(st->entries, ncap * sizeof(*grown));
      if (!grown) {
        free(e.text);
        tr_llmSetErr(err, errsz, NULL, "replay: out of memory reading %s", st->path);
        rc = TB_EINVAL;
        break;
      }
      st->entries = grown;
      cap = ncap;
    }
    st->entries[st->count++] = e;
  }
  if (rc == TB_OK && got == -1) {
    tr_llmSetErr(err, errsz, NULL, "replay: %s line %zu is longer than %zu bytes", st->path,
                 lineno + 1, MAX_LINE);
    rc = TB_EINVAL;
  } else if (rc == TB_OK && got == -2) {
    tr_llmSetErr(err, errsz, NULL, "replay: cannot read %s (or out of memory)", st->path);
    rc = TB_EINVAL;
  }
  tb_bufClose(&line);
  fclose(f);
  return rc;
}

static int completeReplay(trLlm *llm, const trLlmRequest *req, trLlmReply *reply, char *err,
                          size_t errsz) {
  replayState *st = llm->state;
  reply->attempts = 1;
  if (st->next >= st->count) {
    tr_llmSetErr(err, errsz, NULL, "replay: %s has no more responses (all %zu used)", st->path,
                 st->count);
    return TB_EEXHAUSTED;
  }
  const replayEntry *e = &st->entries[st->next];
  reply->text = strdup(e->text);
  if (!reply->text) {
    tr_llmSetErr(err, errsz, NULL, "replay: out of memory");
    return TB_EINVAL;
  }
  st->next++;

  /* Recorded counts when present, else estimates (marked). */
  tr_llmFillTokens(reply, e->prompt_tokens, e->completion_tokens, tr_llmPromptChars(req));
  reply->tokens_estimated |= e->tokens_estimated;
  return TB_OK;
}

/* Moves past the next n recorded answers (a resumed run has used them already). */
static int skipReplay(trLlm *llm, size_t n, char *err, size_t errsz) {
  replayState *st = llm->state;
  if (n > st->count - st->next) {
    tr_llmSetErr(err, errsz, NULL, "replay: %s has %zu responses, cannot skip %zu", st->path,
                 st->count - st->next, n);
    return TB_EEXHAUSTED;
  }
  st->next += n;
  return TB_OK;
}

static long remainingReplay(const trLlm *llm) {
  const replayState *st = llm->state;
  return (long)(st->count - st->next);
}

static const trLlmOps replayOps = {completeReplay, freeReplay, skipReplay, remainingReplay};

trLlmMakeFn tr_llmMakeReplay;
int tr_llmMakeReplay(trLlm *llm, const char *path, char *err, size_t errsz) {
  replayState *st = calloc(1, sizeof(*st));
  if (!st || !(st->path = strdup(path))) {
    free(st);
    tr_llmSetErr(err, errsz, NULL, "out of memory making llm client");
    return TB_EINVAL;
  }
  llm->ops = &replayOps;
  llm->state = st;
  st->maxResponse = llm->opts.max_response_bytes;
  return loadFile(st, err, errsz);
}
