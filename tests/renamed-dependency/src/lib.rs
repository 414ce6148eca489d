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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_fn_expands_through_the_renamed_crate() {
        let _paused = resilience::testing::pause_sync_time();
        let calls = Cell::new(0);
        assert_eq!(sync_through_renamed(&calls), Ok(2));
    }

    #[tokio::test(start_paused = true)]
    async fn async_fn_expands_through_the_renamed_crate() {
        let calls = Cell::new(0);
        assert_eq!(async_through_renamed(&calls).await, Ok(2));
    }
}
