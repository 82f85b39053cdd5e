#!/usr/bin/env bash
# The main job on a fresh machine: installs the dependencies, builds tracebot, and runs
# one pick-place episode with the scripted expert controller (per-step table + result).
# With an LLM configured (TRACEBOT_LLM, see README.md), it then trains a reach controller.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build=${TRACEBOT_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target tracebot tracebot-sandbox >/dev/null
tb="$build/bin/tracebot"

echo "== tracebot run --task pick-place --controller envs/experts/pick_place.c --seed 0"
"$tb" run --task pick-place --controller envs/experts/pick_place.c --seed 0

if [ -n "${TRACEBOT_LLM:-}" ]; then
  echo "== tracebot train --task reach --iters 10 (LLM: ${TRACEBOT_LLM%%:*})"
  "$tb" train --task reach --iters 10
else
  echo
  echo "Next: configure an LLM (README.md, 'Configuring an LLM') and train, e.g."
  echo "  OPENAI_API_KEY=... $tb train --task reach --llm openai:gpt-4o --iters 10"
fi
