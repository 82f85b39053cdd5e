/* Scripted expert for drawer-close: rise clear of the open drawer and come round in front of
 * its handle, drop to the bar's height with the fingers closed, then push the bar away from
 * the robot until the drawer is shut.
 *
 * Output (relative mode): action[0..2] is the displacement from the hand to the target
 * below, action[3] the gripper effort (+1: keep the fingers closed).
 */
void controller(const obs_t *obs, double action[4]) {
  const double *hand = obs->hand_pos;

  /* obj_pos is 5 cm above the handle point, which is 1 cm in front of the bar's axis */
  double barX = obs->obj_pos[0];
  double barY = obs->obj_pos[1] + 0.01;
  double barZ = obs->obj_pos[2] - 0.05;

  double target[3];
  if (hand[2] < barZ + 0.05 && hand[1] < barY - 0.01 && fabs(hand[0] - barX) < 0.03) {
    /* low, in front of the bar: push it (and the drawer) away, past where it shuts */
    target[0] = barX;
    target[1] = barY + 0.15;
    target[2] = barZ + 0.03;
  } else if (hand[1] > barY - 0.045) {
    /* over the drawer or too close to the bar: up and round to the front of the bar */
    target[0] = barX;
    target[1] = barY - 0.06;
    target[2] = fmax(hand[2], barZ + 0.13);
  } else {
    /* in front of the bar: come down to its height */
    target[0] = barX;
    target[1] = barY - 0.06;
    target[2] = barZ + 0.03;
  }

  for (int i = 0; i < 3; i++) {
    action[i] = target[i] - hand[i];
  }
  action[3] = 1.0;
}
