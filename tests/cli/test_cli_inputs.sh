#!/usr/bin/env bash
# Input files that are not regular files (a FIFO with no writer, a directory, /dev/zero,
# a symbolic link to a device) or are too large: a one-line error and exit 2 at once, never
# a hang, for every path the CLI reads: the controller, --init, --driver-config, --driver,
# replay:FILE, a recording to replay, a run to resume or report.
# Usage: test_cli_inputs.sh PATH/TO/tracebot SOURCE_DIR
set -u
tb=$1
# $tmp, $fails, expect, oneLineError, outHas, finish
. "$(dirname "$0")/cli_expect.sh"

reach="$2/envs/experts/reach.c"
mkfifo "$tmp/fifo"
mkdir "$tmp/dir"
ln -s /dev/zero "$tmp/zero"
head -c 300000 /dev/zero | tr '\0' ' ' >"$tmp/big.c"
special=("$tmp/fifo" "$tmp/dir" /dev/zero "$tmp/zero")

# --controller of run, eval and train --init
for f in "${special[@]}"; do
  expect 2 "run --controller $f" -- timeout 10 "$tb" run --task reach --controller "$f"
  oneLineError "cannot read controller '$f': not a regular file"
  expect 2 "eval --controller $f" -- timeout 10 "$tb" eval --task reach --controller "$f" \
    --seeds 0:1
  oneLineError "cannot read controller '$f': not a regular file"
  expect 2 "train --init $f" -- timeout 10 "$tb" train --task reach --llm exec:true \
    --init "$f" --out "$tmp/run"
  oneLineError "cannot read controller '$f': not a regular file"
done
expect 2 "run: a FIFO names its kind" -- timeout 10 "$tb" run --task reach \
  --controller "$tmp/fifo"
oneLineError "(a FIFO)"
expect 2 "run: too large a controller" -- timeout 10 "$tb" run --task reach \
  --controller "$tmp/big.c"
oneLineError "cannot read controller '$tmp/big.c': larger than"

# --driver-config naming a file, and --driver naming a plug-in (dlopen would block on a FIFO)
for f in "${special[@]}"; do
  expect 2 "run --driver-config $f" -- timeout 10 "$tb" run --task reach \
    --controller "$reach" --driver sim --driver-config "$f"
  oneLineError "cannot read driver config '$f': not a regular file"
  expect 2 "run --driver $f" -- timeout 10 "$tb" run --task reach --controller "$reach" \
    --driver "$f"
  oneLineError "driver $f: cannot load: $f: not a regular file"
done

# replay:FILE of train (nothing is made) and a recording to replay; files over the caps
# (sparse: refused from their size, never read)
truncate -s 300M "$tmp/huge.jsonl"
truncate -s 65M "$tmp/huge.json"
for f in "${special[@]}" "$tmp/huge.jsonl"; do
  expect 2 "train --llm replay:$f" -- timeout 10 "$tb" train --task reach --llm "replay:$f" \
    --iters 1 --out "$tmp/replayed"
  oneLineError "replay: $f: "
  if [ -e "$tmp/replayed" ]; then echo "FAIL: replay:$f made the run"; fails=$((fails + 1)); fi
done
oneLineError "larger than 268435456 bytes"
for f in "${special[@]}" "$tmp/huge.json"; do
  expect 2 "replay $f" -- timeout 10 "$tb" replay "$f"
  oneLineError "episode load: $f: "
done
oneLineError "larger than 67108864 bytes"

# a run to resume or report whose files are special
llm="exec:sh $2/tests/train/llm/scripted_llm.sh $2/tests/train/llm"
expect 0 "a short run" -- timeout 60 "$tb" train --task reach --llm "$llm" --iters 1 \
  --test-seeds 1:3 --out "$tmp/run"
cp -r "$tmp/run" "$tmp/saved"
for name in config.json iterations.jsonl; do
  for kind in fifo dir; do
    rm -rf "$tmp/run/$name"
    if [ $kind = fifo ]; then mkfifo "$tmp/run/$name"; else mkdir "$tmp/run/$name"; fi
    expect 2 "resume with $name a $kind" -- timeout 10 "$tb" train --resume "$tmp/run"
    oneLineError "$tmp/run/$name: not a regular file"
    if [ $name = config.json ]; then # the report reads config.json when it can
      expect 0 "report with $name a $kind" -- timeout 10 "$tb" report "$tmp/run" --frames 0
    else
      expect 2 "report with $name a $kind" -- timeout 10 "$tb" report "$tmp/run" --frames 0
      oneLineError "$tmp/run/$name: not a regular file"
    fi
    rm -rf "$tmp/run/$name"
    cp "$tmp/saved/$name" "$tmp/run/$name"
  done
done
# a recorded episode of the run that is a FIFO: the report never blocks on it
rm "$tmp/run/episodes/iter_001.json"
mkfifo "$tmp/run/episodes/iter_001.json"
expect 0 "report with an episode a FIFO" -- timeout 30 "$tb" report "$tmp/run" --frames 2

finish "cli inputs"
