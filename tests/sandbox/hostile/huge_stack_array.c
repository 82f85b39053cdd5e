/* expect: crash */
/* A 160 MB local array: far beyond the 8 MiB stack. */
void controller(const obs_t *obs, double action[4]) {
  volatile double big[20000000];
  big[0] = obs->hand_pos[0];
  big[19999999] = 1.0;
  action[0] = big[0] + big[19999999];
}
