#!/usr/bin/env bash
# Starts (or stops) a throw-away redis-server and PostgreSQL cluster on 127.0.0.1 for the tests,
# from the Debian packages, with every file under <state-dir>.
#
#   scripts/test-services.sh start <state-dir>   prints the environment the tests read:
#       CONVENE_TEST_REDIS_PORT, CONVENE_TEST_REDIS_PASSWORD, CONVENE_TEST_PG_URL
#   scripts/test-services.sh stop <state-dir>    stops both and removes <state-dir>
#   scripts/test-services.sh redis-stop|redis-start|pg-stop|pg-start <state-dir>
#       stops (SIGKILL / immediate shutdown, like a crash) or starts one of them again on the same
#       port and data, for fault tests
# REDIS_APPENDONLY=yes makes Redis persist every write (appendfsync always) so that a restart loses
# nothing it acknowledged, as a production Redis for Convene is configured.
#
# Usage from make:  eval "$(scripts/test-services.sh start build/test-services)"
set -euo pipefail

action=${1:?usage: test-services.sh start|stop <state-dir>}
state=${2:?usage: test-services.sh start|stop <state-dir>}
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
REDIS_PASSWORD=convene-test-redis
PG_PASSWORD=convene-test-pg

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# PostgreSQL refuses to run as root; the Debian package's `postgres` user runs it then.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
  redis_stop
  if [ -f "$state/pg/PG_VERSION" ]; then pg_stop; fi
  rm -rf "$state"
}

redis_start() {
  local appendonly=(--appendonly no)
  if [ "${REDIS_APPENDONLY:-no}" = yes ]; then appendonly=(--appendonly yes --appendfsync always); fi
  local port
  port=$(cat "$state/redis-port")
  redis-server --bind 127.0.0.1 --port "$port" --dir "$state" --save '' "${appendonly[@]}" \
    --requirepass "$REDIS_PASSWORD" --daemonize yes --pidfile "$state/redis.pid" \
    --logfile "$state/redis.log" >/dev/null
  for _ in $(seq 100); do
    redis-cli -p "$port" -a "$REDIS_PASSWORD" --no-auth-warning ping 2>/dev/null | grep -q PONG && return
    sleep 0.05
  done
}

redis_stop() {
  if [ -f "$state/redis.pid" ]; then
    local pid
    pid=$(cat "$state/redis.pid")
    kill -9 "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.02; done
    rm -f "$state/redis.pid"
  fi
}

pg_start() {
  local port
  port=$(cat "$state/pg-port")
  as_pg "$PG_BIN/pg_ctl" -D "$state/pg" -w -l "$state/pg/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $state/pg-socket -c fsync=off -c max_connections=200" \
    start >/dev/null
}

pg_stop() {
  as_pg "$PG_BIN/pg_ctl" -D "$state/pg" -m immediate -w stop >/dev/null 2>&1 || true
}

start() {
  stop
  mkdir -p "$state"
  state=$(cd "$state" && pwd)

  local redis_port pg_port
  redis_port=$(free_port)
  echo "$redis_port" >"$state/redis-port"
  redis_start

  pg_port=$(free_port)
  echo "$pg_port" >"$state/pg-port"
  mkdir -p "$state/pg" "$state/pg-socket"
  echo "$PG_PASSWORD" >"$state/pg-password"
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres "$state/pg" "$state/pg-socket" "$state/pg-password"
    if ! as_pg test -r "$state/pg-password"; then
      echo "test-services.sh: the postgres user cannot reach $state (a parent directory lacks o+x)" >&2
      exit 1
    fi
  fi
  as_pg "$PG_BIN/initdb" -D "$state/pg" -U convene --pwfile="$state/pg-password" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$state/initdb.log" 2>&1
  pg_start
  as_pg "$PG_BIN/createdb" -h "$state/pg-socket" -p "$pg_port" -U convene convene </dev/null

  echo "export CONVENE_TEST_REDIS_PORT=$redis_port"
  echo "export CONVENE_TEST_REDIS_PASSWORD=$REDIS_PASSWORD"
  echo "export CONVENE_TEST_PG_URL=postgresql://convene:$PG_PASSWORD@127.0.0.1:$pg_port/convene"
}

case "$action" in
  start) start ;;
  stop) stop ;;
  redis-stop) redis_stop ;;
  redis-start) redis_start ;;
  pg-stop) pg_stop ;;
  pg-start) pg_start ;;
  *) echo "unknown action: $action" >&2; exit 2 ;;
esac
