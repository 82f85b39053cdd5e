/* expect: crash */
/* Writes 8 MB of garbage into its own result socket (fd 3). */
static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

void controller(const obs_t *obs, double action[4]) {
  static char buf[1 << 20];
  for (int i = 0; i < (int)sizeof buf; i++) {
    buf[i] = (char)0xA5;
  }
  for (int k = 0; k < 8; k++) {
    sys3(1, 3, (long)buf, sizeof buf);
  }
  action[0] = obs->hand_pos[0] * 0.0;
}
