//! Per-attempt time limits for async retries.

use std::error::Error;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::Duration;

use crate::sleep::AsyncSleeper;

/// An attempt ran past `attempt_timeout`. `#[retry(attempt_timeout = "...")]` turns it into the
/// fn's error type with `From`, so the error type needs `impl From<AttemptTimeout>`:
///
/// ```
/// use retry_runtime::AttemptTimeout;
///
/// #[derive(Debug)]
/// enum FetchError {
///     TimedOut(AttemptTimeout),
///     NotFound,
/// }
///
/// impl From<AttemptTimeout> for FetchError {
///     fn from(timeout: AttemptTimeout) -> Self {
///         FetchError::TimedOut(timeout)
///     }
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AttemptTimeout {
    /// The limit the attempt ran past.
    pub timeout: Duration,
}

impl fmt::Display for AttemptTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "attempt timed out after {:?}", self.timeout)
    }
}

impl Error for AttemptTimeout {}

/// A call guarded by `#[circuit_breaker(call_timeout = "...")]` ran past its limit: it was cut
/// off and counted as a failure. The fn's error type needs `impl From<CallTimeout>`.
///
/// ```
/// use retry_runtime::CallTimeout;
///
/// #[derive(Debug)]
/// enum DbError {
///     TooSlow(CallTimeout),
/// }
///
/// impl From<CallTimeout> for DbError {
///     fn from(timeout: CallTimeout) -> Self {
///         DbError::TooSlow(timeout)
///     }
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallTimeout {
    /// The breaker guarding the call.
    pub name: &'static str,
    /// The limit the call ran past.
    pub timeout: Duration,
}

impl fmt::Display for CallTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "call through circuit breaker `{}` timed out after {:?}",
            self.name, self.timeout
        )
    }
}

impl Error for CallTimeout {}

/// Runs `attempt` until it finishes or a sleep of `timeout` on `S` does, whichever comes first.
/// The attempt is polled first, so one that is ready at the deadline wins. It takes the attempt
/// pinned where the caller keeps it, and makes the sleep itself, so neither is stored twice.
pub(crate) async fn race_deadline<S: AsyncSleeper, F: Future>(
    mut attempt: Pin<&mut F>,
    timeout: Duration,
) -> Result<F::Output, AttemptTimeout> {
    let mut deadline = pin!(S::sleep(timeout));
    poll_fn(|context| {
        if let Poll::Ready(output) = attempt.as_mut().poll(context) {
            return Poll::Ready(Ok(output));
        }
        if deadline.as_mut().poll(context).is_ready() {
            return Poll::Ready(Err(AttemptTimeout { timeout }));
        }
        Poll::Pending
    })
    .await
}
