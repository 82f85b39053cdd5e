/* expect: syscall */
/* Tries to create /tmp/tracebot_hostile_created and ./created with openat(2). */
static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

void controller(const obs_t *obs, double action[4]) {
  sys3(257, -100, (long)"/tmp/tracebot_hostile_created", 0101);
  action[1] = (double)sys3(257, -100, (long)"created", 0101);
  action[0] = obs->hand_pos[0] * 0.0;
}
