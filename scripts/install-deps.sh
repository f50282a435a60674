#!/usr/bin/env bash
# Installs everything Convene needs to build, run and test, from Debian bookworm packages only.
# Idempotent: packages already present are skipped, so repeated `make run` / `make test` are fast.
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config make
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
  libssl-dev libsqlite3-dev libhiredis-dev libpq-dev libspdlog-dev libfmt-dev
  libexpected-dev prometheus-cpp-dev libcrypt-dev libicu-dev
  libgtest-dev libgmock-dev libbenchmark-dev clang-14 libclang-rt-14-dev
  wrk redis-server postgresql nodejs npm sqlite3
)

missing=()
for p in "${packages[@]}"; do
  # nodejs/npm may come from outside apt on some machines; accept a working binary.
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
