/* expect: timeout */
/* limits: call_ms=200 episode_s=5 */
/* A long (finite) computation inside one call: the per-call limit stops it. */
void controller(const obs_t *obs, double action[4]) {
  volatile double acc = 0.0;
  for (long i = 0; i < 100000000000L; i++) {
    acc += obs->hand_pos[0] * 1e-9;
  }
  action[0] = acc;
}
