//! What a [`RetryLayer`](super::layer::RetryLayer) makes of each attempt's outcome.

use crate::events::ErrorText;
use crate::hint::RetryHint;

/// What one attempt's outcome means to the retry loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryOutcome {
    /// The call is done: the outcome goes back to the caller.
    Success,
    /// A failure worth another attempt, with what the outcome said about waiting
    /// ([`RetryHint::FollowPolicy`] for the policy's backoff, [`RetryHint::RetryAfter`] for a
    /// server's wait, [`RetryHint::Permanent`] to stop at once).
    Retryable(RetryHint),
    /// A failure to give back at once (what `on` / `when` do not select in `#[retry]`).
    NotRetryable,
}

/// Says what an attempt's `Result<Response, Error>` means: [`RetryOutcome`]. Any
/// `Fn(&Result<Response, Error>) -> RetryOutcome` is one.
///
/// ```
/// use retry_runtime::tower::{RetryClassifier, RetryOutcome};
/// use retry_runtime::RetryHint;
///
/// // Retry errors and empty answers, never a "no".
/// let classify = |outcome: &Result<&str, String>| match outcome {
///     Ok("") | Err(_) => RetryOutcome::Retryable(RetryHint::FollowPolicy),
///     Ok("no") => RetryOutcome::NotRetryable,
///     Ok(_) => RetryOutcome::Success,
/// };
/// assert_eq!(classify.classify(&Ok("yes")), RetryOutcome::Success);
/// assert_eq!(classify.classify(&Ok("no")), RetryOutcome::NotRetryable);
/// ```
pub trait RetryClassifier<Response, Error> {
    /// What `outcome` means.
    fn classify(&self, outcome: &Result<Response, Error>) -> RetryOutcome;

    /// A failing outcome as events show it. The default names its type (the layer cannot see
    /// whether the error has `Display`).
    ///
    /// ```
    /// use retry_runtime::tower::{EveryError, RetryClassifier};
    ///
    /// let outcome: Result<(), u16> = Err(503);
    /// assert_eq!(EveryError.describe(&outcome).to_string(), "an error of type u16");
    /// ```
    fn describe<'a>(&self, outcome: &'a Result<Response, Error>) -> ErrorText<'a> {
        match outcome {
            Ok(_) => ErrorText::TypeName(std::any::type_name::<Response>()),
            Err(_) => ErrorText::TypeName(std::any::type_name::<Error>()),
        }
    }
}

impl<Response, Error, F> RetryClassifier<Response, Error> for F
where
    F: Fn(&Result<Response, Error>) -> RetryOutcome,
{
    fn classify(&self, outcome: &Result<Response, Error>) -> RetryOutcome {
        self(outcome)
    }
}

/// The default classifier of both layers: every `Err` is a (retryable) failure, every `Ok` a
/// success.
///
/// ```
/// use retry_runtime::tower::{EveryError, RetryClassifier, RetryOutcome};
/// use retry_runtime::RetryHint;
///
/// assert_eq!(EveryError.classify(&Ok::<_, ()>(1)), RetryOutcome::Success);
/// assert_eq!(
///     EveryError.classify(&Err::<(), _>("reset")),
///     RetryOutcome::Retryable(RetryHint::FollowPolicy)
/// );
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EveryError;

impl<Response, Error> RetryClassifier<Response, Error> for EveryError {
    fn classify(&self, outcome: &Result<Response, Error>) -> RetryOutcome {
        match outcome {
            Ok(_) => RetryOutcome::Success,
            Err(_) => RetryOutcome::Retryable(RetryHint::FollowPolicy),
        }
    }
}

/// The classifier of HTTP clients (feature `http`): retries every `Err` (the request never got
/// an answer) and every response that [`is_transient`](crate::http::is_transient) (408, 429,
/// 500, 502, 503, 504), waiting what its `retry-after-ms` or `Retry-After` asks when it has one; any other
/// response is a success (a 404 is an answer, not a failure to get one).
///
/// ```
/// use std::time::Duration;
/// use retry_runtime::tower::{RetryClassifier, RetryOutcome, TransientResponses};
/// use retry_runtime::RetryHint;
///
/// let response = |status: u16, retry_after: Option<&str>| {
///     let mut response = http::Response::builder().status(status);
///     if let Some(after) = retry_after {
///         response = response.header("retry-after", after);
///     }
///     Ok::<_, std::io::Error>(response.body(()).unwrap())
/// };
/// assert_eq!(TransientResponses.classify(&response(200, None)), RetryOutcome::Success);
/// assert_eq!(TransientResponses.classify(&response(404, None)), RetryOutcome::Success);
/// assert_eq!(
///     TransientResponses.classify(&response(503, None)),
///     RetryOutcome::Retryable(RetryHint::FollowPolicy)
/// );
/// assert_eq!(
///     TransientResponses.classify(&response(429, Some("2"))),
///     RetryOutcome::Retryable(RetryHint::RetryAfter(Duration::from_secs(2)))
/// );
/// assert_eq!(
///     TransientResponses.describe(&response(503, None)).to_string(),
///     "503 Service Unavailable"
/// );
/// ```
#[cfg(feature = "http")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransientResponses;

#[cfg(feature = "http")]
impl<B, Error> RetryClassifier<http::Response<B>, Error> for TransientResponses {
    fn classify(&self, outcome: &Result<http::Response<B>, Error>) -> RetryOutcome {
        use crate::hint::ProvidesRetryHint;
        match outcome {
            Ok(response) if crate::http::is_transient(response) => {
                RetryOutcome::Retryable(response.retry_hint())
            }
            Ok(_) => RetryOutcome::Success,
            Err(_) => RetryOutcome::Retryable(RetryHint::FollowPolicy),
        }
    }

    /// A response shows its status (`503 Service Unavailable`), an error its type.
    fn describe<'a>(&self, outcome: &'a Result<http::Response<B>, Error>) -> ErrorText<'a> {
        match outcome {
            Ok(response) => ErrorText::Display(status_of(response)),
            Err(_) => ErrorText::TypeName(std::any::type_name::<Error>()),
        }
    }
}

/// The response's status as a `'static` value, so the text outlives nothing it borrows.
#[cfg(feature = "http")]
fn status_of<B>(response: &http::Response<B>) -> &'static dyn std::fmt::Display {
    crate::http::status_text(response.status())
}
