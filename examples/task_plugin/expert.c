/* Scripted expert for stack: come down over the red block, close the fingers on it, lift
 * it over the blue block and lower it onto the blue block's top.
 *
 * Output (relative mode): action[0..2] is the displacement from the hand to the target
 * below, action[3] the gripper effort (+1 closes).
 */
void controller(const obs_t *obs, double action[4]) {
  const double *hand = obs->hand_pos;
  const double *red = obs->obj_pos;

  /* where the red block's centre goes: 4.5 cm above the blue block's centre */
  double top[3] = {obs->obj2_pos[0], obs->obj2_pos[1], obs->obj2_pos[2] + 0.045};
  double dxy = hypot(hand[0] - red[0], hand[1] - red[1]);
  double d3 = sqrt(dxy * dxy + (hand[2] - red[2]) * (hand[2] - red[2]));

  double target[3];
  if (dxy > 0.02) {
    /* not over the red block: move there, 10 cm above it */
    target[0] = red[0];
    target[1] = red[1];
    target[2] = red[2] + 0.1;
  } else if (hand[2] - red[2] > 0.05 && red[2] < 0.03) {
    /* over it, and it lies on the table: come down around it */
    target[0] = red[0];
    target[1] = red[1];
    target[2] = red[2] + 0.03;
  } else if (obs->gripper_distance_apart > 0.73) {
    /* fingers still open: stay while they close */
    target[0] = hand[0];
    target[1] = hand[1];
    target[2] = hand[2];
  } else {
    /* holding it: first 4 cm over the stack point, then down onto it (the hand moves so
     * that the block, not the hand, ends there) */
    double over = hypot(red[0] - top[0], red[1] - top[1]) > 0.01 ? 0.04 : 0.0;
    for (int i = 0; i < 3; i++) {
      target[i] = top[i] + (hand[i] - red[i]) + (i == 2 ? over : 0.0);
    }
  }

  for (int i = 0; i < 3; i++) {
    action[i] = target[i] - hand[i];
  }
  /* close the gripper near the red block */
  action[3] = d3 < 0.07 ? 1.0 : 0.0;
}
