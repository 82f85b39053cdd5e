/* sim: a thin, fault-checked wrapper around MuJoCo 2.2.2.
 *
 * A simWorld owns one mjData and references an mjModel; the model is immutable
 * and may be shared by many worlds (one per worker). Models are loaded from an
 * MJCF string held in memory, so nothing depends on files at run time.
 *
 * Faults: MuJoCo 2.2.2's default error handler waits for Enter and exits, and its
 * warning handler prints. sim installs its own handlers once (sim_installHandlers,
 * called by every function here that enters MuJoCo) that longjmp back to a
 * thread-local guard, so a MuJoCo error becomes TB_EMUJOCO plus a message.
 * MuJoCo also silently resets a diverged simulation (BADQACC/BADQPOS/BADQVEL);
 * sim_step notices the warning counters move and returns TB_EPHYSICS.
 *
 * Errors: functions return 0 or a negative TB_E* code and write a one-line
 * message into (err, errsz) when err is not NULL. Nothing here prints or exits.
 */
#ifndef TRACEBOT_SIM_H
#define TRACEBOT_SIM_H

#include <stddef.h>

#include <mujoco/mujoco.h>

#include "tracebot/episode.h" /* recordings (EP.json) and exact replay */
#include "tracebot/error.h"

/* Errors (tracebot/error.h) returned here:
 *   TB_EINVAL: bad argument (NULL, wrong state size, non-finite value, ...)
 *   TB_EMODEL: the MJCF failed to parse or compile
 *   TB_EPHYSICS: the simulation diverged (BADQACC/BADQPOS/BADQVEL)
 *   TB_ENOMEM: allocation failed
 *   TB_EMUJOCO: MuJoCo raised an error (mju_error) */

typedef struct simWorld simWorld;

/* Installs tracebot's MuJoCo error and warning handlers (process-wide, once;
 * thread-safe, idempotent). Errors raised outside a sim guard are recorded and
 * otherwise ignored; warnings are never printed. */
void sim_installHandlers(void);

/* Compiles a model from an MJCF document held in memory (len bytes, need not be
 * NUL-terminated), through MuJoCo's virtual file system.
 * Ownership: caller frees with sim_freeModel. Errors: NULL, parser message in err. */
mjModel *sim_loadModelXML(const char *xml, size_t len, char *err, size_t errsz);

/* Copies a model (mj_copyModel), e.g. for a worker that changes its parameters while
 * others share the original. Ownership: caller frees with sim_freeModel.
 * Errors: NULL, message in err (out of memory, MuJoCo error). */
mjModel *sim_copyModel(const mjModel *m, char *err, size_t errsz);

/* Frees a model from sim_loadModelXML or sim_copyModel. Nullable. Free every world using it
 * first. */
void sim_freeModel(mjModel *m);

/* Makes a world (one mjData) for model m, reset to the model's initial state and
 * forwarded. The model must outlive the world.
 * Ownership: caller frees with sim_free. Errors: NULL, message in err. */
simWorld *sim_make(const mjModel *m, char *err, size_t errsz);

/* Frees a world. Nullable. */
void sim_free(simWorld *w);

/* The model and data behind a world (never NULL for a valid world). */
const mjModel *sim_model(const simWorld *w);
mjData *sim_data(simWorld *w);

/* Resets the data to the model's initial state (mj_resetData) and forwards it.
 * Errors: TB_EMUJOCO. */
int sim_reset(simWorld *w, char *err, size_t errsz);

/* Recomputes the derived quantities (positions, contacts, ...) of the current
 * state (mj_forward). Errors: TB_EMUJOCO, TB_EPHYSICS. */
int sim_forward(simWorld *w, char *err, size_t errsz);

/* Advances nsteps physics steps (mj_step). Allocates nothing.
 * Errors: TB_EINVAL for nsteps < 0; TB_EPHYSICS when MuJoCo flagged a bad
 * qacc/qpos/qvel during these steps (MuJoCo has then reset the data: the state
 * is no longer the trajectory's); TB_EMUJOCO when MuJoCo raised an error. */
int sim_step(simWorld *w, int nsteps, char *err, size_t errsz);

/* Runs nsteps bare mj_step calls with no checks at all: the reference loop the
 * benchmark compares env steps against. */
void sim_rawSteps(simWorld *w, long nsteps);

/* Number of doubles in a flat state of model m:
 * time, qpos[nq], qvel[nv], act[na], mocap_pos[3*nmocap], mocap_quat[4*nmocap],
 * ctrl[nu], qacc_warmstart[nv] (the solver's warm start, so that stepping on from a
 * restored state is bit-identical to the original run). */
size_t sim_stateSize(const mjModel *m);

/* Copies the world's state into state (sim_stateSize doubles). */
void sim_getState(const simWorld *w, double *state);

/* Restores a state read by sim_getState on a world of the same model (n must be
 * sim_stateSize) and forwards it, so positions and contacts match the state.
 * Errors: TB_EINVAL for a wrong size or a non-finite value (the world is
 * unchanged), TB_EMUJOCO / TB_EPHYSICS from the forward pass. */
int sim_setState(simWorld *w, const double *state, size_t n, char *err, size_t errsz);

/* The number of divergences (TB_EPHYSICS results) sim_step and sim_forward have
 * reported for this world since it was made. */
long sim_faultCount(const simWorld *w);

/* The message of the last MuJoCo error or warning raised on this thread ("" if
 * none), e.g. to explain a TB_EPHYSICS. */
const char *sim_lastMessage(void);

#endif /* TRACEBOT_SIM_H */
