//! Per-attempt time limits for async retries.

use std::error::Error;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

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

/// Runs `attempt` until it finishes or `deadline` (a sleep future of any runtime) does, whichever
/// comes first. The attempt is polled first, so one that is ready at the deadline wins.
pub(crate) async fn race_deadline<F: Future, D: Future<Output = ()>>(
    attempt: F,
    deadline: D,
    timeout: Duration,
) -> Result<F::Output, AttemptTimeout> {
    let mut attempt = pin!(attempt);
    let mut deadline = pin!(deadline);
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
