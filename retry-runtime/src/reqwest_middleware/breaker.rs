//! [`CircuitBreakerMiddleware`]: a named breaker in front of a reqwest-middleware client.

use std::fmt;

use ::reqwest_middleware::{Error, Middleware, Next, Result};
use http::Extensions;
use reqwest::{Request, Response};

use crate::__private::BreakerSite;
use crate::BreakerConfig;
use crate::http::is_transient;

/// Guards a reqwest-middleware client's requests with the breaker registered under `name`: the
/// one a `#[circuit_breaker(name = ...)]` fn or a `CircuitBreakerLayer` of that name uses, so
/// they trip, reject and recover together. A response that
/// [`is_transient`] and a reqwest error (but a request that could not be built) count as
/// failures; any other response as a success; an error of a middleware further in as ignored;
/// a dropped call as cancelled. A rejected request is not sent: it returns
/// `Error::Middleware` holding the [`CircuitOpen`](crate::CircuitOpen)
/// (`error.downcast_ref::<CircuitOpen>()` on its `anyhow::Error`).
///
/// ```no_run
/// use retry_runtime::reqwest_middleware::CircuitBreakerMiddleware;
/// use retry_runtime::BreakerConfig;
///
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(CircuitBreakerMiddleware::new("payments").config(BreakerConfig::DEFAULT))
///     .build();
/// ```
pub struct CircuitBreakerMiddleware {
    name: &'static str,
    site: BreakerSite,
}

impl CircuitBreakerMiddleware {
    /// Guards with the breaker named `name`, as another site made it (or with
    /// [`BreakerConfig::DEFAULT`] if none has yet).
    pub const fn new(name: &'static str) -> Self {
        CircuitBreakerMiddleware {
            name,
            site: BreakerSite::untuned(name),
        }
    }

    /// Creates the breaker with `config` if it is not registered yet (the first site to run
    /// wins, as for the attribute).
    #[must_use]
    pub fn config(self, config: BreakerConfig) -> Self {
        CircuitBreakerMiddleware {
            name: self.name,
            site: BreakerSite::new(self.name, config),
        }
    }

    async fn send(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> Result<Response> {
        let permit = match self.site.breaker().try_acquire() {
            Ok(permit) => permit,
            Err(open) => return Err(Error::middleware(open)),
        };
        let outcome = next.run(request, extensions).await;
        match &outcome {
            Ok(response) if is_transient(response) => permit.record_failure(),
            Ok(_) => permit.record_success(),
            Err(Error::Reqwest(error)) if !error.is_builder() => permit.record_failure(),
            Err(_) => permit.record_ignored(),
        }
        outcome
    }
}

#[async_trait::async_trait]
impl Middleware for CircuitBreakerMiddleware {
    async fn handle(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> Result<Response> {
        self.send(request, extensions, next).await
    }
}

impl fmt::Debug for CircuitBreakerMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerMiddleware")
            .field("breaker", &self.site)
            .finish_non_exhaustive()
    }
}
