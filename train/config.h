/* config.json of a run directory, both ways (private to train/). Apart from runlog
 * because it needs the task table, seed ranges and key redaction, which a reader of runs
 * (the report) must not link. */
#ifndef TRACEBOT_TRAIN_CONFIG_H
#define TRACEBOT_TRAIN_CONFIG_H

#include "tracebot/train.h"

struct cJSON;

/* The config.json object of a run (API keys redacted from the LLM spec and the command
 * line). Ownership: caller frees with cJSON_Delete. NULL: out of memory. */
struct cJSON *ag_runConfigJson(const agTrainConfig *c);

/* Fills c from a run's config.json object o, except what the caller chose for the resumed
 * run: llm (when not NULL), iters (when > 0), max_tokens_total (when >= 0). init_source is
 * NULL when the file has none; a file without "protocol" (written before the pool protocol)
 * is a paper-protocol run with one training start. Strings point into o. init_path, argv,
 * llm_options and the sandbox path are left as they are. A run of a plug-in's task
 * ("task_plugin", the plug-in's real path) loads the plug-in first.
 * Errors: TB_EFORMAT naming the key ("config.json: missing or bad \"memory\""), TB_ELOAD
 * (the task plug-in does not load), TB_ENOMEM. */
int ag_runConfigRead(const struct cJSON *o, agTrainConfig *c, char *err, size_t errsz);

#endif /* TRACEBOT_TRAIN_CONFIG_H */
