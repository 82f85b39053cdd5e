/* expect: syscall */
/* Forks with a raw fork(2). */
static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

void controller(const obs_t *obs, double action[4]) {
  action[1] = (double)sys3(57, 0, 0, 0);
  action[0] = obs->hand_pos[0] * 0.0;
}
