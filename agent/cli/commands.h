/* The CLI's commands that live in their own files (main.c dispatches to them). Each
 * returns an exit status of the CLI contract (CLI_OK, CLI_FAIL, CLI_USAGE). */
#ifndef TRACEBOT_CLI_COMMANDS_H
#define TRACEBOT_CLI_COMMANDS_H

#include "cli_util.h"

int cli_cmdTrain(cliArgs *a);

#endif /* TRACEBOT_CLI_COMMANDS_H */
