/* expect: crash */
/* Answers step 0 normally, then at step 1 writes the answer for step 2 before the
 * parent asked: a reply out of turn. */
static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

void controller(const obs_t *obs, double action[4]) {
  static unsigned char rec[8 + 32];
  if (obs->step == 1) {
    rec[0] = 17;
    rec[4] = 32;
    sys3(1, 3, (long)rec, sizeof rec);
  }
  action[0] = 0.0;
  action[1] = 0.0;
  action[2] = 0.0;
  action[3] = 0.0;
}
