#!/usr/bin/env bash
# Installs the build into a temporary prefix and uses it the way a program built on
# tracebot would:
#   - the installed tree: the executables, the library, only the public headers (each
#     compiles alone), the CMake package and tracebot.pc;
#   - examples/consumer built with find_package(tracebot) and with pkg-config, both run;
#   - the prefix moved elsewhere: bin/tracebot tasks and run, and the sandbox found
#     relative to the program in bin/ and relative to lib/libtracebot.so;
#   - `cpack -G DEB` and the package's contents and dependencies.
# Run by ctest (tests/install/CMakeLists.txt sets the environment); by hand:
#   TRACEBOT_SOURCE_DIR=$PWD TRACEBOT_BINARY_DIR=$PWD/build bash tests/install/test_install.sh
set -euo pipefail

src=${TRACEBOT_SOURCE_DIR:?TRACEBOT_SOURCE_DIR is not set}
bin=${TRACEBOT_BINARY_DIR:?TRACEBOT_BINARY_DIR is not set}
cmake=${CMAKE_COMMAND:-cmake}
cpack=${CPACK_COMMAND:-cpack}
cc=${CC:-cc}

# Everything happens in a folder of our own (ctest runs other tests alongside).
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tracebot-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tmp=$(cd "$tmp" && pwd -P)

fail() {
  echo "test_install: FAIL: $*" >&2
  exit 1
}
step() { echo "test_install: $*"; }

# expect_line OUTPUT REGEX WHAT: OUTPUT has a line matching REGEX.
expect_line() {
  grep -Eq -- "$2" <<<"$1" || fail "$3: no line matching '$2' in:
$1"
}

consumer_re='^reach seed 0: success 1 return [0-9]+\.[0-9]+$'

# ------------------------------------------------------------------ the installed tree
step "cmake --install into $tmp/prefix"
"$cmake" --install "$bin" --prefix "$tmp/prefix" >"$tmp/install.log" ||
  fail "cmake --install: $(cat "$tmp/install.log")"
p=$tmp/prefix
for f in bin/tracebot libexec/tracebot/tracebot-sandbox; do
  [ -x "$p/$f" ] || fail "$f is not installed (or not executable)"
done
for f in lib/libtracebot.so lib/pkgconfig/tracebot.pc lib/cmake/tracebot/tracebotConfig.cmake \
  lib/cmake/tracebot/tracebotConfigVersion.cmake lib/cmake/tracebot/tracebotTargets.cmake; do
  [ -e "$p/$f" ] || fail "$f is not installed"
done
so=$(readelf -d "$p/lib/libtracebot.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[[ $so =~ ^libtracebot\.so\.[0-9]+$ ]] || fail "libtracebot's SONAME is '$so'"
[ -e "$p/lib/$so" ] || fail "lib/$so is not installed"

# only public headers: each one from include/tracebot/, and none from a module
for h in "$p"/include/tracebot/*.h; do
  [ -f "$src/include/tracebot/$(basename "$h")" ] || fail "installed a private header: $h"
done
[ -f "$p/include/tracebot/agent.h" ] || fail "include/tracebot/agent.h is not installed"
[ ! -e "$p/include/tracebot/base.h" ] && [ ! -e "$p/include/base.h" ] || fail "base.h installed"
pcflags=$(PKG_CONFIG_PATH=$p/lib/pkgconfig pkg-config --cflags tracebot)
pclibs=$(PKG_CONFIG_PATH=$p/lib/pkgconfig pkg-config --libs tracebot)
for h in "$p"/include/tracebot/*.h; do
  # shellcheck disable=SC2086
  printf '#include <tracebot/%s>\n' "$(basename "$h")" |
    "$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -x c - $pcflags ||
    fail "$(basename "$h") does not compile alone with pkg-config's flags"
done

# ------------------------------------------------------------------ consumers
step "consumer with find_package(tracebot)"
"$cmake" -S "$src/examples/consumer" -B "$tmp/consumer-cmake" -DCMAKE_PREFIX_PATH="$p" \
  -DCMAKE_C_COMPILER="$cc" >"$tmp/consumer.log" 2>&1 || fail "configure: $(cat "$tmp/consumer.log")"
"$cmake" --build "$tmp/consumer-cmake" >>"$tmp/consumer.log" 2>&1 ||
  fail "build: $(cat "$tmp/consumer.log")"
out=$("$tmp/consumer-cmake/consumer") || fail "consumer (find_package) failed: $out"
expect_line "$out" "$consumer_re" "consumer (find_package)"

step "consumer with pkg-config"
# shellcheck disable=SC2086
"$cc" -o "$tmp/consumer-pc" "$src/examples/consumer/main.c" $pcflags $pclibs ||
  fail "cc main.c \$(pkg-config --cflags --libs tracebot)"
# shellcheck disable=SC2086
"$cc" -o "$tmp/sandbox_path" "$src/tests/install/sandbox_path.c" $pcflags $pclibs ||
  fail "cc sandbox_path.c \$(pkg-config --cflags --libs tracebot)"
out=$(LD_LIBRARY_PATH=$p/lib "$tmp/consumer-pc") || fail "consumer (pkg-config) failed: $out"
expect_line "$out" "$consumer_re" "consumer (pkg-config)"

# ------------------------------------------------------------------ a moved prefix
step "prefix moved to $tmp/moved"
mv "$p" "$tmp/moved"
m=$tmp/moved
sandbox=$m/libexec/tracebot/tracebot-sandbox

out=$("$m/bin/tracebot" tasks) || fail "moved bin/tracebot tasks failed: $out"
expect_line "$out" '^reach ' "tracebot tasks"
out=$(cd "$tmp" && "$m/bin/tracebot" run --task reach --controller "$src/envs/experts/reach.c") ||
  fail "moved bin/tracebot run failed: $out"
expect_line "$out" '^reach seed 0: success' "tracebot run"

# the lookup the command uses, from a program in the moved bin/: bin/../libexec/tracebot
# (with the library loaded from elsewhere, so only the program's own folder can lead there)
mkdir "$tmp/elsewhere"
cp -P "$m"/lib/libtracebot.so* "$tmp/elsewhere/"
cp "$tmp/sandbox_path" "$m/bin/sandbox_path"
out=$(LD_LIBRARY_PATH=$tmp/elsewhere "$m/bin/sandbox_path") || fail "sandbox_path in bin/: $out"
[ "$out" = "$sandbox" ] || fail "from bin/ the sandbox is $out, expected $sandbox"
rm "$m/bin/sandbox_path"
# from a program elsewhere: relative to the moved lib/libtracebot.so
out=$(LD_LIBRARY_PATH=$m/lib "$tmp/sandbox_path") || fail "sandbox_path: $out"
[ "$out" = "$sandbox" ] || fail "from libtracebot the sandbox is $out, expected $sandbox"
out=$(LD_LIBRARY_PATH=$m/lib "$tmp/consumer-pc") || fail "consumer on the moved prefix: $out"
expect_line "$out" "$consumer_re" "consumer on the moved prefix"

# ------------------------------------------------------------------ the Debian package
step "cpack -G DEB"
"$cpack" --config "$bin/CPackConfig.cmake" -G DEB -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1 ||
  fail "cpack: $(cat "$tmp/cpack.log")"
debs=("$tmp"/pkg/tracebot_*.deb)
[ -f "${debs[0]}" ] || fail "no tracebot_*.deb in $tmp/pkg: $(cat "$tmp/cpack.log")"
deb=${debs[0]}
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in bin/tracebot libexec/tracebot/tracebot-sandbox "lib/$so" lib/libtracebot.so \
  include/tracebot/agent.h include/tracebot/envs.h include/tracebot/sim.h \
  lib/pkgconfig/tracebot.pc lib/cmake/tracebot/tracebotConfig.cmake \
  lib/cmake/tracebot/tracebotConfigVersion.cmake lib/cmake/tracebot/tracebotTargets.cmake; do
  grep -Eq "^\./usr/$f\$" <<<"$contents" || fail "the package lacks /usr/$f:
$contents"
done
! grep -q 'base\.h$' <<<"$contents" || fail "the package holds base.h"
[ "$(dpkg-deb -f "$deb" Package)" = tracebot ] || fail "package name $(dpkg-deb -f "$deb" Package)"
depends=$(dpkg-deb -f "$deb" Depends)
for d in libmujoco tcc libcurl libc6; do
  grep -q "$d" <<<"$depends" || fail "Depends lacks $d: $depends"
done
step "ok: $(basename "$deb"), $(stat -c %s "$deb") bytes"
