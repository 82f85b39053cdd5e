/* A fake robot driver plug-in for the tests, written as a driver author would: it
 * includes only driver.h. Variants are selected by compile definitions:
 *   (none)            a good driver
 *   FAKE_BAD_ABI      declares ABI version 3
 *   FAKE_BAD_SIZE     declares a struct size 8 bytes too small
 *   FAKE_NO_ENTRY     exports no tracebot_driver_init
 *   FAKE_OPEN_FAILS   open always fails with "no robot on /dev/ttyFAKE0"
 *
 * The robot: a point hand that starts at (0, 0.6, 0.2) and jumps to each commanded
 * target; the goal is (0.1, 0.8, 0.2); reward 10 - 10 |hand - goal|; success within
 * 0.02. Every command and stop is logged through the host ("command x y z g",
 * "stop"), which is how the tests see what reached the robot. Config (JSON text, read
 * loosely): "fail_command_at": k makes the k-th command (0-based) fail. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracebot/driver.h"

typedef struct fakeRobot {
  const agDriverHost *host;
  double hand[3];
  double gripper;
  int commands;
  int fail_at;
} fakeRobot;

static const double kGoal[3] = {0.1, 0.8, 0.2};

static void hostLog(fakeRobot *r, const char *msg) {
  if (r->host != NULL && r->host->log != NULL) {
    r->host->log(r->host->host, AG_DRIVER_LOG_INFO, msg);
  }
}

static void *fakeOpen(const char *config, const agDriverHost *host, char *err, size_t errsz) {
#ifdef FAKE_OPEN_FAILS
  (void)config;
  (void)host;
  snprintf(err, errsz, "no robot on /dev/ttyFAKE0");
  return NULL;
#else
  fakeRobot *r = calloc(1, sizeof(*r));
  if (r == NULL) {
    snprintf(err, errsz, "out of memory");
    return NULL;
  }
  r->host = host;
  r->fail_at = -1;
  const char *f = strstr(config, "\"fail_command_at\"");
  if (f != NULL && sscanf(strchr(f, ':') + 1, "%d", &r->fail_at) != 1) {
    snprintf(err, errsz, "bad fail_command_at");
    free(r);
    return NULL;
  }
  return r;
#endif
}

static int fakeReset(void *handle, uint64_t seed, char *err, size_t errsz) {
  (void)seed;
  (void)err;
  (void)errsz;
  fakeRobot *r = handle;
  r->hand[0] = 0.0;
  r->hand[1] = 0.6;
  r->hand[2] = 0.2;
  r->gripper = 0.0;
  r->commands = 0;
  hostLog(r, "reset");
  return 0;
}

static int fakeObserve(void *handle, agDriverObs *obs, char *err, size_t errsz) {
  (void)err;
  (void)errsz;
  fakeRobot *r = handle;
  memcpy(obs->hand_pos, r->hand, sizeof(r->hand));
  obs->gripper_distance_apart = 1.0 - 0.5 * (r->gripper + 1.0) * 0.7;
  memcpy(obs->goal_pos, kGoal, sizeof(kGoal));
  obs->obj_quat[0] = 1.0;
  double d = sqrt(pow(r->hand[0] - kGoal[0], 2) + pow(r->hand[1] - kGoal[1], 2) +
                  pow(r->hand[2] - kGoal[2], 2));
  obs->reward = 10.0 - 10.0 * d;
  obs->success = d <= 0.02;
  snprintf(obs->hint, sizeof(obs->hint), "distance %.3f", d);
  return 0;
}

static int fakeCommand(void *handle, const double target[3], double gripper, char *err,
                       size_t errsz) {
  fakeRobot *r = handle;
  if (r->commands == r->fail_at) {
    snprintf(err, errsz, "joint 3 over torque");
    return -1;
  }
  r->commands++;
  memcpy(r->hand, target, sizeof(r->hand));
  r->gripper = gripper;
  char msg[160];
  snprintf(msg, sizeof(msg), "command %.17g %.17g %.17g %.17g", target[0], target[1], target[2],
           gripper);
  hostLog(r, msg);
  return 0;
}

static void fakeStop(void *handle) {
  hostLog(handle, "stop");
}

static void fakeClose(void *handle) {
  free(handle);
}

#ifdef FAKE_BAD_ABI
#define FAKE_ABI 3u
#else
#define FAKE_ABI AG_DRIVER_ABI_VERSION
#endif

#ifdef FAKE_BAD_SIZE
#define FAKE_SIZE (sizeof(agDriverApi) - 8)
#else
#define FAKE_SIZE sizeof(agDriverApi)
#endif

static const agDriverApi kFakeApi = {
    .abi_version = FAKE_ABI,
    .struct_size = (uint32_t)FAKE_SIZE,
    .name = "fake",
    .caps = {{-0.5, 0.40, 0.05},
             {0.5, 1.0, 0.5},
             0.2,
             1.0,
             0.25,
             AG_DRIVER_CAP_REWARD | AG_DRIVER_CAP_SUCCESS | AG_DRIVER_CAP_HINT},
    .open = fakeOpen,
    .describe = NULL,
    .reset = fakeReset,
    .observe = fakeObserve,
    .command = fakeCommand,
    .stop = fakeStop,
    .close = fakeClose,
};

#ifndef FAKE_NO_ENTRY
const agDriverApi *tracebot_driver_init(const agDriverHost *host);

const agDriverApi *tracebot_driver_init(const agDriverHost *host) {
  if (host == NULL || host->abi_version != AG_DRIVER_ABI_VERSION) {
    return NULL;
  }
  return &kFakeApi;
}
#else
/* Something else exported, so the object is not empty. */
const agDriverApi *tracebot_driver_entry_misspelled(void);

const agDriverApi *tracebot_driver_entry_misspelled(void) {
  return &kFakeApi;
}
#endif
