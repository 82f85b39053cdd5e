/* expect: crash */
/* Dereferences NULL on the first call. */
void controller(const obs_t *obs, double action[4]) {
  volatile double *p = 0;
  action[0] = *p + obs->hand_pos[0];
}
