/* libFuzzer target for the response parser: tr_parseResponse on the raw bytes, then the
 * whole apply path (key resolution, type conversion, code cleaning) on a fresh optimizer
 * with one parameter of each kind. Must never crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tracebot/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  trResponse r;
  if (tr_parseResponse(text, size, &r) == 0) {
    /* the result is consistent: items only for a suggestion, each with key and text */
    if ((r.status == TR_RESPONSE_SUGGESTION) != (r.nitems > 0)) {
      __builtin_trap();
    }
    for (int i = 0; i < r.nitems; i++) {
      if (!r.items[i].key || !r.items[i].text) {
        __builtin_trap();
      }
    }
  }
  tr_responseClose(&r);

  trOptimizerOptions o;
  tr_defaultOptimizerOptions(&o);
  o.memory = 1;
  trOptimizer *opt = tr_makeOptimizer(&o, NULL, 0);
  trParam *c = tr_addParam(opt, "controller", TR_CODE, "signature", NULL, 0);
  trParam *k = tr_addParam(opt, "gain", TR_NUMBER, NULL, NULL, 0);
  trParam *v = tr_addParam(opt, "target", TR_VECTOR, NULL, NULL, 0);
  trParam *s = tr_addParam(opt, "style", TR_TEXT, NULL, NULL, 0);
  tr_setText(c, "void controller(void) {}", NULL, 0);
  tr_setVector(v, (const double[]){1, 2, 3}, 3, NULL, 0);
  trGraph *g = tr_makeGraph();
  trNode *obs = tr_value(g, "obs", NULL, "{}");
  trNode *out = tr_op(g, "run", "Runs.",
                      (trArg[]){{"obs", obs},
                                {"controller", tr_paramNode(g, c)},
                                {"gain", tr_paramNode(g, k)},
                                {"target", tr_paramNode(g, v)},
                                {"style", tr_paramNode(g, s)}},
                      5, "action", NULL, "[]");
  tr_backward(g, out, "Success: false", NULL, 0);
  trStepLog log;
  if (tr_optimizerApply(opt, g, text, size, &log, NULL, 0) == 0) {
    if (log.outcome == TR_OUTCOME_NONE || log.reason[0] == '\0') {
      __builtin_trap(); /* every step records an outcome with a reason */
    }
    if ((log.outcome == TR_OUTCOME_UPDATED) != (log.nchanged > 0)) {
      __builtin_trap();
    }
  }
  tr_stepLogClose(&log);
  tr_freeGraph(g);
  tr_freeOptimizer(opt);
  return 0;
}
