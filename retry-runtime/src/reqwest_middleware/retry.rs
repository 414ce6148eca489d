//! [`RetryMiddleware`]: a retry policy and a budget name, for a reqwest-middleware client.

use std::fmt;

use ::reqwest_middleware::{Error, Middleware, Next, Result};
use http::Extensions;
use reqwest::{Request, Response};

use crate::__private::{self as private, RetrySite, WithBudget};
use crate::budget::site::BudgetSite;
use crate::events::ErrorText;
use crate::hint::{ProvidesRetryHint, RetryHint};
use crate::http::{is_transient, is_transient_error};
use crate::retry::engine::Step;
use crate::retry::policy::RetryPolicy;
use crate::sleep::{AsyncSleeper, TokioSleeper};
use crate::timeout::AttemptTimeout;

/// Retries a reqwest-middleware client's requests with a [`RetryPolicy`], as `#[retry]`
/// retries a fn, under `name`: a response that [`is_transient`] (408, 429, 500, 502, 503, 504)
/// waits as its `retry-after-ms` / `Retry-After` asks (or the backoff), an error that
/// [`is_transient_error`] (connect, timeout) follows the backoff; any other response or error
/// comes back at once, and so does an error of a middleware further in (a breaker's rejection
/// is never retried). The policy's `attempt_timeout` cuts each attempt off (the last one comes
/// back as an [`AttemptTimeout`] in `Error::Middleware`). A request whose body cannot be cloned
/// (a stream) is sent once.
///
/// ```no_run
/// use retry_runtime::reqwest_middleware::RetryMiddleware;
/// use retry_runtime::RetryPolicy;
///
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(RetryMiddleware::new("search", RetryPolicy::DEFAULT))
///     .build();
/// ```
pub struct RetryMiddleware {
    site: RetrySite,
    budget: Option<BudgetSite>,
}

impl RetryMiddleware {
    /// Retries with `policy`; `name` is what events, logs, metrics and
    /// [`stats`](crate::stats) call it (and what a `config` override names).
    pub const fn new(name: &'static str, policy: RetryPolicy) -> Self {
        RetryMiddleware {
            site: RetrySite::new(name, policy),
            budget: None,
        }
    }

    /// Pays for retries from the [`RetryBudget`](crate::RetryBudget) named `name`, the one
    /// `#[retry(budget = "...")]` sites and `RetryLayer`s of that name use.
    ///
    /// ```
    /// use retry_runtime::reqwest_middleware::RetryMiddleware;
    /// use retry_runtime::RetryPolicy;
    ///
    /// let retry = RetryMiddleware::new("search", RetryPolicy::DEFAULT).budget("api");
    /// assert_eq!(retry.name(), "search");
    /// ```
    #[must_use]
    pub fn budget(mut self, name: &'static str) -> Self {
        self.budget = Some(BudgetSite::new(name));
        self
    }

    /// The name events use.
    pub fn name(&self) -> &'static str {
        self.site.name()
    }

    /// Sends `request` until an attempt succeeds or the policy stops.
    async fn send(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> Result<Response> {
        let site = &self.site;
        let budget = self.budget.as_ref();
        let mut state = private::start_async::<TokioSleeper, WithBudget>(site, budget);
        loop {
            let Some(attempt) = request.try_clone() else {
                // A streamed body goes once.
                return next.run(request, extensions).await;
            };
            let limit = state.attempt_limit(site.effective_policy(), TokioSleeper::now);
            let sent = next.clone().run(attempt, extensions);
            let outcome = match limit {
                Some(limit) => match tokio::time::timeout(limit, sent).await {
                    Ok(outcome) => outcome,
                    Err(_) => Err(Error::middleware(AttemptTimeout { timeout: limit })),
                },
                None => sent.await,
            };
            let (retryable, hint) = match &outcome {
                Ok(response) if !is_transient(response) => {
                    return private::succeeded(site, &state, outcome);
                }
                Ok(response) => (true, response.retry_hint()),
                Err(Error::Reqwest(error)) => (is_transient_error(error), RetryHint::FollowPolicy),
                Err(error @ Error::Middleware(_)) => (timed_out(error), RetryHint::FollowPolicy),
            };
            let step = private::failed_async::<TokioSleeper, WithBudget>(
                site,
                &mut state,
                retryable,
                hint,
                describe(&outcome),
                budget,
            );
            match step {
                Step::Stop(_) => return outcome,
                Step::Retry { delay, .. } => {
                    // The failure is dropped before the wait, as in a hand-written loop.
                    drop(outcome);
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                }
            }
        }
    }
}

/// Whether a middleware error is this middleware's own attempt timeout (retried); any other is
/// a middleware further in saying no (a breaker's rejection), never retried.
fn timed_out(error: &Error) -> bool {
    matches!(error, Error::Middleware(error) if error.is::<AttemptTimeout>())
}

/// A failing outcome as events show it: the status (`503 Service Unavailable`) or the error.
fn describe(outcome: &Result<Response>) -> ErrorText<'_> {
    match outcome {
        Ok(response) => ErrorText::Display(crate::http::status_text(response.status())),
        Err(error) => ErrorText::Display(error),
    }
}

#[async_trait::async_trait]
impl Middleware for RetryMiddleware {
    async fn handle(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> Result<Response> {
        self.send(request, extensions, next).await
    }
}

impl fmt::Debug for RetryMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryMiddleware")
            .field("name", &self.site.name())
            .finish_non_exhaustive()
    }
}
