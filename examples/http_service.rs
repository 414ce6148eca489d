//! A service as users write one: its `/price` handler calls a flaky upstream over HTTP with
//! `#[retry(on_result = retry_runtime::http::is_transient)]` (a 503 or a 429 is retried, waiting
//! as long as the upstream's `Retry-After` says), a `CircuitBreakerLayer` in front of the handler
//! sheds load with a 503 while the upstream is down, and `/metrics` serves Prometheus text. A real
//! hyper server and client, on 127.0.0.1.
//!
//! Run with `cargo run --example http_service --features tower,http,metrics`.
//! `tests/http/service.rs` starts the same servers and drives them.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use retry_runtime::BreakerConfig;
use retry_runtime::http::is_transient;
use retry_runtime::retry;
use retry_runtime::tower::{CircuitBreakerLayer, ServerErrors, service_unavailable};
use tower::{Layer, ServiceExt, service_fn};

/// The client the service calls its upstream with.
pub type HttpClient = Client<HttpConnector, Empty<Bytes>>;

/// What the upstream answers next: a status and an optional `Retry-After`, one per request;
/// `200 42` once the script is empty.
pub type Script = Arc<Mutex<VecDeque<(u16, Option<&'static str>)>>>;

/// The upstream's price: retried on 408, 429, 500, 502, 503 and 504, up to 4 attempts, waiting
/// as long as a `Retry-After` says (at most 10% more); any other answer is returned at once.
#[retry(
    name = "upstream.price",
    max_attempts = 4,
    delay = "20ms",
    jitter = "none",
    on_result = is_transient
)]
pub async fn fetch_price(
    client: &HttpClient,
    uri: &Uri,
) -> Result<Response<Incoming>, hyper_util::client::legacy::Error> {
    client.get(uri.clone()).await
}

/// Serves `service` on `listener` until the process ends.
fn serve<S>(listener: tokio::net::TcpListener, service: S)
where
    S: tower::Service<
            Request<Incoming>,
            Response = Response<Full<Bytes>>,
            Error = Infallible,
            Future: Send,
        > + Clone
        + Send
        + 'static,
{
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
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
}

/// Starts the flaky upstream on a loopback port, answering from `script`.
///
/// # Errors
/// When no loopback port can be bound.
pub async fn start_upstream(script: Script) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    serve(
        listener,
        service_fn(move |_request: Request<Incoming>| {
            let next = script.lock().unwrap().pop_front();
            let (status, retry_after) = next.unwrap_or((200, None));
            let mut response = text(StatusCode::from_u16(status).unwrap(), "42");
            if let Some(after) = retry_after {
                response
                    .headers_mut()
                    .insert("retry-after", after.parse().unwrap());
            }
            std::future::ready(Ok::<_, Infallible>(response))
        }),
    );
    Ok(address)
}

/// Installs the Prometheus recorder for the process; its handle renders `/metrics`.
///
/// # Panics
/// If another global recorder is already installed.
pub fn install_metrics() -> PrometheusHandle {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).expect("no other metrics recorder is installed");
    retry_runtime::metrics::describe();
    handle
}

/// Starts the service on a loopback port: `/price` (behind the breaker `price-handler`, which
/// opens after 2 answers of 5xx in a row, for 30 s) and `/metrics`.
///
/// # Errors
/// When no loopback port can be bound.
pub async fn start_service(
    upstream: SocketAddr,
    metrics: PrometheusHandle,
) -> std::io::Result<SocketAddr> {
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let price_uri: Uri = format!("http://{upstream}/price").parse().unwrap();
    let handler = service_fn(move |_request: Request<Incoming>| {
        let (client, uri) = (client.clone(), price_uri.clone());
        async move {
            let answer = match fetch_price(&client, &uri).await {
                Ok(response) if response.status().is_success() => {
                    let body = response.into_body().collect().await;
                    let price = body.map(|body| body.to_bytes()).unwrap_or_default();
                    text(StatusCode::OK, price)
                }
                Ok(response) => text(
                    StatusCode::BAD_GATEWAY,
                    format!("upstream answered {}", response.status()),
                ),
                Err(error) => text(
                    StatusCode::BAD_GATEWAY,
                    format!("upstream unreachable: {error}"),
                ),
            };
            Ok::<_, Infallible>(answer)
        }
    });
    let config = BreakerConfig::builder()
        .failure_threshold(2)
        .open_for(Duration::from_secs(30))
        .build()
        .expect("a valid breaker config");
    let guarded = CircuitBreakerLayer::new("price-handler")
        .config(config)
        .classify(ServerErrors)
        .on_rejection(service_unavailable::<Full<Bytes>>)
        .layer(handler);
    let routes = service_fn(move |request: Request<Incoming>| {
        let (guarded, metrics) = (guarded.clone(), metrics.clone());
        async move {
            match request.uri().path() {
                "/metrics" => {
                    // Successes counted on the threads' stripes join the counters first.
                    retry_runtime::metrics::flush();
                    Ok(text(StatusCode::OK, metrics.render()))
                }
                "/price" => guarded.oneshot(request).await,
                _ => Ok(text(StatusCode::NOT_FOUND, "try /price or /metrics")),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    serve(listener, routes);
    Ok(address)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let metrics = install_metrics();
    let script: Script = Arc::default();
    let upstream = start_upstream(Arc::clone(&script)).await?;
    let service = start_service(upstream, metrics).await?;
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let get = |path: &str| {
        let uri: Uri = format!("http://{service}{path}").parse().unwrap();
        let client = client.clone();
        async move {
            let response = client.get(uri).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((
                status,
                String::from_utf8_lossy(&body).into_owned(),
            ))
        }
    };
    script
        .lock()
        .unwrap()
        .extend([(503, None), (429, Some("1")), (200, None)]);
    println!("upstream answers 503, then 429 with Retry-After: 1, then 200");
    println!("GET /price -> {:?}", get("/price").await?);
    script.lock().unwrap().extend([(503, None); 8]);
    println!("upstream down: every answer 503");
    for _ in 0..3 {
        println!("GET /price -> {:?}", get("/price").await?);
    }
    let (_, exposition) = get("/metrics").await?;
    for line in exposition.lines().filter(|line| {
        !line.starts_with('#')
            && (line.contains("upstream.price") || line.contains("price-handler"))
    }) {
        println!("{line}");
    }
    Ok(())
}
