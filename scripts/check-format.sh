#!/usr/bin/env bash
# Checks that every C source and header in the modules, tests, fuzzers and benchmarks
# matches .clang-format. Exits non-zero (and lists the drift) when one does not.
# Fix drift with: scripts/check-format.sh --fix
# The style is pinned to clang-format 14 (Debian 12); other major versions format some
# constructs differently, so with one of those the check is skipped with a note.
# CLANG_FORMAT overrides the binary.
set -euo pipefail
cd "$(dirname "$0")/.."

cf=${CLANG_FORMAT:-}
if [ -z "$cf" ]; then
  for c in clang-format-14 clang-format; do
    if command -v "$c" >/dev/null 2>&1; then cf=$c; break; fi
  done
fi
if [ -z "$cf" ]; then
  echo "check-format: clang-format not found (scripts/setup.sh installs it)" >&2
  exit 1
fi
major=$("$cf" --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
if [ "$major" != 14 ]; then
  echo "check-format: skipped: $cf is version ${major:-unknown}, the style is pinned to 14" >&2
  exit 0
fi

# Every C file the repository tracks or would track (build directories are ignored).
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.h' | sort)

if [ "${1:-}" = --fix ]; then
  "$cf" -i "${files[@]}"
  exit 0
fi
if ! "$cf" --dry-run --Werror "${files[@]}"; then
  echo "check-format: formatting drift (fix with scripts/check-format.sh --fix)" >&2
  exit 1
fi
