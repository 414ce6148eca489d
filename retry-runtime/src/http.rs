//! What HTTP responses say about retrying (feature `http`): `retry-after-ms`, `Retry-After` in
//! both its forms, and the statuses worth another try (with feature `reqwest`, of reqwest's
//! responses and errors too).
//!
//! ```
//! use std::time::Duration;
//! use retry_runtime::http::{is_transient, retry_after};
//! use retry_runtime::{ProvidesRetryHint, RetryHint};
//!
//! let response = http::Response::builder()
//!     .status(429)
//!     .header("retry-after", "2")
//!     .body(())
//!     .unwrap();
//! assert!(is_transient(&response));
//! assert_eq!(retry_after(response.headers()), Some(Duration::from_secs(2)));
//! // A response carries that hint, so `#[retry]` waits as long as the server asked (and up to
//! // 10% more, so that callers told the same do not come back together).
//! assert_eq!(response.retry_hint(), RetryHint::RetryAfter(Duration::from_secs(2)));
//! ```

use std::time::{Duration, SystemTime};

use http::{HeaderMap, Response, StatusCode, header::RETRY_AFTER};

use crate::hint::{ProvidesRetryHint, RetryHint};

/// The longest `Retry-After` value read; anything longer is not a valid one (an HTTP-date is 29
/// characters, delta-seconds a handful of digits).
const MAX_HEADER_LEN: usize = 64;

/// The wait a response's headers ask for: `retry-after-ms` (milliseconds, as several large APIs
/// send it) when it is present and valid, otherwise `Retry-After` in delta-seconds
/// (`Retry-After: 120`) or as the time left until an HTTP-date (`Retry-After: Wed, 21 Oct 2015
/// 07:28:00 GMT`; a date in the past gives zero). `None` when neither is present, a header is
/// repeated with different values, or a value is not one of those forms.
///
/// ```
/// use std::time::Duration;
/// use http::HeaderMap;
/// use retry_runtime::http::retry_after;
///
/// let mut headers = HeaderMap::new();
/// assert_eq!(retry_after(&headers), None);
/// headers.insert("retry-after", "120".parse().unwrap());
/// assert_eq!(retry_after(&headers), Some(Duration::from_secs(120)));
/// headers.insert("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
/// assert_eq!(retry_after(&headers), Some(Duration::ZERO));
/// headers.insert("retry-after", "soon".parse().unwrap());
/// assert_eq!(retry_after(&headers), None);
/// // Milliseconds are read first: a 250 ms window is not rounded up to a whole second.
/// headers.insert("retry-after", "1".parse().unwrap());
/// headers.insert("retry-after-ms", "250".parse().unwrap());
/// assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
/// ```
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_after_at(headers, SystemTime::now())
}

/// [`retry_after`] as of `now`: the time left until an HTTP-date is measured from it.
pub(crate) fn retry_after_at(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(millis) = single_value(headers, RETRY_AFTER_MS).and_then(whole_number) {
        return Some(Duration::from_millis(millis));
    }
    let text = single_value(headers, RETRY_AFTER.as_str())?;
    if let Some(seconds) = whole_number(text) {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(text).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The header carrying the wait in milliseconds; read before `Retry-After`.
const RETRY_AFTER_MS: &str = "retry-after-ms";

/// A header's value, trimmed, when it is present once (or repeated with the same value), text,
/// and of a plausible length.
fn single_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let mut values = headers.get_all(name).iter();
    let value = values.next()?;
    if values.any(|other| other != value) {
        return None;
    }
    let text = value.to_str().ok()?.trim();
    (!text.is_empty() && text.len() <= MAX_HEADER_LEN).then_some(text)
}

/// A non-negative integer of digits only; larger than `u64` saturates (the engine then stops
/// rather than sleep that long: it exceeds any `max_delay`).
fn whole_number(text: &str) -> Option<u64> {
    text.bytes()
        .all(|byte| byte.is_ascii_digit())
        .then(|| text.parse::<u64>().unwrap_or(u64::MAX))
}

/// A response whose status [`is_transient`] reads: `http::Response<B>` (of any body `B`) and,
/// with feature `reqwest`, `reqwest::Response`.
pub trait HttpResponse<B> {
    /// The response's status.
    fn status_code(&self) -> StatusCode;
}

impl<B> HttpResponse<B> for Response<B> {
    fn status_code(&self) -> StatusCode {
        self.status()
    }
}

/// Whether a response is worth retrying: 408 Request Timeout, 429 Too Many Requests, 500
/// Internal Server Error, 502 Bad Gateway, 503 Service Unavailable and 504 Gateway Timeout; no
/// other status. Generic over the response ([`HttpResponse`]: `http::Response<B>` for any body
/// `B`, and `reqwest::Response` with feature `reqwest`), so its path works as `on_result` for
/// any fn returning one of them, in a `Result` or not; `is_transient::<B>` still names the
/// body type.
///
/// ```
/// use retry_runtime::http::is_transient;
///
/// let status = |code: u16| http::Response::builder().status(code).body(()).unwrap();
/// assert!(is_transient(&status(503)));
/// assert!(!is_transient(&status(404)));
/// assert!(!is_transient(&status(501)));
/// assert!(is_transient::<()>(&status(429)));
/// ```
pub fn is_transient<B>(response: &impl HttpResponse<B>) -> bool {
    matches!(
        response.status_code(),
        StatusCode::REQUEST_TIMEOUT
            | StatusCode::TOO_MANY_REQUESTS
            | StatusCode::INTERNAL_SERVER_ERROR
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    )
}

/// A response's [`retry_after`] (`retry-after-ms`, then `Retry-After`), if it has one, as the wait
/// before the next attempt (never shorter, at most 10% longer); otherwise the policy decides.
impl<B> ProvidesRetryHint for Response<B> {
    fn retry_hint(&self) -> RetryHint {
        retry_after(self.headers()).map_or(RetryHint::FollowPolicy, RetryHint::RetryAfter)
    }
}

/// A status as a `'static` value, for event texts that must outlive nothing they borrow (a
/// response's status is returned by value): one table of every valid status (100 to 999),
/// built on first use.
#[cfg_attr(
    not(any(feature = "tower", feature = "reqwest-middleware")),
    allow(dead_code)
)]
pub(crate) fn status_text(status: StatusCode) -> &'static dyn std::fmt::Display {
    static STATUSES: std::sync::OnceLock<Vec<StatusCode>> = std::sync::OnceLock::new();
    let statuses = STATUSES.get_or_init(|| {
        (100..1000)
            .filter_map(|code| StatusCode::from_u16(code).ok())
            .collect()
    });
    let index = usize::from(status.as_u16()).saturating_sub(100);
    &statuses[index]
}

/// A reqwest response's status, for [`is_transient`] (feature `reqwest`).
#[cfg(feature = "reqwest")]
impl HttpResponse<reqwest::Body> for reqwest::Response {
    fn status_code(&self) -> StatusCode {
        self.status()
    }
}

/// A reqwest response's [`retry_after`] (`retry-after-ms`, then `Retry-After`), as
/// `http::Response`'s (feature `reqwest`): `#[retry(on_result = is_transient)]` on a fn
/// returning `reqwest::Response` waits as the server asked, with no conversion.
#[cfg(feature = "reqwest")]
impl ProvidesRetryHint for reqwest::Response {
    fn retry_hint(&self) -> RetryHint {
        retry_after(self.headers()).map_or(RetryHint::FollowPolicy, RetryHint::RetryAfter)
    }
}

/// Whether a reqwest error is worth retrying (feature `reqwest`): it could not connect, or it
/// timed out (connecting, or waiting for the answer). Any other error (a malformed URL, a
/// redirect loop, a body that failed to decode) is about the request, not the moment. Give it
/// to `when` beside `on_result = is_transient`:
///
/// ```no_run
/// use retry_runtime::http::{is_transient, is_transient_error};
/// use retry_runtime::retry;
///
/// #[retry(max_attempts = 4, on_result = is_transient, when = is_transient_error)]
/// async fn price(client: &reqwest::Client, url: &str) -> Result<reqwest::Response, reqwest::Error> {
///     client.get(url).send().await
/// }
/// ```
#[cfg(feature = "reqwest")]
pub fn is_transient_error(error: &reqwest::Error) -> bool {
    error.is_connect() || error.is_timeout()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(RETRY_AFTER, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn an_http_date_gives_the_time_left_until_it() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        let at = |text: &str| retry_after_at(&headers(&[text]), now);
        assert_eq!(
            at("Wed, 21 Oct 2015 07:28:30 GMT"),
            Some(Duration::from_secs(30))
        );
        // The obsolete forms RFC 9110 still asks recipients to accept.
        assert_eq!(
            at("Wednesday, 21-Oct-15 07:29:00 GMT"),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            at("Wed Oct 21 07:30:00 2015"),
            Some(Duration::from_secs(120))
        );
        assert_eq!(at("Wed, 21 Oct 2015 07:00:00 GMT"), Some(Duration::ZERO));
    }

    #[test]
    fn anything_else_is_no_hint() {
        let now = SystemTime::now();
        for bad in [
            "",
            "-1",
            "1.5",
            "soon",
            "Wed, 32 Oct 2015 07:28:00 GMT",
            &"9".repeat(65),
        ] {
            assert_eq!(retry_after_at(&headers(&[bad]), now), None, "{bad:?}");
        }
        assert_eq!(
            retry_after_at(&headers(&["1", "2"]), now),
            None,
            "two answers"
        );
        assert_eq!(
            retry_after_at(&headers(&["3", "3"]), now),
            Some(Duration::from_secs(3)),
            "the same answer twice"
        );
        assert_eq!(
            retry_after_at(&headers(&["99999999999999999999999"]), now),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn milliseconds_are_read_before_seconds() {
        let now = SystemTime::now();
        let mut both = headers(&["2"]);
        both.insert(RETRY_AFTER_MS, "1500".parse().unwrap());
        assert_eq!(
            retry_after_at(&both, now),
            Some(Duration::from_millis(1500))
        );
        // Alone, too.
        let mut millis = HeaderMap::new();
        millis.insert(RETRY_AFTER_MS, "0".parse().unwrap());
        assert_eq!(retry_after_at(&millis, now), Some(Duration::ZERO));
        // An unreadable or ambiguous `retry-after-ms` leaves `Retry-After` to decide.
        for bad in ["1.5", "-3", "soon", ""] {
            let mut fallback = headers(&["2"]);
            fallback.insert(RETRY_AFTER_MS, bad.parse().unwrap());
            assert_eq!(
                retry_after_at(&fallback, now),
                Some(Duration::from_secs(2)),
                "{bad:?}"
            );
        }
        let mut two = headers(&["2"]);
        two.append(RETRY_AFTER_MS, "100".parse().unwrap());
        two.append(RETRY_AFTER_MS, "200".parse().unwrap());
        assert_eq!(retry_after_at(&two, now), Some(Duration::from_secs(2)));
    }

    #[test]
    fn exactly_the_six_transient_statuses() {
        let transient: Vec<u16> = (100..600)
            .filter(|code| is_transient(&Response::builder().status(*code).body(()).unwrap()))
            .collect();
        assert_eq!(transient, [408, 429, 500, 502, 503, 504]);
    }
}
