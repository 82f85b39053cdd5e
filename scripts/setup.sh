#!/usr/bin/env bash
# Installs everything tracebot needs from Debian 12 packages. Idempotent: it
# installs only what is missing, so it is cheap to run before every build.
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config git
  libmujoco-dev libqhull-dev libcurl4-openssl-dev libcjson-dev libglfw3-dev
  libcmocka-dev libtcc-dev tcc libseccomp-dev libmicrohttpd-dev
  xvfb xauth ffmpeg libpng-dev libcairo2-dev fonts-dejavu-core chromium
  clang-format dpkg-dev slurm-wlm munge
)
if [ "${TRACEBOT_WITH_FUZZ:-0}" = 1 ]; then pkgs+=(clang libclang-rt-14-dev); fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
