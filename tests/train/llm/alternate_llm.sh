#!/bin/sh
# A scripted LLM for the pool tests (exec:): answers two useless controllers in turn,
# MARKER_ALT_B when the current one (first in #Variables) is MARKER_ALT_A, else
# MARKER_ALT_A. Neither moves the hand, so neither succeeds anywhere. Stateless.
req=$(cat)
case "$req" in
  *"#Variables\\n(code) controller0:/* MARKER_ALT_A"*) marker=MARKER_ALT_B ;;
  *) marker=MARKER_ALT_A ;;
esac
printf '{"reasoning": "try the other one", "suggestion": {"controller0": "/* %s */\\nvoid controller(const obs_t *obs, double action[4]) {\\n  (void)obs;\\n  action[0] = action[1] = action[2] = 0.0;\\n  action[3] = 1.0;\\n}\\n"}}' "$marker"
