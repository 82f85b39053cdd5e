#!/usr/bin/env bash
# tracebot sweep on the local engine, end to end with the scripted LLM of tests/train/llm:
# a 2 x 2 x 2 grid (reach, push x trace, nomem x 2 repeats), the same grid killed in the
# middle and resumed (equal results; done cells left alone; a started cell continued with
# train --resume), one sweep process per directory, a cell failed by a down LLM and
# resumed, --status, the report, a spec file with a grid over a train flag, API keys kept
# out of the directory, and bad grids as one-line errors with exit status 2.
# Usage: test_sweep_cli.sh TRACEBOT SOURCE_DIR
set -u
tb=$1
src=$2
# $tmp, $fails, expect, oneLineError, outHas, finish
. "$src/tests/cli/cli_expect.sh"
# fail, count, results, waitFor
. "$src/tests/sweep/sweep_expect.sh"

llm="exec:sh $src/tests/train/llm/scripted_llm.sh $src/tests/train/llm"
grid=(--tasks reach,push --variants trace,nomem --repeats 2 --iters 3)

# ---------------------------------------------------------------- a whole sweep
expect 0 "sweep 2x2x2" -- "$tb" sweep "${grid[@]}" --llm "$llm" --out "$tmp/ref" --jobs 2 --json
outHas '"done":8'
[ "$(count "$tmp/ref" done)" = 8 ] || fail "the reference sweep did not finish every cell"
for t in reach push; do
  for v in trace nomem; do
    for r in 0 1; do
      run="$tmp/ref/runs/$t/$v/r$r"
      [ "$(wc -l <"$run/iterations.jsonl")" = 3 ] || fail "$run has not 3 iterations"
    done
  done
done
grep -q '"memory":[[:space:]]*0' "$tmp/ref/runs/push/nomem/r1/config.json" ||
  fail "the nomem variant did not train with --memory 0"
grep -q '"train_seed":[[:space:]]*1000' "$tmp/ref/runs/push/nomem/r1/config.json" ||
  fail "repeat 1 did not train from seed 0 + 1000"
# a cell is an ordinary run: train and report work on it
expect 0 "train --resume on a cell" -- "$tb" train --resume "$tmp/ref/runs/reach/trace/r0" --iters 3
expect 0 "report on a cell" -- "$tb" report "$tmp/ref/runs/reach/trace/r0" --frames 0

# ---------------------------------------------------------------- killed, then resumed
# each LLM answer takes 0.3 s, so that the kill finds cells half-way
setsid "$tb" sweep "${grid[@]}" --llm "$llm 0.3" --out "$tmp/kill" --jobs 2 \
  >"$tmp/kill.out" 2>&1 &
pid=$!
halfway() {
  [ -f "$tmp/kill/summary.json" ] && [ "$(count "$tmp/kill" done)" -ge 2 ] || return 1
  local f
  for f in "$tmp"/kill/runs/*/*/r*/iterations.jsonl; do
    [ -s "$f" ] && [ "$(wc -l <"$f")" -lt 3 ] && return 0
  done
  return 1
}
waitFor 600 halfway || fail "the sweep never had 2 cells done and one half-way"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
# the workers stop with their sweep process (and record their cells failed)
stopped() { ! "$tb" sweep --status "$tmp/kill" | grep -q " running "; }
waitFor 300 stopped || fail "workers still running after their sweep process was killed"
before=$(count "$tmp/kill" done)
[ "$before" -ge 2 ] && [ "$before" -lt 8 ] || fail "the kill left $before cells done"
# the cells done before the kill: their iterations, to see that the resume leaves them alone
"$tb" sweep --status "$tmp/kill" | awk '$3 == "done" {print $1, $2}' >"$tmp/done-before"
declare -A sums
while read -r i run; do
  sums[$run]=$(cksum <"$tmp/kill/runs/$run/iterations.jsonl")
done <"$tmp/done-before"
expect 0 "resume" -- "$tb" sweep --resume "$tmp/kill" --jobs 2
[ "$(count "$tmp/kill" done)" = 8 ] || fail "the resume did not finish every cell"
diff <(results "$tmp/ref") <(results "$tmp/kill") >"$tmp/diff" ||
  { fail "killed and resumed results differ from the reference:"; cat "$tmp/diff"; }
while read -r i run; do
  [ "${sums[$run]}" = "$(cksum <"$tmp/kill/runs/$run/iterations.jsonl")" ] ||
    fail "done cell $run changed on resume"
  grep -q '"attempts":[[:space:]]*1,' "$tmp/kill/cells/$i.json" || fail "done cell $run ran again"
done <"$tmp/done-before"
continued=0
for log in "$tmp"/kill/logs/*.log; do
  grep -q "attempt 2 .*: train --resume$" "$log" && continued=1
done
[ $continued = 1 ] || fail "no half-way cell was continued with train --resume"

# ---------------------------------------------------------------- one sweep per directory
setsid "$tb" sweep --tasks reach --iters 2 --llm "$llm 0.5" --out "$tmp/busy" >/dev/null 2>&1 &
pid=$!
waitFor 200 test -f "$tmp/busy/cells/0000.json" || fail "the busy sweep did not start"
expect 2 "a second sweep process on the directory" -- "$tb" sweep --resume "$tmp/busy"
oneLineError "is in use by another sweep process"
wait "$pid" || fail "the busy sweep failed"

# ---------------------------------------------------------------- a cell failed, then resumed
touch "$tmp/down"
down="exec:sh $src/tests/sweep/llm/down_llm.sh $src/tests/train/llm $tmp/down"
expect 1 "sweep while the LLM is down" -- "$tb" sweep --tasks reach --repeats 2 --iters 2 \
  --llm-attempts 1 --llm "$down" --out "$tmp/down-sweep"
# (progress lines, then the one error line)
tail -n 1 "$tmp/err" | grep -q "^tracebot: 2 of 2 cells are not done" ||
  fail "the last line does not say that 2 of 2 cells are not done"
[ "$(count "$tmp/down-sweep" failed)" = 2 ] || fail "the cells were not recorded failed"
grep -q '"reason":.*train exited with status 1: .*the LLM service is down' \
  "$tmp/down-sweep/summary.json" || fail "summary.json lacks the failure's reason"
expect 0 "status of a failed sweep" -- "$tb" sweep --status "$tmp/down-sweep"
outHas "2 failed"
outHas "the LLM service is down"
rm "$tmp/down"
expect 0 "resume once the LLM is back" -- "$tb" sweep --resume "$tmp/down-sweep"
[ "$(count "$tmp/down-sweep" done)" = 2 ] || fail "the resumed cells are not done"

# ---------------------------------------------------------------- status and report
expect 0 "status" -- "$tb" sweep --status "$tmp/ref"
outHas "8 cells: 8 done, 0 running, 0 failed, 0 pending"
outHas "0007 push/nomem/r1 .* done"
expect 0 "status --json" -- "$tb" sweep --status "$tmp/ref" --json
outHas '"cells":\[{"index":0,"task":"reach","variant":"trace","repeat":0,"status":"done"'
expect 0 "report of the sweep" -- "$tb" report "$tmp/ref" --frames 0
outHas "8 cells (8 done), 8 cell reports"
for f in sweep_curve.png sweep_curve.svg report.html runs/push/trace/r1/report.html; do
  [ -s "$tmp/ref/$f" ] || fail "the report did not write $f"
done
grep -q 'href="runs/push/trace/r1/report.html"' "$tmp/ref/report.html" ||
  fail "report.html does not link a cell's report"
grep -q '<td class="l">nomem</td><td>2/2</td><td>1.000 &plusmn; 0.000</td>' "$tmp/ref/report.html" ||
  fail "report.html lacks reach/nomem's row"

# ---------------------------------------------------------------- a spec file
cat >"$tmp/spec.json" <<EOF
{"tasks": ["reach"], "variants": ["trace"], "flags": {"--iters": 2},
 "grid": {"--memory": {"m0": 0, "m5": 5}}}
EOF
expect 0 "sweep --spec" -- "$tb" sweep --spec "$tmp/spec.json" --llm "$llm" --out "$tmp/spec"
grep -q '"memory":[[:space:]]*5' "$tmp/spec/runs/reach/trace+m5/r0/config.json" ||
  fail "the spec's grid did not give --memory 5"
[ "$(wc -l <"$tmp/spec/runs/reach/trace+m0/r0/iterations.jsonl")" = 2 ] ||
  fail "the spec's --iters 2 was not given"

# ---------------------------------------------------------------- keys stay in the environment
key=sk-test-sweep-NEVER-IN-FILES-31337
OPENAI_API_KEY=$key expect 0 "a sweep with a key in the environment" -- "$tb" sweep \
  --tasks reach --iters 1 --llm "$llm" --out "$tmp/keys"
! grep -rq "$key" "$tmp/keys" || fail "the key reached the sweep directory"
OPENAI_API_KEY=$key expect 2 "a key on the command line" -- "$tb" sweep --tasks reach \
  --llm "exec:OPENAI_API_KEY=$key sh x" --out "$tmp/keys2"
oneLineError "holds the value of an API key"
grep -q "$key" "$tmp/err" && fail "the message repeats the key"
[ -e "$tmp/keys2" ] && fail "a refused sweep made its directory"

# ---------------------------------------------------------------- bad grids: one line, exit 2
touch "$tmp/file"
bad() { # description, expected message, flags...
  local what=$1 msg=$2
  shift 2
  expect 2 "$what" -- "$tb" sweep --llm "$llm" "$@"
  oneLineError "$msg"
}
bad "unknown task" "unknown task 'fly' (tasks: reach, push, pick-place, door-open" \
  --tasks reach,fly --out "$tmp/b1"
bad "unknown variant" "unknown variant 'fast' (variants: trace, nomem, masked, opro)" \
  --tasks reach --variants trace,fast --out "$tmp/b2"
bad "repeats 0" "--repeats must be an integer in 1..1000, got '0'" \
  --tasks reach --repeats 0 --out "$tmp/b3"
bad "unwritable directory" "cannot create $tmp/file: it exists and is not a directory" \
  --tasks reach --out "$tmp/file/sweep"
bad "a directory below /proc" "cannot create /proc/tracebot-sweep" \
  --tasks reach --out /proc/tracebot-sweep
bad "a bad train flag" "--memory must be an integer in 0..1000, got '-1'" \
  --tasks reach --memory -1 --out "$tmp/b4"
bad "an unknown flag" "sweep: unknown flag '--speed'" --tasks reach --speed 2 --out "$tmp/b5"
bad "a flag the sweep sets" "--task cannot be a train flag of a sweep" \
  --tasks reach --task push --out "$tmp/b6"
bad "no --out" "--out DIR is required" --tasks reach
bad "a Slurm sweep in a path with a space" "the slurm engine needs a sweep directory without" \
  --tasks reach --engine slurm --out "$tmp/b 8"
bad "an --sbatch-arg that is no option" "--sbatch-arg 'time=5' is not one sbatch option" \
  --tasks reach --engine slurm --sbatch-arg time=5 --out "$tmp/b9"
bad "an unknown engine" "--engine must be local or slurm, got 'pbs'" --tasks reach \
  --engine pbs --out "$tmp/b10"
bad "an existing sweep" "already holds a sweep: continue it with tracebot sweep --resume" \
  --tasks reach --out "$tmp/ref"
bad "a directory with other files" "is not empty: a sweep needs a new or empty directory" \
  --tasks reach --out "$tmp/ref/runs"
echo '{"tasks": ["reach"], "repeat": 2}' >"$tmp/bad.json"
bad "a spec with an unknown key" "$tmp/bad.json: repeat: unknown key" --spec "$tmp/bad.json" \
  --out "$tmp/b7"
expect 2 "--resume with a train flag" -- "$tb" sweep --resume "$tmp/ref" --iters 2
oneLineError "--iters cannot go with --resume"
expect 2 "a cell that does not exist" -- "$tb" sweep --run-cell "$tmp/ref" 8
oneLineError "has no cell 8 (cells 0..7)"
expect 2 "status of a non-sweep" -- "$tb" sweep --status "$tmp"
oneLineError "is not a sweep (no sweep.json)"
for b in b1 b2 b3 b4 b5 b6 b7 "b 8" b9 b10; do
  [ -e "$tmp/$b" ] && fail "a refused grid made $tmp/$b"
done

finish test_sweep_cli
