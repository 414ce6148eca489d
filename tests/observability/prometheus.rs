//! Starts the Prometheus example on an ephemeral loopback port, drives traffic through its
//! `#[circuit_breaker] #[retry]` handler, scrapes `/metrics`, and checks the series and values.
#![cfg(feature = "metrics")]

#[allow(dead_code)]
#[path = "../../examples/prometheus.rs"]
mod example;

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn get(address: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The value of the series `name{labels}` in a Prometheus text exposition.
fn value(exposition: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    exposition
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (series_name, series_labels) = series.split_once('{').unwrap_or((series, "}"));
            let matches = series_name == name
                && labels
                    .iter()
                    .all(|(key, wanted)| series_labels.contains(&format!("{key}=\"{wanted}\"")));
            matches.then(|| value.parse().unwrap())
        })
        .unwrap_or_else(|| panic!("no series {name}{labels:?} in:\n{exposition}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_endpoint_shows_retries_trips_and_rejections() {
    let handle = example::install_metrics();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(example::serve(
        listener,
        Arc::new(example::Service::default()),
        handle,
    ));

    // The dependency fails every other call: each request succeeds on its second attempt.
    for _ in 0..4 {
        assert_eq!(
            get(address, "/price/tea").await,
            (200, "tea: 300\n".to_owned())
        );
    }
    // An outage: three requests exhaust their attempts and open the breaker...
    assert_eq!(get(address, "/outage/on").await.0, 200);
    for _ in 0..3 {
        let (status, body) = get(address, "/price/tea").await;
        assert_eq!(
            (status, body.as_str()),
            (503, "the price service is unavailable\n")
        );
    }
    // ...and the next one is rejected without calling the dependency.
    let (status, body) = get(address, "/price/tea").await;
    assert_eq!(status, 503);
    assert!(
        body.starts_with("circuit breaker `prices` is open"),
        "{body}"
    );

    let (status, exposition) = get(address, "/metrics").await;
    assert_eq!(status, 200);
    let retry_calls = "resilience4j_retry_calls_total";
    let price = ("name", "price");
    assert_eq!(
        value(
            &exposition,
            retry_calls,
            &[price, ("kind", "successful_with_retry")]
        ),
        4.0
    );
    assert_eq!(
        value(
            &exposition,
            retry_calls,
            &[price, ("kind", "failed_with_retry")]
        ),
        3.0
    );
    // 4 requests x 2 attempts + 3 requests x 3 attempts.
    assert_eq!(
        value(&exposition, "resilience4j_retry_attempts_total", &[price]),
        17.0
    );
    let prices = ("name", "prices");
    let breaker_calls = "resilience4j_circuitbreaker_calls_total";
    assert_eq!(
        value(
            &exposition,
            breaker_calls,
            &[prices, ("kind", "successful")]
        ),
        4.0
    );
    assert_eq!(
        value(&exposition, breaker_calls, &[prices, ("kind", "failed")]),
        3.0
    );
    assert_eq!(
        value(
            &exposition,
            "resilience4j_circuitbreaker_not_permitted_calls_total",
            &[prices]
        ),
        1.0
    );
    assert_eq!(
        value(
            &exposition,
            "resilience4j_circuitbreaker_state",
            &[prices, ("state", "open")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &exposition,
            "resilience4j_circuitbreaker_state",
            &[prices, ("state", "closed")]
        ),
        0.0
    );
    assert_eq!(
        value(
            &exposition,
            "resilience4j_circuitbreaker_transitions_total",
            &[prices, ("from", "closed"), ("to", "open")]
        ),
        1.0
    );
    assert!(
        exposition.contains("# TYPE resilience4j_retry_delay_seconds summary"),
        "{exposition}"
    );
    server.abort();
}
