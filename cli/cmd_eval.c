/* tracebot eval: a controller over a seed range (ag_eval), with progress on stderr and
 * the success rate, mean return, fault counts and first fault as text or JSON. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base.h"
#include "commands.h"

const char cli_evalHelp[] =
    "Runs one sandboxed episode per seed A, A+1, ..., B-1 and prints the success\n"
    "rate, mean return and fault counts (progress on stderr).\n"
    "  --task T             one of {tasks}\n"
    "  --controller F.c     controller source\n"
    "  --seeds A:B          half-open seed range\n"
    "  --jobs N             episodes run at once (default 1)\n" CLI_EPISODE_FLAGS_HELP;

static void onProgress(void *user, int done, int total, const agEvalEpisode *ep) {
  int *successes = user;
  *successes += ep->success ? 1 : 0;
  /* On a terminal one line that updates in place; in a log a line per tenth. */
  if (isatty(STDERR_FILENO)) {
    fprintf(stderr, "\reval: %d/%d episodes, %d successes%s", done, total, *successes,
            done == total ? "\n" : "");
    return;
  }
  int every = total >= 10 ? total / 10 : 1;
  if (done % every == 0 || done == total) {
    fprintf(stderr, "eval: %d/%d episodes, %d successes\n", done, total, *successes);
  }
}

static int printEvalJson(const cliEpisodeOpts *o, const agEvalSummary *sum,
                         const agEvalEpisode *first) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "task", env_name(sum->task));
  cJSON_AddStringToObject(root, "seeds", o->seeds);
  char perturb[ENV_PERTURB_TEXT_MAX];
  env_perturbText(&o->cfg.env.perturb, perturb, sizeof perturb);
  cJSON_AddStringToObject(root, "perturb", perturb);
  cJSON_AddNumberToObject(root, "episodes", sum->episodes);
  cJSON_AddNumberToObject(root, "successes", sum->successes);
  cJSON_AddNumberToObject(root, "success_rate", sum->success_rate);
  cJSON_AddNumberToObject(root, "mean_return", sum->mean_return);
  cJSON *faults = cJSON_AddObjectToObject(root, "faults");
  for (int k = 1; k < AG_NFAULT_TYPES; k++) {
    cJSON_AddNumberToObject(faults, ag_faultName((agFaultType)k), sum->faults[k]);
  }
  if (first != NULL) {
    cJSON *ff = cJSON_AddObjectToObject(root, "first_fault");
    cJSON_AddNumberToObject(ff, "seed", (double)first->seed);
    cJSON_AddStringToObject(ff, "kind", ag_faultName(first->fault.kind));
    cJSON_AddStringToObject(ff, "message", first->fault.message);
    cJSON_AddNumberToObject(ff, "step", first->fault.step);
    cJSON_AddNumberToObject(ff, "line", first->fault.line);
  } else {
    cJSON_AddNullToObject(root, "first_fault");
  }
  cJSON_AddNumberToObject(root, "jobs", o->jobs);
  cJSON_AddNumberToObject(root, "wall_s", sum->wall_s);
  return cli_printJson(root);
}

static void printEvalText(const cliEpisodeOpts *o, const agEvalSummary *sum,
                          const agEvalEpisode *first) {
  printf("%s seeds %s: success rate %.3f (%d/%d), mean return %.3f, %.1f s\n", env_name(sum->task),
         o->seeds, sum->success_rate, sum->successes, sum->episodes, sum->mean_return, sum->wall_s);
  printf("faults:");
  for (int k = 1; k < AG_NFAULT_TYPES; k++) {
    printf(" %s %d", ag_faultName((agFaultType)k), sum->faults[k]);
  }
  printf("\n");
  if (o->cfg.env.perturb.on != 0) {
    char perturb[ENV_PERTURB_TEXT_MAX];
    env_perturbText(&o->cfg.env.perturb, perturb, sizeof perturb);
    printf("perturb: %s (drawn per seed)\n", perturb);
  }
  if (first != NULL) {
    printf("first fault (seed %llu): %s: ", (unsigned long long)first->seed,
           ag_faultName(first->fault.kind));
    if (first->fault.line > 0) {
      printf("line %d: ", first->fault.line);
    }
    char shown[4 * AG_FAULT_MSG]; /* the message may quote the controller */
    printf("%s\n", tb_printable(first->fault.message, shown, sizeof shown));
  }
}

int cli_cmdEval(cliArgs *a) {
  cliEpisodeOpts o;
  int st = cli_parseEpisodeFlags(a, 1, &o);
  if (st != CLI_OK) {
    return st;
  }
  uint64_t begin = o.seedBegin;
  uint64_t end = o.seedEnd;
  /* the episodes */
  agEvalSummary sum;
  int successes = 0;
  agEvalEpisode *eps = calloc((size_t)(end - begin), sizeof *eps);
  if (eps == NULL) {
    free(o.src);
    return cli_fail("eval: out of memory for %llu episodes", (unsigned long long)(end - begin));
  }
  char err[512];
  int rc = ag_eval(NULL, &o.cfg, o.src, o.len, begin, end, o.jobs, onProgress, &successes, eps,
                   &sum, err, sizeof err);
  free(o.src);
  if (rc != TB_OK) {
    free(eps);
    return rc == TB_EINVAL ? cli_usage("eval: %s", err) : cli_fail("eval: %s", err);
  }
  /* The first fault, so that a person sees why without another run */
  const agEvalEpisode *first = NULL;
  for (int i = 0; i < sum.episodes && first == NULL; i++) {
    first = eps[i].fault.kind != AG_FT_NONE ? &eps[i] : NULL;
  }
  if (o.json) {
    st = printEvalJson(&o, &sum, first);
  } else {
    printEvalText(&o, &sum, first);
  }
  free(eps);
  return st;
}
