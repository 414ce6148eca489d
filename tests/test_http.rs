//! HTTP responses through the attributes (feature `http`): `on_result = is_transient` retries
//! what a server asked to be retried, and waits exactly as long as its `Retry-After` says, in
//! both forms; other statuses come back at once.
#![cfg(feature = "http")]

use std::cell::Cell;
use std::time::{Duration, SystemTime};

use http::{Response, StatusCode};
use retry_runtime::http::is_transient;
use retry_runtime::retry;

/// Answers with the statuses (and `Retry-After` values) scripted, one per call.
fn answer(calls: &Cell<usize>, script: &[(u16, Option<String>)]) -> Response<()> {
    let (status, retry_after) = &script[calls.get()];
    calls.set(calls.get() + 1);
    let mut response = Response::builder().status(*status);
    if let Some(value) = retry_after {
        response = response.header("retry-after", value);
    }
    response.body(()).unwrap()
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
async fn a_429_with_retry_after_2_waits_2_seconds() {
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    let script = [(429, Some("2".to_owned())), (200, None)];
    assert_eq!(fetch(&calls, &script).await.status(), StatusCode::OK);
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    // The same through a `Result` fn: `on_result` judges the `Ok` response.
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    let response = fetch_result(&calls, &script).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn retry_after_as_an_http_date_waits_until_then() {
    // Five seconds from now, to the second (HTTP-dates have no fraction): between 4 and 5 s.
    let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(5));
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    let script = [(503, Some(at)), (200, None)];
    assert_eq!(fetch(&calls, &script).await.status(), StatusCode::OK);
    let waited = start.elapsed();
    assert!(
        waited > Duration::from_secs(3) && waited <= Duration::from_secs(5),
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

#[tokio::test(start_paused = true)]
async fn a_retry_after_longer_than_max_delay_returns_the_response_at_once() {
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    let script = [(429, Some("3600".to_owned())), (200, None)];
    let response = fetch_patiently(&calls, &script).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(start.elapsed(), Duration::ZERO);
}
