//! A test per `[breaker.name]` and `[budget.name]` key: an override of that key on a
//! `#[circuit_breaker(name = ...)]` or `#[retry(budget = ...)]` site compiled without it (or with
//! another value) takes effect, shown by what the breaker or budget then does, in virtual time
//! (`pause_sync_time` for sync fns, paused tokio time for async fns), and by its `config()`.
//!
//! Overrides install once per process, so this binary installs one set, from one TOML
//! document, before any site runs; every test calls `installed()` first. Each test has its own
//! breaker or budget name, so tests running in parallel never share state.
#![cfg(feature = "config")]

use std::cell::Cell;
use std::time::Duration;

use retry_runtime::config::Overrides;
use retry_runtime::testing::{PausedTime, pause_sync_time};
use retry_runtime::{BreakerState, CircuitOpen, breaker, budget, circuit_breaker, retry};

const MS: Duration = Duration::from_millis(1);
const SECOND: Duration = Duration::from_secs(1);

const OVERRIDES: &str = r#"
[breaker.ovr-failure_threshold-sync]
failure_threshold = 2
[breaker.ovr-failure_threshold-async]
failure_threshold = 2

[breaker.ovr-failure_rate]
failure_rate = 0.5

[breaker.ovr-window]
window = 4

[breaker.ovr-min_calls]
min_calls = 2

[breaker.ovr-slow_call-sync]
slow_call = "100ms"
[breaker.ovr-slow_call-async]
slow_call = "100ms"

[breaker.ovr-slow_call_rate]
slow_call_rate = 0.5

[breaker.ovr-open_for-sync]
open_for = "2s"
[breaker.ovr-open_for-async]
open_for = "2s"

[breaker.ovr-open_for_factor]
open_for_factor = 3

[breaker.ovr-max_open_for]
max_open_for = "4s"

[breaker.ovr-half_open_calls]
half_open_calls = 3

[breaker.ovr-half_open_timeout]
half_open_timeout = "5s"

[budget.ovr-share-sync]
share = 0.5
[budget.ovr-share-async]
share = 0.5

[budget.ovr-min_per_second-sync]
min_per_second = 0.3
[budget.ovr-min_per_second-async]
min_per_second = 0.3

[budget.ovr-cap-sync]
cap = 3
[budget.ovr-cap-async]
cap = 3
"#;

/// This module's overrides, merged with every other module's by [`crate::installed`].
pub(crate) fn overrides() -> Overrides {
    Overrides::from_toml(OVERRIDES, "test_config_overrides_breaker_budget").unwrap()
}

fn installed() {
    crate::installed();
}

#[derive(Debug, PartialEq)]
enum Error {
    Down,
    /// The breaker's state and `retry_after` when it rejected the call.
    Rejected(BreakerState, Option<Duration>),
}

impl From<CircuitOpen> for Error {
    fn from(open: CircuitOpen) -> Self {
        Error::Rejected(open.state, open.retry_after)
    }
}

/// What a call's body does.
#[derive(Clone, Copy, Debug)]
enum Call {
    Succeed,
    Fail,
    /// Succeeds after running this long (virtual time).
    SucceedAfter(Duration),
    /// Never finishes (async only).
    Hang,
}

fn run_sync(call: Call, paused: &PausedTime) -> Result<(), Error> {
    match call {
        Call::Succeed => Ok(()),
        Call::Fail => Err(Error::Down),
        Call::SucceedAfter(duration) => {
            paused.advance(duration);
            Ok(())
        }
        Call::Hang => unreachable!("a sync call cannot hang here"),
    }
}

async fn run_async(call: Call) -> Result<(), Error> {
    match call {
        Call::Succeed => Ok(()),
        Call::Fail => Err(Error::Down),
        Call::SucceedAfter(duration) => {
            tokio::time::sleep(duration).await;
            Ok(())
        }
        Call::Hang => std::future::pending().await,
    }
}

fn state_of(name: &str) -> BreakerState {
    breaker(name).unwrap().state()
}

fn is_rejected(result: &Result<(), Error>, state: BreakerState) -> bool {
    matches!(result, Err(Error::Rejected(rejected, _)) if *rejected == state)
}

// ---------------------------------------------------------------------------------------------
// failure_threshold: compiled the default 5, overridden to 2.

#[circuit_breaker(name = "ovr-failure_threshold-sync")]
fn failure_threshold_sync(call: Call, paused: &PausedTime) -> Result<(), Error> {
    run_sync(call, paused)
}

#[circuit_breaker(name = "ovr-failure_threshold-async")]
async fn failure_threshold_async(call: Call) -> Result<(), Error> {
    run_async(call).await
}

#[test]
fn failure_threshold_override_sync() {
    installed();
    let paused = pause_sync_time();
    let name = "ovr-failure_threshold-sync";
    assert_eq!(
        failure_threshold_sync(Call::Fail, &paused),
        Err(Error::Down)
    );
    assert_eq!(state_of(name), BreakerState::Closed);
    assert_eq!(
        failure_threshold_sync(Call::Fail, &paused),
        Err(Error::Down)
    );
    assert_eq!(
        state_of(name),
        BreakerState::Open,
        "2 failures trip it, not 5"
    );
    let rejected = failure_threshold_sync(Call::Succeed, &paused);
    assert!(is_rejected(&rejected, BreakerState::Open), "{rejected:?}");
    let counts = breaker(name).unwrap().counts();
    assert_eq!((counts.failed, counts.rejected, counts.opened), (2, 1, 1));
    assert_eq!(breaker(name).unwrap().config().failure_threshold(), 2);
}

#[tokio::test(start_paused = true)]
async fn failure_threshold_override_async() {
    installed();
    let name = "ovr-failure_threshold-async";
    assert_eq!(failure_threshold_async(Call::Fail).await, Err(Error::Down));
    assert_eq!(state_of(name), BreakerState::Closed);
    assert_eq!(failure_threshold_async(Call::Fail).await, Err(Error::Down));
    assert_eq!(
        state_of(name),
        BreakerState::Open,
        "2 failures trip it, not 5"
    );
    let rejected = failure_threshold_async(Call::Succeed).await;
    assert!(is_rejected(&rejected, BreakerState::Open), "{rejected:?}");
    assert_eq!(breaker(name).unwrap().config().failure_threshold(), 2);
}

// ---------------------------------------------------------------------------------------------
// failure_rate: compiled with only a threshold of 100 consecutive failures (no rate, window
// 100), overridden to 0.5: half of 100 calls failing, never twice in a row, trips it.

#[circuit_breaker(name = "ovr-failure_rate", failure_threshold = 100)]
fn failure_rate_sync(call: Call, paused: &PausedTime) -> Result<(), Error> {
    run_sync(call, paused)
}

#[test]
fn failure_rate_override_sync() {
    installed();
    let paused = pause_sync_time();
    let name = "ovr-failure_rate";
    let alternate = |index: u32| {
        if index.is_multiple_of(2) {
            Call::Fail
        } else {
            Call::Succeed
        }
    };
    for index in 0..99 {
        let _ = failure_rate_sync(alternate(index), &paused);
    }
    assert_eq!(
        state_of(name),
        BreakerState::Closed,
        "99 calls, below min_calls = window = 100"
    );
    assert_eq!(failure_rate_sync(Call::Succeed, &paused), Ok(()));
    assert_eq!(
        state_of(name),
        BreakerState::Open,
        "50 of 100 failed: rate 0.5 trips it"
    );
    let config = *breaker(name).unwrap().config();
    assert_eq!(config.failure_rate(), Some(0.5));
    assert_eq!(config.failure_threshold(), 100);
    let counts = breaker(name).unwrap().counts();
    assert_eq!(
        (counts.failed, counts.successful, counts.opened),
        (50, 50, 1)
    );
}

// ---------------------------------------------------------------------------------------------
// window: compiled with a rate and the default window (100, and min_calls with it), overridden
// to 4: min_calls follows it, so 2 failures in 4 calls trip it.

#[circuit_breaker(name = "ovr-window", failure_rate = 0.5)]
async fn window_async(call: Call) -> Result<(), Error> {
    run_async(call).await
}

#[tokio::test(start_paused = true)]
async fn window_override_async() {
    installed();
    let name = "ovr-window";
    assert_eq!(window_async(Call::Fail).await, Err(Error::Down));
    assert_eq!(window_async(Call::Succeed).await, Ok(()));
    assert_eq!(window_async(Call::Fail).await, Err(Error::Down));
    assert_eq!(
        state_of(name),
        BreakerState::Closed,
        "3 calls, below the 4 of the window"
    );
    assert_eq!(window_async(Call::Succeed).await, Ok(()));
    assert_eq!(
        state_of(name),
        BreakerState::Open,
        "2 of the 4 calls failed"
    );
    let rejected = window_async(Call::Succeed).await;
    assert!(is_rejected(&rejected, BreakerState::Open), "{rejected:?}");
    let config = *breaker(name).unwrap().config();
    assert_eq!((config.window(), config.min_calls()), (4, 4));
}

// ---------------------------------------------------------------------------------------------
// min_calls: compiled window 10 (min_calls 10), overridden to 2: 2 failures trip it.

#[circuit_breaker(name = "ovr-min_calls", failure_rate = 0.5, window = 10)]
fn min_calls_sync(call: Call, paused: &PausedTime) -> Result<(), Error> {
    run_sync(call, paused)
}

#[test]
fn min_calls_override_sync() {
    installed();
    let paused = pause_sync_time();
    let name = "ovr-min_calls";
    assert_eq!(min_calls_sync(Call::Fail, &paused), Err(Error::Down));
    assert_eq!(state_of(name), BreakerState::Closed);
    assert_eq!(min_calls_sync(Call::Fail, &paused), Err(Error::Down));
    assert_eq!(
        state_of(name),
        BreakerState::Open,
        "rates count from 2 calls, not 10"
    );
    let config = *breaker(name).unwrap().config();
    assert_eq!((config.window(), config.min_calls()), (10, 2));
}

// ---------------------------------------------------------------------------------------------
// slow_call: compiled without one (nothing is ever slow), overridden to 100 ms: a 150 ms call
// counts as slow, a 50 ms one does not.

#[circuit_breaker(name = "ovr-slow_call-sync", failure_threshold = 3)]
fn slow_call_sync(call: Call, paused: &PausedTime) -> Result<(), Error> {
    run_sync(call, paused)
}

#[circuit_breaker(name = "ovr-slow_call-async", failure_threshold = 3)]
async fn slow_call_async(call: Call) -> Result<(), Error> {
    run_async(call).await
}

#[test]
fn slow_call_override_sync() {
    installed();
    let paused = pause_sync_time();
    let name = "ovr-slow_call-sync";
    assert_eq!(slow_call_sync(Call::SucceedAfter(50 * MS), &paused), Ok(()));
    assert_eq!(breaker(name).unwrap().counts().slow, 0);
    assert_eq!(
        slow_call_sync(Call::SucceedAfter(150 * MS), &paused),
        Ok(())
    );
    let counts = breaker(name).unwrap().counts();
    assert_eq!(
        (counts.successful, counts.slow),
        (2, 1),
        "150 ms is past slow_call = 100ms"
    );
    assert_eq!(breaker(name).unwrap().config().slow_call(), Some(100 * MS));
}

#[tokio::test(start_paused = true)]
async fn slow_call_override_async() {
    installed();
    let name = "ovr-slow_call-async";
    assert_eq!(slow_call_async(Call::SucceedAfter(50 * MS)).await, Ok(()));
    assert_eq!(breaker(name).unwrap().counts().slow, 0);
    assert_eq!(slow_call_async(Call::SucceedAfter(150 * MS)).await, Ok(()));
    let counts = breaker(name).unwrap().counts();
    assert_eq!(
        (counts.successful, counts.slow),
        (2, 1),
        "150 ms is past slow_call = 100ms"
    );
    assert_eq!(breaker(name).unwrap().config().slow_call(), Some(100 * MS));
}

// ---------------------------------------------------------------------------------------------
// slow_call_rate: compiled with slow_call (so a slow-call rate of 1) and a window of 4,
// overridden to 0.5: 2 slow calls of 4, all successful, trip it.

#[circuit_breaker(name = "ovr-slow_call_rate", slow_call = "100ms", window = 4)]
async fn slow_call_rate_async(call: Call) -> Result<(), Error> {
    run_async(call).await
}

#[tokio::test(start_paused = true)]
async fn slow_call_rate_override_async() {
    installed();
    let name = "ovr-slow_call_rate";
    for call in [150 * MS, 10 * MS, 150 * MS] {
        assert_eq!(slow_call_rate_async(Call::SucceedAfter(call)).await, Ok(()));
    }
    assert_eq!(state_of(name), BreakerState::Closed);
    assert_eq!(
        slow_call_rate_async(Call::SucceedAfter(10 * MS)).await,
        Ok(())
    );
    assert_eq!(
        state_of(name),
        BreakerState::Open,
        "2 slow calls of 4: rate 0.5"
    );
    let counts = breaker(name).unwrap().counts();
    assert_eq!((counts.successful, counts.slow, counts.opened), (4, 2, 1));
    assert_eq!(breaker(name).unwrap().config().slow_call_rate(), Some(0.5));
}

// ---------------------------------------------------------------------------------------------
// open_for: compiled the default 30 s, overridden to 2 s.

#[circuit_breaker(name = "ovr-open_for-sync", failure_threshold = 1)]
fn open_for_sync(call: Call, paused: &PausedTime) -> Result<(), Error> {
    run_sync(call, paused)
}

#[circuit_breaker(name = "ovr-open_for-async", failure_threshold = 1)]
async fn open_for_async(call: Call) -> Result<(), Error> {
    run_async(call).await
}

#[test]
fn open_for_override_sync() {
    installed();
    let paused = pause_sync_time();
    let name = "ovr-open_for-sync";
    assert_eq!(open_for_sync(Call::Fail, &paused), Err(Error::Down));
    assert_eq!(
        open_for_sync(Call::Succeed, &paused),
        Err(Error::Rejected(BreakerState::Open, Some(2 * SECOND))),
        "open for 2 s, not 30 s"
    );
    paused.advance(1999 * MS);
    assert!(is_rejected(
        &open_for_sync(Call::Succeed, &paused),
        BreakerState::Open
    ));
    paused.advance(MS);
    assert_eq!(
        open_for_sync(Call::Succeed, &paused),
        Ok(()),
        "the probe after 2 s"
    );
    assert_eq!(state_of(name), BreakerState::Closed);
    assert_eq!(breaker(name).unwrap().counts().recovered, 1);
}

#[tokio::test(start_paused = true)]
async fn open_for_override_async() {
    installed();
    let name = "ovr-open_for-async";
    assert_eq!(open_for_async(Call::Fail).await, Err(Error::Down));
    assert_eq!(
        open_for_async(Call::Succeed).await,
        Err(Error::Rejected(BreakerState::Open, Some(2 * SECOND))),
        "open for 2 s, not 30 s"
    );
    tokio::time::sleep(1999 * MS).await;
    assert!(is_rejected(
        &open_for_async(Call::Succeed).await,
        BreakerState::Open
    ));
    tokio::time::sleep(MS).await;
    assert_eq!(
        open_for_async(Call::Succeed).await,
        Ok(()),
        "the probe after 2 s"
    );
    assert_eq!(state_of(name), BreakerState::Closed);
}

// ---------------------------------------------------------------------------------------------
// open_for_factor: compiled open_for 1 s with the default factor 2, overridden to 3: after a
// failed probe, the breaker stays open 3 s, not 2 s.

#[circuit_breaker(name = "ovr-open_for_factor", failure_threshold = 1, open_for = "1s")]
fn open_for_factor_sync(call: Call, paused: &PausedTime) -> Result<(), Error> {
    run_sync(call, paused)
}

#[test]
fn open_for_factor_override_sync() {
    installed();
    let paused = pause_sync_time();
    let name = "ovr-open_for_factor";
    assert_eq!(open_for_factor_sync(Call::Fail, &paused), Err(Error::Down));
    assert_eq!(
        open_for_factor_sync(Call::Succeed, &paused),
        Err(Error::Rejected(BreakerState::Open, Some(SECOND)))
    );
    paused.advance(SECOND);
    assert_eq!(
        open_for_factor_sync(Call::Fail, &paused),
        Err(Error::Down),
        "a failed probe"
    );
    assert_eq!(
        open_for_factor_sync(Call::Succeed, &paused),
        Err(Error::Rejected(BreakerState::Open, Some(3 * SECOND))),
        "the second trip in a row stays open 1 s x 3"
    );
    paused.advance(2500 * MS);
    assert!(is_rejected(
        &open_for_factor_sync(Call::Succeed, &paused),
        BreakerState::Open
    ));
    paused.advance(500 * MS);
    assert_eq!(open_for_factor_sync(Call::Succeed, &paused), Ok(()));
    assert_eq!(state_of(name), BreakerState::Closed);
    assert_eq!(breaker(name).unwrap().config().open_for_factor(), 3.0);
}

// ---------------------------------------------------------------------------------------------
// max_open_for: compiled open_for 1 s growing 10 times per trip (up to the default 300 s),
// overridden to 4 s: the second trip stays open 4 s, not 10 s.

#[circuit_breaker(
    name = "ovr-max_open_for",
    failure_threshold = 1,
    open_for = "1s",
    open_for_factor = 10
)]
async fn max_open_for_async(call: Call) -> Result<(), Error> {
    run_async(call).await
}

#[tokio::test(start_paused = true)]
async fn max_open_for_override_async() {
    installed();
    let name = "ovr-max_open_for";
    assert_eq!(max_open_for_async(Call::Fail).await, Err(Error::Down));
    tokio::time::sleep(SECOND).await;
    assert_eq!(
        max_open_for_async(Call::Fail).await,
        Err(Error::Down),
        "a failed probe"
    );
    assert_eq!(
        max_open_for_async(Call::Succeed).await,
        Err(Error::Rejected(BreakerState::Open, Some(4 * SECOND))),
        "1 s x 10, capped at max_open_for = 4s"
    );
    tokio::time::sleep(4 * SECOND).await;
    assert_eq!(max_open_for_async(Call::Succeed).await, Ok(()));
    assert_eq!(state_of(name), BreakerState::Closed);
    assert_eq!(breaker(name).unwrap().config().max_open_for(), 4 * SECOND);
}

// ---------------------------------------------------------------------------------------------
// half_open_calls: compiled 1 (one successful probe closes it), overridden to 3.

#[circuit_breaker(name = "ovr-half_open_calls", failure_threshold = 1, open_for = "1s")]
fn half_open_calls_sync(call: Call, paused: &PausedTime) -> Result<(), Error> {
    run_sync(call, paused)
}

#[test]
fn half_open_calls_override_sync() {
    installed();
    let paused = pause_sync_time();
    let name = "ovr-half_open_calls";
    assert_eq!(half_open_calls_sync(Call::Fail, &paused), Err(Error::Down));
    paused.advance(SECOND);
    assert_eq!(half_open_calls_sync(Call::Succeed, &paused), Ok(()));
    assert_eq!(
        state_of(name),
        BreakerState::HalfOpen,
        "1 probe of 3 succeeded"
    );
    assert_eq!(half_open_calls_sync(Call::Succeed, &paused), Ok(()));
    assert_eq!(
        state_of(name),
        BreakerState::HalfOpen,
        "2 probes of 3 succeeded"
    );
    assert_eq!(half_open_calls_sync(Call::Succeed, &paused), Ok(()));
    assert_eq!(state_of(name), BreakerState::Closed);
    assert_eq!(breaker(name).unwrap().counts().recovered, 1);
    assert_eq!(breaker(name).unwrap().config().half_open_calls(), 3);
}

// ---------------------------------------------------------------------------------------------
// half_open_timeout: compiled the default 60 s, overridden to 5 s: a probe that hangs for 5 s
// gives its slot back as a failure and the breaker opens again.

#[circuit_breaker(name = "ovr-half_open_timeout", failure_threshold = 1, open_for = "1s")]
async fn half_open_timeout_async(call: Call) -> Result<(), Error> {
    run_async(call).await
}

#[tokio::test(start_paused = true)]
async fn half_open_timeout_override_async() {
    installed();
    let name = "ovr-half_open_timeout";
    assert_eq!(half_open_timeout_async(Call::Fail).await, Err(Error::Down));
    tokio::time::sleep(SECOND).await;
    let hung = tokio::spawn(half_open_timeout_async(Call::Hang));
    for _ in 0..100 {
        if state_of(name) == BreakerState::HalfOpen {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(
        state_of(name),
        BreakerState::HalfOpen,
        "the hung call is the probe"
    );
    let rejected = half_open_timeout_async(Call::Succeed).await;
    assert!(
        is_rejected(&rejected, BreakerState::HalfOpen),
        "{rejected:?}"
    );
    tokio::time::sleep(5 * SECOND).await;
    let rejected = half_open_timeout_async(Call::Succeed).await;
    assert!(
        is_rejected(&rejected, BreakerState::Open),
        "after half_open_timeout = 5s the hung probe counts as failed: {rejected:?}"
    );
    assert_eq!(state_of(name), BreakerState::Open);
    assert_eq!(breaker(name).unwrap().counts().opened, 2);
    assert_eq!(
        breaker(name).unwrap().config().half_open_timeout(),
        5 * SECOND
    );
    hung.abort();
    let _ = hung.await;
}

// ---------------------------------------------------------------------------------------------
// Budgets: sites that name a budget and register none, so it starts from the defaults
// (share 0.2, min_per_second 10, cap 100, a reserve of 100 tokens). Retries take no time
// (`delay = "0ms"`), so the trickle only adds what the test's clock advances.

// share: overridden to 0.5. Drain the reserve, then 3 successful calls deposit 1.5 tokens (0.6
// with the default), and the next failing call, after its own deposit (2.0), retries twice.

#[retry(
    max_attempts = 200,
    delay = "0ms",
    jitter = "none",
    budget = "ovr-share-sync"
)]
fn share_sync(calls: &Cell<u32>, call: Call, paused: &PausedTime) -> Result<(), Error> {
    calls.set(calls.get() + 1);
    run_sync(call, paused)
}

#[retry(
    max_attempts = 200,
    delay = "0ms",
    jitter = "none",
    budget = "ovr-share-async"
)]
async fn share_async(calls: &Cell<u32>, call: Call) -> Result<(), Error> {
    calls.set(calls.get() + 1);
    run_async(call).await
}

#[test]
fn share_override_sync() {
    installed();
    let paused = pause_sync_time();
    let name = "ovr-share-sync";
    let calls = Cell::new(0);
    assert_eq!(share_sync(&calls, Call::Fail, &paused), Err(Error::Down));
    assert_eq!(
        calls.get(),
        101,
        "the reserve of 100 tokens pays 100 retries"
    );
    assert_eq!(budget(name).unwrap().counts().balance, 0.0);
    for _ in 0..3 {
        assert_eq!(share_sync(&calls, Call::Succeed, &paused), Ok(()));
    }
    assert_eq!(
        budget(name).unwrap().counts().balance,
        1.5,
        "3 calls x share 0.5"
    );
    calls.set(0);
    assert_eq!(share_sync(&calls, Call::Fail, &paused), Err(Error::Down));
    assert_eq!(calls.get(), 3, "2.0 tokens pay 2 retries");
    let counts = budget(name).unwrap().counts();
    assert_eq!((counts.calls, counts.retries, counts.refused), (5, 102, 2));
    assert_eq!(budget(name).unwrap().config().share, 0.5);
    assert_eq!(paused.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn share_override_async() {
    installed();
    let name = "ovr-share-async";
    let calls = Cell::new(0);
    assert_eq!(share_async(&calls, Call::Fail).await, Err(Error::Down));
    assert_eq!(
        calls.get(),
        101,
        "the reserve of 100 tokens pays 100 retries"
    );
    for _ in 0..3 {
        assert_eq!(share_async(&calls, Call::Succeed).await, Ok(()));
    }
    assert_eq!(
        budget(name).unwrap().counts().balance,
        1.5,
        "3 calls x share 0.5"
    );
    calls.set(0);
    assert_eq!(share_async(&calls, Call::Fail).await, Err(Error::Down));
    assert_eq!(calls.get(), 3, "2.0 tokens pay 2 retries");
    assert_eq!(budget(name).unwrap().config().share, 0.5);
}

// min_per_second: overridden to 0.3: the reserve is 3 tokens (10 s of it), not 100, and 10 s
// later the trickle has added 3 more.

#[retry(
    max_attempts = 10,
    delay = "0ms",
    jitter = "none",
    budget = "ovr-min_per_second-sync"
)]
fn min_per_second_sync(calls: &Cell<u32>) -> Result<(), Error> {
    calls.set(calls.get() + 1);
    Err(Error::Down)
}

#[retry(
    max_attempts = 10,
    delay = "0ms",
    jitter = "none",
    budget = "ovr-min_per_second-async"
)]
async fn min_per_second_async(calls: &Cell<u32>) -> Result<(), Error> {
    calls.set(calls.get() + 1);
    Err(Error::Down)
}

#[test]
fn min_per_second_override_sync() {
    installed();
    let paused = pause_sync_time();
    let name = "ovr-min_per_second-sync";
    let calls = Cell::new(0);
    assert_eq!(min_per_second_sync(&calls), Err(Error::Down));
    // 3 tokens of reserve plus the call's 0.2: 3 retries, then 0.2 left.
    assert_eq!(calls.get(), 4, "a reserve of 3 tokens, not 100");
    paused.advance(10 * SECOND);
    calls.set(0);
    assert_eq!(min_per_second_sync(&calls), Err(Error::Down));
    // 0.2 + 0.2 + 10 s x 0.3 = 3.4 tokens: 3 retries.
    assert_eq!(calls.get(), 4, "10 s x 0.3 per second");
    let counts = budget(name).unwrap().counts();
    assert_eq!((counts.retries, counts.refused), (6, 2));
    assert!((counts.balance - 0.4).abs() < 1e-9, "{}", counts.balance);
    assert_eq!(budget(name).unwrap().config().min_per_second, 0.3);
}

#[tokio::test(start_paused = true)]
async fn min_per_second_override_async() {
    installed();
    let name = "ovr-min_per_second-async";
    let calls = Cell::new(0);
    assert_eq!(min_per_second_async(&calls).await, Err(Error::Down));
    assert_eq!(calls.get(), 4, "a reserve of 3 tokens, not 100");
    // A little more than 10 s: the budget's origin is read from the real clock, the trickle
    // from tokio's paused one, which may stand a few microseconds behind it.
    tokio::time::sleep(10 * SECOND + 100 * MS).await;
    calls.set(0);
    assert_eq!(min_per_second_async(&calls).await, Err(Error::Down));
    assert_eq!(calls.get(), 4, "10 s x 0.3 per second");
    assert_eq!(budget(name).unwrap().config().min_per_second, 0.3);
}

// cap: overridden to 3: the reserve is capped at 3 tokens, and so is what a minute of trickle
// (600 tokens at 10 per second) leaves in the bucket.

#[retry(
    max_attempts = 10,
    delay = "0ms",
    jitter = "none",
    budget = "ovr-cap-sync"
)]
fn cap_sync(calls: &Cell<u32>) -> Result<(), Error> {
    calls.set(calls.get() + 1);
    Err(Error::Down)
}

#[retry(
    max_attempts = 10,
    delay = "0ms",
    jitter = "none",
    budget = "ovr-cap-async"
)]
async fn cap_async(calls: &Cell<u32>) -> Result<(), Error> {
    calls.set(calls.get() + 1);
    Err(Error::Down)
}

#[test]
fn cap_override_sync() {
    installed();
    let paused = pause_sync_time();
    let name = "ovr-cap-sync";
    let calls = Cell::new(0);
    assert_eq!(cap_sync(&calls), Err(Error::Down));
    assert_eq!(calls.get(), 4, "3 tokens, not 100: 3 retries");
    paused.advance(60 * SECOND);
    calls.set(0);
    assert_eq!(cap_sync(&calls), Err(Error::Down));
    assert_eq!(calls.get(), 4, "a minute of trickle, capped at 3");
    let counts = budget(name).unwrap().counts();
    assert_eq!((counts.retries, counts.refused), (6, 2));
    assert_eq!(budget(name).unwrap().config().cap, 3.0);
}

#[tokio::test(start_paused = true)]
async fn cap_override_async() {
    installed();
    let name = "ovr-cap-async";
    let calls = Cell::new(0);
    assert_eq!(cap_async(&calls).await, Err(Error::Down));
    assert_eq!(calls.get(), 4, "3 tokens, not 100: 3 retries");
    tokio::time::sleep(60 * SECOND).await;
    calls.set(0);
    assert_eq!(cap_async(&calls).await, Err(Error::Down));
    assert_eq!(calls.get(), 4, "a minute of trickle, capped at 3");
    assert_eq!(budget(name).unwrap().config().cap, 3.0);
}

// ---------------------------------------------------------------------------------------------
// Every override named a breaker or budget: run every site once in a scope of names of its
// own (so the process-wide breakers and budgets the other tests use are untouched), then no
// name is unmatched. This does not depend on the other tests having run.

#[tokio::test(start_paused = true)]
async fn every_override_matches_a_breaker_or_budget() {
    installed();
    let _scope = retry_runtime::testing::scope();
    {
        let paused = pause_sync_time();
        let calls = Cell::new(0);
        let _ = failure_threshold_sync(Call::Succeed, &paused);
        let _ = failure_rate_sync(Call::Succeed, &paused);
        let _ = min_calls_sync(Call::Succeed, &paused);
        let _ = slow_call_sync(Call::Succeed, &paused);
        let _ = open_for_sync(Call::Succeed, &paused);
        let _ = open_for_factor_sync(Call::Succeed, &paused);
        let _ = half_open_calls_sync(Call::Succeed, &paused);
        let _ = share_sync(&calls, Call::Succeed, &paused);
        let _ = min_per_second_sync(&calls);
        let _ = cap_sync(&calls);
    }
    let calls = Cell::new(0);
    let _ = failure_threshold_async(Call::Succeed).await;
    let _ = window_async(Call::Succeed).await;
    let _ = slow_call_async(Call::Succeed).await;
    let _ = slow_call_rate_async(Call::Succeed).await;
    let _ = open_for_async(Call::Succeed).await;
    let _ = max_open_for_async(Call::Succeed).await;
    let _ = half_open_timeout_async(Call::Succeed).await;
    let _ = share_async(&calls, Call::Succeed).await;
    let _ = min_per_second_async(&calls).await;
    let _ = cap_async(&calls).await;
    assert_eq!(crate::unmatched_of(OVERRIDES), Vec::<String>::new());
}
