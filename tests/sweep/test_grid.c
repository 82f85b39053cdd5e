/* Tests of sweep/grid.c: tasks and variants from lists, the variants' train flags, the
 * repeats' shifted training seeds, spec files (flags, variants, a grid over any train
 * flag) and their messages, keys refused, sweep.json written and read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep_internal.h"
#include "tracebot/envs.h"

static char gTmp[256];
static char gErr[1024];

static int setup(void **state) {
  (void)state;
  snprintf(gTmp, sizeof gTmp, "/tmp/tracebot-test-grid-XXXXXX");
  assert_non_null(mkdtemp(gTmp));
  setenv("TRACEBOT_LLM", "exec:true", 1);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", gTmp);
  return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to gTmp/name and returns the path (static). */
static const char *writeFile(const char *name, const char *text) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", gTmp, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return path;
}

/* The value of flag in cell i of s. */
static const char *cellFlag(const swSweep *s, int i, const char *flag) {
  return sw_flagsGet(&s->cells[i].args, flag);
}

static void tasks_should_accept_a_list_and_all(void **state) {
  (void)state;
  swGrid g;
  sw_gridInit(&g);
  assert_int_equal(sw_gridSetTasks(&g, "push,reach", gErr, sizeof gErr), TB_OK);
  assert_int_equal(g.ntasks, 2);
  assert_string_equal(g.tasks[0], "push");
  assert_int_equal(sw_gridSetTasks(&g, "all", gErr, sizeof gErr), TB_OK);
  assert_int_equal(g.ntasks, env_taskCount());
  assert_string_equal(g.tasks[0], "reach");
  sw_gridClose(&g);
}

static void tasks_should_name_an_unknown_task_and_the_list(void **state) {
  (void)state;
  swGrid g;
  sw_gridInit(&g);
  assert_int_equal(sw_gridSetTasks(&g, "reach,fly", gErr, sizeof gErr), TB_EINVAL);
  char want[512];
  snprintf(want, sizeof want, "unknown task 'fly' (tasks: %s)", env_taskList());
  assert_string_equal(gErr, want);
  assert_int_equal(sw_gridSetTasks(&g, "reach,,push", gErr, sizeof gErr), TB_EINVAL);
  assert_non_null(strstr(gErr, "bad task list"));
  assert_int_equal(sw_gridSetTasks(&g, "reach,reach", gErr, sizeof gErr), TB_EINVAL);
  assert_non_null(strstr(gErr, "twice"));
  sw_gridClose(&g);
}

static void variants_should_map_to_train_flags(void **state) {
  (void)state;
  swGrid g;
  sw_gridInit(&g);
  assert_int_equal(sw_gridSetVariants(&g, "trace,nomem,masked,opro", gErr, sizeof gErr), TB_OK);
  assert_int_equal(g.nvariants, 4);
  assert_int_equal(g.variants[0].flags.n, 0);
  assert_string_equal(sw_flagsGet(&g.variants[1].flags, "--memory"), "0");
  assert_string_equal(sw_flagsGet(&g.variants[2].flags, "--mask"), "trace");
  assert_string_equal(sw_flagsGet(&g.variants[3].flags, "--optimizer"), "opro");
  assert_int_equal(sw_gridSetVariants(&g, "trace,fast", gErr, sizeof gErr), TB_EINVAL);
  assert_string_equal(gErr, "unknown variant 'fast' (variants: trace, nomem, masked, opro)");
  sw_gridClose(&g);
}

static void resolve_should_order_cells_and_shift_the_training_seed(void **state) {
  (void)state;
  swGrid g;
  sw_gridInit(&g);
  assert_int_equal(sw_gridSetTasks(&g, "reach,push", gErr, sizeof gErr), TB_OK);
  assert_int_equal(sw_gridSetVariants(&g, "trace,nomem", gErr, sizeof gErr), TB_OK);
  assert_int_equal(sw_gridSetFlag(&g, "--iters", "3", gErr, sizeof gErr), TB_OK);
  assert_int_equal(sw_gridSetFlag(&g, "--train-seed", "5", gErr, sizeof gErr), TB_OK);
  g.repeats = 3;
  g.repeat_offset = 100;
  swSweep s;
  assert_int_equal(sw_resolve(&g, "dir", &s, gErr, sizeof gErr), TB_OK);
  assert_int_equal(s.ncells, 12);
  /* task-major, then variant, then repeat */
  assert_string_equal(s.cells[4].run_dir, "runs/reach/nomem/r1");
  assert_string_equal(sw_cellTask(&s, &s.cells[7]), "push");
  assert_string_equal(sw_cellVariant(&s, &s.cells[7]), "trace");
  /* --task first, the common flags, the variant's, the shifted seed */
  assert_string_equal(s.cells[4].args.name[0], "--task");
  assert_string_equal(cellFlag(&s, 4, "--task"), "reach");
  assert_string_equal(cellFlag(&s, 4, "--memory"), "0");
  assert_string_equal(cellFlag(&s, 0, "--train-seed"), "5");
  assert_string_equal(cellFlag(&s, 4, "--train-seed"), "105");
  assert_string_equal(cellFlag(&s, 5, "--train-seed"), "205");
  assert_int_equal((int)s.cells[5].seed_shift, 200);
  assert_null(cellFlag(&s, 5, "--train-seeds"));
  sw_sweepClose(&s);
  sw_gridClose(&g);
}

static void resolve_should_shift_every_seed_of_a_seed_list(void **state) {
  (void)state;
  swGrid g;
  sw_gridInit(&g);
  assert_int_equal(sw_gridSetTasks(&g, "reach", gErr, sizeof gErr), TB_OK);
  assert_int_equal(sw_gridSetFlag(&g, "--train-seeds", "0:3", gErr, sizeof gErr), TB_OK);
  g.repeats = 2;
  swSweep s;
  assert_int_equal(sw_resolve(&g, "dir", &s, gErr, sizeof gErr), TB_OK);
  assert_string_equal(cellFlag(&s, 1, "--train-seeds"), "1000:1003");
  assert_null(cellFlag(&s, 1, "--train-seed"));
  sw_sweepClose(&s);
  assert_int_equal(sw_gridSetFlag(&g, "--train-seeds", "4,9", gErr, sizeof gErr), TB_OK);
  assert_int_equal(sw_resolve(&g, "dir", &s, gErr, sizeof gErr), TB_OK);
  assert_string_equal(cellFlag(&s, 1, "--train-seeds"), "1004,1009");
  sw_sweepClose(&s);
  assert_int_equal(sw_gridSetFlag(&g, "--train-seeds", "a:b", gErr, sizeof gErr), TB_OK);
  assert_int_equal(sw_resolve(&g, "dir", &s, gErr, sizeof gErr), TB_EINVAL);
  assert_non_null(strstr(gErr, "cannot shift --train-seeds 'a:b'"));
  sw_sweepClose(&s);
  sw_gridClose(&g);
}

static void resolve_should_refuse_bad_grids(void **state) {
  (void)state;
  swGrid g;
  swSweep s;
  sw_gridInit(&g);
  assert_int_equal(sw_resolve(&g, "dir", &s, gErr, sizeof gErr), TB_EINVAL);
  assert_non_null(strstr(gErr, "no tasks"));
  sw_sweepClose(&s);
  assert_int_equal(sw_gridSetTasks(&g, "reach", gErr, sizeof gErr), TB_OK);
  g.repeats = 1001;
  assert_int_equal(sw_resolve(&g, "dir", &s, gErr, sizeof gErr), TB_EINVAL);
  assert_non_null(strstr(gErr, "repeats must be in 1..1000"));
  sw_sweepClose(&s);
  /* flags the sweep sets itself, and names that are no flags */
  assert_int_equal(sw_gridSetFlag(&g, "--out", "x", gErr, sizeof gErr), TB_EINVAL);
  assert_non_null(strstr(gErr, "--out cannot be a train flag"));
  assert_int_equal(sw_gridSetFlag(&g, "-x", "1", gErr, sizeof gErr), TB_EINVAL);
  sw_gridClose(&g);
}

static void resolve_should_refuse_a_flag_holding_an_api_key(void **state) {
  (void)state;
  setenv("OPENAI_API_KEY", "sk-test-grid-secret-0123456789", 1);
  swGrid g;
  swSweep s;
  sw_gridInit(&g);
  assert_int_equal(sw_gridSetTasks(&g, "reach", gErr, sizeof gErr), TB_OK);
  assert_int_equal(
      sw_gridSetFlag(&g, "--llm", "exec:OPENAI_API_KEY=sk-test-grid-secret-0123456789 sh llm.sh",
                     gErr, sizeof gErr),
      TB_OK);
  assert_int_equal(sw_resolve(&g, "dir", &s, gErr, sizeof gErr), TB_EINVAL);
  assert_non_null(strstr(gErr, "--llm holds the value of an API key"));
  assert_null(strstr(gErr, "sk-test"));
  sw_sweepClose(&s);
  sw_gridClose(&g);
  unsetenv("OPENAI_API_KEY");
}

static void spec_should_give_variants_flags_and_a_grid(void **state) {
  (void)state;
  const char *path = writeFile("spec.json",
                               "{\"tasks\": \"reach\", \"variants\": [\"nomem\", {\"name\": "
                               "\"mem3\", \"flags\": {\"--memory\": 3}}], \"repeats\": 2, "
                               "\"repeat_offset\": 10, \"flags\": {\"--iters\": 4, \"--horizon\": "
                               "\"8\"}, \"grid\": {\"--llm\": {\"a\": \"exec:a\", \"b\": "
                               "\"exec:b\"}, \"--hints\": [\"none\"]}}");
  swGrid g;
  sw_gridInit(&g);
  /* a flag given before the file (the command line's) wins over the file's */
  assert_int_equal(sw_gridSetFlag(&g, "--iters", "7", gErr, sizeof gErr), TB_OK);
  assert_int_equal(sw_gridReadSpec(&g, path, gErr, sizeof gErr), TB_OK);
  swSweep s;
  assert_int_equal(sw_resolve(&g, "dir", &s, gErr, sizeof gErr), TB_OK);
  /* 2 variants x 2 LLMs x 1 hint, 2 repeats */
  assert_int_equal(s.grid.nvariants, 4);
  assert_int_equal(s.ncells, 8);
  assert_string_equal(s.grid.variants[0].name, "nomem+a+hints-none");
  assert_string_equal(s.grid.variants[3].name, "mem3+b+hints-none");
  assert_string_equal(s.cells[7].run_dir, "runs/reach/mem3+b+hints-none/r1");
  assert_string_equal(cellFlag(&s, 7, "--llm"), "exec:b");
  assert_string_equal(cellFlag(&s, 7, "--memory"), "3");
  assert_string_equal(cellFlag(&s, 7, "--iters"), "7");
  assert_string_equal(cellFlag(&s, 7, "--horizon"), "8");
  assert_string_equal(cellFlag(&s, 7, "--train-seed"), "10");
  sw_sweepClose(&s);
  sw_gridClose(&g);
}

static void spec_should_name_the_file_and_the_key_of_a_mistake(void **state) {
  (void)state;
  static const struct {
    const char *text, *message;
  } kBad[] = {
      {"[1]", "bad.json is not a JSON object"},
      {"{\"task\": [\"reach\"]}", "task: unknown key"},
      {"{\"tasks\": [\"reach\", 3]}", "tasks: expected task names"},
      {"{\"tasks\": [\"fly\"]}", "unknown task 'fly'"},
      {"{\"repeats\": 0}", "repeats: expected an integer in 1..1000"},
      {"{\"repeats\": 2.5}", "repeats: expected an integer"},
      {"{\"flags\": {\"--iters\": true}}", "flags.--iters: expected a string or a number"},
      {"{\"flags\": {\"--out\": \"x\"}}", "flags.--out: --out cannot be a train flag"},
      {"{\"variants\": [{\"flags\": {}}]}", "variants: a variant object needs a \"name\""},
      {"{\"variants\": [\"slow\"]}", "unknown variant 'slow'"},
      {"{\"grid\": {\"--llm\": []}}", "grid.--llm: expected a non-empty array"},
      {"{\"grid\": {\"--task\": [\"push\"]}}", "grid.--task: not a train flag a sweep can vary"},
      {"{\"grid\": {\"--llm\": {\"a/b\": \"x\"}}}", "grid.--llm: a label must be a valid name"},
  };
  for (size_t i = 0; i < sizeof kBad / sizeof kBad[0]; i++) {
    const char *path = writeFile("bad.json", kBad[i].text);
    swGrid g;
    sw_gridInit(&g);
    gErr[0] = '\0';
    assert_int_not_equal(sw_gridReadSpec(&g, path, gErr, sizeof gErr), TB_OK);
    if (strstr(gErr, kBad[i].message) == NULL) {
      fail_msg("%s: got '%s', want '%s'", kBad[i].text, gErr, kBad[i].message);
    }
    sw_gridClose(&g);
  }
}

static void sweep_json_should_read_back_the_same_cells(void **state) {
  (void)state;
  swGrid g;
  sw_gridInit(&g);
  assert_int_equal(sw_gridSetTasks(&g, "reach,push", gErr, sizeof gErr), TB_OK);
  assert_int_equal(sw_gridSetVariants(&g, "masked,opro", gErr, sizeof gErr), TB_OK);
  assert_int_equal(sw_gridSetFlag(&g, "--iters", "2", gErr, sizeof gErr), TB_OK);
  g.repeats = 2;
  char dir[300];
  snprintf(dir, sizeof dir, "%s/sweep", gTmp);
  assert_int_equal(sw_create(dir, &g, gErr, sizeof gErr), TB_OK);
  assert_true(sw_isSweep(dir));
  /* a second sweep in the same directory is refused */
  assert_int_equal(sw_create(dir, &g, gErr, sizeof gErr), TB_EINVAL);
  assert_non_null(strstr(gErr, "already holds a sweep"));
  swSweep a;
  swSweep b;
  assert_int_equal(sw_resolve(&g, dir, &a, gErr, sizeof gErr), TB_OK);
  assert_int_equal(sw_sweepOpen(&b, dir, gErr, sizeof gErr), TB_OK);
  assert_int_equal(a.ncells, b.ncells);
  for (int i = 0; i < a.ncells; i++) {
    assert_string_equal(a.cells[i].run_dir, b.cells[i].run_dir);
    assert_int_equal(a.cells[i].args.n, b.cells[i].args.n);
    for (int k = 0; k < a.cells[i].args.n; k++) {
      assert_string_equal(a.cells[i].args.name[k], b.cells[i].args.name[k]);
      assert_string_equal(a.cells[i].args.value[k], b.cells[i].args.value[k]);
    }
  }
  assert_true(b.dir[0] == '/'); /* absolute, for the cells and Slurm */
  sw_sweepClose(&a);
  sw_sweepClose(&b);
  sw_gridClose(&g);
}

static void sweep_json_should_refuse_cells_that_do_not_match_the_grid(void **state) {
  (void)state;
  char dir[300];
  snprintf(dir, sizeof dir, "%s/tampered", gTmp);
  char path[400];
  snprintf(path, sizeof path, "%s/sweep.json", dir);
  swGrid g;
  sw_gridInit(&g);
  assert_int_equal(sw_gridSetTasks(&g, "reach", gErr, sizeof gErr), TB_OK);
  assert_int_equal(sw_create(dir, &g, gErr, sizeof gErr), TB_OK);
  sw_gridClose(&g);
  /* a run_dir pointing elsewhere */
  cJSON *o = NULL;
  assert_int_equal(sw_readJson(dir, "sweep.json", &o, gErr, sizeof gErr), TB_OK);
  cJSON *cell = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "cells"), 0);
  cJSON_ReplaceItemInObject(cell, "run_dir", cJSON_CreateString("../../etc"));
  assert_int_equal(sw_writeJson(path, o, gErr, sizeof gErr), TB_OK);
  cJSON_Delete(o);
  swSweep s;
  assert_int_equal(sw_sweepOpen(&s, dir, gErr, sizeof gErr), TB_EFORMAT);
  assert_non_null(strstr(gErr, "cells[0].run_dir: does not match the grid"));
  /* not a sweep at all */
  assert_int_equal(sw_sweepOpen(&s, gTmp, gErr, sizeof gErr), TB_EINVAL);
  assert_non_null(strstr(gErr, "is not a sweep"));
}

static void create_should_need_an_llm(void **state) {
  (void)state;
  unsetenv("TRACEBOT_LLM");
  swGrid g;
  sw_gridInit(&g);
  assert_int_equal(sw_gridSetTasks(&g, "reach", gErr, sizeof gErr), TB_OK);
  char dir[300];
  snprintf(dir, sizeof dir, "%s/nollm", gTmp);
  assert_int_equal(sw_create(dir, &g, gErr, sizeof gErr), TB_EINVAL);
  assert_non_null(strstr(gErr, "no LLM configured"));
  assert_false(sw_isSweep(dir));
  assert_int_equal(sw_gridSetFlag(&g, "--llm", "exec:true", gErr, sizeof gErr), TB_OK);
  assert_int_equal(sw_create(dir, &g, gErr, sizeof gErr), TB_OK);
  sw_gridClose(&g);
  setenv("TRACEBOT_LLM", "exec:true", 1);
}

static void create_should_refuse_a_sweep_json_too_large_to_read_back(void **state) {
  (void)state;
  /* 4000 LLM specs of 1000 bytes: over the 4 MiB runlog reads */
  char path[400];
  snprintf(path, sizeof path, "%s/huge.json", gTmp);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fprintf(f, "{\"tasks\": [\"reach\"], \"grid\": {\"--llm\": {");
  for (int i = 0; i < 4000; i++) {
    fprintf(f, "%s\"l%d\": \"exec:%0990d\"", i > 0 ? ", " : "", i, i);
  }
  fprintf(f, "}}}");
  fclose(f);
  swGrid g;
  sw_gridInit(&g);
  assert_int_equal(sw_gridReadSpec(&g, path, gErr, sizeof gErr), TB_OK);
  char dir[300];
  snprintf(dir, sizeof dir, "%s/huge", gTmp);
  assert_int_equal(sw_create(dir, &g, gErr, sizeof gErr), TB_EINVAL);
  assert_non_null(strstr(gErr, "too large a grid"));
  assert_int_equal(access(dir, F_OK), -1); /* nothing left behind */
  sw_gridClose(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(tasks_should_accept_a_list_and_all),
      cmocka_unit_test(tasks_should_name_an_unknown_task_and_the_list),
      cmocka_unit_test(variants_should_map_to_train_flags),
      cmocka_unit_test(resolve_should_order_cells_and_shift_the_training_seed),
      cmocka_unit_test(resolve_should_shift_every_seed_of_a_seed_list),
      cmocka_unit_test(resolve_should_refuse_bad_grids),
      cmocka_unit_test(resolve_should_refuse_a_flag_holding_an_api_key),
      cmocka_unit_test(spec_should_give_variants_flags_and_a_grid),
      cmocka_unit_test(spec_should_name_the_file_and_the_key_of_a_mistake),
      cmocka_unit_test(sweep_json_should_read_back_the_same_cells),
      cmocka_unit_test(sweep_json_should_refuse_cells_that_do_not_match_the_grid),
      cmocka_unit_test(create_should_need_an_llm),
      cmocka_unit_test(create_should_refuse_a_sweep_json_too_large_to_read_back),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
