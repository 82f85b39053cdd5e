/* expect: crash */
/* Unbounded recursion until the stack limit is hit. */
static double dive(volatile double *prev, int depth) {
  volatile double frame[64];
  frame[0] = prev != 0 ? prev[0] + 1.0 : (double)depth;
  return dive(frame, depth + 1) + frame[63];
}

void controller(const obs_t *obs, double action[4]) {
  action[0] = dive(0, obs->step);
}
