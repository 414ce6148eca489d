//! Chaos settings: how often a `#[chaos]` site injects a fault, and how often and how long it
//! delays a call. A site with no settings injects nothing.

use std::error::Error;
use std::fmt;
use std::time::Duration;

use crate::duration::describe;

/// The longest latency a chaos site injects: an hour.
pub const MAX_CHAOS_LATENCY: Duration = Duration::from_secs(3600);

/// The keys of a chaos site's settings, as configuration files spell them (`[chaos.NAME]`) and
/// as the builder's methods are called.
pub const CHAOS_KEYS: &[&str] = &["fault_rate", "latency", "latency_rate", "enabled"];

/// What a `#[chaos]` site injects once configured: a fault into a share `fault_rate` of calls,
/// and `latency` into a share `latency_rate` of them, while `enabled`.
///
/// A delayed call waits first, then may fail as well; a fault returns the fn's
/// `Err(E::from(InjectedFault { .. }))` without running the body.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use std::time::Duration;
/// use retry_runtime::ChaosConfig;
///
/// let config = ChaosConfig::builder()
///     .fault_rate(0.05)
///     .latency(Duration::from_millis(200))
///     .latency_rate(0.1)
///     .build()?;
/// assert_eq!(config.fault_rate(), 0.05);
/// assert!(config.enabled());
/// let error = ChaosConfig::builder().fault_rate(1.5).build().unwrap_err();
/// assert_eq!(error.field(), "fault_rate");
/// # Ok::<(), retry_runtime::ChaosConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChaosConfig {
    fault_rate: f64,
    latency: Duration,
    latency_rate: f64,
    enabled: bool,
}

impl ChaosConfig {
    /// Enabled, and injecting nothing: no faults, no latency (`latency_rate` 1, so a `latency`
    /// set alone delays every call).
    pub const DEFAULT: ChaosConfig = ChaosConfig {
        fault_rate: 0.0,
        latency: Duration::ZERO,
        latency_rate: 1.0,
        enabled: true,
    };

    /// A builder starting from [`ChaosConfig::DEFAULT`].
    pub const fn builder() -> ChaosConfigBuilder {
        ChaosConfigBuilder {
            config: ChaosConfig::DEFAULT,
        }
    }

    /// A builder starting from these settings, to derive a variant.
    pub const fn to_builder(self) -> ChaosConfigBuilder {
        ChaosConfigBuilder { config: self }
    }

    /// The share of calls that fail with an injected fault, from 0 to 1.
    pub const fn fault_rate(&self) -> f64 {
        self.fault_rate
    }

    /// How long a delayed call waits before it runs (or fails).
    pub const fn latency(&self) -> Duration {
        self.latency
    }

    /// The share of calls delayed by [`latency`](Self::latency), from 0 to 1.
    pub const fn latency_rate(&self) -> f64 {
        self.latency_rate
    }

    /// Whether anything is injected; `false` keeps the settings but injects nothing.
    pub const fn enabled(&self) -> bool {
        self.enabled
    }
}

impl Default for ChaosConfig {
    fn default() -> Self {
        ChaosConfig::DEFAULT
    }
}

/// Builds a [`ChaosConfig`], checking every value.
#[derive(Clone, Copy, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ChaosConfigBuilder {
    config: ChaosConfig,
}

impl ChaosConfigBuilder {
    /// The share of calls that fail with an injected fault (0 to 1; 0.05 is one call in 20).
    pub const fn fault_rate(mut self, rate: f64) -> Self {
        self.config.fault_rate = rate;
        self
    }

    /// How long a delayed call waits (at most [`MAX_CHAOS_LATENCY`]).
    pub const fn latency(mut self, latency: Duration) -> Self {
        self.config.latency = latency;
        self
    }

    /// The share of calls delayed by `latency` (0 to 1).
    pub const fn latency_rate(mut self, rate: f64) -> Self {
        self.config.latency_rate = rate;
        self
    }

    /// Whether anything is injected.
    pub const fn enabled(mut self, enabled: bool) -> Self {
        self.config.enabled = enabled;
        self
    }

    /// The config, or the first invalid value.
    ///
    /// # Errors
    /// [`ChaosConfigError`] when a rate is not from 0 to 1 (NaN included), or `latency` is above
    /// [`MAX_CHAOS_LATENCY`].
    pub fn build(self) -> Result<ChaosConfig, ChaosConfigError> {
        let ChaosConfig {
            fault_rate,
            latency,
            latency_rate,
            ..
        } = self.config;
        for (field, rate) in [("fault_rate", fault_rate), ("latency_rate", latency_rate)] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(ChaosConfigError {
                    field,
                    problem: Problem::Rate(rate),
                });
            }
        }
        if latency > MAX_CHAOS_LATENCY {
            return Err(ChaosConfigError {
                field: "latency",
                problem: Problem::Latency(latency),
            });
        }
        Ok(self.config)
    }
}

/// A chaos setting out of range.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use std::time::Duration;
/// use retry_runtime::ChaosConfig;
///
/// let error = ChaosConfig::builder().latency(Duration::from_secs(7200)).build().unwrap_err();
/// assert_eq!(error.field(), "latency");
/// assert_eq!(
///     error.reason(),
///     "`latency` is 2h; injected latency lasts at most an hour (`latency = \"1h\"`)"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChaosConfigError {
    field: &'static str,
    problem: Problem,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Problem {
    Rate(f64),
    Latency(Duration),
}

/// What is said of a rate out of its bounds, by the builder and the config loader.
pub const CHAOS_RATE_RULE: &str =
    "a rate is from 0 to 1 (0.05 injects into one call in 20, 1 into every call)";

impl ChaosConfigError {
    /// The offending key: `fault_rate`, `latency` or `latency_rate`.
    pub const fn field(&self) -> &'static str {
        self.field
    }

    /// What is wrong and how to fix it, naming the key and the value.
    pub fn reason(&self) -> String {
        match self.problem {
            Problem::Rate(rate) => {
                format!(
                    "`{} = {rate}` is out of range: {CHAOS_RATE_RULE}",
                    self.field
                )
            }
            Problem::Latency(latency) => format!(
                "`{}` is {}; injected latency lasts at most an hour (`{} = \"1h\"`)",
                self.field,
                describe(latency),
                self.field
            ),
        }
    }
}

impl fmt::Display for ChaosConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid chaos config: {}", self.reason())
    }
}

impl Error for ChaosConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_from_zero_to_one() {
        for rate in [0.0, 0.5, 1.0] {
            assert!(ChaosConfig::builder().fault_rate(rate).build().is_ok());
            assert!(ChaosConfig::builder().latency_rate(rate).build().is_ok());
        }
        for rate in [-0.1, 1.0 + f64::EPSILON, f64::NAN, f64::INFINITY] {
            let error = ChaosConfig::builder().fault_rate(rate).build().unwrap_err();
            assert_eq!(error.field(), "fault_rate");
            let error = ChaosConfig::builder()
                .latency_rate(rate)
                .build()
                .unwrap_err();
            assert_eq!(error.field(), "latency_rate");
        }
        let error = ChaosConfig::builder().fault_rate(1.5).build().unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid chaos config: `fault_rate = 1.5` is out of range: a rate is from 0 to 1 (0.05 injects into one call in 20, 1 into every call)"
        );
    }

    #[test]
    fn latency_is_at_most_an_hour() {
        let build = |latency| ChaosConfig::builder().latency(latency).build();
        assert!(build(MAX_CHAOS_LATENCY).is_ok());
        assert!(build(Duration::ZERO).is_ok());
        let error = build(MAX_CHAOS_LATENCY + Duration::from_nanos(1)).unwrap_err();
        assert_eq!(error.field(), "latency");
    }

    #[test]
    fn the_keys_are_the_builders() {
        let debug = format!("{:?}", ChaosConfig::DEFAULT);
        for key in CHAOS_KEYS {
            assert!(debug.contains(key), "{key}");
        }
    }
}
