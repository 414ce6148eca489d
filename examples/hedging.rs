//! Hedged requests against a dependency with a long tail: 99% of calls take |Normal(10 ms,
//! 2 ms)|, 1% take 1 s (a GC pause, a cold cache, a lost packet). Each attempt draws its own
//! latency, so a second attempt beside a slow one is very likely fast.
//!
//! The calls go through real `#[hedge]` fns on tokio's paused clock: virtual time, one thread,
//! latencies from a seeded generator, so every run prints the same table. For each strategy it
//! reports the call latency's p50, p99 and p99.9, and the extra load (attempts beyond one a
//! call) that hedging cost.
//!
//! `cargo run --release --example hedging` (20,000 calls a strategy); `-- --calls 5000 --seed 7`
//! to change them.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use retry_runtime::hedge;
use tokio::time::Instant;

const TAIL_SHARE: f64 = 0.01;
const TAIL: Duration = Duration::from_secs(1);
const MEAN_MS: f64 = 10.0;
const STD_DEV_MS: f64 = 2.0;

thread_local! {
    static RNG: RefCell<SmallRng> = RefCell::new(SmallRng::seed_from_u64(42));
    static ATTEMPTS: Cell<u64> = const { Cell::new(0) };
}

/// One attempt against the dependency: its own latency draw, then the answer.
async fn dependency(key: u64) -> Result<u64, Unavailable> {
    ATTEMPTS.set(ATTEMPTS.get() + 1);
    let latency = RNG.with_borrow_mut(|rng| {
        if rng.random::<f64>() < TAIL_SHARE {
            return TAIL;
        }
        // |Normal(10 ms, 2 ms)|, by Box-Muller from two uniform draws.
        let (u1, u2): (f64, f64) = (rng.random::<f64>().max(f64::MIN_POSITIVE), rng.random());
        let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        Duration::from_secs_f64((MEAN_MS + STD_DEV_MS * normal).abs() / 1000.0)
    });
    tokio::time::sleep(latency).await;
    Ok(key)
}

#[derive(Debug)]
struct Unavailable;

async fn not_hedged(key: u64) -> Result<u64, Unavailable> {
    dependency(key).await
}

#[hedge(name = "fixed-50ms", after = "50ms", max_hedges = 1)]
async fn fixed_50ms(key: u64) -> Result<u64, Unavailable> {
    dependency(key).await
}

#[hedge(name = "fixed-10ms", after = "10ms", max_hedges = 1)]
async fn fixed_10ms(key: u64) -> Result<u64, Unavailable> {
    dependency(key).await
}

#[hedge(name = "p95", after = "p95", max_hedges = 1)]
async fn p95(key: u64) -> Result<u64, Unavailable> {
    dependency(key).await
}

#[hedge(name = "p95-two", after = "p95", max_hedges = 2)]
async fn p95_two_hedges(key: u64) -> Result<u64, Unavailable> {
    dependency(key).await
}

struct Row {
    strategy: &'static str,
    p50: Duration,
    p99: Duration,
    p999: Duration,
    extra_load: f64,
}

/// Runs `calls` calls one after another and measures each on the virtual clock.
async fn measure<F, Fut>(strategy: &'static str, calls: u64, seed: u64, call: F) -> Row
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = Result<u64, Unavailable>>,
{
    RNG.set(SmallRng::seed_from_u64(seed));
    ATTEMPTS.set(0);
    let mut latencies = Vec::with_capacity(usize::try_from(calls).unwrap_or(0));
    for key in 0..calls {
        let began = Instant::now();
        let answer = call(key).await.expect("the dependency always answers");
        assert_eq!(answer, key);
        latencies.push(began.elapsed());
    }
    latencies.sort_unstable();
    let quantile = |per_mille: usize| {
        let rank = (latencies.len() * per_mille).div_ceil(1000).max(1) - 1;
        latencies[rank]
    };
    Row {
        strategy,
        p50: quantile(500),
        p99: quantile(990),
        p999: quantile(999),
        extra_load: (ATTEMPTS.get() - calls) as f64 / calls as f64,
    }
}

fn argument(name: &str, default: u64) -> u64 {
    let arguments: Vec<String> = std::env::args().collect();
    arguments
        .windows(2)
        .find(|pair| pair[0] == name)
        .map_or(default, |pair| {
            pair[1]
                .parse()
                .unwrap_or_else(|_| panic!("{name} takes a whole number, not {:?}", pair[1]))
        })
}

fn main() {
    let calls = argument("--calls", 20_000).max(1);
    let seed = argument("--seed", 42);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a current-thread runtime");
    let rows = runtime.block_on(async {
        vec![
            measure("no hedging", calls, seed, not_hedged).await,
            measure("after = \"50ms\"", calls, seed, fixed_50ms).await,
            measure("after = \"10ms\"", calls, seed, fixed_10ms).await,
            measure("after = \"p95\"", calls, seed, p95).await,
            measure(
                "after = \"p95\", max_hedges = 2",
                calls,
                seed,
                p95_two_hedges,
            )
            .await,
        ]
    });
    println!(
        "{calls} calls a strategy, seed {seed}: {}% of attempts take {:?}, the rest |Normal({MEAN_MS} ms, {STD_DEV_MS} ms)|\n",
        TAIL_SHARE * 100.0,
        TAIL
    );
    println!("| strategy | p50 | p99 | p99.9 | extra load |");
    println!("| --- | --- | --- | --- | --- |");
    for row in &rows {
        println!(
            "| {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1}% |",
            row.strategy,
            row.p50.as_secs_f64() * 1000.0,
            row.p99.as_secs_f64() * 1000.0,
            row.p999.as_secs_f64() * 1000.0,
            row.extra_load * 100.0
        );
    }
    let learnt = hedge("p95").expect("the p95 site ran").delay();
    println!(
        "\nThe p95 site waits {:.1} ms after {calls} calls (its floor, 10 ms, until 100 latencies were known).",
        learnt.as_secs_f64() * 1000.0
    );
}
