//! A test per `[retry."name"]` key, sync and async: an override of that key on a site compiled
//! without it (or with another value) takes effect at run time, through the attribute, in
//! virtual time (`pause_sync_time` for sync fns, paused tokio time for async fns). Every test
//! asserts exact counts, delays or bounds that the compiled-in policy would not meet.
//!
//! Overrides install once per process, so this binary installs one set, from one TOML
//! document, before any site runs; every test calls `installed()` first.
#![cfg(feature = "config")]

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use retry_runtime::config::Overrides;
use retry_runtime::testing::{PausedTime, pause_sync_time, seed_jitter};
use retry_runtime::{
    AttemptTimeout, Backoff, Jitter, RetryHint, RetryPolicy, RetryState, Step, retry,
};

const MS: Duration = Duration::from_millis(1);

const OVERRIDES: &str = r#"
[retry."ovr.max_attempts.sync"]
max_attempts = 7
[retry."ovr.max_attempts.async"]
max_attempts = 7

[retry."ovr.backoff.sync"]
backoff = "linear"
[retry."ovr.backoff.async"]
backoff = "fibonacci"

[retry."ovr.factor.sync"]
factor = 3
[retry."ovr.factor.async"]
factor = 4.0

[retry."ovr.delay.sync"]
delay = "25ms"
[retry."ovr.delay.async"]
delay = "25ms"

[retry."ovr.max_delay.sync"]
max_delay = "15ms"
[retry."ovr.max_delay.async"]
max_delay = "15ms"

[retry."ovr.jitter.sync"]
jitter = "full"
[retry."ovr.jitter.async"]
jitter = "equal"

[retry."ovr.max_elapsed.sync"]
max_elapsed = "50ms"
[retry."ovr.max_elapsed.async"]
max_elapsed = "50ms"
[retry."ovr.max_elapsed.fixed.sync"]
max_elapsed = "50ms"
[retry."ovr.max_elapsed.fixed.async"]
max_elapsed = "50ms"
[retry."ovr.max_elapsed.slow.sync"]
max_elapsed = "50ms"
[retry."ovr.max_elapsed.slow.async"]
max_elapsed = "50ms"

[retry."ovr.attempt_timeout.async"]
attempt_timeout = "100ms"
[retry."ovr.attempt_timeout.replaced.async"]
attempt_timeout = "100ms"

[retry."ovr.both.async"]
attempt_timeout = "100ms"
max_elapsed = "250ms"
[retry."ovr.both.inline_timeout.async"]
max_elapsed = "250ms"
[retry."ovr.both.inline_elapsed.async"]
attempt_timeout = "100ms"
[retry."ovr.both.jittered.async"]
attempt_timeout = "30ms"
max_elapsed = "100ms"
"#;

/// Every name above: `unmatched()` must list none of them once every site has run.
const NAMES: &[&str] = &[
    "ovr.max_attempts.sync",
    "ovr.max_attempts.async",
    "ovr.backoff.sync",
    "ovr.backoff.async",
    "ovr.factor.sync",
    "ovr.factor.async",
    "ovr.delay.sync",
    "ovr.delay.async",
    "ovr.max_delay.sync",
    "ovr.max_delay.async",
    "ovr.jitter.sync",
    "ovr.jitter.async",
    "ovr.max_elapsed.sync",
    "ovr.max_elapsed.async",
    "ovr.max_elapsed.fixed.sync",
    "ovr.max_elapsed.fixed.async",
    "ovr.max_elapsed.slow.sync",
    "ovr.max_elapsed.slow.async",
    "ovr.attempt_timeout.async",
    "ovr.attempt_timeout.replaced.async",
    "ovr.both.async",
    "ovr.both.inline_timeout.async",
    "ovr.both.inline_elapsed.async",
    "ovr.both.jittered.async",
];

/// This module's overrides, merged with every other module's by [`crate::installed`].
pub(crate) fn overrides() -> Overrides {
    Overrides::from_toml(OVERRIDES, "test_config_overrides_retry").unwrap()
}

fn installed() {
    crate::installed();
}

#[derive(Debug, PartialEq)]
enum Error {
    Down,
    TimedOut(Duration),
}

impl From<AttemptTimeout> for Error {
    fn from(timeout: AttemptTimeout) -> Self {
        Error::TimedOut(timeout.timeout)
    }
}

thread_local! {
    /// The delays `on_retry` saw on this thread (a current-thread tokio test runs on it too).
    static DELAYS: RefCell<Vec<Duration>> = const { RefCell::new(Vec::new()) };
}

fn record(_: &Error, _: u32, delay: Duration) {
    DELAYS.with(|delays| delays.borrow_mut().push(delay));
}

fn take_delays() -> Vec<Duration> {
    DELAYS.with(RefCell::take)
}

fn down(calls: &Cell<u32>) -> Result<(), Error> {
    calls.set(calls.get() + 1);
    Err(Error::Down)
}

fn tokio_elapsed(start: tokio::time::Instant) -> Duration {
    tokio::time::Instant::now() - start
}

// ---------------------------------------------------------------------------------------------
// max_attempts: compiled 2, overridden to 7.

#[retry(name = "ovr.max_attempts.sync", max_attempts = 2, delay = "1ms", jitter = "none", on_retry = record)]
fn max_attempts_sync(calls: &Cell<u32>) -> Result<(), Error> {
    down(calls)
}

#[retry(name = "ovr.max_attempts.async", max_attempts = 2, delay = "1ms", jitter = "none", on_retry = record)]
async fn max_attempts_async(calls: &Cell<u32>) -> Result<(), Error> {
    down(calls)
}

#[test]
fn max_attempts_override_sync() {
    installed();
    let paused = pause_sync_time();
    take_delays();
    let calls = Cell::new(0);
    assert_eq!(max_attempts_sync(&calls), Err(Error::Down));
    assert_eq!(
        calls.get(),
        7,
        "max_attempts = 7 from the override, not the compiled 2"
    );
    assert_eq!(take_delays(), [1, 2, 4, 8, 16, 32].map(|ms| ms * MS));
    assert_eq!(paused.elapsed(), 63 * MS);
    assert_eq!(paused.sleeps(), 6);
}

#[tokio::test(start_paused = true)]
async fn max_attempts_override_async() {
    installed();
    take_delays();
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    assert_eq!(max_attempts_async(&calls).await, Err(Error::Down));
    assert_eq!(
        calls.get(),
        7,
        "max_attempts = 7 from the override, not the compiled 2"
    );
    assert_eq!(take_delays(), [1, 2, 4, 8, 16, 32].map(|ms| ms * MS));
    assert_eq!(tokio_elapsed(start), 63 * MS);
}

// ---------------------------------------------------------------------------------------------
// backoff: compiled exponential (factor 2: 10, 20, 40, 80 ms), overridden to linear / fibonacci.

#[retry(name = "ovr.backoff.sync", max_attempts = 5, delay = "10ms", jitter = "none", on_retry = record)]
fn backoff_sync(calls: &Cell<u32>) -> Result<(), Error> {
    down(calls)
}

#[retry(name = "ovr.backoff.async", max_attempts = 5, delay = "10ms", jitter = "none", on_retry = record)]
async fn backoff_async(calls: &Cell<u32>) -> Result<(), Error> {
    down(calls)
}

#[test]
fn backoff_override_sync() {
    installed();
    let paused = pause_sync_time();
    take_delays();
    let calls = Cell::new(0);
    assert_eq!(backoff_sync(&calls), Err(Error::Down));
    assert_eq!(calls.get(), 5);
    assert_eq!(take_delays(), [10, 20, 30, 40].map(|ms| ms * MS), "linear");
    assert_eq!(paused.elapsed(), 100 * MS);
}

#[tokio::test(start_paused = true)]
async fn backoff_override_async() {
    installed();
    take_delays();
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    assert_eq!(backoff_async(&calls).await, Err(Error::Down));
    assert_eq!(calls.get(), 5);
    assert_eq!(
        take_delays(),
        [10, 10, 20, 30].map(|ms| ms * MS),
        "fibonacci"
    );
    assert_eq!(tokio_elapsed(start), 70 * MS);
}

// ---------------------------------------------------------------------------------------------
// factor: compiled exponential with the default factor 2 (10, 20, 40 ms), overridden to 3 / 4.

#[retry(name = "ovr.factor.sync", max_attempts = 4, delay = "10ms", jitter = "none", on_retry = record)]
fn factor_sync(calls: &Cell<u32>) -> Result<(), Error> {
    down(calls)
}

#[retry(name = "ovr.factor.async", max_attempts = 4, delay = "10ms", jitter = "none", on_retry = record)]
async fn factor_async(calls: &Cell<u32>) -> Result<(), Error> {
    down(calls)
}

#[test]
fn factor_override_sync() {
    installed();
    let paused = pause_sync_time();
    take_delays();
    let calls = Cell::new(0);
    assert_eq!(factor_sync(&calls), Err(Error::Down));
    assert_eq!(calls.get(), 4);
    assert_eq!(take_delays(), [10, 30, 90].map(|ms| ms * MS), "factor 3");
    assert_eq!(paused.elapsed(), 130 * MS);
}

#[tokio::test(start_paused = true)]
async fn factor_override_async() {
    installed();
    take_delays();
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    assert_eq!(factor_async(&calls).await, Err(Error::Down));
    assert_eq!(calls.get(), 4);
    assert_eq!(take_delays(), [10, 40, 160].map(|ms| ms * MS), "factor 4");
    assert_eq!(tokio_elapsed(start), 210 * MS);
}

// ---------------------------------------------------------------------------------------------
// delay: compiled 10 ms fixed, overridden to 25 ms.

#[retry(name = "ovr.delay.sync", max_attempts = 4, delay = "10ms", backoff = "fixed", jitter = "none", on_retry = record)]
fn delay_sync(calls: &Cell<u32>) -> Result<(), Error> {
    down(calls)
}

#[retry(name = "ovr.delay.async", max_attempts = 4, delay = "10ms", backoff = "fixed", jitter = "none", on_retry = record)]
async fn delay_async(calls: &Cell<u32>) -> Result<(), Error> {
    down(calls)
}

#[test]
fn delay_override_sync() {
    installed();
    let paused = pause_sync_time();
    take_delays();
    let calls = Cell::new(0);
    assert_eq!(delay_sync(&calls), Err(Error::Down));
    assert_eq!(calls.get(), 4);
    assert_eq!(take_delays(), [25 * MS; 3]);
    assert_eq!(paused.elapsed(), 75 * MS);
}

#[tokio::test(start_paused = true)]
async fn delay_override_async() {
    installed();
    take_delays();
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    assert_eq!(delay_async(&calls).await, Err(Error::Down));
    assert_eq!(calls.get(), 4);
    assert_eq!(take_delays(), [25 * MS; 3]);
    assert_eq!(tokio_elapsed(start), 75 * MS);
}

// ---------------------------------------------------------------------------------------------
// max_delay: compiled the default 10 s (10, 20, 40, 80 ms uncapped), overridden to 15 ms.

#[retry(name = "ovr.max_delay.sync", max_attempts = 5, delay = "10ms", jitter = "none", on_retry = record)]
fn max_delay_sync(calls: &Cell<u32>) -> Result<(), Error> {
    down(calls)
}

#[retry(name = "ovr.max_delay.async", max_attempts = 5, delay = "10ms", jitter = "none", on_retry = record)]
async fn max_delay_async(calls: &Cell<u32>) -> Result<(), Error> {
    down(calls)
}

#[test]
fn max_delay_override_sync() {
    installed();
    let paused = pause_sync_time();
    take_delays();
    let calls = Cell::new(0);
    assert_eq!(max_delay_sync(&calls), Err(Error::Down));
    assert_eq!(calls.get(), 5);
    assert_eq!(take_delays(), [10, 15, 15, 15].map(|ms| ms * MS));
    assert_eq!(paused.elapsed(), 55 * MS);
}

#[tokio::test(start_paused = true)]
async fn max_delay_override_async() {
    installed();
    take_delays();
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    assert_eq!(max_delay_async(&calls).await, Err(Error::Down));
    assert_eq!(calls.get(), 5);
    assert_eq!(take_delays(), [10, 15, 15, 15].map(|ms| ms * MS));
    assert_eq!(tokio_elapsed(start), 55 * MS);
}

// ---------------------------------------------------------------------------------------------
// jitter: compiled none (100 ms every time), overridden to full / equal. The delays must be the
// ones a policy with that jitter draws from the same seed.

#[retry(name = "ovr.jitter.sync", max_attempts = 5, delay = "100ms", backoff = "fixed", jitter = "none", on_retry = record)]
fn jitter_sync(calls: &Cell<u32>) -> Result<(), Error> {
    down(calls)
}

#[retry(name = "ovr.jitter.async", max_attempts = 5, delay = "100ms", backoff = "fixed", jitter = "none", on_retry = record)]
async fn jitter_async(calls: &Cell<u32>) -> Result<(), Error> {
    down(calls)
}

/// The delays a fixed 100 ms policy with `jitter` draws after `seed_jitter(seed)` on this thread.
fn reference_delays(jitter: Jitter, seed: u64) -> Vec<Duration> {
    let policy = RetryPolicy::builder()
        .max_attempts(5)
        .backoff(Backoff::Fixed)
        .delay(100 * MS)
        .jitter(jitter)
        .build()
        .unwrap();
    seed_jitter(seed);
    let now = Instant::now();
    let mut state = RetryState::start(&policy, || now);
    let mut delays = Vec::new();
    while let Step::Retry { delay, .. } =
        state.on_failure(&policy, true, RetryHint::FollowPolicy, || now)
    {
        delays.push(delay);
    }
    delays
}

#[test]
fn jitter_override_sync() {
    installed();
    let expected = reference_delays(Jitter::Full, 7);
    assert_eq!(expected.len(), 4);
    let paused = pause_sync_time();
    take_delays();
    seed_jitter(7);
    let calls = Cell::new(0);
    assert_eq!(jitter_sync(&calls), Err(Error::Down));
    assert_eq!(calls.get(), 5);
    let delays = take_delays();
    assert_eq!(
        delays, expected,
        "full jitter draws, not the compiled fixed 100 ms"
    );
    assert!(delays.iter().all(|delay| *delay < 100 * MS), "{delays:?}");
    assert_eq!(paused.elapsed(), delays.iter().sum::<Duration>());
}

#[tokio::test(start_paused = true)]
async fn jitter_override_async() {
    installed();
    let expected = reference_delays(Jitter::Equal, 11);
    assert_eq!(expected.len(), 4);
    take_delays();
    seed_jitter(11);
    let calls = Cell::new(0);
    assert_eq!(jitter_async(&calls).await, Err(Error::Down));
    assert_eq!(calls.get(), 5);
    let delays = take_delays();
    assert_eq!(
        delays, expected,
        "equal jitter draws, not the compiled fixed 100 ms"
    );
    assert!(
        delays
            .iter()
            .all(|delay| *delay >= 50 * MS && *delay < 100 * MS),
        "{delays:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// max_elapsed: sites with 100 attempts and no max_elapsed, overridden to 50 ms.

/// The reported case: default backoff (exponential, full jitter), 100 attempts of 10 ms base.
#[retry(name = "ovr.max_elapsed.sync", max_attempts = 100, delay = "10ms", on_retry = record)]
fn max_elapsed_sync(calls: &Cell<u32>) -> Result<(), Error> {
    down(calls)
}

#[retry(name = "ovr.max_elapsed.async", max_attempts = 100, delay = "10ms", on_retry = record)]
async fn max_elapsed_async(calls: &Cell<u32>) -> Result<(), Error> {
    down(calls)
}

/// Without jitter, exactly: 5 sleeps of 10 ms fit in 50 ms, the sixth would end past it.
#[retry(name = "ovr.max_elapsed.fixed.sync", max_attempts = 100, delay = "10ms", backoff = "fixed", jitter = "none", on_retry = record)]
fn max_elapsed_fixed_sync(calls: &Cell<u32>) -> Result<(), Error> {
    down(calls)
}

#[retry(name = "ovr.max_elapsed.fixed.async", max_attempts = 100, delay = "10ms", backoff = "fixed", jitter = "none", on_retry = record)]
async fn max_elapsed_fixed_async(calls: &Cell<u32>) -> Result<(), Error> {
    down(calls)
}

/// Attempts that take 20 ms each: the budget counts from before the first attempt, so after
/// attempt 1 (20 ms), a sleep (30 ms) and attempt 2 (50 ms), no further sleep fits.
#[retry(name = "ovr.max_elapsed.slow.sync", max_attempts = 100, delay = "10ms", backoff = "fixed", jitter = "none", on_retry = record)]
fn max_elapsed_slow_sync(calls: &Cell<u32>, paused: &PausedTime) -> Result<(), Error> {
    paused.advance(20 * MS);
    down(calls)
}

#[retry(name = "ovr.max_elapsed.slow.async", max_attempts = 100, delay = "10ms", backoff = "fixed", jitter = "none", on_retry = record)]
async fn max_elapsed_slow_async(calls: &Cell<u32>) -> Result<(), Error> {
    tokio::time::sleep(20 * MS).await;
    down(calls)
}

#[test]
fn max_elapsed_override_sync() {
    installed();
    let paused = pause_sync_time();
    take_delays();
    seed_jitter(1);
    let calls = Cell::new(0);
    assert_eq!(max_elapsed_sync(&calls), Err(Error::Down));
    assert!(
        paused.elapsed() <= 50 * MS,
        "slept {:?} past max_elapsed = 50ms",
        paused.elapsed()
    );
    assert!(
        calls.get() < 100,
        "{} attempts: max_elapsed did not stop the loop",
        calls.get()
    );
    let delays = take_delays();
    assert_eq!(delays.len() + 1, calls.get() as usize);
    assert_eq!(paused.elapsed(), delays.iter().sum::<Duration>());
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_override_async() {
    installed();
    take_delays();
    seed_jitter(1);
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    assert_eq!(max_elapsed_async(&calls).await, Err(Error::Down));
    let elapsed = tokio_elapsed(start);
    assert!(
        elapsed <= 50 * MS,
        "took {elapsed:?}, past max_elapsed = 50ms"
    );
    assert!(
        calls.get() < 100,
        "{} attempts: max_elapsed did not stop the loop",
        calls.get()
    );
    assert_eq!(take_delays().len() + 1, calls.get() as usize);
}

#[test]
fn max_elapsed_override_sync_exact() {
    installed();
    let paused = pause_sync_time();
    take_delays();
    let calls = Cell::new(0);
    assert_eq!(max_elapsed_fixed_sync(&calls), Err(Error::Down));
    assert_eq!(calls.get(), 6);
    assert_eq!(take_delays(), [10 * MS; 5]);
    assert_eq!(paused.elapsed(), 50 * MS);
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_override_async_exact() {
    installed();
    take_delays();
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    assert_eq!(max_elapsed_fixed_async(&calls).await, Err(Error::Down));
    assert_eq!(calls.get(), 6);
    assert_eq!(take_delays(), [10 * MS; 5]);
    assert_eq!(tokio_elapsed(start), 50 * MS);
}

#[test]
fn max_elapsed_override_sync_counts_attempt_time() {
    installed();
    let paused = pause_sync_time();
    take_delays();
    let calls = Cell::new(0);
    assert_eq!(max_elapsed_slow_sync(&calls, &paused), Err(Error::Down));
    assert_eq!(calls.get(), 2);
    assert_eq!(take_delays(), [10 * MS]);
    assert_eq!(paused.elapsed(), 50 * MS);
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_override_async_counts_attempt_time() {
    installed();
    take_delays();
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    assert_eq!(max_elapsed_slow_async(&calls).await, Err(Error::Down));
    assert_eq!(calls.get(), 2);
    assert_eq!(take_delays(), [10 * MS]);
    assert_eq!(tokio_elapsed(start), 50 * MS);
}

// ---------------------------------------------------------------------------------------------
// attempt_timeout (async only): attempts that take 1 s and then succeed; an override of 100 ms
// cuts each one off, so the call fails after 3 x 100 ms + 2 x 10 ms.

async fn slow_success(calls: &Cell<u32>) -> Result<(), Error> {
    calls.set(calls.get() + 1);
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(())
}

#[retry(name = "ovr.attempt_timeout.async", max_attempts = 3, delay = "10ms", backoff = "fixed", jitter = "none", on_retry = record)]
async fn attempt_timeout_async(calls: &Cell<u32>) -> Result<(), Error> {
    slow_success(calls).await
}

/// Compiled with another value (5 s, which the 1 s attempt would meet).
#[retry(name = "ovr.attempt_timeout.replaced.async", max_attempts = 3, delay = "10ms", backoff = "fixed", jitter = "none", attempt_timeout = "5s", on_retry = record)]
async fn attempt_timeout_replaced_async(calls: &Cell<u32>) -> Result<(), Error> {
    slow_success(calls).await
}

#[tokio::test(start_paused = true)]
async fn attempt_timeout_override_async() {
    installed();
    take_delays();
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    assert_eq!(
        attempt_timeout_async(&calls).await,
        Err(Error::TimedOut(100 * MS)),
        "each attempt cut off at the override's 100 ms"
    );
    assert_eq!(calls.get(), 3);
    assert_eq!(take_delays(), [10 * MS; 2]);
    assert_eq!(tokio_elapsed(start), 320 * MS);
}

#[tokio::test(start_paused = true)]
async fn attempt_timeout_override_replaces_the_compiled_one_async() {
    installed();
    take_delays();
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    assert_eq!(
        attempt_timeout_replaced_async(&calls).await,
        Err(Error::TimedOut(100 * MS))
    );
    assert_eq!(calls.get(), 3);
    assert_eq!(tokio_elapsed(start), 320 * MS);
}

// ---------------------------------------------------------------------------------------------
// attempt_timeout with max_elapsed: the call never takes longer than max_elapsed. Attempts take
// an hour. With 100 ms per attempt, 10 ms sleeps and 250 ms in all: attempts end at 100 and
// 210 ms, and the third is cut to what is left (30 ms), ending at exactly 250 ms.

async fn hour_long_success(calls: &Cell<u32>) -> Result<(), Error> {
    calls.set(calls.get() + 1);
    tokio::time::sleep(Duration::from_secs(3600)).await;
    Ok(())
}

/// Both from the override.
#[retry(name = "ovr.both.async", max_attempts = 100, delay = "10ms", backoff = "fixed", jitter = "none", on_retry = record)]
async fn both_async(calls: &Cell<u32>) -> Result<(), Error> {
    hour_long_success(calls).await
}

/// attempt_timeout compiled in, max_elapsed from the override.
#[retry(name = "ovr.both.inline_timeout.async", max_attempts = 100, delay = "10ms", backoff = "fixed", jitter = "none", attempt_timeout = "100ms", on_retry = record)]
async fn both_inline_timeout_async(calls: &Cell<u32>) -> Result<(), Error> {
    hour_long_success(calls).await
}

/// max_elapsed compiled in, attempt_timeout from the override.
#[retry(name = "ovr.both.inline_elapsed.async", max_attempts = 100, delay = "10ms", backoff = "fixed", jitter = "none", max_elapsed = "250ms", on_retry = record)]
async fn both_inline_elapsed_async(calls: &Cell<u32>) -> Result<(), Error> {
    hour_long_success(calls).await
}

/// Both from the override, on the default exponential backoff with full jitter.
#[retry(name = "ovr.both.jittered.async", max_attempts = 100, delay = "10ms", on_retry = record)]
async fn both_jittered_async(calls: &Cell<u32>) -> Result<(), Error> {
    hour_long_success(calls).await
}

/// Runs `call` (not started yet: futures are lazy), which counts its attempts in `calls`.
async fn assert_cut_at_250ms(calls: &Cell<u32>, call: impl Future<Output = Result<(), Error>>) {
    take_delays();
    let start = tokio::time::Instant::now();
    let result = call.await;
    let elapsed = tokio_elapsed(start);
    assert!(
        elapsed <= 250 * MS,
        "took {elapsed:?}, past max_elapsed = 250ms"
    );
    assert_eq!(
        result,
        Err(Error::TimedOut(30 * MS)),
        "the last attempt gets what is left"
    );
    assert_eq!(calls.get(), 3);
    assert_eq!(take_delays(), [10 * MS; 2]);
    assert_eq!(elapsed, 250 * MS);
}

#[tokio::test(start_paused = true)]
async fn attempt_timeout_and_max_elapsed_overrides_async() {
    installed();
    let calls = Cell::new(0);
    assert_cut_at_250ms(&calls, both_async(&calls)).await;
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_override_cuts_a_compiled_attempt_timeout_async() {
    installed();
    let calls = Cell::new(0);
    assert_cut_at_250ms(&calls, both_inline_timeout_async(&calls)).await;
}

#[tokio::test(start_paused = true)]
async fn attempt_timeout_override_under_a_compiled_max_elapsed_async() {
    installed();
    let calls = Cell::new(0);
    assert_cut_at_250ms(&calls, both_inline_elapsed_async(&calls)).await;
}

#[tokio::test(start_paused = true)]
async fn attempt_timeout_and_max_elapsed_overrides_with_jitter_async() {
    installed();
    take_delays();
    seed_jitter(3);
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    let result = both_jittered_async(&calls).await;
    let elapsed = tokio_elapsed(start);
    assert!(
        elapsed <= 100 * MS,
        "took {elapsed:?}, past max_elapsed = 100ms"
    );
    assert!(
        matches!(result, Err(Error::TimedOut(limit)) if limit <= 30 * MS),
        "{result:?}"
    );
    assert!(
        calls.get() >= 3,
        "{} attempts: 30 ms each fit at least 3 times",
        calls.get()
    );
    assert!(calls.get() < 100, "{} attempts", calls.get());
}

// ---------------------------------------------------------------------------------------------
// Every override named a site: run each site once (all stateless between calls), then none of
// the names is unmatched. This does not depend on the other tests having run.

#[tokio::test(start_paused = true)]
async fn every_override_matches_a_site() {
    installed();
    {
        let paused = pause_sync_time();
        let calls = Cell::new(0);
        let _ = max_attempts_sync(&calls);
        let _ = backoff_sync(&calls);
        let _ = factor_sync(&calls);
        let _ = delay_sync(&calls);
        let _ = max_delay_sync(&calls);
        let _ = jitter_sync(&calls);
        let _ = max_elapsed_sync(&calls);
        let _ = max_elapsed_fixed_sync(&calls);
        let _ = max_elapsed_slow_sync(&calls, &paused);
    }
    let calls = Cell::new(0);
    let _ = max_attempts_async(&calls).await;
    let _ = backoff_async(&calls).await;
    let _ = factor_async(&calls).await;
    let _ = delay_async(&calls).await;
    let _ = max_delay_async(&calls).await;
    let _ = jitter_async(&calls).await;
    let _ = max_elapsed_async(&calls).await;
    let _ = max_elapsed_fixed_async(&calls).await;
    let _ = max_elapsed_slow_async(&calls).await;
    let _ = attempt_timeout_async(&calls).await;
    let _ = attempt_timeout_replaced_async(&calls).await;
    let _ = both_async(&calls).await;
    let _ = both_inline_timeout_async(&calls).await;
    let _ = both_inline_elapsed_async(&calls).await;
    let _ = both_jittered_async(&calls).await;
    take_delays();
    let unmatched = crate::unmatched_of(OVERRIDES);
    for name in NAMES {
        assert!(
            !unmatched
                .iter()
                .any(|listed| listed == &format!("retry.{name}")),
            "{name} is unmatched: {unmatched:?}"
        );
    }
    assert_eq!(unmatched, Vec::<String>::new());
}
