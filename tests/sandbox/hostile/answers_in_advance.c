/* expect: crash */
/* Writes ten ACTION records into its own socket at step 0 without being asked, then
 * spins forever: the answers in advance must not let a hung controller finish the
 * episode as if it had run. */
static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

void controller(const obs_t *obs, double action[4]) {
  /* header (type 17 = ACTION, length 32), then four doubles */
  static unsigned char rec[8 + 32];
  rec[0] = 17;
  rec[4] = 32;
  for (int i = 0; i < 10; i++) {
    sys3(1, 3, (long)rec, sizeof rec);
  }
  for (volatile int spin = 1; spin;) {
  }
  action[0] = obs->hand_pos[0];
}
