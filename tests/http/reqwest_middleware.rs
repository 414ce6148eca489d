//! `RetryMiddleware` and `CircuitBreakerMiddleware` in a `reqwest_middleware::ClientBuilder`
//! (feature `reqwest-middleware`), against a hyper server on 127.0.0.1: transient answers are
//! retried as the server asks, a breaker opens in an outage and rejects without sending, a
//! breaker's rejection is never retried, and `stats` sees the middleware under its name.
#![cfg(feature = "reqwest-middleware")]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use retry_runtime::hooks::{Event, install_hook};
use retry_runtime::reqwest_middleware::{CircuitBreakerMiddleware, RetryMiddleware};
use retry_runtime::{BreakerConfig, BreakerState, CircuitOpen, Jitter, RetryPolicy, breaker};

/// Serves the statuses (with an optional `retry-after-ms`) one per request, then 200 "ok";
/// `hits` counts the requests.
async fn serve(
    hits: &Arc<AtomicU32>,
    script: &'static [(u16, Option<&'static str>)],
) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let hits = Arc::clone(hits);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let hits = Arc::clone(&hits);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_: Request<Incoming>| {
                    let hit = hits.fetch_add(1, Ordering::SeqCst) as usize;
                    let (status, millis) = script.get(hit).copied().unwrap_or((200, None));
                    let mut response = Response::builder().status(status);
                    if let Some(millis) = millis {
                        response = response.header("retry-after-ms", millis);
                    }
                    let body = if status == 200 { "ok" } else { "not now" };
                    std::future::ready(Ok::<_, Infallible>(
                        response.body(Full::new(Bytes::from(body))).unwrap(),
                    ))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    address
}

fn policy(attempts: u32) -> RetryPolicy {
    RetryPolicy::builder()
        .max_attempts(attempts)
        .delay(Duration::from_millis(100))
        .jitter(Jitter::None)
        .build()
        .unwrap()
}

// Paused time: the sleeps pass at once, the requests go over the socket for real.
#[tokio::test(start_paused = true)]
async fn retry_middleware_retries_transient_answers_as_the_server_asks() {
    static SCRIPT: [(u16, Option<&str>); 2] = [(503, None), (429, Some("250"))];
    let hits = Arc::new(AtomicU32::new(0));
    let address = serve(&hits, &SCRIPT).await;
    let stats = retry_runtime::stats::collect();
    let delays = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&delays);
    let _hook = install_hook(move |event: &Event<'_>| {
        if let Event::RetryScheduled {
            name: "middleware-retry",
            delay,
            ..
        } = event
        {
            sink.lock().unwrap().push(*delay);
        }
    });
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(RetryMiddleware::new("middleware-retry", policy(4)))
        .build();

    let response = client
        .get(format!("http://{address}/price"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "ok");
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    let delays = delays.lock().unwrap().clone();
    assert_eq!(delays[0], Duration::from_millis(100));
    assert!(
        delays[1] >= Duration::from_millis(250) && delays[1] <= Duration::from_millis(275),
        "{delays:?}"
    );
    let site = stats.retry("middleware-retry");
    assert_eq!(
        (site.calls, site.attempts, site.retries, site.successes),
        (1, 3, 2, 1)
    );
}

#[tokio::test(start_paused = true)]
async fn a_breaker_opens_in_an_outage_and_its_rejection_is_not_retried() {
    static OUTAGE: [(u16, Option<&str>); 100] = [(503, None); 100];
    let hits = Arc::new(AtomicU32::new(0));
    let address = serve(&hits, &OUTAGE).await;
    let config = BreakerConfig::builder()
        .failure_threshold(2)
        .open_for(Duration::from_secs(30))
        .build()
        .unwrap();
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(RetryMiddleware::new("middleware-outage", policy(3)))
        .with(CircuitBreakerMiddleware::new("middleware-outage").config(config))
        .build();
    let url = format!("http://{address}/");

    // Two attempts fail and open the breaker; the third is rejected, which ends the call.
    let error = client.get(&url).send().await.unwrap_err();
    let reqwest_middleware::Error::Middleware(rejection) = &error else {
        panic!("{error}");
    };
    let open = rejection
        .downcast_ref::<CircuitOpen>()
        .expect("a CircuitOpen");
    assert_eq!(open.name, "middleware-outage");
    assert_eq!(hits.load(Ordering::SeqCst), 2, "nothing sent once open");
    let handle = breaker("middleware-outage").unwrap();
    assert_eq!(handle.state(), BreakerState::Open);
    let counts = handle.counts();
    assert_eq!((counts.failed, counts.rejected), (2, 1));
    // Open: the next call is rejected at once, the server left alone.
    assert!(client.get(&url).send().await.is_err());
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn the_last_transient_answer_comes_back_and_other_answers_at_once() {
    static SCRIPT: [(u16, Option<&str>); 4] = [(503, None), (503, None), (404, None), (200, None)];
    let hits = Arc::new(AtomicU32::new(0));
    let address = serve(&hits, &SCRIPT).await;
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(RetryMiddleware::new("middleware-exhausted", policy(2)))
        .build();
    let url = format!("http://{address}/");
    let response = client.get(&url).send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "exhausted"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    let response = client.get(&url).send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "an answer, not retried"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

/// A server that accepts connections and never answers.
async fn silent() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    address
}

// Real time (300 ms a attempt): a paused clock would jump while the runtime waits on sockets.
#[tokio::test]
async fn attempt_timeout_cuts_each_attempt_off_and_the_last_timeout_comes_back() {
    let address = silent().await;
    let stats = retry_runtime::stats::collect();
    let policy = RetryPolicy::builder()
        .max_attempts(2)
        .delay(Duration::from_millis(10))
        .attempt_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(RetryMiddleware::new("middleware-timeout", policy))
        .build();
    let error = client
        .get(format!("http://{address}/"))
        .send()
        .await
        .unwrap_err();
    let reqwest_middleware::Error::Middleware(timeout) = &error else {
        panic!("{error}");
    };
    let timeout = timeout
        .downcast_ref::<retry_runtime::AttemptTimeout>()
        .expect("an AttemptTimeout");
    assert_eq!(timeout.timeout, Duration::from_millis(300));
    let site = stats.retry("middleware-timeout");
    assert_eq!((site.attempts, site.retries, site.failures), (2, 1, 1));
}
