/* The scripted experts compiled into the library: the same files the CLI shows
 * users (envs/experts/<task>.c), each renamed from `controller` on inclusion. */
#include <math.h>

#include "tracebot/envs.h"

void env_expertReach_(const obs_t *obs, double action[4]);
void env_expertPush_(const obs_t *obs, double action[4]);
void env_expertPickPlace_(const obs_t *obs, double action[4]);

#define controller env_expertReach_
#include "experts/reach.c"
#undef controller

#define controller env_expertPush_
#include "experts/push.c"
#undef controller

#define controller env_expertPickPlace_
#include "experts/pick_place.c"
#undef controller

void env_expert(envTaskId id, const obs_t *obs, double action[4]) {
  switch (id) {
    case ENV_REACH:
      env_expertReach_(obs, action);
      break;
    case ENV_PUSH:
      env_expertPush_(obs, action);
      break;
    case ENV_PICK_PLACE:
      env_expertPickPlace_(obs, action);
      break;
    default:
      action[0] = action[1] = action[2] = action[3] = 0.0;
      break;
  }
}

extern const char env_expertSrc_reach[];
extern const size_t env_expertSrc_reach_len;
extern const char env_expertSrc_push[];
extern const size_t env_expertSrc_push_len;
extern const char env_expertSrc_pick_place[];
extern const size_t env_expertSrc_pick_place_len;

const char *env_expertSource(envTaskId id, size_t *len) {
  switch (id) {
    case ENV_REACH:
      *len = env_expertSrc_reach_len;
      return env_expertSrc_reach;
    case ENV_PUSH:
      *len = env_expertSrc_push_len;
      return env_expertSrc_push;
    case ENV_PICK_PLACE:
      *len = env_expertSrc_pick_place_len;
      return env_expertSrc_pick_place;
    default:
      *len = 0;
      return NULL;
  }
}
