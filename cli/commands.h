/* The CLI's commands that live in their own files (main.c dispatches to them). Each
 * returns an exit status of the CLI contract (CLI_OK, CLI_FAIL, CLI_USAGE). */
#ifndef TRACEBOT_CLI_COMMANDS_H
#define TRACEBOT_CLI_COMMANDS_H

#include "cli_util.h"

int cli_cmdTrain(cliArgs *a);
int cli_cmdReplay(cliArgs *a);
int cli_cmdReport(cliArgs *a);

/* Offscreen rendering speed (render + read back) at 640x480 of a task's scene, for
 * `tracebot bench`. Returns 0, or -1 with a one-line reason (no display, no viewer). */
int cli_benchRender(envTaskId task, double *fps, char *err, size_t errsz);

/* The live viewer of `run --view` and `train --view`: cli_liveWatch is an envStepHook
 * (agRolloutConfig.watch) that opens a window on the first state and pushes every env
 * step to it. Closing the window (or having no display) never stops the episode.
 * cli_makeLiveView prints a usage line and returns NULL when there is no viewer. */
typedef struct cliLiveView cliLiveView;
cliLiveView *cli_makeLiveView(void);
void cli_liveWatch(void *user, envTask *task);
void cli_freeLiveView(cliLiveView *lv);

/* `tracebot serve-sim` (cmd_driver.c). */
int cli_cmdServeSim(cliArgs *a);

/* `tracebot run --driver SPEC [--driver-config CFG]`: loads the driver (spec sim, net
 * or a .so path; CFG is a JSON object text or a file holding one; for sim, task,
 * horizon and hints default to cfg's), runs one sandboxed episode over it with SIGINT
 * as the e-stop flag, and fills ep (released by the caller with ag_episodeClose) and
 * the driver's name. Returns CLI_OK, or an exit status with the message printed. */
int cli_runDriver(const char *spec, const char *configArg, const agRolloutConfig *cfg,
                  const char *src, size_t len, agEpisode *ep, char *name, size_t namesz);

/* The safety counters as a JSON object (caller owns it) / one text line on stdout. */
struct cJSON *cli_safetyJson(const agSafetyCounts *c);
void cli_printSafety(const agSafetyCounts *c);

#endif /* TRACEBOT_CLI_COMMANDS_H */
