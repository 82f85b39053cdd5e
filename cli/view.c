/* What commands share to show episodes: the model of a recording's task (replay, the
 * report's strips) and the live viewer (run --view, train --view). Drawing needs the
 * optional viewer target (TRACEBOT_HAVE_VIEWER); without it the live view says so in
 * one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#ifdef TRACEBOT_HAVE_VIEWER
#include "tracebot/viewer.h"
#endif

/* ------------------------------------------------------------- a recording's model */

const mjModel *cli_openEpisodeModel(const simEpisode *ep, cliEpisodeModel *em, char *err,
                                    size_t errsz) {
  memset(em, 0, sizeof *em);
  int id = env_lookup(ep->info.task);
  if (id < 0) {
    snprintf(err, errsz,
             "the episode's task '%s' is not one of ours (tasks: %s; a plug-in's task needs "
             "its --task-plugin)",
             ep->info.task, env_taskList());
    return NULL;
  }
  em->spec = env_makeSpec((envTaskId)id, err, errsz);
  em->task = em->spec != NULL ? env_make(em->spec, err, errsz) : NULL;
  return em->task != NULL ? sim_model(env_world(em->task)) : NULL;
}

void cli_closeEpisodeModel(cliEpisodeModel *em) {
  env_free(em->task);
  env_freeSpec(em->spec);
}

/* ------------------------------------------------------------- live view */

struct cliLiveView {
#ifdef TRACEBOT_HAVE_VIEWER
  mjModel *model; /* a copy: the viewer outlives the rollout's spec */
  simViewer *viewer;
  double *state;
  size_t n;
#endif
  int failed;
};

cliLiveView *cli_makeLiveView(void) {
#ifdef TRACEBOT_HAVE_VIEWER
  return calloc(1, sizeof(cliLiveView));
#else
  cli_usage("--view: %s", CLI_NO_VIEWER);
  return NULL;
#endif
}

void cli_liveWatch(void *user, envTask *task) {
  cliLiveView *lv = user;
  if (lv == NULL || lv->failed) {
    return;
  }
#ifdef TRACEBOT_HAVE_VIEWER
  const simWorld *w = env_world(task);
  if (lv->viewer == NULL) {
    char err[512] = "";
    lv->model = mj_copyModel(NULL, sim_model(w));
    lv->n = sim_stateSize(sim_model(w));
    lv->state = malloc(lv->n * sizeof *lv->state);
    lv->viewer = lv->model != NULL && lv->state != NULL
                     ? sim_makeViewer(lv->model, "tracebot", 960, 720, err, sizeof err)
                     : NULL;
    if (lv->viewer == NULL) {
      /* The episode goes on without a window. */
      fprintf(stderr, "tracebot: --view: %s; continuing without the viewer\n",
              lv->state == NULL           ? "out of memory"
              : getenv("DISPLAY") == NULL ? "no display (a live window needs one)"
                                          : err);
      lv->failed = 1;
      return;
    }
  }
  sim_getState(w, lv->state);
  sim_viewerPush(lv->viewer, lv->state, lv->n, NULL);
#else
  (void)task;
#endif
}

void cli_freeLiveView(cliLiveView *lv) {
  if (lv == NULL) {
    return;
  }
#ifdef TRACEBOT_HAVE_VIEWER
  sim_freeViewer(lv->viewer);
  free(lv->state);
  if (lv->model != NULL) {
    mj_deleteModel(lv->model);
  }
#endif
  free(lv);
}
