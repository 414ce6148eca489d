//! What a fleet link (feature `redis`) adds to a call: nothing on the hot path. The same
//! `#[circuit_breaker]` success, `#[retry(budget = ...)]` success and `#[rate_limit]` admission
//! (a local GCRA, then permits leased from the fleet), first with no link, then
//! with a link connected to a `redis-server` the bench starts on a loopback port (if
//! `redis-server` is not installed, to an unreachable address, and the group says so).
//!
//! ```sh
//! cargo bench --bench fleet --features redis
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use retry_runtime::fleet::{self, Fleet, FleetOptions};
use retry_runtime::{RateLimited, circuit_breaker, rate_limit, retry};

#[path = "../tests/fleet/support.rs"]
mod fleet_support;

#[derive(Debug)]
struct Failed;

impl From<retry_runtime::CircuitOpen> for Failed {
    fn from(_: retry_runtime::CircuitOpen) -> Self {
        Failed
    }
}

impl From<RateLimited> for Failed {
    fn from(_: RateLimited) -> Self {
        Failed
    }
}

#[inline(never)]
fn body(x: u64) -> Result<u64, Failed> {
    if black_box(x) == 0 {
        Err(Failed)
    } else {
        Ok(x)
    }
}

#[circuit_breaker(name = "fleet-bench", failure_threshold = 5)]
#[inline(never)]
fn guarded(x: u64) -> Result<u64, Failed> {
    body(x)
}

#[retry(budget = "fleet-bench")]
#[inline(never)]
fn retried(x: u64) -> Result<u64, Failed> {
    body(x)
}

/// Never short of permits: the fleet leases 20 million at a time (a second's worth every
/// 20 ms flush), so every call measured is admitted.
#[rate_limit(
    name = "fleet-bench",
    per_second = 1_000_000_000,
    burst = 1_000_000_000
)]
#[inline(never)]
fn rate_limited(x: u64) -> Result<u64, Failed> {
    body(x)
}

/// A link to the bench's own server, or to an unreachable address; the label says which.
fn link(server: Option<&fleet_support::RedisServer>) -> (Fleet, &'static str) {
    let (url, label) = match server {
        Some(server) => (server.url(), "link connected"),
        None => (
            "redis://127.0.0.1:1/".to_owned(),
            "link to an unreachable address",
        ),
    };
    let options = FleetOptions::new().prefix(fleet_support::prefix("bench"));
    let fleet = fleet::connect(&url, options).expect("the link starts");
    if server.is_some() {
        assert!(fleet.wait_synced(Duration::from_secs(10)));
    }
    (fleet, label)
}

fn fleet_hot_paths(c: &mut Criterion) {
    let server = fleet_support::RedisServer::start();
    // The first calls register the breaker and the budget.
    let _ = guarded(1);
    let _ = retried(1);
    let _ = rate_limited(1);

    let mut group = c.benchmark_group("fleet: breaker closed, success, 1 thread");
    group.bench_function("no link", |b| b.iter(|| guarded(black_box(1))));
    let (fleet, label) = link(server.as_ref());
    group.bench_function(label, |b| b.iter(|| guarded(black_box(1))));
    group.finish();
    drop(fleet);

    let mut group = c.benchmark_group("fleet: #[retry(budget)] success, 1 thread");
    group.bench_function("no link", |b| b.iter(|| retried(black_box(1))));
    let (fleet, label) = link(server.as_ref());
    // A budget joins the fleet at the link's first flush after the link connects.
    std::thread::sleep(Duration::from_millis(100));
    group.bench_function(label, |b| b.iter(|| retried(black_box(1))));
    group.finish();
    drop(fleet);

    let mut group = c.benchmark_group("fleet: #[rate_limit] admitted, 1 thread");
    group.bench_function("no link", |b| b.iter(|| rate_limited(black_box(1))));
    // Registered before connecting: the limiter joins (and takes its first lease) before the
    // link is synced.
    let (fleet, label) = link(server.as_ref());
    let limiter = retry_runtime::rate_limiter("fleet-bench").expect("registered");
    let rejected_before = limiter.counts().rejected;
    group.bench_function(label, |b| b.iter(|| rate_limited(black_box(1))));
    group.finish();
    // A rejection is cheaper than an admission: say if any call found no leased permit (a
    // flush delayed past 20 million calls).
    println!(
        "fleet: #[rate_limit] calls rejected with the link connected: {}",
        limiter.counts().rejected - rejected_before
    );
    drop(fleet);
}

criterion_group!(benches, fleet_hot_paths);
criterion_main!(benches);
