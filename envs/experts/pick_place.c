/* Scripted expert for pick-place: come down over the puck, close the fingers,
 * then carry the puck to the goal in the air.
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
  double d3 = sqrt(dxy * dxy + (hand[2] - pz) * (hand[2] - pz));

  double target[3];
  if (dxy > 0.02) {
    /* not over the puck yet: move there, 10 cm above it */
    target[0] = px;
    target[1] = py;
    target[2] = pz + 0.1;
  } else if (hand[2] - pz > 0.05 && obs->obj_pos[2] < 0.04) {
    /* over the puck, which still rests on the table: come down around it */
    target[0] = px;
    target[1] = py;
    target[2] = pz + 0.03;
  } else if (obs->gripper_distance_apart > 0.73) {
    /* fingers still open: stay here while they close */
    target[0] = hand[0];
    target[1] = hand[1];
    target[2] = hand[2];
  } else {
    /* holding the puck: move the hand so that the puck (not the hand) ends at the goal */
    for (int i = 0; i < 3; i++) {
      target[i] = obs->goal_pos[i] + (hand[i] - obs->obj_pos[i]);
    }
  }

  for (int i = 0; i < 3; i++) {
    action[i] = target[i] - hand[i];
  }
  /* close the gripper when the hand is near the puck */
  action[3] = d3 < 0.07 ? 1.0 : 0.0;
}
