/* expect: compile */
/* Tries the C library's file functions: the dialect links none of them. */
typedef struct FILE FILE;
FILE *fopen(const char *path, const char *mode);
int fgetc(FILE *f);

void controller(const obs_t *obs, double action[4]) {
  FILE *f = fopen("/etc/passwd", "r");
  action[0] = f != 0 ? fgetc(f) : obs->hand_pos[0];
}
