#!/usr/bin/env bash
# The real LiveKit server (livekit-server) for the tests: built from the Go module proxy with the Go
# toolchain at a pinned release, started on 127.0.0.1 with a generated configuration, stopped again.
#
#   scripts/livekit-server.sh install
#       builds build/livekit/<version>/livekit-server unless it is there (the module and build
#       caches live under build/livekit too, so a second run costs nothing) and prints its path
#   scripts/livekit-server.sh start <state-dir> [webhook-url...]
#       starts one single-node server (no Redis) whose webhooks go to every webhook-url, waits until
#       it answers, and prints the environment the tests read:
#         LIVEKIT_TEST_URL (ws://127.0.0.1:<port>), LIVEKIT_TEST_HTTP_URL, LIVEKIT_TEST_API_KEY,
#         LIVEKIT_TEST_API_SECRET, LIVEKIT_TEST_PID, LIVEKIT_TEST_VERSION
#   scripts/livekit-server.sh stop <state-dir>
#       stops it (SIGTERM, SIGKILL after 10 s) and removes <state-dir>
#   scripts/livekit-server.sh stop-all <root>
#       stops every server whose state directory is under <root> (what a crashed test left behind)
#
# Settings (environment): LIVEKIT_SERVER_VERSION (default below), LIVEKIT_PORT (HTTP/WebSocket port;
# default: a free one), LIVEKIT_API_KEY / LIVEKIT_API_SECRET (default: devkey and a random secret),
# LIVEKIT_EMPTY_TIMEOUT / LIVEKIT_DEPARTURE_TIMEOUT (seconds, default 10 / 3),
# LIVEKIT_LOG_LEVEL (default info). Everything listens on 127.0.0.1 only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# v1.13.5 is the newest release that builds from the module proxy: from v1.13.6 on, livekit-server's
# go.mod replaces pion's webrtc, ice and dtls with forks whose versions the proxy does not serve
# ("403 This module version is not available"), and `go install pkg@version` refuses a module with
# replace directives anyway. A newer pin has to pass `scripts/livekit-server.sh install` first.
VERSION="${LIVEKIT_SERVER_VERSION:-v1.13.5}"
MODULE=github.com/livekit/livekit-server
LK_DIR="$ROOT/build/livekit"
BINARY="$LK_DIR/$VERSION/livekit-server"

free_port() {
  # $1 = tcp or udp. The port was free a moment ago; the server binds it right after.
  python3 -c "import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1]=='udp' else socket.SOCK_STREAM); s.bind(('127.0.0.1',0)); print(s.getsockname()[1]); s.close()" "$1"
}

# Whether the server answers its health check (GET / => 200) on 127.0.0.1:$1.
answers() {
  python3 -c "import sys,urllib.request; urllib.request.urlopen('http://127.0.0.1:'+sys.argv[1]+'/', timeout=1)" "$1" \
    >/dev/null 2>&1
}

install() {
  if [ -x "$BINARY" ]; then
    echo "$BINARY"
    return
  fi
  mkdir -p "$LK_DIR"
  # One build at a time: `make test` starts one in the background early and waits for it with a
  # second call, which finds the binary once the first is done.
  exec 9>"$LK_DIR/install.lock"
  flock 9
  if [ -x "$BINARY" ]; then
    echo "$BINARY"
    return
  fi
  if ! command -v go >/dev/null 2>&1; then
    echo "livekit-server.sh: the Go toolchain (go) is needed to build livekit-server $VERSION" >&2
    exit 1
  fi
  mkdir -p "$LK_DIR/$VERSION"
  # -modcacherw keeps the module cache deletable by `make clean`; GOTOOLCHAIN=local never fetches
  # another Go; -trimpath keeps build paths out of the binary.
  GOBIN="$LK_DIR/$VERSION" GOCACHE="$LK_DIR/gocache" GOMODCACHE="$LK_DIR/gomodcache" \
    GOFLAGS="-modcacherw -buildvcs=false -trimpath" GOTOOLCHAIN=local \
    go install "$MODULE/cmd/server@$VERSION" >&2
  mv "$LK_DIR/$VERSION/server" "$BINARY"
  echo "$BINARY"
}

stop() {
  local dir=$1
  if [ -f "$dir/pid" ]; then
    local pid
    pid=$(cat "$dir/pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 200); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
      done
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.02; done
    fi
  fi
  rm -rf "$dir"
}

start() {
  local dir=$1
  shift
  [ -x "$BINARY" ] || install >/dev/null
  stop "$dir"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)

  local port=${LIVEKIT_PORT:-$(free_port tcp)}
  local rtc_tcp rtc_udp stun
  rtc_tcp=$(free_port tcp)
  rtc_udp=$(free_port udp)
  # The clients would otherwise be told to ask Google's STUN servers for their public address; a
  # local UDP port nobody listens on keeps every packet on this machine (no server-reflexive
  # candidate is needed on loopback).
  stun=$(free_port udp)
  local key=${LIVEKIT_API_KEY:-devkey}
  local secret=${LIVEKIT_API_SECRET:-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')-livekit-test}

  {
    echo "port: $port"
    echo "bind_addresses: [127.0.0.1]"
    # JSON lines, so that tests can read what LiveKit did (e.g. each webhook's HTTP status).
    echo "logging: {level: ${LIVEKIT_LOG_LEVEL:-info}, json: true}"
    echo "keys:"
    echo "  $key: $secret"
    echo "rtc:"
    echo "  tcp_port: $rtc_tcp"
    echo "  udp_port: $rtc_udp"
    echo "  use_external_ip: false"
    echo "  node_ip: 127.0.0.1"
    echo "  enable_loopback_candidate: true"
    echo "  interfaces: {includes: [lo]}"
    echo "  stun_servers: [127.0.0.1:$stun]"
    echo "room:"
    echo "  auto_create: true"
    echo "  empty_timeout: ${LIVEKIT_EMPTY_TIMEOUT:-10}"
    echo "  departure_timeout: ${LIVEKIT_DEPARTURE_TIMEOUT:-3}"
    if (($#)); then
      echo "webhook:"
      echo "  api_key: $key"
      echo "  urls:"
      for url in "$@"; do echo "    - $url"; done
    fi
  } >"$dir/config.yaml"

  # Its own session, so that a signal to the test runner's process group does not reach it before
  # `stop` does, and stdin closed: it never reads a terminal.
  setsid "$BINARY" --config "$dir/config.yaml" </dev/null >"$dir/server.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$dir/pid"
  for _ in $(seq 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "livekit-server.sh: livekit-server exited at start-up:" >&2
      tail -n 30 "$dir/server.log" >&2
      exit 1
    fi
    if answers "$port"; then
      echo "export LIVEKIT_TEST_URL=ws://127.0.0.1:$port"
      echo "export LIVEKIT_TEST_HTTP_URL=http://127.0.0.1:$port"
      echo "export LIVEKIT_TEST_API_KEY=$key"
      echo "export LIVEKIT_TEST_API_SECRET=$secret"
      echo "export LIVEKIT_TEST_PID=$pid"
      echo "export LIVEKIT_TEST_VERSION=$VERSION"
      return
    fi
    sleep 0.1
  done
  echo "livekit-server.sh: livekit-server did not answer on 127.0.0.1:$port within 30 s:" >&2
  tail -n 30 "$dir/server.log" >&2
  stop "$dir"
  exit 1
}

action=${1:?usage: livekit-server.sh install | start <state-dir> [webhook-url...] | stop <state-dir> | stop-all <root>}
case "$action" in
  install) install ;;
  start) start "${2:?state directory}" "${@:3}" ;;
  stop) stop "${2:?state directory}" ;;
  stop-all)
    root=${2:?root directory}
    if [ -d "$root" ]; then
      for dir in "$root"/*/; do
        [ -d "$dir" ] && stop "${dir%/}"
      done
    fi
    ;;
  *) echo "unknown action: $action" >&2; exit 2 ;;
esac
