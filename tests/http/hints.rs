//! HTTP responses through the attributes (feature `http`): `on_result = is_transient` retries
//! what a server asked to be retried, and waits as long as its `retry-after-ms` or
//! `Retry-After` says (never less, at most 10% more, so callers given one hint spread out), in
//! every form; other statuses come back at once.
#![cfg(feature = "http")]

use std::cell::Cell;
use std::time::{Duration, SystemTime};

use http::{Response, StatusCode};
use retry_runtime::http::is_transient;
use retry_runtime::{CircuitOpen, breaker, circuit_breaker, retry};

/// Answers with the statuses (and `Retry-After` values) scripted, one per call. A value ending
/// in `ms` is sent as `retry-after-ms` (without the suffix), beside a `Retry-After: 1`.
fn answer(calls: &Cell<usize>, script: &[(u16, Option<String>)]) -> Response<()> {
    let (status, retry_after) = &script[calls.get()];
    calls.set(calls.get() + 1);
    let mut response = Response::builder().status(*status);
    match retry_after
        .as_deref()
        .map(|value| (value, value.strip_suffix("ms")))
    {
        Some((_, Some(millis))) => {
            response = response
                .header("retry-after-ms", millis)
                .header("retry-after", "1");
        }
        Some((value, None)) => response = response.header("retry-after", value),
        None => {}
    }
    response.body(()).unwrap()
}

/// Whether `waited` is a wait for `hint`: never less, at most 10% more.
fn waited_for(waited: Duration, hint: Duration) -> bool {
    waited >= hint && waited <= hint + hint / 10
}

#[retry(max_attempts = 4, delay = "100ms", jitter = "none", on_result = is_transient)]
async fn fetch(calls: &Cell<usize>, script: &[(u16, Option<String>)]) -> Response<()> {
    tokio::task::yield_now().await;
    answer(calls, script)
}

#[derive(Debug)]
struct Unreachable;

#[retry(max_attempts = 4, delay = "100ms", jitter = "none", on_result = is_transient)]
async fn fetch_result(
    calls: &Cell<usize>,
    script: &[(u16, Option<String>)],
) -> Result<Response<()>, Unreachable> {
    tokio::task::yield_now().await;
    Ok(answer(calls, script))
}

#[tokio::test(start_paused = true)]
async fn a_429_with_retry_after_2_waits_2_seconds_to_2_point_2() {
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    let script = [(429, Some("2".to_owned())), (200, None)];
    assert_eq!(fetch(&calls, &script).await.status(), StatusCode::OK);
    assert!(
        waited_for(start.elapsed(), Duration::from_secs(2)),
        "{:?}",
        start.elapsed()
    );
    // The same through a `Result` fn: `on_result` judges the `Ok` response.
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    let response = fetch_result(&calls, &script).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        waited_for(start.elapsed(), Duration::from_secs(2)),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_ms_is_read_before_retry_after_so_a_250ms_window_is_not_a_second() {
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    // `retry-after-ms: 250` beside `Retry-After: 1`.
    let script = [(429, Some("250ms".to_owned())), (200, None)];
    assert_eq!(fetch(&calls, &script).await.status(), StatusCode::OK);
    let waited = start.elapsed();
    assert!(waited_for(waited, Duration::from_millis(250)), "{waited:?}");
}

#[tokio::test(start_paused = true)]
async fn callers_given_the_same_hint_spread_over_a_tenth_of_it_reproducibly_under_a_seed() {
    // A hundred callers told "come back in 250 ms" at once.
    let hint = Duration::from_millis(250);
    let run = || async {
        let start = tokio::time::Instant::now();
        let callers = (0..100).map(|_| async move {
            let calls = Cell::new(0);
            let script = [(429, Some("250ms".to_owned())), (200, None)];
            fetch(&calls, &script).await;
            start.elapsed()
        });
        let mut returns: Vec<Duration> = futures_join_all(callers).await;
        returns.sort();
        returns
    };
    let returns = run().await;
    assert!(
        returns.iter().all(|waited| waited_for(*waited, hint)),
        "{returns:?}"
    );
    // Not in lockstep: the first and last come back more than 20 ms apart, spread over the
    // 26 milliseconds of tokio's timer from 250 to 275 ms, no millisecond holding a crowd.
    assert!(
        returns[99] - returns[0] > Duration::from_millis(20),
        "{returns:?}"
    );
    let groups: Vec<usize> = returns
        .chunk_by(|a, b| a == b)
        .map(<[Duration]>::len)
        .collect();
    assert!(groups.len() >= 20, "{} distinct instants", groups.len());
    assert!(groups.iter().all(|&together| together <= 15), "{groups:?}");
    // `testing::seed_jitter` makes the spread the same on every run.
    retry_runtime::testing::seed_jitter(21);
    let first = run().await;
    retry_runtime::testing::seed_jitter(21);
    assert_eq!(run().await, first);
}

/// Polls every future in turn on this task until all are done (the futures are `!Send`, so no
/// spawning), keeping their outputs in order.
async fn futures_join_all<F: Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<_> = futures.map(|future| Some(Box::pin(future))).collect();
    let mut outputs: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (slot, output) in pending.iter_mut().zip(outputs.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => {
                        *output = Some(value);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    outputs.into_iter().map(Option::unwrap).collect()
}

#[tokio::test(start_paused = true)]
async fn retry_after_as_an_http_date_waits_until_then() {
    // Five seconds from now, to the second (HTTP-dates have no fraction): between 4 and 5 s,
    // and up to 10% more.
    let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(5));
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    let script = [(503, Some(at)), (200, None)];
    assert_eq!(fetch(&calls, &script).await.status(), StatusCode::OK);
    let waited = start.elapsed();
    assert!(
        waited > Duration::from_secs(3) && waited <= Duration::from_millis(5500),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn transient_statuses_without_a_hint_follow_the_policy_and_others_return_at_once() {
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    let script = [(503, None), (502, None), (200, None)];
    assert_eq!(fetch(&calls, &script).await.status(), StatusCode::OK);
    assert_eq!(start.elapsed(), Duration::from_millis(100 + 200));
    let calls = Cell::new(0);
    let script = [(404, None), (200, None)];
    assert_eq!(fetch(&calls, &script).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(calls.get(), 1);
    // Exhausted: the last response comes back as it is.
    let calls = Cell::new(0);
    let script = [(503, None), (503, None), (503, None), (500, None)];
    assert_eq!(
        fetch(&calls, &script).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

#[retry(max_attempts = 3, max_delay = "10s", on_result = is_transient)]
async fn fetch_patiently(calls: &Cell<usize>, script: &[(u16, Option<String>)]) -> Response<()> {
    answer(calls, script)
}

#[retry(max_attempts = 3, max_delay = "1050ms", on_result = is_transient)]
async fn fetch_within_a_second_and_a_bit(
    calls: &Cell<usize>,
    script: &[(u16, Option<String>)],
) -> Response<()> {
    answer(calls, script)
}

#[tokio::test(start_paused = true)]
async fn a_hint_that_fits_max_delay_is_waited_and_its_spread_is_cut_to_max_delay() {
    for _ in 0..20 {
        let start = tokio::time::Instant::now();
        let calls = Cell::new(0);
        let script = [(429, Some("1000ms".to_owned())), (200, None)];
        let response = fetch_within_a_second_and_a_bit(&calls, &script).await;
        assert_eq!(response.status(), StatusCode::OK);
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(1) && waited <= Duration::from_millis(1050),
            "{waited:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_longer_than_max_delay_returns_the_response_at_once() {
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    let script = [(429, Some("3600".to_owned())), (200, None)];
    let response = fetch_patiently(&calls, &script).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[derive(Debug)]
enum ClientError {
    Rejected,
}

impl From<CircuitOpen> for ClientError {
    fn from(_: CircuitOpen) -> Self {
        ClientError::Rejected
    }
}

/// The outage: a breaker over a retry of `is_transient` responses.
#[circuit_breaker(name = "http-outage", failure_threshold = 2)]
#[retry(max_attempts = 3, delay = "100ms", on_result = is_transient)]
async fn guarded(
    calls: &Cell<usize>,
    script: &[(u16, Option<String>)],
) -> Result<Response<()>, ClientError> {
    tokio::task::yield_now().await;
    Ok(answer(calls, script))
}

#[tokio::test(start_paused = true)]
async fn a_breaker_over_the_retry_counts_the_final_503_as_a_failure_and_opens() {
    let calls = Cell::new(0);
    let script = vec![(503, None); 10];
    for _ in 0..2 {
        let response = guarded(&calls, &script).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
    assert_eq!(calls.get(), 6);
    let counts = breaker("http-outage").unwrap().counts();
    assert_eq!((counts.failed, counts.successful), (2, 0));
    // Open: the server is left alone.
    assert!(matches!(
        guarded(&calls, &script).await,
        Err(ClientError::Rejected)
    ));
    assert_eq!(calls.get(), 6);
}
