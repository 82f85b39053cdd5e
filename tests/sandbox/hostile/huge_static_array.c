/* expect: memory */
/* 512 MiB of static data: more than the sandbox's memory limit allows. */
static double big[1 << 26];

void controller(const obs_t *obs, double action[4]) {
  big[obs->step] = 1.0;
  action[0] = big[0] * 0.0;
}
