/* Scripted expert for push: come down around the puck, half-close the fingers
 * on it and drag it across the table to the goal.
 *
 * Output (relative mode): action[0..2] is the displacement from the hand to the
 * target below, action[3] the gripper effort (+1 closes).
 */
void controller(const obs_t *obs, double action[4]) {
  const double *hand = obs->hand_pos;

  /* aim 5 mm behind the puck centre (along -x) */
  double px = obs->obj_pos[0] - 0.005;
  double py = obs->obj_pos[1];
  double pz = obs->obj_pos[2];
  double dxy = hypot(hand[0] - px, hand[1] - py);
  double above = hand[2] - pz;

  double target[3];
  if (dxy > 0.02) {
    /* not over the puck yet: move there, 20 cm above it */
    target[0] = px;
    target[1] = py;
    target[2] = pz + 0.2;
  } else if (above > 0.04) {
    /* over the puck: come down until the fingers straddle it */
    target[0] = px;
    target[1] = py;
    target[2] = pz + 0.03;
  } else {
    /* fingers around the puck: drag it to the goal */
    target[0] = obs->goal_pos[0];
    target[1] = obs->goal_pos[1];
    target[2] = obs->goal_pos[2];
  }

  for (int i = 0; i < 3; i++) {
    action[i] = target[i] - hand[i];
  }
  /* half-grasp once the fingers are around the puck */
  action[3] = (dxy <= 0.02 && fabs(above) <= 0.10) ? 0.6 : 0.0;
}
