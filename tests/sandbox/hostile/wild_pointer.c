/* expect: crash */
/* Writes through a pointer to nowhere. */
void controller(const obs_t *obs, double action[4]) {
  volatile long *p = (volatile long *)0x7ff0deadbe00L;
  *p = 42;
  action[0] = obs->hand_pos[0];
}
