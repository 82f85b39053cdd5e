/* expect: crash */
/* An abort-like trap. */
void controller(const obs_t *obs, double action[4]) {
  if (obs->step == 1) {
    __builtin_trap();
  }
  action[0] = 0.01;
}
