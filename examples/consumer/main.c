/* A program built on an installed libtracebot, through its public headers only: runs the
 * reach task's scripted expert for seed 0 in the sandbox and prints the outcome.
 * Exit status 0 when the episode succeeds. */
#include <stdio.h>

#include <tracebot/agent.h>
#include <tracebot/envs.h>
#include <tracebot/error.h>

int main(void) {
  /* the reach task, seed 0, default horizon and sandbox limits */
  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  cfg.task = ENV_REACH;
  cfg.seed = 0;

  /* the expert's C source, compiled into the library; it runs in the sandbox child */
  size_t len = 0;
  const char *src = env_expertSource(ENV_REACH, &len);
  if (src == NULL) {
    fprintf(stderr, "consumer: no expert for the reach task\n");
    return 1;
  }

  /* one episode: the sandbox child is found relative to libtracebot */
  agEpisode ep;
  char err[512];
  int rc = ag_rolloutOnce(&cfg, src, len, &ep, err, sizeof err);
  if (rc != TB_OK) {
    fprintf(stderr, "consumer: %s: %s\n", tb_errorName(rc), err);
    ag_episodeClose(&ep);
    return 1;
  }
  if (ep.fault.kind != AG_FT_NONE) {
    fprintf(stderr, "consumer: fault %s at step %d: %s\n", ag_faultName(ep.fault.kind),
            ep.fault.step, ep.fault.message);
  }
  printf("%s seed %llu: success %d return %.3f\n", env_name(cfg.task), (unsigned long long)cfg.seed,
         ep.success, ep.ret);
  int ok = ep.success && ep.fault.kind == AG_FT_NONE;
  ag_episodeClose(&ep);
  return ok ? 0 : 1;
}
