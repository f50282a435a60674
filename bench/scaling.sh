#!/usr/bin/env bash
# Scaling check (issue #6): server CPU time, throughput and latency per request as rooms in the
# store, participants per room and same-name participants grow in 10x steps. See bench/scaling.mjs
# for the method; bench/README.md for the settings. Writes bench/results/scaling-<timestamp>.json.
#
#   bench/scaling.sh                                  # make scaling
#   SCALE_ROOMS=100,1000 SCALE_SAME_NAME=10,100 bench/scaling.sh   # a quicker subset
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { echo "scaling: $*" >&2; exit 1; }
for tool in wrk node timeout; do command -v "$tool" >/dev/null || die "'$tool' is required"; done
[[ -d $ROOT/tests/livekit-emulator/node_modules ]] || die "run 'npm ci' in tests/livekit-emulator first (or make test)"
if [[ -z "${CONVENE_BINARY:-}" ]]; then
  echo "scaling: building release ..." >&2
  (cd "$ROOT" && cmake --preset release >/dev/null &&
    timeout "${BENCH_BUILD_TIMEOUT:-1800}" cmake --build --preset release --target convene) >&2 || die "release build failed"
  export CONVENE_BINARY="$ROOT/build/release/src/convene"
fi
# Bounded: the whole run (seeding 100 000 rooms included) gets SCALE_TIMEOUT seconds.
exec timeout -k 10 "${SCALE_TIMEOUT:-1800}" node "$ROOT/bench/scaling.mjs"
