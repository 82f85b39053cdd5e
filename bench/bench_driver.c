/* The per-step round trip of the net driver against serve-sim on loopback, next to the
 * same steps through the sim driver in process (for `tracebot bench`). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"
#include "tracebot/bench.h"
#include "tracebot/drivers.h"
#include "tracebot/envs.h"

static int cmpDouble(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Times `steps` expert command+observe pairs on drv (resets, every 10 steps, untimed).
 * Per-step times go to us[steps]. */
static int timeSteps(agDriver *drv, envTaskId task, int steps, double *us, char *err,
                     size_t errsz) {
  const agDriverApi *api = ag_driverApi(drv);
  void *h = ag_driverHandle(drv);
  agDriverObs o;
  obs_t obs;
  for (int i = 0; i < steps; i++) {
    if (i % 10 == 0) {
      if (api->reset(h, (uint64_t)(i / 10), err, errsz) != 0 ||
          api->observe(h, &o, err, errsz) != 0) {
        return TB_EIO;
      }
    }
    ag_obsFromDriver(&o, i % 10, 10, &obs);
    double a[4];
    env_expert(task, &obs, a);
    double target[3] = {o.hand_pos[0] + a[0], o.hand_pos[1] + a[1], o.hand_pos[2] + a[2]};
    double t0 = (1e3 * tb_nowMs());
    if (api->command(h, target, a[3], err, errsz) != 0 || api->observe(h, &o, err, errsz) != 0) {
      return TB_EIO;
    }
    us[i] = (1e3 * tb_nowMs()) - t0;
  }
  return 0;
}

typedef struct serverThread {
  agServer *srv;
  volatile sig_atomic_t stop;
  int rc;
} serverThread;

static void *runServer(void *arg) {
  serverThread *st = arg;
  st->rc = ag_serverRun(st->srv, &st->stop, NULL, 0);
  return NULL;
}

int ag_benchDriver(const char *task, int steps, agDriverBench *out, char *err, size_t errsz) {
  memset(out, 0, sizeof(*out));
  int id = env_lookup(task != NULL ? task : "reach");
  if (id < 0 || steps < 1 || steps > 1000000) {
    tb_setErr(err, errsz, "driver bench: unknown task or steps %d not in 1..1000000", steps);
    return TB_EINVAL;
  }
  char config[128];
  snprintf(config, sizeof(config), "{\"task\":\"%s\",\"hints\":\"expert\"}", env_name(id));
  double *us = calloc((size_t)steps, sizeof(double));
  if (us == NULL) {
    return TB_ENOMEM;
  }
  int rc = TB_EIO;
  agDriver *sim = NULL;
  agDriver *served = NULL;
  agDriver *net = NULL;
  agServer *srv = NULL;
  serverThread st = {NULL, 0, 0};
  pthread_t thread;
  int started = 0;

  /* The sim driver in process */
  sim = ag_makeDriver("sim", config, NULL, err, errsz);
  if (sim == NULL || timeSteps(sim, (envTaskId)id, steps, us, err, errsz) != 0) {
    goto done;
  }
  double sum = 0.0;
  for (int i = 0; i < steps; i++) {
    sum += us[i];
  }
  out->sim_us = sum / steps;

  /* serve-sim in a thread, the net driver against it */
  served = ag_makeDriver("sim", config, NULL, err, errsz);
  if (served == NULL) {
    goto done;
  }
  srv = ag_makeServer(ag_driverApi(served), ag_driverHandle(served), 0, err, errsz);
  if (srv == NULL) {
    goto done;
  }
  st.srv = srv;
  if (pthread_create(&thread, NULL, runServer, &st) != 0) {
    goto done;
  }
  started = 1;
  char ncfg[128];
  snprintf(ncfg, sizeof(ncfg), "{\"port\":%d,\"timeout_ms\":5000,\"bye_on_close\":true}",
           ag_serverPort(srv));
  net = ag_makeDriver("net", ncfg, NULL, err, errsz);
  if (net == NULL || timeSteps(net, (envTaskId)id, steps, us, err, errsz) != 0) {
    goto done;
  }
  sum = 0.0;
  for (int i = 0; i < steps; i++) {
    sum += us[i];
  }
  out->net_us = sum / steps;
  qsort(us, (size_t)steps, sizeof(double), cmpDouble);
  out->net_p50_us = us[steps / 2];
  out->net_p99_us = us[(int)((steps - 1) * 0.99)];
  out->overhead_us = out->net_us - out->sim_us;

  /* Bare round trips: observe only, no physics */
  const agDriverApi *napi = ag_driverApi(net);
  agDriverObs o;
  for (int i = 0; i < steps; i++) {
    double t0 = (1e3 * tb_nowMs());
    if (napi->observe(ag_driverHandle(net), &o, err, errsz) != 0) {
      goto done;
    }
    us[i] = (1e3 * tb_nowMs()) - t0;
  }
  qsort(us, (size_t)steps, sizeof(double), cmpDouble);
  out->rtt_p50_us = us[steps / 2];
  out->rtt_p99_us = us[(int)((steps - 1) * 0.99)];
  out->steps = steps;
  rc = 0;
done:
  ag_freeDriver(net); /* says bye: the server thread returns */
  if (started) {
    if (rc != 0) {
      st.stop = 1; /* the client may not have reached bye */
    }
    pthread_join(thread, NULL);
  }
  ag_freeServer(srv);
  ag_freeDriver(served);
  ag_freeDriver(sim);
  free(us);
  return rc;
}
