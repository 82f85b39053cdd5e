#!/bin/sh
# Seeing episodes through the CLI: run --record, replay (summary, PNG, video), run --view
# and train --view under a private Xvfb (xvfb-run), and the one-line errors.
# Usage: test_view_cli.sh TRACEBOT SOURCE_DIR
set -u
bin=$1
src=$2
# $tmp, $fails, check, finish
. "$(dirname "$0")/cli_expect.sh"
xrun() { env -u DISPLAY xvfb-run -a -s "-screen 0 1280x1024x24" "$@"; }

"$bin" run --task push --controller "$src/envs/experts/push.c" --seed 2 \
  --record "$tmp/ep.json" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 0 ] && [ -s "$tmp/ep.json" ] && grep -q "recorded the episode" "$tmp/err"
check "run --record writes EP.json" $?
size=$(wc -c <"$tmp/ep.json")
[ "$size" -lt 2000000 ]
check "a recorded episode is well under 2 MB ($size bytes)" $?

"$bin" replay "$tmp/ep.json" >"$tmp/out" 2>&1
[ $? -eq 0 ] && grep -q "push seed 2: success" "$tmp/out"
check "replay prints a summary" $?

env -u DISPLAY "$bin" replay "$tmp/ep.json" --png "$tmp/f.png" >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "no display" "$tmp/err"
check "replay without a display: one line, exit 1" $?

"$bin" run --task pick-place --controller "$src/envs/experts/pick_place.c" --seed 4 \
  --perturb strong --record "$tmp/perturbed.json" >/dev/null 2>&1 &&
  grep -q '"perturb": {"spec"' "$tmp/perturbed.json" &&
  "$bin" replay "$tmp/perturbed.json" >"$tmp/out" 2>&1 && grep -q "pick-place seed 4" "$tmp/out" &&
  grep -q "^perturb: friction=0.5:1.5" "$tmp/out" &&
  xrun "$bin" replay "$tmp/perturbed.json" --png "$tmp/p.png" --frame 20 >/dev/null 2>&1 &&
  [ -s "$tmp/p.png" ]
check "a perturbed recording replays (summary and PNG)" $?

"$bin" replay "$tmp/missing.json" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]
check "replay of a missing file: exit 2" $?

echo '{"format": "tracebot-episode", "version": 1}' >"$tmp/bad.json"
"$bin" replay "$tmp/bad.json" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]
check "replay of a malformed file: exit 2" $?

xrun "$bin" replay "$tmp/ep.json" --png "$tmp/f.png" --frame 10 >/dev/null 2>&1
[ $? -eq 0 ] && [ "$(head -c 4 "$tmp/f.png" | od -An -c | tr -d ' ')" = "211PNG" ]
check "replay --png writes a PNG" $?

"$bin" replay "$tmp/ep.json" --png "$tmp/g.png" --frame 100000 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "frame" "$tmp/err"
check "replay --frame out of range: exit 2" $?

xrun "$bin" replay "$tmp/ep.json" --video "$tmp/ep.mp4" --fps 20 --size 320x240 \
  >/dev/null 2>"$tmp/err"
rc=$?
frames=$(ffprobe -v error -count_frames -select_streams v:0 \
  -show_entries stream=nb_read_frames -of csv=p=0 "$tmp/ep.mp4" 2>/dev/null)
want=$(sed -n 's/.*wrote \([0-9]*\) frames.*/\1/p' "$tmp/err")
[ $rc -eq 0 ] && [ -n "$want" ] && [ "$frames" = "$want" ] && [ "$want" -gt 10 ]
check "replay --video: $frames frames in the MP4, $want written" $?

xrun timeout 60 "$bin" run --task reach --controller "$src/envs/experts/reach.c" --view \
  >"$tmp/out" 2>&1
[ $? -eq 0 ] && grep -q "reach seed 0: success" "$tmp/out"
check "run --view runs the episode with a window" $?

xrun timeout 120 "$bin" train --task reach --iters 2 --view --out "$tmp/run" \
  --llm "exec:sh $src/tests/train/llm/scripted_llm.sh $src/tests/train/llm" >/dev/null 2>&1
[ $? -eq 0 ] && [ "$(wc -l <"$tmp/run/iterations.jsonl")" -eq 2 ]
check "train --view trains with a window" $?

env -u DISPLAY "$bin" train --task reach --iters 1 --view --out "$tmp/run2" \
  --llm "exec:sh $src/tests/train/llm/scripted_llm.sh $src/tests/train/llm" >/dev/null \
  2>"$tmp/err"
[ $? -eq 0 ] && grep -q "continuing without the viewer" "$tmp/err"
check "train --view without a display trains on" $?

# bench: every figure present (values are not judged here: machines are noisy).
xrun "$bin" bench --task reach --json >"$tmp/bench" 2>/dev/null
rc=$?
ok=0
for k in env_steps_per_s raw_mj_steps_per_s ratio sandbox_overhead_ms eval_speedup \
  net_step_us train_optimizer_overhead_ms render_fps perturbed_episode_ms perturb_step_ratio; do
  grep -q "\"$k\":[0-9]" "$tmp/bench" || ok=1
done
[ $rc -eq 0 ] && [ $ok -eq 0 ]
check "bench --json reports every figure, render_fps included" $?

finish test_view_cli
