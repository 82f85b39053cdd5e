/* episode: one recorded episode, in memory and on disk (EP.json).
 *
 * A simEpisode holds what exact replay and the report need: the metadata of the
 * run (task, seed, horizon, mode, hints, controller hash, the perturbation and its drawn
 * values, timestep, frame skip, model sizes), one flat state per env step (state 0 = right after
 * reset), one annotation per macro-step (observation before the controller call, action, reward,
 * success, hint text, env steps, index of its first state) and the result (success, return, steps,
 * optional fault).
 *
 * A state row is (docs/ARCHITECTURE.md, "Episode recording"):
 *   time, qpos[nq], qvel[nv], act[na], mocap_pos[3*nmocap], mocap_quat[4*nmocap], ctrl[nu]
 * i.e. the first sim_episodeRowSize doubles of sim's flat state (sim's own state
 * adds qacc_warmstart[nv] at the end, which replay does not need).
 *
 * sim knows nothing about tasks: task, mode, hints and the observation are plain
 * data here (the observation mirrors obs_t field by field).
 *
 * Lifecycle: sim_makeEpisode -> append states/steps (amortized growth; call
 * sim_episodeReserve once to make appends allocation-free) -> sim_episodeSetResult
 * -> sim_episodeSave; or sim_episodeLoad -> read -> sim_freeEpisode.
 *
 * Errors: functions return 0 or a negative TB_E* code and write a one-line
 * message naming the bad key or index into (err, errsz) when err is not NULL.
 */
#ifndef TRACEBOT_EPISODE_H
#define TRACEBOT_EPISODE_H

#include <stddef.h>
#include <stdint.h>

#include "tracebot/error.h"

/* Errors (tracebot/error.h) returned here:
 *   TB_EINVAL: bad argument (NULL, negative size, non-finite value, ...)
 *   TB_EIO: the file could not be opened, read, written or renamed
 *   TB_EFORMAT: the file is not a valid tracebot-episode document
 *   TB_ENOMEM: allocation failed (or a size cap was reached) */

#define SIM_EP_TEXT_MAX 64          /* task, mode, hints, hash, fault kind (NUL incl.) */
#define SIM_EP_HINT_MAX 512         /* hint text of one macro-step (NUL included) */
#define SIM_EP_MESSAGE_MAX 512      /* fault message (NUL included) */
#define SIM_EP_FILE_MAX (64u << 20) /* sim_episodeLoad refuses larger files */
#define SIM_EP_MAX_STATES 1000000   /* cap on recorded states */
#define SIM_EP_MAX_STEPS 100000     /* cap on recorded macro-steps */
#define SIM_EP_MAX_DIM 100000       /* cap on each model size (nq, nv, ...) */
#define SIM_EP_PERTURB_MAX 512      /* perturbation spec text (NUL included) */
#define SIM_EP_MAX_PARAMS 16        /* drawn perturbation values */

/* The largest seed anywhere in tracebot: 2^53, the largest integer a JSON number (a double)
 * keeps exactly, so that every seed written to a recording, a run directory or the net
 * protocol reads back as itself. The CLI refuses larger ones at the flag. */
#define SIM_SEED_MAX 9007199254740992ull

/* Model sizes a state row is made of. */
typedef struct simEpisodeSizes {
  int nq, nv, na, nmocap, nu;
} simEpisodeSizes;

/* The observation before a controller call (mirrors obs_t without step/horizon). The
 * second object slot is optional in a file (zero when absent: recordings made before it). */
typedef struct simEpisodeObs {
  double hand_pos[3];
  double gripper_distance_apart;
  double obj_pos[3];
  double obj_quat[4];
  double goal_pos[3];
  double obj2_pos[3];
  double obj2_quat[4];
} simEpisodeObs;

/* One macro-step (one controller call). */
typedef struct simEpisodeStep {
  int step;          /* macro-step index, 0-based */
  int state;         /* index of the state the observation was taken in */
  int env_steps;     /* env steps this macro-step ran */
  simEpisodeObs obs; /* observation before the call */
  double action[4];
  double reward;
  int success;                /* 0/1 after the macro-step */
  char hint[SIM_EP_HINT_MAX]; /* "" when there is no hint */
} simEpisodeStep;

/* How the episode ended. */
typedef struct simEpisodeResult {
  int success;   /* 0/1 */
  double ret;    /* the return ("return" in the file) */
  int steps;     /* macro-steps run */
  int has_fault; /* 0: "fault": null */
  char fault_kind[SIM_EP_TEXT_MAX];
  char fault_message[SIM_EP_MESSAGE_MAX];
  int fault_step;
} simEpisodeResult;

/* One named number of the metadata (a drawn perturbation value). */
typedef struct simEpisodeParam {
  char name[SIM_EP_TEXT_MAX];
  double value;
} simEpisodeParam;

/* Metadata of the episode. Strings are NUL-terminated and truncated to fit. */
typedef struct simEpisodeInfo {
  char task[SIM_EP_TEXT_MAX];
  uint64_t seed; /* at most 2^53 so that JSON keeps it exact */
  int horizon;
  char mode[SIM_EP_TEXT_MAX];  /* "relative" | "absolute" */
  char hints[SIM_EP_TEXT_MAX]; /* "expert" | "none" */
  char controller_hash[SIM_EP_TEXT_MAX];
  /* the episode's perturbation, plain data here: its spec ("" for none: the file then has
     no "perturb" key) and the values it drew, perturb_values[0 .. nperturb) */
  char perturb[SIM_EP_PERTURB_MAX];
  int nperturb;
  simEpisodeParam perturb_values[SIM_EP_MAX_PARAMS];
  double timestep; /* MuJoCo timestep (s) */
  int frame_skip;  /* mj_steps per env step */
  simEpisodeSizes sizes;
} simEpisodeInfo;

/* The recording. Read fields directly; change it only through the functions below. */
typedef struct simEpisode {
  simEpisodeInfo info;
  int row;        /* doubles per state row (sim_episodeRowSize(&info.sizes)) */
  double *states; /* nstates rows of `row` doubles */
  int nstates, cap_states;
  simEpisodeStep *steps; /* nsteps annotations */
  int nsteps, cap_steps;
  simEpisodeResult result;
  double *scratch; /* row + nv doubles: one full sim state (record/restore) */
} simEpisode;

/* Doubles in one state row for these sizes, or -1 if a size is negative or too big. */
int sim_episodeRowSize(const simEpisodeSizes *sizes);

/* Makes an empty episode with this metadata (info->sizes fixes the row size).
 * Ownership: caller frees with sim_freeEpisode. Errors: NULL, message in err
 * (bad sizes, non-finite timestep, allocation failure). */
simEpisode *sim_makeEpisode(const simEpisodeInfo *info, char *err, size_t errsz);

/* Frees an episode. Nullable. */
void sim_freeEpisode(simEpisode *ep);

/* Empties the states, steps and result, keeping the metadata and the memory. */
void sim_episodeClear(simEpisode *ep);

/* Grows the storage to hold at least nstates states and nsteps steps, so that
 * the appends that follow allocate nothing. Errors: TB_EINVAL, TB_ENOMEM. */
int sim_episodeReserve(simEpisode *ep, int nstates, int nsteps, char *err, size_t errsz);

/* Appends one state row of n doubles (n must equal ep->row, all finite).
 * Errors: TB_EINVAL (wrong size, non-finite value: nothing appended),
 * TB_ENOMEM (growth failed or SIM_EP_MAX_STATES reached). */
int sim_episodeAppendState(simEpisode *ep, const double *state, size_t n, char *err, size_t errsz);

/* Appends a macro-step annotation (copied; the hint is truncated to fit). Its
 * numbers must be finite and its state index within [0, nstates).
 * Errors: TB_EINVAL, TB_ENOMEM (as for states). */
int sim_episodeAppendStep(simEpisode *ep, const simEpisodeStep *step, char *err, size_t errsz);

/* Sets the result. fault_kind NULL means no fault (message and step then ignored).
 * Errors: TB_EINVAL for a non-finite return. */
int sim_episodeSetResult(simEpisode *ep, int success, double ret, int steps, const char *fault_kind,
                         const char *fault_message, int fault_step, char *err, size_t errsz);

/* The state row k (0 <= k < nstates), or NULL when out of range. */
const double *sim_episodeState(const simEpisode *ep, int k);

/* The macro-step shown at state k: the last step whose first state is <= k,
 * or -1 if there is none (the states before the first call). */
int sim_episodeStepAt(const simEpisode *ep, int k);

/* Number of video frames at fps frames per second when the episode plays in
 * real (recorded) time: floor(duration * fps) + 1; 0 for an empty episode. */
int sim_episodeFrameCount(const simEpisode *ep, double fps);

/* The state shown in video frame i at fps: the last state whose time is <= the
 * frame's time (clamped to the episode). -1 for an empty episode. */
int sim_episodeFrameState(const simEpisode *ep, double fps, int i);

/* Writes the episode as EP.json (docs/ARCHITECTURE.md), numbers with %.17g so that every
 * double reads back bit for bit, through path.tmp + rename (no partial file).
 * Errors: TB_EINVAL (NULL, non-finite value), TB_EIO (open/write/rename). */
int sim_episodeSave(const simEpisode *ep, const char *path, char *err, size_t errsz);

/* Reads an EP.json written by sim_episodeSave, validating strictly: size cap,
 * "format"/"version", every key's type, array lengths equal to the sizes, finite
 * numbers, state indices in range. The message names the bad key and index,
 * e.g. "states[3]: expected 47 numbers, got 46".
 * Ownership: caller frees with sim_freeEpisode. Errors: NULL, message in err. */
simEpisode *sim_episodeLoad(const char *path, char *err, size_t errsz);

/* Same as sim_episodeLoad for a document in memory (len bytes, need not be
 * NUL-terminated). */
simEpisode *sim_episodeParse(const char *text, size_t len, char *err, size_t errsz);

/* ---- With a simWorld (sim.h): recording and exact replay ---- */

typedef struct simWorld simWorld;

/* Appends the world's current state (the first ep->row doubles of sim_getState).
 * The world's model must have the episode's sizes. Allocates nothing beyond the
 * amortized growth of the states array (suits an env step hook).
 * Errors: TB_EINVAL (size mismatch), TB_ENOMEM. */
int sim_episodeRecord(simEpisode *ep, const simWorld *w, char *err, size_t errsz);

/* Sets the world to recorded state k (sim_setState + forward, no stepping), so
 * qpos, qvel, mocap and ctrl equal the recorded bits (the recorded qpos is put
 * back after the forward pass, which renormalizes quaternions in place); the
 * solver warm start is left as it was. Errors: TB_EINVAL (k out of range,
 * size mismatch), or the TB_E* code of sim_setState. */
int sim_episodeRestore(simEpisode *ep, int k, simWorld *w, char *err, size_t errsz);

#endif /* TRACEBOT_EPISODE_H */
