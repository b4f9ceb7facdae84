#!/usr/bin/env bash
# The main job end to end on a fresh machine: start the local stack (installing what is
# missing, and building the dashboard), build Earshot, run the pipeline on the bundled
# sample and print a summary, then serve the dashboard on it. EARSHOT_DEMO_SERVE=0 stops
# after the summary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
STATE="${EARSHOT_LOCAL_DIR:-$PWD/.local}"
bash deploy/local/up.sh
echo "[earshot demo] building earshot (the first build takes several minutes; cargo shows its progress)" >&2
cargo build --bin earshot --features demo
RUST_LOG="${RUST_LOG:-warn}" ./target/debug/earshot demo "$@"
if [[ ${EARSHOT_DEMO_SERVE:-1} == 0 ]]; then exit 0; fi

# A read token for this machine's demo, kept (owner-only) so the link stays the same.
token_file="$STATE/demo-read-token"
if [[ ! -s $token_file ]]; then
  (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$token_file")
fi
export EARSHOT_SERVE__READ_TOKEN="${EARSHOT_SERVE__READ_TOKEN:-$(cat "$token_file")}"
listen="${EARSHOT_SERVE__LISTEN:-127.0.0.1:8480}"
echo
echo "Dashboard: open http://$listen/#token=$EARSHOT_SERVE__READ_TOKEN"
echo "  (the read token is in $token_file; Ctrl-C stops the server)"
exec env RUST_LOG="${RUST_LOG:-info}" ./target/debug/earshot serve --listen "$listen"
