/* Tests of agent/compile.c: controllers compiled in memory with libtcc (in this
 * process: the test sources are trusted). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compile.h"

static char *readSource(const char *rel, size_t *len) {
  char path[4096];
  const char *root = getenv("TRACEBOT_SOURCE_DIR");
  assert_non_null(root);
  snprintf(path, sizeof path, "%s/%s", root, rel);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char *buf = calloc(1, 1 << 20);
  assert_non_null(buf);
  *len = fread(buf, 1, (1 << 20) - 1, f);
  fclose(f);
  return buf;
}

/* Compiles src; returns the rc, with line and message. */
static int compileText(const char *src, agCompiled **out, int *line, char *msg, size_t msgsz) {
  return ag_compile(src, strlen(src), 0, out, line, msg, msgsz);
}

static void compile_should_build_every_expert(void **state) {
  (void)state;
  const char *files[] = {"envs/experts/reach.c", "envs/experts/push.c",
                         "envs/experts/pick_place.c"};
  for (size_t i = 0; i < 3; i++) {
    size_t len = 0;
    char *src = readSource(files[i], &len);
    agCompiled *c = NULL;
    int line = -1;
    char msg[256];
    assert_int_equal(ag_compile(src, len, 0, &c, &line, msg, sizeof msg), TB_OK);
    obs_t obs;
    memset(&obs, 0, sizeof obs);
    obs.hand_pos[1] = 0.6;
    obs.hand_pos[2] = 0.2;
    obs.goal_pos[1] = 0.85;
    obs.goal_pos[2] = 0.1;
    obs.obj_pos[1] = 0.65;
    obs.obj_pos[2] = 0.02;
    obs.gripper_distance_apart = 1.0;
    obs.horizon = 10;
    double action[4] = {NAN, NAN, NAN, NAN};
    ag_compiledEntry(c)(&obs, action);
    for (int k = 0; k < 4; k++) {
      assert_true(isfinite(action[k]));
    }
    ag_freeCompiled(c);
    free(src);
  }
}

static void compile_should_report_the_users_line_number(void **state) {
  (void)state;
  agCompiled *c = NULL;
  int line = 0;
  char msg[256];
  const char *src =
      "void controller(const obs_t *obs, double action[4]) {\n"
      "  action[0] = obs->hand_pos[0];\n"
      "  action[1] = undeclared_thing;\n"
      "}\n";
  assert_int_equal(compileText(src, &c, &line, msg, sizeof msg), TB_ECOMPILE);
  assert_null(c);
  assert_int_equal(line, 3);
  assert_non_null(strstr(msg, "undeclared_thing"));
  assert_null(strchr(msg, '\n'));
}

static void compile_should_treat_standard_includes_as_harmless(void **state) {
  (void)state;
  agCompiled *c = NULL;
  int line = 0;
  char msg[256];
  const char *ok =
      "#include <math.h>\n"
      "  #  include <string.h>\n"
      "#include \"controller.h\"\n"
      "void controller(const obs_t *obs, double action[4]) {\n"
      "  double v[3];\n"
      "  memcpy(v, obs->goal_pos, sizeof v);\n"
      "  action[0] = sqrt(fabs(v[0])) + M_PI * 0.0;\n"
      "}\n";
  assert_int_equal(compileText(ok, &c, &line, msg, sizeof msg), TB_OK);
  obs_t obs;
  memset(&obs, 0, sizeof obs);
  obs.goal_pos[0] = -4.0;
  double a[4] = {0, 0, 0, 0};
  ag_compiledEntry(c)(&obs, a);
  assert_true(fabs(a[0] - 2.0) < 1e-12);
  ag_freeCompiled(c);

  /* line numbers still count the blanked include lines */
  const char *bad =
      "#include <math.h>\n#include <string.h>\n\n"
      "void controller(const obs_t *o, double a[4]) { a[0] = nothing_here; }\n"
      "\n";
  assert_int_equal(compileText(bad, &c, &line, msg, sizeof msg), TB_ECOMPILE);
  assert_int_equal(line, 4);
}

static void compile_should_reject_other_includes(void **state) {
  (void)state;
  agCompiled *c = NULL;
  int line = 0;
  char msg[256];
  const char *src =
      "\n#include \"no_such_header_here.h\"\nvoid controller(const obs_t *o, "
      "double a[4]) { (void)o; a[0] = 0; }\n";
  assert_int_equal(compileText(src, &c, &line, msg, sizeof msg), TB_ECOMPILE);
  assert_int_equal(line, 2);
}

static void compile_should_reject_a_source_without_controller(void **state) {
  (void)state;
  agCompiled *c = NULL;
  int line = -1;
  char msg[256];
  const char *src = "void helper(void) {}\n";
  assert_int_equal(compileText(src, &c, &line, msg, sizeof msg), TB_ECOMPILE);
  assert_null(c);
  assert_int_equal(line, 0);
  assert_non_null(strstr(msg, "does not define controller"));
}

static void compile_should_reject_a_wrong_controller_signature(void **state) {
  (void)state;
  agCompiled *c = NULL;
  int line = 0;
  char msg[256];
  const char *src = "int controller(double x) { return (int)x; }\n";
  assert_int_equal(compileText(src, &c, &line, msg, sizeof msg), TB_ECOMPILE);
  assert_int_equal(line, 1);
}

static void compile_should_report_symbols_the_dialect_lacks(void **state) {
  (void)state;
  agCompiled *c = NULL;
  int line = -1;
  char msg[256];
  const char *src =
      "int printf(const char *f, ...);\n"
      "void controller(const obs_t *o, double a[4]) { printf(\"hi\"); "
      "a[0] = o->step; }\n";
  assert_int_equal(compileText(src, &c, &line, msg, sizeof msg), TB_ECOMPILE);
  assert_non_null(strstr(msg, "printf"));
}

static void compile_should_refuse_an_image_over_the_limit(void **state) {
  (void)state;
  agCompiled *c = NULL;
  int line = 0;
  char msg[256];
  const char *src =
      "static double big[1 << 22];\n"
      "void controller(const obs_t *o, double a[4]) { a[0] = big[o->step]; }\n";
  assert_int_equal(ag_compile(src, strlen(src), 1 << 20, &c, &line, msg, sizeof msg), TB_ENOMEM);
  assert_null(c);
  assert_non_null(strstr(msg, "MiB"));
}

static void compile_should_reject_nul_bytes(void **state) {
  (void)state;
  agCompiled *c = NULL;
  int line = 0;
  char msg[256];
  const char src[] = "void controller(const obs_t *o, double a[4]) {\n a[0] = 0;\0 }\n";
  assert_int_equal(ag_compile(src, sizeof src - 1, 0, &c, &line, msg, sizeof msg), TB_ECOMPILE);
  assert_int_equal(line, 2);
}

static void compile_should_keep_static_state_per_image(void **state) {
  (void)state;
  const char *src =
      "void controller(const obs_t *o, double a[4]) {\n"
      "  static int calls = 0;\n"
      "  struct { double v[8]; } s = {{0}};\n"
      "  s.v[1] = ++calls;\n"
      "  a[0] = s.v[1] + o->step;\n"
      "}\n";
  agCompiled *c1 = NULL;
  agCompiled *c2 = NULL;
  int line = 0;
  char msg[256];
  assert_int_equal(compileText(src, &c1, &line, msg, sizeof msg), TB_OK);
  assert_int_equal(compileText(src, &c2, &line, msg, sizeof msg), TB_OK);
  obs_t obs;
  memset(&obs, 0, sizeof obs);
  double a[4] = {0, 0, 0, 0};
  ag_compiledEntry(c1)(&obs, a);
  ag_compiledEntry(c1)(&obs, a);
  assert_true(a[0] == 2.0);
  ag_compiledEntry(c2)(&obs, a);
  assert_true(a[0] == 1.0);
  ag_freeCompiled(c1);
  ag_freeCompiled(c2);
}

static void prelude_should_be_controller_h(void **state) {
  (void)state;
  size_t len = 0;
  char *text = readSource("include/tracebot/controller.h", &len);
  assert_int_equal(ag_prelude_len, len);
  assert_memory_equal(ag_prelude, text, len);
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(compile_should_build_every_expert),
      cmocka_unit_test(compile_should_report_the_users_line_number),
      cmocka_unit_test(compile_should_treat_standard_includes_as_harmless),
      cmocka_unit_test(compile_should_reject_other_includes),
      cmocka_unit_test(compile_should_reject_a_source_without_controller),
      cmocka_unit_test(compile_should_reject_a_wrong_controller_signature),
      cmocka_unit_test(compile_should_report_symbols_the_dialect_lacks),
      cmocka_unit_test(compile_should_refuse_an_image_over_the_limit),
      cmocka_unit_test(compile_should_reject_nul_bytes),
      cmocka_unit_test(compile_should_keep_static_state_per_image),
      cmocka_unit_test(prelude_should_be_controller_h),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
