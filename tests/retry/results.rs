//! Results, not only errors: `on_result` retries (or counts against a breaker) values that are
//! failures, on `Result` fns and on fns returning any other type; `recover` answers what did not
//! succeed, with the fn's arguments and the cause; `config = path` names a breaker's settings.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use retry_runtime::testing::pause_sync_time;
use retry_runtime::{
    BreakerConfig, BreakerState, CircuitOpen, Failure, breaker, circuit_breaker, retry,
};

#[derive(Debug, PartialEq)]
enum StockError {
    Down,
    Invalid,
    Rejected(CircuitOpen),
}

impl From<CircuitOpen> for StockError {
    fn from(open: CircuitOpen) -> Self {
        StockError::Rejected(open)
    }
}

/// A reply that is not ready yet is a failure worth retrying.
#[derive(Debug, PartialEq)]
struct Reply {
    ready: bool,
    stock: u32,
}

fn not_ready(reply: &Reply) -> bool {
    !reply.ready
}

fn next_reply(calls: &Cell<u32>, ready_at: u32) -> Reply {
    calls.set(calls.get() + 1);
    Reply {
        ready: calls.get() >= ready_at,
        stock: calls.get(),
    }
}

#[retry(max_attempts = 4, delay = "10ms", jitter = "none", on_result = not_ready)]
fn stock(calls: &Cell<u32>, ready_at: u32) -> Result<Reply, StockError> {
    Ok(next_reply(calls, ready_at))
}

#[test]
fn a_value_on_result_calls_a_failure_is_retried_like_an_error() {
    let paused = pause_sync_time();
    let calls = Cell::new(0);
    assert_eq!(
        stock(&calls, 3),
        Ok(Reply {
            ready: true,
            stock: 3
        })
    );
    assert_eq!(paused.elapsed(), Duration::from_millis(10 + 20));
    // Exhausted: the last value comes back as it is.
    let calls = Cell::new(0);
    assert_eq!(
        stock(&calls, 100),
        Ok(Reply {
            ready: false,
            stock: 4
        })
    );
}

#[retry(max_attempts = 4, delay = "10ms", jitter = "none", on = [Down], on_result = not_ready)]
async fn stock_async(
    calls: &Cell<u32>,
    script: &[Result<bool, StockError>],
) -> Result<Reply, StockError> {
    tokio::task::yield_now().await;
    calls.set(calls.get() + 1);
    match &script[calls.get() as usize - 1] {
        Ok(ready) => Ok(Reply {
            ready: *ready,
            stock: calls.get(),
        }),
        Err(StockError::Down) => Err(StockError::Down),
        Err(_) => Err(StockError::Invalid),
    }
}

#[tokio::test(start_paused = true)]
async fn async_errors_are_still_chosen_by_on_and_values_by_on_result() {
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    let script = [Err(StockError::Down), Ok(false), Ok(true)];
    assert_eq!(stock_async(&calls, &script).await.unwrap().stock, 3);
    assert_eq!(start.elapsed(), Duration::from_millis(30));
    // An error `on` does not select is returned at once, even with `on_result`.
    let calls = Cell::new(0);
    let script = [Ok(false), Err(StockError::Invalid), Ok(true)];
    assert_eq!(stock_async(&calls, &script).await, Err(StockError::Invalid));
    assert_eq!(calls.get(), 2);
}

// `on_retry` is called before every sleep, a value's retry as much as an error's. With
// `on_result` it is given the outcome being retried (`&Result<T, E>`, or `&T` for a fn that
// returns values), since a failing value has no error.
thread_local! {
    static RETRIED: std::cell::RefCell<Vec<(String, u32, Duration)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

fn note_retry(outcome: &Result<Reply, StockError>, attempt: u32, delay: Duration) {
    let what = match outcome {
        Ok(reply) => format!("value {}", reply.stock),
        Err(error) => format!("error {error:?}"),
    };
    RETRIED.with(|retried| retried.borrow_mut().push((what, attempt, delay)));
}

fn note_value_retry(value: &Option<u32>, attempt: u32, delay: Duration) {
    RETRIED.with(|retried| {
        retried
            .borrow_mut()
            .push((format!("{value:?}"), attempt, delay))
    });
}

fn take_retries() -> Vec<(String, u32, Duration)> {
    RETRIED.with(|retried| retried.take())
}

#[retry(max_attempts = 5, delay = "10ms", jitter = "none", backoff = "fixed", on = [Down], on_result = not_ready, on_retry = note_retry)]
fn scripted(calls: &Cell<u32>, script: &[Result<bool, StockError>]) -> Result<Reply, StockError> {
    calls.set(calls.get() + 1);
    match &script[calls.get() as usize - 1] {
        Ok(ready) => Ok(Reply {
            ready: *ready,
            stock: calls.get(),
        }),
        Err(_) => Err(StockError::Down),
    }
}

#[retry(max_attempts = 5, delay = "10ms", jitter = "none", backoff = "fixed", on = [Down], on_result = not_ready, on_retry = note_retry)]
async fn scripted_async(
    calls: &Cell<u32>,
    script: &[Result<bool, StockError>],
) -> Result<Reply, StockError> {
    tokio::task::yield_now().await;
    calls.set(calls.get() + 1);
    match &script[calls.get() as usize - 1] {
        Ok(ready) => Ok(Reply {
            ready: *ready,
            stock: calls.get(),
        }),
        Err(_) => Err(StockError::Down),
    }
}

#[retry(max_attempts = 3, delay = "10ms", jitter = "none", backoff = "fixed", on_result = Option::is_none, on_retry = note_value_retry)]
fn find_noted(calls: &Cell<u32>) -> Option<u32> {
    calls.set(calls.get() + 1);
    None
}

#[tokio::test(start_paused = true)]
async fn on_retry_is_called_before_every_sleep_values_included() {
    let _paused = pause_sync_time();
    let ms = Duration::from_millis;
    // Two errors and one failing value, then a success: three retries, three calls.
    let script = [
        Err(StockError::Down),
        Ok(false),
        Err(StockError::Down),
        Ok(true),
    ];
    let expected = vec![
        ("error Down".to_owned(), 1, ms(10)),
        ("value 2".to_owned(), 2, ms(10)),
        ("error Down".to_owned(), 3, ms(10)),
    ];
    let calls = Cell::new(0);
    assert_eq!(scripted(&calls, &script).unwrap().stock, 4);
    assert_eq!(take_retries(), expected, "sync");
    let calls = Cell::new(0);
    assert_eq!(scripted_async(&calls, &script).await.unwrap().stock, 4);
    assert_eq!(take_retries(), expected, "async");
    // A fn that returns values: called before each of its two sleeps, not after the last try.
    let calls = Cell::new(0);
    assert_eq!(find_noted(&calls), None);
    assert_eq!(
        take_retries(),
        vec![
            ("None".to_owned(), 1, ms(10)),
            ("None".to_owned(), 2, ms(10))
        ]
    );
}

#[retry(max_attempts = 3, delay = "1ms", on_result = Option::is_none)]
fn find(calls: &Cell<u32>, found_at: u32) -> Option<u32> {
    calls.set(calls.get() + 1);
    (calls.get() >= found_at).then_some(calls.get())
}

fn is_false(value: &bool) -> bool {
    !*value
}

#[retry(max_attempts = 5, delay = "1ms", on_result = is_false)]
async fn try_lock(calls: &AtomicU32) -> bool {
    calls.fetch_add(1, Ordering::Relaxed) >= 2
}

#[tokio::test(start_paused = true)]
async fn fns_that_do_not_return_a_result_retry_on_their_values() {
    let _paused = pause_sync_time();
    let calls = Cell::new(0);
    assert_eq!(find(&calls, 2), Some(2));
    let calls = Cell::new(0);
    assert_eq!(find(&calls, 10), None, "the last value, as it is");
    assert_eq!(calls.get(), 3);
    let calls = AtomicU32::new(0);
    assert!(try_lock(&calls).await);
    assert_eq!(calls.load(Ordering::Relaxed), 3);
}

fn from_cache(
    item: &str,
    calls: &Cell<u32>,
    cause: Failure<StockError>,
) -> Result<u32, StockError> {
    calls.set(calls.get() + 100);
    match cause {
        Failure::Failed(StockError::Down) => Ok(u32::try_from(item.len()).unwrap()),
        Failure::Failed(other) => Err(other),
        _ => Ok(0),
    }
}

#[retry(max_attempts = 2, delay = "1ms", recover = from_cache)]
fn price(item: &str, calls: &Cell<u32>) -> Result<u32, StockError> {
    calls.set(calls.get() + 1);
    Err(StockError::Down)
}

/// In an async fn, `recover` is an async fn too, and is awaited.
async fn from_cache_async(
    item: &str,
    calls: &Cell<u32>,
    cause: Failure<StockError>,
) -> Result<u32, StockError> {
    tokio::task::yield_now().await;
    from_cache(item, calls, cause)
}

#[retry(max_attempts = 2, delay = "1ms", recover = from_cache_async)]
async fn price_async(item: &str, calls: &Cell<u32>) -> Result<u32, StockError> {
    calls.set(calls.get() + 1);
    Err(StockError::Down)
}

#[tokio::test(start_paused = true)]
async fn recover_is_called_once_after_the_last_attempt_with_the_last_error() {
    let _paused = pause_sync_time();
    let calls = Cell::new(0);
    // `recover` is called with the fn's arguments, then the cause.
    assert_eq!(price("tea", &calls), Ok(3));
    assert_eq!(calls.get(), 2 + 100, "two attempts, then recover once");
    let calls = Cell::new(0);
    assert_eq!(price_async("coffee", &calls).await, Ok(6));
    assert_eq!(calls.get(), 2 + 100);
}

// Breakers.

#[circuit_breaker(name = "results-values", failure_threshold = 2, open_for = "1s", on_result = not_ready)]
fn guarded_reply(calls: &Cell<u32>, ready_at: u32) -> Result<Reply, StockError> {
    Ok(next_reply(calls, ready_at))
}

#[test]
fn a_breaker_counts_failing_values_and_returns_them_as_they_are() {
    let _paused = pause_sync_time();
    let calls = Cell::new(0);
    let first = guarded_reply(&calls, 100).unwrap();
    assert!(!first.ready, "returned as it is");
    let _ = guarded_reply(&calls, 100);
    let handle = breaker("results-values").unwrap();
    assert_eq!(handle.counts().failed, 2);
    assert_eq!(handle.state(), BreakerState::Open);
    assert!(matches!(
        guarded_reply(&calls, 0),
        Err(StockError::Rejected(_))
    ));
}

async fn cached_quote(
    item: &str,
    _fail: bool,
    cause: Failure<StockError>,
) -> Result<u32, StockError> {
    match cause {
        Failure::Rejected(open) => {
            assert_eq!(open.name, "results-recover");
            Ok(u32::try_from(item.len()).unwrap())
        }
        Failure::Failed(error) => Err(error),
        _ => unreachable!(),
    }
}

#[circuit_breaker(name = "results-recover", failure_threshold = 1, open_for = "1s", recover = cached_quote)]
async fn quote(item: &str, fail: bool) -> Result<u32, StockError> {
    if fail { Err(StockError::Down) } else { Ok(1) }
}

#[tokio::test(start_paused = true)]
async fn recover_sees_failures_and_rejections_and_calls_are_still_counted() {
    assert_eq!(
        quote("tea", true).await,
        Err(StockError::Down),
        "recover gave the error back"
    );
    assert_eq!(quote("tea", false).await, Ok(3), "rejected: recovered");
    let counts = breaker("results-recover").unwrap().counts();
    assert_eq!((counts.failed, counts.rejected), (1, 1));
}

fn closed_sign(_text: &'static str) -> &'static str {
    "closed"
}

fn is_empty(text: &&'static str) -> bool {
    text.is_empty()
}

#[circuit_breaker(name = "results-plain", failure_threshold = 1, open_for = "1s", on_result = is_empty, fallback = closed_sign)]
fn sign(text: &'static str) -> &'static str {
    text
}

#[test]
fn a_breaker_on_a_fn_without_result_counts_values_and_answers_with_its_fallback() {
    let _paused = pause_sync_time();
    assert_eq!(sign("open"), "open");
    assert_eq!(sign(""), "", "a failure, returned as it is");
    assert_eq!(sign("open"), "closed", "rejected: the fallback answers");
    let counts = breaker("results-plain").unwrap().counts();
    assert_eq!(
        (counts.successful, counts.failed, counts.rejected),
        (1, 1, 1)
    );
}

const PAYMENTS: BreakerConfig = BreakerConfig::builder()
    .failure_threshold(3)
    .open_for(Duration::from_secs(7))
    .build_const();

#[circuit_breaker(name = "results-config-a", config = PAYMENTS)]
fn charge(fail: bool) -> Result<(), StockError> {
    if fail { Err(StockError::Down) } else { Ok(()) }
}

#[circuit_breaker(name = "results-config-b", config = PAYMENTS)]
fn refund(fail: bool) -> Result<(), StockError> {
    if fail { Err(StockError::Down) } else { Ok(()) }
}

#[test]
fn config_names_shared_settings_and_name_still_decides_the_breaker() {
    let _paused = pause_sync_time();
    for _ in 0..3 {
        let _ = charge(true);
    }
    let a = breaker("results-config-a").unwrap();
    assert_eq!(*a.config(), PAYMENTS);
    assert_eq!(a.state(), BreakerState::Open);
    let Err(StockError::Rejected(open)) = charge(false) else {
        panic!("rejected");
    };
    assert_eq!(open.retry_after, Some(Duration::from_secs(7)));
    // Same config, another name: another breaker, still closed.
    assert_eq!(refund(false), Ok(()));
    assert_eq!(
        breaker("results-config-b").unwrap().state(),
        BreakerState::Closed
    );
}

#[circuit_breaker(name = "results-shared", failure_rate = 0.5, window = 4, min_calls = 4)]
fn configured(fail: bool) -> Result<(), StockError> {
    if fail { Err(StockError::Down) } else { Ok(()) }
}

#[circuit_breaker(name = "results-shared")]
fn keyless(fail: bool) -> Result<(), StockError> {
    if fail { Err(StockError::Down) } else { Ok(()) }
}

#[test]
fn a_site_without_settings_uses_the_breaker_another_site_configured() {
    let _paused = pause_sync_time();
    let _ = configured(false);
    // The keyless site takes the breaker as it is: a 50% rate over 4 calls, not 5 in a row.
    let _ = keyless(true);
    let _ = keyless(false);
    let _ = keyless(true);
    let handle = breaker("results-shared").unwrap();
    assert_eq!(handle.config().failure_rate(), Some(0.5));
    assert_eq!(handle.state(), BreakerState::Open);
}

#[derive(Debug, PartialEq)]
enum SlowError {
    Down,
    TooSlow(retry_runtime::CallTimeout),
    Rejected,
}

impl From<CircuitOpen> for SlowError {
    fn from(_: CircuitOpen) -> Self {
        SlowError::Rejected
    }
}

impl From<retry_runtime::CallTimeout> for SlowError {
    fn from(timeout: retry_runtime::CallTimeout) -> Self {
        SlowError::TooSlow(timeout)
    }
}

#[circuit_breaker(name = "results-timeout", failure_threshold = 2, open_for = "1s", on = [Down], call_timeout = "2s")]
async fn slow_query(seconds: u64) -> Result<u32, SlowError> {
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    Ok(1)
}

#[tokio::test(start_paused = true)]
async fn call_timeout_cuts_a_call_off_and_counts_it_as_a_failure_whatever_on_says() {
    let start = tokio::time::Instant::now();
    let Err(SlowError::TooSlow(timeout)) = slow_query(10).await else {
        panic!("cut off");
    };
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(
        (timeout.name, timeout.timeout),
        ("results-timeout", Duration::from_secs(2))
    );
    assert_eq!(slow_query(1).await, Ok(1));
    let _ = slow_query(10).await;
    let _ = slow_query(10).await;
    let handle = breaker("results-timeout").unwrap();
    assert_eq!(handle.counts().failed, 3);
    assert_eq!(handle.state(), BreakerState::Open);
    assert_eq!(slow_query(0).await, Err(SlowError::Rejected));
}

async fn timed_out_answer(_seconds: u64, cause: Failure<SlowError>) -> Result<u32, SlowError> {
    match cause {
        Failure::TimedOut(timeout) => Ok(u32::try_from(timeout.timeout.as_secs()).unwrap()),
        Failure::Failed(error) => Err(error),
        _ => Err(SlowError::Rejected),
    }
}

#[circuit_breaker(name = "results-timeout-recover", call_timeout = "3s", recover = timed_out_answer)]
async fn slow_with_recover(seconds: u64) -> Result<u32, SlowError> {
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    Err(SlowError::Down)
}

#[tokio::test(start_paused = true)]
async fn recover_gets_a_timed_out_call_as_failure_timed_out() {
    assert_eq!(slow_with_recover(60).await, Ok(3));
    assert_eq!(slow_with_recover(1).await, Err(SlowError::Down));
    assert_eq!(
        breaker("results-timeout-recover").unwrap().counts().failed,
        2
    );
}
