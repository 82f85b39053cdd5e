/* Scripted expert for button-press-topdown: with the fingers closed, move high over the
 * button's cap, then push the fingertips straight down past the goal's height.
 *
 * Output (relative mode): action[0..2] is the displacement from the hand to the target
 * below, action[3] the gripper effort (+1: keep the fingers closed).
 */
void controller(const obs_t *obs, double action[4]) {
  const double *hand = obs->hand_pos;
  const double *top = obs->obj_pos; /* the cap top */
  double dxy = hypot(hand[0] - top[0], hand[1] - top[1]);

  double target[3] = {top[0], top[1], top[2] + 0.10};
  if (dxy <= 0.02) {
    /* over the cap: the fingertips (4.5 cm below the hand) 5 mm above the goal, 8.5 mm
     * below where the cap stops */
    target[2] = obs->goal_pos[2] + 0.005 + 0.045;
  }

  for (int i = 0; i < 3; i++) {
    action[i] = target[i] - hand[i];
  }
  action[3] = 1.0;
}
