//! The tower layers over a real HTTP/1 server (hyper) and client (hyper-util's pooled client) on
//! 127.0.0.1: a client retries a flaky upstream through `RetryLayer` (waiting as long as a
//! `Retry-After` says), a breaker is shared by name between a `#[circuit_breaker]` fn and a
//! `CircuitBreakerLayer`, a server sheds load with a 503 when its breaker is open, and hooks,
//! stats and budgets see the layer's calls under its name. `RetryLayer` cuts attempts off at the
//! policy's `attempt_timeout`, and the HTTP classifiers agree with `http::is_transient`.
#![cfg(all(feature = "tower", feature = "http"))]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use retry_runtime::hooks::{Event, install_hook};
use retry_runtime::tower::{
    CallOutcome, CircuitBreakerLayer, RetryLayer, RetryOutcome, ServerErrors, TransientResponses,
    service_unavailable,
};
use retry_runtime::{
    BreakerConfig, BreakerState, BudgetConfig, CircuitOpen, RetryHint, RetryPolicy, StopReason,
    breaker, circuit_breaker, register_budget,
};
use tower::{Layer, ServiceBuilder, ServiceExt, service_fn};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Serves `handler` over HTTP/1 on a fresh loopback port until the test's runtime ends.
async fn serve<H>(handler: H) -> SocketAddr
where
    H: tower::Service<
            Request<Incoming>,
            Response = Response<Full<Bytes>>,
            Error = Infallible,
            Future: Send,
        > + Clone
        + Send
        + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let handler = handler.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |request| handler.clone().oneshot(request));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    address
}

/// An upstream that answers each request with the next scripted status (and `Retry-After`),
/// then 200 "ok" once the script is done; `hits` counts the requests it received.
fn scripted(
    hits: &Arc<AtomicU32>,
    script: &'static [(u16, Option<&'static str>)],
) -> impl tower::Service<
    Request<Incoming>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future: Send,
> + Clone
+ Send
+ 'static {
    let hits = Arc::clone(hits);
    service_fn(move |_request: Request<Incoming>| {
        let hit = hits.fetch_add(1, Ordering::SeqCst) as usize;
        let (status, retry_after) = script.get(hit).copied().unwrap_or((200, None));
        let mut response = Response::builder().status(status);
        if let Some(after) = retry_after {
            response = response.header("retry-after", after);
        }
        let body = if status == 200 { "ok" } else { "not now" };
        std::future::ready(Ok(response.body(Full::new(Bytes::from(body))).unwrap()))
    })
}

fn client() -> Client<HttpConnector, Empty<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

/// A GET of `path` on `address`: the request the retry layer clones is the `Uri`, since
/// `http::Request` is not `Clone`.
fn get(address: SocketAddr) -> impl Fn(&'static str) -> Request<Empty<Bytes>> + Clone {
    move |path| {
        let uri: Uri = format!("http://{address}{path}").parse().unwrap();
        Request::get(uri).body(Empty::new()).unwrap()
    }
}

async fn text(response: Response<Incoming>) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The error a call ended with, as text (a `RetryLayer`'s error is a `BoxError`).
fn error_text<T: std::fmt::Debug>(outcome: Result<T, BoxError>) -> String {
    outcome.unwrap_err().to_string()
}

/// The `RetryScheduled` delays of `name`'s events, as a hook sees them.
fn record_delays(name: &'static str) -> (Arc<Mutex<Vec<Duration>>>, impl Sized) {
    let delays = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&delays);
    let hook = install_hook(move |event: &Event<'_>| {
        if let Event::RetryScheduled {
            name: seen, delay, ..
        } = event
            && *seen == name
        {
            sink.lock().unwrap().push(*delay);
        }
    });
    (delays, hook)
}

// Paused time: the client's sleeps (100 ms of backoff, then the 2 s the server asked for) pass
// at once, while the requests go over the socket for real.
#[tokio::test(start_paused = true)]
async fn a_client_retries_a_503_and_a_429_with_retry_after_then_gets_the_200() {
    static SCRIPT: [(u16, Option<&str>); 2] = [(503, None), (429, Some("2"))];
    let hits = Arc::new(AtomicU32::new(0));
    let address = serve(scripted(&hits, &SCRIPT)).await;
    let stats = retry_runtime::stats::collect();
    let (delays, _hook) = record_delays("tower-upstream");

    let policy = RetryPolicy::builder()
        .max_attempts(4)
        .delay(Duration::from_millis(100))
        .jitter(retry_runtime::Jitter::None)
        .build()
        .unwrap();
    let upstream = ServiceBuilder::new()
        .layer(RetryLayer::new("tower-upstream", policy).classify(TransientResponses))
        .map_request(get(address))
        .service(client());

    let started = tokio::time::Instant::now();
    let response = upstream.oneshot("/flaky").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(text(response).await, "ok");
    assert_eq!(hits.load(Ordering::SeqCst), 3, "503, 429, then 200");
    // The backoff's 100 ms after the 503, the 2 s of `Retry-After` (to 2.2 s) after the 429.
    let delays = delays.lock().unwrap().clone();
    assert_eq!(delays[0], Duration::from_millis(100));
    assert!(
        delays[1] >= Duration::from_secs(2) && delays[1] <= Duration::from_millis(2200),
        "{delays:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(2100));

    let site = stats.retry("tower-upstream");
    assert_eq!(
        (site.calls, site.attempts, site.retries, site.successes),
        (1, 3, 2, 1)
    );
}

#[tokio::test(start_paused = true)]
async fn a_client_gives_up_with_the_last_response_and_never_retries_a_404() {
    static SCRIPT: [(u16, Option<&str>); 4] = [(502, None), (502, None), (502, None), (404, None)];
    let hits = Arc::new(AtomicU32::new(0));
    let address = serve(scripted(&hits, &SCRIPT)).await;
    let stats = retry_runtime::stats::collect();
    let upstream = ServiceBuilder::new()
        .layer(RetryLayer::new("tower-gives-up", RetryPolicy::DEFAULT).classify(TransientResponses))
        .map_request(get(address))
        .service(client());

    // Three attempts, all 502: the last one comes back as it is.
    let response = upstream.clone().oneshot("/").await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(text(response).await, "not now");
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    // A 404 is an answer: one attempt.
    let response = upstream.oneshot("/").await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(hits.load(Ordering::SeqCst), 4);
    let site = stats.retry("tower-gives-up");
    assert_eq!(
        (site.calls, site.attempts, site.failures, site.successes),
        (2, 4, 1, 1)
    );
}

#[derive(Debug)]
enum DbError {
    Down,
    Rejected(CircuitOpen),
}

impl From<CircuitOpen> for DbError {
    fn from(open: CircuitOpen) -> Self {
        DbError::Rejected(open)
    }
}

#[circuit_breaker(
    name = "tower-shared-trip-by-fn",
    failure_threshold = 2,
    open_for = "60s"
)]
async fn flaky_query(fail: bool) -> Result<u32, DbError> {
    if fail { Err(DbError::Down) } else { Ok(1) }
}

#[circuit_breaker(name = "tower-shared-trip-by-layer")]
async fn query_without_settings() -> Result<u32, DbError> {
    Ok(1)
}

#[tokio::test]
async fn a_breaker_tripped_by_a_fn_rejects_calls_through_the_layer_of_the_same_name() {
    let hits = Arc::new(AtomicU32::new(0));
    let address = serve(scripted(&hits, &[])).await;
    let guarded = ServiceBuilder::new()
        .layer(CircuitBreakerLayer::new("tower-shared-trip-by-fn").classify(ServerErrors))
        .map_err(BoxError::from)
        .map_request(get(address))
        .service(client());

    // The fn runs first, so the breaker has its settings; the layer gave none.
    assert!(flaky_query(false).await.is_ok());
    assert_eq!(
        guarded.clone().oneshot("/").await.unwrap().status(),
        StatusCode::OK
    );
    for _ in 0..2 {
        assert!(matches!(flaky_query(true).await, Err(DbError::Down)));
    }
    let shared = breaker("tower-shared-trip-by-fn").unwrap();
    assert_eq!(shared.state(), BreakerState::Open);

    let rejected = guarded.oneshot("/").await.unwrap_err();
    let open = rejected.downcast_ref::<CircuitOpen>().unwrap();
    assert_eq!(open.name, "tower-shared-trip-by-fn");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "the rejected call never left"
    );
    let counts = shared.counts();
    assert_eq!(
        (counts.successful, counts.failed, counts.rejected),
        (2, 2, 1)
    );
}

#[tokio::test]
async fn a_breaker_tripped_through_the_layer_rejects_the_fn_of_the_same_name() {
    static SCRIPT: [(u16, Option<&str>); 2] = [(500, None), (503, None)];
    let hits = Arc::new(AtomicU32::new(0));
    let address = serve(scripted(&hits, &SCRIPT)).await;
    let config = BreakerConfig::builder()
        .failure_threshold(2)
        .open_for(Duration::from_secs(60))
        .build()
        .unwrap();
    let guarded = ServiceBuilder::new()
        .layer(
            CircuitBreakerLayer::new("tower-shared-trip-by-layer")
                .config(config)
                .classify(ServerErrors),
        )
        .map_err(BoxError::from)
        .map_request(get(address))
        .service(client());

    // Two 5xx answers come back as responses, and count as failures.
    for expected in [500, 503] {
        let response = guarded.clone().oneshot("/").await.unwrap();
        assert_eq!(response.status(), expected);
    }
    let shared = breaker("tower-shared-trip-by-layer").unwrap();
    assert_eq!(shared.state(), BreakerState::Open);
    assert_eq!(
        shared.config().failure_threshold(),
        2,
        "the layer's settings"
    );
    match query_without_settings().await {
        Err(DbError::Rejected(open)) => assert_eq!(open.name, "tower-shared-trip-by-layer"),
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_server_with_an_open_breaker_answers_503_with_retry_after_without_running_its_handler() {
    let handled = Arc::new(AtomicU32::new(0));
    let config = BreakerConfig::builder()
        .failure_threshold(2)
        .open_for(Duration::from_secs(30))
        .build()
        .unwrap();
    let counter = Arc::clone(&handled);
    // The handler's dependency is down: it answers 500.
    let handler = service_fn(move |_request: Request<Incoming>| {
        counter.fetch_add(1, Ordering::SeqCst);
        let response = Response::builder()
            .status(500)
            .body(Full::new(Bytes::from("database down")))
            .unwrap();
        std::future::ready(Ok::<_, Infallible>(response))
    });
    let server = CircuitBreakerLayer::new("tower-server")
        .config(config)
        .classify(ServerErrors)
        .on_rejection(service_unavailable::<Full<Bytes>>)
        .layer(handler);
    let address = serve(server).await;
    let client = client();
    let request = get(address);

    for _ in 0..2 {
        let response = client.request(request("/orders")).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
    let response = client.request(request("/orders")).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "30");
    assert_eq!(handled.load(Ordering::SeqCst), 2, "shed before the handler");
    let counts = breaker("tower-server").unwrap().counts();
    assert_eq!((counts.failed, counts.rejected), (2, 1));
}

#[tokio::test(start_paused = true)]
async fn the_layer_pays_for_retries_from_the_named_budget_and_stops_when_it_is_empty() {
    // One retry in the bucket (10 s of the trickle), nothing deposited, and paused time
    // trickles nothing worth a retry.
    let budget = register_budget(
        "tower-budget",
        BudgetConfig {
            share: 0.0,
            min_per_second: 0.1,
            cap: 1.0,
        },
    )
    .unwrap();
    budget.reset();
    let calls = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&calls);
    let failing = service_fn(move |_: ()| {
        counter.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Err::<(), _>("down"))
    });
    let stopped = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&stopped);
    let _hook = install_hook(move |event: &Event<'_>| {
        if let Event::Exhausted {
            name: "tower-budgeted",
            reason,
            attempts,
            ..
        } = event
        {
            sink.lock().unwrap().push((*reason, *attempts));
        }
    });
    let service = RetryLayer::new("tower-budgeted", RetryPolicy::DEFAULT)
        .budget("tower-budget")
        .layer(failing);

    assert_eq!(error_text(service.clone().oneshot(()).await), "down");
    assert_eq!(calls.load(Ordering::SeqCst), 2, "one retry, paid for");
    assert_eq!(error_text(service.oneshot(()).await), "down");
    assert_eq!(calls.load(Ordering::SeqCst), 3, "no token left");
    let counts = budget.counts();
    assert_eq!((counts.calls, counts.retries, counts.refused), (2, 1, 2));
    assert_eq!(
        *stopped.lock().unwrap(),
        [(StopReason::OutOfBudget, 2), (StopReason::OutOfBudget, 1)]
    );
}

#[tokio::test(start_paused = true)]
async fn a_classifier_decides_what_is_retried_and_hints_how_long_to_wait() {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&calls);
    let service = RetryLayer::new("tower-classified", RetryPolicy::DEFAULT)
        .classify(|outcome: &Result<u32, &str>| match outcome {
            Ok(0) => RetryOutcome::Retryable(RetryHint::RetryAfter(Duration::from_secs(3))),
            Ok(_) => RetryOutcome::Success,
            Err("bad request") => RetryOutcome::NotRetryable,
            Err(_) => RetryOutcome::Retryable(RetryHint::FollowPolicy),
        })
        .layer(service_fn(move |fail: bool| {
            let call = counter.fetch_add(1, Ordering::SeqCst);
            std::future::ready(match (fail, call) {
                (true, _) => Err("bad request"),
                (false, 0) => Ok(0),
                (false, call) => Ok(call),
            })
        }));

    let started = tokio::time::Instant::now();
    assert_eq!(service.clone().oneshot(false).await.unwrap(), 1);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(3) && waited <= Duration::from_millis(3300),
        "the hint, at most 10% more: {waited:?}"
    );
    assert_eq!(error_text(service.oneshot(true).await), "bad request");
    assert_eq!(calls.load(Ordering::SeqCst), 3, "not retried");
}

#[tokio::test]
async fn a_dropped_call_counts_as_cancelled_and_an_ignored_error_as_ignored() {
    let layer =
        CircuitBreakerLayer::new("tower-cancelled").classify(|outcome: &Result<(), BoxError>| {
            match outcome {
                Ok(()) => CallOutcome::Success,
                Err(_) => CallOutcome::Ignored,
            }
        });
    let mut hanging = layer.layer(service_fn(|_: ()| {
        std::future::pending::<Result<(), BoxError>>()
    }));
    let ready = hanging.ready().await.unwrap();
    let future = tower::Service::call(ready, ());
    assert_send(&future);
    drop(future);
    let failing = layer.layer(service_fn(|_: ()| async {
        Err::<(), BoxError>("bad".into())
    }));
    assert!(failing.oneshot(()).await.is_err());
    let counts = breaker("tower-cancelled").unwrap().counts();
    assert_eq!((counts.cancelled, counts.ignored, counts.failed), (1, 1, 0));
}

#[test]
fn the_response_futures_are_send_when_their_parts_are() {
    let retried = RetryLayer::new("tower-send", RetryPolicy::DEFAULT)
        .layer(service_fn(|_: u8| async { Ok::<u8, BoxError>(1) }));
    let guarded = CircuitBreakerLayer::new("tower-send")
        .layer(service_fn(|_: u8| async { Ok::<u8, BoxError>(1) }));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        assert_send(&retried.oneshot(1));
        assert_send(&guarded.oneshot(1));
    });
}

fn assert_send<T: Send>(_: &T) {}

/// An upstream that answers the first `hangs` requests after a minute, the others at once.
fn slow_then_fast(
    hits: &Arc<AtomicU32>,
    hangs: u32,
) -> impl tower::Service<
    Request<Incoming>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future: Send,
> + Clone
+ Send
+ 'static {
    let hits = Arc::clone(hits);
    service_fn(move |_request: Request<Incoming>| {
        let hit = hits.fetch_add(1, Ordering::SeqCst);
        async move {
            if hit < hangs {
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
            Ok(Response::new(Full::new(Bytes::from("ok"))))
        }
    })
}

// Real time, not paused: a paused clock jumps to the next timer whenever the runtime waits on
// the socket, which would cut the fast attempt off too. The bound is loose (the hung attempts
// would take a minute each).
#[tokio::test]
async fn retry_layer_cuts_each_attempt_off_at_attempt_timeout_and_retries_it() {
    let hits = Arc::new(AtomicU32::new(0));
    let address = serve(slow_then_fast(&hits, 2)).await;
    let stats = retry_runtime::stats::collect();
    let policy = RetryPolicy::builder()
        .max_attempts(3)
        .delay(Duration::from_millis(10))
        .jitter(retry_runtime::Jitter::None)
        .attempt_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let upstream = ServiceBuilder::new()
        .layer(RetryLayer::new("tower-attempt-timeout", policy).classify(TransientResponses))
        .map_request(get(address))
        .service(client());

    let started = std::time::Instant::now();
    let response = upstream.oneshot("/slow").await.unwrap();
    assert_eq!(text(response).await, "ok");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        3,
        "two cut off, the third answered"
    );
    assert!(
        started.elapsed() < Duration::from_secs(50),
        "not a hung attempt's minute"
    );
    let site = stats.retry("tower-attempt-timeout");
    assert_eq!((site.attempts, site.retries, site.successes), (3, 2, 1));
}

#[tokio::test(start_paused = true)]
async fn attempt_timeout_is_cut_to_what_is_left_of_max_elapsed_and_drops_the_attempt() {
    let dropped = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&dropped);
    let hanging = service_fn(move |_: ()| {
        let guard = DropCounter(Arc::clone(&counter));
        async move {
            let _guard = guard;
            std::future::pending::<Result<(), BoxError>>().await
        }
    });
    let policy = RetryPolicy::builder()
        .max_attempts(10)
        .delay(Duration::from_millis(10))
        .jitter(retry_runtime::Jitter::None)
        .attempt_timeout(Duration::from_millis(200))
        .max_elapsed(Duration::from_millis(250))
        .build()
        .unwrap();
    let service = RetryLayer::new("tower-timeout-elapsed", policy).layer(hanging);
    let started = tokio::time::Instant::now();
    // Every attempt hangs: the last timeout comes back, as an `AttemptTimeout` in the error.
    let error = service.oneshot(()).await.unwrap_err();
    let timeout = error
        .downcast_ref::<retry_runtime::AttemptTimeout>()
        .expect("an AttemptTimeout");
    assert_eq!(timeout.timeout, Duration::from_millis(40), "the 40 ms left");
    // 200 ms, a 10 ms sleep, then the 40 ms left: never past max_elapsed.
    assert_eq!(started.elapsed(), Duration::from_millis(250));
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        2,
        "each cut-off attempt was dropped"
    );
}

/// Counts the attempts dropped.
struct DropCounter(Arc<AtomicU32>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn the_http_classifiers_agree_with_is_transient_on_every_status() {
    use retry_runtime::tower::{BreakerClassifier, RetryClassifier};
    for code in 100..600 {
        let response: Result<Response<()>, BoxError> =
            Ok(Response::builder().status(code).body(()).unwrap());
        let transient = retry_runtime::http::is_transient(response.as_ref().unwrap());
        let retried = matches!(
            RetryClassifier::classify(&TransientResponses, &response),
            RetryOutcome::Retryable(_)
        );
        let failed = BreakerClassifier::classify(&ServerErrors, &response) == CallOutcome::Failure;
        assert_eq!((retried, failed), (transient, transient), "status {code}");
    }
    // A 429 in particular: retried, and a failure for the breaker.
    let too_many: Result<Response<()>, BoxError> =
        Ok(Response::builder().status(429).body(()).unwrap());
    assert_eq!(
        BreakerClassifier::classify(&ServerErrors, &too_many),
        CallOutcome::Failure
    );
}
