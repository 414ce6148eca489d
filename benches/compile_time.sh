#!/usr/bin/env bash
# Compile-time cost of the attributes: `cargo check` of a generated crate with 100 `#[retry]`
# and 100 `#[circuit_breaker]` fns, against the same crate without the attributes (dependencies
# already built, so only the crate itself is measured), and the clean build of retry-runtime's
# own dependency tree. Output: seconds, best of 3.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work="$root/target/compile-time"
rm -rf "$work" && mkdir -p "$work"

generate() { # $1: directory, $2: with attributes (1) or not (0)
  mkdir -p "$1/src"
  cat > "$1/Cargo.toml" <<TOML
[package]
name = "generated"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
retry-runtime = { path = "$root/retry-runtime" }

[workspace]
TOML
  {
    echo '#![allow(dead_code)]'
    echo 'use retry_runtime::{CircuitOpen, circuit_breaker, retry};'
    echo '#[derive(Debug)] pub enum E { Timeout, Rejected }'
    echo 'impl From<CircuitOpen> for E { fn from(_: CircuitOpen) -> Self { E::Rejected } }'
    echo 'impl From<retry_runtime::AttemptTimeout> for E { fn from(_: retry_runtime::AttemptTimeout) -> Self { E::Timeout } }'
    for i in $(seq 1 100); do
      [ "$2" = 1 ] && echo "#[retry(max_attempts = 3, delay = \"10ms\", on = [Timeout])]"
      echo "pub async fn fetch_$i(key: &str) -> Result<usize, E> { if key.is_empty() { return Err(E::Timeout); } Ok(key.len() + $i) }"
      [ "$2" = 1 ] && echo "#[circuit_breaker(name = \"db_$((i % 10))\", failure_threshold = 5)]"
      echo "pub fn query_$i(sql: &str) -> Result<usize, E> { Ok(sql.len() + $i) }"
    done
  } > "$1/src/lib.rs"
}

best_of_3() { # $1: directory
  (cd "$1" && CARGO_TARGET_DIR="$work/target" cargo check -q 2>/dev/null)
  local best=999999
  for _ in 1 2 3; do
    touch "$1/src/lib.rs"
    local start end
    start=$(date +%s.%N)
    (cd "$1" && CARGO_TARGET_DIR="$work/target" cargo check -q)
    end=$(date +%s.%N)
    best=$(echo "$best $start $end" | awk '{ t = $3 - $2; print (t < $1 ? t : $1) }')
  done
  echo "$best"
}

generate "$work/plain" 0
generate "$work/attributed" 1
plain=$(best_of_3 "$work/plain")
attributed=$(best_of_3 "$work/attributed")
start=$(date +%s.%N)
CARGO_TARGET_DIR="$work/clean" cargo build -q -p retry-runtime
end=$(date +%s.%N)
echo "cargo check, 200 fns without attributes: ${plain}s"
echo "cargo check, 100 #[retry] + 100 #[circuit_breaker]: ${attributed}s"
echo "clean debug build of retry-runtime and its dependencies: $(echo "$start $end" | awk '{ print $2 - $1 }')s"
