//! What a [`ThrottleLayer`](super::layer::ThrottleLayer) counts as accepted.

use crate::tower::retry::policy::EveryError;

/// Says whether the backend accepted a call, from its `Result<Response, Error>`: an accept
/// keeps the throttle open, anything else counts against it. Any
/// `Fn(&Result<Response, Error>) -> bool` is one.
///
/// ```
/// use retry_runtime::tower::ThrottleClassifier;
///
/// // The backend answered unless it said it is overloaded.
/// let accepted = |outcome: &Result<u16, std::io::Error>| !matches!(outcome, Ok(429 | 503) | Err(_));
/// assert!(accepted.accepted(&Ok(404)));
/// assert!(!accepted.accepted(&Ok(503)));
/// ```
pub trait ThrottleClassifier<Response, Error> {
    /// Whether the backend accepted the call that gave `outcome`.
    fn accepted(&self, outcome: &Result<Response, Error>) -> bool;
}

impl<Response, Error, F> ThrottleClassifier<Response, Error> for F
where
    F: Fn(&Result<Response, Error>) -> bool,
{
    fn accepted(&self, outcome: &Result<Response, Error>) -> bool {
        self(outcome)
    }
}

/// Every `Ok` is accepted, every `Err` is not.
///
/// ```
/// use retry_runtime::tower::{EveryError, ThrottleClassifier};
///
/// assert!(!ThrottleClassifier::accepted(&EveryError, &Err::<(), _>("reset")));
/// assert!(ThrottleClassifier::accepted(&EveryError, &Ok::<_, ()>(7)));
/// ```
impl<Response, Error> ThrottleClassifier<Response, Error> for EveryError {
    fn accepted(&self, outcome: &Result<Response, Error>) -> bool {
        outcome.is_ok()
    }
}
