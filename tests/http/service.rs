//! The copyable service example (`examples/http_service.rs`) driven over loopback: its handler
//! retries what the upstream asks to be retried, waiting as its `Retry-After` says; once the
//! upstream is down, the breaker in front of the handler sheds load with 503 without calling it;
//! and `/metrics` shows both, with resilience4j's names.
#![cfg(all(feature = "tower", feature = "http", feature = "metrics"))]

#[allow(dead_code)]
#[path = "../../examples/http_service.rs"]
mod http_service;

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{StatusCode, Uri};
use http_body_util::BodyExt;
use http_service::{HttpClient, Script, install_metrics, start_service, start_upstream};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

async fn get(
    client: &HttpClient,
    service: std::net::SocketAddr,
    path: &str,
) -> (StatusCode, String) {
    let uri: Uri = format!("http://{service}{path}").parse().unwrap();
    let response = client.get(uri).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The value of `name{labels}` in a Prometheus exposition.
fn value(exposition: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    exposition
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (series_name, series_labels) = series.split_once('{')?;
            let matches = series_name == name
                && labels
                    .iter()
                    .all(|(key, wanted)| series_labels.contains(&format!("{key}=\"{wanted}\"")));
            matches.then(|| value.parse().unwrap())
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_what_the_upstream_asks_sheds_load_when_it_is_down_and_shows_it_in_metrics() {
    let metrics = install_metrics();
    let script: Script = Arc::default();
    let upstream = start_upstream(Arc::clone(&script)).await.unwrap();
    let service = start_service(upstream, metrics).await.unwrap();
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();

    // 503 (retried after 20 ms), 429 with Retry-After: 1 (retried after exactly 1 s), then 200.
    script
        .lock()
        .unwrap()
        .extend([(503, None), (429, Some("1")), (200, None)]);
    let started = Instant::now();
    assert_eq!(
        get(&client, service, "/price").await,
        (StatusCode::OK, "42".to_owned())
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as the upstream asked"
    );
    assert!(script.lock().unwrap().is_empty(), "three upstream calls");

    // The upstream is down: each call retries 4 times and answers 502; two trip the breaker,
    // which then answers 503 itself without running the handler.
    script.lock().unwrap().extend([(503, None); 8]);
    for _ in 0..2 {
        let (status, body) = get(&client, service, "/price").await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    }
    assert!(script.lock().unwrap().is_empty(), "eight upstream calls");
    script.lock().unwrap().push_back((200, None));
    let (status, _) = get(&client, service, "/price").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        script.lock().unwrap().len(),
        1,
        "the upstream was not called"
    );

    let (status, exposition) = get(&client, service, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let series = |name: &str, labels: &[(&str, &str)]| value(&exposition, name, labels);
    assert_eq!(
        series(
            "resilience4j_retry_calls_total",
            &[
                ("name", "upstream.price"),
                ("kind", "successful_with_retry")
            ]
        ),
        Some(1.0),
        "{exposition}"
    );
    assert_eq!(
        series(
            "resilience4j_retry_calls_total",
            &[("name", "upstream.price"), ("kind", "failed_with_retry")]
        ),
        Some(2.0)
    );
    assert_eq!(
        series(
            "resilience4j_retry_attempts_total",
            &[("name", "upstream.price")]
        ),
        Some(3.0 + 8.0)
    );
    assert_eq!(
        series(
            "resilience4j_circuitbreaker_state",
            &[("name", "price-handler"), ("state", "open")]
        ),
        Some(1.0)
    );
    assert_eq!(
        series(
            "resilience4j_circuitbreaker_not_permitted_calls_total",
            &[("name", "price-handler")]
        ),
        Some(1.0)
    );
}
