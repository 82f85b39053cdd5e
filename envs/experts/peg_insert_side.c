/* Scripted expert for peg-insert-side: come down over the peg's grasp point with the
 * fingers open, close them, lift the peg to the hole's height in front of the box, then
 * push it straight in along -x.
 *
 * Output (relative mode): action[0..2] is the displacement from the hand to the target
 * below, action[3] the gripper effort (+1 closes).
 */
void controller(const obs_t *obs, double action[4]) {
  const double *hand = obs->hand_pos;
  const double *grasp = obs->obj_pos; /* 1 cm above the peg's centre line */
  const double *goal = obs->goal_pos;
  double dxy = hypot(hand[0] - grasp[0], hand[1] - grasp[1]);
  /* the hand low enough for the pads (3 cm below it) to straddle the peg */
  double grabZ = fmax(grasp[2] + 0.02, 0.05);
  int closed = obs->gripper_distance_apart < 0.5;

  double target[3] = {hand[0], hand[1], hand[2]};
  double grip = -1.0;
  if (!closed && dxy > 0.01) {
    /* open, not over the peg: over the grasp point, 10 cm up */
    target[0] = grasp[0];
    target[1] = grasp[1];
    target[2] = grasp[2] + 0.10;
  } else if (!closed && hand[2] > grabZ + 0.01) {
    /* over it: come down around it */
    target[0] = grasp[0];
    target[1] = grasp[1];
    target[2] = grabZ;
  } else if (!closed) {
    /* around it: close the fingers, rising 5 mm (a target a little away keeps the
     * step going while they close) */
    target[2] = hand[2] + 0.005;
    grip = 1.0;
  } else {
    /* holding: move the hand so that the peg's head (grasp + (-0.13, 0, -0.01)) goes
     * first 6 cm in front of the hole's mouth (3.6 cm beyond the goal), on its axis,
     * then to 1 cm past the goal */
    grip = 1.0;
    double head[3] = {grasp[0] - 0.13, grasp[1], grasp[2] - 0.01};
    double off = hypot(head[1] - goal[1], head[2] - goal[2]);
    double want[3] = {goal[0] + 0.096, goal[1], goal[2]};
    if (off < 0.01) {
      want[0] = goal[0] - 0.01;
    }
    for (int i = 0; i < 3; i++) {
      target[i] = hand[i] + want[i] - head[i];
    }
  }

  for (int i = 0; i < 3; i++) {
    action[i] = target[i] - hand[i];
  }
  action[3] = grip;
}
