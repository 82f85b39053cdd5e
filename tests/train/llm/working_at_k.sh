#!/bin/sh
# A stateful scripted LLM for comparing the protocols (exec:): answer k and every later one
# is a working controller (the expert source EXPERT); answers 1 .. k-1 are the same expert
# slowed down by a factor that differs per answer, a controller of the same size that
# does not succeed. Counts its answers in the file STATE (remove it before a run).
# Usage: working_at_k.sh STATE EXPERT K
state=$1
expert=$2
k=$3
cat >/dev/null
n=$(($(cat "$state" 2>/dev/null || echo 0) + 1))
echo "$n" >"$state"
# the source as the body of a JSON string
escape() { awk 'BEGIN { ORS = "\\n" } { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); print }'; }
if [ "$n" -ge "$k" ]; then
  body=$(escape <"$expert")
  why="the expert's moves"
else
  body=$( (sed 's/^void controller(/static void expert(/' "$expert"
    printf 'void controller(const obs_t *obs, double action[4]) {\n'
    printf '  expert(obs, action);\n'
    printf '  for (int i = 0; i < 3; i++) {\n'
    printf '    action[i] *= 0.0%d;\n' "$n"
    printf '  }\n}\n') | escape)
  why="smaller moves, attempt $n"
fi
printf '{"reasoning": "%s", "answer": "", "suggestion": {"controller0": "%s"}}\n' "$why" "$body"
