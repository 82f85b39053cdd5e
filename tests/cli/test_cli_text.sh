#!/usr/bin/env bash
# Text from a file, an LLM or a controller printed to the terminal has its control
# characters escaped (a crafted recording cannot drive the terminal); --json output and
# every file written as JSON are valid UTF-8; numbers are checked at the flag against what
# the whole pipeline keeps (seeds up to 2^53, in JSON exactly).
# Usage: test_cli_text.sh PATH/TO/tracebot SOURCE_DIR
set -u
tb=$1
# $tmp, $fails, expect, oneLineError, outHas, finish
. "$(dirname "$0")/cli_expect.sh"

reach="$2/envs/experts/reach.c"
esc=$(printf '\033')
# no raw control byte (ESC, BEL, CSI in UTF-8) in stdout or stderr
noControls() {
  if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$tmp/out" "$tmp/err" ||
    LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$tmp/out" "$tmp/err"; then
    echo "FAIL: $1: a raw control character reached the terminal:"; cat -v "$tmp/out" "$tmp/err"
    fails=$((fails + 1))
  fi
}
# valid UTF-8 (iconv refuses anything else)
isUtf8() {
  if ! iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1; then
    echo "FAIL: $1 is not valid UTF-8"; fails=$((fails + 1))
  fi
}

# A recording whose texts hold escape sequences, as a crafted file would
expect 0 "a recording" -- "$tb" run --task reach --controller "$reach" --record "$tmp/ep.json"
sed 's/"fault": null}}/"fault": {"kind": "crash\\u001b[31m", "message": "\\u001b]0;owned\\u0007\\u001b[2J\\u009b1m\\nnext", "step": 1}}}/' \
  "$tmp/ep.json" >"$tmp/crafted.json"
expect 0 "replay of a crafted recording" -- "$tb" replay "$tmp/crafted.json"
noControls "replay summary"
outHas 'fault: crash\\x1b\[31m \\x1b\]0;owned\\x07\\x1b\[2J\\u009b1m\\nnext'

# An error line quoting a file name with escapes
bad="$tmp/x${esc}[2Jy.c"
expect 2 "a controller named with escapes" -- "$tb" run --task reach --controller "$bad"
noControls "error line"
oneLineError 'x\\x1b\[2Jy.c'

# A controller whose compile error quotes it, in run and eval (text and --json)
printf 'void controller(const obs_t *obs, double action[4]) { \033[2J \xff }\n' >"$tmp/esc.c"
expect 0 "run of a controller with escapes" -- "$tb" run --task reach --controller "$tmp/esc.c"
noControls "run fault"
outHas "fault: compile"
expect 0 "eval of a controller with escapes" -- "$tb" eval --task reach \
  --controller "$tmp/esc.c" --seeds 0:2
noControls "eval fault"
expect 0 "run --json" -- "$tb" run --task reach --controller "$tmp/esc.c" --json
noControls "run --json"
isUtf8 "$tmp/out"

# --init and the LLM's reply hold bytes that are not UTF-8: every JSON file stays valid
printf '/* init \xff\xfe */\nvoid controller(const obs_t *obs, double action[4]) {\n  (void)obs;\n  action[0] = action[1] = action[2] = action[3] = 0.0;\n}\n' >"$tmp/init.c"
sed 's|/\* MARKER_SOLVE \*/|/* MARKER_SOLVE caf\xe9 */|' "$2/tests/train/llm/reply_solve.txt" \
  >"$tmp/reply.txt"
expect 0 "train with bytes that are not UTF-8" -- timeout 60 "$tb" train --task reach \
  --llm "exec:cat $tmp/reply.txt" --init "$tmp/init.c" --iters 2 --test-seeds 1:3 \
  --out "$tmp/run" --json
isUtf8 "$tmp/out"
for f in config.json iterations.jsonl summary.json episodes/iter_001.json \
  controller_final.c controller_best.c; do
  isUtf8 "$tmp/run/$f"
done
grep -q "MARKER_SOLVE caf$(printf '\357\277\275')" "$tmp/run/controller_final.c" ||
  { echo "FAIL: the byte is not U+FFFD in controller_final.c"; fails=$((fails + 1)); }
grep -q "init $(printf '\357\277\275\357\277\275')" "$tmp/run/config.json" ||
  { echo "FAIL: --init's bytes are not U+FFFD in config.json"; fails=$((fails + 1)); }
expect 0 "resume reads it back" -- timeout 60 "$tb" train --resume "$tmp/run" --iters 3
isUtf8 "$tmp/run/iterations.jsonl"

# Seeds above 2^53 are refused at the flag, before anything is made
big=18446744073709551615
over=9007199254740993
expect 2 "run --seed 2^64-1" -- "$tb" run --task reach --controller "$reach" --seed $big \
  --record "$tmp/big.json"
oneLineError "--seed must be at most 2^53"
[ -e "$tmp/big.json" ] && { echo "FAIL: recorded a seed it cannot keep"; fails=$((fails + 1)); }
expect 2 "run --seed 2^53+1" -- "$tb" run --task reach --controller "$reach" --seed $over
oneLineError "--seed must be at most 2^53 = 9007199254740992"
expect 0 "run --seed 2^53" -- "$tb" run --task reach --controller "$reach" \
  --seed 9007199254740992 --record "$tmp/max.json"
expect 0 "replay of seed 2^53" -- "$tb" replay "$tmp/max.json"
outHas "reach seed 9007199254740992:"
expect 2 "eval --seeds past 2^53" -- "$tb" eval --task reach --controller "$reach" \
  --seeds 9007199254740990:$over
oneLineError "goes past 2^53"
expect 2 "train --train-seed" -- "$tb" train --task reach --llm exec:true --train-seed $big \
  --out "$tmp/seedrun"
oneLineError "--train-seed must be at most 2^53"
expect 2 "train --test-seeds" -- "$tb" train --task reach --llm exec:true \
  --test-seeds 9007199254740990:$over --out "$tmp/seedrun"
oneLineError "--test-seeds: seed range '9007199254740990:$over' goes past 2^53"
expect 2 "train --max-tokens-total" -- "$tb" train --task reach --llm exec:true \
  --max-tokens-total $big --out "$tmp/seedrun"
oneLineError "--max-tokens-total must be at most 10^18"
[ -e "$tmp/seedrun" ] && { echo "FAIL: a refused train made its run"; fails=$((fails + 1)); }

finish "cli text"
