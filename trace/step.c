/* One optimizer step with an LLM client. Kept apart from optimizer.c so that programs that
 * only render and apply do not link the LLM clients. */
#include <stdio.h>
#include <string.h>

#include "trace_internal.h"

int tr_optimizerStep(trOptimizer *opt, const trGraph *g, trLlm *llm, trStepLog *log, char *err,
                     size_t errsz) {
  trStepLog local;
  trStepLog *lg = log ? log : &local;
  if (!llm) {
    memset(lg, 0, sizeof *lg);
    tb_setErr(err, errsz, "tr_optimizerStep: NULL LLM client");
    snprintf(lg->reason, sizeof lg->reason, "NULL LLM client");
    return TB_EINVAL;
  }
  trSelection sel;
  int rc = tr_stepBegin(opt, g, &sel, lg, err, errsz);
  if (rc != 0) {
    if (!log) {
      tr_stepLogClose(&local);
    }
    return rc;
  }
  /* one chat completion */
  trLlmRequest req;
  memset(&req, 0, sizeof req);
  req.system = lg->system;
  req.user = lg->user;
  req.max_tokens = opt->opts.max_tokens;
  req.json_mode = opt->opts.json_mode;
  trLlmReply reply;
  memset(&reply, 0, sizeof reply);
  char lerr[256] = "";
  int lrc = tr_llmComplete(llm, &req, &reply, lerr, sizeof lerr);
  lg->prompt_tokens = reply.prompt_tokens;
  lg->completion_tokens = reply.completion_tokens;
  lg->tokens_estimated = reply.tokens_estimated;
  lg->latency_s = reply.latency_s;
  lg->attempts = reply.attempts;
  if (lrc != 0 || !reply.text) {
    tr_stepLogReason(lg, TR_OUTCOME_UNUSABLE, "LLM call failed: %s",
                     lerr[0] ? lerr : "no reply text");
    tb_setErr(err, errsz, "LLM call failed: %s", lerr[0] ? lerr : "no reply text");
    rc = TB_ELLM;
  } else {
    tr_stepFinish(opt, g, &sel, reply.text, strlen(reply.text), lg);
  }
  tr_llmReplyClose(&reply);
  tr_selectionClose(&sel);
  if (!log) {
    tr_stepLogClose(&local);
  }
  return rc;
}
