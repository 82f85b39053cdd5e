# Helpers of the CLI contract tests (tests/cli/test_*.sh, tests/train/test_train_cli.sh,
# tests/sweep/test_*.sh), sourced by them.
# Sourcing makes the scratch directory $tmp (removed at exit; a script with more to
# clean up sets its own EXIT trap after sourcing) and sets the failure count $fails.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

# finish NAME: exit 1 with the failure count, or 0 with "NAME: all checks passed"
finish() {
  if [ "$fails" -ne 0 ]; then echo "$fails failure(s)"; exit 1; fi
  echo "$1: all checks passed"
}

# check NAME STATUS: "ok   NAME" when STATUS is 0, else "FAIL NAME" and one more failure
check() {
  if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
}

# expect STATUS DESCRIPTION -- command...: checks the exit status; stdout/stderr saved
expect() {
  local want=$1 what=$2
  shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: exit $got, want $want"; cat "$tmp/err"; fails=$((fails + 1))
  fi
}
# one line on stderr starting with "tracebot: " and containing $1
oneLineError() {
  if [ "$(wc -l <"$tmp/err")" != 1 ] || ! grep -q "^tracebot: .*$1" "$tmp/err"; then
    echo "FAIL: expected one line 'tracebot: ...$1...' on stderr, got:"; cat "$tmp/err"
    fails=$((fails + 1))
  fi
}
# stdout contains $1
outHas() {
  if ! grep -q -- "$1" "$tmp/out"; then
    echo "FAIL: stdout lacks '$1':"; head -c 2000 "$tmp/out"; echo; fails=$((fails + 1))
  fi
}
