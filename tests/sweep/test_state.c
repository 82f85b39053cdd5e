/* Tests of sweep/state.c: the cells' states and what summary.json makes of them (pending,
 * a running cell whose runner is gone, a run's totals read through runlog, Slurm's job ids),
 * and the files of a sweep directory refused when they are symbolic links or malformed. */
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

static char gTmp[256];
static char gDir[300];
static char gErr[1024];
static swSweep gSweep;

/* A sweep of reach x trace x 3 repeats. */
static int setup(void **state) {
  (void)state;
  snprintf(gTmp, sizeof gTmp, "/tmp/tracebot-test-state-XXXXXX");
  assert_non_null(mkdtemp(gTmp));
  snprintf(gDir, sizeof gDir, "%s/sweep", gTmp);
  swGrid g;
  sw_gridInit(&g);
  int rc = sw_gridSetTasks(&g, "reach", gErr, sizeof gErr);
  sw_gridSetFlag(&g, "--llm", "exec:true", gErr, sizeof gErr);
  g.repeats = 3;
  if (rc == TB_OK) {
    rc = sw_create(gDir, &g, gErr, sizeof gErr);
  }
  sw_gridClose(&g);
  return rc == TB_OK ? sw_sweepOpen(&gSweep, gDir, gErr, sizeof gErr) : rc;
}

static int teardown(void **state) {
  (void)state;
  sw_sweepClose(&gSweep);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", gTmp);
  return system(cmd) == 0 ? 0 : -1;
}

/* The summary entry of cell i. */
static const cJSON *entry(const cJSON *summary, int i) {
  return cJSON_GetArrayItem(cJSON_GetObjectItem(summary, "cells"), i);
}

static const char *entryString(const cJSON *summary, int i, const char *key) {
  return cJSON_GetStringValue(cJSON_GetObjectItem(entry(summary, i), key));
}

static void state_should_read_back_and_default_to_pending(void **state) {
  (void)state;
  swCellState st;
  assert_int_equal(sw_cellStateRead(&gSweep, 2, &st, gErr, sizeof gErr), TB_OK);
  assert_int_equal(st.status, SW_PENDING);
  assert_int_equal(st.attempts, 0);
  swCellState w = {.status = SW_FAILED, .pid = 42, .attempts = 3, .wall_s = 1.5};
  snprintf(w.reason, sizeof w.reason, "train exited with status 1: \"quoted\"");
  snprintf(w.engine_job, sizeof w.engine_job, "local:42");
  snprintf(w.host, sizeof w.host, "node-7");
  assert_int_equal(sw_cellStateWrite(&gSweep, 2, &w, gErr, sizeof gErr), TB_OK);
  assert_int_equal(sw_cellStateRead(&gSweep, 2, &st, gErr, sizeof gErr), TB_OK);
  assert_int_equal(st.status, SW_FAILED);
  assert_string_equal(st.reason, w.reason);
  assert_string_equal(st.host, "node-7");
  assert_int_equal(st.attempts, 3);
  assert_true(st.wall_s == 1.5);
}

static void summary_should_show_a_running_cell_without_its_runner_as_failed(void **state) {
  (void)state;
  swCellState w = {.status = SW_RUNNING, .pid = 1, .attempts = 1};
  assert_int_equal(sw_cellStateWrite(&gSweep, 0, &w, gErr, sizeof gErr), TB_OK);
  swCounts c;
  cJSON *o = sw_summaryBuild(&gSweep, &c, gErr, sizeof gErr);
  assert_non_null(o);
  assert_string_equal(entryString(o, 0, "status"), "failed");
  assert_non_null(strstr(entryString(o, 0, "reason"), "its runner stopped"));
  cJSON_Delete(o);
  /* with its lock held, it is running */
  char lock[PATH_MAX];
  assert_int_equal(
      sw_cellPath(&gSweep, SW_DIR_CELLS, 0, "lock", lock, sizeof lock, gErr, sizeof gErr), TB_OK);
  int busy = 0;
  int fd = sw_lock(lock, 0, &busy, gErr, sizeof gErr);
  assert_true(fd >= 0);
  assert_true(sw_cellHeld(&gSweep, 0));
  o = sw_summaryBuild(&gSweep, &c, gErr, sizeof gErr);
  assert_string_equal(entryString(o, 0, "status"), "running");
  assert_int_equal(c.running, 1);
  assert_int_equal(c.total, 3);
  cJSON_Delete(o);
  /* a second taker is told it is busy */
  assert_int_equal(sw_lock(lock, 0.1, &busy, gErr, sizeof gErr), -1);
  assert_true(busy);
  sw_unlock(fd);
}

static void summary_should_take_a_runs_totals_and_null_what_it_lacks(void **state) {
  (void)state;
  char run[PATH_MAX];
  snprintf(run, sizeof run, "%.3000s/%.200s", gSweep.dir, gSweep.cells[1].run_dir);
  assert_int_equal(sw_makeDir(gSweep.dir, gSweep.cells[1].run_dir, gErr, sizeof gErr), TB_OK);
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/summary.json", run);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(
      "{\"iterations\": 4, \"final_test_success_rate\": 0.5, \"best_test_success_rate\": 0.75,"
      " \"prompt_tokens\": 100, \"completion_tokens\": 20, \"stop_reason\": \"until\"}",
      f);
  fclose(f);
  swCellState w = {.status = SW_DONE, .attempts = 1, .wall_s = 2};
  assert_int_equal(sw_cellStateWrite(&gSweep, 1, &w, gErr, sizeof gErr), TB_OK);
  cJSON *o = sw_summaryBuild(&gSweep, NULL, gErr, sizeof gErr);
  assert_non_null(o);
  const cJSON *e = entry(o, 1);
  assert_true(cJSON_GetObjectItem(e, "best_test_success")->valuedouble == 0.75);
  assert_true(cJSON_GetObjectItem(e, "prompt_tokens")->valuedouble == 100);
  assert_string_equal(entryString(o, 1, "stop_reason"), "until");
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "llm_calls")));
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "tokens_to_best")));
  assert_string_equal(entryString(o, 1, "run_dir"), "runs/reach/trace/r1");
  cJSON_Delete(o);
}

static void summary_should_name_slurm_jobs_of_submitted_cells(void **state) {
  (void)state;
  int cells[] = {1, 2};
  swEngineRun e = {SW_ENGINE_SLURM, "314", 2, cells};
  assert_int_equal(sw_engineRunWrite(&gSweep, &e, gErr, sizeof gErr), TB_OK);
  swEngineRun back;
  assert_int_equal(sw_engineRunRead(&gSweep, &back, gErr, sizeof gErr), TB_OK);
  assert_int_equal(back.engine, SW_ENGINE_SLURM);
  assert_string_equal(back.job, "314");
  assert_int_equal(back.ncells, 2);
  sw_engineRunClose(&back);
  /* cell 1 has no engine_job of its own: it gets the array's; cell 2 keeps its own */
  swCounts c;
  cJSON *o = sw_summaryBuild(&gSweep, &c, gErr, sizeof gErr);
  assert_non_null(o);
  assert_string_equal(entryString(o, 1, "engine_job"), "314_1");
  assert_string_equal(entryString(o, 2, "engine_job"), "local:42");
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(o, "engine")), "slurm");
  assert_string_equal(c.engine_job, "314");
  cJSON_Delete(o);
}

static void state_files_should_be_refused_when_linked_or_malformed(void **state) {
  (void)state;
  char path[PATH_MAX];
  assert_int_equal(
      sw_cellPath(&gSweep, SW_DIR_CELLS, 2, "json", path, sizeof path, gErr, sizeof gErr), TB_OK);
  unlink(path);
  assert_int_equal(symlink("/etc/hostname", path), 0);
  swCellState st;
  assert_int_equal(sw_cellStateRead(&gSweep, 2, &st, gErr, sizeof gErr), TB_EIO);
  assert_non_null(strstr(gErr, "a symbolic link"));
  /* writing over the link is refused too, never through it */
  assert_int_not_equal(sw_cellStateWrite(&gSweep, 2, &st, gErr, sizeof gErr), TB_OK);
  unlink(path);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("{\"status\": \"finished\"}", f);
  fclose(f);
  assert_int_equal(sw_cellStateRead(&gSweep, 2, &st, gErr, sizeof gErr), TB_EFORMAT);
  assert_non_null(strstr(gErr, "0002.json: not a cell state"));
  assert_null(sw_summaryBuild(&gSweep, NULL, gErr, sizeof gErr));
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(state_should_read_back_and_default_to_pending),
      cmocka_unit_test(summary_should_show_a_running_cell_without_its_runner_as_failed),
      cmocka_unit_test(summary_should_take_a_runs_totals_and_null_what_it_lacks),
      cmocka_unit_test(summary_should_name_slurm_jobs_of_submitted_cells),
      cmocka_unit_test(state_files_should_be_refused_when_linked_or_malformed),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
