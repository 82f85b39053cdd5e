/* agent training: the OptoPrime (or OPRO) control loop over sandboxed rollouts, with a
 * run directory that makes every run resumable and replayable (included by agent.h).
 *
 * Two protocols. The paper's (AG_PROTOCOL_PAPER), one iteration: roll out the current
 * controller on the training seed (sandboxed, recorded) -> build the episode's trace graph
 * (parameter `controller0` as code; action_t = controller(obs=obs_t,
 * controller=controller0), obs_{t+1} = step(action=action_t); a fault becomes an
 * exception node) -> feedback "Success: ..\nReturn: .." (+ the fault) -> backward -> one
 * optimizer step with the LLM -> evaluate the updated controller on the test seeds
 * (parallel sandboxes) -> append one fsynced line to iterations.jsonl and refresh
 * controller_final.c, controller_best.c and summary.json.
 *
 * The pool protocol (AG_PROTOCOL_POOL, the default) runs the controller on every training
 * start of a pool (parallel sandboxes) and shows the LLM the trace of one start where it
 * fails (the worst, not the one shown last time when another fails), with feedback about
 * the whole pool and the task's own diagnostics, a lean memory, and a request never sent
 * before. It ends when nothing is left to learn: the controller succeeds on every
 * training start (converged; with AG_UNTIL_ITERS the pool grows by fresh starts instead),
 * the LLM answers TERMINATE, or patience runs out.
 *
 * Errors: ag_train returns 0 when it ran (or resumed) to its end (summary.stop_reason
 * says which), and a negative TB_E* code otherwise (TB_EINVAL: bad configuration; TB_EFORMAT: a run
 * to resume whose files are malformed, with the file, line and key named; the run directory could
 * not be written; the LLM failed for good) with a one-line message in err. Every complete iteration
 * is on disk before the next starts, so a failed or killed run can be continued with resume (an
 * unterminated last line of iterations.jsonl, the iteration in flight, is cut off; any other bad
 * line stops the resume).
 */
#ifndef TRACEBOT_AGENT_TRAIN_H
#define TRACEBOT_AGENT_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "tracebot/agent.h"
#include "tracebot/llm.h"
#include "tracebot/trace.h"

/* How a run trains (see the top of this header). */
typedef enum agProtocol {
  AG_PROTOCOL_POOL = 0, /* a pool of training starts, stops when nothing is left to learn */
  AG_PROTOCOL_PAPER     /* the paper's: one training start, an LLM call every iteration */
} agProtocol;

/* When a pool-protocol run ends, besides iters, the budget, TERMINATE and patience. */
typedef enum agUntil {
  AG_UNTIL_CONVERGED = 0, /* once the controller succeeds on every training start */
  AG_UNTIL_ITERS          /* never early on success: fresh starts join the pool instead */
} agUntil;

/* The pool protocol's defaults. */
#define AG_POOL_STARTS 10      /* training starts 0:10 */
#define AG_POOL_TEST_BEGIN 100 /* test starts 100:110, disjoint from the pool */
#define AG_PAPER_TEST_BEGIN 1  /* the paper protocol's test starts 1:11 */
#define AG_TEST_STARTS 10      /* either protocol's number of test starts */
#define AG_PATIENCE 5          /* iterations in a row that leave the controller as it was */
#define AG_MEMORY_CHARS                                              \
  1000 /* characters of memory text (a pick-place request stays near \
          12k characters) */

/* A training configuration; ag_defaultTrain fills the defaults. */
typedef struct agTrainConfig {
  agProtocol protocol; /* default AG_PROTOCOL_POOL */
  envTaskId task;
  const char *llm;               /* backend spec (tracebot/llm.h); required */
  trOptimizerKind optimizer;     /* TR_OPTOPRIME (default) or TR_OPRO */
  int memory;                    /* OptoPrime memory K (default 10; 0 = NoMem) */
  int mask_trace;                /* the paper's "Masked": hide #Documentation, #Code,
                                    #Inputs, #Others; hints go to the feedback (default 0) */
  int iters;                     /* iterations (default 30) */
  uint64_t train_seed;           /* the (first) training start (default 0) */
  int train_starts;              /* training starts train_seed .. + train_starts (0: the
                                    protocol's: pool AG_POOL_STARTS, paper 1, the only
                                    number the paper protocol takes) */
  uint64_t test_begin, test_end; /* held-out seeds [begin, end) (begin == end: the
                                    protocol's, pool 100:110, paper 1:11) */
  agUntil until;                 /* pool: default AG_UNTIL_CONVERGED */
  int patience;                  /* pool: end after this many iterations in a row whose
                                    answer left the controller as it was (0: never;
                                    default AG_PATIENCE) */
  size_t memory_chars;           /* pool: most characters of memory text (0: no cap;
                                    default AG_MEMORY_CHARS) */
  int jobs;                      /* parallel episodes, pool and test (default 2) */
  long long max_tokens_total;    /* stop once this many tokens were used (0: no budget) */
  const char *init_source;       /* Nullable: the initial controller (NULL: returns zeros) */
  const char *init_path;         /* Nullable: where init_source came from, for config.json */
  const char *out_dir;           /* run directory (made; must not hold a run already) */
  int resume;                    /* 1: continue the run in out_dir (config from its
                                    config.json; llm (non-NULL), iters (> 0) and
                                    max_tokens_total (>= 0) given here override it) */
  int argc;                      /* the command line, for config.json (Nullable argv) */
  char **argv;
  agRolloutConfig rollout; /* env (horizon, mode, hints, the training episodes'
                              perturbation), limits, sandbox path */
  envPerturb test_perturb; /* the test episodes' perturbation (default none) */
  trLlmOptions llm_options;
} agTrainConfig;

/* What one iteration did, for progress reports (test_* are the results of the
 * controller the iteration produced). Before the first iteration the callback
 * is called once with iteration 0 (the run directory is open; done_before iterations
 * were already in it when resuming). */
typedef struct agTrainProgress {
  int iteration, iters;
  int done_before;
  int llm_call;                    /* 1 when the iteration asked the LLM */
  int pool_starts, pool_successes; /* the controller's training starts and successes */
  int train_success;
  double train_return;
  const char *train_fault; /* fault kind name, or NULL */
  double test_success_rate;
  double test_mean_return;
  const char *outcome; /* "updated", "no_change", "unusable" */
  long long tokens;    /* this iteration's prompt + completion tokens */
  long long tokens_total;
  double elapsed_s; /* since the run (or resume) started */
} agTrainProgress;

/* Called after each iteration is on disk. Nullable. */
typedef void (*agTrainProgressFn)(void *user, const agTrainProgress *p);

/* The run's totals (summary.json holds the same). */
typedef struct agTrainSummary {
  char out[1024];
  int iterations;
  int best_train_success;
  double final_test_success_rate;
  double best_test_success_rate;
  long long prompt_tokens;
  long long completion_tokens;
  int budget_stop;          /* 1 when the token budget ended the run early */
  int replay_end;           /* 1 when a replay: LLM ran out of recorded answers */
  char stop_reason[16];     /* why the run ended: "converged", "iters", "budget", "terminate",
                               "patience" (also: every request left would repeat one already
                               sent), "replay_end"; "" while it runs */
  int llm_calls;            /* requests sent to the LLM */
  long long tokens_to_best; /* tokens spent until the best controller was found (0: the
                               initial one is still the best) */
  int train_starts;         /* the training starts in the pool at the end */
} agTrainSummary;

/* Fills cfg with the defaults above (task reach, no llm, out_dir NULL). */
void ag_defaultTrain(agTrainConfig *cfg);

/* A fresh run directory name: runs/<task>-YYYYMMDD-HHMMSS. */
void ag_defaultRunDir(envTaskId task, char *out, size_t outsz);

/* Runs (or resumes) training as configured; see the top of this header. Nullable:
 * progress, user, summary. */
int ag_train(const agTrainConfig *cfg, agTrainProgressFn progress, void *user,
             agTrainSummary *summary, char *err, size_t errsz);

struct cJSON;

/* The summary as the JSON object of the run's summary.json.
 * Ownership: caller frees with cJSON_Delete. NULL: out of memory. */
struct cJSON *ag_trainSummaryJson(const agTrainSummary *summary);

#endif /* TRACEBOT_AGENT_TRAIN_H */
