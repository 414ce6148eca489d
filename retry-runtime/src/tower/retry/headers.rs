//! What a [`RetryLayer`](super::layer::RetryLayer) writes into each attempt's request: nothing
//! by default, or, for `http::Request`s, the time left (`grpc-timeout`) and the attempt number.

use std::time::Duration;

/// Writes what a callee should know about an attempt into its request: the attempt number
/// (from 1) and the time left before the deadline in force, if one is.
pub trait AttemptHeaders<Request> {
    /// Prepares `request` for attempt `attempt`.
    fn write(&self, request: &mut Request, attempt: u32, remaining: Option<Duration>);
}

/// Writes nothing: the default, for requests of any type.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoAttemptHeaders;

impl<Request> AttemptHeaders<Request> for NoAttemptHeaders {
    #[inline]
    fn write(&self, _: &mut Request, _: u32, _: Option<Duration>) {}
}

/// For `http::Request`s: `grpc-timeout` with the time left before the deadline in force (a
/// callee behind a [`DeadlineLayer`](crate::tower::DeadlineLayer) stops when the caller does),
/// and, when named, a header with the attempt number. Made by
/// [`RetryLayer::propagate_deadline`](super::layer::RetryLayer::propagate_deadline) and
/// [`RetryLayer::attempt_header`](super::layer::RetryLayer::attempt_header).
#[cfg(feature = "http")]
#[derive(Clone, Debug, Default)]
pub struct HttpAttemptHeaders {
    pub(crate) attempt: Option<http::HeaderName>,
}

#[cfg(feature = "http")]
impl<B> AttemptHeaders<http::Request<B>> for HttpAttemptHeaders {
    fn write(&self, request: &mut http::Request<B>, attempt: u32, remaining: Option<Duration>) {
        let headers = request.headers_mut();
        if let Some(left) = remaining {
            headers.insert(
                crate::tower::GRPC_TIMEOUT,
                crate::tower::grpc_timeout_value(left),
            );
        }
        if let Some(name) = &self.attempt {
            headers.insert(name.clone(), http::HeaderValue::from(attempt));
        }
    }
}
