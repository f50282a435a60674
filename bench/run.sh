#!/usr/bin/env bash
# HTTP benchmarks of Convene with wrk: builds the release binary, starts Convene on 127.0.0.1 with a
# throw-away data directory, seeds rooms through the API, runs each scenario, samples the server's
# RSS, then prints a Markdown table and writes bench/results/<timestamp>.json and latest.json.
#
#   bench/run.sh                      # every scenario
#   bench/run.sh get_room list_rooms_100
#   BENCH_DURATION=5s bench/run.sh    # shorter runs
#
# Settings (environment): see bench/README.md. Every step is bounded in time, everything listens
# on 127.0.0.1 only, and the server (and the LiveKit emulator, if used) is stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"

# ---- Scenarios ---------------------------------------------------------------------------------
# Adding a scenario = one wrk script in bench/wrk/ + one line here.
#   rooms    rooms seeded (through POST /api/v1/rooms) before the scenario runs; the script gets
#            them in BENCH_ROOMS_FILE (roomId, moderator secret, speaker secret per line).
#   flags    "-" or a comma list of:
#              mutates  the scenario changes the data, so the next scenario gets a fresh server
#              livekit  start the LiveKit emulator (tests/livekit-emulator) and point Convene at it
#              admin    log in as the admin once before the scenario and give the script the access
#                       token in BENCH_ACCESS_TOKEN; when any selected scenario has it, every server
#                       of the run starts with MEET_LOGIN_RATE_LIMIT=off
#   targets  "-" or a comma list checked in the report: rps=MIN req/s, p99=MAX ms,
#            rss=MAX MiB (peak RSS during the run)
# Consecutive scenarios with the same rooms + livekit fixture share one server and one seeding,
# so keep them next to each other. Scenarios always run in this table's order.
SCENARIOS=(
  # name              script                  rooms    flags     targets
  "create_room        create_room.lua         0        mutates   -"
  "get_room           get_room.lua            100      -         rps=20000,p99=5"
  "get_room_access_token  get_room_access_token.lua  100  admin  rps=20000,p99=5"
  "list_rooms_100     list_rooms.lua          100      -         rps=20000,p99=5"
  "login              login.lua               0        admin     -"
  "list_rooms_10      list_rooms_default.lua  100      -         rps=20000,p99=5"
  "get_room_100k      get_room.lua            100000   -         rps=20000,p99=5,rss=30"
  "list_rooms_100k    list_rooms.lua          100000   -         rps=20000,p99=5,rss=30"
  "token_anonymous    participant_token_anonymous.lua  100  livekit  rps=15000,p99=5"
  "token_named        participant_token.lua   100      livekit,mutates  rps=15000,p99=5"
  "token_same_room    participant_token.lua   1        livekit,mutates  rps=15000,p99=5"
)

# ---- Settings ----------------------------------------------------------------------------------
DURATION="${BENCH_DURATION:-10s}"
CONNECTIONS="${BENCH_CONNECTIONS:-50}"
WRK_THREADS="${BENCH_THREADS:-2}"
WARMUP="${BENCH_WARMUP:-2s}"                  # 0 disables the warm-up run before each scenario
WRK_TIMEOUT="${BENCH_WRK_TIMEOUT:-5s}"        # wrk --timeout: slower responses count as timeouts
SERVER_THREADS="${BENCH_SERVER_THREADS:-}"    # empty: Convene's default (number of cores)
LOG_LEVEL="${BENCH_LOG_LEVEL:-info}"          # the listening line is logged at info; requests at debug
SETTLE_S="${BENCH_SETTLE:-1}"                 # idle time before an "idle RSS" reading
SEED_CONCURRENCY="${BENCH_SEED_CONCURRENCY:-64}"
SEED_TIMEOUT_S="${BENCH_SEED_TIMEOUT:-900}"
START_TIMEOUT_S="${BENCH_START_TIMEOUT:-30}"
RESTART="${BENCH_RESTART:-1}"                 # 1: after a seeded fixture, restart on its data
RESULTS_DIR="${BENCH_RESULTS_DIR:-$BENCH/results}"
API_KEY="bench-api-key"
ADMIN_USER="${BENCH_ADMIN_USER:-admin}"        # MEET_INITIAL_ADMIN_USER of the server and the login
ADMIN_PASSWORD="${BENCH_ADMIN_PASSWORD:-admin}"
if [[ -z "${BENCH_DATA_ROOT:-}" ]]; then
  # tmpfs by default: seeding 100 000 rooms on a disk is bound by one fsync per room
  # (synchronous=FULL); set BENCH_DATA_ROOT=/var/tmp to measure with the disk.
  if [[ -d /dev/shm && -w /dev/shm ]]; then BENCH_DATA_ROOT=/dev/shm; else BENCH_DATA_ROOT="${TMPDIR:-/tmp}"; fi
fi

die() { echo "bench: $*" >&2; exit 1; }

seconds_of() { # wrk duration (10, 10s, 2m, 1h) -> whole seconds
  local d=$1
  [[ $d =~ ^([0-9]+)([smh]?)$ ]] || die "bad duration '$d' (use e.g. 10s, 2m)"
  case "${BASH_REMATCH[2]}" in
    m) echo $((BASH_REMATCH[1] * 60)) ;;
    h) echo $((BASH_REMATCH[1] * 3600)) ;;
    *) echo "${BASH_REMATCH[1]}" ;;
  esac
}
DURATION_S=$(seconds_of "$DURATION")
WARMUP_S=$(seconds_of "$WARMUP")
((DURATION_S > 0)) || die "BENCH_DURATION must be > 0"
[[ $CONNECTIONS =~ ^[0-9]+$ && $WRK_THREADS =~ ^[0-9]+$ ]] || die "bad BENCH_CONNECTIONS/BENCH_THREADS"
((CONNECTIONS >= WRK_THREADS)) || die "BENCH_CONNECTIONS must be >= BENCH_THREADS"

for tool in wrk node timeout; do
  command -v "$tool" >/dev/null || die "'$tool' is required (scripts/install-deps.sh installs it)"
done

# ---- Scenario selection ------------------------------------------------------------------------
declare -A KNOWN=()
for line in "${SCENARIOS[@]}"; do read -r n _ <<<"$line"; KNOWN[$n]=1; done
declare -A WANTED=()
for arg in "$@"; do
  [[ -n "${KNOWN[$arg]:-}" ]] || die "unknown scenario '$arg'; known: ${!KNOWN[*]}"
  WANTED[$arg]=1
done
SELECTED=()
NEED_LIVEKIT=0
NEED_ADMIN=0
for line in "${SCENARIOS[@]}"; do
  read -r n script _ flags _ <<<"$line"
  if (($# == 0)) || [[ -n "${WANTED[$n]:-}" ]]; then
    [[ -f "$BENCH/wrk/$script" ]] || die "scenario $n: missing bench/wrk/$script"
    if [[ ",$flags," == *,livekit,* ]]; then NEED_LIVEKIT=1; fi
    if [[ ",$flags," == *,admin,* ]]; then NEED_ADMIN=1; fi
    SELECTED+=("$line")
  fi
done

# ---- Build -------------------------------------------------------------------------------------
if [[ -n "${CONVENE_BINARY:-}" ]]; then
  BINARY="$CONVENE_BINARY"
  echo "bench: using CONVENE_BINARY=$BINARY (no build)" >&2
else
  BINARY="$ROOT/build/release/src/convene"
  echo "bench: building release ..." >&2
  # BENCH_CMAKE_ARGS: extra configure arguments, e.g. -DCONVENE_WERROR=OFF.
  # shellcheck disable=SC2086
  (cd "$ROOT" && cmake --preset release ${BENCH_CMAKE_ARGS:-} >/dev/null &&
    timeout "${BENCH_BUILD_TIMEOUT:-1800}" cmake --build --preset release --target convene) >&2 ||
    die "release build failed (set CONVENE_BINARY to benchmark an existing binary)"
fi
[[ -x "$BINARY" ]] || die "no executable at $BINARY"

# ---- Run state, clean-up -----------------------------------------------------------------------
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
TMP="$(mktemp -d "$BENCH_DATA_ROOT/convene-bench.XXXXXX")"
LOGS="$TMP/logs"
mkdir -p "$LOGS"
RECORDS="$TMP/records.jsonl"
: >"$RECORDS"
SERVER_PID=""
SAMPLER_PID=""
EMULATOR_PID=""
LIVEKIT_ENV=()

alive() { # pid: running and not a zombie
  local _pid _comm state=""
  [[ -n "$1" ]] || return 1
  read -r _pid _comm state _ 2>/dev/null <"/proc/$1/stat" || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

stop_pid() { # pid grace_s -> sets STOP_RC (exit code, 128+signal, or "killed")
  local pid=$1 grace=$2 i
  STOP_RC=""
  [[ -n $pid ]] || return 0
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 20; i++)); do alive "$pid" || break; sleep 0.05; done
    if alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      STOP_RC="killed"
    fi
  fi
  local rc=0
  wait "$pid" 2>/dev/null || rc=$?
  [[ -n $STOP_RC ]] || STOP_RC=$rc
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $SAMPLER_PID ]]; then kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; fi
  if [[ -n $SERVER_PID ]]; then stop_pid "$SERVER_PID" 5; fi
  if [[ -n $EMULATOR_PID ]]; then stop_pid "$EMULATOR_PID" 5; fi
  if [[ ${BENCH_KEEP_TMP:-0} == 1 ]]; then
    echo "bench: kept $TMP" >&2
  else
    rm -rf "$TMP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# nap SECONDS: sleep without forking (read with a timeout on a pipe we also hold open for
# writing), so that the start-up and RSS polling loops have ~1 ms resolution and little overhead.
exec {NAP_FD}<> <(:)
nap() { read -r -t "$1" -u "$NAP_FD" _ || true; }

now_us() { echo "${EPOCHREALTIME/[.,]/}"; }
ms_of_us() { printf '%d.%01d' $(($1 / 1000)) $((($1 % 1000) / 100)); }

status_kib() { # pid field (VmRSS, VmHWM) -> kB, or 0 if gone
  local k v _
  while read -r k v _; do
    if [[ $k == "$2:" ]]; then echo "$v"; return; fi
  done 2>/dev/null <"/proc/$1/status" || true
  echo 0
}

rss_sampler() { # pid outfile: max VmRSS every 100 ms, written on every new maximum
  local pid=$1 out=$2 max=0 k v _
  while alive "$pid"; do
    while read -r k v _; do
      if [[ $k == VmRSS: ]]; then
        if ((v > max)); then max=$v; echo "$max" >"$out"; fi
        break
      fi
    done 2>/dev/null <"/proc/$pid/status" || true
    nap 0.1
  done
}

jstr() { # JSON string literal (the values here are paths, names and short messages)
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/ }
  s=${s//$'\t'/ }
  printf '"%s"' "$s"
}

# ---- LiveKit emulator (for scenarios flagged livekit) ------------------------------------------
start_emulator() {
  if [[ -n $EMULATOR_PID ]]; then return 0; fi
  if [[ ${BENCH_LIVEKIT:-emulator} == real ]]; then
    start_real_livekit
    return
  fi
  local dir="$ROOT/tests/livekit-emulator" log="$LOGS/livekit-emulator.log" i port=""
  [[ -f $dir/server.js ]] || die "tests/livekit-emulator/server.js not found"
  [[ -d $dir/node_modules ]] || die "run 'npm ci' in tests/livekit-emulator first (or make test)"
  : >"$log"
  node "$dir/server.js" --port 0 --api-key devkey --api-secret secret >"$log" 2>&1 &
  EMULATOR_PID=$!
  for ((i = 0; i < START_TIMEOUT_S * 20; i++)); do
    port=$(sed -n 's/^LIVEKIT_EMULATOR_LISTENING \([0-9]*\).*/\1/p' "$log" | head -n1)
    if [[ -n $port ]]; then break; fi
    alive "$EMULATOR_PID" || die "LiveKit emulator exited: $(tail -n 5 "$log")"
    sleep 0.05
  done
  [[ -n $port ]] || die "LiveKit emulator did not start within ${START_TIMEOUT_S}s"
  LIVEKIT_ENV=(LIVEKIT_URL="ws://127.0.0.1:$port" LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret)
  echo "bench: LiveKit emulator on 127.0.0.1:$port" >&2
}

# BENCH_LIVEKIT=real: the real livekit-server (scripts/livekit-server.sh) is the LiveKit peer of the
# scenarios flagged livekit instead of the emulator. No webhooks: the token path does not need them.
start_real_livekit() {
  local out
  out=$("$ROOT/scripts/livekit-server.sh" start "$TMP/livekit") || die "livekit-server did not start"
  eval "$out"
  EMULATOR_PID=$LIVEKIT_TEST_PID
  LIVEKIT_ENV=(LIVEKIT_URL="$LIVEKIT_TEST_URL" LIVEKIT_API_KEY="$LIVEKIT_TEST_API_KEY"
    LIVEKIT_API_SECRET="$LIVEKIT_TEST_API_SECRET")
  echo "bench: livekit-server $LIVEKIT_TEST_VERSION on $LIVEKIT_TEST_HTTP_URL" >&2
}

# ---- Server ------------------------------------------------------------------------------------
SERVER_STARTS=0
# start_server datadir [K=V...]: sets SERVER_PID PORT STARTUP_MS STARTUP_MS_SERVER THREADS_USED
# SERVER_LOG; on failure returns 1 with START_ERROR set (and no server left running).
start_server() {
  local data=$1; shift
  local log="$LOGS/server-$((++SERVER_STARTS)).log" t0 t1 deadline line=""
  SERVER_LOG=$log START_ERROR=""
  local senv=(SERVER_ADDRESS=127.0.0.1 SERVER_PORT=0 MEET_DATA_DIR="$data"
    MEET_INITIAL_API_KEY="$API_KEY" MEET_LOG_LEVEL="$LOG_LEVEL"
    MEET_INITIAL_ADMIN_USER="$ADMIN_USER" MEET_INITIAL_ADMIN_PASSWORD="$ADMIN_PASSWORD"
    MEET_MAX_PARTICIPANTS_PER_ROOM=0 "$@")  # same-name scenarios fill one room past the default cap
  if ((NEED_ADMIN)); then senv+=(MEET_LOGIN_RATE_LIMIT=off); fi
  if [[ -n $SERVER_THREADS ]]; then senv+=(SERVER_THREADS="$SERVER_THREADS"); fi
  t0=${EPOCHREALTIME/[.,]/}
  deadline=$((t0 + START_TIMEOUT_S * 1000000))
  : >"$log"
  env "${senv[@]}" "$BINARY" >"$log" 2>&1 &
  SERVER_PID=$!
  local l
  while :; do
    while IFS= read -r l; do
      if [[ $l == *"Convene listening on"* ]]; then line=$l; break; fi
    done <"$log"
    if [[ -n $line ]]; then break; fi
    if ! alive "$SERVER_PID"; then
      stop_pid "$SERVER_PID" 1
      SERVER_PID=""
      START_ERROR="Convene exited during start-up (exit $STOP_RC): $(grep -v '^$' "$log" | tail -n 3 | tr '\n' ' ')"
      return 1
    fi
    if ((${EPOCHREALTIME/[.,]/} > deadline)); then
      stop_pid "$SERVER_PID" 5
      SERVER_PID=""
      START_ERROR="no 'Convene listening on' line within ${START_TIMEOUT_S}s (it is logged at info: MEET_LOG_LEVEL=$LOG_LEVEL)"
      return 1
    fi
    nap 0.001
  done
  t1=${EPOCHREALTIME/[.,]/}
  if ! [[ $line =~ listening\ on\ [0-9.]+:([0-9]+) ]]; then
    stop_pid "$SERVER_PID" 5
    SERVER_PID=""
    START_ERROR="cannot parse the port from: $line"
    return 1
  fi
  PORT=${BASH_REMATCH[1]}
  STARTUP_MS=$(ms_of_us $((t1 - t0)))
  STARTUP_MS_SERVER=null
  if [[ $line =~ started\ in\ ([0-9]+)\ ms ]]; then STARTUP_MS_SERVER=${BASH_REMATCH[1]}; fi
  THREADS_USED=null
  if [[ $line =~ \(([0-9]+)\ threads ]]; then THREADS_USED=${BASH_REMATCH[1]}; fi
  return 0
}

log_count() { # file level -> lines logged at that spdlog level
  local n
  n=$(grep -c "\[$2\]" "$1" 2>/dev/null) || true
  echo "${n:-0}"
}

# ---- Fixtures ----------------------------------------------------------------------------------
FIX_N=0
FIX_OPEN=0
FIX_OK=0
fixture_begin() { # rooms livekit(0|1)
  FIX_ROOMS=$1 FIX_LIVEKIT=$2 FIX_OPEN=1 FIX_OK=1 FIX_ERROR="" FIX_SCENARIOS=()
  FIX_N=$((FIX_N + 1))
  FIX_DIR="$TMP/fixture-$FIX_N"
  mkdir -p "$FIX_DIR/data"
  local extra=()
  if ((FIX_LIVEKIT)); then extra=("${LIVEKIT_ENV[@]}"); fi
  FIX_ENV=("${extra[@]}")
  FIX_SEED=null FIX_RSS_SEEDED=null FIX_ROOMS_FILE="" FIX_RSS_START=0
  FIX_STARTUP_MS=null FIX_STARTUP_MS_SERVER=null FIX_THREADS=null
  if ! start_server "$FIX_DIR/data" "${FIX_ENV[@]}"; then
    FIX_LOG=$SERVER_LOG FIX_OK=0 FIX_ERROR=$START_ERROR
    echo "bench: fixture $FIX_N: $START_ERROR" >&2
    return 0
  fi
  FIX_LOG=$SERVER_LOG FIX_STARTUP_MS=$STARTUP_MS FIX_STARTUP_MS_SERVER=$STARTUP_MS_SERVER
  FIX_THREADS=$THREADS_USED
  sleep "$SETTLE_S"
  FIX_RSS_START=$(status_kib "$SERVER_PID" VmRSS)
  echo "bench: fixture $FIX_N: $FIX_ROOMS rooms; Convene on 127.0.0.1:$PORT (pid $SERVER_PID," \
    "$FIX_THREADS threads) up in $FIX_STARTUP_MS ms, idle RSS $((FIX_RSS_START / 1024)) MiB" >&2
  if ((FIX_ROOMS > 0)); then
    FIX_ROOMS_FILE="$FIX_DIR/rooms.tsv"
    echo "bench: seeding $FIX_ROOMS rooms ..." >&2
    local seed_out="$LOGS/seed-$FIX_N.log" rc=0
    timeout -k 5 "$SEED_TIMEOUT_S" node "$BENCH/seed.mjs" --url "http://127.0.0.1:$PORT" \
      --api-key "$API_KEY" --count "$FIX_ROOMS" --concurrency "$SEED_CONCURRENCY" \
      --out "$FIX_ROOMS_FILE" --timeout-s "$SEED_TIMEOUT_S" >"$seed_out" 2>&1 || rc=$?
    FIX_SEED=$(sed -n 's/^SEED_JSON //p' "$seed_out" | tail -n1)
    [[ -n $FIX_SEED ]] || FIX_SEED=null
    if ((rc != 0)); then
      FIX_OK=0 FIX_ERROR="seeding failed (rc $rc): $(tail -n 3 "$seed_out" | tr '\n' ' ')"
      echo "bench: $FIX_ERROR" >&2
    fi
    sleep "$SETTLE_S"
    FIX_RSS_SEEDED=$(status_kib "$SERVER_PID" VmRSS)
    echo "bench: seeded: $FIX_SEED; idle RSS $((FIX_RSS_SEEDED / 1024)) MiB" >&2
  fi
}

fixture_end() {
  ((FIX_OPEN)) || return 0
  FIX_OPEN=0
  local hwm=null exit_rc=null restart=null
  if [[ -n $SERVER_PID ]]; then
    if alive "$SERVER_PID"; then hwm=$(status_kib "$SERVER_PID" VmHWM); fi
    stop_pid "$SERVER_PID" 15
    SERVER_PID=""
    exit_rc=$(jstr "$STOP_RC")
  fi
  local warn err
  warn=$(log_count "$FIX_LOG" warning)
  err=$(($(log_count "$FIX_LOG" error) + $(log_count "$FIX_LOG" critical)))
  if ((FIX_ROOMS > 0 && RESTART == 1 && FIX_OK == 1)); then
    # Same data, fresh process: start-up time with the rooms on disk, and the RSS of a server that
    # holds them without the allocations left over from seeding them.
    if start_server "$FIX_DIR/data" "${FIX_ENV[@]}"; then
      sleep "$SETTLE_S"
      local rss
      rss=$(status_kib "$SERVER_PID" VmRSS)
      stop_pid "$SERVER_PID" 15
      SERVER_PID=""
      restart="{\"startup_ms\":$STARTUP_MS,\"startup_ms_server\":$STARTUP_MS_SERVER,\"idle_rss_kib\":$rss,\"exit\":$(jstr "$STOP_RC")}"
      echo "bench: restart on $FIX_ROOMS rooms: up in $STARTUP_MS ms, idle RSS $((rss / 1024)) MiB" >&2
    else
      restart="{\"error\":$(jstr "$START_ERROR")}"
      echo "bench: restart on $FIX_ROOMS rooms failed: $START_ERROR" >&2
    fi
  fi
  local names="" n
  for n in "${FIX_SCENARIOS[@]}"; do names+="${names:+,}$(jstr "$n")"; done
  printf '{"type":"fixture","id":%d,"rooms":%d,"livekit":%s,"server_threads":%s,"startup_ms":%s,"startup_ms_server":%s,"idle_rss_start_kib":%d,"seed":%s,"idle_rss_seeded_kib":%s,"hwm_kib":%s,"exit":%s,"log_warnings":%d,"log_errors":%d,"restart":%s,"error":%s,"scenarios":[%s]}\n' \
    "$FIX_N" "$FIX_ROOMS" "$( ((FIX_LIVEKIT)) && echo true || echo false)" "$FIX_THREADS" \
    "$FIX_STARTUP_MS" "$FIX_STARTUP_MS_SERVER" "$FIX_RSS_START" "$FIX_SEED" "$FIX_RSS_SEEDED" \
    "$hwm" "$exit_rc" "$warn" "$err" "$restart" "$([[ -n $FIX_ERROR ]] && jstr "$FIX_ERROR" || echo null)" \
    "$names" >>"$RECORDS"
}

# ---- Scenarios ---------------------------------------------------------------------------------
# admin_login: POST /internal-api/v1/auth/login on the current server (header transport mode, the
# default) -> ACCESS_TOKEN; on failure returns 1 with LOGIN_ERROR set.
ACCESS_TOKEN=""
admin_login() {
  local out rc=0
  ACCESS_TOKEN="" LOGIN_ERROR=""
  out=$(BENCH_PORT="$PORT" BENCH_ADMIN_USER="$ADMIN_USER" BENCH_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    timeout -k 5 30 node --input-type=module -e '
      const { BENCH_PORT: port, BENCH_ADMIN_USER: username, BENCH_ADMIN_PASSWORD: password } = process.env;
      const res = await fetch(`http://127.0.0.1:${port}/internal-api/v1/auth/login`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ username, password }), signal: AbortSignal.timeout(20000) });
      const text = await res.text();
      if (res.status !== 200) { console.error(`HTTP ${res.status}: ${text.slice(0, 200)}`); process.exit(1); }
      const token = JSON.parse(text).accessToken;
      if (typeof token !== "string" || token === "") { console.error("no accessToken in the answer (cookie transport mode?)"); process.exit(1); }
      process.stdout.write(token);' 2>&1) || rc=$?
  if ((rc != 0)); then
    LOGIN_ERROR="admin login failed (rc $rc): $(echo "$out" | tail -n 2 | tr '\n' ' ')"
    return 1
  fi
  ACCESS_TOKEN=$out
}

run_wrk() { # script duration outfile
  local secs
  secs=$(seconds_of "$2")
  BENCH_WRK_DIR="$BENCH/wrk" BENCH_API_KEY="$API_KEY" BENCH_ROOMS_FILE="$FIX_ROOMS_FILE" \
    BENCH_WRK_THREADS="$WRK_THREADS" BENCH_ACCESS_TOKEN="$ACCESS_TOKEN" \
    BENCH_ADMIN_USER="$ADMIN_USER" BENCH_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    timeout -k 5 $((secs + 60)) wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$2" --latency \
    --timeout "$WRK_TIMEOUT" -s "$BENCH/wrk/$1" "http://127.0.0.1:$PORT" >"$3" 2>&1
}

scenario_record() { # name script status error wrk_json rss_before peak hwm
  printf '{"type":"scenario","name":%s,"script":%s,"fixture":%d,"rooms":%d,"flags":%s,"targets":%s,"status":%s,"error":%s,"wrk":%s,"rss_before_kib":%s,"peak_rss_kib":%s,"hwm_kib":%s}\n' \
    "$(jstr "$1")" "$(jstr "$2")" "$FIX_N" "$FIX_ROOMS" "$(jstr "$SC_FLAGS")" "$(jstr "$SC_TARGETS")" \
    "$(jstr "$3")" "$([[ -n $4 ]] && jstr "$4" || echo null)" "${5:-null}" "${6:-null}" "${7:-null}" \
    "${8:-null}" >>"$RECORDS"
}

run_scenario() { # name script
  local name=$1 script=$2 out="$LOGS/wrk-$1.txt" rc=0 peak_file="$FIX_DIR/peak-$1"
  FIX_SCENARIOS+=("$name")
  if ((!FIX_OK)); then
    scenario_record "$name" "$script" skipped "$FIX_ERROR"
    return 0
  fi
  ACCESS_TOKEN=""
  if [[ ",$SC_FLAGS," == *,admin,* ]]; then
    if ! admin_login; then
      scenario_record "$name" "$script" failed "$LOGIN_ERROR"
      echo "bench: $name: $LOGIN_ERROR" >&2
      return 0
    fi
    echo "bench: $name: logged in as '$ADMIN_USER' (access token for the script)" >&2
  fi
  # The RSS sampler covers the warm-up too: memory grown there is part of the scenario's peak.
  local before
  before=$(status_kib "$SERVER_PID" VmRSS)
  echo "$before" >"$peak_file"
  rss_sampler "$SERVER_PID" "$peak_file" &
  SAMPLER_PID=$!
  if ((WARMUP_S > 0)); then
    echo "bench: $name: warm-up $WARMUP ..." >&2
    run_wrk "$script" "$WARMUP" "$LOGS/wrk-$name-warmup.txt" || true
  fi
  if ! alive "$SERVER_PID"; then
    kill "$SAMPLER_PID" 2>/dev/null || true
    wait "$SAMPLER_PID" 2>/dev/null || true
    SAMPLER_PID=""
    server_died "$name" "$script" "during warm-up"
    return 0
  fi
  echo "bench: $name: wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION ..." >&2
  run_wrk "$script" "$DURATION" "$out" || rc=$?
  local now hwm peak
  now=$(status_kib "$SERVER_PID" VmRSS)
  hwm=$(status_kib "$SERVER_PID" VmHWM)
  kill "$SAMPLER_PID" 2>/dev/null || true
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=""
  peak=$(cat "$peak_file")
  if ((now > peak)); then peak=$now; fi
  if ! alive "$SERVER_PID"; then server_died "$name" "$script" "during the run"; return 0; fi
  local json
  json=$(sed -n 's/^WRK_JSON //p' "$out" | tail -n1)
  if [[ -z $json ]]; then
    scenario_record "$name" "$script" failed "wrk rc $rc: $(grep -v '^WRK_JSON' "$out" | tail -n 3 | tr '\n' ' ')" null "$before" "$peak" "$hwm"
    echo "bench: $name: wrk failed (rc $rc); see $out" >&2
    return 0
  fi
  scenario_record "$name" "$script" ok "" "$json" "$before" "$peak" "$hwm"
  echo "bench: $name: $(grep -E 'Requests/sec|Non-2xx|Socket errors' "$out" | tr -s ' ' | tr '\n' ';')" >&2
}

server_died() { # name script when
  stop_pid "$SERVER_PID" 1
  SERVER_PID=""
  local msg
  msg="Convene died $3 (exit $STOP_RC): $(grep -v '^$' "$FIX_LOG" | tail -n 3 | tr '\n' ' ')"
  echo "bench: $1: $msg" >&2
  scenario_record "$1" "$2" crashed "$msg"
  FIX_OK=0 FIX_ERROR="server died in $1"
}

# ---- Main --------------------------------------------------------------------------------------
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
RUN_T0=$(now_us)
if ((NEED_LIVEKIT)); then start_emulator; fi
CUR_KEY=""
NEED_FRESH=1
for line in "${SELECTED[@]}"; do
  read -r SC_NAME SC_SCRIPT SC_ROOMS SC_FLAGS SC_TARGETS <<<"$line"
  livekit=0
  if [[ ",$SC_FLAGS," == *,livekit,* ]]; then livekit=1; fi
  key="$SC_ROOMS/$livekit"
  if [[ $key != "$CUR_KEY" ]] || ((NEED_FRESH)) || ! alive "${SERVER_PID:-}"; then
    fixture_end
    fixture_begin "$SC_ROOMS" "$livekit"
    CUR_KEY=$key
  fi
  run_scenario "$SC_NAME" "$SC_SCRIPT"
  NEED_FRESH=0
  if [[ ",$SC_FLAGS," == *,mutates,* ]]; then NEED_FRESH=1; fi
done
fixture_end
if [[ -n $EMULATOR_PID ]]; then stop_pid "$EMULATOR_PID" 5; EMULATOR_PID=""; fi
RUN_S=$(( ($(now_us) - RUN_T0) / 1000000 ))

# ---- Report ------------------------------------------------------------------------------------
mkdir -p "$RESULTS_DIR"
cp -r "$LOGS" "$RESULTS_DIR/$STAMP-logs"
META="$TMP/meta.json"
printf '{"timestamp":%s,"git_commit":%s,"run_seconds":%d,"machine":{"nproc":%d,"kernel":%s,"loadavg_start":%s,"loadavg_end":%s},"config":{"duration":%s,"connections":%d,"wrk_threads":%d,"warmup":%s,"wrk_timeout":%s,"server_threads":%s,"log_level":%s,"data_root":%s,"data_root_fs":%s,"binary":%s,"wrk":%s,"node":%s,"logs":%s}}\n' \
  "$(jstr "$STAMP")" "$(jstr "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)")" "$RUN_S" \
  "$(nproc)" "$(jstr "$(uname -r)")" "$(jstr "$LOAD_START")" "$(jstr "$(cut -d' ' -f1-3 /proc/loadavg)")" \
  "$(jstr "$DURATION")" "$CONNECTIONS" "$WRK_THREADS" "$(jstr "$WARMUP")" "$(jstr "$WRK_TIMEOUT")" \
  "$(jstr "${SERVER_THREADS:-default}")" "$(jstr "$LOG_LEVEL")" "$(jstr "$BENCH_DATA_ROOT")" \
  "$(jstr "$(stat -f -c %T "$BENCH_DATA_ROOT" 2>/dev/null || echo unknown)")" "$(jstr "$BINARY")" \
  "$(jstr "$(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)")" "$(jstr "$(node --version)")" \
  "$(jstr "$RESULTS_DIR/$STAMP-logs")" >"$META"
node "$BENCH/report.mjs" --meta "$META" --records "$RECORDS" \
  --out "$RESULTS_DIR/$STAMP.json" --latest "$RESULTS_DIR/latest.json"
