#!/usr/bin/env bash
# Checks the arrows between modules: every #include of every C file the repository tracks
# (or would track) is resolved to a file, and that file must be one its module may use.
# Prints one line per violation and exits 1; prints a one-line summary when clean.
#
# Usage: scripts/check-arrows.sh [--root DIR]
#   --root DIR  the tree to check (default: this repository). Outside a git work tree
#               every file under DIR is read, except hidden and CMake build directories.
#
# Which file an include names:
#   "tracebot/X.h" (or <tracebot/X.h>)  include/tracebot/X.h, a public header
#   "X.h"          the including file's own folder, or its module's (or test folder's)
#                  top folder, which is on its include path; else a shared internal header
#                  (base/base.h, train/runlog.h); for a test, tests/support/ and the
#                  tested module's folder; for a fuzz target, the fuzzed module's folder;
#                  else the one module file with that name (reported as a private
#                  header); else it is unresolvable, which is a violation too.
#   <lib/...>      a library header owned by a module (LIBRARIES below); other <...>
#                  headers are the system's and are not checked.
#
# What may include what:
#   - a module's files may include each other, its own public headers, base's
#     (tracebot/error.h, base/base.h) and the public headers its row of ARROWS lists;
#   - a public header (include/tracebot/) only public headers its module may use, and
#     the few in STRICT_HEADERS even less;
#   - every other header in a module folder is private to that module, except the
#     SHARED_HEADERS, each with the modules that may include it;
#   - tests/<m>/ and fuzz/fuzz_<x>.c (fuzz/CMakeLists.txt maps x to its module) may
#     include any public header, and the private headers module m (or x's) may include;
#     tests/support/ is test code every test may include;
#   - examples/ is code as a user writes it: public headers only;
#   - envs/experts/ and tests/sandbox/hostile/ are controller sources, not tracebot code:
#     they are not checked.
set -euo pipefail
export LC_ALL=C # one sort order, bytes in regular expressions

# ---------------------------------------------------------------- the rules

# MODULE    MAY ALSO INCLUDE THE PUBLIC HEADERS OF (a module, or one header by name;
#           * = every module). Its own headers and base's are always allowed.
ARROWS='
base      -
llm       -
trace     llm
sim       -
viewer    sim
envs      sim
sandbox   controller.h fault.h
drivers   envs sim
agent     sandbox drivers envs sim
train     agent trace llm envs sim sandbox drivers
report    -
sweep     train report envs llm
bench     agent drivers train trace llm envs sim sandbox
cli       *
'

# PUBLIC HEADER (include/tracebot/)   MODULE
PUBLIC_HEADERS='
error.h       base
llm.h         llm
trace.h       trace
sim.h         sim
episode.h     sim
viewer.h      viewer
envs.h        envs
controller.h  envs
fault.h       envs
task_plugin.h envs
sandbox.h     sandbox
driver.h      drivers
drivers.h     drivers
agent.h       agent
train.h       train
report.h      report
sweep.h       sweep
bench.h       bench
'

# SHARED INTERNAL HEADER   MODULES THAT MAY INCLUDE IT (* = every module), and their tests
SHARED_HEADERS='
base/base.h      *
train/runlog.h   train report bench sweep
'

# Public headers other compilers read, with a tighter rule:
#   none  includes nothing (controller.h is the prelude libtcc compiles with -nostdinc)
#   stdc  C standard headers only (driver.h is all a driver plug-in's author needs)
STRICT_HEADERS='
controller.h  none
driver.h      stdc
task_plugin.h stdc
'

# LIBRARY HEADER (a prefix)   MODULE THAT OWNS IT: included like that module's headers,
# so trace, for one, can not reach MuJoCo.
LIBRARIES='
mujoco/    sim
GLFW/      viewer
curl/      llm
libtcc.h   sandbox
seccomp.h  sandbox
'

STDC='assert.h complex.h ctype.h errno.h fenv.h float.h inttypes.h iso646.h limits.h
locale.h math.h setjmp.h signal.h stdalign.h stdarg.h stdatomic.h stdbool.h stddef.h
stdint.h stdio.h stdlib.h stdnoreturn.h string.h tgmath.h threads.h time.h uchar.h
wchar.h wctype.h'

# ---------------------------------------------------------------- the check

root=
while [ $# -gt 0 ]; do
  case $1 in
    --root)
      [ $# -ge 2 ] || { echo "check-arrows: --root needs a directory" >&2; exit 2; }
      root=$2
      shift 2
      ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "check-arrows: unknown argument $1 (see --help)" >&2
      exit 2
      ;;
  esac
done
[ -n "$root" ] || root="$(dirname "$0")/.."
cd "$root"

# Every file of the tree, one path a line, relative to the root
list_files() {
  if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ]; then
    git ls-files -z --cached --others --exclude-standard | tr '\0' '\n'
  else
    local builds
    builds=$(find . -name CMakeCache.txt -printf '%h\n' | sed 's|^\./||')
    find . -path './.*' -prune -o -type f -print | sed 's|^\./||' |
      awk -v builds="$builds" 'BEGIN { n = split(builds, b, "\n") }
        { for (i = 1; i <= n; i++) if (index($0, b[i] "/") == 1) next; print }'
  fi
}

list_files | sort -u | ARROWS="$ARROWS" PUBLIC_HEADERS="$PUBLIC_HEADERS" \
  SHARED_HEADERS="$SHARED_HEADERS" STRICT_HEADERS="$STRICT_HEADERS" LIBRARIES="$LIBRARIES" \
  STDC="$STDC" awk '
# The words of s in out[1..n]; returns n
function fields(s, out,   w, n, i, j) {
  n = split(s, w, /[ \t\n]+/); j = 0; split("", out)
  for (i = 1; i <= n; i++) if (w[i] != "") out[++j] = w[i]
  return j
}
function basename(p) { sub(/.*\//, "", p); return p }
function dirname(p) { return sub(/\/[^\/]*$/, "", p) ? p : "" }
function topdir(p,   i) { i = index(p, "/"); return i ? substr(p, 1, i - 1) : "" }

# "a/b/../c" -> "a/c"; "" when the path leaves the root
function normalize(p,   n, parts, out, k, i, s) {
  n = split(p, parts, "/"); k = 0; split("", out)
  for (i = 1; i <= n; i++) {
    if (parts[i] == "" || parts[i] == ".") continue
    if (parts[i] == "..") { if (k == 0) return ""; k--; continue }
    out[++k] = parts[i]
  }
  s = ""
  for (i = 1; i <= k; i++) s = s (i > 1 ? "/" : "") out[i]
  return s
}

# The folder a file is private to: tests/<x> for tests, else its top folder
function unitOf(f,   rest) {
  if (f ~ /^tests\/[^\/]+\//) { rest = substr(f, 7); return "tests/" topdir(rest) }
  return topdir(f)
}

# What a file is: mod:M (code of module M), pub:M (public header of M), test:M or fuzz:M
# (M empty when it tests no module), ext (examples), skip, or none (in no module)
function roleOf(f,   b, u, m, x) {
  if (f ~ /^envs\/experts\// || f ~ /^tests\/sandbox\/hostile\//) return "skip"
  if (f ~ /^include\//) {
    b = basename(f)
    return (f ~ /^include\/tracebot\/[^\/]+$/ && (b in hdrmod)) ? "pub:" hdrmod[b] : "none"
  }
  u = unitOf(f)
  if (u ~ /^tests\//) { m = substr(u, 7); return "test:" ((m in allow) ? m : "") }
  if (u == "fuzz") {
    x = basename(f)
    if (x ~ /^fuzz_.*\.c$/) { x = substr(x, 6, length(x) - 7); return "fuzz:" fuzzmod[x] }
    return "fuzz:"
  }
  if (u == "examples") return "ext"
  if (u in allow) return "mod:" u
  return "none"
}

function has(list, w) { return w != "" && index(" " list " ", " " w " ") > 0 }

# May module m include the public header h of module m2?
function mayUse(m, m2, h) {
  return m == m2 || m2 == "base" || has(allow[m], "*") || has(allow[m], m2) || has(allow[m], h)
}

function violation(msg) { print msg; bad++ }

# The file a quoted include names, or ""
function resolve(f, name, role,   p, m, u) {
  if (name ~ /^tracebot\//) return (("include/" name) in exists) ? "include/" name : ""
  p = normalize(dirname(f) "/" name)
  if (p != "" && (p in exists)) return p
  u = unitOf(f)
  p = normalize(u "/" name)
  if (u != "include" && p != "" && (p in exists)) return p
  if (name in sharedByName) return sharedByName[name]
  m = role; sub(/^[a-z]*:/, "", m)
  if (role ~ /^test:/ && (("tests/support/" name) in exists)) return "tests/support/" name
  if (role ~ /^(test|fuzz):./ && ((m "/" name) in exists)) return m "/" name
  if (name !~ /\// && nbyname[name] == 1) return byname[name]
  return ""
}

# Checks one include of a header file target (already resolved) from file f
function checkFile(where, f, role, target,   kind, m, m2, u2, h) {
  kind = role; sub(/:.*/, "", kind)
  m = role; sub(/^[a-z]*:/, "", m)
  u2 = unitOf(target)
  if (target ~ /^include\/tracebot\/[^\/]+$/) {
    h = basename(target)
    if (!(h in hdrmod)) return # reported where the header itself is read
    m2 = hdrmod[h]
    if (kind == "pub" && (basename(f) in strict))
      violation(where ": " basename(f) " may include no tracebot header, not " \
                substr(target, 9))
    else if ((kind == "mod" || kind == "pub") && !mayUse(m, m2, h))
      violation(where ": " m " may not include " substr(target, 9) " (of " m2 ")")
    return
  }
  if (kind != "pub" && unitOf(f) == u2) return # the module (or test folder) itself
  if (target in shared) {
    if (kind == "pub" || kind == "ext") {
      violation(where ": includes private header " target " of " u2)
    } else if (!(has(shared[target], "*") || has(shared[target], m) || m == u2)) {
      if (kind == "mod")
        violation(where ": " m " may not include " target " (of " u2 ")")
      else
        violation(where ": includes private header " target " of " u2)
    }
    return
  }
  if (u2 ~ /^tests\//) {
    if (kind != "test" || u2 != "tests/support")
      violation(where ": includes test header " target)
    return
  }
  if ((kind == "test" || kind == "fuzz") && m == u2) return
  violation(where ": includes private header " target " of " u2)
}

# Checks one <...> include
function checkAngle(where, f, role, name,   kind, m, b, p, lib) {
  kind = role; sub(/:.*/, "", kind)
  m = role; sub(/^[a-z]*:/, "", m)
  b = basename(f)
  if (kind == "pub" && (b in strict)) {
    if (strict[b] == "none" || !(name in stdc))
      violation(where ": " b " may include " (strict[b] == "none" ? "nothing" : \
                "only C standard headers") ", not <" name ">")
    return
  }
  if (kind != "mod" && kind != "pub") return
  lib = ""
  for (p in libmod) if (index(name, p) == 1) lib = libmod[p]
  if (lib != "" && !mayUse(m, lib, ""))
    violation(where ": " m " may not include <" name "> (of " lib ")")
}

BEGIN {
  # Rows of ARROWS: a module, then what it may use
  nr = split(ENVIRON["ARROWS"], rows, "\n")
  for (r = 1; r <= nr; r++) {
    n = fields(rows[r], c)
    if (n == 0) continue
    allow[c[1]] = ""
    for (i = 2; i <= n; i++) if (c[i] != "-") allow[c[1]] = allow[c[1]] " " c[i]
  }
  nr = split(ENVIRON["PUBLIC_HEADERS"], rows, "\n")
  for (r = 1; r <= nr; r++) if (fields(rows[r], c) == 2) hdrmod[c[1]] = c[2]
  nr = split(ENVIRON["SHARED_HEADERS"], rows, "\n")
  for (r = 1; r <= nr; r++) {
    n = fields(rows[r], c)
    if (n == 0) continue
    sharedByName[basename(c[1])] = c[1]
    shared[c[1]] = ""
    for (i = 2; i <= n; i++) shared[c[1]] = shared[c[1]] " " c[i]
  }
  nr = split(ENVIRON["STRICT_HEADERS"], rows, "\n")
  for (r = 1; r <= nr; r++) if (fields(rows[r], c) == 2) strict[c[1]] = c[2]
  nr = split(ENVIRON["LIBRARIES"], rows, "\n")
  for (r = 1; r <= nr; r++) if (fields(rows[r], c) == 2) libmod[c[1]] = c[2]
  n = fields(ENVIRON["STDC"], c)
  for (i = 1; i <= n; i++) stdc[c[i]] = 1
}

# Every file of the tree (for resolving), and the name index of module files
{
  exists[$0] = 1; files[++nfiles] = $0
  u = unitOf($0)
  if ((u in allow) && $0 ~ /\.h$/) { b = basename($0); nbyname[b]++; byname[b] = $0 }
}

END {
  # The fuzz targets and the module each one fuzzes
  while ((getline line < "fuzz/CMakeLists.txt") > 0)
    if (line ~ /^[ \t]*set\(FUZZ_MODULE_[A-Za-z0-9_]+[ \t]+[a-z]+\)/) {
      sub(/^[ \t]*set\(FUZZ_MODULE_/, "", line); sub(/\).*/, "", line)
      split(line, kv, /[ \t]+/); fuzzmod[kv[1]] = kv[2]
    }

  for (k = 1; k <= nfiles; k++) {
    f = files[k]
    if (f !~ /\.[ch]$/) continue
    role = roleOf(f)
    if (role == "skip") continue
    if (role == "none") {
      violation(f ": is in no module (add it to the tables of scripts/check-arrows.sh)")
      continue
    }
    nchecked++
    ln = 0
    while ((getline line < f) > 0) {
      ln++
      if (line !~ /^[ \t]*#[ \t]*include[ \t]*["<]/) continue
      sub(/^[ \t]*#[ \t]*include[ \t]*/, "", line)
      angle = substr(line, 1, 1) == "<"
      line = substr(line, 2)
      end = index(line, angle ? ">" : "\"")
      if (end == 0) { violation(f ":" ln ": unterminated #include"); continue }
      name = substr(line, 1, end - 1)
      where = f ":" ln
      nincludes++
      if (angle && name !~ /^tracebot\//) { checkAngle(where, f, role, name); continue }
      target = resolve(f, name, role)
      if (target == "") { violation(where ": cannot resolve \"" name "\""); continue }
      checkFile(where, f, role, target)
    }
    close(f)
  }
  if (bad) {
    print "check-arrows: " bad " violation" (bad == 1 ? "" : "s") " (rules: scripts/check-arrows.sh)"
    exit 1
  }
  print "check-arrows: " nchecked " files, " nincludes " includes, no violations"
}'
