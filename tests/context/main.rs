//! The call context (spec section 11): the attempt a body runs in, and deadlines that flow into
//! nested calls, through the attributes as users write them, sync and async, in virtual time.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use retry_runtime::hooks::{Event, install_hook};
use retry_runtime::{
    AttemptTimeout, BulkheadFull, CallTimeout, CircuitOpen, DeadlineExceeded, StopReason, bulkhead,
    circuit_breaker, context, hedge, retry, testing,
};

#[derive(Debug, PartialEq)]
enum ApiError {
    Busy,
    TimedOut,
    TooLate(&'static str),
    Full,
}

impl From<AttemptTimeout> for ApiError {
    fn from(_: AttemptTimeout) -> Self {
        ApiError::TimedOut
    }
}

impl From<CallTimeout> for ApiError {
    fn from(_: CallTimeout) -> Self {
        ApiError::TimedOut
    }
}

impl From<DeadlineExceeded> for ApiError {
    fn from(late: DeadlineExceeded) -> Self {
        ApiError::TooLate(late.name)
    }
}

impl From<CircuitOpen> for ApiError {
    fn from(_: CircuitOpen) -> Self {
        ApiError::Full
    }
}

impl From<BulkheadFull> for ApiError {
    fn from(_: BulkheadFull) -> Self {
        ApiError::Full
    }
}

/// What a body saw of its context.
type Seen = Mutex<Vec<(u32, Option<u32>, bool)>>;

fn note(seen: &Seen) {
    seen.lock().unwrap().push((
        context::attempt(),
        context::max_attempts(),
        context::is_hedge(),
    ));
}

#[retry(max_attempts = 3, delay = "0ms")]
fn sync_flaky(seen: &Seen) -> Result<u32, ApiError> {
    note(seen);
    if context::attempt() < 3 {
        Err(ApiError::Busy)
    } else {
        Ok(context::attempt())
    }
}

#[test]
fn a_sync_body_sees_its_attempt_and_the_maximum() {
    let seen = Seen::default();
    assert_eq!(sync_flaky(&seen), Ok(3));
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (1, Some(3), false),
            (2, Some(3), false),
            (3, Some(3), false)
        ]
    );
    // Outside any call, and after one: attempt 1, nothing else.
    assert_eq!(
        (
            context::attempt(),
            context::max_attempts(),
            context::is_hedge()
        ),
        (1, None, false)
    );
}

#[retry(max_attempts = 4, delay = "10ms", backoff = "fixed", jitter = "none")]
async fn async_flaky(seen: &Seen) -> Result<u32, ApiError> {
    // Read after an `.await`: the context follows the task, not the first poll.
    tokio::time::sleep(Duration::from_millis(5)).await;
    note(seen);
    if context::attempt() < 4 {
        Err(ApiError::Busy)
    } else {
        Ok(context::attempt())
    }
}

#[tokio::test(start_paused = true)]
async fn an_async_body_sees_its_attempt_across_awaits() {
    let seen = Seen::default();
    assert_eq!(async_flaky(&seen).await, Ok(4));
    let attempts: Vec<u32> = seen.lock().unwrap().iter().map(|seen| seen.0).collect();
    assert_eq!(attempts, [1, 2, 3, 4]);
    assert!(seen.lock().unwrap().iter().all(|seen| seen.1 == Some(4)));
    assert_eq!(context::attempt(), 1);
}

#[tokio::test(start_paused = true)]
async fn two_tasks_on_one_thread_keep_their_own_attempts() {
    let (first, second) = (Seen::default(), Seen::default());
    let (a, b) = tokio::join!(async_flaky(&first), async_flaky(&second));
    assert_eq!((a, b), (Ok(4), Ok(4)));
    for seen in [first, second] {
        let attempts: Vec<u32> = seen.into_inner().unwrap().iter().map(|s| s.0).collect();
        assert_eq!(attempts, [1, 2, 3, 4]);
    }
}

/// The first attempt hangs for a second; each hedge answers after 10 ms.
#[hedge(after = "50ms", max_hedges = 2)]
async fn hedged(seen: &Seen) -> Result<u32, ApiError> {
    let hedge = context::is_hedge();
    tokio::time::sleep(if hedge {
        Duration::from_millis(10)
    } else {
        Duration::from_secs(1)
    })
    .await;
    note(seen);
    Ok(context::attempt())
}

#[tokio::test(start_paused = true)]
async fn hedged_attempts_each_see_their_own_number_and_that_they_are_hedges() {
    let seen = Seen::default();
    assert_eq!(hedged(&seen).await, Ok(2));
    assert_eq!(*seen.lock().unwrap(), [(2, Some(3), true)]);
}

static NESTED_CALLS: AtomicU32 = AtomicU32::new(0);

#[retry(
    max_attempts = 100,
    delay = "100ms",
    backoff = "fixed",
    jitter = "none"
)]
async fn inner_async() -> Result<(), ApiError> {
    NESTED_CALLS.fetch_add(1, Ordering::Relaxed);
    Err(ApiError::Busy)
}

fn stop_reasons() -> (Arc<Mutex<Vec<StopReason>>>, retry_runtime::hooks::HookGuard) {
    let reasons = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&reasons);
    let guard = install_hook(move |event: &Event<'_>| {
        if let Event::Exhausted { reason, .. } = event {
            sink.lock().unwrap().push(*reason);
        }
    });
    (reasons, guard)
}

#[tokio::test(start_paused = true)]
async fn a_nested_retry_stops_when_the_outer_deadline_is_spent() {
    let (reasons, _guard) = stop_reasons();
    NESTED_CALLS.store(0, Ordering::Relaxed);
    let start = tokio::time::Instant::now();
    let result = context::with_deadline(Duration::from_millis(350), inner_async()).await;
    assert_eq!(result, Err(ApiError::Busy));
    // Attempts at 0, 100, 200 and 300 ms; the next wait would end past 350 ms.
    assert_eq!(NESTED_CALLS.load(Ordering::Relaxed), 4);
    assert_eq!(start.elapsed(), Duration::from_millis(300));
    assert!(
        reasons
            .lock()
            .unwrap()
            .contains(&StopReason::DeadlineExceeded)
    );
}

/// An outer retry whose `max_elapsed` is a deadline for the calls its attempts make.
#[retry(max_attempts = 2, max_elapsed = "250ms", delay = "0ms")]
async fn outer_async() -> Result<(), ApiError> {
    inner_async().await
}

#[tokio::test(start_paused = true)]
async fn an_outer_max_elapsed_is_a_deadline_for_nested_calls() {
    NESTED_CALLS.store(0, Ordering::Relaxed);
    let start = tokio::time::Instant::now();
    assert_eq!(outer_async().await, Err(ApiError::Busy));
    // The inner loop runs at 0, 100 and 200 ms, and stops: 300 ms would be past 250 ms. The
    // outer loop's second attempt (at once, 50 ms left) calls it once more at 200 ms.
    assert_eq!(NESTED_CALLS.load(Ordering::Relaxed), 4);
    assert_eq!(start.elapsed(), Duration::from_millis(200));
    assert_eq!(context::remaining(), None);
}

static REFUSED_CALLS: AtomicU32 = AtomicU32::new(0);

#[retry(
    max_attempts = 3,
    delay = "0ms",
    deadline = "refuse",
    name = "refusing"
)]
async fn refusing() -> Result<(), ApiError> {
    REFUSED_CALLS.fetch_add(1, Ordering::Relaxed);
    Err(ApiError::Busy)
}

static LATE_CALLS: AtomicU32 = AtomicU32::new(0);

#[retry(max_attempts = 3, delay = "0ms")]
async fn not_refusing() -> Result<(), ApiError> {
    LATE_CALLS.fetch_add(1, Ordering::Relaxed);
    Err(ApiError::Busy)
}

#[tokio::test(start_paused = true)]
async fn a_spent_deadline_refuses_with_the_key_and_runs_once_without_it() {
    let spent = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        (refusing().await, not_refusing().await)
    };
    let (refused, late) = context::with_deadline(Duration::from_millis(10), spent).await;
    assert_eq!(refused, Err(ApiError::TooLate("refusing")));
    assert_eq!(REFUSED_CALLS.load(Ordering::Relaxed), 0);
    assert_eq!(late, Err(ApiError::Busy));
    assert_eq!(LATE_CALLS.load(Ordering::Relaxed), 1);
    // With time left, the key changes nothing.
    let result = context::with_deadline(Duration::from_secs(1), refusing()).await;
    assert_eq!(result, Err(ApiError::Busy));
    assert_eq!(REFUSED_CALLS.load(Ordering::Relaxed), 3);
}

#[retry(max_attempts = 3, delay = "0ms", deadline = "refuse")]
fn refusing_sync(calls: &mut u32) -> Result<(), ApiError> {
    *calls += 1;
    Err(ApiError::Busy)
}

#[test]
fn a_sync_spent_deadline_refuses_in_paused_time() {
    let paused = testing::pause_sync_time();
    let mut calls = 0;
    let result = context::with_deadline_sync(Duration::from_millis(10), || {
        paused.advance(Duration::from_millis(10));
        refusing_sync(&mut calls)
    });
    assert!(matches!(result, Err(ApiError::TooLate(_))));
    assert_eq!(calls, 0);
}

#[retry(
    max_attempts = 100,
    delay = "100ms",
    backoff = "fixed",
    jitter = "none"
)]
fn inner_sync(calls: &mut u32) -> Result<(), ApiError> {
    *calls += 1;
    Err(ApiError::Busy)
}

#[retry(max_attempts = 2, max_elapsed = "250ms", delay = "0ms")]
fn outer_sync(calls: &mut u32) -> Result<(), ApiError> {
    inner_sync(calls)
}

#[test]
fn sync_deadlines_flow_into_nested_calls_in_paused_time() {
    let paused = testing::pause_sync_time();
    let mut calls = 0;
    let result = context::with_deadline_sync(Duration::from_millis(350), || inner_sync(&mut calls));
    assert_eq!(result, Err(ApiError::Busy));
    assert_eq!(calls, 4);
    assert_eq!(paused.elapsed(), Duration::from_millis(300));

    let before = paused.elapsed();
    let mut calls = 0;
    assert_eq!(outer_sync(&mut calls), Err(ApiError::Busy));
    assert_eq!(calls, 4);
    assert_eq!(paused.elapsed() - before, Duration::from_millis(200));
}

#[retry(max_attempts = 1, attempt_timeout = "10s")]
async fn slow_attempt() -> Result<(), ApiError> {
    tokio::time::sleep(Duration::from_secs(5)).await;
    Ok(())
}

#[circuit_breaker(name = "context-call-timeout", call_timeout = "10s")]
async fn slow_call() -> Result<(), ApiError> {
    tokio::time::sleep(Duration::from_secs(5)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn timeouts_are_cut_to_the_time_left() {
    let _scope = testing::scope();
    let start = tokio::time::Instant::now();
    let result = context::with_deadline(Duration::from_millis(100), slow_attempt()).await;
    assert_eq!(result, Err(ApiError::TimedOut));
    assert_eq!(start.elapsed(), Duration::from_millis(100));

    let start = tokio::time::Instant::now();
    let result = context::with_deadline(Duration::from_millis(70), slow_call()).await;
    assert_eq!(result, Err(ApiError::TimedOut));
    assert_eq!(start.elapsed(), Duration::from_millis(70));
}

#[bulkhead(name = "context-bulkhead", max_concurrent = 1, max_wait = "10s")]
async fn one_at_a_time(hold: Duration) -> Result<(), ApiError> {
    tokio::time::sleep(hold).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_bulkhead_wait_ends_at_the_deadline() {
    let _scope = testing::scope();
    let start = tokio::time::Instant::now();
    let holder = one_at_a_time(Duration::from_secs(60));
    let waiter = context::with_deadline(
        Duration::from_millis(40),
        one_at_a_time(Duration::from_millis(1)),
    );
    tokio::select! {
        biased;
        _ = holder => panic!("the holder runs for a minute"),
        result = waiter => {
            assert_eq!(result, Err(ApiError::Full));
            assert_eq!(start.elapsed(), Duration::from_millis(40));
        }
    }
}

#[tokio::test(start_paused = true)]
async fn remaining_follows_paused_time_and_nested_deadlines_only_shorten() {
    let outer = context::with_deadline(Duration::from_millis(300), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let left = context::remaining();
        let nested =
            context::with_deadline(Duration::from_secs(60), async { context::remaining() }).await;
        (left, nested)
    })
    .await;
    assert_eq!(
        outer,
        (
            Some(Duration::from_millis(200)),
            Some(Duration::from_millis(200))
        )
    );
    assert_eq!(context::remaining(), None);
}

static GUARDED_RUNS: AtomicU32 = AtomicU32::new(0);

#[circuit_breaker(name = "context-refusing-breaker", deadline = "refuse")]
fn refusing_breaker() -> Result<(), ApiError> {
    GUARDED_RUNS.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

#[bulkhead(name = "context-refusing-bulkhead", deadline = "refuse")]
async fn refusing_bulkhead() -> Result<(), ApiError> {
    GUARDED_RUNS.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

#[retry_runtime::rate_limit(
    name = "context-refusing-limiter",
    per_second = 10,
    deadline = "refuse"
)]
fn refusing_limiter() -> Result<(), ApiError> {
    GUARDED_RUNS.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

impl From<retry_runtime::RateLimited> for ApiError {
    fn from(_: retry_runtime::RateLimited) -> Self {
        ApiError::Full
    }
}

#[tokio::test(start_paused = true)]
async fn every_attribute_refuses_a_spent_deadline_with_the_key() {
    let _scope = testing::scope();
    GUARDED_RUNS.store(0, Ordering::Relaxed);
    // With time left, each runs its body.
    let answers = context::with_deadline(Duration::from_secs(1), async {
        (
            refusing_breaker(),
            refusing_bulkhead().await,
            refusing_limiter(),
        )
    })
    .await;
    assert_eq!(answers, (Ok(()), Ok(()), Ok(())));
    assert_eq!(GUARDED_RUNS.load(Ordering::Relaxed), 3);
    // With none, none does, and the breaker does not count the refusal against the dependency.
    let answers = context::with_deadline(Duration::ZERO, async {
        (
            refusing_breaker(),
            refusing_bulkhead().await,
            refusing_limiter(),
        )
    })
    .await;
    assert_eq!(GUARDED_RUNS.load(Ordering::Relaxed), 3);
    assert_eq!(
        answers,
        (
            Err(ApiError::TooLate("context-refusing-breaker")),
            Err(ApiError::TooLate("context-refusing-bulkhead")),
            Err(ApiError::TooLate("context-refusing-limiter"))
        )
    );
    let counts = retry_runtime::breaker("context-refusing-breaker")
        .unwrap()
        .counts();
    assert_eq!((counts.successful, counts.failed), (1, 0));
}

static LATER_GUARDED_RUNS: AtomicU32 = AtomicU32::new(0);

#[hedge(after = "10ms", deadline = "refuse", name = "context-refusing-hedge")]
async fn refusing_hedge() -> Result<(), ApiError> {
    LATER_GUARDED_RUNS.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

#[retry_runtime::throttle(name = "context-refusing-throttle", deadline = "refuse")]
fn refusing_throttle() -> Result<(), ApiError> {
    LATER_GUARDED_RUNS.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

#[retry_runtime::adaptive_limit(name = "context-refusing-limit", deadline = "refuse")]
async fn refusing_adaptive() -> Result<(), ApiError> {
    LATER_GUARDED_RUNS.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

impl From<retry_runtime::Throttled> for ApiError {
    fn from(_: retry_runtime::Throttled) -> Self {
        ApiError::Full
    }
}

impl From<retry_runtime::LimitExceeded> for ApiError {
    fn from(_: retry_runtime::LimitExceeded) -> Self {
        ApiError::Full
    }
}

#[tokio::test(start_paused = true)]
async fn the_hedge_the_throttle_and_the_adaptive_limit_refuse_a_spent_deadline_too() {
    let _scope = testing::scope();
    let runs = || LATER_GUARDED_RUNS.load(Ordering::Relaxed);
    let before = runs();
    let answers = context::with_deadline(Duration::from_secs(1), async {
        (
            refusing_hedge().await,
            refusing_throttle(),
            refusing_adaptive().await,
        )
    })
    .await;
    assert_eq!(answers, (Ok(()), Ok(()), Ok(())));
    assert_eq!(runs(), before + 3);
    let answers = context::with_deadline(Duration::ZERO, async {
        (
            refusing_hedge().await,
            refusing_throttle(),
            refusing_adaptive().await,
        )
    })
    .await;
    assert_eq!(
        answers,
        (
            Err(ApiError::TooLate("context-refusing-hedge")),
            Err(ApiError::TooLate("context-refusing-throttle")),
            Err(ApiError::TooLate("context-refusing-limit"))
        )
    );
    assert_eq!(runs(), before + 3);
}

/// `DeadlineLayer` in front of a handler: the caller's `grpc-timeout` reaches the calls the
/// handler makes, a spent deadline is answered at once, and a slow handler is cut off.
#[cfg(all(feature = "tower", feature = "http"))]
mod deadline_layer {
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use retry_runtime::tower::{DeadlineLayer, grpc_timeout, grpc_timeout_value};
    use retry_runtime::{context, retry};
    use tower::{Layer, ServiceExt, service_fn};

    static BACKEND_CALLS: AtomicU32 = AtomicU32::new(0);

    #[retry(max_attempts = 50, delay = "50ms", backoff = "fixed", jitter = "none")]
    async fn backend() -> Result<(), String> {
        BACKEND_CALLS.fetch_add(1, Ordering::Relaxed);
        Err("unavailable".into())
    }

    fn request(timeout: &str) -> http::Request<()> {
        http::Request::builder()
            .header("grpc-timeout", timeout)
            .body(())
            .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn the_callers_deadline_stops_the_handlers_retries() {
        let handled = AtomicU32::new(0);
        let handler = service_fn(|_: http::Request<()>| async {
            handled.fetch_add(1, Ordering::Relaxed);
            let _ = backend().await;
            Ok::<_, Infallible>(http::Response::new(String::from("done")))
        });
        let service = DeadlineLayer::new().layer(handler);
        BACKEND_CALLS.store(0, Ordering::Relaxed);
        let start = tokio::time::Instant::now();
        let response = service.clone().oneshot(request("120m")).await.unwrap();
        // Calls at 0, 50 and 100 ms; a wait to 150 ms would end past 120 ms.
        assert_eq!(response.status(), 200);
        assert_eq!(BACKEND_CALLS.load(Ordering::Relaxed), 3);
        assert_eq!(start.elapsed(), Duration::from_millis(100));

        let response = service.oneshot(request("0m")).await.unwrap();
        assert_eq!(response.status(), 504);
        assert_eq!(handled.load(Ordering::Relaxed), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_handler_past_the_deadline_is_cut_off_with_504() {
        let finished = AtomicU32::new(0);
        let handler = service_fn(|_: http::Request<()>| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            finished.fetch_add(1, Ordering::Relaxed);
            Ok::<_, Infallible>(http::Response::new(String::new()))
        });
        let start = tokio::time::Instant::now();
        let response = DeadlineLayer::new()
            .default_timeout(Duration::from_millis(250))
            .layer(handler)
            .oneshot(http::Request::new(()))
            .await
            .unwrap();
        assert_eq!(response.status(), 504);
        assert_eq!(start.elapsed(), Duration::from_millis(250));
        assert_eq!(finished.load(Ordering::Relaxed), 0);
        assert_eq!(context::remaining(), None);
    }

    #[test]
    fn grpc_timeout_values_round_trip() {
        for (timeout, text) in [
            (Duration::from_nanos(5), "5n"),
            (Duration::from_millis(300), "300000u"),
            (Duration::from_secs(30), "30000000u"),
            (Duration::from_secs(1000), "1000000m"),
            (Duration::from_secs(200_000), "200000S"),
            (Duration::from_secs(86_400 * 365), "31536000S"),
        ] {
            assert_eq!(grpc_timeout_value(timeout), text);
            let mut headers = http::HeaderMap::new();
            headers.insert("grpc-timeout", grpc_timeout_value(timeout));
            assert_eq!(grpc_timeout(&headers), Some(timeout));
        }
        for malformed in ["", "m", "123456789m", "12x", "-1S", "1.5S"] {
            let mut headers = http::HeaderMap::new();
            headers.insert("grpc-timeout", malformed.parse().unwrap());
            assert_eq!(grpc_timeout(&headers), None, "{malformed:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_layer_tells_each_attempt_its_number_and_the_time_left() {
        use retry_runtime::RetryPolicy;
        use retry_runtime::tower::RetryLayer;
        use std::sync::{Arc, Mutex};

        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let callee = service_fn(move |request: http::Request<()>| {
            let headers = request.headers();
            let attempt = headers["x-attempt"].to_str().unwrap().to_owned();
            sink.lock()
                .unwrap()
                .push((attempt.clone(), grpc_timeout(headers), context::attempt()));
            async move {
                tokio::time::sleep(Duration::from_millis(10)).await;
                if attempt == "3" {
                    Ok("done")
                } else {
                    Err("busy")
                }
            }
        });
        let policy = RetryPolicy::builder()
            .delay(Duration::from_millis(20))
            .jitter(retry_runtime::Jitter::None)
            .backoff(retry_runtime::Backoff::Fixed)
            .build()
            .unwrap();
        let client = RetryLayer::new("layer-context", policy)
            .attempt_header("x-attempt")
            .layer(callee);
        let answer = context::with_deadline(
            Duration::from_millis(500),
            client.oneshot(http::Request::new(())),
        )
        .await
        .unwrap();
        assert_eq!(answer, "done");
        // Attempts start at 0, 30 and 60 ms: 500, 470 and 440 ms left.
        assert_eq!(
            *seen.lock().unwrap(),
            [
                ("1".to_owned(), Some(Duration::from_millis(500)), 1),
                ("2".to_owned(), Some(Duration::from_millis(470)), 2),
                ("3".to_owned(), Some(Duration::from_millis(440)), 3),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_layer_refuses_an_attempt_with_no_time_left() {
        use retry_runtime::tower::RetryLayer;
        use retry_runtime::{DeadlineExceeded, RetryPolicy};

        let called = std::sync::Arc::new(AtomicU32::new(0));
        let counter = std::sync::Arc::clone(&called);
        let callee = service_fn(move |_: http::Request<()>| {
            counter.fetch_add(1, Ordering::Relaxed);
            async { Ok::<_, std::io::Error>(()) }
        });
        let client = RetryLayer::new("layer-refuses", RetryPolicy::DEFAULT)
            .propagate_deadline()
            .layer(callee);
        let error = context::with_deadline(Duration::ZERO, client.oneshot(http::Request::new(())))
            .await
            .unwrap_err();
        assert!(error.is::<DeadlineExceeded>());
        assert_eq!(called.load(Ordering::Relaxed), 0);
    }
}

/// The three-tier example over loopback: with propagation, C stops working when A gives up.
#[cfg(all(feature = "tower", feature = "http"))]
#[allow(dead_code)]
#[path = "../../examples/deadlines.rs"]
mod deadlines_example;

#[cfg(all(feature = "tower", feature = "http"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_propagation_no_tier_works_for_a_caller_that_gave_up() {
    let without = deadlines_example::run(false).await.unwrap();
    let with = deadlines_example::run(true).await.unwrap();
    // One request in four is slow: without propagation C finishes each of them for nobody.
    assert!(
        without.worked_after_give_up >= deadlines_example::REQUESTS / 4,
        "{without:?}"
    );
    assert_eq!(with.worked_after_give_up, 0, "{with:?}");
    // What C still did after A gave up is scheduling lag with propagation, whole lookups without.
    assert!(
        with.wasted_ms * 10 < without.wasted_ms,
        "{with:?} {without:?}"
    );
    // The fast three in four succeed either way (a busy machine may lose one or two).
    let fast = deadlines_example::REQUESTS * 3 / 4;
    assert!(
        without.succeeded + 2 >= fast && without.succeeded <= fast,
        "{without:?}"
    );
    assert!(
        with.succeeded + 2 >= fast && with.succeeded <= fast,
        "{with:?}"
    );
}
