#!/usr/bin/env bash
# Installs the system packages this project uses, on Debian or Ubuntu (apt), as root or through sudo.
#   system-deps.sh           what the engine needs: oneDNN (libdnnl-dev) and pkg-config for the native backend.
#                            Optional: without them everything runs on wasm, so a failure here only warns.
#   system-deps.sh --test    also what the test suite needs (chromium for the browser tests, redis-server for the
#                            queue tests, python3-onnx for ONNX's own checker on exported files); a failure here is
#                            an error.
# Packages already installed are left alone; nothing is downloaded when everything is there.
set -uo pipefail

mode=engine
[ "${1:-}" = "--test" ] && mode=test

engine_pkgs=(libdnnl-dev pkg-config)
test_pkgs=(chromium redis-server python3-onnx)
pkgs=("${engine_pkgs[@]}")
[ "$mode" = test ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

fail() {
  if [ "$mode" = test ]; then
    echo "error: $1" >&2
    exit 1
  fi
  echo "warning: $1; the native backend will not be built and training runs on wasm" >&2
  exit 0
}

command -v apt-get >/dev/null || fail "no apt-get: install ${missing[*]} with your system's package manager (README: Install)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || fail "installing ${missing[*]} needs root (apt-get install ${missing[*]})"
  SUDO="sudo"
fi
echo "installing system packages: ${missing[*]}" >&2
$SUDO apt-get update -qq || fail "apt-get update failed"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || fail "apt-get install ${missing[*]} failed"
exit 0
