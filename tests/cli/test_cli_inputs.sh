#!/usr/bin/env bash
# Input files that are not regular files (a FIFO with no writer, a directory,
# /dev/zero) or are too large: a one-line error and exit 2 at once, never a hang.
# Usage: test_cli_inputs.sh PATH/TO/tracebot SOURCE_DIR
set -u
tb=$1
# $tmp, $fails, expect, oneLineError, outHas, finish
. "$(dirname "$0")/cli_expect.sh"

reach="$2/envs/experts/reach.c"
mkfifo "$tmp/fifo"
mkdir "$tmp/dir"
head -c 300000 /dev/zero | tr '\0' ' ' >"$tmp/big.c"

# --controller of run, eval and train --init
for f in "$tmp/fifo" "$tmp/dir" /dev/zero; do
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

# --driver-config naming a file
for f in "$tmp/fifo" "$tmp/dir" /dev/zero; do
  expect 2 "run --driver-config $f" -- timeout 10 "$tb" run --task reach \
    --controller "$reach" --driver sim --driver-config "$f"
  oneLineError "cannot read driver config '$f': not a regular file"
done

finish "cli inputs"
