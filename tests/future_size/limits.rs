//! What `#[bulkhead]`, `#[rate_limit]` and `#[hedge]` add to an async fn's future, asserted (sizes are
//! exact). Without `max_wait` nothing waits: the permit (8 bytes) at most. With it, the wait is
//! in the future beside the body's: the bulkhead's deadline sleep is boxed with its queue entry
//! (a wait allocates anyway), the rate limiter's sleep is inline (tokio's `Sleep`, 112 bytes in
//! tokio 1.54), so a waiting call does not allocate.

use std::mem::size_of_val;

use retry_runtime::{BulkheadFull, RateLimited, bulkhead, rate_limit};

#[derive(Debug)]
struct Busy;

impl From<BulkheadFull> for Busy {
    fn from(_: BulkheadFull) -> Self {
        Busy
    }
}

impl From<RateLimited> for Busy {
    fn from(_: RateLimited) -> Self {
        Busy
    }
}

async fn plain(key: &str) -> Result<usize, Busy> {
    tokio::task::yield_now().await;
    Ok(key.len())
}

#[bulkhead(name = "size-no-wait", max_concurrent = 2)]
async fn in_a_slot(key: &str) -> Result<usize, Busy> {
    tokio::task::yield_now().await;
    Ok(key.len())
}

#[bulkhead(name = "size-wait", max_concurrent = 2, max_wait = "1s")]
async fn in_a_slot_waiting(key: &str) -> Result<usize, Busy> {
    tokio::task::yield_now().await;
    Ok(key.len())
}

#[rate_limit(name = "size-no-wait", per_second = 2)]
async fn admitted(key: &str) -> Result<usize, Busy> {
    tokio::task::yield_now().await;
    Ok(key.len())
}

#[rate_limit(name = "size-wait", per_second = 2, max_wait = "1s")]
async fn admitted_waiting(key: &str) -> Result<usize, Busy> {
    tokio::task::yield_now().await;
    Ok(key.len())
}

#[test]
fn without_max_wait_only_the_permit_is_added() {
    let plain = size_of_val(&plain("k"));
    let bulkhead = size_of_val(&in_a_slot("k"));
    let rate_limit = size_of_val(&admitted("k"));
    println!("body {plain} B, #[bulkhead] {bulkhead} B, #[rate_limit] {rate_limit} B");
    assert!(bulkhead <= plain + 8, "{bulkhead} > {plain} + 8");
    assert!(rate_limit <= plain, "{rate_limit} > {plain}");
}

#[test]
fn with_max_wait_the_wait_sits_beside_the_body() {
    let plain = size_of_val(&plain("k"));
    let sleep = size_of::<tokio::time::Sleep>();
    let bulkhead = size_of_val(&in_a_slot_waiting("k"));
    let rate_limit = size_of_val(&admitted_waiting("k"));
    println!(
        "body {plain} B, Sleep {sleep} B, #[bulkhead] {bulkhead} B, #[rate_limit] {rate_limit} B"
    );
    assert!(bulkhead <= plain + 128, "{bulkhead} > {plain} + 128");
    assert!(
        rate_limit <= plain + sleep + 48,
        "{rate_limit} > {plain} + {sleep} + 48"
    );
}

#[retry_runtime::hedge(name = "size-hedge", after = "10ms", max_hedges = 3)]
async fn hedged(key: &str) -> Result<usize, Busy> {
    tokio::task::yield_now().await;
    Ok(key.len())
}

#[test]
fn a_hedged_future_holds_the_first_attempt_inline_and_the_others_boxed() {
    let plain = size_of_val(&plain("k"));
    let sleep = size_of::<tokio::time::Sleep>();
    let hedged = size_of_val(&hedged("k"));
    println!("body {plain} B, Sleep {sleep} B, #[hedge] {hedged} B");
    // Beside the first attempt and the hedge timer: the extra attempts' `Vec`, the start time,
    // the delay, the last failure (a `Result<T, E>`: with `on_result` it may be a refused `Ok`
    // value), the site, budget, flag and attempt-maker, and the pins to the first attempt and
    // the timer (232 B here: 400 B for a 56 B body), whatever `max_hedges` is.
    assert!(
        hedged <= plain + sleep + 232,
        "{hedged} > {plain} + {sleep} + 232"
    );
}
