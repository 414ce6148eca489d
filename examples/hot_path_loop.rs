//! Runs one hot path in a loop, for instruction counts under callgrind (deterministic, unlike
//! timings): `benches/instructions.sh` runs it at two loop lengths and reports the difference
//! per call, which cancels start-up and the loop's own cost.
//!
//! `cargo run --release --example hot_path_loop -- <path> <iterations>`, where path is one of
//! `bare`, `retry`, `bare-async`, `retry-async`, `breaker`, `retry-once`.

use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Waker};

#[allow(dead_code)]
#[path = "../benches/shared/hot_fns.rs"]
mod hot_fns;

use hot_fns::{bare, bare_async, guarded, retried, retried_async, retried_flaky};

#[inline(never)]
fn poll_once<F: Future>(future: F) -> bool {
    let mut context = Context::from_waker(Waker::noop());
    pin!(future).poll(&mut context).is_ready()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "bare".to_owned());
    let iterations: u64 = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let calls = Cell::new(0);
    let mut sink = 0u64;
    // Warm-up outside the counted difference: registers the breaker, seeds nothing else.
    let _ = guarded(0);
    for i in 0..iterations {
        let i = black_box(i);
        sink = sink.wrapping_add(match path.as_str() {
            "bare" => bare(i).map_or(0, |x| x),
            "retry" => retried(i).map_or(0, |x| x),
            "bare-async" => u64::from(poll_once(bare_async(i))),
            "retry-async" => u64::from(poll_once(retried_async(i))),
            "breaker" => guarded(i).map_or(0, |x| x),
            "retry-once" => retried_flaky(&calls).map_or(0, |x| x),
            other => panic!("unknown path {other}"),
        });
    }
    println!("{path}: {iterations} iterations, sink {sink}");
}
