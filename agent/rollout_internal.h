/* What ag_rollout and ag_rolloutDriver share (private to agent/). */
#ifndef TRACEBOT_AGENT_ROLLOUT_INTERNAL_H
#define TRACEBOT_AGENT_ROLLOUT_INTERNAL_H

#include <stddef.h>

#include "tracebot/agent.h"

/* Checks what a rollout of cfg needs besides the task: src not NULL, len within
 * AG_SOURCE_MAX, horizon in 1..10000, sane limits. Errors: TB_EINVAL with a message. */
int ag_checkRollout(const agRolloutConfig *cfg, const char *src, size_t len, char *err,
                    size_t errsz);

/* Starts the episode record of a checked cfg (ag_checkRollout): copies its task, seed
 * and env settings, clears the fault, allocates cfg->env.horizon steps, and finds the
 * sandbox executable (*path, see ag_sandboxPath).
 * Ownership: the caller releases ep with ag_episodeClose (also after an error).
 * Errors: TB_ENOMEM, TB_ESANDBOX (no sandbox executable), with a message. */
int ag_beginEpisode(agEpisode *ep, const agRolloutConfig *cfg, const char **path, char *err,
                    size_t errsz);

#endif /* TRACEBOT_AGENT_ROLLOUT_INTERNAL_H */
