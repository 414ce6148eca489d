//! What a retry loop does after a failed attempt ([`Step`]) and why it stopped
//! ([`StopReason`]): the vocabulary the engine decides in and the events report in, kept apart
//! from both so that neither imports the other.

use std::time::Duration;

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Sleep `delay`, then run the next attempt.
    Retry {
        /// The attempt that just failed, from 1.
        attempt: u32,
        /// How long to sleep before the next attempt.
        delay: Duration,
    },
    /// Return the last error to the caller.
    Stop(StopReason),
}

/// Why a retry loop returned its last error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StopReason {
    /// `on` / `when` did not select the error.
    NotRetryable,
    /// The error said [`RetryHint::Permanent`](crate::RetryHint::Permanent).
    Permanent,
    /// All `max_attempts` attempts failed.
    Exhausted,
    /// The next sleep would have ended past `max_elapsed`.
    OutOfTime,
    /// The site's retry budget could not pay for another retry.
    OutOfBudget,
    /// The error asked for a wait ([`RetryHint::RetryAfter`](crate::RetryHint::RetryAfter)) longer than `max_delay`, or
    /// longer than what is left of `max_elapsed`: rather than sleep less than the server asked
    /// or longer than the policy allows, the loop stops at once.
    HintTooLong,
    /// The next wait would have ended past the deadline in force around the call
    /// ([`context::with_deadline`](crate::context::with_deadline), or an outer `#[retry]` with
    /// `max_elapsed`): nobody would wait for the next attempt.
    DeadlineExceeded,
}

impl StopReason {
    /// The reason as events and logs name it (`"exhausted"`, `"out_of_time"`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            StopReason::NotRetryable => "not_retryable",
            StopReason::Permanent => "permanent",
            StopReason::Exhausted => "exhausted",
            StopReason::OutOfTime => "out_of_time",
            StopReason::OutOfBudget => "out_of_budget",
            StopReason::HintTooLong => "hint_too_long",
            StopReason::DeadlineExceeded => "deadline_exceeded",
        }
    }
}
