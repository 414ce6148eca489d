//! [`DeadlineLayer`]: a server reads its caller's deadline (`grpc-timeout`) into the call
//! context, so every attributed call its handler makes stops when the caller has given up.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use crate::context::{Deadline, Scope, current_attempt, current_deadline};

/// The header gRPC carries a deadline in, and the one [`DeadlineLayer`] reads and
/// [`RetryLayer`](super::RetryLayer) writes.
pub const GRPC_TIMEOUT: &str = "grpc-timeout";

/// The most digits a `grpc-timeout` value has (gRPC's wire format).
const MAX_DIGITS: u64 = 99_999_999;

/// Reads a `grpc-timeout` value: up to 8 digits and a unit, `H` (hours), `M` (minutes), `S`,
/// `m` (milliseconds), `u` (microseconds) or `n` (nanoseconds). `None` when it is missing or
/// malformed (a malformed deadline is no deadline, as gRPC servers treat it).
///
/// ```
/// use std::time::Duration;
/// use retry_runtime::tower::grpc_timeout;
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("grpc-timeout", "250m".parse().unwrap());
/// assert_eq!(grpc_timeout(&headers), Some(Duration::from_millis(250)));
/// headers.insert("grpc-timeout", "250x".parse().unwrap());
/// assert_eq!(grpc_timeout(&headers), None);
/// ```
pub fn grpc_timeout(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(GRPC_TIMEOUT)?.to_str().ok()?;
    let digits = text.get(..text.len().checked_sub(1)?)?;
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u64 = digits.parse().ok()?;
    Some(match text.as_bytes()[text.len() - 1] {
        b'H' => Duration::from_secs(value.checked_mul(3600)?),
        b'M' => Duration::from_secs(value.checked_mul(60)?),
        b'S' => Duration::from_secs(value),
        b'm' => Duration::from_millis(value),
        b'u' => Duration::from_micros(value),
        b'n' => Duration::from_nanos(value),
        _ => return None,
    })
}

/// A `grpc-timeout` value for `timeout`: the finest unit whose count fits in 8 digits, rounded
/// down (a callee is never told it has longer than its caller will wait).
///
/// ```
/// use std::time::Duration;
/// use retry_runtime::tower::grpc_timeout_value;
///
/// assert_eq!(grpc_timeout_value(Duration::from_millis(300)), "300000u");
/// assert_eq!(grpc_timeout_value(Duration::from_secs(3600 * 24)), "86400000m");
/// ```
pub fn grpc_timeout_value(timeout: Duration) -> HeaderValue {
    let nanos = timeout.as_nanos();
    let units: [(u128, char); 6] = [
        (1, 'n'),
        (1_000, 'u'),
        (1_000_000, 'm'),
        (1_000_000_000, 'S'),
        (60_000_000_000, 'M'),
        (3_600_000_000_000, 'H'),
    ];
    let (count, unit) = units
        .iter()
        .map(|&(size, unit)| (nanos / size, unit))
        .find(|&(count, _)| count <= u128::from(MAX_DIGITS))
        .unwrap_or((u128::from(MAX_DIGITS), 'H'));
    HeaderValue::from_str(&format!("{count}{unit}"))
        .unwrap_or_else(|_| HeaderValue::from_static("0n"))
}

/// Puts the caller's deadline on everything a server's handler calls: reads `grpc-timeout`
/// (or uses a default) into the call context, so the attributed calls the handler makes
/// never sleep, wait or retry past it ([`context`](crate::context)); answers `504 Gateway
/// Timeout` without calling the handler when the deadline is already spent; and cuts the
/// handler off (drops its future, answers 504) when it runs past it. Time is tokio's clock.
///
/// ```
/// use std::time::Duration;
/// use retry_runtime::context;
/// use retry_runtime::tower::DeadlineLayer;
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let handler = service_fn(|_request: http::Request<()>| async {
///     let left = context::remaining().expect("the caller's deadline");
///     Ok::<_, std::convert::Infallible>(http::Response::new(format!("{} ms left", left.as_millis())))
/// });
/// let service = DeadlineLayer::new().layer(handler);
/// let request = http::Request::builder().header("grpc-timeout", "300m").body(()).unwrap();
/// let response = service.oneshot(request).await.unwrap();
/// assert_eq!(response.body(), "300 ms left");
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct DeadlineLayer {
    default: Option<Duration>,
}

impl DeadlineLayer {
    /// Reads each request's `grpc-timeout`; a request without one has no deadline.
    pub const fn new() -> Self {
        DeadlineLayer { default: None }
    }

    /// The deadline of a request that carries no `grpc-timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retry_runtime::tower::DeadlineLayer;
    ///
    /// let layer = DeadlineLayer::new().default_timeout(Duration::from_secs(2));
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub const fn default_timeout(mut self, timeout: Duration) -> Self {
        self.default = Some(timeout);
        self
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = DeadlineService<S>;

    fn layer(&self, inner: S) -> DeadlineService<S> {
        DeadlineService {
            inner,
            default: self.default,
        }
    }
}

/// The service [`DeadlineLayer`] makes.
#[derive(Clone, Debug)]
pub struct DeadlineService<S> {
    inner: S,
    default: Option<Duration>,
}

impl<S, B, ResBody> Service<Request<B>> for DeadlineService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = DeadlineFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let Some(timeout) = grpc_timeout(request.headers()).or(self.default) else {
            return DeadlineFuture {
                inner: Some(self.inner.call(request)),
                sleep: None,
                deadline: None,
            };
        };
        let deadline =
            Deadline::after(timeout, crate::context::async_now).sooner(current_deadline());
        let left = deadline.remaining();
        if left.is_zero() {
            return DeadlineFuture {
                inner: None,
                sleep: None,
                deadline: Some(deadline),
            };
        }
        // The handler's synchronous part runs under the deadline too.
        let inner = {
            let _scope = Scope::enter(current_attempt(), Some(deadline));
            self.inner.call(request)
        };
        DeadlineFuture {
            inner: Some(inner),
            sleep: Some(tokio::time::sleep(left)),
            deadline: Some(deadline),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`DeadlineService`]: the handler's response, or `504 Gateway
    /// Timeout` when the deadline is spent before or while it runs.
    pub struct DeadlineFuture<F> {
        #[pin]
        inner: Option<F>,
        #[pin]
        sleep: Option<tokio::time::Sleep>,
        deadline: Option<Deadline>,
    }
}

impl<F, ResBody, E> Future for DeadlineFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    ResBody: Default,
{
    type Output = Result<Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let deadline = *this.deadline;
        let Some(inner) = this.inner.as_mut().as_pin_mut() else {
            return Poll::Ready(Ok(gateway_timeout()));
        };
        let polled = {
            let _scope = deadline.map(|deadline| Scope::enter(current_attempt(), Some(deadline)));
            inner.poll(cx)
        };
        if let Poll::Ready(response) = polled {
            this.inner.set(None);
            return Poll::Ready(response);
        }
        if let Some(sleep) = this.sleep.as_pin_mut()
            && sleep.poll(cx).is_ready()
        {
            // Nobody waits for the answer any more: the handler's work stops here.
            this.inner.set(None);
            return Poll::Ready(Ok(gateway_timeout()));
        }
        Poll::Pending
    }
}

fn gateway_timeout<B: Default>() -> Response<B> {
    let mut response = Response::new(B::default());
    *response.status_mut() = StatusCode::GATEWAY_TIMEOUT;
    response
}
