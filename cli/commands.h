/* The commands of the tracebot CLI and what several of them share. main.c holds the
 * command table (name, summary, usage, help, handler) and dispatches to the handlers;
 * each handler lives in cmd_<name>.c, returns an exit status of the CLI contract
 * (CLI_OK, CLI_FAIL, CLI_USAGE) and never sees --help (main prints the row's text). */
#ifndef TRACEBOT_CLI_COMMANDS_H
#define TRACEBOT_CLI_COMMANDS_H

#include <signal.h>

#include "cli_util.h"

/* ---------------------------------------------------------------- the commands */

/* Handlers, one per file. */
int cli_cmdTasks(cliArgs *a);
int cli_cmdRun(cliArgs *a);
int cli_cmdEval(cliArgs *a);
int cli_cmdTrain(cliArgs *a);
int cli_cmdReplay(cliArgs *a);
int cli_cmdReport(cliArgs *a);
int cli_cmdBench(cliArgs *a);
int cli_cmdServeSim(cliArgs *a);
int cli_cmdSweep(cliArgs *a);

/* The text of `tracebot NAME --help` after its usage lines, beside each handler. In
 * every help text "{tasks}" stands for env_taskList() and "{llms}" for
 * tr_llmBackendList() (main expands them), so no text repeats those tables. */
extern const char cli_tasksHelp[];
extern const char cli_runHelp[];
extern const char cli_evalHelp[];
extern const char cli_trainHelp[];
extern const char cli_replayHelp[];
extern const char cli_reportHelp[];
extern const char cli_benchHelp[];
extern const char cli_serveSimHelp[];
extern const char cli_sweepHelp[];

/* ---------------------------------------------------------------- shared by commands */

/* The one line of a command that needs the viewer in a build without it. */
#define CLI_NO_VIEWER "this tracebot was built without the viewer (-DTRACEBOT_VIEWER=OFF)"

/* The stop flag of main's signal handler (main.c), set when a caught signal arrives:
 * cli_catchStop routes sig to it (no SA_RESTART: blocking calls see EINTR and poll the
 * flag) and returns it; cli_releaseStop gives sig its default action back. */
volatile sig_atomic_t *cli_catchStop(int sig);
void cli_releaseStop(int sig);

/* Parses argv[0..argc) ("--flag" "value" pairs) with train's own flag parser (cmd_train.c),
 * so that every train flag is known wherever train flags are passed on (sweep's cells).
 * Returns CLI_OK, or CLI_USAGE with the message printed ("CMD: unknown flag ..."). */
int cli_checkTrainFlags(const char *cmd, int argc, char **argv);

/* The flags run and eval share (episode_flags.c) and their help lines. */
#define CLI_EPISODE_FLAGS_HELP                                                             \
  "  --horizon H          controller calls per episode (default 10)\n"                     \
  "  --hints expert|none  per-step hint text (default expert)\n"                           \
  "  --mode relative|absolute  action meaning (default relative)\n"                        \
  "  --call-ms N          wall-clock limit per controller call (default 1000, 0: off)\n"   \
  "  --episode-s S        wall-clock limit per episode (default 10)\n"                     \
  "  --memory-mib N       sandbox address-space limit (default 256)\n"                     \
  "  --perturb SPEC       perturb each episode, drawn from its seed: none (default),\n"    \
  "                       mild, strong, or knobs such as friction=0.5:1.5,mass=0.8:1.2,\n" \
  "                       obs_noise=0.003,latency=1 (envs/README.md, Perturbations)\n"     \
  "  --json               one JSON object on stdout\n"

typedef struct cliEpisodeOpts {
  agRolloutConfig cfg;
  const char *controller;
  char *src; /* the controller's source (heap, freed by the caller), len bytes */
  size_t len;
  const char *seeds; /* eval --seeds A:B, parsed into seedBegin, seedEnd */
  uint64_t seedBegin;
  uint64_t seedEnd;
  int jobs; /* eval --jobs */
  int json;
  const char *driver;       /* run --driver, or NULL: in-process simulator */
  const char *driverConfig; /* run --driver-config, or NULL */
  int view;                 /* run --view */
} cliEpisodeOpts;

/* Parses the flags of run (isEval 0) or eval (1) into o, checks them (required flags,
 * eval's seed range, combinations) and reads the controller into o->src. Returns
 * CLI_OK, or an exit status with the message printed (o->src is then NULL). */
int cli_parseEpisodeFlags(cliArgs *a, int isEval, cliEpisodeOpts *o);

/* The model of a recorded episode's task (view.c), for replay and the report's strips:
 * a spec and a task whose world holds it. cli_openEpisodeModel returns the model, or
 * NULL with a one-line message (the episode's task is not in the task table, or the
 * model failed); cli_closeEpisodeModel releases em either way. */
typedef struct cliEpisodeModel {
  envSpec *spec;
  envTask *task;
} cliEpisodeModel;
const mjModel *cli_openEpisodeModel(const simEpisode *ep, cliEpisodeModel *em, char *err,
                                    size_t errsz);
void cli_closeEpisodeModel(cliEpisodeModel *em);

/* The live viewer of `run --view` and `train --view` (view.c): cli_liveWatch is an
 * envStepHook (agRolloutConfig.watch) that opens a window on the first state and pushes
 * every env step to it. Closing the window (or having no display) never stops the
 * episode. cli_makeLiveView prints a usage line and returns NULL when there is no
 * viewer. */
typedef struct cliLiveView cliLiveView;
cliLiveView *cli_makeLiveView(void);
void cli_liveWatch(void *user, envTask *task);
void cli_freeLiveView(cliLiveView *lv);

/* `tracebot run --driver SPEC [--driver-config CFG]` (run_driver.c): loads the driver
 * (spec sim, net or a .so path; CFG is a JSON object text or a file holding one; for
 * sim, task, horizon and hints default to cfg's), runs one sandboxed episode over it with
 * SIGINT as the e-stop flag, and fills ep (released by the caller with ag_episodeClose)
 * and the driver's name. Returns CLI_OK, or an exit status with the message printed. */
int cli_runDriver(const char *spec, const char *configArg, const agRolloutConfig *cfg,
                  const char *src, size_t len, agEpisode *ep, char *name, size_t namesz);

#endif /* TRACEBOT_CLI_COMMANDS_H */
