//! `max_wait`, which each `#[bulkhead]` and `#[rate_limit]` site sets for itself: how long a
//! call may wait for a slot or a permit before it is rejected.

use std::fmt;
use std::time::Duration;

use crate::duration::describe;

/// The longest a call waits for a bulkhead slot or a rate limiter's permit: an hour. The
/// attributes reject a longer `max_wait` at compile time; the run-time API cuts one to this.
pub const MAX_WAIT: Duration = Duration::from_secs(3600);

/// `wait`, if it is a valid `max_wait`: at most [`MAX_WAIT`] (zero rejects at once).
///
/// # Errors
/// [`MaxWaitError`] when `wait` is above [`MAX_WAIT`].
///
/// ```
/// use std::time::Duration;
/// use retry_settings::max_wait;
///
/// assert_eq!(max_wait(Duration::ZERO), Ok(Duration::ZERO));
/// let error = max_wait(Duration::from_secs(7200)).unwrap_err();
/// assert_eq!(error.reason(), "`max_wait` is 2h; a call waits at most an hour (`max_wait = \"1h\"`)");
/// ```
pub const fn max_wait(wait: Duration) -> Result<Duration, MaxWaitError> {
    if wait.as_nanos() > MAX_WAIT.as_nanos() {
        Err(MaxWaitError { wait })
    } else {
        Ok(wait)
    }
}

/// A `max_wait` above [`MAX_WAIT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxWaitError {
    /// The wait given.
    pub wait: Duration,
}

impl MaxWaitError {
    /// What is wrong and how to fix it.
    pub fn reason(&self) -> String {
        format!(
            "`max_wait` is {}; a call waits at most an hour (`max_wait = \"1h\"`)",
            describe(self.wait)
        )
    }
}

impl fmt::Display for MaxWaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason())
    }
}

impl std::error::Error for MaxWaitError {}
