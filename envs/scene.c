/* envs/scene.c: a task's model, the shared scene (scene.xml: arm, gripper, table, goal
 * marker) with the sections of the task's objects document appended before the scene's
 * closing tag. MJCF allows every section (asset, worldbody, default, contact, ...) more
 * than once, so the objects' bodies come after the scene's in body order, and the
 * scene's ids do not move. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "envs_internal.h"

/* the scene MJCF, embedded at build time (scene_xml.c, generated) */
extern const char env_sceneXml[];
extern const size_t env_sceneXml_len;

/* Sections an objects document may not have: they set what every task shares (the
 * compiler's units, the physics options and sizes, the rendering) or refer to files. */
static const char *const kForbidden[] = {"<compiler", "<option",    "<size",
                                         "<visual",   "<statistic", "<keyframe",
                                         "<include",  "<extension", NULL};

/* The part of the document between <mujoco ...> and its last </mujoco>, in [*begin,
 * *end); -1 when there is no such element. */
static int innerOfMujoco(const char *xml, const char **begin, const char **end) {
  const char *open = xml;
  while ((open = strstr(open, "<mujoco")) != NULL) {
    char c = open[7];
    if (c == '>' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      break;
    }
    open += 7;
  }
  const char *gt = open != NULL ? strchr(open, '>') : NULL;
  if (gt == NULL || gt[-1] == '/') {
    return -1;
  }
  const char *close = NULL;
  for (const char *p = strstr(gt, "</mujoco>"); p != NULL; p = strstr(p + 1, "</mujoco>")) {
    close = p;
  }
  if (close == NULL) {
    return -1;
  }
  *begin = gt + 1;
  *end = close;
  return 0;
}

/* Whether [begin, end) contains s. */
static int contains(const char *begin, const char *end, const char *s) {
  size_t n = strlen(s);
  for (const char *p = begin; p + n <= end; p++) {
    if (memcmp(p, s, n) == 0) {
      return 1;
    }
  }
  return 0;
}

mjModel *env_loadTaskModel(const char *objectsXml, const char *what, char *err, size_t errsz) {
  if (objectsXml == NULL) {
    return sim_loadModelXML(env_sceneXml, env_sceneXml_len, err, errsz);
  }
  const char *begin = NULL;
  const char *end = NULL;
  if (innerOfMujoco(objectsXml, &begin, &end) != 0) {
    tb_setErr(err, errsz, "task %s: its objects MJCF is not one <mujoco>...</mujoco> element",
              what);
    return NULL;
  }
  for (int i = 0; kForbidden[i] != NULL; i++) {
    if (contains(begin, end, kForbidden[i])) {
      tb_setErr(err, errsz,
                "task %s: its objects MJCF has a %s> section (the shared scene sets it; objects "
                "may add asset, default, worldbody, contact, equality, tendon, actuator, sensor)",
                what, kForbidden[i]);
      return NULL;
    }
  }

  /* the scene up to its closing tag, the objects' sections, the closing tag */
  const char *close = NULL;
  for (const char *p = strstr(env_sceneXml, "</mujoco>"); p != NULL;
       p = strstr(p + 1, "</mujoco>")) {
    close = p;
  }
  size_t head = (size_t)(close - env_sceneXml);
  size_t inner = (size_t)(end - begin);
  size_t tail = env_sceneXml_len - head;
  char *xml = malloc(head + inner + tail + 1);
  if (xml == NULL) {
    tb_setErr(err, errsz, "task %s: out of memory for its model", what);
    return NULL;
  }
  memcpy(xml, env_sceneXml, head);
  memcpy(xml + head, begin, inner);
  memcpy(xml + head + inner, close, tail);
  xml[head + inner + tail] = '\0';
  char why[512] = "";
  mjModel *m = sim_loadModelXML(xml, head + inner + tail, why, sizeof why);
  free(xml);
  if (m == NULL) {
    /* MuJoCo counts lines in the merged text: say where that is in the objects document */
    int lines = 1;
    for (size_t i = 0; i < head; i++) {
      lines += env_sceneXml[i] == '\n';
    }
    for (const char *p = objectsXml; p < begin; p++) {
      lines -= *p == '\n';
    }
    const char *at = strstr(why, ", line ");
    int line = at != NULL ? atoi(at + 7) : 0;
    size_t n = strlen(why);
    while (n > 0 && why[n - 1] == ' ') {
      why[--n] = '\0';
    }
    char where[64] = "";
    if (line >= lines) {
      snprintf(where, sizeof where, " (line %d of the objects MJCF)", line - lines + 1);
    }
    tb_setErr(err, errsz, "task %s: the scene with its objects does not compile: %s%s", what, why,
              where);
  }
  return m;
}
