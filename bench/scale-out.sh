#!/usr/bin/env bash
# Scale-out benchmark (issue 5): the same wrk load against
#   embedded   one instance, SQLite + in-process registry (the default)
#   shared x1  one instance on PostgreSQL + Redis
#   shared x2  two instances on the same PostgreSQL + Redis, one wrk per instance (summed)
# for a room read (get_room) and named participant tokens (token_named: registry + JWT).
#
#   bench/scale-out.sh                       # 10 s per run
#   BENCH_DURATION=5s bench/scale-out.sh
#
# Everything listens on 127.0.0.1; the engines come from scripts/test-services.sh (throw-away
# data), the LiveKit emulator from tests/livekit-emulator. All processes stop on exit. On a small
# machine every process competes for the same cores, so read "x2" as the cost of coordination,
# not as the gain of a second machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION="${BENCH_DURATION:-10s}"
CONNECTIONS="${BENCH_CONNECTIONS:-50}"
API_KEY="bench-api-key"
WORK="$(mktemp -d /tmp/convene-scale-out.XXXXXX)"
chmod 755 "$WORK"  # PostgreSQL runs as the postgres user and must reach its data directory
SERVICES="$WORK/services"
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$ROOT/scripts/test-services.sh" stop "$SERVICES" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

cmake --preset release >/dev/null
cmake --build --preset release --target convene >/dev/null
BINARY="$ROOT/build/release/src/convene"

eval "$("$ROOT/scripts/test-services.sh" start "$SERVICES")"

# The LiveKit emulator, answering at once (--fast).
node "$ROOT/tests/livekit-emulator/server.js" --port 0 --api-key devkey --api-secret secret --fast \
  >"$WORK/emulator.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do grep -q LIVEKIT_EMULATOR_LISTENING "$WORK/emulator.log" && break; sleep 0.05; done
LK_PORT=$(sed -n 's/.*LIVEKIT_EMULATOR_LISTENING \([0-9]*\).*/\1/p' "$WORK/emulator.log" | head -n1)

# start_convene <log> <env...>: starts one instance on a free port; prints the port.
start_convene() {
  local log=$1
  shift
  env -i PATH="$PATH" SERVER_ADDRESS=127.0.0.1 SERVER_PORT=0 MEET_LOG_LEVEL=info \
    MEET_INITIAL_API_KEY="$API_KEY" MEET_MAX_PARTICIPANTS_PER_ROOM=0 LIVEKIT_URL="ws://127.0.0.1:$LK_PORT" \
    LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret "$@" "$BINARY" >"$log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 300); do
    if grep -q "Convene listening" "$log"; then
      sed -n 's/.*Convene listening on [^:]*:\([0-9]*\).*/\1/p' "$log" | head -n1
      return
    fi
    sleep 0.05
  done
  echo "convene did not start: $(cat "$log")" >&2
  exit 1
}

stop_all_convene() {
  pkill -f "^$BINARY" 2>/dev/null || true
  sleep 0.5
}

# wrk_run <script> <rooms file> <connections> <url>: prints "req/s p99_ms"
wrk_run() {
  local out
  out=$(BENCH_WRK_DIR="$ROOT/bench/wrk" BENCH_ROOMS_FILE="$2" BENCH_API_KEY="$API_KEY" BENCH_WRK_THREADS=1 \
    wrk -t1 -c"$3" -d"$DURATION" --latency --timeout 5s -s "$ROOT/bench/wrk/$1" "$4" 2>&1)
  local rps p99 errors
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx or 3xx responses/ {print $5}')
  echo "${rps:-0} ${p99:-?} ${errors:-0}"
}

seed() {  # seed <port> <out>
  node "$ROOT/bench/seed.mjs" --url "http://127.0.0.1:$1" --api-key "$API_KEY" --count 100 --out "$2" >/dev/null
}

declare -A RESULT
# measure <label> <ports...>: seeds through the first port, runs each scenario with one wrk per port.
measure() {
  local label=$1
  shift
  local ports=("$@")
  for scenario in get_room token_named; do
    local script=get_room.lua
    [ "$scenario" = token_named ] && script=participant_token.lua
    local rooms="$WORK/rooms-$label-$scenario.tsv"
    seed "${ports[0]}" "$rooms"
    local per=$((CONNECTIONS / ${#ports[@]}))
    local wrk_pids=()
    for port in "${ports[@]}"; do
      wrk_run "$script" "$rooms" "$per" "http://127.0.0.1:$port" >"$WORK/wrk-$port.out" &
      wrk_pids+=($!)
    done
    wait "${wrk_pids[@]}"
    local total=0 p99s="" errors=0
    for port in "${ports[@]}"; do
      read -r rps p99 err <"$WORK/wrk-$port.out"
      total=$(awk -v a="$total" -v b="$rps" 'BEGIN {printf "%.0f", a + b}')
      p99s="$p99s${p99s:+ / }$p99"
      errors=$((errors + err))
    done
    RESULT["$label,$scenario"]="$total req/s (p99 $p99s, non-2xx $errors)"
  done
}

PORT=$(start_convene "$WORK/embedded.log" MEET_DATA_DIR="$WORK/embedded-data")
measure embedded "$PORT"
stop_all_convene

SHARED=(MEET_DATABASE_URL="$CONVENE_TEST_PG_URL" MEET_REDIS_HOST=127.0.0.1
        MEET_REDIS_PORT="$CONVENE_TEST_REDIS_PORT" MEET_REDIS_PASSWORD="$CONVENE_TEST_REDIS_PASSWORD")
PORT=$(start_convene "$WORK/shared1.log" MEET_DATA_DIR="$WORK/d1" "${SHARED[@]}" MEET_REDIS_PREFIX=one:)
measure shared_x1 "$PORT"
stop_all_convene

PORT_A=$(start_convene "$WORK/shared2a.log" MEET_DATA_DIR="$WORK/d2a" "${SHARED[@]}" MEET_REDIS_PREFIX=two:)
PORT_B=$(start_convene "$WORK/shared2b.log" MEET_DATA_DIR="$WORK/d2b" "${SHARED[@]}" MEET_REDIS_PREFIX=two:)
measure shared_x2 "$PORT_A" "$PORT_B"
stop_all_convene

echo
echo "| deployment | get_room | token_named |"
echo "|---|---|---|"
for label in embedded shared_x1 shared_x2; do
  echo "| $label | ${RESULT[$label,get_room]} | ${RESULT[$label,token_named]} |"
done
