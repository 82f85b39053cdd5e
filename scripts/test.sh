#!/usr/bin/env bash
# Sets up, checks the formatting (when clang-format is installed), builds with warnings
# as errors, and runs every test (ctest + cmocka).
# Usage: scripts/test.sh [extra cmake args...]   e.g. -DTRACEBOT_SANITIZE=address,undefined
# The build directory defaults to build/ (TRACEBOT_BUILD_DIR overrides it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if command -v clang-format >/dev/null 2>&1 || command -v clang-format-14 >/dev/null 2>&1; then
  bash scripts/check-format.sh
fi
bash scripts/check-arrows.sh
build=${TRACEBOT_BUILD_DIR:-build}
cmake -S . -B "$build" -DTRACEBOT_WERROR=ON "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)"
