//! Runs one hot path in a loop, for instruction counts under callgrind (deterministic, unlike
//! timings): `benches/instructions.sh` runs it at two loop lengths, and an empty loop at the
//! same two, and reports the difference per call, which cancels start-up and the loop's own cost.
//!
//! `cargo run --release --example hot_path_loop -- <path> <iterations>`; `list` prints the paths.
//! The fns are `benches/shared/hot_fns.rs`', the ones `benches/hot_paths.rs` times: bodies that
//! can fail at run time, in fns not inlined into the loop. `chaos` and `chaos-async` run a
//! `#[chaos]` site with no point configured; `chaos-armed` the same site while another point is
//! configured. `bulkhead` and `rate-limit` run the `#[bulkhead]` and `#[rate_limit]` fns that
//! `benches/limits.rs` times, beside `semaphore`, `governor` (std clock) and `governor-quanta`
//! wrapping the bare fn. The `-moved` async paths move each fresh future into place before
//! polling it (`hot_fns::poll_moved`), as a spawn or a `join!` does. With `--features metrics`,
//! the paths
//! `retry-metrics` and `breaker-metrics` run with a Prometheus recorder installed.

use std::cell::Cell;
use std::hint::black_box;
use std::task::Poll;

#[allow(dead_code)]
#[path = "../benches/shared/hot_fns.rs"]
mod hot_fns;

use hot_fns::{
    Failed, backon_async, backon_async_flaky_no_sleep, backon_blocking, backon_blocking_flaky,
    bare, bare_async, failsafe_call, failsafe_consecutive, flaky, flaky_async, guarded, poll_moved,
    poll_once, recloser_call, retried, retried_async, retried_flaky, retried_flaky_async,
    tokio_retry2_async,
};

/// The deadline the `-deadline` paths run under: far enough never to be reached.
const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);

/// The loop every path runs: one call per iteration on a `black_box`ed counter. Not inlined and
/// generic, so each path gets a loop of its own.
#[inline(never)]
fn run(iterations: u64, mut call: impl FnMut(u64) -> u64) -> u64 {
    let mut sink = 0u64;
    for i in 0..iterations {
        sink = sink.wrapping_add(call(black_box(i)));
    }
    sink
}

fn value<E>(result: Result<u64, E>) -> u64 {
    result.unwrap_or(0)
}

fn ready(poll: Poll<Result<u64, Failed>>) -> u64 {
    match poll {
        Poll::Ready(Ok(x)) => x,
        Poll::Ready(Err(_)) | Poll::Pending => 0,
    }
}

fn ready_api(poll: Poll<Result<u64, hot_fns::ApiError>>) -> u64 {
    match poll {
        Poll::Ready(Ok(x)) => x,
        Poll::Ready(Err(_)) | Poll::Pending => 0,
    }
}

/// The success body of `hot_fns`, for the fns defined here.
#[inline(always)]
fn body(x: u64) -> Result<u64, Failed> {
    let x = black_box(x);
    if x == hot_fns::FAILING_INPUT {
        Err(Failed)
    } else {
        Ok(x)
    }
}

/// The floor of a limiter that reads the time: the bare fn after one clock read.
#[inline(never)]
fn bare_after_clock_read(x: u64) -> Result<u64, Failed> {
    black_box(std::time::Instant::now());
    body(x)
}

impl From<retry_runtime::Throttled> for Failed {
    fn from(_: retry_runtime::Throttled) -> Self {
        Failed
    }
}

impl From<retry_runtime::BulkheadFull> for Failed {
    fn from(_: retry_runtime::BulkheadFull) -> Self {
        Failed
    }
}

impl From<retry_runtime::RateLimited> for Failed {
    fn from(_: retry_runtime::RateLimited) -> Self {
        Failed
    }
}

/// The body in a bulkhead that never fills (`benches/limits.rs` times the same fn).
#[retry_runtime::bulkhead(name = "bench", max_concurrent = 1_000_000)]
#[inline(never)]
fn in_a_slot(x: u64) -> Result<u64, Failed> {
    body(x)
}

/// The body behind a rate limiter that never runs out (`benches/limits.rs` times the same fn).
#[retry_runtime::rate_limit(name = "bench", per_second = 1_000_000_000, burst = 1_000_000_000)]
#[inline(never)]
fn rate_limited(x: u64) -> Result<u64, Failed> {
    body(x)
}

/// tokio's semaphore as a bulkhead, at the call site (as `benches/limits.rs`).
#[inline(always)]
fn semaphore_call(semaphore: &tokio::sync::Semaphore, x: u64) -> Result<u64, Failed> {
    let _permit = semaphore.try_acquire().map_err(|_| Failed)?;
    bare(x)
}

/// governor's direct rate limiter on the clock `C`, at the call site (as `benches/limits.rs`).
#[inline(always)]
fn governor_call<C: governor::clock::Clock>(
    limiter: &governor::RateLimiter<
        governor::state::NotKeyed,
        governor::state::InMemoryState,
        C,
        governor::middleware::NoOpMiddleware<C::Instant>,
    >,
    x: u64,
) -> Result<u64, Failed> {
    limiter.check().map_err(|_| Failed)?;
    bare(x)
}

/// governor's quota in `benches/limits.rs`: a billion a second, bursts as large.
fn governor_quota() -> governor::Quota {
    let rate = std::num::NonZeroU32::new(1_000_000_000).expect("not zero");
    governor::Quota::per_second(rate).allow_burst(rate)
}

/// The body behind a throttle that never rejects (every call is accepted).
#[retry_runtime::throttle(name = "bench")]
#[inline(never)]
fn throttled(x: u64) -> Result<u64, Failed> {
    body(x)
}

const PATHS: &[&str] = &[
    "empty",
    "bare",
    "retry",
    "backon-blocking",
    "bare-async",
    "retry-async",
    "bare-async-moved",
    "retry-async-moved",
    "backon-async-moved",
    "tokio-retry2-async-moved",
    "backon-async",
    "tokio-retry2-async",
    "breaker",
    "recloser",
    "failsafe",
    "flaky-twice",
    "retry-once",
    "retry-deadline",
    "retry-once-deadline",
    "backon-blocking-once",
    "flaky-async-twice",
    "retry-async-once",
    "backon-async-once",
    "chaos",
    "chaos-async",
    "chaos-armed",
    "bare-after-clock",
    "throttle",
    "adaptive-limit",
    "adaptive-admission",
    "adaptive-dropped",
    "bare-two-clock-reads",
    "bare-enum",
    "retry-enum",
    "backon-blocking-enum",
    "bare-async-enum",
    "retry-async-enum",
    "backon-async-enum",
    "bare-async-enum-moved",
    "retry-async-enum-moved",
    "backon-async-enum-moved",
    "flaky-twice-enum",
    "retry-once-enum",
    "backon-blocking-once-enum",
    "flaky-async-twice-enum",
    "retry-async-once-enum",
    "backon-async-once-enum",
    "bulkhead",
    "semaphore",
    "rate-limit",
    "governor",
    "governor-quanta",
    #[cfg(feature = "metrics")]
    "retry-metrics",
    #[cfg(feature = "metrics")]
    "breaker-metrics",
];

/// An adaptive limit that never runs out.
fn adaptive_config() -> retry_runtime::AdaptiveLimitConfig {
    retry_runtime::AdaptiveLimitConfig::builder()
        .initial_limit(1_000_000)
        .max_limit(1_000_000)
        .build()
        .expect("valid limits")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "bare".to_owned());
    let iterations: u64 = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let calls = Cell::new(0);
    let calls = &calls;
    // The first call registers the breaker, outside the counted difference.
    let _ = guarded(0);
    let _ = throttled(0);
    let recloser = recloser::Recloser::default();
    let failsafe = failsafe_consecutive();
    let sink = match path.as_str() {
        "list" => {
            println!("{}", PATHS.join(" "));
            return;
        }
        "empty" => run(iterations, |i| i),
        "bare" => run(iterations, |i| value(bare(i))),
        "retry" => run(iterations, |i| value(retried(i))),
        "backon-blocking" => run(iterations, |i| value(backon_blocking(i))),
        "bare-async" => run(iterations, |i| ready(poll_once(bare_async(i)))),
        "retry-async" => run(iterations, |i| ready(poll_once(retried_async(i)))),
        "bare-async-moved" => run(iterations, |i| ready(poll_moved(bare_async(i)))),
        "retry-async-moved" => run(iterations, |i| ready(poll_moved(retried_async(i)))),
        "backon-async-moved" => run(iterations, |i| ready(poll_moved(backon_async(i)))),
        "tokio-retry2-async-moved" => run(iterations, |i| ready(poll_moved(tokio_retry2_async(i)))),
        "backon-async" => run(iterations, |i| ready(poll_once(backon_async(i)))),
        "tokio-retry2-async" => run(iterations, |i| ready(poll_once(tokio_retry2_async(i)))),
        "breaker" => run(iterations, |i| value(guarded(i))),
        "recloser" => run(iterations, |i| value(recloser_call(&recloser, i))),
        "failsafe" => run(iterations, |i| value(failsafe_call(&failsafe, i))),
        "flaky-twice" => run(iterations, |_| {
            let _ = flaky(black_box(calls));
            value(flaky(black_box(calls)))
        }),
        "retry-once" => run(iterations, |_| value(retried_flaky(black_box(calls)))),
        // The same loops run under a deadline in force (set once, an hour away): what a call
        // pays when a deadline is there to read.
        "retry-deadline" => retry_runtime::context::with_deadline_sync(HOUR, || {
            run(iterations, |i| value(retried(i)))
        }),
        "retry-once-deadline" => retry_runtime::context::with_deadline_sync(HOUR, || {
            run(iterations, |_| value(retried_flaky(black_box(calls))))
        }),
        "backon-blocking-once" => run(iterations, |_| {
            value(backon_blocking_flaky(black_box(calls)))
        }),
        "flaky-async-twice" => run(iterations, |_| {
            let _ = poll_once(flaky_async(black_box(calls)));
            ready(poll_once(flaky_async(black_box(calls))))
        }),
        "retry-async-once" => run(iterations, |_| {
            ready(poll_once(retried_flaky_async(black_box(calls))))
        }),
        "backon-async-once" => run(iterations, |_| {
            ready(poll_once(backon_async_flaky_no_sleep(black_box(calls))))
        }),
        "chaos" => run(iterations, |i| value(hot_fns::chaotic(i))),
        "chaos-async" => run(iterations, |i| ready(poll_once(hot_fns::chaotic_async(i)))),
        "chaos-armed" => {
            // Another point configured: the site looks its own (unconfigured) point up.
            let nothing = retry_runtime::ChaosConfig::builder().build().unwrap();
            retry_runtime::chaos("elsewhere")
                .unwrap()
                .configure(nothing);
            let _ = hot_fns::chaotic(0);
            run(iterations, |i| value(hot_fns::chaotic(i)))
        }
        "bare-after-clock" => run(iterations, |i| value(bare_after_clock_read(i))),
        // The same paths with the error type users write (`ApiError`, `on = [Timeout, Io]`).
        "bare-enum" => run(iterations, |i| value(hot_fns::bare_api(i))),
        "retry-enum" => run(iterations, |i| value(hot_fns::retried_api(i))),
        "backon-blocking-enum" => run(iterations, |i| value(hot_fns::backon_blocking_api(i))),
        "bare-async-enum" => run(iterations, |i| {
            ready_api(poll_once(hot_fns::bare_api_async(i)))
        }),
        "retry-async-enum" => run(iterations, |i| {
            ready_api(poll_once(hot_fns::retried_api_async(i)))
        }),
        "backon-async-enum" => run(iterations, |i| {
            ready_api(poll_once(hot_fns::backon_api_async(i)))
        }),
        "bare-async-enum-moved" => run(iterations, |i| {
            ready_api(poll_moved(hot_fns::bare_api_async(i)))
        }),
        "retry-async-enum-moved" => run(iterations, |i| {
            ready_api(poll_moved(hot_fns::retried_api_async(i)))
        }),
        "backon-async-enum-moved" => run(iterations, |i| {
            ready_api(poll_moved(hot_fns::backon_api_async(i)))
        }),
        "flaky-twice-enum" => run(iterations, |_| {
            let _ = hot_fns::flaky_api(black_box(calls));
            value(hot_fns::flaky_api(black_box(calls)))
        }),
        "retry-once-enum" => run(iterations, |_| {
            value(hot_fns::retried_flaky_api(black_box(calls)))
        }),
        "backon-blocking-once-enum" => run(iterations, |_| {
            value(hot_fns::backon_blocking_flaky_api(black_box(calls)))
        }),
        "flaky-async-twice-enum" => run(iterations, |_| {
            let _ = poll_once(hot_fns::flaky_api_async(black_box(calls)));
            ready_api(poll_once(hot_fns::flaky_api_async(black_box(calls))))
        }),
        "retry-async-once-enum" => run(iterations, |_| {
            ready_api(poll_once(hot_fns::retried_flaky_api_async(black_box(
                calls,
            ))))
        }),
        "backon-async-once-enum" => run(iterations, |_| {
            ready_api(poll_once(hot_fns::backon_api_async_flaky_no_sleep(
                black_box(calls),
            )))
        }),
        "throttle" => run(iterations, |i| value(throttled(i))),
        #[cfg(feature = "metrics")]
        "retry-metrics" => {
            hot_fns::install_prometheus_recorder();
            run(iterations, |i| value(hot_fns::retried_metrics(i)))
        }
        #[cfg(feature = "metrics")]
        "breaker-metrics" => {
            hot_fns::install_prometheus_recorder();
            run(iterations, |i| value(hot_fns::guarded_metrics(i)))
        }
        "adaptive-limit" => run(iterations, |i| value(hot_fns::adaptive_limited(i))),
        "adaptive-admission" => {
            // The limiter's admission, release and sample on a fixed instant: no clock read.
            let limiter = retry_runtime::AdaptiveLimiter::new("admission", adaptive_config());
            let now = std::time::Instant::now();
            run(iterations, |i| {
                match limiter.try_acquire_at(black_box(now)) {
                    Ok(permit) => {
                        let result = value(bare(i));
                        permit.record_at(black_box(now));
                        result
                    }
                    Err(_) => 0,
                }
            })
        }
        "adaptive-dropped" => {
            // Admission and release alone: the permit dropped, without a sample.
            let limiter = retry_runtime::AdaptiveLimiter::new("dropped", adaptive_config());
            let now = std::time::Instant::now();
            run(iterations, |i| {
                match limiter.try_acquire_at(black_box(now)) {
                    Ok(permit) => {
                        let result = value(bare(i));
                        drop(permit);
                        result
                    }
                    Err(_) => 0,
                }
            })
        }
        "bare-two-clock-reads" => run(iterations, |i| {
            black_box(std::time::Instant::now());
            let result = value(bare(i));
            black_box(std::time::Instant::now());
            result
        }),
        "bulkhead" => {
            let _ = in_a_slot(0);
            run(iterations, |i| value(in_a_slot(i)))
        }
        "semaphore" => {
            let semaphore = tokio::sync::Semaphore::new(1_000_000);
            run(iterations, |i| value(semaphore_call(&semaphore, i)))
        }
        "rate-limit" => {
            let _ = rate_limited(0);
            run(iterations, |i| value(rate_limited(i)))
        }
        "governor" => {
            let limiter = governor::RateLimiter::direct_with_clock(
                governor_quota(),
                governor::clock::MonotonicClock,
            );
            run(iterations, |i| value(governor_call(&limiter, i)))
        }
        "governor-quanta" => {
            let limiter = governor::RateLimiter::direct_with_clock(
                governor_quota(),
                governor::clock::QuantaClock::default(),
            );
            run(iterations, |i| value(governor_call(&limiter, i)))
        }
        other => panic!("unknown path {other}; one of: {}", PATHS.join(" ")),
    };
    assert!(
        calls.get().is_multiple_of(2),
        "the flaky body lost its rhythm"
    );
    println!("{path}: {iterations} iterations, sink {sink}");
}
