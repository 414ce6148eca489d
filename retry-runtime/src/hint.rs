//! What an error can say about retrying it: "wait this long first" or "never retry".

use std::time::Duration;

/// Advice an error gives about retrying it. It overrides the policy: a server's Retry-After wins
/// over the computed delay (still bounded by `max_elapsed`), and a permanent error is returned at
/// once, whatever `on` and `when` say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum RetryHint {
    /// No advice: the policy decides (the default).
    #[default]
    FollowPolicy,
    /// Retry, but wait this long first (an HTTP `Retry-After`, a gRPC `RetryInfo`): never less,
    /// and at most 10% more, drawn like jitter so that callers given the same hint do not come
    /// back together. A hint longer than `max_delay` or than what is left of `max_elapsed`
    /// stops the loop instead.
    RetryAfter(Duration),
    /// Never retry this error (a 400, a failed validation, "permanent" in a server's reply).
    Permanent,
}

/// Implemented by error types that carry retry advice, such as a `Retry-After` header.
///
/// `#[retry]` consults it automatically when the fn's error type implements it (no attribute key
/// needed); errors that do not implement it follow the policy.
///
/// ```
/// use std::time::Duration;
/// use retry_runtime::{ProvidesRetryHint, RetryHint};
///
/// enum ApiError {
///     RateLimited { retry_after: Duration },
///     BadRequest,
///     Unavailable,
/// }
///
/// impl ProvidesRetryHint for ApiError {
///     fn retry_hint(&self) -> RetryHint {
///         match self {
///             ApiError::RateLimited { retry_after } => RetryHint::RetryAfter(*retry_after),
///             ApiError::BadRequest => RetryHint::Permanent,
///             ApiError::Unavailable => RetryHint::FollowPolicy,
///         }
///     }
/// }
/// ```
pub trait ProvidesRetryHint {
    /// The advice for this error.
    fn retry_hint(&self) -> RetryHint;
}
