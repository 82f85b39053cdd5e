/* Scripted expert for drawer-open: with the fingers open, come down over the handle's bar so
 * that the fingers straddle it, then pull toward the robot; the far finger hooks the bar and
 * draws the drawer out to its stop.
 *
 * Output (relative mode): action[0..2] is the displacement from the hand to the target
 * below, action[3] the gripper effort (-1: keep the fingers open).
 */
void controller(const obs_t *obs, double action[4]) {
  const double *hand = obs->hand_pos;

  /* the bar's axis is 1 cm behind the handle point (obj_pos), at its height */
  double barX = obs->obj_pos[0];
  double barY = obs->obj_pos[1] + 0.01;
  double barZ = obs->obj_pos[2];
  double dxy = hypot(hand[0] - barX, hand[1] - barY);

  double target[3];
  if (hand[2] > barZ + 0.045) {
    if (dxy > 0.012) {
      /* high: move over the bar, the open fingers clear of it */
      target[0] = barX;
      target[1] = barY;
      target[2] = barZ + 0.075;
    } else {
      /* over it: come down until the fingers straddle the bar */
      target[0] = barX;
      target[1] = barY;
      target[2] = barZ + 0.025;
    }
  } else if (dxy > 0.07) {
    /* low but lost the bar: go back up */
    target[0] = hand[0];
    target[1] = hand[1];
    target[2] = barZ + 0.075;
  } else {
    /* straddling: pull toward the robot, to 2 cm past the goal (goal_pos is where the
     * handle point would be 2 cm beyond the drawer's stop) */
    target[0] = barX;
    target[1] = fmax(barY - 0.20, obs->goal_pos[1] - 0.02);
    target[2] = barZ + 0.025;
  }

  for (int i = 0; i < 3; i++) {
    action[i] = target[i] - hand[i];
  }
  action[3] = -1.0;
}
