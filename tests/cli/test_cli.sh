#!/usr/bin/env bash
# CLI contract of `tracebot` (exit statuses, one-line errors, JSON fields).
# Usage: test_cli.sh PATH/TO/tracebot SOURCE_DIR
set -u
tb=$1
src=$2
# $tmp, $fails, expect, oneLineError, outHas, finish
. "$(dirname "$0")/cli_expect.sh"

reach="$src/envs/experts/reach.c"
printf 'void controller(const obs_t *o, double a[4]) { a[0] = o->step == 1 ? 0.0/0.0 : 0.0; }\n' \
  >"$tmp/nan.c"

expect 0 "help" -- "$tb" --help;                 outHas "usage: tracebot"
expect 2 "no command" -- "$tb";                oneLineError "no command given"
expect 2 "unknown command" -- "$tb" fly;          oneLineError "unknown command 'fly'"
for c in tasks run eval bench; do
  expect 0 "$c --help" -- "$tb" $c --help;        outHas "usage: tracebot $c"
done
expect 0 "tasks" -- "$tb" tasks;                  outHas "pick-place"
expect 0 "tasks --json" -- "$tb" tasks --json;    outHas '"name":"push"'
expect 2 "tasks bad flag" -- "$tb" tasks --bogus; oneLineError "unknown flag '--bogus'"

expect 2 "resume names the first fixed flag" -- "$tb" train --task=reach --llm=x --resume "$tmp/r"
oneLineError "; --task cannot change"
expect 2 "unknown task" -- "$tb" run --task fly --controller "$reach"
oneLineError "unknown task 'fly'"
expect 2 "missing controller file" -- "$tb" run --task reach --controller "$tmp/none.c"
oneLineError "cannot read controller '$tmp/none.c'"
expect 2 "no --controller" -- "$tb" run --task reach;  oneLineError "--controller is required"
expect 2 "unknown flag" -- "$tb" run --task reach --controller "$reach" --speed 3
oneLineError "unknown flag '--speed'"
expect 2 "bad seed" -- "$tb" run --task reach --controller "$reach" --seed x
oneLineError "--seed"
expect 2 "bad mode" -- "$tb" run --task reach --controller "$reach" --mode sideways
oneLineError "--mode"
expect 2 "malformed seeds" -- "$tb" eval --task reach --controller "$reach" --seeds 5
oneLineError "malformed seed range '5'"
expect 2 "empty seeds" -- "$tb" eval --task reach --controller "$reach" --seeds 4:4
oneLineError "seed range"

expect 0 "run text" -- "$tb" run --task reach --controller "$reach" --seed 2
outHas "reward"; outHas "reach seed 2: success"
expect 0 "run json" -- "$tb" run --task reach --controller "$reach" --seed 2 --json
outHas '"task":"reach"'; outHas '"seed":2'; outHas '"success":true'; outHas '"fault":null'
outHas '"return":'; outHas '"steps":'
expect 0 "run absolute" -- "$tb" run --task reach --controller "$reach" --mode absolute --json
outHas '"mode":"absolute"'
expect 0 "faulted run is a result" -- "$tb" run --task reach --controller "$tmp/nan.c" --json
outHas '"kind":"invalid_action"'; outHas '"step":1'
expect 0 "eval json" -- "$tb" eval --task reach --controller "$reach" --seeds 0:4 --jobs 2 --json
outHas '"episodes":4'; outHas '"success_rate":1'; outHas '"mean_return":'
outHas '"faults":{"compile":0'
expect 0 "eval faults" -- "$tb" eval --task reach --controller "$tmp/nan.c" --seeds 0:3 --json
outHas '"invalid_action":3'
outHas '"first_fault":{"seed":0,"kind":"invalid_action"'
expect 0 "eval names the first fault" -- "$tb" eval --task reach --controller "$tmp/nan.c" \
  --seeds 0:3
outHas "first fault (seed 0): invalid_action: action"
if ! grep -q "eval: 3/3" "$tmp/err"; then echo "FAIL: no eval progress on stderr"; fails=$((fails+1)); fi
expect 1 "sandbox missing" -- env TRACEBOT_SANDBOX=/nonexistent "$tb" run --task reach --controller "$reach"
oneLineError "/nonexistent"

finish "cli"
