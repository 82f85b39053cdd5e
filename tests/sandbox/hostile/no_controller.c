/* expect: compile */
/* Defines everything but controller. */
void control(const obs_t *obs, double action[4]) {
  action[0] = obs->hand_pos[0];
}
