/* OPRO prompt rendering: no trace, only the objective and the history of attempts. */
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

#define DEFAULT_OBJECTIVE "Find values of the variables that get the best feedback."

static const char SYSTEM_TEXT[] =
    "You are an optimizer. You are given an objective and a history of attempts: each "
    "attempt lists the values the variables had and the feedback that attempt received. "
    "Propose new values for the variables that should do better than every attempt so far.\n"
    "\n"
    "Reply with a single JSON object in exactly this format:\n"
    "{\n"
    "  \"reasoning\": \"<what the history shows and what to try next>\",\n"
    "  \"suggestion\": {\n"
    "    \"<variable name>\": <new value>,\n"
    "    ...\n"
    "  }\n"
    "}\n"
    "\n"
    "Rules:\n"
    "- Use in \"suggestion\" only the variable names of the attempts, spelled exactly.\n"
    "- Give a number as a JSON number, a vector as a JSON array of numbers, and text or "
    "code as a JSON string.\n"
    "- For code, give the complete new source, keep the function name and signature, and "
    "write line breaks as \\n inside the JSON string.\n"
    "- If the variables need no change, write TERMINATE in \"reasoning\" and leave "
    "\"suggestion\" empty.\n";

int tr_oproRender(const trOptimizer *opt, const trSelection *sel, trPrompt *out, char *err,
                  size_t errsz) {
  char *current = tr_selectionJson(sel);
  tbBuf user;
  tb_bufInit(&user, TR_MAX_TEXT_BYTES);
  tb_bufPuts(&user, "#Objective\n");
  tb_bufPuts(&user, opt->opts.objective ? opt->opts.objective : DEFAULT_OBJECTIVE);
  tb_bufPuts(&user, "\n\n#Constraints\n");
  for (int v = 0; v < sel->nvars; v++) {
    const trParam *p = sel->vars[v]->param;
    if (p->constraint && *p->constraint) {
      tb_bufPrintf(&user, "(%s) %s: %s\n", tr_kindName(p->kind), p->name, p->constraint);
    }
  }
  /* history: the remembered attempts, then the current one, oldest first */
  tb_bufPuts(&user, "\n#History\n");
  if (opt->opts.memory_style == TR_MEMORY_LEAN) {
    if (tr_leanMemory(opt, sel, 1, &user) != 0) {
      user.failed = 1;
    }
  } else {
    for (int i = 0; i < opt->nmemory; i++) {
      tb_bufPuts(&user, opt->memory[i]);
      tb_bufPutc(&user, '\n');
    }
    tb_bufPuts(&user, current ? current : "");
    tb_bufPutc(&user, '\n');
  }
  tb_bufPuts(&user, "\nYour response:\n");
  if (!current) {
    user.failed = 1;
  }
  free(current);
  char *text = tb_bufTake(&user);
  char *system = malloc(sizeof SYSTEM_TEXT);
  if (!text || !system) {
    free(text);
    free(system);
    tb_setErr(err, errsz, "out of memory rendering the OPRO prompt");
    return TB_ENOMEM;
  }
  memcpy(system, SYSTEM_TEXT, sizeof SYSTEM_TEXT);
  out->system = system;
  out->user = text;
  return 0;
}
