//! A service surviving the faults chaos injects into its store: `#[retry]` carries calls
//! through scattered faults, `#[circuit_breaker]` trips in an outage and answers from a cache
//! (its `fallback`) until the store is back, and injected latency is cut off by the retry's
//! `attempt_timeout`. Nothing in the store's code changes between phases: the chaos point
//! `"store"` is configured at run time (`retry_runtime::chaos("store")`), or with
//! `--features config` from a `[chaos.store]` section (or `RETRY_RUNTIME__CHAOS__STORE__...`
//! variables) as a staging deploy would.
//!
//! `cargo run --example chaos` (or `--features config`). Virtual time (tokio's paused clock) and
//! a seeded generator: every run prints the same table. Columns: calls answered `ok` or
//! `failed`, answered by the `store` (its body ran) or the `cache` (the breaker's fallback),
//! and what chaos injected: `faults`, and `delayed` attempts.

use std::cell::Cell;
use std::time::Duration;

use retry_runtime::{
    AttemptTimeout, BreakerState, ChaosConfig, CircuitOpen, InjectedFault, breaker, chaos,
    circuit_breaker, retry,
};

#[derive(Debug)]
enum StoreError {
    /// What the store fails with; chaos rehearses it.
    Unavailable,
    TimedOut,
    Open,
}

impl From<InjectedFault> for StoreError {
    fn from(_: InjectedFault) -> Self {
        StoreError::Unavailable
    }
}

impl From<AttemptTimeout> for StoreError {
    fn from(_: AttemptTimeout) -> Self {
        StoreError::TimedOut
    }
}

impl From<CircuitOpen> for StoreError {
    fn from(_: CircuitOpen) -> Self {
        StoreError::Open
    }
}

thread_local! {
    static STORE_READS: Cell<u64> = const { Cell::new(0) };
    static CACHE_READS: Cell<u64> = const { Cell::new(0) };
}

/// The service's read: retried, behind a breaker that falls back to the cache, over a store
/// call that chaos can fail or slow down.
#[retry(
    max_attempts = 3,
    delay = "20ms",
    attempt_timeout = "100ms",
    on = [Unavailable, TimedOut]
)]
#[circuit_breaker(
    name = "store",
    failure_rate = 0.6,
    window = 50,
    min_calls = 20,
    open_for = "1s",
    fallback = from_cache
)]
#[retry_runtime::chaos(name = "store")]
async fn read(key: u64) -> Result<u64, StoreError> {
    STORE_READS.set(STORE_READS.get() + 1);
    tokio::time::sleep(Duration::from_millis(5)).await; // the store's own latency
    Ok(key * 2)
}

/// Stale, but an answer.
async fn from_cache(key: u64) -> Result<u64, StoreError> {
    CACHE_READS.set(CACHE_READS.get() + 1);
    Ok(key * 2)
}

struct Phase {
    name: &'static str,
    config: Option<ChaosConfig>,
}

fn main() {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a current-thread runtime")
        .block_on(run());
}

async fn run() {
    let from_config = configure_from_file();
    retry_runtime::testing::seed_jitter(42);
    let rates = |fault_rate: f64| ChaosConfig::builder().fault_rate(fault_rate).build().ok();
    let slow = ChaosConfig::builder()
        .latency(Duration::from_millis(500))
        .latency_rate(0.2)
        .build()
        .ok();
    let phases = [
        Phase {
            name: if from_config {
                "10% faults ([chaos.store])"
            } else {
                "10% faults"
            },
            config: rates(0.1),
        },
        Phase {
            name: "30% faults",
            config: rates(0.3),
        },
        Phase {
            name: "20% slow (500 ms)",
            config: slow,
        },
        Phase {
            name: "outage (100% faults)",
            config: rates(1.0),
        },
        Phase {
            name: "recovered (cleared)",
            config: None,
        },
    ];
    let point = chaos("store").expect("a name");
    println!(
        "{:<28} {:>5} {:>5} {:>6} {:>6} {:>6} {:>7} {:>8} {:>7}",
        "phase", "calls", "ok", "failed", "store", "cache", "faults", "delayed", "breaker"
    );
    for (index, phase) in phases.iter().enumerate() {
        // The first phase comes from the config file when the feature is on.
        if index > 0 || !from_config {
            match phase.config {
                Some(config) => point.configure(config),
                None => point.clear(),
            }
        }
        if phase.config.is_none() {
            // Let the breaker's open period pass, so it probes the recovered store.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let before = (STORE_READS.get(), CACHE_READS.get(), point.counts());
        let (mut ok, mut failed) = (0, 0);
        for key in 0..200 {
            match read(key).await {
                Ok(value) if value == key * 2 => ok += 1,
                _ => failed += 1,
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let state = breaker("store").map_or(BreakerState::Closed, |breaker| breaker.state());
        println!(
            "{:<28} {:>5} {:>5} {:>6} {:>6} {:>6} {:>7} {:>8} {:>7}",
            phase.name,
            200,
            ok,
            failed,
            STORE_READS.get() - before.0,
            CACHE_READS.get() - before.1,
            point.counts().faults - before.2.faults,
            point.counts().latencies - before.2.latencies,
            state.name(),
        );
    }
    println!(
        "\nThe retry carried calls through scattered faults and cut delayed attempts off at 100 ms;\n\
         a call failed only when all 3 of its attempts drew a fault, or in the outage before the\n\
         breaker opened; from then on the cache answered, until the store was back."
    );
}

/// With `--features config`: the first phase's chaos comes from a `[chaos.store]` section, as
/// it would from a staging deploy's file (or `RETRY_RUNTIME__CHAOS__STORE__FAULT_RATE=0.1`).
#[cfg(feature = "config")]
fn configure_from_file() -> bool {
    use retry_runtime::config::{Overrides, install};
    let file = Overrides::from_toml("[chaos.store]\nfault_rate = 0.1\n", "staging.toml")
        .expect("a valid section");
    let environment = Overrides::from_env().expect("valid variables");
    install(file.merged_with(environment)).expect("installed once");
    true
}

#[cfg(not(feature = "config"))]
fn configure_from_file() -> bool {
    false
}
