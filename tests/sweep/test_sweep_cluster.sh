#!/usr/bin/env bash
# tracebot sweep --engine slurm against a real single-node Slurm cluster that this test
# starts in a temporary folder (slurm_cluster.sh: munged, slurmctld, slurmd, a private
# slurm.conf) and stops at the end: a 2 x 2 x 2 grid with --wait equals the local engine's
# results; the sbatch script and --sbatch-arg; no API key in any file while the job
# inherits it; submitting without --wait and following with --status; a resume refused
# while the job is queued; a cell cancelled by Slurm recorded failed, then resumed.
# Skips (exit 77) with a message only when Slurm or munge is not installed.
# Usage: test_sweep_cluster.sh TRACEBOT SOURCE_DIR
set -u
tb=$1
src=$2
. "$src/tests/sweep/slurm_cluster.sh"
missing=$(cluster_missing)
if [ -n "$missing" ]; then
  echo "SKIP: Slurm is not installed (missing:$missing); scripts/setup.sh installs slurm-wlm" \
    "and munge"
  exit 77
fi
# $tmp, $fails, expect, oneLineError, outHas, finish
. "$src/tests/cli/cli_expect.sh"
# fail, count, results, waitFor
. "$src/tests/sweep/sweep_expect.sh"
trap 'cluster_stop; rm -rf "$tmp"' EXIT
if ! cluster_start "$tmp/cluster"; then
  echo "FAIL: the private Slurm cluster did not start"
  exit 1
fi

llm="exec:sh $src/tests/train/llm/scripted_llm.sh $src/tests/train/llm"
# (an LLM whose answers depend on the request, so that cells differ and equal means equal)
varied="exec:sh $src/tests/sweep/llm/varied_llm.sh $src"
grid=(--tasks reach,push --variants trace,nomem --repeats 2 --iters 3)
# the job inherits the environment: the key is there, and must be in no file
export OPENAI_API_KEY=sk-test-cluster-NEVER-IN-FILES-2718

# ---------------------------------------------------------------- equal to the local engine
expect 0 "local sweep 2x2x2" -- "$tb" sweep "${grid[@]}" --llm "$varied" --out "$tmp/local" \
  --jobs 2
expect 0 "slurm sweep 2x2x2 --wait" -- "$tb" sweep "${grid[@]}" --llm "$varied" --out "$tmp/slurm" \
  --engine slurm --wait --poll 0.5 --sbatch-arg=--partition=debug --sbatch-arg=--time=10
outHas "8 cells: 8 done, 0 failed"
diff <(results "$tmp/local") <(results "$tmp/slurm") >"$tmp/diff" ||
  { fail "the slurm engine's results differ from the local engine's:"; cat "$tmp/diff"; }
job=$(grep -o '"job":[[:space:]]*"[0-9]*"' "$tmp/slurm/engine.json" | grep -o '[0-9]*')
[ -n "$job" ] || fail "engine.json has no Slurm job id"
grep -q "\"engine_job\":[[:space:]]*\"${job}_7\"" "$tmp/slurm/summary.json" ||
  fail "cell 7 does not name its array task ${job}_7"
script="$tmp/slurm/sweep.sbatch"
grep -q '^#SBATCH --array=0-7$' "$script" || fail "sweep.sbatch: no array of the 8 cells"
grep -q '^#SBATCH --partition=debug$' "$script" && grep -q '^#SBATCH --time=10$' "$script" ||
  fail "sweep.sbatch lacks the --sbatch-arg options"
grep -q "^exec '.*tracebot' sweep --run-cell '$tmp/slurm' \"\$SLURM_ARRAY_TASK_ID\"$" "$script" ||
  fail "sweep.sbatch does not run the cell of its index"
[ -f "$tmp/slurm/logs/slurm-${job}_0.out" ] ||
  fail "Slurm wrote no output file of array task 0"
! grep -rq "$OPENAI_API_KEY" "$tmp/slurm" || fail "the API key reached the sweep directory"
expect 0 "status of the slurm sweep" -- "$tb" sweep --status "$tmp/slurm"
outHas "8 done, 0 running, 0 failed, 0 pending (Slurm job $job)"

# ---------------------------------------------------------------- without --wait
expect 0 "submit without --wait" -- "$tb" sweep --tasks reach --repeats 2 --iters 2 --llm "$llm" \
  --out "$tmp/nowait" --engine slurm
outHas "Slurm job [0-9]* has 2 cells to run; follow it with tracebot sweep --status"
allDone() { "$tb" sweep --status "$tmp/nowait" | grep -q "2 cells: 2 done"; }
waitFor 600 allDone || fail "the submitted sweep never finished (--status)"

# ---------------------------------------------------------------- cancelled, then resumed
expect 0 "submit a slow sweep" -- "$tb" sweep --tasks reach --repeats 2 --iters 2 \
  --llm "$llm 2" --out "$tmp/cancel" --engine slurm
expect 2 "resume while the job is queued" -- "$tb" sweep --resume "$tmp/cancel"
oneLineError "is still queued or running"
job=$(grep -o '"job":[[:space:]]*"[0-9]*"' "$tmp/cancel/engine.json" | grep -o '[0-9]*')
running() { grep -qs '"status":[[:space:]]*"running"' "$tmp/cancel/cells/0000.json"; }
waitFor 600 running || fail "cell 0 of the slow sweep never ran"
scancel "$job"
ended() { "$tb" sweep --status "$tmp/cancel" | grep -q "2 cells: 0 done, 0 running, 2 failed"; }
waitFor 600 ended || { fail "the cancelled cells were not recorded failed"; \
  "$tb" sweep --status "$tmp/cancel"; }
# (how a cell learns it: its runner's stop flag, Slurm's CANCELLED, the signal that killed
# its train process, or a runner killed before it could write, when Slurm tears the job
# down faster than the runner reacts, as on a slow machine)
grep -q '"reason":.*\(interrupted by a signal\|CANCELLED\|killed by signal\|runner stopped\)' \
  "$tmp/cancel/summary.json" || {
  fail "summary.json does not say the cells were cancelled"
  grep '"reason"' "$tmp/cancel/summary.json" >&2
}
# (the cells end before their job has left the queue)
gone() { [ -z "$(squeue -h -j "$job" 2>/dev/null)" ]; }
waitFor 600 gone || fail "the cancelled job $job never left the queue"
expect 0 "resume the cancelled sweep on Slurm" -- "$tb" sweep --resume "$tmp/cancel" --wait \
  --poll 0.5
[ "$(count "$tmp/cancel" done)" = 2 ] || fail "the resumed cells are not done"
grep -q "^#SBATCH --array=0-1$" "$tmp/cancel/sweep.sbatch" || fail "the resume ran other cells"

finish test_sweep_cluster
