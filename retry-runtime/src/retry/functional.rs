//! Retrying a closure without the attribute: `policy.retry(|| ...)`.
//!
//! The limits, and why `#[retry]` exists: the operation is a closure called once per attempt, so
//! it can only borrow what it captures for the whole loop. An async operation must return a new
//! future per call, which cannot borrow from the closure's own captures (`&mut self` in particular)
//! without cloning. The attribute rewrites the fn body in place and has none of these limits.
//! The functional API also cannot see whether `E` implements
//! [`ProvidesRetryHint`](crate::ProvidesRetryHint); pass a classifier to use hints, and events
//! show the error's type name rather than its text. `attempt_timeout` is enforced by the
//! attribute only.

#[cfg(feature = "tokio")]
use std::future::Future;

use crate::events::{self, ErrorText, Source};
use crate::hint::RetryHint;
use crate::retry::engine::{RetryState, Step};
use crate::retry::policy::RetryPolicy;
use crate::sleep::{now_sync, sleep_sync};

impl RetryPolicy {
    /// Calls `operation` until it returns `Ok`, or the policy gives up and the last `Err` is
    /// returned. Every error is retried. Sleeps with `std::thread::sleep` (or the paused clock of
    /// [`testing::pause_sync_time`](crate::testing::pause_sync_time)). `attempt_timeout` applies
    /// to async retries only and is not enforced here.
    ///
    /// ```
    /// use retry_runtime::RetryPolicy;
    ///
    /// let _paused = retry_runtime::testing::pause_sync_time();
    /// let mut calls = 0;
    /// let result: Result<u32, &str> = RetryPolicy::DEFAULT.retry(|| {
    ///     calls += 1;
    ///     if calls < 3 { Err("busy") } else { Ok(calls) }
    /// });
    /// assert_eq!(result, Ok(3));
    /// ```
    ///
    /// # Errors
    /// The last error of `operation`, unchanged.
    pub fn retry<T, E>(&self, operation: impl FnMut() -> Result<T, E>) -> Result<T, E> {
        self.retry_classified(|_| RetryHint::FollowPolicy, operation)
    }

    /// As [`retry`](Self::retry), asking `classify` about each error: [`RetryHint::Permanent`]
    /// returns it at once, [`RetryHint::RetryAfter`] overrides the delay.
    ///
    /// ```
    /// use retry_runtime::{RetryHint, RetryPolicy};
    ///
    /// let mut calls = 0;
    /// let result: Result<(), u16> = RetryPolicy::DEFAULT.retry_classified(
    ///     |status| if *status >= 500 { RetryHint::FollowPolicy } else { RetryHint::Permanent },
    ///     || { calls += 1; Err(404) },
    /// );
    /// assert_eq!((result, calls), (Err(404), 1));
    /// ```
    ///
    /// # Errors
    /// The last error of `operation`, unchanged.
    pub fn retry_classified<T, E>(
        &self,
        mut classify: impl FnMut(&E) -> RetryHint,
        mut operation: impl FnMut() -> Result<T, E>,
    ) -> Result<T, E> {
        let name = std::any::type_name_of_val(&operation);
        let mut state = RetryState::start(self, now_sync);
        loop {
            match operation() {
                Ok(value) => {
                    report_success(name, &state);
                    return Ok(value);
                }
                Err(error) => {
                    let hint = classify(&error);
                    match decide::<E>(self, name, &mut state, hint, now_sync) {
                        Some(delay) => sleep_sync(delay),
                        None => return Err(error),
                    }
                }
            }
        }
    }

    /// The async form of [`retry`](Self::retry): `operation` makes a new future per attempt.
    /// Sleeps with `tokio::time::sleep`. `attempt_timeout` is enforced by `#[retry]` only; here,
    /// wrap the operation's future in `tokio::time::timeout` yourself.
    ///
    /// ```
    /// use retry_runtime::RetryPolicy;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut calls = 0;
    /// let result: Result<u32, String> = RetryPolicy::DEFAULT
    ///     .retry_async(|| {
    ///         calls += 1;
    ///         let this_call = calls;
    ///         async move { if this_call < 2 { Err("busy".to_string()) } else { Ok(this_call) } }
    ///     })
    ///     .await;
    /// assert_eq!(result, Ok(2));
    /// # }
    /// ```
    ///
    /// # Errors
    /// The last error of `operation`, unchanged.
    #[cfg(feature = "tokio")]
    pub async fn retry_async<T, E, Fut>(&self, operation: impl FnMut() -> Fut) -> Result<T, E>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        self.retry_classified_async(|_| RetryHint::FollowPolicy, operation)
            .await
    }

    /// The async form of [`retry_classified`](Self::retry_classified).
    ///
    /// # Errors
    /// The last error of `operation`, unchanged.
    #[cfg(feature = "tokio")]
    pub async fn retry_classified_async<T, E, Fut>(
        &self,
        mut classify: impl FnMut(&E) -> RetryHint,
        mut operation: impl FnMut() -> Fut,
    ) -> Result<T, E>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        use crate::sleep::{AsyncSleeper, TokioSleeper};

        let name = std::any::type_name_of_val(&operation);
        let mut state = RetryState::start(self, TokioSleeper::now);
        // Reports the call as cancelled if this future is dropped before it returns.
        let mut call = Unfinished {
            name,
            started: 0,
            ended: false,
        };
        loop {
            call.started = state.attempt();
            match operation().await {
                Ok(value) => {
                    call.ended = true;
                    report_success(name, &state);
                    return Ok(value);
                }
                Err(error) => {
                    let hint = classify(&error);
                    let Some(delay) = decide::<E>(self, name, &mut state, hint, TokioSleeper::now)
                    else {
                        call.ended = true;
                        return Err(error);
                    };
                    TokioSleeper::sleep(delay).await;
                }
            }
        }
    }
}

/// An async retry under way: dropped before it ended (its future dropped by the caller), it
/// reports the call as [cancelled](crate::hooks::Event::Cancelled) with the attempts started.
#[cfg(feature = "tokio")]
struct Unfinished {
    name: &'static str,
    started: u32,
    ended: bool,
}

#[cfg(feature = "tokio")]
impl Drop for Unfinished {
    fn drop(&mut self) {
        if !self.ended && !std::thread::panicking() {
            events::cancelled(&Source::transient(self.name), self.started);
        }
    }
}

fn report_success(name: &'static str, state: &RetryState) {
    events::succeeded(&Source::transient(name), state.attempt());
}

fn decide<E>(
    policy: &RetryPolicy,
    name: &'static str,
    state: &mut RetryState,
    hint: RetryHint,
    now: fn() -> std::time::Instant,
) -> Option<std::time::Duration> {
    let error = ErrorText::TypeName(std::any::type_name::<E>());
    let step = state.on_failure(policy, true, hint, now);
    events::decision(&Source::transient(name), step, state.attempt(), error);
    match step {
        Step::Retry { delay, .. } => Some(delay),
        Step::Stop(_) => None,
    }
}
