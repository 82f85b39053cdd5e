/* viewer_internal.h: helpers shared by the viewer's sources (not installed). */
#ifndef TRACEBOT_SIM_VIEWER_INTERNAL_H
#define TRACEBOT_SIM_VIEWER_INTERNAL_H

#include <stddef.h>

#include "base.h"
#include "tracebot/viewer.h"

/* Writes a one-line message into (err, errsz) when err is not NULL. */

/* Takes one reference on GLFW, initializing it on the first (checks that there
 * is a display first). Errors: TB_ENODISPLAY, TB_EGL. */
int vw_glfwAcquire(char *err, size_t errsz);

/* Drops a reference taken by vw_glfwAcquire (GLFW stays initialized). */
void vw_glfwRelease(void);

/* The last GLFW error description ("" if none). */
const char *vw_glfwLastError(void);

/* Copies state into w: n is sim's full state size or an episode row size
 * (the rest of the full state is kept). scratch holds sim_stateSize doubles. */
int vw_setState(simWorld *w, const double *state, size_t n, double *scratch, char *err,
                size_t errsz);

#endif /* TRACEBOT_SIM_VIEWER_INTERNAL_H */
