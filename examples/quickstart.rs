//! A flaky inventory service recovering under `#[retry]`, sync and async, with every attempt and
//! delay printed through `tracing`.
//!
//! Run with `cargo run --example quickstart`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use retry_runtime::retry;

#[derive(Debug)]
enum InventoryError {
    /// A transient failure: worth retrying.
    Unavailable,
    /// The item does not exist: retrying will not help.
    UnknownItem(String),
}

impl std::fmt::Display for InventoryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InventoryError::Unavailable => f.write_str("inventory service unavailable"),
            InventoryError::UnknownItem(item) => write!(f, "unknown item {item:?}"),
        }
    }
}

/// Fails its first `failures` calls, like a service that is restarting.
struct Inventory {
    calls: AtomicU32,
    failures: u32,
}

impl Inventory {
    fn answer(&self, item: &str) -> Result<u32, InventoryError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if item != "widget" {
            return Err(InventoryError::UnknownItem(item.to_owned()));
        }
        if call <= self.failures {
            return Err(InventoryError::Unavailable);
        }
        Ok(42)
    }

    #[retry(max_attempts = 4, delay = "50ms", jitter = "equal", on = [Unavailable])]
    fn stock(&self, item: &str) -> Result<u32, InventoryError> {
        self.answer(item)
    }

    #[retry(max_attempts = 4, delay = "50ms", jitter = "equal", on = [Unavailable])]
    async fn stock_async(&self, item: &str) -> Result<u32, InventoryError> {
        tokio::time::sleep(Duration::from_millis(5)).await;
        self.answer(item)
    }
}

fn main() {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_target(true)
        .without_time()
        .init();

    let inventory = Inventory {
        calls: AtomicU32::new(0),
        failures: 2,
    };
    println!("sync: two failures, then an answer");
    match inventory.stock("widget") {
        Ok(count) => println!(
            "  -> {count} widgets after {} calls\n",
            inventory.calls.load(Ordering::SeqCst)
        ),
        Err(error) => println!("  -> failed: {error}\n"),
    }

    println!("sync: an unknown item is not retried");
    let calls_before = inventory.calls.load(Ordering::SeqCst);
    match inventory.stock("gadget") {
        Ok(count) => println!("  -> {count}\n"),
        Err(error) => println!(
            "  -> {error} after {} call\n",
            inventory.calls.load(Ordering::SeqCst) - calls_before
        ),
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime");
    let down = Inventory {
        calls: AtomicU32::new(0),
        failures: 10,
    };
    println!("async: the service stays down; the last error comes back after 4 attempts");
    match runtime.block_on(down.stock_async("widget")) {
        Ok(count) => println!("  -> {count}"),
        Err(error) => println!(
            "  -> {error} after {} calls",
            down.calls.load(Ordering::SeqCst)
        ),
    }
}
