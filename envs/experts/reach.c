/* Scripted expert for reach: move the hand straight to the goal.
 *
 * Output (relative mode): action[0..2] is the displacement from the hand to the
 * target, action[3] the gripper effort (0: leave the gripper open).
 * The hand origin sits 4.5 cm above the fingertips; reaching success is measured
 * at the fingertips and allows 5 cm, so aiming the hand itself at the goal works.
 */
void controller(const obs_t *obs, double action[4]) {
  for (int i = 0; i < 3; i++) {
    action[i] = obs->goal_pos[i] - obs->hand_pos[i];
  }
  action[3] = 0.0;
}
