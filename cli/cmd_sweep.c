/* tracebot sweep: flags -> a grid (sw_gridReadSpec, sw_gridSet*) -> sw_create and sw_run,
 * with one progress line on stderr; --resume, --status and --run-cell (what each worker and
 * Slurm array task runs). */
#define _DEFAULT_SOURCE /* readlink */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "commands.h"
#include "tracebot/sweep.h"

const char cli_sweepHelp[] =
    "Trains a grid of runs: every task x variant x repeat is one cell, an ordinary run\n"
    "directory DIR/runs/TASK/VARIANT/rK/ made by `tracebot train` (every command works on\n"
    "it). The cells run on a local pool of worker processes or as a Slurm job array;\n"
    "DIR/summary.json gathers their results and `tracebot report DIR` draws them.\n"
    "Progress: one line on stderr.\n"
    "  --tasks T1,T2|all      the tasks: {tasks}\n"
    "  --variants V1,V2       trace (train's defaults), nomem (--memory 0), masked\n"
    "                         (--mask trace), opro (--optimizer opro); default trace\n"
    "  --repeats R            repeats of each task and variant (default 1)\n"
    "  --repeat-offset N      repeat r trains from the training seed(s) + r*N (default 1000)\n"
    "  --spec FILE            a JSON sweep file: tasks, variants, repeats, flags, and a grid\n"
    "                         over any train flag (e.g. two LLMs); see sweep/README.md\n"
    "  --out DIR              the sweep directory (required)\n"
    "  --engine local|slurm   where the cells run (default local)\n"
    "  --jobs N               local: worker processes (default: half the CPUs);\n"
    "                         slurm: at most N array tasks at once (default: no limit)\n"
    "  --sbatch-arg ARG       slurm: one sbatch option, e.g. --partition=P, --time=2:00:00,\n"
    "                         --account=A (repeat it for more)\n"
    "  --wait                 slurm: follow the job to its end (default: submit and return)\n"
    "  --poll S               slurm: seconds between squeue calls (default 5)\n"
    "  --json                 print the summary as one JSON object on stdout\n"
    "  any train flag         given to every cell: --llm, --iters, --test-seeds, ... (not\n"
    "                         --task, --out, --resume, --view, --json; train's --jobs goes\n"
    "                         in a spec file's flags); a variant's own flags win over these\n"
    "  --resume DIR           run the cells of DIR that are not done (a started one goes on\n"
    "                         with train --resume), on the engine of the last run unless\n"
    "                         --engine says; takes --engine, --jobs, --wait, --poll,\n"
    "                         --sbatch-arg, --json\n"
    "  --status DIR           the state of every cell (and of the sweep's Slurm job)\n"
    "  --run-cell DIR INDEX   run one cell (what each worker and array task runs)\n"
    "API keys are never written to DIR: the cells inherit the environment (OPENAI_API_KEY,\n"
    "ANTHROPIC_API_KEY, TRACEBOT_LLM), on this machine and in a Slurm job (--export=ALL).\n"
    "Exit status: 0 when every cell is done (or the Slurm job was submitted), 1 when some\n"
    "failed (continue with --resume DIR), 2 for a bad grid or flag.\n";

#define MAX_SBATCH_ARGS 32

/* The command line. */
typedef struct sweepArgs {
  const char *tasks, *variants, *spec, *out;
  const char *resume, *status, *runCell, *cellIndex;
  int repeats;
  long long offset;
  int json;
  const char *other; /* the first flag that only a new sweep takes */
  swOptions opts;
  const char *sbatch[MAX_SBATCH_ARGS];
  swGrid grid; /* the train flags */
} sweepArgs;

/* The sweep's own flags that take a value. */
static const char *const kValueFlags[] = {
    "--tasks", "--variants", "--repeats",    "--spec",   "--out",    "--repeat-offset", "--engine",
    "--jobs",  "--poll",     "--sbatch-arg", "--resume", "--status", "--run-cell",      NULL};
/* Those --resume takes too. */
static const char *const kResumeFlags[] = {"--engine", "--jobs", "--poll", "--sbatch-arg",
                                           "--wait",   "--json", NULL};

/* One of the sweep's own flags. Returns -1 to go on, else an exit status. */
static int ownFlag(cliArgs *a, const char *flag, const char *v, sweepArgs *s) {
  int rc = 0;
  if (strcmp(flag, "--tasks") == 0) {
    s->tasks = v;
  } else if (strcmp(flag, "--variants") == 0) {
    s->variants = v;
  } else if (strcmp(flag, "--spec") == 0) {
    s->spec = v;
  } else if (strcmp(flag, "--out") == 0) {
    s->out = v;
  } else if (strcmp(flag, "--repeats") == 0) {
    rc = cli_parseInt(flag, v, 1, 1000, &s->repeats);
  } else if (strcmp(flag, "--repeat-offset") == 0) {
    uint64_t n = 0;
    rc = cli_parseU64(flag, v, &n);
    if (rc == 0 && n > 1000000000000ULL) {
      rc = cli_usage("--repeat-offset must be at most 1000000000000, got '%s'", v);
    }
    s->offset = (long long)n;
  } else if (strcmp(flag, "--engine") == 0) {
    if (strcmp(v, "local") != 0 && strcmp(v, "slurm") != 0) {
      return cli_usage("--engine must be local or slurm, got '%s'", v);
    }
    s->opts.engine = strcmp(v, "slurm") == 0 ? SW_ENGINE_SLURM : SW_ENGINE_LOCAL;
    s->opts.engine_given = 1;
  } else if (strcmp(flag, "--jobs") == 0) {
    rc = cli_parseInt(flag, v, 1, 4096, &s->opts.jobs);
  } else if (strcmp(flag, "--poll") == 0) {
    rc = cli_parseDouble(flag, v, 0.1, 3600, &s->opts.poll_s);
  } else if (strcmp(flag, "--sbatch-arg") == 0) {
    if (s->opts.nsbatch_args == MAX_SBATCH_ARGS) {
      return cli_usage("at most %d --sbatch-arg", MAX_SBATCH_ARGS);
    }
    s->sbatch[s->opts.nsbatch_args++] = v;
  } else if (strcmp(flag, "--resume") == 0) {
    s->resume = v;
  } else if (strcmp(flag, "--status") == 0) {
    s->status = v;
  } else {
    s->runCell = v;
    s->cellIndex = a->i < a->argc ? a->argv[a->i++] : NULL;
  }
  return rc != 0 ? CLI_USAGE : -1;
}

/* Reads the command line into s. Returns -1 to go on, else an exit status. */
static int parse(cliArgs *a, sweepArgs *s) {
  const char *flag;
  const char *value;
  int r;
  char err[512];
  while ((r = cli_nextOption(a, &flag, &value)) > 0) {
    if (!cli_isOneOf(flag, kResumeFlags) && strcmp(flag, "--resume") != 0 &&
        strcmp(flag, "--status") != 0 && strcmp(flag, "--run-cell") != 0 && s->other == NULL) {
      s->other = strdup(flag);
      if (s->other == NULL) {
        return cli_fail("out of memory");
      }
    }
    if (value == NULL && (strcmp(flag, "--wait") == 0 || strcmp(flag, "--json") == 0)) {
      s->opts.wait |= strcmp(flag, "--wait") == 0;
      s->json |= strcmp(flag, "--json") == 0;
      continue;
    }
    const char *v = cli_value(a, flag, value);
    if (v == NULL) {
      return CLI_USAGE;
    }
    if (cli_isOneOf(flag, kValueFlags)) {
      int rc = ownFlag(a, flag, v, s);
      if (rc >= 0) {
        return rc;
      }
    } else if (sw_gridSetFlag(&s->grid, flag, v, err, sizeof err) != TB_OK) {
      /* any other flag is a train flag of every cell, checked by train's parser below */
      return cli_usage("sweep: %s", err);
    }
  }
  return r < 0 ? CLI_USAGE : -1;
}

/* ---------------------------------------------------------------- output */

/* One progress line: rewritten in place on a terminal, else a line when a cell ends. */
typedef struct progressLine {
  int tty;
  int shown;
  int lastEnded;
} progressLine;

static void onProgress(void *user, const swCounts *c) {
  progressLine *p = user;
  int ended = c->done + c->failed;
  if (!p->tty && p->shown && ended == p->lastEnded) {
    return;
  }
  fprintf(stderr, "%ssweep: %d/%d done, %d running, %d failed, %d pending  %.0fs%s",
          p->tty ? "\r" : "", c->done, c->total, c->running, c->failed, c->pending, c->elapsed_s,
          p->tty ? "   " : "\n");
  fflush(stderr);
  p->shown = 1;
  p->lastEnded = ended;
}

/* A number of a summary entry with digits decimals, for the status lines ("-" when null). */
static void fmtNumber(const cJSON *e, const char *key, int digits, char *out, size_t outsz) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, key);
  if (cJSON_IsNumber(v)) {
    snprintf(out, outsz, "%.*f", digits, v->valuedouble);
  } else {
    snprintf(out, outsz, "-");
  }
}

/* One line per cell. */
static void printCells(const cJSON *summary) {
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(summary, "cells")) {
    char name[160];
    char fin[16];
    char best[16];
    char iters[16];
    char wall[24];
    snprintf(name, sizeof name, "%s/%s/r%d",
             cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "task")),
             cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "variant")),
             (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "repeat")));
    fmtNumber(e, "final_test_success", 2, fin, sizeof fin);
    fmtNumber(e, "best_test_success", 2, best, sizeof best);
    fmtNumber(e, "iterations", 0, iters, sizeof iters);
    fmtNumber(e, "wall_s", 1, wall, sizeof wall - 1);
    strcat(wall, strcmp(wall, "-") != 0 ? "s" : "");
    const char *reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "reason"));
    printf("  %04d %-32s %-8s iters %-4s final %-5s best %-5s wall %s%s%s\n",
           (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "index")), name,
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "status")), iters, fin, best,
           wall, reason != NULL ? "  " : "", reason != NULL ? reason : "");
  }
}

/* The end of a run or resume: the summary (JSON or one line) and the exit status. */
static int finish(const char *dir, const sweepArgs *s, const swCounts *c) {
  cJSON *summary = NULL;
  char err[1024] = "";
  swCounts now;
  if (sw_status(dir, &now, &summary, err, sizeof err) != TB_OK) {
    return cli_fail("sweep: %s", err);
  }
  int interrupted = s->opts.stop != NULL && *s->opts.stop;
  if (s->json) {
    cli_printJson(summary);
  } else {
    cJSON_Delete(summary);
    if (c->submitted) {
      printf(
          "sweep %s: Slurm job %s has %d cell%s to run; follow it with tracebot sweep "
          "--status %s\n",
          dir, now.engine_job, now.total - now.done, now.total - now.done == 1 ? "" : "s", dir);
    } else {
      printf(
          "sweep %s: %d cells: %d done, %d failed, %d not run (%.1f s); summary in "
          "%s/summary.json\n",
          dir, now.total, now.done, now.failed, now.pending + now.running, c->elapsed_s, dir);
    }
  }
  if (interrupted && !c->submitted) {
    return cli_fail("sweep interrupted: continue with tracebot sweep --resume %s", dir);
  }
  if (!c->submitted && now.done < now.total) {
    return cli_fail(
        "%d of %d cells are not done (reasons in %s/summary.json); continue with "
        "tracebot sweep --resume %s",
        now.total - now.done, now.total, dir, dir);
  }
  return CLI_OK;
}

/* ---------------------------------------------------------------- the modes */

/* Checks one cell's train flags with train's own parser. */
static int checkCell(void *user, const swFlags *args) {
  (void)user;
  char *argv[2 * SW_MAX_FLAGS];
  for (int i = 0; i < args->n; i++) {
    argv[2 * i] = args->name[i];
    argv[2 * i + 1] = args->value[i];
  }
  return cli_checkTrainFlags("sweep", 2 * args->n, argv);
}

static int runSweep(const char *dir, sweepArgs *s) {
  progressLine line = {isatty(STDERR_FILENO), 0, -1};
  swCounts c;
  char err[1024] = "";
  int rc = sw_run(dir, &s->opts, onProgress, &line, &c, err, sizeof err);
  if (line.tty && line.shown) {
    fputc('\n', stderr);
  }
  if (rc != TB_OK) {
    return rc == TB_EINVAL || rc == TB_EFORMAT ? cli_usage("sweep: %s", err)
                                               : cli_fail("sweep: %s", err);
  }
  return finish(dir, s, &c);
}

static int newSweep(sweepArgs *s) {
  char err[1024] = "";
  if (s->out == NULL) {
    return cli_usage("sweep: --out DIR is required (the sweep directory)");
  }
  int rc = s->spec != NULL ? sw_gridReadSpec(&s->grid, s->spec, err, sizeof err) : TB_OK;
  if (rc == TB_OK && s->tasks != NULL) {
    rc = sw_gridSetTasks(&s->grid, s->tasks, err, sizeof err);
  }
  if (rc == TB_OK && s->variants != NULL) {
    rc = sw_gridSetVariants(&s->grid, s->variants, err, sizeof err);
  }
  if (s->repeats > 0) {
    s->grid.repeats = s->repeats;
  }
  if (s->offset >= 0) {
    s->grid.repeat_offset = s->offset;
  }
  if (rc != TB_OK) {
    return rc == TB_ENOMEM ? cli_fail("sweep: %s", err) : cli_usage("sweep: %s", err);
  }
  /* every cell's flags as train parses them: a bad one is train's own message */
  rc = sw_gridEachVariant(&s->grid, checkCell, NULL, err, sizeof err);
  if (rc > 0) {
    return rc;
  }
  if (rc == TB_OK) {
    rc = sw_checkOptions(s->out, &s->opts, err, sizeof err);
  }
  if (rc == TB_OK) {
    rc = sw_create(s->out, &s->grid, err, sizeof err);
  }
  if (rc != TB_OK) {
    return rc == TB_ENOMEM ? cli_fail("sweep: %s", err) : cli_usage("sweep: %s", err);
  }
  return runSweep(s->out, s);
}

static int status(const sweepArgs *s) {
  cJSON *summary = NULL;
  swCounts c;
  char err[1024] = "";
  int rc = sw_status(s->status, &c, &summary, err, sizeof err);
  if (rc != TB_OK) {
    return rc == TB_ENOMEM || rc == TB_EIO ? cli_fail("sweep: %s", err)
                                           : cli_usage("sweep: %s", err);
  }
  if (s->json) {
    return cli_printJson(summary);
  }
  printf("sweep %s: %d cells: %d done, %d running, %d failed, %d pending%s%s%s\n", s->status,
         c.total, c.done, c.running, c.failed, c.pending, c.engine_job[0] ? " (Slurm job " : "",
         c.engine_job, c.engine_job[0] ? ")" : "");
  printCells(summary);
  cJSON_Delete(summary);
  return CLI_OK;
}

static int runCell(const sweepArgs *s) {
  char *end = NULL;
  long index = s->cellIndex != NULL ? strtol(s->cellIndex, &end, 10) : -1;
  if (s->cellIndex == NULL || end == s->cellIndex || *end != '\0' || index < 0 ||
      index >= SW_MAX_CELLS) {
    return cli_usage("sweep: --run-cell DIR INDEX needs a cell index, got '%s'",
                     s->cellIndex != NULL ? s->cellIndex : "");
  }
  /* a worker of the local engine stops with its sweep process */
  const char *parent = getenv("TRACEBOT_SWEEP_PARENT");
  if (parent != NULL) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if ((long)getppid() != strtol(parent, NULL, 10)) {
      return cli_fail("sweep: cell %ld: its sweep process is gone", index);
    }
  }
  int done = 0;
  char err[1024] = "";
  int rc = sw_runCell(s->runCell, (int)index, &s->opts, &done, err, sizeof err);
  if (rc != TB_OK) {
    return rc == TB_EINVAL || rc == TB_EFORMAT ? cli_usage("sweep: %s", err)
                                               : cli_fail("sweep: %s", err);
  }
  return done ? CLI_OK
              : cli_fail("sweep: cell %ld of %s failed (see its entry in summary.json)", index,
                         s->runCell);
}

int cli_cmdSweep(cliArgs *a) {
  sweepArgs s;
  memset(&s, 0, sizeof s);
  s.offset = -1;
  sw_defaultOptions(&s.opts);
  s.opts.sbatch_args = s.sbatch;
  sw_gridInit(&s.grid);
  int rc = parse(a, &s);
  /* the tracebot the cells run: this one */
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  self[n > 0 ? n : 0] = '\0';
  s.opts.tracebot = self;
  /* a signal stops waiting: the local engine stops its cells, Slurm's go on */
  s.opts.stop = cli_catchStop(SIGINT);
  cli_catchStop(SIGTERM);
  cli_catchStop(SIGHUP);
  int modes = (s.resume != NULL) + (s.status != NULL) + (s.runCell != NULL);
  if (rc >= 0) {
    /* parse printed the message */
  } else if (n <= 0) {
    rc = cli_fail("sweep: cannot find the tracebot executable (/proc/self/exe)");
  } else if (modes > 1) {
    rc = cli_usage("sweep: --resume, --status and --run-cell go alone");
  } else if (modes == 1 && s.other != NULL &&
             (s.status != NULL || s.runCell != NULL || !cli_isOneOf(s.other, kResumeFlags))) {
    rc = cli_usage("sweep: %s cannot go with %s (see tracebot sweep --help)", s.other,
                   s.resume != NULL   ? "--resume"
                   : s.status != NULL ? "--status"
                                      : "--run-cell");
  } else if (s.resume != NULL) {
    rc = runSweep(s.resume, &s);
  } else if (s.status != NULL) {
    rc = status(&s);
  } else if (s.runCell != NULL) {
    rc = runCell(&s);
  } else {
    rc = newSweep(&s);
  }
  sw_gridClose(&s.grid);
  free((char *)s.other);
  return rc;
}
