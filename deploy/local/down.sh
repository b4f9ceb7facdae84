#!/usr/bin/env bash
# Stops the local stack started by up.sh. Kafka keeps its data in .local/kafka (Tansu, if used, in memory);
# ClickHouse data stays in .local/clickhouse (delete the folder for a clean slate).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${EARSHOT_LOCAL_DIR:-$ROOT/.local}"
for name in kafka tansu clickhouse; do
  pidfile="$STATE/run/$name.pid"
  [[ -f $pidfile ]] || continue
  pid="$(cat "$pidfile")"
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    echo "[earshot down] stopped $name ($pid)" >&2
  fi
  rm -f "$pidfile"
done
