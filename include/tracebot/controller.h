/* The controller dialect: what every controller sees.
 *
 * A controller is C source defining
 *
 *     void controller(const obs_t *obs, double action[4]);
 *
 * tracebot compiles it in memory with libtcc against this prelude, so a controller
 * needs no #include (including <math.h> or <string.h> is harmless). The same file
 * also compiles unchanged with gcc/clang after `#include "controller.h"`, which is
 * how a learned controller moves into a real robot's control loop.
 *
 * action[0..2]: hand displacement in metres (relative mode) or the absolute hand
 * target (absolute mode); action[3]: gripper effort in [-1, 1], +1 closes.
 * `static` variables keep state within one episode.
 */
#ifndef TRACEBOT_CONTROLLER_H
#define TRACEBOT_CONTROLLER_H

/* One observation; the same layout for every task (unused fields are zero). The two
 * object slots hold what the task's instruction says (a point of an object and its
 * orientation); the second slot was appended after horizon so that code written for the
 * first layout compiles and reads the same fields. */
typedef struct obs_t {
  double hand_pos[3];            /* hand origin, world frame (m) */
  double gripper_distance_apart; /* 1 open ... ~0.3 closed on nothing */
  double obj_pos[3];             /* object slot 1: position (m) */
  double obj_quat[4];            /* object slot 1: orientation, w x y z */
  double goal_pos[3];            /* goal position (m) */
  int step;                      /* macro-step index, 0 .. horizon-1 */
  int horizon;                   /* number of controller calls in the episode */
  double obj2_pos[3];            /* object slot 2: position (m), zero when unused */
  double obj2_quat[4];           /* object slot 2: orientation, w x y z, zero when unused */
} obs_t;

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* The math the dialect provides (the C library's functions). */
double sqrt(double x);
double fabs(double x);
double fmin(double x, double y);
double fmax(double x, double y);
double sin(double x);
double cos(double x);
double tan(double x);
double asin(double x);
double acos(double x);
double atan(double x);
double atan2(double y, double x);
double pow(double x, double y);
double exp(double x);
double log(double x);
double floor(double x);
double ceil(double x);
double round(double x);
double fmod(double x, double y);
double hypot(double x, double y);
double copysign(double x, double y);
double tanh(double x);

/* The entry point every controller defines. */
void controller(const obs_t *obs, double action[4]);

#endif /* TRACEBOT_CONTROLLER_H */
