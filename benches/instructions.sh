#!/usr/bin/env bash
# Instructions per call on each hot path, counted with callgrind (deterministic, so it can be
# compared across runs and machines of one architecture). `examples/hot_path_loop.rs` runs each
# path's loop N and 2N times, and an empty loop the same; a path's figure is
#   ((count(path, 2N) - count(path, N)) - (count(empty, 2N) - count(empty, N))) / N,
# which cancels start-up and the loop's own cost and leaves one call. The fns are those
# `benches/hot_paths.rs` times (`benches/shared/hot_fns.rs`): bodies that can fail at run time,
# in fns not inlined into the loop; the peers wrap the same bodies.
#
#   benches/instructions.sh             # all paths (about a minute)
#   benches/instructions.sh --metrics   # built with feature `metrics`: every path runs with the
#                                       # feature on, plus two paths with a Prometheus recorder
#   N=200000 benches/instructions.sh    # another loop length (default 100000)
#
# Targets (docs: product spec section 6): `#[retry]` adds at most 5 instructions to a sync
# success, at most 10 to an async success polled once; `#[circuit_breaker]` at most 20;
# `#[throttle]` (which reads the clock on each call) at most 30 (spec section 12), shown beside
# a bare fn after one clock read, its floor.
set -euo pipefail
cd "$(dirname "$0")/.."

features=()
if [ "${1:-}" = --metrics ]; then
  features=(--features metrics)
fi
command -v valgrind >/dev/null || { echo "instructions.sh needs valgrind" >&2; exit 1; }
cargo build --quiet --release --example hot_path_loop "${features[@]}"
binary=target/release/examples/hot_path_loop
n=${N:-100000}

count() { # $1: path, $2: iterations; prints the instructions of the whole run
  local collected
  collected=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$binary" "$1" "$2" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
  [ -n "$collected" ] || { echo "callgrind gave no count for $1" >&2; exit 1; }
  echo "$collected"
}

loop_cost() { # $1: path; prints the instructions of N iterations
  local one two
  one=$(count "$1" "$n")
  two=$(count "$1" $((2 * n)))
  echo $((two - one))
}

empty=$(loop_cost empty)
declare -A per_call
measure() { # $1: path
  [ -n "${per_call[$1]:-}" ] && return
  per_call[$1]=$(awk -v path="$(loop_cost "$1")" -v empty="$empty" -v n="$n" \
    'BEGIN { printf "%.1f", (path - empty) / n }')
}

baseline=
row() { # $1: path, $2: label, $3: target (may be empty); the first row of a section is its baseline
  measure "$1"
  local delta=
  if [ -z "$baseline" ]; then
    baseline=${per_call[$1]}
    delta=baseline
  else
    delta=$(awk -v a="${per_call[$1]}" -v b="$baseline" 'BEGIN { printf "%+.1f", a - b }')
  fi
  printf '| %-46s | %8s | %9s | %-7s |\n' "$2" "${per_call[$1]}" "$delta" "$3"
}
section() { # $1: title
  baseline=
  printf '| %-46s | %8s | %9s | %-7s |\n' "**$1**" "" "" ""
}

echo "Instructions per call (callgrind, N = $n and 2N, minus an empty loop${features[*]:+, ${features[*]}})"
echo
printf '| %-46s | %8s | %9s | %-7s |\n' path instr. "vs first" target
printf '| %-46s | %8s | %9s | %-7s |\n' --- ---: ---: ---
section "sync success"
row bare "bare fn" ""
row retry "#[retry]" "<= +5"
row backon-blocking "backon blocking" ""
row retry-deadline "#[retry] under a deadline" ""
section "async success, polled once"
row bare-async "bare async fn" ""
row retry-async "#[retry]" "<= +10"
row backon-async "backon" ""
row tokio-retry2-async "tokio-retry2" ""
section "async success, moved into place, polled once"
row bare-async-moved "bare async fn" ""
row retry-async-moved "#[retry]" ""
row backon-async-moved "backon" ""
row tokio-retry2-async-moved "tokio-retry2" ""
section "enum error (on = [Timeout, Io]), sync success"
row bare-enum "bare fn" ""
row retry-enum "#[retry(on = [Timeout, Io])]" "<= +5"
row backon-blocking-enum "backon blocking (when)" ""
section "enum error, async success, polled once"
row bare-async-enum "bare async fn" ""
row retry-async-enum "#[retry(on = [Timeout, Io])]" "<= +10"
row backon-async-enum "backon (when)" ""
section "enum error, async success, moved into place, polled once"
row bare-async-enum-moved "bare async fn" ""
row retry-async-enum-moved "#[retry(on = [Timeout, Io])]" ""
row backon-async-enum-moved "backon (when)" ""
section "breaker closed, success, 1 thread"
row bare "bare fn" ""
row breaker "#[circuit_breaker]" "<= +20"
row recloser "recloser" ""
row failsafe "failsafe (consecutive failures)" ""
section "adaptive limit, sync success (limit never reached)"
row bare "bare fn" ""
row adaptive-dropped "admission + release (permit dropped, no sample)" "<= +30"
row adaptive-admission "admission + release + sample, no clock read" ""
row bare-two-clock-reads "bare fn between two Instant::now()" ""
row adaptive-limit "#[adaptive_limit] (two clock reads)" ""
section "sync, one failure then success, zero delay"
row flaky-twice "bare fn called twice" ""
row retry-once "#[retry]" ""
row retry-once-deadline "#[retry] under a deadline" ""
row backon-blocking-once "backon blocking" ""
section "async, same, polled once"
row flaky-async-twice "bare async fn polled twice" ""
row retry-async-once "#[retry]" ""
row backon-async-once "backon, no-op sleeper" ""
section "enum error, sync, one failure then success"
row flaky-twice-enum "bare fn called twice" ""
row retry-once-enum "#[retry(on = [Timeout, Io])]" ""
row backon-blocking-once-enum "backon blocking (when)" ""
section "enum error, async, same, polled once"
row flaky-async-twice-enum "bare async fn polled twice" ""
row retry-async-once-enum "#[retry(on = [Timeout, Io])]" ""
row backon-async-once-enum "backon, no-op sleeper (when)" ""
section "chaos, success, nothing injected"
row bare "bare fn" ""
row chaos "#[chaos], no point configured" "one load"
row chaos-armed "#[chaos], another point configured" ""
section "chaos, async success, polled once"
row bare-async "bare async fn" ""
row chaos-async "#[chaos], no point configured" "one load"
section "throttle admission, success, 1 thread"
row bare "bare fn" ""
row bare-after-clock "bare fn after Instant::now()" ""
row throttle "#[throttle]" ""
section "bulkhead acquire + release, 1 thread"
row bare "bare fn" ""
row bulkhead "#[bulkhead]" "<= +20"
row semaphore "tokio Semaphore::try_acquire" ""
section "rate limiter admission, 1 thread"
row bare "bare fn" ""
row bare-after-clock "bare fn after Instant::now()" ""
row rate-limit "#[rate_limit]" ""
row governor "governor check() (std clock)" ""
row governor-quanta "governor check() (quanta clock)" ""
if [ ${#features[@]} -gt 0 ]; then
  section "success, Prometheus recorder installed"
  row bare "bare fn" ""
  row retry-metrics "#[retry]" ""
  row breaker-metrics "#[circuit_breaker]" ""
fi
