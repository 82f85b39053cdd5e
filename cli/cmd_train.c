/* tracebot train: flags -> agTrainConfig -> ag_train, with one progress line per
 * iteration on stderr. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracebot/train.h"
#include "commands.h"

const char cli_trainHelp[] =
    "Trains a controller for a task with OptoPrime (or OPRO): each iteration runs the\n"
    "controller on the training seed in the sandbox, shows the LLM the execution trace\n"
    "and the feedback, takes its rewrite, and tests it on held-out seeds. Everything\n"
    "goes to the run directory (config.json, iterations.jsonl, controller_best.c,\n"
    "controller_final.c, summary.json, episodes/). Progress: one line per iteration\n"
    "on stderr.\n"
    "  --task T               one of {tasks}\n"
    "  --llm SPEC             one of {llms}\n"
    "                         (default: $TRACEBOT_LLM)\n"
    "  --optimizer NAME       optoprime (default) | opro\n"
    "  --memory K             OptoPrime memory of past iterations (default 10; 0 = NoMem)\n"
    "  --mask trace|none      trace: the paper's Masked ablation (hide #Documentation,\n"
    "                         #Code, #Inputs, #Others; hints go to the feedback)\n"
    "  --iters N              iterations (default 30)\n"
    "  --horizon H            controller calls per episode (default 10)\n"
    "  --mode relative|absolute  action meaning (default relative)\n"
    "  --hints expert|none    per-step hint text in the trace (default expert)\n"
    "  --train-seed S         the training start (default 0)\n"
    "  --test-seeds A:B       held-out starts (default 1:11)\n"
    "  --jobs N               parallel test episodes (default 2)\n"
    "  --init F.c             initial controller (default: one that returns zeros)\n"
    "  --max-tokens-total N   stop cleanly once N tokens are used (default: no limit)\n"
    "  --llm-timeout S        seconds per LLM request (default 120)\n"
    "  --llm-attempts N       tries per LLM request, with backoff (default 5)\n"
    "  --out DIR              run directory (default runs/TASK-YYYYMMDD-HHMMSS)\n"
    "  --resume DIR           continue a stopped run from its last complete iteration\n"
    "  --view                 show each training episode live in a window (closing it\n"
    "                         does not stop training)\n"
    "  --json                 print the summary as one JSON object on stdout\n";

static void onIteration(void *user, const agTrainProgress *p) {
  const char *dir = user;
  if (p->iteration == 0) {
    if (p->done_before > 0) {
      fprintf(stderr, "tracebot: resuming %s after iteration %d of %d\n", dir, p->done_before,
              p->iters);
    } else {
      fprintf(stderr, "tracebot: training in %s\n", dir);
    }
    return;
  }
  fprintf(stderr,
          "[%3d/%d] train: %s return %7.2f%s%s  next test: %.2f  update: %-9s  tokens %lld "
          "(total %lld)  %.1fs\n",
          p->iteration, p->iters, p->train_success ? "success" : "fail   ", p->train_return,
          p->train_fault != NULL ? " fault " : "", p->train_fault != NULL ? p->train_fault : "",
          p->test_success_rate, p->outcome, p->tokens, p->tokens_total, p->elapsed_s);
}

/* Parses one flag of train into cfg. Returns -1 to continue, else an exit status. */
static int trainFlag(cliArgs *a, const char *flag, const char *value, agTrainConfig *cfg,
                     int *haveTask, const char **out, const char **resume, int *json, int *view) {
  if (value == NULL && (strcmp(flag, "--json") == 0 || strcmp(flag, "--view") == 0)) {
    *json |= strcmp(flag, "--json") == 0;
    *view |= strcmp(flag, "--view") == 0;
    return -1;
  }
  static const char *const known[] = {"--task",
                                      "--llm",
                                      "--optimizer",
                                      "--memory",
                                      "--mask",
                                      "--iters",
                                      "--horizon",
                                      "--mode",
                                      "--hints",
                                      "--train-seed",
                                      "--test-seeds",
                                      "--jobs",
                                      "--init",
                                      "--max-tokens-total",
                                      "--out",
                                      "--resume",
                                      "--llm-timeout",
                                      "--llm-attempts",
                                      NULL};
  const char *v = cli_knownValue(a, flag, value, known);
  if (v == NULL) {
    return CLI_USAGE;
  }
  int rc = 0;
  if (strcmp(flag, "--task") == 0) {
    rc = cli_parseTask(v, &cfg->task);
    *haveTask = 1;
  } else if (strcmp(flag, "--llm") == 0) {
    cfg->llm = v;
  } else if (strcmp(flag, "--optimizer") == 0) {
    if (strcmp(v, "optoprime") != 0 && strcmp(v, "opro") != 0) {
      return cli_usage("--optimizer must be optoprime or opro, got '%s'", v);
    }
    cfg->optimizer = strcmp(v, "opro") == 0 ? TR_OPRO : TR_OPTOPRIME;
  } else if (strcmp(flag, "--memory") == 0) {
    rc = cli_parseInt(flag, v, 0, 1000, &cfg->memory);
  } else if (strcmp(flag, "--mask") == 0) {
    if (strcmp(v, "trace") != 0 && strcmp(v, "none") != 0) {
      return cli_usage("--mask must be trace or none, got '%s'", v);
    }
    cfg->mask_trace = strcmp(v, "trace") == 0;
  } else if (strcmp(flag, "--iters") == 0) {
    rc = cli_parseInt(flag, v, 1, 100000, &cfg->iters);
  } else if (strcmp(flag, "--horizon") == 0) {
    rc = cli_parseInt(flag, v, 1, 10000, &cfg->rollout.env.horizon);
  } else if (strcmp(flag, "--mode") == 0) {
    rc = cli_parseMode(v, &cfg->rollout.env.mode);
  } else if (strcmp(flag, "--hints") == 0) {
    rc = cli_parseHints(v, &cfg->rollout.env.hints);
  } else if (strcmp(flag, "--train-seed") == 0) {
    rc = cli_parseU64(flag, v, &cfg->train_seed);
  } else if (strcmp(flag, "--test-seeds") == 0) {
    char why[256];
    if (ag_parseSeedRange(v, &cfg->test_begin, &cfg->test_end, why, sizeof why) != TB_OK) {
      return cli_usage("--test-seeds: %s", why);
    }
  } else if (strcmp(flag, "--jobs") == 0) {
    rc = cli_parseInt(flag, v, 1, 256, &cfg->jobs);
  } else if (strcmp(flag, "--init") == 0) {
    cfg->init_path = v;
  } else if (strcmp(flag, "--max-tokens-total") == 0) {
    uint64_t n = 0;
    rc = cli_parseU64(flag, v, &n);
    cfg->max_tokens_total = (long long)n;
  } else if (strcmp(flag, "--llm-timeout") == 0) {
    rc = cli_parseDouble(flag, v, 0.1, 3600, &cfg->llm_options.timeout_s);
  } else if (strcmp(flag, "--llm-attempts") == 0) {
    rc = cli_parseInt(flag, v, 1, 100, &cfg->llm_options.max_attempts);
  } else if (strcmp(flag, "--out") == 0) {
    *out = v;
  } else {
    *resume = v;
  }
  return rc != 0 ? CLI_USAGE : -1;
}

int cli_cmdTrain(cliArgs *a) {
  agTrainConfig cfg;
  ag_defaultTrain(&cfg);
  int haveTask = 0;
  int json = 0;
  int view = 0;
  int itersGiven = 0;
  int budgetGiven = 0;
  char otherGiven[64] = ""; /* the first flag that --resume cannot take (a copy: the
                               name of a --flag=value lives in cli_nextFlag's buffer) */
  const char *out = NULL;
  const char *resume = NULL;
  const char *flag;
  const char *value;
  int r;
  while ((r = cli_nextOption(a, &flag, &value)) > 0) {
    itersGiven |= strcmp(flag, "--iters") == 0;
    budgetGiven |= strcmp(flag, "--max-tokens-total") == 0;
    static const char *const resumable[] = {"--resume",           "--llm",          "--iters",
                                            "--max-tokens-total", "--view",         "--json",
                                            "--llm-timeout",      "--llm-attempts", NULL};
    if (!cli_isOneOf(flag, resumable) && otherGiven[0] == '\0') {
      snprintf(otherGiven, sizeof otherGiven, "%s", flag);
    }
    int rc = trainFlag(a, flag, value, &cfg, &haveTask, &out, &resume, &json, &view);
    if (rc >= 0) {
      return rc;
    }
  }
  if (r < 0) {
    return CLI_USAGE;
  }
  cfg.rollout.sandbox_path = getenv("TRACEBOT_SANDBOX");

  /* Resume takes its configuration from the run; only --llm and --iters may change. */
  char runDir[1024];
  char *init = NULL;
  if (resume != NULL) {
    if (otherGiven[0] != '\0') {
      return cli_usage(
          "train: --resume takes the run's settings from DIR/config.json; %s "
          "cannot change (only --llm, --iters, --max-tokens-total, --view, "
          "--json, --llm-timeout and --llm-attempts can)",
          otherGiven);
    }
    cfg.resume = 1;
    cfg.out_dir = resume;
    if (!itersGiven) {
      cfg.iters = 0;
    }
    if (!budgetGiven) {
      cfg.max_tokens_total = -1;
    }
  } else {
    if (!haveTask) {
      return cli_usage("train: --task is required (tasks: %s)", env_taskList());
    }
    if (cfg.llm == NULL) {
      cfg.llm = getenv("TRACEBOT_LLM");
    }
    if (cfg.llm == NULL || cfg.llm[0] == '\0') {
      return cli_usage(
          "no LLM configured: pass --llm SPEC with SPEC one of %s, or set "
          "TRACEBOT_LLM to one of those",
          tr_llmBackendList());
    }
    if (cfg.init_path != NULL) {
      size_t len = 0;
      init = cli_readController(cfg.init_path, &len);
      if (init == NULL) {
        return CLI_USAGE;
      }
      cfg.init_source = init;
    }
    if (out == NULL) {
      ag_defaultRunDir(cfg.task, runDir, sizeof runDir);
      out = runDir;
    }
    cfg.out_dir = out;
  }
  cfg.rollout.task = cfg.task;
  cfg.argc = a->argc;
  cfg.argv = a->argv;

  cliLiveView *live = NULL;
  if (view) {
    live = cli_makeLiveView();
    if (live == NULL) {
      free(init);
      return CLI_USAGE;
    }
    cfg.rollout.watch = cli_liveWatch;
    cfg.rollout.watch_user = live;
  }

  agTrainSummary sum;
  char err[2048] = "";
  int rc = ag_train(&cfg, onIteration, (void *)cfg.out_dir, &sum, err, sizeof err);
  cli_freeLiveView(live);
  free(init);
  if (rc != TB_OK) {
    /* bad settings, a malformed run to resume, a recording with too few answers: input */
    int input = rc == TB_EINVAL || rc == TB_EFORMAT || rc == TB_EEXHAUSTED;
    return input ? cli_usage("%s", err) : cli_fail("%s", err);
  }
  if (sum.replay_end) {
    fprintf(stderr, "tracebot: the replayed run has no more answers after %d iterations\n",
            sum.iterations);
  }
  if (sum.budget_stop) {
    fprintf(stderr, "tracebot: token budget spent after %d iterations\n", sum.iterations);
  }
  if (json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "out", sum.out);
    cJSON_AddNumberToObject(o, "iterations", sum.iterations);
    cJSON_AddBoolToObject(o, "best_train_success", sum.best_train_success);
    cJSON_AddNumberToObject(o, "final_test_success_rate", sum.final_test_success_rate);
    cJSON_AddNumberToObject(o, "best_test_success_rate", sum.best_test_success_rate);
    cJSON_AddNumberToObject(o, "prompt_tokens", (double)sum.prompt_tokens);
    cJSON_AddNumberToObject(o, "completion_tokens", (double)sum.completion_tokens);
    cJSON_AddBoolToObject(o, "budget_stop", sum.budget_stop);
    cJSON_AddBoolToObject(o, "replay_end", sum.replay_end);
    return cli_printJson(o);
  }
  printf(
      "trained %d iterations in %s: best test success %.2f, final %.2f; tokens %lld "
      "prompt + %lld completion\n",
      sum.iterations, sum.out, sum.best_test_success_rate, sum.final_test_success_rate,
      sum.prompt_tokens, sum.completion_tokens);
  return CLI_OK;
}

int cli_checkTrainFlags(const char *cmd, int argc, char **argv) {
  agTrainConfig cfg;
  ag_defaultTrain(&cfg);
  int haveTask = 0;
  int json = 0;
  int view = 0;
  const char *out = NULL;
  const char *resume = NULL;
  const char *flag;
  const char *value;
  cliArgs a = {.argc = argc, .argv = argv, .i = 0, .cmd = cmd};
  int r;
  while ((r = cli_nextOption(&a, &flag, &value)) > 0) {
    int rc = trainFlag(&a, flag, value, &cfg, &haveTask, &out, &resume, &json, &view);
    if (rc >= 0) {
      return rc;
    }
  }
  return r < 0 ? CLI_USAGE : CLI_OK;
}
