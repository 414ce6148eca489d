//! Future sizes are exact, so they are asserted.
//!
//! The spec's bound, `max(body future, tokio Sleep) + 32` bytes, holds when the body's future is
//! the larger. When tokio's `Sleep` (112 bytes in tokio 1.54) is the larger, the fn's arguments
//! must stay alive beside it while sleeping, and rustc stores an async fn's arguments twice
//! (rust-lang/rust#62958), so the bound there is `Sleep + 2 * arguments + 32`.
//!
//! With the `config` feature an override can give any async site an `attempt_timeout`, so its
//! attempt runs beside a deadline `Sleep` and the bound grows by that `Sleep` and the race's
//! bookkeeping ([`CONFIG_OVERHEAD`]). `.ci/run` runs this file with and without the feature.

/// What a site that a config override could give an `attempt_timeout` adds: the deadline's
/// `Sleep` beside the attempt, and the race's state.
#[cfg(feature = "config")]
const CONFIG_OVERHEAD: usize = 112 + 208;
#[cfg(not(feature = "config"))]
const CONFIG_OVERHEAD: usize = 0;

use std::mem::size_of_val;

use retry_runtime::retry;

#[derive(Debug)]
struct Busy;

struct Store {
    buffer: [u8; 16],
}

impl Store {
    async fn lookup(&self, key: &str) -> Result<usize, Busy> {
        tokio::task::yield_now().await;
        Ok(key.len() + usize::from(self.buffer[0]))
    }

    async fn plain(&mut self, key: &str) -> Result<usize, Busy> {
        let found = self.lookup(key).await?;
        self.buffer[0] = 1;
        Ok(found)
    }

    #[retry(max_attempts = 3, backoff = "exponential", jitter = "full")]
    async fn retried(&mut self, key: &str) -> Result<usize, Busy> {
        let found = self.lookup(key).await?;
        self.buffer[0] = 1;
        Ok(found)
    }

    #[retry(max_attempts = 3, max_elapsed = "5s", jitter = "decorrelated")]
    async fn retried_with_budget(&mut self, key: &str) -> Result<usize, Busy> {
        let found = self.lookup(key).await?;
        self.buffer[0] = 1;
        Ok(found)
    }
}

async fn big_body(seed: u8) -> Result<u8, Busy> {
    let scratch = [seed; 512];
    tokio::task::yield_now().await;
    Ok(scratch[7])
}

#[retry]
async fn big_body_retried(seed: u8) -> Result<u8, Busy> {
    let scratch = [seed; 512];
    tokio::task::yield_now().await;
    Ok(scratch[7])
}

fn sleep_size() -> usize {
    size_of::<tokio::time::Sleep>()
}

#[test]
fn when_sleep_dominates_only_the_arguments_and_16_bytes_of_state_are_added() {
    let mut store = Store { buffer: [0; 16] };
    let plain = size_of_val(&store.plain("k"));
    let retried = size_of_val(&store.retried("k"));
    let budget = size_of_val(&store.retried_with_budget("k"));
    let arguments = size_of::<&mut Store>() + size_of::<&str>();
    let limit = plain.max(sleep_size() + 2 * arguments) + 32 + CONFIG_OVERHEAD;
    println!(
        "body {plain} B, Sleep {} B, arguments {arguments} B, #[retry] {retried} B, with max_elapsed {budget} B, limit {limit} B",
        sleep_size()
    );
    assert!(retried <= limit, "{retried} > {limit}");
    // `max_elapsed` keeps a start `Instant` (16 bytes) for the whole call; with `config`, every
    // site keeps one, since an override may add `max_elapsed`.
    if cfg!(feature = "config") {
        assert_eq!(budget, retried);
    } else {
        assert_eq!(budget, retried + 16);
    }
}

#[test]
fn a_large_body_dominates_and_the_overhead_stays_within_32_bytes() {
    let plain = size_of_val(&big_body(1));
    let retried = size_of_val(&big_body_retried(1));
    let limit = plain.max(sleep_size()) + 32 + CONFIG_OVERHEAD;
    println!("body {plain} B, #[retry] {retried} B, limit {limit} B");
    assert!(retried <= limit, "{retried} > {limit}");
}
