/* tracebot: the command-line tool. A thin layer over the libraries: the command table
 * below, the process-wide setup and the dispatch; each command lives in cmd_<name>.c
 * (parse flags into a config, call one library function, print). The CLI contract:
 * exit 0 when the command did its job, 2 for usage or bad input (one "tracebot: ..."
 * line on stderr), 1 otherwise. */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "tracebot/llm.h"

/* What main prepares before a command runs (cliCommand.setup). */
enum {
  /* talks to an LLM: curl is initialised before any thread, and SIGPIPE is ignored so
   * that a closed pipe (e.g. `| head`) cannot kill a run half-way through a write */
  CLI_SETUP_LLM = 1
};

/* One row per command: `tracebot --help` prints name, summary and usage; `tracebot NAME
 * --help` prints the usage and the help text; dispatch calls run. */
typedef struct cliCommand {
  const char *name;
  const char *summary; /* one line */
  const char *usage;   /* synopsis lines, '\n'-separated, each "tracebot NAME ..." */
  const char *help;    /* the rest of NAME --help, beside the handler */
  int (*run)(cliArgs *a);
  unsigned setup; /* CLI_SETUP_* bits */
} cliCommand;

static const cliCommand kCommands[] = {
    {"tasks", "list the tasks", "tracebot tasks [--json]", cli_tasksHelp, cli_cmdTasks, 0},
    {"run", "run one sandboxed episode of a controller",
     "tracebot run --task T --controller F.c [--seed N] [--driver D] [flags]", cli_runHelp,
     cli_cmdRun, 0},
    {"eval", "evaluate a controller over a seed range",
     "tracebot eval --task T --controller F.c --seeds A:B [--jobs N] [flags]", cli_evalHelp,
     cli_cmdEval, 0},
    {"train", "train a controller with an LLM (OptoPrime or OPRO)",
     "tracebot train --task T [--llm SPEC] [flags]\n"
     "tracebot train --resume DIR [--llm SPEC] [--iters N] [--max-tokens-total N]",
     cli_trainHelp, cli_cmdTrain, CLI_SETUP_LLM},
    {"replay", "play back a recorded episode: window, video, PNG",
     "tracebot replay EP.json [--view] [--video OUT.mp4] [--png OUT.png --frame K]\n"
     "                [--size WxH] [--fps F] [--no-overlay]",
     cli_replayHelp, cli_cmdReplay, 0},
    {"report", "learning curve and report.html of a run directory",
     "tracebot report DIR [--frames N]", cli_reportHelp, cli_cmdReport, 0},
    {"bench", "measure stepping speed, sandbox overhead, eval speedup, rendering",
     "tracebot bench [--task T] [--json]", cli_benchHelp, cli_cmdBench, 0},
    {"sweep", "train a grid of tasks x variants x repeats, locally or on Slurm",
     "tracebot sweep --tasks T1,T2|all [--variants V1,V2] [--repeats R] --out DIR\n"
     "               [--engine local|slurm] [--jobs N] [--wait] [--spec FILE] [train flags]\n"
     "tracebot sweep --resume DIR | --status DIR | --run-cell DIR INDEX",
     cli_sweepHelp, cli_cmdSweep, 0},
    {"serve-sim", "serve the simulator over the net driver protocol on loopback",
     "tracebot serve-sim --task T [--port P] [--horizon H] [--hints expert|none]", cli_serveSimHelp,
     cli_cmdServeSim, 0},
};

enum { kNCommands = (int)(sizeof kCommands / sizeof kCommands[0]) };

/* The flag every command takes (main loads the plug-ins; the commands' parsers pass over
 * it, cli_nextFlag), and its help line. */
static const char kTaskPluginHelp[] =
    "  --task-plugin PATH.so  add the tasks of a task plug-in (tracebot/task_plugin.h;\n"
    "                         repeatable; its code runs inside tracebot: trusted code only)\n";

static const char kEnvironmentHelp[] =
    "tasks: {tasks}\n"
    "  (every command takes --task-plugin PATH.so, repeatable, to add a plug-in's tasks)\n"
    "LLM backends (train --llm SPEC): {llms}\n"
    "\n"
    "environment:\n"
    "  TRACEBOT_LLM      the default --llm SPEC of train (keys in OPENAI_API_KEY and\n"
    "                    ANTHROPIC_API_KEY)\n"
    "  TRACEBOT_SANDBOX  the path of the tracebot-sandbox executable\n";

/* ------------------------------------------------------------- help */

/* Prints text with "{tasks}" and "{llms}" replaced by the task and backend lists. */
static void putHelp(const char *text) {
  for (const char *p = text; *p != '\0'; p++) {
    if (strncmp(p, "{tasks}", 7) == 0) {
      fputs(env_taskList(), stdout);
      p += 6;
    } else if (strncmp(p, "{llms}", 6) == 0) {
      fputs(tr_llmBackendList(), stdout);
      p += 5;
    } else {
      putchar(*p);
    }
  }
}

/* Prints the usage lines of c, the first after first, the others after indent. */
static void putUsage(const cliCommand *c, const char *first, const char *indent) {
  const char *line = c->usage;
  for (const char *lead = first; *line != '\0'; lead = indent) {
    size_t n = strcspn(line, "\n");
    printf("%s%.*s\n", lead, (int)n, line);
    line += n + (line[n] == '\n');
  }
}

static int commandHelp(const cliCommand *c) {
  putUsage(c, "usage: ", "       ");
  putHelp(c->help);
  putHelp(kTaskPluginHelp);
  return CLI_OK;
}

static int mainHelp(void) {
  printf("usage: tracebot COMMAND [flags]\n\ncommands:\n");
  for (int i = 0; i < kNCommands; i++) {
    printf("  %-10s %s\n", kCommands[i].name, kCommands[i].summary);
    putUsage(&kCommands[i], "               ", "               ");
  }
  printf("\n`tracebot COMMAND --help` or `tracebot help COMMAND` describes a command.\n");
  putHelp(kEnvironmentHelp);
  return CLI_OK;
}

/* ------------------------------------------------------------- process-wide setup */

static volatile sig_atomic_t gStop;

static void onStop(int sig) {
  (void)sig;
  gStop = 1;
}

volatile sig_atomic_t *cli_catchStop(int sig) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = onStop;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
  return &gStop;
}

void cli_releaseStop(int sig) {
  signal(sig, SIG_DFL);
}

#if defined(__SANITIZE_ADDRESS__)
/* In sanitizer builds: fontconfig (through cairo's text in the report) keeps caches
 * for the life of the process, which LeakSanitizer would report at exit. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:libfontconfig\n";
}
#endif

/* ------------------------------------------------------------- task plug-ins */

/* Loads every --task-plugin PATH (or --task-plugin=PATH) of argv[from..argc), in order,
 * before the command reads a flag, so that --task and the help texts see their tasks.
 * Returns CLI_OK, or CLI_USAGE with the one-line message printed. */
static int loadTaskPlugins(int argc, char **argv, int from) {
  size_t n = strlen(CLI_TASK_PLUGIN);
  for (int i = from; i < argc; i++) {
    const char *path = NULL;
    if (strcmp(argv[i], CLI_TASK_PLUGIN) == 0) {
      if (i + 1 >= argc) {
        return cli_usage("%s needs a value (the path of a task plug-in)", CLI_TASK_PLUGIN);
      }
      path = argv[++i];
    } else if (strncmp(argv[i], CLI_TASK_PLUGIN, n) == 0 && argv[i][n] == '=') {
      path = argv[i] + n + 1;
    } else {
      continue;
    }
    char err[1024];
    if (env_loadTaskPlugin(path, err, sizeof err) != TB_OK) {
      return cli_usage("%s", err);
    }
  }
  return CLI_OK;
}

/* ------------------------------------------------------------- dispatch */

static const cliCommand *findCommand(const char *name) {
  for (int i = 0; i < kNCommands; i++) {
    if (strcmp(name, kCommands[i].name) == 0) {
      return &kCommands[i];
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    return cli_usage("no command given (see tracebot --help)");
  }
  /* tracebot --help | -h | help [COMMAND] */
  const char *name = argv[1];
  int helpWord = strcmp(name, "help") == 0;
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || (helpWord && argc == 2)) {
    return mainHelp();
  }
  if (helpWord) {
    name = argv[2];
  }
  const cliCommand *c = findCommand(name);
  if (c == NULL) {
    return cli_usage("unknown command '%s' (see tracebot --help)", name);
  }
  /* the plug-ins' tasks first: flags, messages and help texts name them */
  int rc = loadTaskPlugins(argc, argv, helpWord ? 3 : 2);
  if (rc != CLI_OK) {
    return rc;
  }
  /* tracebot COMMAND ... --help ... */
  for (int i = 2; i < argc; i++) {
    helpWord |= strcmp(argv[i], "--help") == 0;
  }
  if (helpWord) {
    return commandHelp(c);
  }
  /* the command */
  if (c->setup & CLI_SETUP_LLM) {
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
  }
  cliArgs a = {.argc = argc, .argv = argv, .i = 2, .cmd = c->name};
  rc = c->run(&a);
  if (c->setup & CLI_SETUP_LLM) {
    curl_global_cleanup();
  }
  return rc;
}
