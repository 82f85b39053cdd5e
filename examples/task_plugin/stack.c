/* An example task plug-in for tracebot: "stack", put the red block on top of the blue one.
 * It uses both object slots of the observation (the red block in slot 1, the blue one in
 * slot 2), keeps a per-episode value (whether the red block was lifted) and has a
 * scripted expert, expert.c, compiled in here and shown as source.
 *
 *     tracebot run --task-plugin ./stack_task.so --task stack --controller expert.c
 *
 * Built with tracebot (examples/task_plugin/CMakeLists.txt); it includes only
 * tracebot/task_plugin.h and the C library, like any plug-in. It runs inside tracebot with
 * tracebot's rights (tracebot/task_plugin.h, "Trust"). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tracebot/task_plugin.h"

/* the expert, compiled from the file tracebot shows as its source */
#define obs_t envPluginObs
#define controller stackExpert
static void stackExpert(const obs_t *obs, double action[4]);
#include "expert.c"
#undef controller
#undef obs_t

/* expert.c's bytes, embedded by CMakeLists.txt */
extern const char stack_expertSource[];

const envPlugin *tracebot_task_init(const envPluginHost *host);

static const envPluginHost *gHost;

#define RED_HALF 0.02   /* the red block: a 4 cm cube, 0.3 kg */
#define BLUE_HALF 0.025 /* the blue block: a 5 cm cube, 1 kg */
#define ON_TOP (RED_HALF + BLUE_HALF)
#define SUCCESS_DIST 0.02

/* The objects' MJCF: appended to tracebot's scene, so it may use the scene's default
 * class "static" (contype 1, conaffinity 1: what the fingers touch). */
static const char kObjectsXml[] =
    "<mujoco model=\"stack\">\n"
    "  <asset>\n"
    "    <material name=\"stack_red\" rgba=\"0.85 0.2 0.15 1\" specular=\"0.3\"/>\n"
    "    <material name=\"stack_blue\" rgba=\"0.15 0.35 0.85 1\" specular=\"0.3\"/>\n"
    "  </asset>\n"
    "  <worldbody>\n"
    "    <body name=\"stack_red\" pos=\"0 0.65 0.02\">\n"
    "      <freejoint name=\"stack_red\"/>\n"
    "      <geom class=\"static\" type=\"box\" size=\"0.02 0.02 0.02\" mass=\"0.3\"\n"
    "            friction=\"1 0.05 0.001\" condim=\"4\" material=\"stack_red\"/>\n"
    "    </body>\n"
    "    <body name=\"stack_blue\" pos=\"0 0.82 0.025\">\n"
    "      <freejoint name=\"stack_blue\"/>\n"
    "      <geom class=\"static\" type=\"box\" size=\"0.025 0.025 0.025\" mass=\"1\"\n"
    "            friction=\"1 0.05 0.001\" condim=\"4\" material=\"stack_blue\"/>\n"
    "    </body>\n"
    "  </worldbody>\n"
    "</mujoco>\n";

/* The objects the functions name, by index. */
enum { RED = 0, RED_JOINT, BLUE, BLUE_JOINT };
static const envPluginObject kObjects[] = {
    {ENV_PLUGIN_BODY, "stack_red"},
    {ENV_PLUGIN_JOINT, "stack_red"},
    {ENV_PLUGIN_BODY, "stack_blue"},
    {ENV_PLUGIN_JOINT, "stack_blue"},
    {0, NULL},
};

/* host->state: [LIFTED] is 1 once the red block was more than 1 cm off the table */
enum { LIFTED = 0 };

static double dist3(const double a[3], const double b[3]) {
  return sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
              (a[2] - b[2]) * (a[2] - b[2]));
}

/* The red block on the table at x [-0.1, 0.1], y [0.6, 0.68]; the blue one at x [-0.1,
 * 0.1], y [0.78, 0.86], at least 12 cm away; the goal is the stack point on the blue one. */
static void draw(uint64_t seed, double obj[3], double goal[3]) {
  uint64_t s = gHost->seed_state(seed);
  do {
    obj[0] = gHost->uniform(&s, -0.1, 0.1);
    obj[1] = gHost->uniform(&s, 0.6, 0.68);
    obj[2] = RED_HALF;
    goal[0] = gHost->uniform(&s, -0.1, 0.1);
    goal[1] = gHost->uniform(&s, 0.78, 0.86);
    goal[2] = 2.0 * BLUE_HALF + RED_HALF;
  } while (hypot(obj[0] - goal[0], obj[1] - goal[1]) < 0.12);
}

static void place(envPluginEnv *env, const double obj[3]) {
  envPluginObs o;
  gHost->observe(env, &o);
  double red[7] = {obj[0], obj[1], obj[2], 1, 0, 0, 0};
  double blue[7] = {o.goal_pos[0], o.goal_pos[1], BLUE_HALF, 1, 0, 0, 0};
  gHost->set_joint(env, RED_JOINT, red);
  gHost->set_joint(env, BLUE_JOINT, blue);
}

static void observe(const envPluginEnv *env, envPluginObs *obs) {
  gHost->pose(env, RED, obs->obj_pos, obs->obj_quat);
  gHost->pose(env, BLUE, obs->obj2_pos, obs->obj2_quat);
}

/* The red block's distance from the stack point on the blue block as it is now. */
static double goalDistance(const envPluginEnv *env) {
  double red[3];
  double blue[3];
  gHost->pose(env, RED, red, NULL);
  gHost->pose(env, BLUE, blue, NULL);
  double top[3] = {blue[0], blue[1], blue[2] + ON_TOP};
  return dist3(red, top);
}

/* 2 near + 8 in place (both on 0..1), 10 at success. */
static double reward(const envPluginEnv *env, int *success) {
  double red[3];
  double tcp[3];
  gHost->pose(env, RED, red, NULL);
  gHost->tcp(env, tcp);
  double d = goalDistance(env);
  double near = gHost->tolerance(dist3(tcp, red), 0.0, 0.02, 0.3);
  double inPlace = gHost->tolerance(d, 0.0, SUCCESS_DIST, 0.2);
  *success = d <= SUCCESS_DIST;
  return *success ? 10.0 : 2.0 * near + 8.0 * inPlace;
}

static void afterStep(envPluginEnv *env) {
  double red[3];
  gHost->pose(env, RED, red, NULL);
  if (red[2] > RED_HALF + 0.01) {
    gHost->state(env)[LIFTED] = 1.0;
  }
}

static void feedback(const envPluginEnv *env, char *out, size_t outsz) {
  snprintf(out, outsz,
           "the red block is %.3f m from the top of the blue one (success needs %.2f m); it %s",
           goalDistance(env), SUCCESS_DIST,
           gHost->state(env)[LIFTED] != 0.0 ? "was lifted" : "was never lifted");
}

static const envPluginTask kTasks[] = {{
    .name = "stack",
    .instruction =
        "Stack: pick up the red block and put it on top of the blue block: success when the "
        "red block's centre is within 2 cm of the point 4.5 cm above the blue block's centre "
        "(the red block is a 4 cm cube, the blue one a 5 cm cube; both start on the table). "
        "obj_pos and obj_quat are the red block's centre and orientation (w x y z), "
        "obj2_pos and obj2_quat the blue block's; goal_pos is where the red block's centre "
        "goes, on top of the blue block where it starts.",
    .horizon = 10,
    .gain = 10.0,
    .objects_xml = kObjectsXml,
    .objects = kObjects,
    .draw = draw,
    .place = place,
    .observe = observe,
    .reward = reward,
    .goal_distance = goalDistance,
    .after_step = afterStep,
    .expert = stackExpert,
    .expert_source = stack_expertSource,
    .expert_path = "examples/task_plugin/expert.c",
    .feedback = feedback,
}};

static const envPlugin kPlugin = {
    .abi_version = ENV_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(envPlugin),
    .task_size = sizeof(envPluginTask),
    .ntasks = 1,
    .tasks = kTasks,
};

const envPlugin *tracebot_task_init(const envPluginHost *host) {
  if (host->abi_version != ENV_PLUGIN_ABI_VERSION || host->struct_size < sizeof(envPluginHost)) {
    return NULL;
  }
  gHost = host;
  return &kPlugin;
}
