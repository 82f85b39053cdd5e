/* The optimizer's own time per training iteration: a short training run with an LLM that
 * answers at once, and the median of the optimizer_overhead_ms it logged. */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"
#include "tracebot/bench.h"
#include "tracebot/train.h"

static int compareDoubles(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Removes a bench run directory (its files are ours: names known). */
static void removeRun(const char *dir, int iters) {
  static const char *const files[] = {"config.json",       "iterations.jsonl", "controller_final.c",
                                      "controller_best.c", "summary.json",     "reply.txt"};
  char p[PATH_MAX + 64];
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, files[i]);
    unlink(p);
  }
  for (int it = 1; it <= iters; it++) {
    snprintf(p, sizeof p, "%s/episodes/iter_%03d.json", dir, it);
    unlink(p);
  }
  snprintf(p, sizeof p, "%s/episodes", dir);
  rmdir(p);
  rmdir(dir);
}

int ag_benchTrainOverhead(int iters, double *median_ms, char *err, size_t errsz) {
  char dir[] = "/tmp/tracebot-bench-XXXXXX";
  if (iters < 1 || iters > 100 || mkdtemp(dir) == NULL) {
    tb_setErr(err, errsz, "bench: cannot make a scratch run directory in /tmp");
    return TB_EIO;
  }
  /* An LLM that always rewrites the controller with the reach expert's logic */
  char reply[PATH_MAX + 64];
  snprintf(reply, sizeof reply, "%s/reply.txt", dir);
  FILE *f = fopen(reply, "w");
  if (f == NULL) {
    rmdir(dir);
    tb_setErr(err, errsz, "bench: cannot write %s", reply);
    return TB_EIO;
  }
  fputs(
      "{\"reasoning\": \"move to the goal\", \"suggestion\": {\"controller0\": "
      "\"void controller(const obs_t *obs, double action[4]) {\\n  for (int i = 0; i < 3; "
      "i++) action[i] = obs->goal_pos[i] - obs->hand_pos[i];\\n  action[3] = 0.0;\\n}\\n\"}}",
      f);
  fclose(f);
  char llm[PATH_MAX + 96];
  snprintf(llm, sizeof llm, "exec:cat '%s'", reply);
  char out[PATH_MAX + 16];
  snprintf(out, sizeof out, "%s/run", dir);

  agTrainConfig cfg;
  ag_defaultTrain(&cfg);
  cfg.llm = llm;
  cfg.out_dir = out;
  cfg.iters = iters;
  cfg.test_begin = 1;
  cfg.test_end = 3;
  int rc = ag_train(&cfg, NULL, NULL, NULL, err, errsz);

  /* The median of the per-iteration figure the run logged */
  double ms[100];
  int n = 0;
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/iterations.jsonl", out);
  char *text = rc == TB_OK ? tb_readFile(path, 64u << 20, NULL, err, errsz) : NULL;
  for (char *line = text; line != NULL && *line != '\0' && n < iters;) {
    char *nl = strchr(line, '\n');
    cJSON *o = cJSON_ParseWithLength(line, nl != NULL ? (size_t)(nl - line) : strlen(line));
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "optimizer_overhead_ms");
    if (cJSON_IsNumber(v)) {
      ms[n++] = v->valuedouble;
    }
    cJSON_Delete(o);
    line = nl != NULL ? nl + 1 : NULL;
  }
  free(text);
  removeRun(out, iters);
  unlink(reply);
  rmdir(dir);
  if (rc != TB_OK) {
    return rc;
  }
  if (n == 0) {
    tb_setErr(err, errsz, "bench: the training run logged no optimizer overhead");
    return TB_EIO;
  }
  qsort(ms, (size_t)n, sizeof ms[0], compareDoubles);
  *median_ms = ms[n / 2];
  return TB_OK;
}
