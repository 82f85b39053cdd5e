/* xvfb.c: start and stop a private Xvfb server for one test executable. */
#include "xvfb.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static pid_t xvfbPid;

int xvfb_start(void) {
  int fds[2];
  if (pipe(fds) != 0) {
    return -1;
  }
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  /* Xvfb writes the display number it chose to fd 3 */
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 3);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  char *argv[] = {"Xvfb",         "-displayfd", "3",   "-screen",  "0",
                  "1280x1024x24", "-nolisten",  "tcp", "-noreset", NULL};
  int rc = posix_spawnp(&xvfbPid, "Xvfb", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    xvfbPid = 0;
    return -1;
  }
  /* wait (at most 10 s) for the display number */
  char buf[32] = "";
  size_t len = 0;
  struct pollfd pfd = {fds[0], POLLIN, 0};
  while (len + 1 < sizeof(buf) && poll(&pfd, 1, 10000) > 0) {
    ssize_t got = read(fds[0], buf + len, sizeof(buf) - 1 - len);
    if (got <= 0) {
      break;
    }
    len += (size_t)got;
    buf[len] = '\0';
    if (strchr(buf, '\n')) {
      break;
    }
  }
  close(fds[0]);
  int display = atoi(buf);
  if (len == 0 || buf[0] < '0' || buf[0] > '9') {
    xvfb_stop();
    return -1;
  }
  char value[32];
  snprintf(value, sizeof(value), ":%d", display);
  setenv("DISPLAY", value, 1);
  return 0;
}

void xvfb_stop(void) {
  if (xvfbPid > 0) {
    kill(xvfbPid, SIGTERM);
    int status;
    while (waitpid(xvfbPid, &status, 0) < 0 && errno == EINTR) {
    }
    xvfbPid = 0;
  }
}
