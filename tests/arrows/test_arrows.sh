#!/usr/bin/env bash
# Self-test of scripts/check-arrows.sh on a tiny fake tree in a temp directory: a clean
# tree passes with its one-line summary, and each kind of violation is caught with its
# file:line.
# Usage: test_arrows.sh [path/to/check-arrows.sh]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
check=${1:-$here/../../scripts/check-arrows.sh}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# put PATH LINE...: writes a file of the fake tree, one argument a line
put() {
  local path=$tmp/tree/$1
  shift
  mkdir -p "$(dirname "$path")"
  printf '%s\n' "$@" >"$path"
}

# expect NAME RC EXPECTED: runs the check on the fake tree; its output and exit code must
# be exactly these
expect() {
  local name=$1 want_rc=$2 want=$3 out rc=0
  out=$(bash "$check" --root "$tmp/tree" 2>&1) || rc=$?
  if [ "$rc" != "$want_rc" ] || [ "$out" != "$want" ]; then
    echo "FAIL $name: exit $rc (want $want_rc)"
    diff <(printf '%s\n' "$want") <(printf '%s\n' "$out") || true
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

# ---------------------------------------------------------------- a clean tree
put include/tracebot/error.h '#define TB_OK 0'
put include/tracebot/llm.h '#include "tracebot/error.h"' '#include <stddef.h>'
put include/tracebot/trace.h '#include "tracebot/error.h"' '#include "tracebot/llm.h"'
put include/tracebot/sim.h '#include "tracebot/error.h"' '#include <mujoco/mujoco.h>'
put include/tracebot/controller.h 'typedef int obs_t;'
put include/tracebot/fault.h 'typedef int agFaultType;'
put include/tracebot/envs.h '#include "tracebot/controller.h"' '#include "tracebot/sim.h"'
put include/tracebot/driver.h '#include <stddef.h>' '#include <stdint.h>'
put include/tracebot/sandbox.h '#include "tracebot/controller.h"' '#include "tracebot/fault.h"'
put base/base.h '#include "tracebot/error.h"'
put base/err.c '#include "base.h"'
put llm/llm_internal.h '#include "tracebot/llm.h"'
put llm/llm.c '#include "llm_internal.h"' '#include <curl/curl.h>'
put trace/trace_internal.h '#include "base.h"' '#include "tracebot/trace.h"'
put trace/graph.c '#include "trace_internal.h"' '#include <stdio.h>'
put sim/sim.c '#include "tracebot/sim.h"' '#include "base.h"'
put envs/envs_internal.h '#include "tracebot/envs.h"'
put envs/tasks/reach.c '#include "envs_internal.h"' '#include "experts/reach.c"'
put envs/experts/reach.c '#include "tracebot/controller.h"' '#include "anything.h"'
put sandbox/protocol.h '#include "tracebot/controller.h"'
put sandbox/sandbox.c '#include "protocol.h"' '#include "tracebot/sandbox.h"' \
  '#include "tracebot/fault.h"' '#include <seccomp.h>'
put train/runlog.h '#include <stddef.h>'
put train/runlog.c '#include "runlog.h"' '#include "tracebot/trace.h"'
put report/report.c '#include "runlog.h"' '#include "base.h"'
put cli/commands.h '#include "tracebot/trace.h"'
put cli/main.c '#include "commands.h"' '#include "tracebot/envs.h"' '#include <curl/curl.h>'
put tests/support/mock.h '#include "tracebot/sim.h"'
put tests/trace/fixture.h '#include "tracebot/trace.h"'
put tests/trace/test_graph.c '#include "fixture.h"' '#include "trace_internal.h"' \
  '#include "mock.h"' '#include "tracebot/envs.h"'
put tests/sandbox/hostile/escape.c '#include "../../../llm/llm_internal.h"'
put fuzz/CMakeLists.txt 'set(FUZZ_MODULE_llm_decode llm)'
put fuzz/fuzz_llm_decode.c '#include "llm_internal.h"'
put examples/plugin.c '#include "tracebot/driver.h"'
put build/CMakeCache.txt ''
put build/gen.c '#include "generated.h"'
expect clean_tree_passes 0 'check-arrows: 30 files, 48 includes, no violations'

# ---------------------------------------------------------------- violations
put trace/step.c '#include "trace_internal.h"' '#include "tracebot/sim.h"' \
  '#include <mujoco/mujoco.h>' '#include "protocol.h"' '#include "runlog.h"' \
  '#include "missing.h"' '#include "../cli/commands.h"'
put sandbox/child.c '#include "tracebot/envs.h"' '#include "tracebot/controller.h"'
put include/tracebot/driver.h '#include <stdint.h>' '#include <unistd.h>' \
  '#include "tracebot/error.h"'
put include/tracebot/controller.h '#include <math.h>'
put include/tracebot/llm.h '#include "base.h"' '#include "tracebot/sim.h"'
put include/tracebot/extra.h '#define EXTRA 1'
put cli/run.c '#include "runlog.h"'
put tests/llm/test_x.c '#include "trace_internal.h"' '#include "../trace/fixture.h"'
put fuzz/fuzz_parse.c '#include "trace_internal.h"'
put examples/peek.c '#include "base.h"'
put tools/gen.c '#include <stdio.h>'
expect violations_are_caught 1 "cli/run.c:1: cli may not include train/runlog.h (of train)
examples/peek.c:1: includes private header base/base.h of base
fuzz/fuzz_parse.c:1: includes private header trace/trace_internal.h of trace
include/tracebot/controller.h:1: controller.h may include nothing, not <math.h>
include/tracebot/driver.h:2: driver.h may include only C standard headers, not <unistd.h>
include/tracebot/driver.h:3: driver.h may include no tracebot header, not tracebot/error.h
include/tracebot/extra.h: is in no module (add it to the tables of scripts/check-arrows.sh)
include/tracebot/llm.h:1: includes private header base/base.h of base
include/tracebot/llm.h:2: llm may not include tracebot/sim.h (of sim)
sandbox/child.c:1: sandbox may not include tracebot/envs.h (of envs)
tests/llm/test_x.c:1: includes private header trace/trace_internal.h of trace
tests/llm/test_x.c:2: includes test header tests/trace/fixture.h
tools/gen.c: is in no module (add it to the tables of scripts/check-arrows.sh)
trace/step.c:2: trace may not include tracebot/sim.h (of sim)
trace/step.c:3: trace may not include <mujoco/mujoco.h> (of sim)
trace/step.c:4: includes private header sandbox/protocol.h of sandbox
trace/step.c:5: trace may not include train/runlog.h (of train)
trace/step.c:6: cannot resolve \"missing.h\"
trace/step.c:7: includes private header cli/commands.h of cli
check-arrows: 19 violations (rules: scripts/check-arrows.sh)"

# ---------------------------------------------------------------- a git work tree
# Inside one, the check reads the files git tracks or would track: ignored ones are skipped.
if command -v git >/dev/null 2>&1; then
  rm -rf "$tmp/tree"
  put .gitignore '/scratch/'
  put include/tracebot/error.h '#define TB_OK 0'
  put base/base.h '#include "tracebot/error.h"'
  put scratch/notes.c '#include "nowhere.h"'
  git -C "$tmp/tree" init -q
  expect git_tree_skips_ignored_files 0 'check-arrows: 2 files, 1 includes, no violations'
  git -C "$tmp/tree" add -A
  put llm/llm.c '#include "tracebot/error.h"' '#include "base/base.h"'
  expect git_tree_reads_untracked_files 1 'llm/llm.c:2: cannot resolve "base/base.h"
check-arrows: 1 violation (rules: scripts/check-arrows.sh)'
fi

[ "$failures" -eq 0 ] || { echo "$failures failed"; exit 1; }
echo "all passed"
