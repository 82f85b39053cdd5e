#!/usr/bin/env bash
# --perturb through the CLI: none is the same as no flag, run and eval report the
# perturbation, train keeps the training and test perturbations apart, and every bad spec
# is one line and exit 2.
# Usage: test_cli_perturb.sh PATH/TO/tracebot SOURCE_DIR
set -u
tb=$1
src=$2
# $tmp, $fails, expect, oneLineError, outHas, finish
. "$(dirname "$0")/cli_expect.sh"

pick="$src/envs/experts/pick_place.c"
llm="exec:sh $src/tests/train/llm/scripted_llm.sh $src/tests/train/llm"
# the timing fields differ from run to run: drop them before comparing outputs
untimed() { sed -E 's/"(wall_ms|startup_ms|wall_s)":[-0-9.e+]*//g' "$tmp/out"; }

for c in run eval train; do
  expect 0 "$c --help" -- "$tb" $c --help; outHas "--perturb SPEC"
done

# --perturb none is no perturbation at all
expect 0 "run plain" -- "$tb" run --task pick-place --controller "$pick" --seed 3 --json
outHas '"perturb":null'
untimed >"$tmp/plain.json"
expect 0 "run --perturb none" -- "$tb" run --task pick-place --controller "$pick" --seed 3 \
  --perturb none --json
untimed >"$tmp/none.json"
cmp -s "$tmp/plain.json" "$tmp/none.json" || { echo "FAIL: --perturb none differs"; fails=$((fails + 1)); }
expect 0 "eval plain" -- "$tb" eval --task push --controller "$src/envs/experts/push.c" \
  --seeds 0:6 --jobs 2 --json
outHas '"perturb":"none"'
untimed >"$tmp/plain.json"
expect 0 "eval --perturb none" -- "$tb" eval --task push --controller "$src/envs/experts/push.c" \
  --seeds 0:6 --jobs 2 --perturb none --json
untimed >"$tmp/none.json"
cmp -s "$tmp/plain.json" "$tmp/none.json" || { echo "FAIL: eval --perturb none differs"; fails=$((fails + 1)); }

# run reports what the episode drew; the same seed draws the same
expect 0 "run strong" -- "$tb" run --task pick-place --controller "$pick" --seed 3 \
  --perturb strong --json
outHas '"perturb":{"spec":"friction=0.5:1.5,mass=0.5:2,'
outHas '"values":{"friction":'; outHas '"latency":'; outHas '"push":0.5}'
untimed >"$tmp/a.json"
expect 0 "run strong again" -- "$tb" run --task pick-place --controller "$pick" --seed 3 \
  --perturb strong --json
untimed >"$tmp/b.json"
cmp -s "$tmp/a.json" "$tmp/b.json" || { echo "FAIL: the same seed ran differently"; fails=$((fails + 1)); }
expect 0 "run strong, text" -- "$tb" run --task pick-place --controller "$pick" --seed 3 \
  --perturb "mild,latency=2"
outHas "perturb: friction=0.8:1.2,"; outHas "drawn: friction x"; outHas "observations 25.0 ms late"
expect 0 "run --record strong" -- "$tb" run --task push --controller "$src/envs/experts/push.c" \
  --seed 1 --perturb strong --record "$tmp/ep.json"
grep -q '"perturb": {"spec": "friction=0.5:1.5' "$tmp/ep.json" ||
  { echo "FAIL: EP.json lacks the perturbation"; fails=$((fails + 1)); }

# eval reports the spec and the success rate under it
expect 0 "eval mild" -- "$tb" eval --task reach --controller "$src/envs/experts/reach.c" \
  --seeds 0:4 --perturb mild --json
outHas '"perturb":"friction=0.8:1.2,mass=0.8:1.2,'; outHas '"success_rate":'
expect 0 "eval mild, text" -- "$tb" eval --task reach --controller "$src/envs/experts/reach.c" \
  --seeds 0:2 --perturb mild
outHas "perturb: friction=0.8:1.2"

# bad specs: one line, exit 2, wherever they are given
expect 2 "unknown knob" -- "$tb" run --task reach --controller "$pick" --perturb frictoin=1
oneLineError "--perturb: perturbation: unknown knob 'frictoin' (knobs friction, mass,"
expect 2 "out of bounds" -- "$tb" eval --task reach --controller "$pick" --seeds 0:2 \
  --perturb friction=0:2
oneLineError "friction must be within"
expect 2 "reversed range" -- "$tb" run --task reach --controller "$pick" --perturb mass=2:1
oneLineError "reversed"
expect 2 "empty" -- "$tb" run --task reach --controller "$pick" --perturb=
oneLineError "--perturb: perturbation: empty"
expect 2 "no value" -- "$tb" run --task reach --controller "$pick" --perturb
oneLineError "--perturb"
expect 2 "not with a driver" -- "$tb" run --task reach --controller "$pick" --driver sim \
  --perturb mild
oneLineError "need the in-process simulator"
expect 2 "train: bad spec" -- "$tb" train --task reach --llm "$llm" --out "$tmp/x" \
  --test-perturb latency=1.5
oneLineError "--test-perturb: perturbation 'latency=1.5': latency takes whole numbers"
[ ! -e "$tmp/x" ] || { echo "FAIL: a bad spec made a run directory"; fails=$((fails + 1)); }

# train: --perturb sets both, the specific flags win whatever the order
expect 0 "train perturbed" -- "$tb" train --task reach --llm "$llm" --iters 1 --out "$tmp/run" \
  --test-perturb strong --perturb mild --test-seeds 1:3
tr -d ' \t\n' <"$tmp/run/config.json" >"$tmp/config"
grep -q '"perturb":"friction=0.8:1.2,' "$tmp/config" &&
  grep -q '"test_perturb":"friction=0.5:1.5,' "$tmp/config" ||
  { echo "FAIL: config.json perturbations"; cat "$tmp/config"; fails=$((fails + 1)); }
grep -q 'Perturbation of this episode: friction x' "$tmp/run/iterations.jsonl" ||
  { echo "FAIL: the feedback does not name the perturbation"; fails=$((fails + 1)); }
expect 0 "train --train-perturb" -- "$tb" train --task reach --llm "$llm" --iters 1 \
  --out "$tmp/run2" --train-perturb latency=2 --test-seeds 1:3
tr -d ' \t\n' <"$tmp/run2/config.json" >"$tmp/config"
grep -q '"perturb":"latency=2"' "$tmp/config" && grep -q '"test_perturb":"none"' "$tmp/config" ||
  { echo "FAIL: --train-perturb alone"; cat "$tmp/config"; fails=$((fails + 1)); }
expect 2 "resume cannot change the perturbation" -- "$tb" train --resume "$tmp/run" \
  --perturb strong
oneLineError "--perturb cannot change"

finish "cli perturb"
