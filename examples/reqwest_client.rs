//! A reqwest client retrying a flaky server on loopback, two ways: `#[retry]` on a fn returning
//! `Result<reqwest::Response, reqwest::Error>` (`on_result = is_transient`, no conversion), and
//! `RetryMiddleware` with `CircuitBreakerMiddleware` in a `reqwest_middleware::ClientBuilder`.
//! The server answers 503, then 429 with `retry-after-ms: 250`, then 200.
//!
//! Run with `cargo run --example reqwest_client --features reqwest-middleware`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use http::{Request, Response};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use retry_runtime::hooks::{Event, install_hook};
use retry_runtime::http::{is_transient, is_transient_error};
use retry_runtime::reqwest_middleware::{CircuitBreakerMiddleware, RetryMiddleware};
use retry_runtime::{RetryPolicy, retry};

#[retry(name = "price", max_attempts = 4, on_result = is_transient, when = is_transient_error)]
async fn price(client: &reqwest::Client, url: &str) -> Result<reqwest::Response, reqwest::Error> {
    client.get(url).send().await
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let _hook = install_hook(|event: &Event<'_>| {
        if let Event::RetryScheduled {
            name,
            attempt,
            delay,
            error,
            ..
        } = event
        {
            println!("  [{name}] attempt {attempt} got {error}; retrying in {delay:?}");
        }
    });

    println!("#[retry] on a reqwest fn:");
    let address = flaky_server().await;
    let response = price(&reqwest::Client::new(), &format!("http://{address}/price")).await?;
    let (status, url) = (response.status(), response.url().clone());
    println!("  {status} from {url}: {}", response.text().await?);

    println!("RetryMiddleware and CircuitBreakerMiddleware:");
    let address = flaky_server().await;
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(RetryMiddleware::new("price-client", RetryPolicy::DEFAULT))
        .with(CircuitBreakerMiddleware::new("price-server"))
        .build();
    let response = client.get(format!("http://{address}/price")).send().await?;
    println!("  {}: {}", response.status(), response.text().await?);
    Ok(())
}

/// A server on a fresh loopback port: 503, then 429 asking for 250 ms, then 200.
async fn flaky_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicU32::new(0));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let hits = Arc::clone(&hits);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_: Request<Incoming>| {
                    let response = match hits.fetch_add(1, Ordering::SeqCst) {
                        0 => Response::builder().status(503),
                        1 => Response::builder()
                            .status(429)
                            .header("retry-after-ms", "250"),
                        _ => Response::builder().status(200),
                    };
                    let body = Full::new(Bytes::from("42 widgets"));
                    std::future::ready(Ok::<_, Infallible>(response.body(body).unwrap()))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    address
}
