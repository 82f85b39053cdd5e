#!/bin/sh
# An LLM that answers with a 300 KB controller (more than the sandbox takes).
cat >/dev/null
printf '{"reasoning": "bigger is better", "suggestion": {"controller0": "/* '
head -c 300000 /dev/zero | tr '\0' x
printf ' */\\nvoid controller(const obs_t *obs, double action[4]) { (void)obs; action[0] = 0; }\\n"}}'
