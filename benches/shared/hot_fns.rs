//! The fns both `benches/hot_paths.rs` (timings) and `examples/hot_path_loop.rs` (instruction
//! counts) measure, so the two report on the same code.
//!
//! Every body can fail at run time: it compares its `black_box`ed input with [`FAILING_INPUT`]
//! (or, for the flaky bodies, reads a `black_box`ed call count), so the optimiser cannot prove
//! that it returns `Ok` and delete the retry loop or the breaker's failure accounting. A body
//! that always returns `Ok` lets it do exactly that, and then measures a bare call.
//!
//! Every fn that runs a body is `#[inline(never)]`, the bare baselines exactly like the
//! attributed fns, so each row pays one call into a fn the loop cannot see into, and the
//! difference between two rows is what the attribute or the peer adds. The peers wrap the bare
//! fns at the call site, the way their users write them (`(|| fetch(x)).retry(..).call()`,
//! `breaker.call(|| query(x))`); those wrappers are `#[inline(always)]`, so their code sits in
//! the measuring loop as it would at a user's call site.

use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use backon::{BlockingRetryable, ConstantBuilder, ExponentialBuilder, Retryable};
use retry_runtime::{CircuitOpen, InjectedFault, chaos, circuit_breaker, retry};

/// The error of every body.
#[derive(Debug)]
pub struct Failed;

impl From<CircuitOpen> for Failed {
    fn from(_: CircuitOpen) -> Self {
        Failed
    }
}

impl From<InjectedFault> for Failed {
    fn from(_: InjectedFault) -> Self {
        Failed
    }
}
impl From<retry_runtime::LimitExceeded> for Failed {
    fn from(_: retry_runtime::LimitExceeded) -> Self {
        Failed
    }
}

/// The input on which the success bodies fail; the measuring loops pass other values.
pub const FAILING_INPUT: u64 = u64::MAX;

/// The success body: fails on [`FAILING_INPUT`], which the optimiser cannot rule out.
#[inline(always)]
fn body(x: u64) -> Result<u64, Failed> {
    let x = black_box(x);
    if x == FAILING_INPUT {
        Err(Failed)
    } else {
        Ok(x)
    }
}

/// The flaky body: counts its calls and fails when the count before the call is even (the first
/// call, the third..), so a call site that calls it twice sees one failure, then a success.
#[inline(always)]
fn flaky_body(calls: &Cell<u64>) -> Result<u64, Failed> {
    let n = black_box(calls.get());
    calls.set(n + 1);
    if n.is_multiple_of(2) {
        Err(Failed)
    } else {
        Ok(n)
    }
}

// Sync success.

/// The baseline: the body, not inlined.
#[inline(never)]
pub fn bare(x: u64) -> Result<u64, Failed> {
    body(x)
}

/// The same body under `#[retry]` with the default policy.
#[retry]
#[inline(never)]
pub fn retried(x: u64) -> Result<u64, Failed> {
    body(x)
}

/// The same body under `#[chaos]`: inert unless a chaos point is configured.
#[chaos(name = "hot-chaos")]
#[inline(never)]
pub fn chaotic(x: u64) -> Result<u64, Failed> {
    body(x)
}

/// The same body under `#[chaos]`, async.
#[chaos(name = "hot-chaos")]
#[inline(never)]
#[allow(clippy::unused_async)]
pub async fn chaotic_async(x: u64) -> Result<u64, Failed> {
    body(x)
}

/// backon's blocking retry around [`bare`], with its default exponential builder.
#[inline(always)]
pub fn backon_blocking(x: u64) -> Result<u64, Failed> {
    (|| bare(x)).retry(ExponentialBuilder::default()).call()
}

// Async success.

/// The async baseline: the body, not inlined.
#[inline(never)]
#[allow(clippy::unused_async)]
pub async fn bare_async(x: u64) -> Result<u64, Failed> {
    body(x)
}

/// The same body under `#[retry]` with the default policy.
#[retry]
#[inline(never)]
#[allow(clippy::unused_async)]
pub async fn retried_async(x: u64) -> Result<u64, Failed> {
    body(x)
}

/// backon's async retry around [`bare_async`], default builder and sleeper (tokio's).
#[inline(always)]
pub fn backon_async(x: u64) -> impl Future<Output = Result<u64, Failed>> {
    (move || bare_async(x)).retry(ExponentialBuilder::default())
}

/// tokio-retry2 around [`bare_async`]: exponential from 100 ms, 3 attempts (as `#[retry]`'s
/// default). Its action returns `RetryError`, so the body's error is mapped at the call site.
#[inline(always)]
pub fn tokio_retry2_async(x: u64) -> impl Future<Output = Result<u64, Failed>> {
    let strategy = tokio_retry2::strategy::ExponentialBackoff::from_millis(100).take(2);
    tokio_retry2::Retry::spawn(strategy, move || async move {
        bare_async(x)
            .await
            .map_err(tokio_retry2::RetryError::transient)
    })
}

/// Polls `future` once with a no-op waker, without a runtime.
#[inline(always)]
pub fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let mut context = Context::from_waker(Waker::noop());
    pin!(future).poll(&mut context)
}

/// The future moved into place, then polled once, as a spawn or a `join!` does: `black_box` hides
/// where the future was made, so the optimiser cannot build it where [`poll_once`] polls it, and
/// the move is a real copy of the whole future.
#[inline(always)]
pub fn poll_moved<F: Future>(future: F) -> Poll<F::Output> {
    poll_once(black_box(future))
}

// One failure, then a success, zero delay.

/// The flaky body, not inlined: the limit of a retried call is two calls of it.
#[inline(never)]
pub fn flaky(calls: &Cell<u64>) -> Result<u64, Failed> {
    flaky_body(calls)
}

/// The flaky body under `#[retry]`, retried at once.
#[retry(delay = "0ms", jitter = "none")]
#[inline(never)]
pub fn retried_flaky(calls: &Cell<u64>) -> Result<u64, Failed> {
    flaky_body(calls)
}

/// backon's blocking retry around [`flaky`], constant zero delay.
#[inline(always)]
pub fn backon_blocking_flaky(calls: &Cell<u64>) -> Result<u64, Failed> {
    (|| flaky(calls))
        .retry(ConstantBuilder::default().with_delay(Duration::ZERO))
        .call()
}

/// The async flaky body, not inlined.
#[inline(never)]
#[allow(clippy::unused_async)]
pub async fn flaky_async(calls: &Cell<u64>) -> Result<u64, Failed> {
    flaky_body(calls)
}

/// The async flaky body under `#[retry]`, retried at once (a zero delay does not sleep).
#[retry(delay = "0ms", jitter = "none")]
#[inline(never)]
#[allow(clippy::unused_async)]
pub async fn retried_flaky_async(calls: &Cell<u64>) -> Result<u64, Failed> {
    flaky_body(calls)
}

/// backon's async retry around [`flaky_async`], constant zero delay, its default sleeper
/// (tokio's, which waits for the next timer tick even for a zero delay: needs a runtime).
#[inline(always)]
pub fn backon_async_flaky(calls: &Cell<u64>) -> impl Future<Output = Result<u64, Failed>> {
    (|| flaky_async(calls)).retry(ConstantBuilder::default().with_delay(Duration::ZERO))
}

/// The same with a sleeper that returns at once, so it completes in one poll without a runtime.
#[inline(always)]
pub fn backon_async_flaky_no_sleep(calls: &Cell<u64>) -> impl Future<Output = Result<u64, Failed>> {
    (|| flaky_async(calls))
        .retry(ConstantBuilder::default().with_delay(Duration::ZERO))
        .sleep(|_| std::future::ready(()))
}

/// tokio-retry2 around [`flaky_async`], fixed zero interval, 3 attempts. It always sleeps with
/// `tokio::time::sleep_until`, so it needs a runtime and waits for the next timer tick.
#[inline(always)]
pub fn tokio_retry2_async_flaky(calls: &Cell<u64>) -> impl Future<Output = Result<u64, Failed>> {
    let strategy = tokio_retry2::strategy::FixedInterval::from_millis(0).take(2);
    tokio_retry2::Retry::spawn(strategy, move || async move {
        flaky_async(calls)
            .await
            .map_err(tokio_retry2::RetryError::transient)
    })
}

// Breakers, closed, success.

/// The body under an adaptive limit that never runs out (a million slots): admission, release
/// and the latency sample, with its two clock reads.
#[retry_runtime::adaptive_limit(
    name = "hot-path",
    initial_limit = 1_000_000,
    max_limit = 1_000_000
)]
#[inline(never)]
pub fn adaptive_limited(x: u64) -> Result<u64, Failed> {
    body(x)
}

/// The body behind a breaker that trips after 5 failures in a row.
#[circuit_breaker(name = "hot-path", failure_threshold = 5)]
#[inline(never)]
pub fn guarded(x: u64) -> Result<u64, Failed> {
    body(x)
}

/// recloser around [`bare`] (its default: trips at a 50% failure rate over 100 calls).
#[inline(always)]
pub fn recloser_call(breaker: &recloser::Recloser, x: u64) -> Result<u64, recloser::Error<Failed>> {
    breaker.call(|| bare(x))
}

/// failsafe around [`bare`].
#[inline(always)]
pub fn failsafe_call<B: failsafe::CircuitBreaker>(
    breaker: &B,
    x: u64,
) -> Result<u64, failsafe::Error<Failed>> {
    breaker.call(|| bare(x))
}

/// failsafe configured like `guarded`: trips after 5 failures in a row, open for 30 s.
pub fn failsafe_consecutive() -> impl failsafe::CircuitBreaker {
    let backoff = failsafe::backoff::constant(Duration::from_secs(30));
    failsafe::Config::new()
        .failure_policy(failsafe::failure_policy::consecutive_failures(5, backoff))
        .build()
}

// With the `metrics` feature: sites of their own, first called once the recorder is installed
// (as in a service that installs its recorder at start-up).

/// [`guarded`] under a breaker of its own, for the rows with a metrics recorder installed.
#[cfg(feature = "metrics")]
#[circuit_breaker(name = "hot-path-metrics", failure_threshold = 5)]
#[inline(never)]
pub fn guarded_metrics(x: u64) -> Result<u64, Failed> {
    body(x)
}

/// [`retried`] at a site of its own, for the rows with a metrics recorder installed.
#[cfg(feature = "metrics")]
#[retry]
#[inline(never)]
pub fn retried_metrics(x: u64) -> Result<u64, Failed> {
    body(x)
}

/// Installs metrics-exporter-prometheus's recorder as the global recorder (once per process).
#[cfg(feature = "metrics")]
pub fn install_prometheus_recorder() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        metrics::set_global_recorder(recorder).expect("no other metrics recorder is installed");
    });
}

// The error shape users write: unit variants, a payload variant, a status, selected with
// `on = [...]`.

/// An API's error, as users write it. The bodies only fail with `Timeout`; the other variants
/// give the type its real layout (a pointer-sized payload, a status).
#[derive(Debug)]
#[allow(dead_code)]
pub enum ApiError {
    /// The call timed out: retried.
    Timeout,
    /// The connection failed: retried.
    Io(std::io::Error),
    /// The server answered with a status: not retried.
    Status(u16),
}

/// The success body with [`ApiError`]: fails with a timeout on [`FAILING_INPUT`].
#[inline(always)]
fn api_body(x: u64) -> Result<u64, ApiError> {
    let x = black_box(x);
    if x == FAILING_INPUT {
        Err(ApiError::Timeout)
    } else {
        Ok(x)
    }
}

/// The flaky body with [`ApiError`]: a timeout, then a success.
#[inline(always)]
fn api_flaky_body(calls: &Cell<u64>) -> Result<u64, ApiError> {
    let n = black_box(calls.get());
    calls.set(n + 1);
    if n.is_multiple_of(2) {
        Err(ApiError::Timeout)
    } else {
        Ok(n)
    }
}

/// Whether backon retries an [`ApiError`]: what `on = [Timeout, Io]` selects.
#[inline(always)]
fn api_retryable(error: &ApiError) -> bool {
    matches!(error, ApiError::Timeout | ApiError::Io(_))
}

/// The baseline with [`ApiError`].
#[inline(never)]
pub fn bare_api(x: u64) -> Result<u64, ApiError> {
    api_body(x)
}

/// The same under `#[retry(on = [Timeout, Io])]`.
#[retry(on = [Timeout, Io])]
#[inline(never)]
pub fn retried_api(x: u64) -> Result<u64, ApiError> {
    api_body(x)
}

/// backon's blocking retry around [`bare_api`], retrying what `on` selects.
#[inline(always)]
pub fn backon_blocking_api(x: u64) -> Result<u64, ApiError> {
    (|| bare_api(x))
        .retry(ExponentialBuilder::default())
        .when(api_retryable)
        .call()
}

/// The async baseline with [`ApiError`].
#[inline(never)]
#[allow(clippy::unused_async)]
pub async fn bare_api_async(x: u64) -> Result<u64, ApiError> {
    api_body(x)
}

/// The same under `#[retry(on = [Timeout, Io])]`.
#[retry(on = [Timeout, Io])]
#[inline(never)]
#[allow(clippy::unused_async)]
pub async fn retried_api_async(x: u64) -> Result<u64, ApiError> {
    api_body(x)
}

/// backon's async retry around [`bare_api_async`], retrying what `on` selects.
#[inline(always)]
pub fn backon_api_async(x: u64) -> impl Future<Output = Result<u64, ApiError>> {
    (move || bare_api_async(x))
        .retry(ExponentialBuilder::default())
        .when(api_retryable)
}

/// The flaky body with [`ApiError`], not inlined.
#[inline(never)]
pub fn flaky_api(calls: &Cell<u64>) -> Result<u64, ApiError> {
    api_flaky_body(calls)
}

/// The flaky body with [`ApiError`] under `#[retry]`, retried at once.
#[retry(delay = "0ms", jitter = "none", on = [Timeout, Io])]
#[inline(never)]
pub fn retried_flaky_api(calls: &Cell<u64>) -> Result<u64, ApiError> {
    api_flaky_body(calls)
}

/// backon's blocking retry around [`flaky_api`], constant zero delay.
#[inline(always)]
pub fn backon_blocking_flaky_api(calls: &Cell<u64>) -> Result<u64, ApiError> {
    (|| flaky_api(calls))
        .retry(ConstantBuilder::default().with_delay(Duration::ZERO))
        .when(api_retryable)
        .call()
}

/// The async flaky body with [`ApiError`], not inlined.
#[inline(never)]
#[allow(clippy::unused_async)]
pub async fn flaky_api_async(calls: &Cell<u64>) -> Result<u64, ApiError> {
    api_flaky_body(calls)
}

/// The async flaky body with [`ApiError`] under `#[retry]`, retried at once.
#[retry(delay = "0ms", jitter = "none", on = [Timeout, Io])]
#[inline(never)]
#[allow(clippy::unused_async)]
pub async fn retried_flaky_api_async(calls: &Cell<u64>) -> Result<u64, ApiError> {
    api_flaky_body(calls)
}

/// backon's async retry around [`flaky_api_async`], zero delay, a sleeper that returns at once.
#[inline(always)]
pub fn backon_api_async_flaky_no_sleep(
    calls: &Cell<u64>,
) -> impl Future<Output = Result<u64, ApiError>> {
    (|| flaky_api_async(calls))
        .retry(ConstantBuilder::default().with_delay(Duration::ZERO))
        .when(api_retryable)
        .sleep(|_| std::future::ready(()))
}
