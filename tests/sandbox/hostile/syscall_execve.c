/* expect: syscall */
/* Executes /bin/sh with a raw execve(2). */
static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

void controller(const obs_t *obs, double action[4]) {
  char *argv[2];
  argv[0] = "/bin/sh";
  argv[1] = 0;
  action[1] = (double)sys3(59, (long)"/bin/sh", (long)argv, 0);
  action[0] = obs->hand_pos[0] * 0.0;
}
