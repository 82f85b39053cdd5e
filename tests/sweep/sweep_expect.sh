# Helpers of the sweep's bash tests (tests/sweep/test_*.sh), sourced after
# tests/cli/cli_expect.sh (which gives $tmp and $fails).

# fail WHAT: one failed check
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# count DIR STATUS: the cells of DIR/summary.json with that status
count() { grep -c "\"status\":[[:space:]]*\"$2\"" "$1/summary.json"; }
# results DIR: DIR/summary.json without what differs between equal runs (times, engine,
# job ids)
results() { grep -v -e '"wall_s"' -e '"engine_job"' -e '"engine"' "$1/summary.json"; }
# waitFor N COMMAND...: runs COMMAND every 0.1 s until it succeeds, at most N times
waitFor() {
  local n=$1
  shift
  while ! "$@"; do
    n=$((n - 1))
    [ "$n" -gt 0 ] || return 1
    sleep 0.1
  done
}
