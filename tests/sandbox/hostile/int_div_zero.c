/* expect: crash */
/* Integer division by zero (SIGFPE). */
void controller(const obs_t *obs, double action[4]) {
  volatile int zero = obs->step * 0;
  volatile int q = 10 / zero;
  action[0] = q;
}
