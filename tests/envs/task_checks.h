/* task_checks.h: the checks every per-task test runs the same way (test_door_open.c,
 * test_window_close.c, ...): the fixture, rewards in [0, 10] under random actions,
 * determinism, the zero controller and the expert over a sample of seeds, and a joint setter.
 * Each check takes the fixture that task_setup stored in cmocka's state; its failure messages
 * name the task. */
#ifndef TRACEBOT_TESTS_TASK_CHECKS_H
#define TRACEBOT_TESTS_TASK_CHECKS_H

#include "tracebot/envs.h"

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

#endif
