/* expect: invalid_action */
/* check: nsteps=3 */
/* Stands still for three steps, then returns NaN. */
void controller(const obs_t *obs, double action[4]) {
  static int calls = 0;
  action[0] = 0.0;
  action[1] = 0.0;
  action[2] = 0.0;
  action[3] = 0.0;
  if (calls++ == 3) {
    action[1] = 0.0 / 0.0;
  }
  (void)obs;
}
