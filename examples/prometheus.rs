//! A small price service on loopback whose handler uses `#[circuit_breaker]` and `#[retry]`
//! against a flaky dependency, exposing `/metrics` for Prometheus (metrics-exporter-prometheus).
//!
//! `cargo run --features metrics --example prometheus [127.0.0.1:9898]`, then:
//! - `curl localhost:9898/price/tea`: the dependency fails every other call, so each price
//!   needs one retry;
//! - `curl localhost:9898/outage/on`: every call fails; three exhausted requests open the
//!   breaker, and the next ones are rejected at once (`/outage/off` ends the outage);
//! - `curl localhost:9898/metrics`: the `resilience4j_*` series.
//!
//! The HTTP side is a minimal HTTP/1.1 responder on tokio's `TcpListener`, enough for curl and
//! Prometheus, so the example needs no web framework.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use retry_runtime::{CircuitOpen, circuit_breaker, retry};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Why a price could not be had.
#[derive(Debug)]
pub enum PriceError {
    /// The dependency failed: retried.
    Unavailable,
    /// The breaker is open: the dependency was not called.
    Rejected(CircuitOpen),
}

impl fmt::Display for PriceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PriceError::Unavailable => f.write_str("the price service is unavailable"),
            PriceError::Rejected(open) => open.fmt(f),
        }
    }
}

impl From<CircuitOpen> for PriceError {
    fn from(open: CircuitOpen) -> Self {
        PriceError::Rejected(open)
    }
}

/// The flaky dependency: fails every other call, and every call during an outage.
#[derive(Default)]
pub struct Dependency {
    calls: AtomicU64,
    outage: AtomicBool,
}

impl Dependency {
    fn quote(&self, item: &str) -> Result<u32, PriceError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        if self.outage.load(Ordering::SeqCst) || call.is_multiple_of(2) {
            return Err(PriceError::Unavailable);
        }
        Ok(u32::try_from(item.len()).unwrap_or(u32::MAX) * 100)
    }
}

/// The service's state.
#[derive(Default)]
pub struct Service {
    dependency: Dependency,
}

impl Service {
    /// The breaker is outside: an exhausted retry counts as one failure, and an open breaker
    /// rejects before any attempt.
    #[circuit_breaker(name = "prices", failure_threshold = 3, open_for = "30s")]
    #[retry(max_attempts = 3, delay = "5ms", jitter = "none", on = [Unavailable], name = "price")]
    async fn price(&self, item: &str) -> Result<u32, PriceError> {
        self.dependency.quote(item)
    }
}

/// Installs the Prometheus recorder globally and declares the metrics' units.
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

/// Serves until the listener fails.
///
/// # Errors
/// The listener's accept error.
pub async fn serve(
    listener: TcpListener,
    service: Arc<Service>,
    metrics: PrometheusHandle,
) -> io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let (service, metrics) = (Arc::clone(&service), metrics.clone());
        tokio::spawn(async move {
            if let Err(error) = respond(stream, &service, &metrics).await {
                eprintln!("connection failed: {error}");
            }
        });
    }
}

async fn respond(
    mut stream: TcpStream,
    service: &Service,
    metrics: &PrometheusHandle,
) -> io::Result<()> {
    let mut request = vec![0; 4096];
    let read = stream.read(&mut request).await?;
    let request = String::from_utf8_lossy(&request[..read]);
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    let (status, body) = match path {
        "/metrics" => {
            // Successes counted on this thread's stripes (and the others') join the counters.
            retry_runtime::metrics::flush();
            ("200 OK", metrics.render())
        }
        "/outage/on" | "/outage/off" => {
            service
                .dependency
                .outage
                .store(path.ends_with("on"), Ordering::SeqCst);
            ("200 OK", format!("outage {}\n", &path[8..]))
        }
        _ => match path.strip_prefix("/price/") {
            Some(item) => match service.price(item).await {
                Ok(price) => ("200 OK", format!("{item}: {price}\n")),
                Err(error) => ("503 Service Unavailable", format!("{error}\n")),
            },
            None => ("404 Not Found", "try /price/tea or /metrics\n".to_owned()),
        },
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9898".to_owned());
    let metrics = install_metrics();
    let listener = TcpListener::bind(&address).await?;
    println!("listening on http://{}", listener.local_addr()?);
    serve(listener, Arc::new(Service::default()), metrics).await
}
