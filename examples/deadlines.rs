//! Deadlines that flow into nested calls, over real HTTP on loopback: A calls B, B calls C. A gives
//! each request 300 ms; on one call in four C finds its row locked for 800 ms. Run twice:
//!
//! - without propagation, nobody tells B and C that A has given up: C's lookup (a task of its
//!   own, as a database query runs on whatever happens to the connection that asked) keeps
//!   retrying a locked row for nobody;
//! - with propagation, A's `RetryLayer::propagate_deadline` writes the time left as
//!   `grpc-timeout`, B's `DeadlineLayer` reads it into the call context, B's own `RetryLayer`
//!   passes what is left on to C, C's `DeadlineLayer` puts it in the context, and C hands it to
//!   its lookup, whose `#[retry]` stops when the caller stops waiting.
//!
//! It reports, for each run, A's success rate and how many requests C was still working on after
//! A had given up. `tests/context/main.rs` runs it and checks the shape.
//!
//! Run with `cargo run --example deadlines --features tower,http`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response, StatusCode, Uri};
use http_body_util::{Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use retry_runtime::tower::{DeadlineLayer, RetryLayer, TransientResponses};
use retry_runtime::{Jitter, RetryPolicy, context, retry};
use tokio::time::Instant;
use tower::{Layer, Service, ServiceExt, service_fn};

/// How long A waits for each request.
pub const CALLER_TIMEOUT: Duration = Duration::from_millis(300);
/// How long C takes on a slow call, and on the others.
const SLOW: Duration = Duration::from_millis(800);
const FAST: Duration = Duration::from_millis(20);
/// How late after A's give-up C's work still counts as stopping with it: tokio's timers fire on
/// the millisecond, and a loaded machine adds scheduling delays; work that goes on longer is
/// work nobody waits for.
const LAG: Duration = Duration::from_millis(100);
/// Requests A sends, all at once.
pub const REQUESTS: u32 = 40;

/// What one run measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    /// Requests A got a 200 for within its 300 ms.
    pub succeeded: u32,
    /// Requests C was still working on well after A had given up on them (more than `LAG`: a
    /// tier cut off at its caller's deadline stops a timer tick, or on a loaded machine a few
    /// scheduling delays, after it).
    pub worked_after_give_up: u32,
    /// C's working time after A had given up, summed over the requests, in milliseconds.
    pub wasted_ms: u64,
    /// Requests C started working on.
    pub started_at_c: u32,
}

/// When A gives up on each request, by request id: C reads it to know whether it works for
/// nobody.
type GiveUps = Arc<Mutex<HashMap<u32, Instant>>>;

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

/// Serves `service` on a loopback port.
async fn serve<S>(service: S) -> std::io::Result<SocketAddr>
where
    S: Service<Request<Incoming>, Response = Response<Full<Bytes>>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = service.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |request| service.clone().oneshot(request));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(address)
}

fn request_id(request: &Request<Incoming>) -> u32 {
    request
        .headers()
        .get("x-request-id")
        .and_then(|id| id.to_str().ok()?.parse().ok())
        .unwrap_or(0)
}

/// Counts C's work on a request when it ends, finished or dropped: after A gave up, it was for
/// nobody.
struct Work {
    id: u32,
    give_ups: GiveUps,
    worked_after_give_up: Arc<AtomicU32>,
    wasted_micros: Arc<AtomicU64>,
}

impl Drop for Work {
    fn drop(&mut self) {
        let give_up = self.give_ups.lock().unwrap().get(&self.id).copied();
        let overrun = give_up.map_or(Duration::ZERO, |give_up| Instant::now() - give_up);
        if overrun > LAG {
            self.worked_after_give_up.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(overrun.as_micros()).unwrap_or(u64::MAX);
        self.wasted_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

/// C's lookup in its database: on one request in four the row stays locked for `SLOW`, and the
/// lookup retries every 25 ms until it is free. Under a deadline the retries stop when it is
/// spent; without one they go on for nobody.
#[retry(max_attempts = 100, delay = "25ms", backoff = "fixed", jitter = "none")]
async fn lookup(id: u32, started: Instant) -> Result<(), String> {
    if id.is_multiple_of(4) && started.elapsed() < SLOW {
        return Err("row locked".to_owned());
    }
    tokio::time::sleep(FAST).await;
    Ok(())
}

/// C: its handler hands each lookup to a task of its own (as a query keeps running in a
/// database whatever happens to the connection that asked for it), passing the deadline along.
async fn start_c(
    propagate: bool,
    give_ups: GiveUps,
    started: Arc<AtomicU32>,
    worked_after_give_up: Arc<AtomicU32>,
    wasted_micros: Arc<AtomicU64>,
) -> std::io::Result<SocketAddr> {
    let handler = service_fn(move |request: Request<Incoming>| {
        let id = request_id(&request);
        started.fetch_add(1, Ordering::Relaxed);
        let work = Work {
            id,
            give_ups: Arc::clone(&give_ups),
            worked_after_give_up: Arc::clone(&worked_after_give_up),
            wasted_micros: Arc::clone(&wasted_micros),
        };
        let deadline = context::remaining();
        let task = tokio::spawn(async move {
            let _work = work;
            let lookup = lookup(id, Instant::now());
            match deadline {
                Some(left) => context::with_deadline(left, lookup).await,
                None => lookup.await,
            }
        });
        async move {
            let status = match task.await {
                Ok(Ok(())) => StatusCode::OK,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            let mut response = Response::new(Full::new(Bytes::from_static(b"stock: 42")));
            *response.status_mut() = status;
            Ok::<_, Infallible>(response)
        }
    });
    if propagate {
        serve(DeadlineLayer::new().layer(handler)).await
    } else {
        serve(handler).await
    }
}

/// B: asks C, retrying transient answers, and relays the answer.
async fn start_b(propagate: bool, c: SocketAddr) -> std::io::Result<SocketAddr> {
    let policy = RetryPolicy::builder()
        .max_attempts(3)
        .delay(Duration::from_millis(10))
        .jitter(Jitter::None)
        .build()
        .expect("a valid policy");
    let http: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let layer = RetryLayer::new("b-to-c", policy).classify(TransientResponses);
    let to_c = move |id: u32| {
        let uri: Uri = format!("http://{c}/stock").parse().expect("a valid uri");
        let request = Request::get(uri)
            .header("x-request-id", id)
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        (request, http.clone())
    };
    let handler = service_fn(move |request: Request<Incoming>| {
        let (request, http) = to_c(request_id(&request));
        let layer = layer.clone();
        async move {
            let answer = if propagate {
                layer
                    .propagate_deadline()
                    .layer(http)
                    .oneshot(request)
                    .await
            } else {
                layer.layer(http).oneshot(request).await
            };
            let status = match answer {
                Ok(response) => response.status(),
                Err(_) => StatusCode::GATEWAY_TIMEOUT,
            };
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = status;
            Ok::<_, Infallible>(response)
        }
    });
    if propagate {
        serve(DeadlineLayer::new().layer(handler)).await
    } else {
        serve(handler).await
    }
}

/// One run: C, B, and A's requests, all at once.
pub async fn run(propagate: bool) -> std::io::Result<Report> {
    let give_ups: GiveUps = Arc::default();
    let started = Arc::new(AtomicU32::new(0));
    let worked_after_give_up = Arc::new(AtomicU32::new(0));
    let wasted_micros = Arc::new(AtomicU64::new(0));
    let c = start_c(
        propagate,
        Arc::clone(&give_ups),
        Arc::clone(&started),
        Arc::clone(&worked_after_give_up),
        Arc::clone(&wasted_micros),
    )
    .await?;
    let b = start_b(propagate, c).await?;
    let http: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let policy = RetryPolicy::builder()
        .max_attempts(2)
        .delay(Duration::from_millis(10))
        .jitter(Jitter::None)
        .build()
        .expect("a valid policy");
    let layer = RetryLayer::new("a-to-b", policy).classify(TransientResponses);
    let mut calls = Vec::new();
    for id in 1..=REQUESTS {
        let uri: Uri = format!("http://{b}/stock").parse().expect("a valid uri");
        let request = Request::get(uri)
            .header("x-request-id", id)
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        give_ups
            .lock()
            .unwrap()
            .insert(id, Instant::now() + CALLER_TIMEOUT);
        let http = http.clone();
        let layer = layer.clone();
        calls.push(tokio::spawn(async move {
            let call = async {
                if propagate {
                    layer
                        .propagate_deadline()
                        .layer(http)
                        .oneshot(request)
                        .await
                } else {
                    layer.layer(http).oneshot(request).await
                }
            };
            // A gives up after 300 ms either way; with propagation everything it calls knows.
            let answer =
                tokio::time::timeout(CALLER_TIMEOUT, context::with_deadline(CALLER_TIMEOUT, call))
                    .await;
            matches!(answer, Ok(Ok(response)) if response.status() == StatusCode::OK)
        }));
    }
    let mut succeeded = 0;
    for call in calls {
        if call.await.unwrap_or(false) {
            succeeded += 1;
        }
    }
    // Let C finish (or be cut off from) every slow call before counting.
    tokio::time::sleep(SLOW + Duration::from_millis(200)).await;
    Ok(Report {
        succeeded,
        worked_after_give_up: worked_after_give_up.load(Ordering::Relaxed),
        wasted_ms: wasted_micros.load(Ordering::Relaxed) / 1000,
        started_at_c: started.load(Ordering::Relaxed),
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    println!(
        "{REQUESTS} requests from A to B to C, A waits {} ms, C takes {} ms on one in four",
        CALLER_TIMEOUT.as_millis(),
        SLOW.as_millis()
    );
    println!(
        "| deadline propagation | A's success rate | requests C worked on after A gave up | C's work after A gave up |"
    );
    println!("| --- | ---: | ---: | ---: |");
    for propagate in [false, true] {
        let report = run(propagate).await?;
        println!(
            "| {} | {}/{} | {} (of {} started) | {} ms |",
            if propagate { "on" } else { "off" },
            report.succeeded,
            REQUESTS,
            report.worked_after_give_up,
            report.started_at_c,
            report.wasted_ms
        );
    }
    Ok(())
}
