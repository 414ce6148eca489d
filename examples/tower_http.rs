//! A hyper server and client on loopback, both with the tower layers: the server's handler sits
//! behind a `CircuitBreakerLayer` that answers 503 with `Retry-After` while it is open; the
//! client retries transient answers through a `RetryLayer`, waiting as the server asks.
//!
//! Run with `cargo run --example tower_http --features tower,http`.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use http::{Request, Response, Uri};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use retry_runtime::hooks::{Event, install_hook};
use retry_runtime::tower::{
    CircuitBreakerLayer, RetryLayer, ServerErrors, TransientResponses, service_unavailable,
};
use retry_runtime::{BreakerConfig, Jitter, RetryPolicy};
use tower::{Layer, ServiceBuilder, ServiceExt, service_fn};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let _hook = install_hook(|event: &Event<'_>| match event {
        Event::RetryScheduled {
            name,
            attempt,
            delay,
            error,
            ..
        } => println!("  [{name}] attempt {attempt} got {error}; retrying in {delay:?}"),
        Event::BreakerTransition { name, from, to, .. } => {
            println!("  [{name}] breaker {from} -> {to}");
        }
        _ => {}
    });

    // The server: a handler whose database fails its first two requests. Its breaker opens
    // after two failures and stays open for one second.
    let handled = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&handled);
    let handler = service_fn(move |_request: Request<Incoming>| {
        let call = counter.fetch_add(1, Ordering::SeqCst) + 1;
        let (status, body) = if call <= 2 {
            (500, "database down")
        } else {
            (200, "42 widgets")
        };
        let response = Response::builder()
            .status(status)
            .body(Full::new(Bytes::from(body)));
        std::future::ready(Ok::<_, Infallible>(response.unwrap()))
    });
    let breaker = BreakerConfig::builder()
        .failure_threshold(2)
        .open_for(Duration::from_secs(1))
        .build()?;
    let server = CircuitBreakerLayer::new("inventory-handler")
        .config(breaker)
        .classify(ServerErrors)
        .on_rejection(service_unavailable::<Full<Bytes>>)
        .layer(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let server = server.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |request| server.clone().oneshot(request));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });

    // The client: up to 5 attempts, 10 ms apart unless the server says otherwise. The request
    // the layer clones is the path; each attempt builds its `http::Request` from it.
    let policy = RetryPolicy::builder()
        .max_attempts(5)
        .delay(Duration::from_millis(10))
        .jitter(Jitter::None)
        .build()?;
    let client = ServiceBuilder::new()
        .layer(RetryLayer::new("inventory-client", policy).classify(TransientResponses))
        .map_request(move |path: &'static str| {
            let uri: Uri = format!("http://{address}{path}").parse().unwrap();
            Request::get(uri).body(Empty::<Bytes>::new()).unwrap()
        })
        .service(Client::builder(TokioExecutor::new()).build_http());

    println!("GET /widgets");
    let response = client.oneshot("/widgets").await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    println!(
        "{status}: {} (the handler ran {} times)",
        String::from_utf8_lossy(&body),
        handled.load(Ordering::SeqCst)
    );
    Ok(())
}
