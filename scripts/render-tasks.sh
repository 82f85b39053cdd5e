#!/usr/bin/env bash
# Renders one frame of every task (its expert, seed 0, near the end of the episode) and tiles
# them into docs/tasks.png. Needs a build (build/bin/tracebot), ffmpeg and an X display (run
# under xvfb-run -a on a server).
# Usage: scripts/render-tasks.sh [BUILD_DIR] [OUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-docs/tasks.png}
tb="$build/bin/tracebot"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mapfile -t tasks < <("$tb" tasks --json | grep -o '"name": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/')
i=0
for task in "${tasks[@]}"; do
  stem=${task//-/_}
  "$tb" run --task "$task" --controller "envs/experts/$stem.c" --seed 0 \
    --record "$work/$stem.json" >/dev/null 2>&1
  # the last recorded state: the expert's success (or the end of the episode)
  states=$("$tb" replay "$work/$stem.json" | sed -n 's/.*, \([0-9]*\) states .*/\1/p')
  "$tb" replay "$work/$stem.json" --png "$(printf '%s/frame_%02d.png' "$work" "$i")" \
    --frame $((states - 1)) --size 480x360 >/dev/null 2>&1
  i=$((i + 1))
done
cols=$(( i < 4 ? i : 4 ))
rows=$(( (i + cols - 1) / cols ))
ffmpeg -loglevel error -y -i "$work/frame_%02d.png" -vf "tile=${cols}x${rows}:padding=4:color=white" \
  -frames:v 1 "$out"
echo "render-tasks: $i tasks -> $out"
