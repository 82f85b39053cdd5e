/* A task plug-in for the loader's tests: one task, "fake-touch" (bring the fingertips to a
 * ball on the table), built once per variant (tests/envs/CMakeLists.txt):
 *   (none)               a good plug-in
 *   FAKE_SECOND          a good plug-in with another task, "fake-touch-2", whose hand
 *                        starts at (0.1, 0.5, 0.25)
 *   FAKE_BAD_ABI         declares ABI version 99
 *   FAKE_BAD_SIZE        declares a task struct 8 bytes short
 *   FAKE_NO_ENTRY        exports no tracebot_task_init
 *   FAKE_REFUSES         its entry returns NULL
 *   FAKE_BAD_MJCF        objects MJCF that does not compile
 *   FAKE_MISSING_OBJECT  names an object its MJCF does not have
 *   FAKE_CLASH           names its task "push", like a built-in task
 *   FAKE_BAD_NAME        names its task "Fake Touch"
 * Only tracebot/task_plugin.h, like any plug-in. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tracebot/task_plugin.h"

static const envPluginHost *gHost;

#if defined(FAKE_SECOND)
#define NAME "fake-touch-2"
#elif defined(FAKE_CLASH)
#define NAME "push"
#elif defined(FAKE_BAD_NAME)
#define NAME "Fake Touch"
#else
#define NAME "fake-touch"
#endif

#ifdef FAKE_BAD_MJCF
#define GEOM_TYPE "teapot"
#else
#define GEOM_TYPE "sphere"
#endif

static const char kXml[] =
    "<mujoco>\n"
    "  <worldbody>\n"
    "    <body name=\"fake_ball\" pos=\"0 0.7 0.02\">\n"
    "      <freejoint name=\"fake_ball\"/>\n"
    "      <geom class=\"static\" type=\"" GEOM_TYPE
    "\" size=\"0.02\" mass=\"0.2\""
    " rgba=\"0.9 0.9 0.1 1\"/>\n"
    "    </body>\n"
    "  </worldbody>\n"
    "</mujoco>\n";

enum { BALL = 0, BALL_JOINT };
static const envPluginObject kObjects[] = {
#ifdef FAKE_MISSING_OBJECT
    {ENV_PLUGIN_BODY, "no_such_body"},
#else
    {ENV_PLUGIN_BODY, "fake_ball"},
#endif
    {ENV_PLUGIN_JOINT, "fake_ball"},
    {0, NULL},
};

static void draw(uint64_t seed, double obj[3], double goal[3]) {
  uint64_t s = gHost->seed_state(seed);
  obj[0] = gHost->uniform(&s, -0.1, 0.1);
  obj[1] = gHost->uniform(&s, 0.65, 0.75);
  obj[2] = 0.02;
  memcpy(goal, obj, 3 * sizeof(double));
}

static void place(envPluginEnv *env, const double obj[3]) {
  double q[7] = {obj[0], obj[1], obj[2], 1, 0, 0, 0};
  gHost->set_joint(env, BALL_JOINT, q);
}

static void observe(const envPluginEnv *env, envPluginObs *obs) {
  gHost->pose(env, BALL, obs->obj_pos, obs->obj_quat);
}

static double goalDistance(const envPluginEnv *env) {
  double ball[3];
  double tcp[3];
  gHost->pose(env, BALL, ball, NULL);
  gHost->tcp(env, tcp);
  return sqrt((ball[0] - tcp[0]) * (ball[0] - tcp[0]) + (ball[1] - tcp[1]) * (ball[1] - tcp[1]) +
              (ball[2] + 0.03 - tcp[2]) * (ball[2] + 0.03 - tcp[2]));
}

static double reward(const envPluginEnv *env, int *success) {
  double d = goalDistance(env);
  *success = d <= 0.03;
  return 10.0 * gHost->tolerance(d, 0.0, 0.03, 0.3);
}

static void afterStep(envPluginEnv *env) {
  gHost->state(env)[0] += 1.0; /* env steps since the reset */
}

static void feedback(const envPluginEnv *env, char *out, size_t outsz) {
  snprintf(out, outsz, "%.0f env steps, %.3f m from the ball", gHost->state(env)[0],
           goalDistance(env));
}

static void expert(const envPluginObs *obs, double action[4]) {
  for (int i = 0; i < 3; i++) {
    action[i] = obs->obj_pos[i] + (i == 2 ? 0.075 : 0.0) - obs->hand_pos[i];
  }
  action[3] = -1.0;
}

static const char kExpertSource[] =
    "void controller(const obs_t *obs, double action[4]) {\n"
    "  for (int i = 0; i < 3; i++) {\n"
    "    action[i] = obs->obj_pos[i] + (i == 2 ? 0.075 : 0.0) - obs->hand_pos[i];\n"
    "  }\n"
    "  action[3] = -1.0;\n"
    "}\n";

#ifdef FAKE_SECOND
static const double kHandInit[3] = {0.1, 0.5, 0.25};
#define HAND_INIT kHandInit
#else
#define HAND_INIT NULL
#endif

static const envPluginTask kTasks[] = {{
    .name = NAME,
    .hand_init = HAND_INIT,
    .instruction = "Fake-touch: bring the fingertips 3 cm above the ball. obj_pos is the ball.",
    .horizon = 5,
    .gain = 10.0,
    .objects_xml = kXml,
    .objects = kObjects,
    .draw = draw,
    .place = place,
    .observe = observe,
    .reward = reward,
    .goal_distance = goalDistance,
    .after_step = afterStep,
    .expert = expert,
    .expert_source = kExpertSource,
    .feedback = feedback,
}};

static const envPlugin kPlugin = {
#ifdef FAKE_BAD_ABI
    .abi_version = 99,
#else
    .abi_version = ENV_PLUGIN_ABI_VERSION,
#endif
    .struct_size = sizeof(envPlugin),
#ifdef FAKE_BAD_SIZE
    .task_size = sizeof(envPluginTask) - 8,
#else
    .task_size = sizeof(envPluginTask),
#endif
    .ntasks = 1,
    .tasks = kTasks,
};

#ifdef FAKE_NO_ENTRY
#define ENTRY tracebot_task_init_misspelt
#else
#define ENTRY tracebot_task_init
#endif

const envPlugin *ENTRY(const envPluginHost *host);
const envPlugin *ENTRY(const envPluginHost *host) {
  gHost = host;
#ifdef FAKE_REFUSES
  return host == NULL ? &kPlugin : NULL;
#else
  return &kPlugin;
#endif
}
