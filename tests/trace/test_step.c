/* Tests of trace/step.c: one optimizer step through a real LLM client (exec: backend). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "fixture_graph.h"
#include "trees.h"

static trLlm *make_llm(const char *command) {
  char spec[2048 + 8];
  snprintf(spec, sizeof spec, "exec:%s", command);
  trLlmOptions lo;
  tr_defaultLlmOptions(&lo);
  lo.max_attempts = 1;
  lo.timeout_s = 20;
  char err[256] = "";
  trLlm *llm = tr_makeLlm(spec, &lo, err, sizeof err);
  if (!llm) {
    print_error("tr_makeLlm: %s\n", err);
  }
  return llm;
}

static void step_should_send_the_prompt_and_apply_the_reply(void **state) {
  (void)state;
  char req[1024];
  snprintf(req, sizeof req, "%s/test_step_request.json", tree_binary());
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "cat > '%s' && cat '%s/tests/trace/data/step_reply.txt'", req,
           tree_source());
  trLlm *llm = make_llm(cmd);
  assert_non_null(llm);
  trOptimizerOptions o;
  tr_defaultOptimizerOptions(&o);
  o.memory = 1;
  fixture f;
  fixture_init(&f, &o);
  trStepLog log;
  char err[256] = "";
  assert_int_equal(tr_optimizerStep(f.opt, f.g, llm, &log, err, sizeof err), 0);
  assert_int_equal(log.outcome, TR_OUTCOME_UPDATED);
  assert_int_equal(log.nchanged, 1);
  assert_string_equal(log.changed[0], "gain0");
  assert_true(tr_paramNumber(f.gain) == 9.5);
  assert_string_equal(log.reasoning, "The gain is too low.");
  assert_non_null(strstr(log.response, "```json"));
  assert_true(log.latency_s > 0.0);
  assert_true(log.prompt_tokens > 0);
  assert_int_equal(log.iteration, 1);
  assert_int_equal(tr_optimizerMemoryCount(f.opt), 1);
  /* the request the command received carries both messages */
  char *body = tb_readFile(req, 1u << 20, NULL, NULL, 0);
  assert_non_null(body);
  assert_non_null(strstr(body, "#Instruction"));
  assert_non_null(strstr(body, "You are an optimizer."));
  free(body);
  tr_stepLogClose(&log);
  fixture_close(&f);
  tr_freeLlm(llm);
}

static void failed_llm_call_should_be_an_unusable_step(void **state) {
  fixture *f = *state;
  trLlm *llm = make_llm("cat > /dev/null; echo broken >&2; exit 3");
  assert_non_null(llm);
  trStepLog log;
  char err[256] = "";
  assert_int_equal(tr_optimizerStep(f->opt, f->g, llm, &log, err, sizeof err), TB_ELLM);
  assert_int_equal(log.outcome, TR_OUTCOME_UNUSABLE);
  assert_non_null(strstr(log.reason, "LLM call failed"));
  assert_non_null(strstr(err, "LLM call failed"));
  assert_null(log.response);
  assert_non_null(log.user);
  assert_true(tr_paramNumber(f->gain) == 2.5);
  assert_int_equal(tr_optimizerIteration(f->opt), 1);
  tr_stepLogClose(&log);
  tr_freeLlm(llm);
}

static void step_should_reject_a_null_client(void **state) {
  fixture *f = *state;
  trStepLog log;
  assert_int_equal(tr_optimizerStep(f->opt, f->g, NULL, &log, NULL, 0), TB_EINVAL);
  assert_int_equal(log.outcome, TR_OUTCOME_NONE);
  assert_int_equal(tr_optimizerIteration(f->opt), 0);
  tr_stepLogClose(&log);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(step_should_send_the_prompt_and_apply_the_reply),
      cmocka_unit_test_setup_teardown(failed_llm_call_should_be_an_unusable_step, fixture_setup,
                                      fixture_teardown),
      cmocka_unit_test_setup_teardown(step_should_reject_a_null_client, fixture_setup,
                                      fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
