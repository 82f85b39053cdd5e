/* Tests of sweep/slurm.c: the job array script (golden), and what squeue and sacct say read
 * into cell states, with stand-ins for squeue and sacct first in PATH. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sweep_internal.h"

static char gTmp[256];
static char gErr[1024];

static int setup(void **state) {
  (void)state;
  snprintf(gTmp, sizeof gTmp, "/tmp/tracebot-test-slurm-XXXXXX");
  assert_non_null(mkdtemp(gTmp));
  /* the stand-ins come first in PATH */
  char path[4096];
  snprintf(path, sizeof path, "%s/bin:%s", gTmp, getenv("PATH") != NULL ? getenv("PATH") : "");
  setenv("PATH", path, 1);
  setenv("TRACEBOT_LLM", "exec:true", 1);
  char bin[300];
  snprintf(bin, sizeof bin, "%s/bin", gTmp);
  return mkdir(bin, 0755);
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", gTmp);
  return system(cmd) == 0 ? 0 : -1;
}

/* A stand-in tool gTmp/bin/name that prints out and exits with status. */
static void standIn(const char *name, const char *out, int status) {
  char path[400];
  snprintf(path, sizeof path, "%s/bin/%s", gTmp, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fprintf(f, "#!/bin/sh\nprintf '%%s' '%s'\nexit %d\n", out, status);
  fclose(f);
  assert_int_equal(chmod(path, 0755), 0);
}

/* A sweep gTmp/name of reach x trace x repeats; its path (static). */
static const char *makeSweep(const char *name, int repeats) {
  static char dir[300];
  swGrid g;
  sw_gridInit(&g);
  assert_int_equal(sw_gridSetTasks(&g, "reach", gErr, sizeof gErr), TB_OK);
  g.repeats = repeats;
  snprintf(dir, sizeof dir, "%s/%s", gTmp, name);
  assert_int_equal(sw_create(dir, &g, gErr, sizeof gErr), TB_OK);
  sw_gridClose(&g);
  return dir;
}

static void script_should_match_the_golden_file(void **state) {
  (void)state;
  const int cells[] = {0, 1, 2, 3, 5, 7, 8, 9, 12};
  const char *const args[] = {"--partition=gpu", "--time=02:00:00", "--account=lab"};
  tbBuf b;
  tb_bufInit(&b, 1 << 20);
  sw_sbatchScript(&b, "/opt/tracebot/bin/tracebot", "/scratch/lab/sweep-1", cells, 9, 4, args, 3);
  assert_false(b.failed);
  char golden[512];
  const char *src = getenv("TRACEBOT_SOURCE_DIR");
  snprintf(golden, sizeof golden, "%s/tests/sweep/golden/sweep.sbatch", src != NULL ? src : ".");
  size_t n = 0;
  char *want = tb_readFile(golden, 1 << 20, &n, gErr, sizeof gErr);
  assert_non_null(want);
  if (strcmp(want, b.data) != 0) {
    fail_msg("the script differs from %s:\n%s", golden, b.data);
  }
  free(want);
  /* no throttle, no extra option, a quote in the path */
  tb_bufClear(&b);
  sw_sbatchScript(&b, "/bin/tracebot", "/x/it's", cells, 1, 0, NULL, 0);
  assert_non_null(strstr(b.data, "#SBATCH --array=0\n"));
  assert_non_null(strstr(b.data,
                         "exec '/bin/tracebot' sweep --run-cell '/x/it'\\''s' "
                         "\"$SLURM_ARRAY_TASK_ID\"\n"));
  tb_bufClose(&b);
}

static void query_should_read_the_state_of_every_index(void **state) {
  (void)state;
  standIn("squeue", "57_0|COMPLETED\n57_1|RUNNING\n57_[2-3]|PENDING\n57_9|CANCELLED\n", 0);
  swSlurmJob j;
  assert_int_equal(sw_slurmQuery("57", 4, &j, gErr, sizeof gErr), TB_OK);
  assert_true(j.known);
  assert_true(j.active);
  assert_string_equal(j.states[0], "COMPLETED");
  assert_string_equal(j.states[1], "RUNNING");
  assert_null(j.states[2]); /* a pending range names no index */
  sw_slurmJobClose(&j);
  standIn("squeue", "57_0|COMPLETED\n57_1|NODE_FAIL\n", 0);
  assert_int_equal(sw_slurmQuery("57", 4, &j, gErr, sizeof gErr), TB_OK);
  assert_true(j.known);
  assert_false(j.active);
  sw_slurmJobClose(&j);
}

static void query_should_tell_a_forgotten_job_from_a_broken_squeue(void **state) {
  (void)state;
  standIn("squeue", "slurm_load_jobs error: Invalid job id specified\n", 1);
  swSlurmJob j;
  assert_int_equal(sw_slurmQuery("57", 4, &j, gErr, sizeof gErr), TB_OK);
  assert_false(j.known);
  sw_slurmJobClose(&j);
  standIn("squeue", "slurm_load_jobs error: Unable to contact slurm controller\n", 1);
  assert_int_equal(sw_slurmQuery("57", 4, &j, gErr, sizeof gErr), TB_ETOOL);
  assert_string_equal(gErr,
                      "squeue failed for job 57: slurm_load_jobs error: Unable to contact slurm "
                      "controller");
  sw_slurmJobClose(&j);
}

static void finish_should_record_what_slurm_did_not_finish(void **state) {
  (void)state;
  /* a sweep of 4 cells: 0 done, 1 cancelled (squeue), 2 lost (sacct), 3 unknown */
  const char *dir = makeSweep("sweep", 4);
  swSweep s;
  assert_int_equal(sw_sweepOpen(&s, dir, gErr, sizeof gErr), TB_OK);
  swCellState st = {.status = SW_DONE, .attempts = 1};
  assert_int_equal(sw_cellStateWrite(&s, 0, &st, gErr, sizeof gErr), TB_OK);
  standIn("sacct", "88_2|NODE_FAIL\n", 0);
  swSlurmJob j;
  standIn("squeue", "88_0|COMPLETED\n88_1|CANCELLED by 0\n", 0);
  assert_int_equal(sw_slurmQuery("88", s.ncells, &j, gErr, sizeof gErr), TB_OK);
  int cells[] = {0, 1, 2, 3};
  swEngineRun e = {SW_ENGINE_SLURM, "88", 4, cells};
  assert_int_equal(sw_slurmFinish(&s, &e, &j, gErr, sizeof gErr), TB_OK);
  sw_slurmJobClose(&j);
  assert_int_equal(sw_cellStateRead(&s, 0, &st, gErr, sizeof gErr), TB_OK);
  assert_int_equal(st.status, SW_DONE);
  assert_int_equal(sw_cellStateRead(&s, 1, &st, gErr, sizeof gErr), TB_OK);
  assert_int_equal(st.status, SW_FAILED);
  assert_string_equal(st.reason, "Slurm job 88_1 ended CANCELLED before the cell finished");
  assert_string_equal(st.engine_job, "88_1");
  assert_int_equal(sw_cellStateRead(&s, 2, &st, gErr, sizeof gErr), TB_OK);
  assert_string_equal(st.reason, "Slurm job 88_2 ended NODE_FAIL before the cell finished");
  assert_int_equal(sw_cellStateRead(&s, 3, &st, gErr, sizeof gErr), TB_OK);
  assert_int_equal(st.status, SW_FAILED);
  assert_non_null(strstr(st.reason, "ended without finishing the cell"));
  sw_sweepClose(&s);
}

static void submit_should_record_the_job_or_say_why_sbatch_refused(void **state) {
  (void)state;
  const char *dir = makeSweep("submit", 2);
  swOptions o;
  sw_defaultOptions(&o);
  o.engine = SW_ENGINE_SLURM;
  o.engine_given = 1;
  o.tracebot = "/opt/tracebot/bin/tracebot";
  swCounts c;
  standIn("sbatch", "sbatch: error: invalid partition specified: gpu\n", 1);
  assert_int_equal(sw_run(dir, &o, NULL, NULL, &c, gErr, sizeof gErr), TB_ETOOL);
  assert_non_null(strstr(gErr, "sweep.sbatch: sbatch: error: invalid partition specified: gpu"));
  /* a warning before the id */
  standIn("sbatch", "sbatch: warning: no time limit\n4242;cluster\n", 0);
  assert_int_equal(sw_run(dir, &o, NULL, NULL, &c, gErr, sizeof gErr), TB_OK);
  assert_true(c.submitted);
  assert_string_equal(c.engine_job, "4242");
  assert_int_equal(c.pending, 2);
  /* while squeue says it is queued, a resume is refused */
  standIn("squeue", "4242_[0-1]|PENDING\n", 0);
  assert_int_equal(sw_run(dir, &o, NULL, NULL, &c, gErr, sizeof gErr), TB_EINVAL);
  assert_non_null(strstr(gErr, "Slurm job 4242 of"));
  assert_non_null(strstr(gErr, "is still queued or running"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(script_should_match_the_golden_file),
      cmocka_unit_test(query_should_read_the_state_of_every_index),
      cmocka_unit_test(query_should_tell_a_forgotten_job_from_a_broken_squeue),
      cmocka_unit_test(finish_should_record_what_slurm_did_not_finish),
      cmocka_unit_test(submit_should_record_the_job_or_say_why_sbatch_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
