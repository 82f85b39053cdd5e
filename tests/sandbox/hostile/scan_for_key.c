/* expect: none */
/* check: no_key */
/* Scans its own stack from this frame up to the top (argv, environment and the
 * executable's name live there) for the parent's API key or its variable name.
 * action[0] = 1 if found; action[1] = 1 once the scan reached the top of the stack. */
static int match(const volatile char *p, const char *s) {
  while (*s != 0) {
    if (*p != *s) {
      return 0;
    }
    p++;
    s++;
  }
  return 1;
}

void controller(const obs_t *obs, double action[4]) {
  volatile char here = 0;
  const volatile char *p = &here;
  int found = 0;
  int seen = 0;
  for (long i = 0; i < 4L * 1024 * 1024 && seen < 2; i++, p++) {
    if (match(p, "sk-tracebot") || match(p, "OPENAI_API_KEY")) {
      found = 1;
    }
    if (match(p, "tracebot-sandbox")) {
      seen++; /* argv[0], then the executable's path just below the top */
    }
  }
  action[0] = found;
  action[1] = seen >= 2;
  action[2] = 0.0 * obs->step;
  action[3] = 0.0;
}
