/* Scripted expert for window-close: with the fingers closed, come down just right of the
 * handle's bar, then push the bar to the left with the side of the hand until the pane is
 * shut.
 *
 * Output (relative mode): action[0..2] is the displacement from the hand to the target
 * below, action[3] the gripper effort (+1: keep the fingers closed).
 */
void controller(const obs_t *obs, double action[4]) {
  const double *hand = obs->hand_pos;

  /* the bar is 2.4 cm left of obj_pos; the hand works 2 cm nearer the robot than the bar,
   * so that the palm stays clear of the pane */
  double barX = obs->obj_pos[0] - 0.024;
  double workY = obs->obj_pos[1] - 0.02;
  double barZ = obs->obj_pos[2];
  /* the pane is shut with the bar 1.4 cm left of the goal: push the hand (whose side
   * touches the bar 3 cm left of its centre) a little past that */
  double endX = obs->goal_pos[0] - 0.014 + 0.03 - 0.012;

  double target[3];
  if (hand[2] > barZ + 0.03) {
    if (hypot(hand[0] - (barX + 0.045), hand[1] - workY) > 0.015) {
      /* high: move over the spot right of the bar, above the handle */
      target[0] = barX + 0.045;
      target[1] = workY;
      target[2] = barZ + 0.1;
    } else {
      /* over it: come down beside the bar */
      target[0] = barX + 0.045;
      target[1] = workY;
      target[2] = barZ;
    }
  } else if (fabs(hand[1] - workY) > 0.03 || hand[0] < barX) {
    /* low but not beside the bar: go back up */
    target[0] = hand[0];
    target[1] = hand[1];
    target[2] = barZ + 0.1;
  } else {
    /* beside it: push to the left */
    target[0] = fmax(hand[0] - 0.15, endX);
    target[1] = workY;
    target[2] = barZ;
  }

  for (int i = 0; i < 3; i++) {
    action[i] = target[i] - hand[i];
  }
  action[3] = 1.0;
}
