/* Scripted expert for door-open: with the fingers closed into a hook, come down between
 * the handle's bar and the door, then pull the bar around the hinge, a bit under 40
 * degrees per step, until the door stands open about 92 degrees.
 *
 * Output (relative mode): action[0..2] is the displacement from the hand to the target
 * below, action[3] the gripper effort (+1: keep the fingers closed).
 */
void controller(const obs_t *obs, double action[4]) {
  const double *hand = obs->hand_pos;

  /* the door angle (obj_quat is a turn about z, w x y z) and the hinge, from the handle
   * point, which sits at hinge + R(angle) (0.3757, -0.1071) */
  double angle = 2.0 * atan2(obs->obj_quat[3], obs->obj_quat[0]);
  double c = cos(angle);
  double s = sin(angle);
  double hingeX = obs->obj_pos[0] - (0.3757 * c + 0.1071 * s);
  double hingeY = obs->obj_pos[1] - (0.3757 * s - 0.1071 * c);
  double barZ = obs->obj_pos[2];

  /* the hook: the hand 30 cm out along the door and 8.7 cm in front of it, between the
   * bar (13 cm in front) and the door, with the fingertips at the bar's height */
  double hookX = hingeX + 0.30 * c + 0.087 * s;
  double hookY = hingeY + 0.30 * s - 0.087 * c;
  double dxy = hypot(hand[0] - hookX, hand[1] - hookY);

  double target[3];
  if (hand[2] > barZ + 0.045) {
    if (dxy > 0.015) {
      /* high: move over the hook point, clear of the bar */
      target[0] = hookX;
      target[1] = hookY;
      target[2] = barZ + 0.10;
    } else {
      /* over it: come down behind the bar */
      target[0] = hookX;
      target[1] = hookY;
      target[2] = barZ + 0.03;
    }
  } else if (dxy > 0.06) {
    /* low but lost the bar: go back up */
    target[0] = hand[0];
    target[1] = hand[1];
    target[2] = barZ + 0.10;
  } else {
    /* hooked: move to where the hook will be once the door has turned further */
    double next = fmax(angle - 0.65, -1.6);
    target[0] = hingeX + 0.30 * cos(next) + 0.087 * sin(next);
    target[1] = hingeY + 0.30 * sin(next) - 0.087 * cos(next);
    target[2] = barZ + 0.03;
  }

  for (int i = 0; i < 3; i++) {
    action[i] = target[i] - hand[i];
  }
  action[3] = 1.0;
}
