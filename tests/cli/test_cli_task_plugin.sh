#!/usr/bin/env bash
# --task-plugin through the CLI: the example plug-in (examples/task_plugin, task "stack")
# listed by tasks, run and evaluated with its expert, trained with a scripted LLM and
# resumed from the plug-in path in config.json; a plug-in that fails to load (wrong ABI
# version, no entry symbol, objects that do not compile, the name of a built-in task, no
# file) is one line and exit 2 in every command; every command's help names the flag.
# Usage: test_cli_task_plugin.sh TRACEBOT SOURCE_DIR STACK_SO FAKE_DIR
set -u
tb=$1
src=$2
stack=$3
fake=$4
# $tmp, $fails, expect, oneLineError, outHas, finish
. "$(dirname "$0")/cli_expect.sh"
expert="$src/examples/task_plugin/expert.c"
llm="exec:sh $src/tests/train/llm/scripted_llm.sh $src/tests/train/llm"

# tasks: the plug-in's task after the built-in ones, in text and JSON; the plug-in twice
# is loaded once
expect 0 "tasks with the plug-in" -- "$tb" tasks --task-plugin "$stack" --json
outHas '"name":"stack"'
outHas '"expert":"examples/task_plugin/expert.c"'
outHas "\"plugin\":\"$(readlink -f "$stack")\""
outHas '"name":"push","instruction":"[^"]*","expert":"envs/experts/push.c","plugin":null'
last=$(grep -o '"name":"[^"]*"' "$tmp/out" | tail -1)
[ "$last" = '"name":"stack"' ] || { echo "FAIL: stack is not the last task"; fails=$((fails + 1)); }
expect 0 "tasks with the plug-in twice" -- "$tb" tasks --task-plugin="$stack" \
  --task-plugin "$stack"
[ "$(grep -c '^stack ' "$tmp/out")" -eq 1 ] || { echo "FAIL: stack listed twice"; fails=$((fails + 1)); }
expect 0 "tasks without it" -- "$tb" tasks
if grep -q '^stack ' "$tmp/out"; then echo "FAIL: stack without the plug-in"; fails=$((fails + 1)); fi

# run and eval with the plug-in's expert; the flag may come anywhere
expect 0 "run stack" -- "$tb" run --task stack --controller "$expert" --seed 3 --json \
  --task-plugin "$stack" --record "$tmp/ep.json"
outHas '"success":true'
outHas '"object2":\['
expect 0 "eval stack" -- "$tb" eval --task-plugin "$stack" --task stack --controller "$expert" \
  --seeds 0:10 --jobs 2 --json
outHas '"success_rate":1'
expect 0 "run stack through the sim driver" -- "$tb" run --task-plugin "$stack" --task stack \
  --controller "$expert" --driver sim --json
outHas '"success":true'
# without the plug-in, its task is unknown and so is its recording's
expect 2 "run stack without the plug-in" -- "$tb" run --task stack --controller "$expert"
oneLineError "unknown task 'stack'"

# train with a scripted LLM; config.json names the plug-in; resume loads it again
expect 0 "train stack" -- "$tb" train --task-plugin "$stack" --task stack --iters 2 \
  --llm "$llm" --out "$tmp/run" --json
outHas '"iterations":2'
real=$(readlink -f "$stack")
grep -q "\"task_plugin\":[[:space:]]*\"$real\"" "$tmp/run/config.json" ||
  { echo "FAIL: config.json lacks the plug-in's path"; fails=$((fails + 1)); }
grep -q '"task":[[:space:]]*"stack"' "$tmp/run/config.json" ||
  { echo "FAIL: config.json lacks the task"; fails=$((fails + 1)); }
expect 0 "resume stack without --task-plugin" -- "$tb" train --resume "$tmp/run" --iters 3 --json
outHas '"iterations":3'
# a run whose plug-in is gone: one line, exit 2
cp "$stack" "$tmp/gone.so"
expect 0 "train from a copy" -- "$tb" train --task-plugin "$tmp/gone.so" --task stack --iters 1 \
  --llm "$llm" --out "$tmp/run2"
rm "$tmp/gone.so"
expect 2 "resume with the plug-in gone" -- "$tb" train --resume "$tmp/run2" --iters 2
oneLineError "task_plugin.*cannot load"
expect 0 "train help names the flag" -- "$tb" train --help
outHas -- "--task-plugin PATH.so"

# every command: a bad plug-in is one line and exit 2, before anything else
for c in tasks run eval train replay report bench serve-sim; do
  expect 2 "$c with a plug-in of another ABI" -- "$tb" $c --task-plugin "$fake/fake_task_bad_abi.so"
  oneLineError "task plug-in .*fake_task_bad_abi.so: ABI version 99, tracebot speaks 1"
  expect 0 "$c --help" -- "$tb" $c --help
  outHas -- "--task-plugin PATH.so"
done
expect 2 "no entry symbol" -- "$tb" run --task-plugin "$fake/fake_task_no_entry.so" --task stack
oneLineError "missing entry symbol tracebot_task_init"
expect 2 "bad MJCF" -- "$tb" eval --task-plugin "$fake/fake_task_bad_mjcf.so" --task stack
oneLineError "task fake-touch: the scene with its objects does not compile"
expect 2 "a built-in name" -- "$tb" train --task-plugin "$fake/fake_task_clash.so" --task push
oneLineError "task push: a built-in task has that name"
expect 2 "no file" -- "$tb" bench --task-plugin "$tmp/none.so"
oneLineError "task plug-in $tmp/none.so: cannot load: No such file or directory"
expect 2 "no value" -- "$tb" tasks --task-plugin
oneLineError "needs a value"

finish "cli task plug-in"
