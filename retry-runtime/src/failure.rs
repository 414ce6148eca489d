//! Why a guarded call did not succeed, as `recover` receives it.

use std::error::Error;
use std::fmt;

use crate::breaker::CircuitOpen;
use crate::timeout::CallTimeout;

/// Why a call did not succeed: the cause a `recover = path` fn receives, by value, as its last
/// argument (after the fn's own arguments).
///
/// `#[circuit_breaker(recover = ...)]` calls it with `Rejected` when the breaker refuses the call
/// and `Failed` when the body returns `Err`; `#[retry(recover = ...)]` calls it once, after the
/// last attempt, with `Failed` holding the last error.
///
/// ```
/// use retry_runtime::{CircuitOpen, Failure, circuit_breaker};
///
/// #[derive(Debug)]
/// enum PriceError {
///     Unavailable,
/// }
///
/// fn cached(item: &str, cause: Failure<PriceError>) -> Result<u32, PriceError> {
///     match cause {
///         Failure::Rejected(_) => Ok(item.len() as u32), // open: serve the cached price
///         Failure::Failed(error) => Err(error),
///         _ => Err(PriceError::Unavailable),
///     }
/// }
///
/// #[circuit_breaker(name = "failure-doc", failure_threshold = 1, recover = cached)]
/// fn price(item: &str) -> Result<u32, PriceError> {
///     Err(PriceError::Unavailable)
/// }
///
/// assert!(matches!(price("tea"), Err(PriceError::Unavailable))); // failed: trips the breaker
/// assert_eq!(price("tea").unwrap(), 3); // rejected: recovered from the cache
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure<E> {
    /// The breaker refused the call; the body did not run.
    Rejected(CircuitOpen),
    /// The call returned this error (for `#[retry]`, the last attempt's).
    Failed(E),
    /// The call ran past its breaker's `call_timeout` and was cut off.
    TimedOut(CallTimeout),
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Rejected(open) => open.fmt(f),
            Failure::Failed(error) => error.fmt(f),
            Failure::TimedOut(timeout) => timeout.fmt(f),
        }
    }
}

impl<E: Error + 'static> Error for Failure<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Failure::Rejected(open) => Some(open),
            Failure::Failed(error) => Some(error),
            Failure::TimedOut(timeout) => Some(timeout),
        }
    }
}
