//! `retry-runtime` is a dependency of this crate under the name `resilience` only, so
//! `::retry_runtime` does not resolve here: the expansion must go through `crate = ...`.

use std::cell::Cell;

/// The error of the fns below.
#[derive(Debug, PartialEq, Eq)]
pub enum Flaky {
    /// Retried.
    Busy,
}

impl From<resilience::AttemptTimeout> for Flaky {
    fn from(_: resilience::AttemptTimeout) -> Self {
        Flaky::Busy
    }
}

impl From<resilience::BulkheadFull> for Flaky {
    fn from(_: resilience::BulkheadFull) -> Self {
        Flaky::Busy
    }
}

impl From<resilience::RateLimited> for Flaky {
    fn from(_: resilience::RateLimited) -> Self {
        Flaky::Busy
    }
}

impl From<resilience::LimitExceeded> for Flaky {
    fn from(_: resilience::LimitExceeded) -> Self {
        Flaky::Busy
    }
}

/// Fails once, then succeeds.
///
/// # Errors
/// [`Flaky::Busy`] after the attempts run out.
#[resilience::retry(crate = resilience, delay = "1ms", on = [Busy])]
pub fn sync_through_renamed(calls: &Cell<u32>) -> Result<u32, Flaky> {
    calls.set(calls.get() + 1);
    if calls.get() < 2 {
        Err(Flaky::Busy)
    } else {
        Ok(calls.get())
    }
}

/// Fails once, then succeeds.
///
/// # Errors
/// [`Flaky::Busy`] after the attempts run out.
#[resilience::retry(crate = resilience, delay = "1ms", attempt_timeout = "1s")]
pub async fn async_through_renamed(calls: &Cell<u32>) -> Result<u32, Flaky> {
    calls.set(calls.get() + 1);
    if calls.get() < 2 {
        Err(Flaky::Busy)
    } else {
        Ok(calls.get())
    }
}

/// A bulkhead and a rate limiter through the renamed crate, sync.
///
/// # Errors
/// [`Flaky::Busy`] when rejected.
#[resilience::bulkhead(crate = resilience, name = "renamed", max_concurrent = 1, max_wait = "1s")]
#[resilience::rate_limit(crate = resilience, name = "renamed", per_second = 10, max_wait = "1s")]
pub fn limited_through_renamed(value: u32) -> Result<u32, Flaky> {
    Ok(value)
}

/// The same, async.
///
/// # Errors
/// [`Flaky::Busy`] when rejected.
#[resilience::rate_limit(crate = resilience, name = "renamed-async", per_second = 10, max_wait = "1s")]
#[resilience::bulkhead(crate = resilience, name = "renamed-async", max_concurrent = 1, max_wait = "1s")]
pub async fn limited_async_through_renamed(value: u32) -> Result<u32, Flaky> {
    Ok(value)
}

/// An adaptive limit through the renamed crate, sync and async.
///
/// # Errors
/// [`Flaky::Busy`] when rejected.
#[resilience::adaptive_limit(crate = resilience, name = "renamed-adaptive", max_wait = "1s")]
pub fn adaptive_through_renamed(value: u32) -> Result<u32, Flaky> {
    Ok(value)
}

/// The same, async.
///
/// # Errors
/// [`Flaky::Busy`] when rejected.
#[resilience::adaptive_limit(crate = resilience, name = "renamed-adaptive-async", max_wait = "1s")]
pub async fn adaptive_async_through_renamed(value: u32) -> Result<u32, Flaky> {
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn adaptive_limits_expand_through_the_renamed_crate() {
        assert_eq!(adaptive_through_renamed(1), Ok(1));
        assert_eq!(adaptive_async_through_renamed(2).await, Ok(2));
    }

    #[test]
    fn sync_fn_expands_through_the_renamed_crate() {
        let _paused = resilience::testing::pause_sync_time();
        let calls = Cell::new(0);
        assert_eq!(sync_through_renamed(&calls), Ok(2));
    }

    #[test]
    fn limits_expand_through_the_renamed_crate() {
        let _paused = resilience::testing::pause_sync_time();
        assert_eq!(limited_through_renamed(1), Ok(1));
        assert_eq!(limited_through_renamed(2), Ok(2));
    }

    #[tokio::test(start_paused = true)]
    async fn async_limits_expand_through_the_renamed_crate() {
        assert_eq!(limited_async_through_renamed(1).await, Ok(1));
        assert_eq!(limited_async_through_renamed(2).await, Ok(2));
    }

    #[tokio::test(start_paused = true)]
    async fn async_fn_expands_through_the_renamed_crate() {
        let calls = Cell::new(0);
        assert_eq!(async_through_renamed(&calls).await, Ok(2));
    }
}
