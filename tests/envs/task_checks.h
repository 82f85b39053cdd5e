/* task_checks.h: the checks every per-task test runs the same way (test_door_open.c,
 * test_window_close.c, ...): the fixture, rewards in [0, 10] under random actions,
 * determinism, the zero controller and the expert over a sample of seeds, and a joint setter.
 * Each check takes the fixture that task_setup stored in cmocka's state; its failure messages
 * name the task. */
#ifndef TRACEBOT_TESTS_TASK_CHECKS_H
#define TRACEBOT_TESTS_TASK_CHECKS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tracebot/envs.h"
#include "task.h" /* env_drawTask, the spec's row */

/* One task's spec and task, made once for the whole group. */
typedef struct taskFixture {
  const char *name; /* the task's registered name, e.g. "window-close" */
  envTaskId id;
  envSpec *spec;
  envTask *task;
} taskFixture;

/* What a task asserts about the step where its expert succeeds (NULL: nothing more). */
typedef void (*taskSuccessCheck)(const envStepResult *res);

/* cmocka group setup: looks name up, makes its spec and task into one static fixture and
 * stores it in *state. Returns 0, or -1 when any of that fails. */
int task_setup(void **state, const char *name);

/* cmocka group teardown: frees what task_setup made. */
int task_teardown(void **state);

/* Puts task's joint (a hinge or slide, by name) at q, at rest, and recomputes the state. */
void task_setJoint(envTask *task, const char *joint, double q);

/* Seeds 0-4, 12 macro-steps of uniform actions (+-0.3, gripper +-1.2): every reward is within
 * [0, 10]. */
void task_checkRewardRange(const taskFixture *f);

/* Seed 77 twice, 10 expert steps: the two runs observe the same bytes. */
void task_checkSameEpisode(const taskFixture *f);

/* Seeds 0-9, 10 zero actions each: no step succeeds. */
void task_checkZeroController(const taskFixture *f);

/* Seeds 200-229, horizon 10: the expert succeeds on at least 27 of the 30; onSuccess (if not
 * NULL) checks each succeeding step. */
void task_checkExpert(const taskFixture *f, taskSuccessCheck onSuccess);

/* One drawn coordinate's range: every draw within [lo, hi]; when lo < hi, some draw below
 * below and some above above (the draws fill the range). */
typedef struct taskRange {
  double lo, hi;
  double below, above;
} taskRange;

/* A task's draw: obj's x, y and z in range[0..2]; check (if not NULL) asserts how the goal
 * follows from obj and writes nExtra more values (e.g. a second object's x and y) that must
 * stay in range[3..]. */
typedef struct taskDrawSpec {
  taskRange range[5];
  int nExtra;
  void (*check)(const double obj[3], const double goal[3], double extra[2]);
} taskDrawSpec;

/* Seeds 0-999: env_drawTask stays within d's ranges and fills them. */
void task_checkDraw(const taskFixture *f, const taskDrawSpec *d);

/* What a task's reset looks like: check (if not NULL) asserts where the object is, given the
 * draw; the object's orientation (w x y z) is the identity, exactly (quatAxis 0) or w and
 * q[quatAxis] to 1e-9; the hand starts within 5 mm of hand on the axes in handAxes (bit i for
 * axis i); the reward right after reset is in [0, rewardBelow) without success. */
typedef struct taskResetSpec {
  void (*check)(const taskFixture *f, const obs_t *obs, const double obj[3], const double goal[3]);
  int quatAxis;
  double hand[3];
  unsigned handAxes;
  double rewardBelow;
} taskResetSpec;

/* Seeds 0-19: the observed goal is the drawn one, the second object slot is zero, and the
 * rest as r says. */
void task_checkReset(const taskFixture *f, const taskResetSpec *r);

/* One probe of a success threshold: the task's joint set to x, whether it succeeds. */
typedef struct taskCase {
  double x;
  int success;
} taskCase;

/* A success-threshold probe: set puts the task's joint at x (label names x in failure
 * messages); then (if not NULL) asserts more about each case. */
typedef struct taskProbe {
  const char *label;
  void (*set)(envTask *task, double x);
  void (*then)(const taskFixture *f, double x, int success, double r);
} taskProbe;

/* Seed 5, then each of the n cases: success as the case says, the reward within [0, 10]. */
void task_checkSuccessCases(const taskFixture *f, const taskProbe *p, const taskCase *cases,
                            size_t n);

/* A taskProbe's then: the task's goal distance is the observed point's distance to the goal
 * in x alone. */
void task_checkXDistance(const taskFixture *f, double x, int success, double r);

/* Seed 1: env_feedback says before[0] and before[1]; after set(task, x), it says after. */
void task_checkFeedback(const taskFixture *f, const char *const before[2],
                        void (*set)(envTask *task, double x), double x, const char *after);

/* The group setup `setup` for the task registered as name. */
#define TASK_SETUP(name)            \
  static int setup(void **state) {  \
    return task_setup(state, name); \
  }

/* The test functions every task runs the same way: rewardRange (task_checkRewardRange),
 * same_seed_should_give_the_same_episode (task_checkSameEpisode), zero
 * (task_checkZeroController) and expert (task_checkExpert with onSuccess). */
#define TASK_SHARED_TESTS(rewardRange, zero, expert, onSuccess)      \
  static void rewardRange(void **state) {                            \
    task_checkRewardRange(*state);                                   \
  }                                                                  \
  static void same_seed_should_give_the_same_episode(void **state) { \
    task_checkSameEpisode(*state);                                   \
  }                                                                  \
  static void zero(void **state) {                                   \
    task_checkZeroController(*state);                                \
  }                                                                  \
  static void expert(void **state) {                                 \
    task_checkExpert(*state, onSuccess);                             \
  }

#endif
