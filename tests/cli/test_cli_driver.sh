#!/usr/bin/env bash
# CLI contract of the driver paths: `tracebot run --driver sim|net|PATH.so` and
# `tracebot serve-sim` (exit statuses, one-line errors, JSON fields, the expert
# succeeding through every driver with the same return as in process).
# Usage: test_cli_driver.sh PATH/TO/tracebot SOURCE_DIR PATH/TO/fake_driver_good.so
set -u
tb=$1
src=$2
fake=$3
# $tmp, $fails, expect, oneLineError, outHas, finish
. "$(dirname "$0")/cli_expect.sh"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
# the value of a top-level JSON number field in $tmp/out
field() {
  sed -n "s/.*\"$1\":\([-0-9.e+]*\).*/\1/p" "$tmp/out"
}

reach="$src/envs/experts/reach.c"
push="$src/envs/experts/push.c"

expect 0 "run --help" -- "$tb" run --help; outHas "--driver D"; outHas "--driver-config C"
expect 0 "serve-sim --help" -- "$tb" serve-sim --help; outHas "usage: tracebot serve-sim"
expect 0 "main help" -- "$tb" --help; outHas "serve-sim"
expect 0 "bench --help" -- "$tb" bench --help; outHas "net_step_us"; outHas "net_roundtrip_p50_us"

# The in-process return, the reference for every driver
expect 0 "direct push" -- "$tb" run --task push --controller "$push" --seed 4 --json
outHas '"success":true'; outHas '"driver":null'
direct=$(field return)
if [ -z "$direct" ]; then echo "FAIL: no return in the direct run"; fails=$((fails + 1)); fi

# --driver sim: the same physics behind the driver interface, bit-identical return
expect 0 "sim driver" -- "$tb" run --task push --controller "$push" --seed 4 --driver sim --json
outHas '"success":true'; outHas '"driver":"sim"'; outHas '"safety":{"workspace_clamps":'
outHas '"estops":0'
if [ "$(field return)" != "$direct" ]; then
  echo "FAIL: sim driver return $(field return) != direct $direct"; fails=$((fails + 1))
fi
expect 0 "sim driver text" -- "$tb" run --task reach --controller "$reach" --driver sim
outHas "reach seed 0: success"; outHas "^driver: sim"; outHas "^safety: workspace_clamps"

# --driver PATH.so: the fake plug-in (goal 0.1 0.8 0.2, max_step 0.2 m: one step limit)
expect 0 "plug-in driver" -- "$tb" run --task reach --controller "$reach" --driver "$fake" --json
outHas '"success":true'; outHas '"driver":"fake"'; outHas '"step_limits":1'
outHas '"violations":1'; outHas '"fault":null'
expect 0 "plug-in driver failing" -- "$tb" run --task reach --controller "$reach" \
  --driver "$fake" --driver-config '{"fail_command_at": 0}' --json
outHas '"kind":"driver"'; outHas 'joint 3 over torque'; outHas '"estops":1'
printf '{"fail_command_at": 1}\n' >"$tmp/cfg.json"
expect 0 "driver config file" -- "$tb" run --task reach --controller "$reach" \
  --driver "$fake" --driver-config "$tmp/cfg.json" --json
outHas '"kind":"driver"'; outHas '"step":1'

# --driver net against serve-sim on a free port
"$tb" serve-sim --task push --port 0 2>"$tmp/serve.err" &
server=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$tmp/serve.err")
  [ -n "$port" ] && break
  sleep 0.05
done
if [ -z "$port" ]; then
  echo "FAIL: serve-sim printed no port:"; cat "$tmp/serve.err"; fails=$((fails + 1))
else
  expect 0 "net driver" -- "$tb" run --task push --controller "$push" --seed 4 --driver net \
    --driver-config "{\"port\": $port}" --json
  outHas '"success":true'; outHas '"driver":"net"'
  if [ "$(field return)" != "$direct" ]; then
    echo "FAIL: net driver return $(field return) != direct $direct"; fails=$((fails + 1))
  fi
  expect 0 "net driver again (next client)" -- "$tb" run --task push --controller "$push" \
    --seed 5 --driver net --driver-config "{\"port\": $port}"
  outHas "push seed 5: success"
  expect 2 "net driver: the server runs another task" -- "$tb" run --task reach \
    --controller "$reach" --driver net --driver-config "{\"port\": $port}"
  oneLineError "the server simulates push, not reach"
  # a first client that connects and says nothing: a second one is answered at once (busy)
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  sleep 0.2
  expect 2 "net driver while an idle client holds the robot" -- timeout 10 "$tb" run \
    --task push --controller "$push" --driver net --driver-config "{\"port\": $port}"
  oneLineError "busy: another client is connected to sim:push"
  exec 3>&-
  sleep 0.2
  expect 0 "net driver once the idle client left" -- timeout 10 "$tb" run --task push \
    --controller "$push" --seed 5 --driver net --driver-config "{\"port\": $port}"
  outHas "push seed 5: success"
fi
kill -TERM "$server"
wait "$server"
rc=$?
server=""
if [ "$rc" != 0 ]; then echo "FAIL: serve-sim exit $rc after SIGTERM"; fails=$((fails + 1)); fi

# One-line errors, exit 2
expect 2 "missing .so" -- "$tb" run --task reach --controller "$reach" --driver "$tmp/none.so"
oneLineError "driver $tmp/none.so: cannot load"
expect 2 "sim driver config with another task" -- "$tb" run --task reach \
  --controller "$reach" --driver sim --driver-config '{"task": "push"}'
oneLineError "differs from --task reach"
expect 2 "unknown driver" -- "$tb" run --task reach --controller "$reach" --driver robot
oneLineError "unknown driver"
expect 2 "bad config JSON" -- "$tb" run --task reach --controller "$reach" --driver sim \
  --driver-config '{"task": '
oneLineError "is not a JSON object"
printf '[1, 2]' >"$tmp/arr.json"
expect 2 "config not an object" -- "$tb" run --task reach --controller "$reach" --driver net \
  --driver-config "$tmp/arr.json"
oneLineError "driver config '$tmp/arr.json' is not a JSON object"
expect 2 "missing config file" -- "$tb" run --task reach --controller "$reach" --driver net \
  --driver-config "$tmp/none.json"
oneLineError "cannot read driver config '$tmp/none.json'"
expect 2 "sim config key" -- "$tb" run --task reach --controller "$reach" --driver sim \
  --driver-config '{"speed": 3}'
oneLineError 'bad or unknown key "speed"'
expect 2 "config without driver" -- "$tb" run --task reach --controller "$reach" \
  --driver-config '{}'
oneLineError "needs --driver"
expect 2 "net without port" -- "$tb" run --task reach --controller "$reach" --driver net
oneLineError "driver net"
expect 2 "serve-sim without task" -- "$tb" serve-sim --port 0; oneLineError "--task is required"
expect 2 "serve-sim bad port" -- "$tb" serve-sim --task reach --port 70000; oneLineError "--port"

finish "cli driver"
