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
    "controller in the sandbox, shows the LLM the execution trace of one episode and the\n"
    "feedback, takes its rewrite, and tests it on held-out starts. Everything goes to the\n"
    "run directory (config.json, iterations.jsonl, controller_best.c, controller_final.c,\n"
    "summary.json, episodes/). Progress: one line per iteration on stderr.\n"
    "Protocols:\n"
    "  pool (default)  each iteration runs the controller on every training start\n"
    "                  (--train-seeds, parallel sandboxes) and shows the trace of one that\n"
    "                  fails, with how the whole pool did; the run ends when nothing is left\n"
    "                  to learn: success on every training start (converged), TERMINATE,\n"
    "                  or --patience answers in a row that change nothing; a request is\n"
    "                  never sent twice; the memory shows each controller once\n"
    "  paper           the paper's: one training start (--train-seed), an LLM call every\n"
    "                  iteration, the paper's memory\n"
    "  --task T               one of {tasks}\n"
    "  --llm SPEC             one of {llms}\n"
    "                         (default: $TRACEBOT_LLM)\n"
    "  --protocol NAME        pool (default) | paper\n"
    "  --optimizer NAME       optoprime (default) | opro\n"
    "  --memory K             OptoPrime memory of past iterations (default 10; 0 = NoMem)\n"
    "  --memory-chars N       pool: most characters of memory text, oldest out first\n"
    "                         (default 1000; 0 = no cap)\n"
    "  --mask trace|none      trace: the paper's Masked ablation (hide #Documentation,\n"
    "                         #Code, #Inputs, #Others; hints go to the feedback)\n"
    "  --iters N              iterations at most (default 30)\n"
    "  --until converged|iters  pool: end once the controller succeeds on every training\n"
    "                         start (converged, default), or go on to --iters with fresh\n"
    "                         starts joining the pool\n"
    "  --patience K           pool: end after K answers in a row that leave the\n"
    "                         controller as it was (default 5; 0 = never)\n"
    "  --horizon H            controller calls per episode (default 10)\n"
    "  --mode relative|absolute  action meaning (default relative)\n"
    "  --hints expert|none    per-step hint text in the trace (default expert)\n"
    "  --train-seeds A:B      pool: the training starts (default 0:10)\n"
    "  --train-seed S         the (first) training start (default 0; paper: the one)\n"
    "  --test-seeds A:B       held-out starts (default 100:110 for pool, disjoint from the\n"
    "                         training starts; 1:11 for paper)\n"
    "  --jobs N               parallel episodes, training pool and test (default 2)\n"
    "  --init F.c             initial controller (default: one that returns zeros)\n"
    "  --perturb SPEC         perturb the training and test episodes, each drawn from its\n"
    "                         seed: none (default), mild, strong, or knobs such as\n"
    "                         friction=0.5:1.5,obs_noise=0.003,latency=2; the feedback\n"
    "                         names the training episode's draw\n"
    "  --train-perturb SPEC   the training episodes' only (overrides --perturb)\n"
    "  --test-perturb SPEC    the test episodes' only (overrides --perturb)\n"
    "  --max-tokens-total N   stop cleanly once N tokens are used (default: no limit)\n"
    "  --llm-timeout S        seconds per LLM request (default 120)\n"
    "  --llm-attempts N       tries per LLM request, with backoff (default 5)\n"
    "  --out DIR              run directory (default runs/TASK-YYYYMMDD-HHMMSS)\n"
    "  --resume DIR           continue a stopped run from its last complete iteration\n"
    "                         (it loads the task plug-in the run's config.json names)\n"
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
  char pool[48] = "";
  if (p->pool_starts > 1) {
    snprintf(pool, sizeof pool, "  starts %d/%d", p->pool_successes, p->pool_starts);
  }
  fprintf(stderr,
          "[%3d/%d] train: %s return %7.2f%s%s%s  next test: %.2f  update: %-9s  tokens %lld "
          "(total %lld)  %.1fs\n",
          p->iteration, p->iters, p->train_success ? "success" : "fail   ", p->train_return,
          p->train_fault != NULL ? " fault " : "", p->train_fault != NULL ? p->train_fault : "",
          pool, p->test_success_rate, p->llm_call ? p->outcome : "no call", p->tokens,
          p->tokens_total, p->elapsed_s);
}

/* Parses a flag that takes one of two words into *out (0 for the first). Returns 0, or
 * CLI_USAGE with the message. */
static int parseChoice(const char *flag, const char *v, const char *first, const char *second,
                       int *out) {
  if (strcmp(v, first) != 0 && strcmp(v, second) != 0) {
    return cli_usage("%s must be %s or %s, got '%s'", flag, first, second, v);
  }
  *out = strcmp(v, second) == 0;
  return 0;
}

/* Parses the pool protocol's flags. Returns 0, CLI_USAGE, or -1 when flag is not one. */
static int poolFlag(const char *flag, const char *v, agTrainConfig *cfg) {
  int rc = -1;
  int choice = 0;
  if (strcmp(flag, "--protocol") == 0) {
    rc = parseChoice(flag, v, "pool", "paper", &choice);
    cfg->protocol = choice ? AG_PROTOCOL_PAPER : AG_PROTOCOL_POOL;
  } else if (strcmp(flag, "--until") == 0) {
    rc = parseChoice(flag, v, "converged", "iters", &choice);
    cfg->until = choice ? AG_UNTIL_ITERS : AG_UNTIL_CONVERGED;
  } else if (strcmp(flag, "--patience") == 0) {
    rc = cli_parseInt(flag, v, 0, 100000, &cfg->patience);
  } else if (strcmp(flag, "--memory-chars") == 0) {
    int n = 0;
    rc = cli_parseInt(flag, v, 0, 10000000, &n);
    cfg->memory_chars = (size_t)n;
  } else if (strcmp(flag, "--train-seeds") == 0) {
    char why[256];
    uint64_t b = 0;
    uint64_t e = 0;
    if (ag_parseSeedRange(v, &b, &e, why, sizeof why) != TB_OK) {
      return cli_usage("--train-seeds: %s", why);
    }
    cfg->train_seed = b;
    cfg->train_starts = (int)(e - b);
    rc = 0;
  }
  return rc;
}

/* --perturb, --train-perturb, --test-perturb: the specific flags win over --perturb
 * whatever the order. Returns -1 when flag is none of them, 0 when taken, else an exit
 * status (message printed). */
static int perturbFlag(cliArgs *a, const char *flag, const char *value, agTrainConfig *cfg,
                       unsigned *given) {
  static const char *const names[] = {"--perturb", "--train-perturb", "--test-perturb", NULL};
  if (!cli_isOneOf(flag, names)) {
    return -1;
  }
  const char *v = cli_value(a, flag, value);
  envPerturb p;
  if (v == NULL || cli_parsePerturb(flag, v, &p) != 0) {
    return CLI_USAGE;
  }
  int both = strcmp(flag, "--perturb") == 0;
  int train = both || strcmp(flag, "--train-perturb") == 0;
  if (train && !(both && (*given & 2u))) {
    cfg->rollout.env.perturb = p;
  }
  if (!train || (both && !(*given & 4u))) {
    cfg->test_perturb = p;
  }
  *given |= both ? 1u : train ? 2u : 4u;
  return 0;
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
                                      "--protocol",
                                      "--until",
                                      "--patience",
                                      "--memory-chars",
                                      "--train-seeds",
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
  int rc = poolFlag(flag, v, cfg);
  if (rc >= 0) {
    return rc != 0 ? CLI_USAGE : -1;
  }
  rc = 0;
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
    rc = cli_parseSeed(flag, v, &cfg->train_seed);
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
    if (rc == 0 && n > 1000000000000000000ull) { /* what config.json keeps */
      return cli_usage("--max-tokens-total must be at most 10^18, got '%s'", v);
    }
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

/* One line on stderr for a run that ended before --iters. */
static void stopMessage(const agTrainSummary *sum) {
  const char *r = sum->stop_reason;
  if (strcmp(r, "replay_end") == 0) {
    fprintf(stderr, "tracebot: the replayed run has no more answers after %d iterations\n",
            sum->iterations);
  } else if (strcmp(r, "budget") == 0) {
    fprintf(stderr, "tracebot: token budget spent after %d iterations\n", sum->iterations);
  } else if (strcmp(r, "converged") == 0) {
    fprintf(stderr,
            "tracebot: converged: the controller succeeds on all %d training starts (%d LLM "
            "calls)\n",
            sum->train_starts, sum->llm_calls);
  } else if (strcmp(r, "terminate") == 0) {
    fprintf(stderr, "tracebot: the LLM answered TERMINATE after %d iterations\n", sum->iterations);
  } else if (strcmp(r, "patience") == 0) {
    fprintf(stderr,
            "tracebot: stopped after %d iterations: the answers no longer change the "
            "controller, or every request left would repeat one already sent\n",
            sum->iterations);
  }
}

int cli_cmdTrain(cliArgs *a) {
  agTrainConfig cfg;
  ag_defaultTrain(&cfg);
  int haveTask = 0;
  int json = 0;
  int view = 0;
  int itersGiven = 0;
  int budgetGiven = 0;
  unsigned perturbGiven = 0; /* bits: --perturb, --train-perturb, --test-perturb */
  char otherGiven[64] = "";  /* the first flag that --resume cannot take (a copy: the
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
    int rc = perturbFlag(a, flag, value, &cfg, &perturbGiven);
    if (rc == 0) {
      continue;
    }
    rc = rc < 0 ? trainFlag(a, flag, value, &cfg, &haveTask, &out, &resume, &json, &view) : rc;
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
    /* bad settings, a malformed run to resume, a recording with too few answers, a run's
     * task plug-in that does not load: input */
    int input = rc == TB_EINVAL || rc == TB_EFORMAT || rc == TB_EEXHAUSTED || rc == TB_ELOAD;
    return input ? cli_usage("%s", err) : cli_fail("%s", err);
  }
  stopMessage(&sum);
  if (json) {
    cJSON *o = ag_trainSummaryJson(&sum);
    return o != NULL ? cli_printJson(o) : cli_fail("out of memory");
  }
  printf(
      "trained %d iterations (%d LLM calls) in %s: best test success %.2f, final %.2f; "
      "tokens %lld prompt + %lld completion; stop: %s\n",
      sum.iterations, sum.llm_calls, sum.out, sum.best_test_success_rate,
      sum.final_test_success_rate, sum.prompt_tokens, sum.completion_tokens, sum.stop_reason);
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
