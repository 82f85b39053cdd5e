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

#include "cases.h"
#include "compile.h"
#include "trees.h"

static char *readSource(const char *rel, size_t *len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", tree_source(), rel);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char *buf = calloc(1, 1 << 20);
  assert_non_null(buf);
  *len = fread(buf, 1, (1 << 20) - 1, f);
  fclose(f);
  return buf;
}

/* Compiles len bytes of src, which must compile. */
static agCompiled *compileOk(const char *src, size_t len) {
  agCompiled *c = NULL;
  int line = 0;
  char msg[256] = "";
  if (ag_compile(src, len, 0, &c, &line, msg, sizeof msg) != TB_OK) {
    fail_msg("line %d: %s", line, msg);
  }
  return c;
}

static void compile_should_build_every_expert(void **state) {
  (void)state;
  const char *files[] = {"envs/experts/reach.c", "envs/experts/push.c",
                         "envs/experts/pick_place.c"};
  for (size_t i = 0; i < 3; i++) {
    size_t len = 0;
    char *src = readSource(files[i], &len);
    agCompiled *c = compileOk(src, len);
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

/* A source that does not compile and what ag_compile says: its code, the user's line (-1:
 * not checked) and a part of the one-line message (NULL: not checked). */
typedef struct badSource {
  const char *name; /* the behaviour */
  const char *src;
  size_t len;   /* 0: strlen(src) */
  size_t limit; /* the image limit; 0: the default */
  int rc;
  int line;
  const char *part;
} badSource;

#define NUL_SOURCE "void controller(const obs_t *o, double a[4]) {\n a[0] = 0;\0 }\n"

static const badSource kBad[] = {
    {"compile should report the user's line number",
     "void controller(const obs_t *obs, double action[4]) {\n"
     "  action[0] = obs->hand_pos[0];\n"
     "  action[1] = undeclared_thing;\n"
     "}\n",
     0, 0, TB_ECOMPILE, 3, "undeclared_thing"},
    {"compile should count the blanked standard include lines",
     "#include <math.h>\n#include <string.h>\n\n"
     "void controller(const obs_t *o, double a[4]) { a[0] = nothing_here; }\n"
     "\n",
     0, 0, TB_ECOMPILE, 4, NULL},
    {"compile should reject other includes",
     "\n#include \"no_such_header_here.h\"\nvoid controller(const obs_t *o, "
     "double a[4]) { (void)o; a[0] = 0; }\n",
     0, 0, TB_ECOMPILE, 2, NULL},
    {"compile should reject a source without controller", "void helper(void) {}\n", 0, 0,
     TB_ECOMPILE, 0, "does not define controller"},
    {"compile should reject a wrong controller signature",
     "int controller(double x) { return (int)x; }\n", 0, 0, TB_ECOMPILE, 1, NULL},
    {"compile should report symbols the dialect lacks",
     "int printf(const char *f, ...);\n"
     "void controller(const obs_t *o, double a[4]) { printf(\"hi\"); "
     "a[0] = o->step; }\n",
     0, 0, TB_ECOMPILE, -1, "printf"},
    {"compile should refuse an image over the limit",
     "static double big[1 << 22];\n"
     "void controller(const obs_t *o, double a[4]) { a[0] = big[o->step]; }\n",
     0, 1 << 20, TB_ENOMEM, -1, "MiB"},
    {"compile should reject nul bytes", NUL_SOURCE, sizeof NUL_SOURCE - 1, 0, TB_ECOMPILE, 2, NULL},
};

static void compile_should_refuse_each_bad_source_of_the_table_with_one_line(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof kBad / sizeof kBad[0]; i++) {
    const badSource *b = &kBad[i];
    agCompiled *c = NULL;
    int line = -1;
    char msg[256] = "";
    size_t len = b->len ? b->len : strlen(b->src);
    case_int(b->name, "ag_compile", ag_compile(b->src, len, b->limit, &c, &line, msg, sizeof msg),
             b->rc);
    case_true(b->name, "no image", c == NULL);
    if (b->line >= 0) {
      case_int(b->name, "line", line, b->line);
    }
    if (b->part) {
      case_has(b->name, "the message", msg, b->part);
    }
    case_true(b->name, "the message is one line", strchr(msg, '\n') == NULL);
  }
}

static void compile_should_treat_standard_includes_as_harmless(void **state) {
  (void)state;
  const char *ok =
      "#include <math.h>\n"
      "  #  include <string.h>\n"
      "#include \"controller.h\"\n"
      "void controller(const obs_t *obs, double action[4]) {\n"
      "  double v[3];\n"
      "  memcpy(v, obs->goal_pos, sizeof v);\n"
      "  action[0] = sqrt(fabs(v[0])) + M_PI * 0.0;\n"
      "}\n";
  agCompiled *c = compileOk(ok, strlen(ok));
  obs_t obs;
  memset(&obs, 0, sizeof obs);
  obs.goal_pos[0] = -4.0;
  double a[4] = {0, 0, 0, 0};
  ag_compiledEntry(c)(&obs, a);
  assert_true(fabs(a[0] - 2.0) < 1e-12);
  ag_freeCompiled(c);
}

/* A controller that counts its calls in a static variable. */
static const char kCounter[] =
    "void controller(const obs_t *o, double a[4]) {\n"
    "  static int calls = 0;\n"
    "  struct { double v[8]; } s = {{0}};\n"
    "  s.v[1] = ++calls;\n"
    "  a[0] = s.v[1] + o->step;\n"
    "}\n";

static void compile_should_keep_static_state_per_image(void **state) {
  (void)state;
  agCompiled *c1 = compileOk(kCounter, strlen(kCounter));
  agCompiled *c2 = compileOk(kCounter, strlen(kCounter));
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
      cmocka_unit_test(compile_should_refuse_each_bad_source_of_the_table_with_one_line),
      cmocka_unit_test(compile_should_treat_standard_includes_as_harmless),
      cmocka_unit_test(compile_should_keep_static_state_per_image),
      cmocka_unit_test(prelude_should_be_controller_h),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
