/* tracebot robot-driver ABI: the only header a driver author needs.
 *
 * A driver is a shared object (built with -fPIC -shared) that exports one C function,
 *
 *     const agDriverApi *tracebot_driver_init(const agDriverHost *host);
 *
 * tracebot dlopen()s the object with RTLD_NOW | RTLD_LOCAL, looks up that one symbol,
 * calls it once, and checks the returned struct's abi_version and struct_size before
 * touching anything else. The returned struct (and every string it points to) must stay
 * valid until the object is unloaded; a static const struct is the usual choice.
 *
 * Call order (one thread at a time per handle):
 *     open -> (reset -> observe -> (command -> observe)*)* -> [stop] -> close
 * `stop` may be called at any time after open, including after an error; it must make
 * the robot hold or brake now and must be safe to call more than once.
 *
 * Errors: every function that can fail returns 0 on success or a negative number, and
 * writes a one-line message (no newline) into err[0..errsz) (err is never NULL, errsz is
 * at least 64). tracebot stops the robot and ends the episode on any error.
 *
 * Units: metres, world frame of the robot base, gripper effort in [-1, 1] (+1 closes).
 */
#ifndef TRACEBOT_DRIVER_H
#define TRACEBOT_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI this header describes. Bump on any incompatible change. Version 2 added the
 * second object slot (obj2_pos, obj2_quat) to agDriverObs; a driver built for 1 is refused. */
#define AG_DRIVER_ABI_VERSION 2u

/* Name of the one symbol a driver exports (type agDriverInitFn). */
#define AG_DRIVER_ENTRY "tracebot_driver_init"

/* Bytes of hint text an observation may carry, NUL included. */
#define AG_DRIVER_HINT_MAX 512

/* Log levels passed to agDriverHost.log. */
enum {
  AG_DRIVER_LOG_DEBUG = 0,
  AG_DRIVER_LOG_INFO = 1,
  AG_DRIVER_LOG_WARN = 2,
  AG_DRIVER_LOG_ERROR = 3
};

/* Capability flags (agDriverCaps.flags). */
enum {
  AG_DRIVER_CAP_REWARD = 1u << 0,  /* observations carry a task reward */
  AG_DRIVER_CAP_SUCCESS = 1u << 1, /* observations carry a task success flag */
  AG_DRIVER_CAP_HINT = 1u << 2     /* observations carry hint text */
};

/* What tracebot offers the driver: passed to the entry function. */
typedef struct agDriverHost {
  uint32_t abi_version; /* AG_DRIVER_ABI_VERSION of the host */
  uint32_t struct_size; /* sizeof(agDriverHost) of the host */
  void *host;           /* opaque; pass back to log */
  /* Logs one line (no newline needed). Thread-safe. */
  void (*log)(void *host, int level, const char *msg);
} agDriverHost;

/* What the robot reports after a reset or a command. Fill every field you know; zero
 * the rest (tracebot zeroes the struct before each call). */
typedef struct agDriverObs {
  double hand_pos[3];            /* hand origin (m) */
  double gripper_distance_apart; /* 1 open ... about 0.3 closed on nothing */
  double obj_pos[3];             /* object position (m), 0 if unknown */
  double obj_quat[4];            /* object orientation w x y z, 0 if unknown */
  double goal_pos[3];            /* goal position (m), 0 if none */
  double obj2_pos[3];            /* second object's position (m), 0 if none */
  double obj2_quat[4];           /* second object's orientation w x y z, 0 if none */
  double reward;                 /* task reward, if AG_DRIVER_CAP_REWARD */
  int success;                   /* 0/1 task success, if AG_DRIVER_CAP_SUCCESS */
  char hint[AG_DRIVER_HINT_MAX]; /* NUL-terminated hint text, if AG_DRIVER_CAP_HINT */
} agDriverObs;

/* Limits and features the driver declares. tracebot's safety layer takes the tighter of
 * these and its own configuration. A limit of 0 means "none declared". */
typedef struct agDriverCaps {
  double workspace_lo[3]; /* hand target box, lower corner (m) */
  double workspace_hi[3]; /* hand target box, upper corner (m); lo == hi: no box */
  double max_step;        /* largest hand displacement per command (m), 0: none */
  double max_speed;       /* largest hand speed (m/s), 0: none */
  double step_duration;   /* nominal duration of one command (s), for max_speed */
  uint32_t flags;         /* AG_DRIVER_CAP_* */
} agDriverCaps;

/* The driver's function table, returned by the entry function. */
typedef struct agDriverApi {
  uint32_t abi_version; /* must equal the host's AG_DRIVER_ABI_VERSION */
  uint32_t struct_size; /* must be sizeof(agDriverApi) */
  const char *name;     /* short name, e.g. "ur5e-rtde" */
  agDriverCaps caps;    /* declared limits (a handle may refine them, see describe) */

  /* Connects to / starts the robot. config is the text of a JSON object (never NULL;
   * "{}" when the user gave none). Returns a handle, or NULL with a message in err. */
  void *(*open)(const char *config, const agDriverHost *host, char *err, size_t errsz);

  /* Optional (may be NULL): the limits of this handle (e.g. read from the robot).
   * Returns 0 and fills caps, or a negative number with a message. */
  int (*describe)(void *handle, agDriverCaps *caps, char *err, size_t errsz);

  /* Starts an episode: moves to the start pose and sets the scene up; seed selects the
   * randomization where the robot has any. Blocks until done. */
  int (*reset)(void *handle, uint64_t seed, char *err, size_t errsz);

  /* Reads the current observation into obs. */
  int (*observe)(void *handle, agDriverObs *obs, char *err, size_t errsz);

  /* One macro-step: drives the hand toward target (m) with gripper effort in [-1, 1]
   * and blocks until the move is done (or the driver's own time budget ends). */
  int (*command)(void *handle, const double target[3], double gripper, char *err, size_t errsz);

  /* Emergency stop: hold or brake now. Must be safe at any time, and idempotent. */
  void (*stop)(void *handle);

  /* Releases the handle (stop first if the robot may be moving). NULL is a no-op. */
  void (*close)(void *handle);
} agDriverApi;

/* The type of the entry symbol. Return NULL to refuse loading (log why first). */
typedef const agDriverApi *(*agDriverInitFn)(const agDriverHost *host);

#ifdef __cplusplus
}
#endif

#endif /* TRACEBOT_DRIVER_H */
