#!/usr/bin/env bash
# Builds the web dashboard that `earshot serve` ships (web/dist, from web/src with
# `npm ci && npm run build`), skipping the build when web/dist is newer than every
# source; and installs Debian's `chromium` (for the browser tests) when it is missing.
# Needs Node.js 20.19+ with npm. Safe to run again and from several processes at once.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${EARSHOT_LOCAL_DIR:-$ROOT/.local}"
WEB="$ROOT/web"
mkdir -p "$STATE/log"
exec 8>"$STATE/web.lock"
flock 8

log() { printf '[earshot web] %s\n' "$*" >&2; }

install_chromium() {
  if [[ -x /usr/bin/chromium ]]; then return; fi
  log "installing chromium from Debian (for the dashboard's browser tests)"
  local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium \
    >"$STATE/log/apt-chromium.log" 2>&1 || { tail -20 "$STATE/log/apt-chromium.log" >&2; exit 1; }
}

build_dashboard() {
  command -v npm >/dev/null || { log "npm is missing: install Node.js 20.19+ with npm"; exit 1; }
  local major; major="$(node -p 'process.versions.node.split(".")[0]')"
  (( major >= 20 )) || { log "Node.js $(node --version) is too old: the dashboard needs 20.19+"; exit 1; }
  local stamp="$WEB/dist/index.html"
  if [[ -f $stamp && -d $WEB/node_modules ]] && [[ -z "$(find "$WEB/src" "$WEB/index.html" "$WEB/package.json" \
      "$WEB/package-lock.json" "$WEB/vite.config.ts" "$WEB/tsconfig.json" -newer "$stamp" -print -quit)" ]]; then
    return
  fi
  log "building the dashboard (npm ci && npm run build in web/)"
  (cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error >"$STATE/log/web-build.log" 2>&1 \
    && npm run build >>"$STATE/log/web-build.log" 2>&1) \
    || { tail -30 "$STATE/log/web-build.log" >&2; exit 1; }
  log "dashboard built in web/dist"
}

build_dashboard
install_chromium
