#!/usr/bin/env bash
# The main job end to end on a fresh machine: start the local stack (installing what is
# missing), build Earshot, then run the pipeline on the bundled sample and print a summary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bash deploy/local/up.sh
echo "[earshot demo] building earshot (the first build takes several minutes)" >&2
cargo build --bin earshot
RUST_LOG="${RUST_LOG:-warn}" ./target/debug/earshot demo "$@"
