//! reqwest as users write it (feature `reqwest`), against a hyper server on 127.0.0.1:
//! `#[retry(on_result = is_transient)]` on a fn returning `Result<reqwest::Response, E>` retries
//! what the server asked to be retried and waits as its `retry-after-ms` / `Retry-After` says,
//! with no conversion to `http::Response` (the response keeps its URL); `is_transient_error` is
//! true for connect and timeout errors, and `when = is_transient_error` retries them.
#![cfg(feature = "reqwest")]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use retry_runtime::hooks::{Event, install_hook};
use retry_runtime::http::{is_transient, is_transient_error};
use retry_runtime::{ProvidesRetryHint, RetryHint, retry};

/// What the server answers: a status and the `retry-after-ms` and `Retry-After` it sends.
type Answer = (u16, Option<&'static str>, Option<&'static str>);

/// Serves the script over HTTP/1 on a fresh loopback port, one answer per request (200 "ok"
/// once it is done; a request to `/hang` never gets one), until the test's runtime ends.
async fn serve(hits: &Arc<AtomicU32>, script: &'static [Answer]) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let hits = Arc::clone(hits);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let hits = Arc::clone(&hits);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let hit = hits.fetch_add(1, Ordering::SeqCst) as usize;
                    async move {
                        if request.uri().path() == "/hang" {
                            std::future::pending::<()>().await;
                        }
                        let (status, millis, seconds) =
                            script.get(hit).copied().unwrap_or((200, None, None));
                        let mut response = Response::builder().status(status);
                        if let Some(millis) = millis {
                            response = response.header("retry-after-ms", millis);
                        }
                        if let Some(seconds) = seconds {
                            response = response.header("retry-after", seconds);
                        }
                        let body = if status == 200 { "ok" } else { "not now" };
                        Ok::<_, Infallible>(response.body(Full::new(Bytes::from(body))).unwrap())
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    address
}

#[retry(max_attempts = 4, delay = "100ms", jitter = "none", on_result = is_transient)]
async fn fetch(client: &reqwest::Client, url: &str) -> Result<reqwest::Response, reqwest::Error> {
    client.get(url).send().await
}

// Paused time: the sleeps pass at once, the requests go over the socket for real.
#[tokio::test(start_paused = true)]
async fn a_503_then_a_429_with_retry_after_ms_are_retried_and_the_200_comes_back_with_its_url() {
    static SCRIPT: [Answer; 2] = [(503, None, None), (429, Some("250"), Some("1"))];
    let hits = Arc::new(AtomicU32::new(0));
    let address = serve(&hits, &SCRIPT).await;
    let client = reqwest::Client::new();
    let url = format!("http://{address}/price?item=7");

    let delays = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = Arc::clone(&delays);
    let _hook = install_hook(move |event: &Event<'_>| {
        if let Event::RetryScheduled { name, delay, .. } = event
            && *name == concat!(module_path!(), "::fetch")
        {
            sink.lock().unwrap().push(*delay);
        }
    });
    let response = fetch(&client, &url).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.url().as_str(),
        url,
        "the response is reqwest's own"
    );
    assert_eq!(response.text().await.unwrap(), "ok");
    assert_eq!(hits.load(Ordering::SeqCst), 3, "503, 429, then 200");
    // 100 ms of backoff, then the 250 ms of `retry-after-ms` (to 275 ms), not the whole second
    // of `Retry-After`.
    let delays = delays.lock().unwrap().clone();
    assert_eq!(delays.len(), 2, "{delays:?}");
    assert_eq!(delays[0], Duration::from_millis(100));
    assert!(
        delays[1] >= Duration::from_millis(250) && delays[1] <= Duration::from_millis(275),
        "{delays:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn exhausted_the_last_response_comes_back_as_it_is() {
    static SCRIPT: [Answer; 4] = [(503, None, None); 4];
    let hits = Arc::new(AtomicU32::new(0));
    let address = serve(&hits, &SCRIPT).await;
    let response = fetch(&reqwest::Client::new(), &format!("http://{address}/"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.text().await.unwrap(), "not now");
    assert_eq!(hits.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_reqwest_response_provides_its_hint() {
    static SCRIPT: [Answer; 2] = [(429, None, Some("3")), (503, Some("1500"), Some("2"))];
    let hits = Arc::new(AtomicU32::new(0));
    let address = serve(&hits, &SCRIPT).await;
    let client = reqwest::Client::new();
    let url = format!("http://{address}/");
    let first = client.get(&url).send().await.unwrap();
    assert!(is_transient(&first));
    assert_eq!(
        first.retry_hint(),
        RetryHint::RetryAfter(Duration::from_secs(3))
    );
    let second = client.get(&url).send().await.unwrap();
    assert_eq!(
        second.retry_hint(),
        RetryHint::RetryAfter(Duration::from_millis(1500))
    );
    let third = client.get(&url).send().await.unwrap();
    assert!(!is_transient(&third));
    assert_eq!(third.retry_hint(), RetryHint::FollowPolicy);
}

/// A loopback port nothing listens on.
async fn closed_port() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

#[retry(
    max_attempts = 3,
    delay = "10ms",
    on_result = is_transient,
    when = is_transient_error
)]
async fn fetch_or_retry_errors(
    client: &reqwest::Client,
    url: &str,
    calls: &AtomicU32,
) -> Result<reqwest::Response, reqwest::Error> {
    calls.fetch_add(1, Ordering::SeqCst);
    client.get(url).send().await
}

// Real time: a paused clock would fire the client's timeout while it waits on the socket.
#[tokio::test]
async fn connect_and_timeout_errors_are_transient_and_retried_with_when() {
    let client = reqwest::Client::new();
    let calls = AtomicU32::new(0);
    let refused = format!("http://{}/", closed_port().await);
    let error = fetch_or_retry_errors(&client, &refused, &calls)
        .await
        .unwrap_err();
    assert!(error.is_connect() && is_transient_error(&error), "{error}");
    assert_eq!(calls.load(Ordering::SeqCst), 3, "retried");

    let hits = Arc::new(AtomicU32::new(0));
    let address = serve(&hits, &[]).await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let calls = AtomicU32::new(0);
    let error = fetch_or_retry_errors(&impatient, &format!("http://{address}/hang"), &calls)
        .await
        .unwrap_err();
    assert!(error.is_timeout() && is_transient_error(&error), "{error}");
    assert_eq!(calls.load(Ordering::SeqCst), 3, "retried");

    // An error about the request itself is not.
    let error = client.get("http://[::1:bad/").send().await.unwrap_err();
    assert!(!is_transient_error(&error), "{error}");
}
