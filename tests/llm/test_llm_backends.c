/* The backend table (llm/backends.c): the list for help texts, spec lookup, and the messages
 * that name the backends. No network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "llm_internal.h"

/* Asserts that text names every row's "prefix:ARG". */
static void assertNamesEveryBackend(const char *text) {
  for (size_t i = 0; i < tr_llmBackendCount(); i++) {
    const char *usage = tr_llmBackendAt(i)->usage;
    if (!strstr(text, usage)) {
      fail_msg("'%s' does not name %s", text, usage);
    }
  }
}

static void backend_list_should_join_every_row_in_table_order(void **state) {
  (void)state;
  const char *list = tr_llmBackendList();
  assert_true(tr_llmBackendCount() >= 4);
  assertNamesEveryBackend(list);
  /* Exactly the rows' "prefix:ARG" in table order, joined by ", ". */
  char want[512] = "";
  for (size_t i = 0; i < tr_llmBackendCount(); i++) {
    const trLlmBackend *b = tr_llmBackendAt(i);
    assert_non_null(b->make);
    assert_int_equal(strncmp(b->usage, b->prefix, strlen(b->prefix)), 0);
    assert_int_equal(b->usage[strlen(b->prefix)], ':');
    snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s", i ? ", " : "", b->usage);
  }
  assert_string_equal(list, want);
  assert_non_null(strstr(list, "openai:MODEL, anthropic:MODEL"));
  assert_null(tr_llmBackendAt(tr_llmBackendCount()));
}

static void find_backend_should_match_whole_prefixes_only(void **state) {
  (void)state;
  for (size_t i = 0; i < tr_llmBackendCount(); i++) {
    const trLlmBackend *b = tr_llmBackendAt(i);
    assert_ptr_equal(tr_llmFindBackend(b->prefix, strlen(b->prefix)), b);
  }
  assert_null(tr_llmFindBackend("openai", 4));
  assert_null(tr_llmFindBackend("openaix", 7));
  assert_null(tr_llmFindBackend("", 0));
  assert_null(tr_llmFindBackend(NULL, 0));
}

static void unknown_or_empty_specs_should_list_the_backends(void **state) {
  (void)state;
  char err[256];
  assert_null(tr_makeLlm("bard:x", NULL, err, sizeof(err)));
  assert_non_null(strstr(err, "unknown llm backend 'bard'"));
  assertNamesEveryBackend(err);
  assert_null(strchr(err, '\n'));

  assert_null(tr_makeLlm("no-colon-at-all", NULL, err, sizeof(err)));
  assert_non_null(strstr(err, "'no-colon-at-all'"));
  assertNamesEveryBackend(err);

  assert_null(tr_makeLlm("", NULL, err, sizeof(err)));
  assert_non_null(strstr(err, "empty llm spec"));
  assertNamesEveryBackend(err);

  /* A known prefix without its argument names that backend's form. */
  assert_null(tr_makeLlm("replay:", NULL, err, sizeof(err)));
  assert_non_null(strstr(err, "needs a value"));
  assert_non_null(strstr(err, "replay:FILE"));
}

static void key_variables_of_the_table_should_be_redacted(void **state) {
  (void)state;
  /* Every key variable named by a row is scrubbed, not only the first two. */
  for (size_t i = 0; i < tr_llmBackendCount(); i++) {
    const char *var = tr_llmBackendAt(i)->key_var;
    if (!var) {
      continue;
    }
    setenv(var, "sk-table-key-0123456789", 1);
    char line[128];
    snprintf(line, sizeof(line), "run --key sk-table-key-0123456789 --x");
    tr_llmRedactKeys(line, sizeof(line));
    assert_string_equal(line, "run --key [redacted] --x");
    unsetenv(var);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(backend_list_should_join_every_row_in_table_order),
      cmocka_unit_test(find_backend_should_match_whole_prefixes_only),
      cmocka_unit_test(unknown_or_empty_specs_should_list_the_backends),
      cmocka_unit_test(key_variables_of_the_table_should_be_redacted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
