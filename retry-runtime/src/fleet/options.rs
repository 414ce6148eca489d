//! What a fleet link shares, under which names in Redis, and how it paces itself.

use std::path::PathBuf;
use std::time::Duration;

use super::FleetError;
use super::tls::CaCertificate;

/// How a fleet link behaves: built from [`FleetOptions::new`] (the defaults) with one method
/// per setting; checked by [`connect`](super::connect).
///
/// ```
/// use std::time::Duration;
/// use retry_runtime::fleet::FleetOptions;
///
/// let options = FleetOptions::new()
///     .prefix("orders")                 // the fleet's namespace in Redis
///     .breakers(["db", "payments"])     // share only these (default: every breaker)
///     .budgets(["api"])                 // and this budget (default: every budget)
///     .rate_limiters(["partner-api"])   // and this rate limiter (default: every one)
///     .lease_batch(5)                   // tokens leased at a time
///     .state_ttl(Duration::from_secs(3600));
/// # let _ = options;
/// ```
#[derive(Clone, Debug)]
pub struct FleetOptions {
    pub(super) prefix: String,
    pub(super) breakers: Option<Vec<String>>,
    pub(super) budgets: Option<Vec<String>>,
    pub(super) rate_limiters: Option<Vec<String>>,
    pub(super) lease_batch: u32,
    pub(super) flush_interval: Duration,
    pub(super) state_ttl: Duration,
    pub(super) reconnect_min: Duration,
    pub(super) reconnect_max: Duration,
    pub(super) response_timeout: Duration,
    pub(super) ca_certificate: Option<CaCertificate>,
}

impl Default for FleetOptions {
    fn default() -> Self {
        FleetOptions {
            prefix: "retry-runtime".to_owned(),
            breakers: None,
            budgets: None,
            rate_limiters: None,
            lease_batch: 5,
            flush_interval: Duration::from_millis(20),
            state_ttl: Duration::from_secs(3600),
            reconnect_min: Duration::from_millis(50),
            reconnect_max: Duration::from_secs(1),
            response_timeout: Duration::from_secs(1),
            ca_certificate: None,
        }
    }
}

impl FleetOptions {
    /// The defaults: prefix `retry-runtime`, every breaker, budget and rate limiter shared,
    /// leases of 5 tokens or permits, budgets flushed every 20 ms, stored states kept 1 h, reconnecting after 50 ms
    /// doubling to 1 s (with jitter), Redis answers awaited 1 s.
    pub fn new() -> Self {
        Self::default()
    }

    /// The fleet's namespace: every key and channel starts with it, in braces (`{prefix}:...`,
    /// one hash slot on a Redis Cluster), so that two services (or two tests) on one Redis
    /// never see each other. 1 to 128 bytes, no whitespace, no braces.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Shares only the breakers named here (the others stay this process's own).
    #[must_use]
    pub fn breakers<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.breakers = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Shares only the retry budgets named here.
    #[must_use]
    pub fn budgets<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.budgets = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Shares only the rate limiters named here (registered ones: `#[rate_limit(name = ...)]`
    /// or [`register_rate_limiter`](crate::register_rate_limiter)); the fleet then admits at
    /// most `burst + per_second x t` calls to each across every process, plus what is leased
    /// and not spent yet (at most one lease per process).
    ///
    /// ```
    /// use retry_runtime::fleet::FleetOptions;
    ///
    /// // Only the partner's quota is the fleet's; other limiters stay per process.
    /// let options = FleetOptions::new().rate_limiters(["partner-api"]);
    /// # let _ = options;
    /// ```
    #[must_use]
    pub fn rate_limiters<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.rate_limiters = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Whole tokens a process leases from a fleet budget at a time (1 to 1000): larger batches
    /// mean fewer trips to Redis, smaller ones a fairer spread of a scarce budget. A fleet rate
    /// limiter leases `max(lease_batch, per_second x flush_interval)` permits at a time (so a
    /// process can keep up with the whole rate), never more than its `burst`.
    #[must_use]
    pub fn lease_batch(mut self, tokens: u32) -> Self {
        self.lease_batch = tokens;
        self
    }

    /// How often the link sends the calls counted by fleet budgets and tops up their leases
    /// (1 ms to 10 s).
    #[must_use]
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = interval;
        self
    }

    /// How long Redis keeps a breaker state other than open (closed, forced open, disabled,
    /// metrics only) for processes that start later (1 s to 30 days); an open state is kept
    /// for the time it has left, plus a second.
    #[must_use]
    pub fn state_ttl(mut self, ttl: Duration) -> Self {
        self.state_ttl = ttl;
        self
    }

    /// Waits between reconnection attempts: from `min`, doubling up to `max` (at most 60 s),
    /// each drawn in its upper half (equal jitter), so a fleet does not reconnect in step.
    #[must_use]
    pub fn reconnect_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.reconnect_min = min;
        self.reconnect_max = max;
        self
    }

    /// How long the link waits for Redis to answer (connect, or any command) before it counts
    /// the server as down (10 ms to 60 s). A slow server never slows a call either way.
    #[must_use]
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// The CA that a `rediss://` link trusts (feature `redis-tls`), as PEM: one certificate or
    /// more (a bundle), such as a managed service's CA or one of your own. Checked at
    /// [`connect`](super::connect): 1 byte to 1 MiB holding at least one certificate, each a
    /// valid X.509 certificate; and only for a `rediss://` URL. Without it, a `rediss://` link
    /// trusts the system's roots. The server's certificate must name the URL's host (or IP
    /// address).
    ///
    /// ```
    /// use retry_runtime::fleet::FleetOptions;
    ///
    /// // The PEM as a deployment hands it over (an environment variable, a secret store).
    /// let pem = "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n";
    /// let options = FleetOptions::new().ca_certificate(pem);
    /// # let _ = options;
    /// ```
    #[must_use]
    pub fn ca_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_certificate = Some(CaCertificate::Pem(pem.into()));
        self
    }

    /// [`ca_certificate`](Self::ca_certificate), read from a PEM file by
    /// [`connect`](super::connect) (a regular file of at most 1 MiB; one that cannot be read
    /// or holds no certificate is an error of `connect` that names it). The last of the two
    /// given is the one used.
    ///
    /// ```
    /// use retry_runtime::fleet::FleetOptions;
    ///
    /// // The CA of a managed Redis, as its console offers it for download.
    /// let options = FleetOptions::new()
    ///     .prefix("orders")
    ///     .ca_certificate_file("/etc/redis/ca.pem");
    /// # let _ = options;
    /// // fleet::connect("rediss://orders:PASSWORD@redis.internal:6380/", options)?;
    /// ```
    #[must_use]
    pub fn ca_certificate_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_certificate = Some(CaCertificate::File(path.into()));
        self
    }

    /// Whether the breaker named `name` is shared.
    pub(super) fn shares_breaker(&self, name: &str) -> bool {
        self.breakers
            .as_ref()
            .is_none_or(|names| names.iter().any(|shared| shared == name))
    }

    /// Whether the budget named `name` is shared.
    pub(super) fn shares_budget(&self, name: &str) -> bool {
        self.budgets
            .as_ref()
            .is_none_or(|names| names.iter().any(|shared| shared == name))
    }

    /// Whether the rate limiter named `name` is shared.
    pub(super) fn shares_rate_limiter(&self, name: &str) -> bool {
        self.rate_limiters
            .as_ref()
            .is_none_or(|names| names.iter().any(|shared| shared == name))
    }

    pub(super) fn validate(&self) -> Result<(), FleetError> {
        let invalid = |option: &'static str, reason: String| {
            Err(FleetError::InvalidOptions { option, reason })
        };
        if self.prefix.is_empty()
            || self.prefix.len() > 128
            || self
                .prefix
                .chars()
                .any(|c| c.is_whitespace() || c == '{' || c == '}')
        {
            return invalid(
                "prefix",
                format!(
                    "`{}` must be 1 to 128 bytes without whitespace or braces (the keys are `{{prefix}}:...`)",
                    self.prefix.escape_debug()
                ),
            );
        }
        if !(1..=1000).contains(&self.lease_batch) {
            return invalid(
                "lease_batch",
                format!("{} must be from 1 to 1000 tokens", self.lease_batch),
            );
        }
        let within = |value: Duration, min: Duration, max: Duration| value >= min && value <= max;
        let ms = Duration::from_millis;
        let s = Duration::from_secs;
        if !within(self.flush_interval, ms(1), s(10)) {
            return invalid(
                "flush_interval",
                format!("{:?} must be from 1ms to 10s", self.flush_interval),
            );
        }
        if !within(self.state_ttl, s(1), s(30 * 24 * 3600)) {
            return invalid(
                "state_ttl",
                format!("{:?} must be from 1s to 30 days", self.state_ttl),
            );
        }
        if !within(self.reconnect_min, ms(1), s(60))
            || !within(self.reconnect_max, self.reconnect_min, s(60))
        {
            return invalid(
                "reconnect_backoff",
                format!(
                    "{:?} to {:?}: the least must be at least 1ms, and the most from the least to 60s",
                    self.reconnect_min, self.reconnect_max
                ),
            );
        }
        if !within(self.response_timeout, ms(10), s(60)) {
            return invalid(
                "response_timeout",
                format!("{:?} must be from 10ms to 60s", self.response_timeout),
            );
        }
        Ok(())
    }
}
