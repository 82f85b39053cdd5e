#!/bin/sh
# tracebot train through the CLI: the missing-LLM message, bad flags, and a short run
# with the scripted LLM whose --json summary and progress lines are checked.
# Usage: test_train_cli.sh TRACEBOT SOURCE_DIR
set -u
bin=$1
src=$2
# $tmp, $fails, check, finish
. "$(dirname "$0")/../cli/cli_expect.sh"

# No LLM anywhere: exit 2 and one line naming the four ways to configure one.
env -u TRACEBOT_LLM "$bin" train --task reach --out "$tmp/none" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
  grep -q "openai:MODEL" "$tmp/err" && grep -q "anthropic:MODEL" "$tmp/err" &&
  grep -q "exec:COMMAND" "$tmp/err" && grep -q "replay:FILE" "$tmp/err" &&
  grep -q TRACEBOT_LLM "$tmp/err"
check "no llm: exit 2 with the four ways" $?

"$bin" train --task reach --llm exec:true --memory -1 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "^tracebot: .*--memory" "$tmp/err"
check "bad --memory: exit 2" $?

"$bin" train --task reach --llm exec:true --mask everything >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "mask" "$tmp/err"
check "bad --mask: exit 2" $?

"$bin" train --resume "$tmp/missing" --llm exec:true >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "config.json" "$tmp/err"
check "resume of a missing run: clear error" $?

"$bin" train --help | grep -q -- "--max-tokens-total"
check "train --help lists the flags" $?

"$bin" train --help >"$tmp/help"
grep -q -- "--protocol NAME *pool (default) | paper" "$tmp/help" &&
  grep -q -- "--train-seeds A:B *pool: the training starts (default 0:10)" "$tmp/help" &&
  grep -q -- "default 100:110 for pool" "$tmp/help" && grep -q -- "--until" "$tmp/help" &&
  grep -q -- "--patience K" "$tmp/help" && grep -q -- "--memory-chars N" "$tmp/help"
check "train --help names the protocols, the pool's flags and both seed defaults" $?

for bad in "--protocol greedy" "--until never" "--patience -1" "--memory-chars x" \
  "--train-seeds 5:5" "--protocol paper --train-seeds 0:10"; do
  # shellcheck disable=SC2086
  "$bin" train --task reach --llm exec:true --out "$tmp/bad" $bad >/dev/null 2>"$tmp/err"
  [ $? -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]
  check "bad $bad: exit 2 with one line" $?
done

# The default protocol: solved by the first answer, the run converges after one call.
"$bin" train --task reach --iters 30 --out "$tmp/pool" --json \
  --llm "exec:cat $src/tests/train/llm/reply_solve.txt" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 0 ] && grep -q '"stop_reason":"converged"' "$tmp/out" &&
  grep -q '"llm_calls":1' "$tmp/out" && grep -q '"train_starts":10' "$tmp/out" &&
  grep -q "converged: the controller succeeds on all 10 training starts" "$tmp/err" &&
  grep -q '"protocol":.*"pool"' "$tmp/pool/config.json" &&
  grep -q '"test_seeds":.*"100:110"' "$tmp/pool/config.json"
check "the pool protocol converges and says so" $?

# A working controller at the third answer: three calls, then converged (the paper
# protocol asks all --iters times).
bad=0
for proto in pool paper; do
  "$bin" train --task reach --protocol $proto --iters 6 --out "$tmp/k3-$proto" --json \
    --llm "exec:sh $src/tests/train/llm/working_at_k.sh $tmp/k3-$proto.state $src/envs/experts/reach.c 3" \
    >"$tmp/k3-$proto.json" 2>"$tmp/err" || bad=1
done
[ $bad -eq 0 ] && grep -q '"llm_calls":3,' "$tmp/k3-pool.json" &&
  grep -q '"stop_reason":"converged"' "$tmp/k3-pool.json" &&
  grep -q '"llm_calls":6,' "$tmp/k3-paper.json" &&
  grep -q '"stop_reason":"iters"' "$tmp/k3-paper.json" &&
  grep -q '"best_test_success_rate":1' "$tmp/k3-pool.json"
check "solved at the third answer: pool 3 calls, converged; paper 6 calls" $?

# A short paper-protocol run through TRACEBOT_LLM, with the summary as JSON.
TRACEBOT_LLM="exec:sh $src/tests/train/llm/scripted_llm.sh $src/tests/train/llm" \
  "$bin" train --task reach --protocol paper --iters 3 --out "$tmp/run" --json >"$tmp/out" \
  2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && grep -q '"final_test_success_rate":1' "$tmp/out" &&
  grep -q '"iterations":3' "$tmp/out" && [ "$(grep -c '^\[ *[0-9]*/3\]' "$tmp/err")" -eq 3 ]
check "train --json with TRACEBOT_LLM" $?

for f in config.json iterations.jsonl controller_best.c controller_final.c summary.json \
  episodes/iter_001.json; do
  [ -s "$tmp/run/$f" ]
  check "run directory has $f" $?
done
# A key given inline in the exec: command line never reaches the run directory.
key=sk-test-DO-NOT-LEAK-987654
OPENAI_API_KEY=$key "$bin" train --task reach --iters 1 --out "$tmp/keyrun" \
  --llm "exec:OPENAI_API_KEY=$key sh $src/tests/train/llm/scripted_llm.sh $src/tests/train/llm" \
  >/dev/null 2>"$tmp/err"
[ $? -eq 0 ] && [ -s "$tmp/keyrun/config.json" ] && ! grep -rq "$key" "$tmp/keyrun" &&
  ! grep -q "$key" "$tmp/err"
check "an inline API key is redacted from the run directory" $?

# Resume keeps the run's settings: flags that would change the experiment are refused.
"$bin" train --resume "$tmp/run" --memory 0 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- "--memory" "$tmp/err"
check "resume refuses --memory" $?

TRACEBOT_LLM=exec:false "$bin" train --resume "$tmp/run" --iters 4 >/dev/null 2>"$tmp/err"
[ $? -eq 0 ] && [ "$(wc -l <"$tmp/run/iterations.jsonl")" -eq 4 ]
check "resume uses the run's LLM, not TRACEBOT_LLM" $?

finish test_train_cli
