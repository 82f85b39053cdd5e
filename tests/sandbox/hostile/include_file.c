/* expect: compile */
/* check: no_file_content=/etc/hostname */
/* Pulls a system file into the compile (its text would show up in the errors). */
#include "/etc/hostname"

void controller(const obs_t *obs, double action[4]) {
  action[0] = obs->hand_pos[0];
}
