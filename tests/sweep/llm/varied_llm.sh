#!/bin/sh
# A scripted LLM for sweeps (the exec: backend): stateless and deterministic like
# tests/train/llm/scripted_llm.sh, but it finds the task's solution only on some requests,
# picked by a checksum of the request, so that repeats (other training seeds, so other
# returns in the feedback) and variants (other prompts) learn at different speeds:
#   a request holding MARKER_SOLVE -> TERMINATE
#   else, checksum % 3 == 0        -> the task's scripted expert (envs/experts/), marked
#                                     MARKER_SOLVE
#   else                           -> a controller that does not compile
# $1: the source tree (for envs/experts/).
src=$1
req=$(cat)
case "$req" in
  *MARKER_SOLVE*)
    echo "The controller already solves the task. TERMINATE"
    exit 0
    ;;
esac
sum=$(printf '%s' "$req" | cksum | cut -d ' ' -f 1)
if [ $((sum % 3)) -ne 0 ]; then
  echo '{"reasoning": "Move towards the goal.", "answer": "", "suggestion": {"controller0": "void controller(const obs_t *obs, double action[4]) {\n  action[0] = obs->goal_pos[0] - obs->hand_pos[0]\n}\n"}}'
  exit 0
fi
case "$req" in
  *Pick-place:*) expert=pick_place ;;
  *Push:*) expert=push ;;
  *) expert=reach ;;
esac
# the expert's source as a JSON string
code=$(sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/\\t/g' "$src/envs/experts/$expert.c" |
  awk '{ printf "%s\\n", $0 }')
printf '{"reasoning": "Follow the task stage by stage.", "answer": "", "suggestion": '
printf '{"controller0": "/* MARKER_SOLVE */\\n%s"}}\n' "$code"
