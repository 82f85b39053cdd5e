/* The host side of the robot-driver ABI: loading drivers, the safety layer, the episode
 * loop over the driver interface, the built-in `sim` and `net` drivers, and the server
 * that exposes a driver (the simulator) over the net protocol (drivers/DRIVERS.md).
 *
 * Lifecycle: ag_makeDriver loads (or picks a built-in) driver and opens it; the result
 * is used by one thread at a time (ag_runDriverEpisode, repeatedly) and released with
 * ag_freeDriver, which stops the robot before closing it.
 *
 * Errors: functions return 0 or a negative TB_E* code and write one line into
 * (err, errsz) when err is not NULL. Nothing here prints, exits or installs signal
 * handlers: main owns SIGINT and passes a flag (see agEpisodeConfig.interrupt).
 */
#ifndef TRACEBOT_DRIVERS_H
#define TRACEBOT_DRIVERS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "tracebot/error.h"
#include "tracebot/controller.h" /* obs_t */
#include "tracebot/driver.h"
#include "tracebot/fault.h" /* agFaultType: AG_FT_SAFETY, AG_FT_DRIVER, ... */

/* Errors (tracebot/error.h) returned here:
 *   TB_EINVAL: bad argument or configuration
 *   TB_ELOAD: the driver could not be loaded or failed its checks
 *   TB_EOPEN: the driver's open failed
 *   TB_EIO: a driver call or a connection failed
 *   TB_ENOMEM */

/* ---------------------------------------------------------------- loading */

typedef struct agDriver agDriver;

/* Loads and opens a driver. spec is "sim" (the MuJoCo simulator, the default when
 * spec is NULL or ""), "net" (TCP client, see DRIVERS.md) or the path of a shared
 * object exporting AG_DRIVER_ENTRY (any spec containing '/' or ending in ".so").
 * config is a JSON object text ("{}" when NULL). host receives the driver's log lines;
 * NULL discards them (the struct is copied).
 * Ownership: caller frees with ag_freeDriver.
 * Nullable: spec, config, host, err.
 * Errors: NULL with one line naming the cause, e.g.
 *   "driver ./x.so: ABI version 3, tracebot speaks 1",
 *   "driver ./x.so: missing entry symbol tracebot_driver_init",
 *   "driver ./x.so: open failed: <the driver's message>". */
agDriver *ag_makeDriver(const char *spec, const char *config, const agDriverHost *host, char *err,
                        size_t errsz);

/* Same as ag_makeDriver for a function table already in this process (built-in
 * drivers, tests). label names the driver in messages. The table must outlive the
 * result; it gets the same ABI, size and NULL-function checks as a plug-in's. */
agDriver *ag_makeDriverFromApi(const agDriverApi *api, const char *label, const char *config,
                               const agDriverHost *host, char *err, size_t errsz);

/* Stops the robot, closes the driver and unloads it. Nullable. */
void ag_freeDriver(agDriver *drv);

/* The driver's function table and open handle (for callers that drive it directly). */
const agDriverApi *ag_driverApi(const agDriver *drv);
void *ag_driverHandle(const agDriver *drv);

/* The driver's name as it declared it. */
const char *ag_driverName(const agDriver *drv);

/* The driver's effective capabilities (describe() when it has one, else the static
 * table), as read once at open. */
void ag_driverCaps(const agDriver *drv, agDriverCaps *caps);

/* The built-in drivers' tables (ABI AG_DRIVER_ABI_VERSION). */
const agDriverApi *ag_simDriverApi(void);
const agDriverApi *ag_netDriverApi(void);

/* The envTask behind an open sim driver handle (for step hooks, recording, rendering).
 * Only valid for handles of ag_simDriverApi. */
typedef struct envTask envTask;
envTask *ag_simDriverTask(void *handle);

/* ---------------------------------------------------------------- safety */

/* Limits between the controller and the robot. 0 (or an empty box) means none. */
typedef struct agSafetyConfig {
  double workspace_lo[3]; /* target box; lo == hi on every axis: no box */
  double workspace_hi[3];
  double max_step;      /* largest target displacement from the hand per step (m) */
  double max_speed;     /* largest hand speed (m/s), with step_duration */
  double step_duration; /* duration of one macro-step (s); 0: max_speed unused */
  int max_violations;   /* e-stop when clamps+limits exceed this; negative: never */
} agSafetyConfig;

/* Interventions of the safety layer and the episode loop, counted per episode. */
typedef struct agSafetyCounts {
  int workspace_clamps; /* target moved into the workspace box */
  int step_limits;      /* target pulled back to max_step */
  int speed_limits;     /* target pulled back to max_speed * step_duration */
  int gripper_clamps;   /* gripper effort clipped to [-1, 1] (not a violation) */
  int nonfinite;        /* NaN/Inf actions rejected (each one e-stops) */
  int watchdog;         /* controller calls that timed out or faulted (robot held) */
  int estops;           /* times the driver was told to stop */
  int violations;       /* steps with a workspace clamp, step or speed limit */
} agSafetyCounts;

/* What ag_safetyFilter did (bit mask). */
enum {
  AG_SAFE_WORKSPACE = 1 << 0,
  AG_SAFE_STEP = 1 << 1,
  AG_SAFE_SPEED = 1 << 2,
  AG_SAFE_GRIPPER = 1 << 3,
  AG_SAFE_REJECT = 1 << 4 /* non-finite input: nothing may be commanded */
};

/* No box, no limits, never e-stop on violations. */
void ag_defaultSafety(agSafetyConfig *cfg);

/* Combines a configuration with a driver's capabilities, the tighter limit winning on
 * each item (box: intersection; an empty intersection keeps the driver's box). */
void ag_mergeSafety(const agSafetyConfig *cfg, const agDriverCaps *caps, agSafetyConfig *out);

/* The safety filter, pure: from the current hand position and a proposed target and
 * gripper effort, computes the target and effort to command. Order: reject non-finite
 * input (AG_SAFE_REJECT, out untouched), clamp the target into the box, pull it back
 * toward the hand to the tighter of max_step and max_speed * step_duration, clip the
 * gripper to [-1, 1]. Returns the AG_SAFE_* mask of what it did (0: passed as is). */
int ag_safetyFilter(const agSafetyConfig *cfg, const double hand[3], const double target[3],
                    double gripper, double out_target[3], double *out_gripper);

/* Adds one filter result (mask) to the counts. */
void ag_safetyCount(agSafetyCounts *counts, int mask);

/* ---------------------------------------------------------------- episodes */

/* What a policy call may return. */
enum {
  AG_POLICY_OK = 0,
  AG_POLICY_CRASH = -1,   /* the controller faulted (signal, bad result, ...) */
  AG_POLICY_TIMEOUT = -2, /* the call exceeded timeout_ms */
  AG_POLICY_MEMORY = -3,  /* the controller hit its memory limit */
  AG_POLICY_SYSCALL = -4  /* the controller made a forbidden system call */
};

/* The controller behind the safety layer: writes action[4] for obs within timeout_ms,
 * or returns an AG_POLICY_* code with a one-line message. */
typedef int (*agPolicyFn)(void *ctx, const obs_t *obs, double action[4], int timeout_ms, char *err,
                          size_t errsz);

typedef struct agEpisodeConfig {
  uint64_t seed;
  int horizon;           /* controller calls (default 10) */
  int absolute;          /* 0: target = hand + action[0:3] (default); 1: target = action */
  int timeout_ms;        /* per controller call, passed to the policy (default 1000) */
  int stop_on_success;   /* end the episode at the first success (default 1) */
  agSafetyConfig safety; /* merged with the driver's caps at start */
  volatile sig_atomic_t *interrupt; /* nonzero: e-stop and end. Nullable */
} agEpisodeConfig;

/* Defaults: seed 0, horizon 10, relative, 1000 ms, stop on success, ag_defaultSafety. */
void ag_defaultEpisode(agEpisodeConfig *cfg);

/* The controller's view of a driver observation: obs_t's fields from o (both object
 * slots), with step and horizon as given. */
void ag_obsFromDriver(const agDriverObs *o, int step, int horizon, obs_t *obs);

/* One macro-step as seen by an observer (pointers valid during the call only). */
typedef struct agEpisodeStep {
  int step;                 /* 0-based */
  const obs_t *obs;         /* what the controller saw */
  const double *action;     /* action[4] it returned */
  const double *target;     /* target[3] commanded after the safety filter */
  double gripper;           /* effort commanded */
  int safety_mask;          /* AG_SAFE_* of this step */
  const agDriverObs *after; /* the driver's observation after the command */
} agEpisodeStep;

typedef void (*agStepFn)(void *user, const agEpisodeStep *step);

typedef struct agEpisodeResult {
  int steps;         /* commands sent */
  double ret;        /* sum of the per-step rewards (0 without AG_DRIVER_CAP_REWARD) */
  int success;       /* success after the last step */
  agFaultType fault; /* AG_FT_NONE, or why the episode ended early (fault.h) */
  int fault_step;    /* step at which the fault happened (-1: none) */
  char fault_message[256];
  agSafetyCounts safety;
  agSafetyConfig limits; /* the merged limits that were applied */
  double last_target[3]; /* last target commanded (the hold target after a watchdog) */
} agEpisodeResult;

/* Runs one episode of the policy on the driver: reset(seed), then up to horizon
 * times: observe, policy, safety filter, command. On a policy timeout or fault the
 * watchdog commands the hand to hold its current position, stops the driver and ends
 * with that fault; a non-finite action, a driver error, too many violations or the
 * interrupt flag stop the driver at once. A faulted episode is still a result.
 * Nullable: on_step, user, err.
 * Errors: TB_EINVAL for bad arguments only (res describes everything else). */
int ag_runDriverEpisode(agDriver *drv, const agEpisodeConfig *cfg, agPolicyFn policy, void *ctx,
                        agStepFn on_step, void *user, agEpisodeResult *res, char *err,
                        size_t errsz);

/* ---------------------------------------------------------------- net server */

typedef struct agServer agServer;

/* Binds a TCP listener on 127.0.0.1:port (0: any free port, see ag_serverPort) that
 * will serve the opened driver (api, handle) over the net protocol. The driver must
 * outlive the server. Ownership: caller frees with ag_freeServer.
 * Errors: NULL, message in err (e.g. "bind 127.0.0.1:80: Permission denied"). */
agServer *ag_makeServer(const agDriverApi *api, void *handle, int port, char *err, size_t errsz);

/* The port the server listens on. */
int ag_serverPort(const agServer *srv);

/* A client that sends nothing for ms milliseconds is disconnected (default 30000;
 * 0: never). */
void ag_serverSetIdleTimeout(agServer *srv, int ms);

/* Serves one client at a time until a client sends "bye" or *stop becomes nonzero
 * (checked at least every 100 ms; nullable). A client that connects while another holds
 * the robot gets one error reply ("busy: ...") and is disconnected; a client idle past
 * the idle timeout gets an error reply and is disconnected. When a client disconnects,
 * the driver is told to stop. Returns 0 on a clean shutdown. Errors: TB_EIO if accept
 * fails. */
int ag_serverRun(agServer *srv, volatile sig_atomic_t *stop, char *err, size_t errsz);

/* Closes the listener and any client. Nullable. Does not close the driver. */
void ag_freeServer(agServer *srv);

/* `tracebot serve-sim`: opens the sim driver with config (JSON: task, horizon, hints),
 * listens on 127.0.0.1:port, calls ready(user, actual_port) once listening (nullable),
 * and serves until "bye" or *stop. */
int ag_serveSim(const char *config, int port, volatile sig_atomic_t *stop,
                void (*ready)(void *user, int port), void *user, char *err, size_t errsz);

#endif /* TRACEBOT_DRIVERS_H */
