#!/usr/bin/env bash
# The command table of `tracebot`: help lists every command and every task, each
# command's --help prints its usage, no command and unknown commands are one-line
# errors, and an unknown task is an error naming the task table in every command.
# Usage: test_cli_help.sh PATH/TO/tracebot SOURCE_DIR
set -u
tb=$1
# $tmp, $fails, expect, oneLineError, outHas, finish
. "$(dirname "$0")/cli_expect.sh"

commands="tasks run eval train replay report bench serve-sim sweep"

# The task names from the task table, and the list that messages print
expect 0 "tasks --json" -- "$tb" tasks --json
tasks=$(grep -o '"name":"[^"]*"' "$tmp/out" | sed 's/"name":"\(.*\)"/\1/')
list=$(echo $tasks | sed 's/ /, /g')
if [ -z "$tasks" ]; then echo "FAIL: tasks --json lists no task"; fails=$((fails + 1)); fi

# tracebot --help / -h / help: every command with its usage, every task
for h in --help -h help; do
  expect 0 "main help ($h)" -- "$tb" $h
  for c in $commands; do
    outHas "^  $c  "; outHas "^ *tracebot $c "
  done
  outHas "tasks: $list"
  for t in $tasks; do outHas "$t"; done
  if [ -s "$tmp/err" ]; then echo "FAIL: $h wrote to stderr"; fails=$((fails + 1)); fi
done

# tracebot CMD --help and tracebot help CMD: the row's usage, exit 0
for c in $commands; do
  expect 0 "$c --help" -- "$tb" $c --help; outHas "^usage: tracebot $c"
  cp "$tmp/out" "$tmp/help1"
  expect 0 "help $c" -- "$tb" help $c; outHas "^usage: tracebot $c"
  if ! cmp -s "$tmp/out" "$tmp/help1"; then
    echo "FAIL: 'help $c' differs from '$c --help'"; fails=$((fails + 1))
  fi
done
# --help after other flags still prints the usage
expect 0 "run flags --help" -- "$tb" run --task reach --help; outHas "^usage: tracebot run"
# the help of every command that takes --task names the tasks from the table
for c in run eval train bench serve-sim; do
  expect 0 "$c --help" -- "$tb" $c --help; outHas "$list"
done
expect 0 "train --help" -- "$tb" train --help; outHas "openai:MODEL"; outHas "replay:FILE"

# No command: exactly one line; unknown commands name themselves
expect 2 "no command" -- "$tb"
oneLineError "no command given (see tracebot --help)"
if [ -s "$tmp/out" ]; then echo "FAIL: no command wrote to stdout"; fails=$((fails + 1)); fi
expect 2 "unknown command" -- "$tb" fly; oneLineError "unknown command 'fly'"
expect 2 "help of an unknown command" -- "$tb" help fly; oneLineError "unknown command 'fly'"

# An unknown task is an error naming it and the task list, in every command
reach="$2/envs/experts/reach.c"
expect 2 "run unknown task" -- "$tb" run --task fly --controller "$reach"
oneLineError "unknown task 'fly' (tasks: $list)"
expect 2 "eval unknown task" -- "$tb" eval --task fly --controller "$reach" --seeds 0:1
oneLineError "unknown task 'fly' (tasks: $list)"
expect 2 "train unknown task" -- "$tb" train --task fly --llm exec:true --out "$tmp/run"
oneLineError "unknown task 'fly' (tasks: $list)"
expect 2 "bench unknown task" -- "$tb" bench --task fly
oneLineError "unknown task 'fly' (tasks: $list)"
expect 2 "serve-sim unknown task" -- "$tb" serve-sim --task fly
oneLineError "unknown task 'fly' (tasks: $list)"
# a missing --task names the tasks too
expect 2 "run without task" -- "$tb" run --controller "$reach"
oneLineError "--task is required (tasks: $list)"
expect 2 "serve-sim without task" -- "$tb" serve-sim
oneLineError "--task is required (tasks: $list)"

finish "cli help"
