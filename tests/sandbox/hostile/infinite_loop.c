/* expect: timeout */
/* limits: call_ms=0 episode_s=1 */
/* Spins forever with the per-call limit off: the parent's episode wall clock stops it. */
void controller(const obs_t *obs, double action[4]) {
  volatile int forever = 1;
  while (forever) {
    action[0] = obs->hand_pos[0];
  }
}
