#!/usr/bin/env bash
# Output paths that exist and are not regular files (a FIFO with no reader, a directory, a
# symbolic link, a device such as /dev/full) are refused with one line and exit 2 before
# any work, and are left as they were: run --record, replay --png and --video, the files a
# report writes, a run directory that already holds a run.
# Usage: test_cli_outputs.sh PATH/TO/tracebot SOURCE_DIR
set -u
tb=$1
# $tmp, $fails, expect, oneLineError, outHas, finish
. "$(dirname "$0")/cli_expect.sh"

reach="$2/envs/experts/reach.c"
mkfifo "$tmp/fifo.json"
mkdir "$tmp/dir.json"
ln -s /dev/null "$tmp/null.json"
echo keep >"$tmp/target.json"
ln -s "$tmp/target.json" "$tmp/link.json"

# every special path is left as it was
unchanged() {
  [ -p "$tmp/fifo.json" ] && [ -d "$tmp/dir.json" ] && [ -L "$tmp/null.json" ] &&
    [ -L "$tmp/link.json" ] && [ "$(cat "$tmp/target.json")" = keep ] && [ -c /dev/full ] ||
    { echo "FAIL: $1 changed a special path"; fails=$((fails + 1)); }
}

kinds=("$tmp/fifo.json:a FIFO" "$tmp/dir.json:a directory" "$tmp/null.json:a symbolic link"
  "$tmp/link.json:a symbolic link" "/dev/full:a character device")
for pk in "${kinds[@]}"; do
  p=${pk%%:*}
  kind=${pk#*:}
  expect 2 "run --record $p" -- timeout 10 "$tb" run --task reach --controller "$reach" \
    --record "$p"
  oneLineError "--record: $p exists and is $kind; refusing to replace it"
  if [ -s "$tmp/out" ]; then echo "FAIL: run --record $p ran the episode"; fails=$((fails + 1)); fi
  unchanged "run --record $p"
done
expect 2 "run --record in a missing directory" -- timeout 10 "$tb" run --task reach \
  --controller "$reach" --record "$tmp/none/ep.json"
oneLineError "--record: cannot write $tmp/none/ep.json: $tmp/none is not a directory"

# replay --png and --video (checked before anything is drawn, with or without a viewer)
expect 0 "a recording" -- "$tb" run --task reach --controller "$reach" --record "$tmp/ep.json"
for flag in --png --video; do
  for pk in "${kinds[@]}"; do
    p=${pk%%:*}
    kind=${pk#*:}
    expect 2 "replay $flag $p" -- timeout 10 "$tb" replay "$tmp/ep.json" $flag "$p"
    oneLineError "$flag: $p exists and is $kind; refusing to replace it"
    unchanged "replay $flag $p"
  done
done

# the report's files, and a run directory that holds a run
llm="exec:sh $2/tests/train/llm/scripted_llm.sh $2/tests/train/llm"
expect 0 "a short run" -- timeout 60 "$tb" train --task reach --llm "$llm" --iters 1 \
  --test-seeds 1:3 --out "$tmp/run"
mkfifo "$tmp/run/report.html"
expect 2 "report.html a FIFO" -- timeout 10 "$tb" report "$tmp/run" --frames 0
oneLineError "report: $tmp/run/report.html exists and is a FIFO; refusing to replace it"
rm "$tmp/run/report.html"
mkdir "$tmp/run/learning_curve.svg"
expect 2 "learning_curve.svg a directory" -- timeout 10 "$tb" report "$tmp/run" --frames 0
oneLineError "learning_curve.svg exists and is a directory"
rmdir "$tmp/run/learning_curve.svg"
ln -s /dev/full "$tmp/run/learning_curve.png"
expect 2 "learning_curve.png a link" -- timeout 10 "$tb" report "$tmp/run" --frames 0
oneLineError "learning_curve.png is a symbolic link; refusing a directory that holds links"
rm "$tmp/run/learning_curve.png"
[ -c /dev/full ] || { echo "FAIL: /dev/full replaced"; fails=$((fails + 1)); }
cp "$tmp/run/config.json" "$tmp/config.saved"
: >"$tmp/run/iterations.jsonl"
expect 2 "a new run where one was" -- timeout 10 "$tb" train --task reach --llm "$llm" \
  --out "$tmp/run"
oneLineError "$tmp/run already holds a run: use --resume"
cmp -s "$tmp/config.saved" "$tmp/run/config.json" ||
  { echo "FAIL: config.json of the old run replaced"; fails=$((fails + 1)); }
for p in "$tmp/fifo.json" /dev/full; do
  expect 2 "train --out $p" -- timeout 10 "$tb" train --task reach --llm "$llm" --out "$p"
  oneLineError "$p exists and is not a directory"
done
unchanged "train --out"

finish "cli outputs"
