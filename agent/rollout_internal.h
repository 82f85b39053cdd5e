/* What ag_rollout and ag_rolloutDriver share (private to agent/). */
#ifndef TRACEBOT_AGENT_ROLLOUT_INTERNAL_H
#define TRACEBOT_AGENT_ROLLOUT_INTERNAL_H

#include <stddef.h>

#include "tracebot/agent.h"

/* Checks what a rollout of cfg needs besides the task: src not NULL, len within
 * AG_SOURCE_MAX, horizon in 1..10000, sane limits. Errors: TB_EINVAL with a message. */
int ag_checkRollout(const agRolloutConfig *cfg, const char *src, size_t len, char *err,
                    size_t errsz);

/* Starts the episode of a checked cfg (ag_checkRollout): copies its task, seed and env
 * settings into ep, clears the fault, allocates cfg->env.horizon steps, finds the sandbox
 * executable (ag_sandboxPath) and starts it with the source (ag_sandboxStart; the child
 * compiles while the caller goes on).
 * Ownership: the caller releases ep with ag_episodeClose (also after an error) and ends
 * sb with ag_sandboxEnd when this returns TB_OK.
 * Errors: TB_ENOMEM, TB_ESANDBOX (no sandbox executable, spawn failed), with a message. */
int ag_startEpisode(agEpisode *ep, const agRolloutConfig *cfg, const char *src, size_t len,
                    agSandbox *sb, char *err, size_t errsz);

#endif /* TRACEBOT_AGENT_ROLLOUT_INTERNAL_H */
