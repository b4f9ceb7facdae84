#!/usr/bin/env bash
# Runs every cargo-fuzz target for a given number of runs (default 1,000,000 each) and
# prints one line per target with its run count and result. Seeds each target's corpus
# from the replay data and documented-example fixtures in the repo (seeds.sh).
#
#   bash fuzz/run.sh                 # 10^6 runs per target
#   bash fuzz/run.sh --runs 20000    # the short run CI does
#   bash fuzz/run.sh --runs 100000 feed x_search   # some targets only
#
# Needs cargo-fuzz (installed here if missing). Runs on Rust stable: without a
# sanitizer (--sanitizer none, which needs no -Z flags) libFuzzer's coverage
# instrumentation uses stable codegen flags only; arithmetic overflow still panics
# because cargo fuzz builds with debug assertions.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

runs=1000000
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done

if ! command -v c++ >/dev/null; then
  # libfuzzer-sys compiles libFuzzer itself.
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++
fi
if ! command -v cargo-fuzz >/dev/null; then
  echo "installing cargo-fuzz (once)..."
  cargo install --locked cargo-fuzz@0.13.2
fi
if [[ ${#targets[@]} -eq 0 ]]; then
  mapfile -t targets < <(cargo fuzz list)
fi

bash seeds.sh
for target in "${targets[@]}"; do
  cargo fuzz build --sanitizer none -O "$target"
done

failed=0
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "artifacts/$target"
  log="artifacts/$target/run.log"
  # -timeout: a single input taking over 10 s is a hang; -rss_limit_mb bounds memory.
  if cargo fuzz run --sanitizer none -O "$target" "corpus/$target" -- \
      -runs="$runs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 >"$log" 2>&1; then
    done_runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
    echo "ok      $target  runs=$done_runs"
  else
    failed=1
    echo "FAILED  $target  (see fuzz/$log; crash input in fuzz/artifacts/$target/)"
    grep -m3 -E "panicked|ERROR|SUMMARY" "$log" || tail -5 "$log"
  fi
done
exit $failed
