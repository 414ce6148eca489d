//! What a [`CircuitBreakerLayer`](super::layer::CircuitBreakerLayer) counts, and what it answers
//! when the breaker rejects a call.

use crate::breaker::CircuitOpen;

use crate::tower::retry::policy::EveryError;

/// How the breaker counts a call that ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// Counted as successful.
    Success,
    /// Counted against the breaker.
    Failure,
    /// Passed through and counted as ignored (what `on` does not select in
    /// `#[circuit_breaker]`); a probe's slot is given back.
    Ignored,
}

/// Says how the breaker counts a call's `Result<Response, Error>`. Any
/// `Fn(&Result<Response, Error>) -> CallOutcome` is one.
///
/// ```
/// use retry_runtime::tower::{BreakerClassifier, CallOutcome};
///
/// // A timeout counts; a refusal of the request itself does not.
/// let classify = |outcome: &Result<(), std::io::ErrorKind>| match outcome {
///     Ok(()) => CallOutcome::Success,
///     Err(std::io::ErrorKind::InvalidInput) => CallOutcome::Ignored,
///     Err(_) => CallOutcome::Failure,
/// };
/// assert_eq!(classify.classify(&Err(std::io::ErrorKind::TimedOut)), CallOutcome::Failure);
/// ```
pub trait BreakerClassifier<Response, Error> {
    /// How `outcome` counts.
    fn classify(&self, outcome: &Result<Response, Error>) -> CallOutcome;
}

impl<Response, Error, F> BreakerClassifier<Response, Error> for F
where
    F: Fn(&Result<Response, Error>) -> CallOutcome,
{
    fn classify(&self, outcome: &Result<Response, Error>) -> CallOutcome {
        self(outcome)
    }
}

/// Every `Err` counts as a failure, every `Ok` as a success.
///
/// ```
/// use retry_runtime::tower::{BreakerClassifier, CallOutcome, EveryError};
///
/// assert_eq!(BreakerClassifier::classify(&EveryError, &Err::<(), _>("reset")), CallOutcome::Failure);
/// ```
impl<Response, Error> BreakerClassifier<Response, Error> for EveryError {
    fn classify(&self, outcome: &Result<Response, Error>) -> CallOutcome {
        match outcome {
            Ok(_) => CallOutcome::Success,
            Err(_) => CallOutcome::Failure,
        }
    }
}

/// The breaker classifier of HTTP services (feature `http`): every `Err`, and every response
/// [`is_transient`](crate::http::is_transient) calls a failure (408, 429, 500, 502, 503, 504:
/// what `TransientResponses` retries and `#[retry(on_result = is_transient)]` retries), counts
/// as a failure; any other response (a 404, a 501 Not Implemented) is a success, since the
/// service answered the request itself.
///
/// ```
/// use retry_runtime::tower::{BreakerClassifier, CallOutcome, ServerErrors};
///
/// let response = |status: u16| Ok::<_, std::io::Error>(http::Response::builder().status(status).body(()).unwrap());
/// assert_eq!(ServerErrors.classify(&response(503)), CallOutcome::Failure);
/// assert_eq!(ServerErrors.classify(&response(429)), CallOutcome::Failure);
/// assert_eq!(ServerErrors.classify(&response(404)), CallOutcome::Success);
/// ```
#[cfg(feature = "http")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerErrors;

#[cfg(feature = "http")]
impl<B, Error> BreakerClassifier<http::Response<B>, Error> for ServerErrors {
    fn classify(&self, outcome: &Result<http::Response<B>, Error>) -> CallOutcome {
        match outcome {
            Ok(response) if crate::http::is_transient(response) => CallOutcome::Failure,
            Ok(_) => CallOutcome::Success,
            Err(_) => CallOutcome::Failure,
        }
    }
}

/// What a rejected call returns instead of running.
pub trait Rejection<Response, Error> {
    /// The call's outcome, without running it.
    ///
    /// # Errors
    /// Whatever the rejection is made of: [`RejectWithError`] returns `Error::from(open)`.
    fn reject(&self, open: CircuitOpen) -> Result<Response, Error>;
}

/// The default rejection, for clients: `Err(Error::from(open))`, so the service's error type
/// needs `From<CircuitOpen>` (as `#[circuit_breaker]` fns do; tower's
/// `Box<dyn Error + Send + Sync>` has it).
///
/// ```
/// use retry_runtime::tower::{RejectWithError, Rejection};
/// use retry_runtime::{BreakerState, CircuitOpen};
///
/// type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// let open = CircuitOpen { name: "db", state: BreakerState::Open, retry_after: None };
/// let rejected: Result<(), BoxError> = RejectWithError.reject(open);
/// assert!(rejected.unwrap_err().is::<CircuitOpen>());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RejectWithError;

impl<Response, Error: From<CircuitOpen>> Rejection<Response, Error> for RejectWithError {
    fn reject(&self, open: CircuitOpen) -> Result<Response, Error> {
        Err(Error::from(open))
    }
}

/// A rejection answered with a response, for servers (whose error type is often `Infallible`):
/// what [`CircuitBreakerLayer::on_rejection`](super::layer::CircuitBreakerLayer::on_rejection)
/// makes of its fn.
///
/// ```
/// use std::convert::Infallible;
/// use retry_runtime::tower::{Rejection, RespondWith};
/// use retry_runtime::{BreakerState, CircuitOpen};
///
/// let respond = RespondWith(|open: CircuitOpen| format!("{} is resting", open.name));
/// let open = CircuitOpen { name: "db", state: BreakerState::Open, retry_after: None };
/// let answer: Result<String, Infallible> = respond.reject(open);
/// assert_eq!(answer.unwrap(), "db is resting");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct RespondWith<F>(pub F);

impl<Response, Error, F> Rejection<Response, Error> for RespondWith<F>
where
    F: Fn(CircuitOpen) -> Response,
{
    fn reject(&self, open: CircuitOpen) -> Result<Response, Error> {
        Ok((self.0)(open))
    }
}

/// A `503 Service Unavailable` with an empty body and, when the breaker knows when it will
/// admit a probe, `Retry-After` in whole seconds (rounded up) and `retry-after-ms` in
/// milliseconds (rounded up; clients that read it, as `#[retry]` does, come back when the
/// breaker does, not up to a second late): a server's answer to a rejected call (feature
/// `http`). Give it to
/// [`on_rejection`](super::layer::CircuitBreakerLayer::on_rejection).
///
/// ```
/// use std::time::Duration;
/// use retry_runtime::tower::service_unavailable;
/// use retry_runtime::{BreakerState, CircuitOpen};
///
/// let open = CircuitOpen {
///     name: "db",
///     state: BreakerState::Open,
///     retry_after: Some(Duration::from_millis(1500)),
/// };
/// let response: http::Response<String> = service_unavailable(open);
/// assert_eq!(response.status(), 503);
/// assert_eq!(response.headers()["retry-after"], "2");
/// assert_eq!(response.headers()["retry-after-ms"], "1500");
/// ```
#[cfg(feature = "http")]
pub fn service_unavailable<B: Default>(open: CircuitOpen) -> http::Response<B> {
    let mut response = http::Response::new(B::default());
    *response.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
    if let Some(after) = open.retry_after {
        let seconds = after.as_secs() + u64::from(after.subsec_nanos() > 0);
        let millis = after.as_millis() + u128::from(after.subsec_nanos() % 1_000_000 > 0);
        let headers = response.headers_mut();
        headers.insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        headers.insert(
            "retry-after-ms",
            http::HeaderValue::from(u64::try_from(millis).unwrap_or(u64::MAX)),
        );
    }
    response
}
