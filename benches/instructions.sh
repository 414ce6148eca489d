#!/usr/bin/env bash
# Instructions per call on each hot path, counted with callgrind (deterministic, so it can be
# compared across runs and machines of one architecture): the loop runs N and 2N times and the
# difference is divided by N, which cancels start-up and leaves the loop body.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example hot_path_loop >/dev/null 2>&1
binary=target/release/examples/hot_path_loop
n=${N:-100000}
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$binary" "$1" "$2" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
printf '%-12s %s\n' path instructions/call
for path in bare retry bare-async retry-async breaker retry-once; do
  one=$(count "$path" "$n")
  two=$(count "$path" $((2 * n)))
  printf '%-12s %s\n' "$path" "$(( (two - one) / n ))"
done
