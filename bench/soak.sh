#!/usr/bin/env bash
# Soak test (issue #6): a bounded run at ~80 % of measured capacity with a mixed load
# (bench/wrk/soak_mix.lua), checking that the server's RSS and open file descriptors stay flat and
# that not a single response is non-2xx.
#
#   bench/soak.sh                       # 5 minutes (make soak)
#   SOAK_MINUTES=30 bench/soak.sh
#
# Steps: build release; start the LiveKit emulator and Convene (127.0.0.1, data on tmpfs, 100
# seeded rooms); measure capacity C with the mix unthrottled (SOAK_CAPACITY_S, 50 connections);
# pick a connection count N that, with a fixed per-request delay of SOAK_DELAY_MS, gives ~80 % of C
# (one calibration run corrects N by the ratio achieved/wanted); then run the mix for SOAK_MINUTES
# while sampling VmRSS and the fd count of the server every SOAK_SAMPLE_S seconds.
# Pass/fail, after the first SOAK_WARMUP_S seconds (reservations of named tokens live
# MEET_NAME_PENDING_TTL = 30 s here and the reconciliation that releases stale ones runs every
# MEET_RECONCILE_INTERVAL = 10 s, so memory reaches its steady state within the warm-up):
#   - RSS: mean of the last quarter of the samples <= mean of the first quarter * (1 + SOAK_RSS_PCT/100)
#     or + SOAK_RSS_MIN_MIB, whichever is larger (defaults 10 % and 4 MiB);
#   - fds: median of the last quarter <= median of the first quarter + SOAK_FD_SLACK (default 8;
#     the client connection count is fixed, so a leak shows as a rising floor; short bursts of
#     outgoing connections to LiveKit during a reconciliation pass come and go and are reported);
#   - zero non-2xx responses and zero socket errors; the server is still running and exits 0 on SIGTERM.
# Writes bench/results/soak-<timestamp>.json (and soak-latest.json); exit code 1 on failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
MINUTES="${SOAK_MINUTES:-5}"
WARMUP_S="${SOAK_WARMUP_S:-60}"
SAMPLE_S="${SOAK_SAMPLE_S:-5}"
CAPACITY_S="${SOAK_CAPACITY_S:-10}"
TARGET_PCT="${SOAK_TARGET_PCT:-80}"
DELAY_MS="${SOAK_DELAY_MS:-10}"
RSS_PCT="${SOAK_RSS_PCT:-10}"
RSS_MIN_MIB="${SOAK_RSS_MIN_MIB:-4}"
FD_SLACK="${SOAK_FD_SLACK:-8}"
ROOMS="${SOAK_ROOMS:-100}"
RESULTS_DIR="${BENCH_RESULTS_DIR:-$BENCH/results}"
API_KEY="bench-api-key"
if [[ -z "${BENCH_DATA_ROOT:-}" ]]; then
  if [[ -d /dev/shm && -w /dev/shm ]]; then BENCH_DATA_ROOT=/dev/shm; else BENCH_DATA_ROOT="${TMPDIR:-/tmp}"; fi
fi
die() { echo "soak: $*" >&2; exit 1; }
[[ $MINUTES =~ ^[0-9]+$ ]] && ((MINUTES >= 1)) || die "SOAK_MINUTES must be a whole number >= 1"
TOTAL_S=$((MINUTES * 60))
((WARMUP_S < TOTAL_S)) || die "SOAK_WARMUP_S ($WARMUP_S) must be shorter than the run ($TOTAL_S s)"
for tool in wrk node timeout; do command -v "$tool" >/dev/null || die "'$tool' is required"; done
[[ -d $ROOT/tests/livekit-emulator/node_modules ]] || die "run 'npm ci' in tests/livekit-emulator first (or make test)"

if [[ -n "${CONVENE_BINARY:-}" ]]; then
  BINARY="$CONVENE_BINARY"
else
  BINARY="$ROOT/build/release/src/convene"
  echo "soak: building release ..." >&2
  (cd "$ROOT" && cmake --preset release >/dev/null &&
    timeout "${BENCH_BUILD_TIMEOUT:-1800}" cmake --build --preset release --target convene) >&2 || die "release build failed"
fi
[[ -x $BINARY ]] || die "no executable at $BINARY"

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
TMP="$(mktemp -d "$BENCH_DATA_ROOT/convene-soak.XXXXXX")"
SERVER_PID="" EMULATOR_PID="" SAMPLER_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in $SAMPLER_PID $SERVER_PID $EMULATOR_PID; do kill "$pid" 2>/dev/null || true; done
  for pid in $SAMPLER_PID $SERVER_PID $EMULATOR_PID; do wait "$pid" 2>/dev/null || true; done
  if [[ ${BENCH_KEEP_TMP:-0} == 1 ]]; then echo "soak: kept $TMP" >&2; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_line() { # file regex timeout_s pid -> first capture group
  local i v
  for ((i = 0; i < $3 * 20; i++)); do
    v=$(sed -n -E "s/.*$2.*/\\1/p" "$1" | head -n1)
    if [[ -n $v ]]; then echo "$v"; return 0; fi
    kill -0 "$4" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# ---- emulator and server -----------------------------------------------------------------------
node "$ROOT/tests/livekit-emulator/server.js" --port 0 --api-key devkey --api-secret secret >"$TMP/emulator.log" 2>&1 &
EMULATOR_PID=$!
LK_PORT=$(wait_line "$TMP/emulator.log" 'LIVEKIT_EMULATOR_LISTENING ([0-9]+)' 30 "$EMULATOR_PID") || die "emulator did not start"
mkdir -p "$TMP/data"
env SERVER_ADDRESS=127.0.0.1 SERVER_PORT=0 MEET_DATA_DIR="$TMP/data" MEET_INITIAL_API_KEY="$API_KEY" \
  MEET_LOG_LEVEL=info MEET_NAME_PENDING_TTL=30s MEET_RECONCILE_INTERVAL=10s MEET_MAX_PARTICIPANTS_PER_ROOM=0 \
  LIVEKIT_URL="ws://127.0.0.1:$LK_PORT" \
  LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret "$BINARY" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
PORT=$(wait_line "$TMP/server.log" 'Convene listening on [0-9.]+:([0-9]+)' 30 "$SERVER_PID") || die "Convene did not start: $(tail -n 3 "$TMP/server.log")"
URL="http://127.0.0.1:$PORT"
echo "soak: Convene pid $SERVER_PID on $URL, emulator on $LK_PORT; seeding $ROOMS rooms" >&2
timeout -k 5 300 node "$BENCH/seed.mjs" --url "$URL" --api-key "$API_KEY" --count "$ROOMS" --out "$TMP/rooms.tsv" >"$TMP/seed.log" 2>&1 ||
  die "seeding failed: $(tail -n 3 "$TMP/seed.log")"

run_mix() { # connections delay_ms duration outfile
  BENCH_WRK_DIR="$BENCH/wrk" BENCH_API_KEY="$API_KEY" BENCH_ROOMS_FILE="$TMP/rooms.tsv" BENCH_WRK_THREADS=2 \
    BENCH_SOAK_DELAY_MS="$2" timeout -k 5 $(($3 + 60)) wrk -t2 -c"$1" -d"$3s" --latency --timeout 5s \
    -s "$BENCH/wrk/soak_mix.lua" "$URL" >"$4" 2>&1 || true
  sed -n 's/^WRK_JSON //p' "$4" | tail -n1
}
field() { node -e 'const o=JSON.parse(process.argv[1]); console.log(o[process.argv[2]])' "$1" "$2"; }

# ---- capacity and calibration ------------------------------------------------------------------
CAP_JSON=$(run_mix 50 0 "$CAPACITY_S" "$TMP/wrk-capacity.txt")
[[ -n $CAP_JSON ]] || die "capacity run failed: $(tail -n 5 "$TMP/wrk-capacity.txt")"
CAPACITY=$(field "$CAP_JSON" rps)
TARGET=$(node -e "console.log(Math.round($CAPACITY * $TARGET_PCT / 100))")
# Each connection sends one request per (delay + latency); latency at 80 % load is taken as 1 ms
# for the first guess, and the calibration run corrects for the real value.
CONNS=$(node -e "console.log(Math.max(2, Math.min(2000, Math.round($TARGET * ($DELAY_MS + 1) / 1000))))")
echo "soak: capacity $CAPACITY req/s; target $TARGET req/s; calibrating with $CONNS connections, ${DELAY_MS} ms delay" >&2
CAL_JSON=$(run_mix "$CONNS" "$DELAY_MS" 10 "$TMP/wrk-calibration.txt")
[[ -n $CAL_JSON ]] || die "calibration run failed: $(tail -n 5 "$TMP/wrk-calibration.txt")"
CAL_RPS=$(field "$CAL_JSON" rps)
CONNS=$(node -e "console.log(Math.max(2, Math.min(2000, Math.round($CONNS * $TARGET / Math.max(1, $CAL_RPS)))))")
echo "soak: calibration gave $CAL_RPS req/s; soaking with $CONNS connections for $MINUTES min" >&2

# ---- the soak ----------------------------------------------------------------------------------
SAMPLES="$TMP/samples.jsonl"
: >"$SAMPLES"
(
  t0=$(date +%s)
  while kill -0 "$SERVER_PID" 2>/dev/null; do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)
    fds=$(ls "/proc/$SERVER_PID/fd" 2>/dev/null | wc -l)
    cpu=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0)
    echo "{\"t\":$(($(date +%s) - t0)),\"rss_kib\":${rss:-0},\"fds\":$fds,\"cpu_ticks\":${cpu:-0}}" >>"$SAMPLES"
    sleep "$SAMPLE_S"
  done
) &
SAMPLER_PID=$!
SOAK_JSON=$(run_mix "$CONNS" "$DELAY_MS" "$TOTAL_S" "$TMP/wrk-soak.txt")
kill "$SAMPLER_PID" 2>/dev/null || true
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
STATUSES=$(sed -n 's/^SOAK_STATUSES //p' "$TMP/wrk-soak.txt" | tail -n1)
ALIVE=false
if kill -0 "$SERVER_PID" 2>/dev/null; then ALIVE=true; fi
kill -TERM "$SERVER_PID" 2>/dev/null || true
EXIT_RC=0
wait "$SERVER_PID" 2>/dev/null || EXIT_RC=$?
SERVER_PID=""
LOG_ERRORS=$(grep -c '\[error\]\|\[critical\]' "$TMP/server.log" || true)

# ---- verdict -----------------------------------------------------------------------------------
mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/soak-$STAMP.json"
cp "$TMP/server.log" "$RESULTS_DIR/soak-$STAMP-server.log"
SOAK_OUT="$OUT" SOAK_LATEST="$RESULTS_DIR/soak-latest.json" node --input-type=module -e '
import fs from "node:fs";
const [samplesFile, soak, statuses, cap, cal, conns, delay, alive, exitRc, logErrors, warmup, rssPct, rssMin, fdSlack, minutes, target] = process.argv.slice(1);
const samples = fs.readFileSync(samplesFile, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
const after = samples.filter((s) => s.t >= Number(warmup));
const q = Math.max(1, Math.floor(after.length / 4));
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rssFirst = mean(after.slice(0, q).map((s) => s.rss_kib));
const rssLast = mean(after.slice(-q).map((s) => s.rss_kib));
const rssAllowed = Math.max(rssFirst * (1 + Number(rssPct) / 100), rssFirst + Number(rssMin) * 1024);
const fds = after.map((s) => s.fds);
const median = (xs) => { const v = [...xs].sort((x, y) => x - y); return v[Math.floor(v.length / 2)]; };
const fdFirst = median(fds.slice(0, q));
const fdLast = median(fds.slice(-q));
const w = soak ? JSON.parse(soak) : null;
const st = statuses ? JSON.parse(statuses) : null;
const checks = {
  wrk_ran: w !== null,
  rss_flat: after.length >= 4 && rssLast <= rssAllowed,
  fds_flat: fds.length >= 4 && fdLast - fdFirst <= Number(fdSlack),
  zero_non2xx: st !== null && st.non2xx_total === 0 && w !== null && w.non2xx === 0,
  zero_socket_errors: w !== null && w.socket_errors === 0,
  server_alive: alive === "true",
  clean_exit: Number(exitRc) === 0,
  no_error_logs: Number(logErrors) === 0,
};
const result = {
  type: "soak", minutes: Number(minutes), warmup_s: Number(warmup),
  capacity_rps: Number(JSON.parse(cap).rps), target_rps: Number(target), calibration_rps: Number(JSON.parse(cal).rps),
  connections: Number(conns), delay_ms: Number(delay), wrk: w, statuses: st,
  rss: { first_quarter_mean_kib: Math.round(rssFirst), last_quarter_mean_kib: Math.round(rssLast), allowed_kib: Math.round(rssAllowed),
         min_kib: Math.min(...after.map((s) => s.rss_kib)), max_kib: Math.max(...after.map((s) => s.rss_kib)) },
  fds: { first_quarter_median: fdFirst, last_quarter_median: fdLast, min: Math.min(...fds), max: Math.max(...fds), slack: Number(fdSlack) },
  server_exit: Number(exitRc), log_errors: Number(logErrors), checks,
  pass: Object.values(checks).every(Boolean), samples,
};
fs.writeFileSync(process.env.SOAK_OUT, JSON.stringify(result, null, 2) + "\n");
fs.writeFileSync(process.env.SOAK_LATEST, JSON.stringify(result, null, 2) + "\n");
const mib = (k) => (k / 1024).toFixed(1);
console.log(`soak: ${minutes} min at ${w ? Math.round(w.rps) : "?"} req/s (capacity ${Math.round(result.capacity_rps)}, target ${target}), ${w ? w.requests : 0} requests, p50 ${w?.p50_ms} ms, p99 ${w?.p99_ms} ms`);
console.log(`soak: RSS after warm-up ${mib(result.rss.min_kib)}..${mib(result.rss.max_kib)} MiB (first quarter ${mib(rssFirst)}, last quarter ${mib(rssLast)}, allowed ${mib(rssAllowed)}); fds ${result.fds.min}..${result.fds.max} (median ${fdFirst} → ${fdLast})`);
console.log(`soak: non-2xx ${st ? st.non2xx_total : "?"}, socket errors ${w ? w.socket_errors : "?"}, server exit ${exitRc}, error log lines ${logErrors}`);
console.log(`soak: ${result.pass ? "PASS" : "FAIL " + JSON.stringify(checks)}; ${process.env.SOAK_OUT}`);
process.exit(result.pass ? 0 : 1);
' "$SAMPLES" "$SOAK_JSON" "$STATUSES" "$CAP_JSON" "$CAL_JSON" "$CONNS" "$DELAY_MS" "$ALIVE" "$EXIT_RC" "$LOG_ERRORS" \
  "$WARMUP_S" "$RSS_PCT" "$RSS_MIN_MIB" "$FD_SLACK" "$MINUTES" "$TARGET"
