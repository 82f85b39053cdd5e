/* Hostile controllers (tests/agent/hostile/NAME.c, one ctest each): every program is
 * contained with the fault kind its first line names, within its limits; afterwards
 * no file was created, no process is left, the API key of the parent was not
 * readable, and the parent still runs an expert episode normally.
 *
 * Usage: test_hostile PATH/NAME.c. Directives in the program's comments:
 *   expect: KIND            fault kind ("none" for no fault)
 *   limits: call_ms=N episode_s=S
 *   check: no_key | nsteps=N | no_file_content=PATH
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tracebot/agent.h"
#include "trees.h"

#define FAKE_KEY "sk-tracebot-fake-key-0123456789abcdef"
#define CREATED "/tmp/tracebot_hostile_created"

static const char *gPath;

typedef struct directives {
  char expect[32];
  int call_ms;
  double episode_s;
  int no_key;
  int nsteps;
  char no_content[256];
} directives;

static char *readFile(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return NULL;
  }
  char *buf = calloc(1, 1 << 20);
  size_t n = buf != NULL ? fread(buf, 1, (1 << 20) - 1, f) : 0;
  fclose(f);
  if (len != NULL) {
    *len = n;
  }
  return buf;
}

static void parseDirectives(const char *src, directives *d) {
  memset(d, 0, sizeof *d);
  d->call_ms = 500;
  d->episode_s = 5.0;
  d->nsteps = -1;
  const char *p = strstr(src, "expect: ");
  if (p != NULL) {
    sscanf(p + 8, "%31[a-z_]", d->expect);
  }
  if ((p = strstr(src, "call_ms=")) != NULL) {
    d->call_ms = atoi(p + 8);
  }
  if ((p = strstr(src, "episode_s=")) != NULL) {
    d->episode_s = atof(p + 10);
  }
  d->no_key = strstr(src, "check: no_key") != NULL;
  if ((p = strstr(src, "check: nsteps=")) != NULL) {
    d->nsteps = atoi(p + 14);
  }
  if ((p = strstr(src, "check: no_file_content=")) != NULL) {
    sscanf(p + 23, "%255[^ *\n]", d->no_content);
  }
}

/* The hostile program at path (its length in *len) and the directives in its comments. */
static char *readProgram(const char *path, size_t *len, directives *d) {
  char *body = readFile(path, len);
  assert_non_null(body);
  parseDirectives(body, d);
  assert_true(d->expect[0] != '\0');
  return body;
}

static int dirEntries(const char *path) {
  DIR *dir = opendir(path);
  int n = 0;
  if (dir == NULL) {
    return -1;
  }
  for (struct dirent *e; (e = readdir(dir)) != NULL;) {
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  }
  closedir(dir);
  return n;
}

static void assertNoKey(const agEpisode *ep) {
  assert_null(strstr(ep->fault.message, FAKE_KEY));
  assert_null(strstr(ep->fault.message, "OPENAI_API_KEY"));
  for (int t = 0; t < ep->nsteps; t++) {
    assert_null(strstr(ep->steps[t].result.hint, FAKE_KEY));
  }
}

/* The parent is still healthy: an expert episode runs and succeeds. */
static void assertParentHealthy(void) {
  char path[4096];
  snprintf(path, sizeof path, "%s/envs/experts/reach.c", tree_source());
  size_t len = 0;
  char *src = readFile(path, &len);
  assert_non_null(src);
  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  agEpisode ep;
  char err[256] = "";
  assert_int_equal(ag_rolloutOnce(&cfg, src, len, &ep, err, sizeof err), TB_OK);
  assert_int_equal(ep.fault.kind, AG_FT_NONE);
  assert_true(ep.success);
  ag_episodeClose(&ep);
  free(src);
}

static void hostile_program_should_be_contained(void **state) {
  (void)state;
  directives d;
  size_t len = 0;
  char *body = readProgram(gPath, &len, &d);

  /* A secret in our environment, orphans re-parented to us, a watched cwd */
  setenv("OPENAI_API_KEY", FAKE_KEY, 1);
  assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
  char dir[] = "/tmp/tracebot_hostile_cwd_XXXXXX";
  assert_non_null(mkdtemp(dir));
  assert_int_equal(chdir(dir), 0);
  unlink(CREATED);

  /* The program, with our pid for the one that tries to kill us */
  char *src = malloc(len + 64);
  assert_non_null(src);
  int head = snprintf(src, 64, "#define TEST_PARENT_PID %ld\n", (long)getpid());
  memcpy(src + head, body, len);

  agRolloutConfig cfg;
  ag_defaultRollout(&cfg);
  cfg.limits.call_ms = d.call_ms;
  cfg.limits.episode_wall_s = d.episode_s;
  agEpisode ep;
  char err[256] = "";
  int rc = ag_rolloutOnce(&cfg, src, (size_t)head + len, &ep, err, sizeof err);
  assert_int_equal(rc, TB_OK);
  print_message("%s: %s (%s) step %d, %d steps, %.1f ms\n", gPath, ag_faultName(ep.fault.kind),
                ep.fault.message, ep.fault.step, ep.nsteps, ep.wall_ms);

  /* The right fault, within its limit */
  assert_string_equal(ag_faultName(ep.fault.kind), d.expect);
  assert_true(ep.wall_ms < d.episode_s * 1000.0 + 2000.0);
  assertNoKey(&ep);
  if (d.no_key) {
    assert_true(ep.nsteps > 0);
    for (int t = 0; t < ep.nsteps; t++) {
      assert_true(ep.steps[t].action[1] == 1.0); /* the scan reached the top */
      assert_true(ep.steps[t].action[0] == 0.0); /* and found nothing */
    }
  }
  if (d.nsteps >= 0) {
    assert_int_equal(ep.nsteps, d.nsteps);
    assert_int_equal(ep.fault.step, d.nsteps);
  }
  if (d.no_content[0] != '\0') {
    char *content = readFile(d.no_content, NULL);
    if (content != NULL) {
      content[strcspn(content, "\n")] = '\0';
      if (strlen(content) >= 3) {
        assert_null(strstr(ep.fault.message, content));
      }
      free(content);
    }
  }
  ag_episodeClose(&ep);

  /* No process left, no file created */
  errno = 0;
  assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
  assert_int_equal(errno, ECHILD);
  assert_int_equal(dirEntries("."), 0);
  struct stat st;
  assert_int_not_equal(stat(CREATED, &st), 0);

  /* The parent carries on */
  assertParentHealthy();
  assert_int_equal(chdir("/"), 0);
  assert_int_equal(rmdir(dir), 0);
  free(src);
  free(body);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_hostile PROGRAM.c\n");
    return 2;
  }
  gPath = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hostile_program_should_be_contained),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
