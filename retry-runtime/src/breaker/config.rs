//! Breaker settings: when to trip, how long to stay open, how many probes to let through.

use std::error::Error;
use std::fmt;
use std::time::Duration;

/// The settings of a circuit breaker. Build with [`BreakerConfig::builder`]; all setters are
/// `const fn`, so `#[circuit_breaker]` emits the config as a constant validated at compile time.
///
/// A breaker trips (closed to open) on `failure_threshold` consecutive failures, or, when
/// `failure_rate` or `slow_call_rate` is set, when that share of the last `window` calls failed
/// (or ran longer than `slow_call`) once at least `min_calls` are recorded. It stays open for
/// `open_for`, which grows by `open_for_factor` on each trip in a row (up to `max_open_for`), then
/// admits `half_open_calls` probes: all succeed and it closes, one fails and it opens again.
///
/// ```
/// use std::time::Duration;
/// use retry_runtime::BreakerConfig;
///
/// const PAYMENTS: BreakerConfig = BreakerConfig::builder()
///     .failure_rate(0.5)
///     .window(20)
///     .min_calls(10)
///     .slow_call(Duration::from_secs(2))
///     .open_for(Duration::from_secs(30))
///     .build_const();
/// assert_eq!(PAYMENTS.window(), 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerConfig {
    failure_threshold: u32,
    failure_rate: Option<f64>,
    slow_call: Option<Duration>,
    slow_call_rate: Option<f64>,
    window: u32,
    min_calls: u32,
    open_for: Duration,
    open_for_factor: f64,
    max_open_for: Duration,
    half_open_calls: u32,
    half_open_timeout: Duration,
}

/// The most probes a half-open breaker can admit at once (the permit count has 16 bits).
pub const MAX_HALF_OPEN_CALLS: u32 = u16::MAX as u32;

/// The largest count-based window.
pub const MAX_WINDOW: u32 = 1 << 20;

impl BreakerConfig {
    /// 5 consecutive failures trip it; open for 30 s, doubling on each trip in a row up to 5 min;
    /// one probe at a time; no rate-based trip.
    pub const DEFAULT: BreakerConfig = BreakerConfig {
        failure_threshold: 5,
        failure_rate: None,
        slow_call: None,
        slow_call_rate: None,
        window: 100,
        // 0: the same as `window`, resolved by `build`.
        min_calls: 0,
        open_for: Duration::from_secs(30),
        open_for_factor: 2.0,
        max_open_for: Duration::from_secs(300),
        half_open_calls: 1,
        half_open_timeout: Duration::from_secs(60),
    };

    /// A builder starting from [`BreakerConfig::DEFAULT`].
    pub const fn builder() -> BreakerConfigBuilder {
        BreakerConfigBuilder {
            config: BreakerConfig::DEFAULT,
        }
    }

    /// Consecutive failures that trip the breaker (0: only rates trip it).
    pub const fn failure_threshold(&self) -> u32 {
        self.failure_threshold
    }

    /// Share of failed calls in the window that trips it, if set.
    pub const fn failure_rate(&self) -> Option<f64> {
        self.failure_rate
    }

    /// How long a call may run before it counts as slow, if set.
    pub const fn slow_call(&self) -> Option<Duration> {
        self.slow_call
    }

    /// Share of slow calls in the window that trips it, if set.
    pub const fn slow_call_rate(&self) -> Option<f64> {
        self.slow_call_rate
    }

    /// Calls in the count-based window.
    pub const fn window(&self) -> u32 {
        self.window
    }

    /// Calls recorded before rates are evaluated (`window` unless set; 0 before `build`).
    pub const fn min_calls(&self) -> u32 {
        self.min_calls
    }

    /// How long the breaker stays open after its first trip.
    pub const fn open_for(&self) -> Duration {
        self.open_for
    }

    /// Growth of `open_for` on each trip in a row (1: constant).
    pub const fn open_for_factor(&self) -> f64 {
        self.open_for_factor
    }

    /// The cap on the grown `open_for`.
    pub const fn max_open_for(&self) -> Duration {
        self.max_open_for
    }

    /// Probes admitted while half-open; all must succeed to close.
    pub const fn half_open_calls(&self) -> u32 {
        self.half_open_calls
    }

    /// How long half-open probes may all stay outstanding before they count as failed and the
    /// breaker opens again (default 60 s): a hung probe, never finished nor dropped, cannot keep
    /// the breaker half-open forever.
    pub const fn half_open_timeout(&self) -> Duration {
        self.half_open_timeout
    }

    /// A builder starting from these settings, to derive a variant.
    pub const fn to_builder(self) -> BreakerConfigBuilder {
        BreakerConfigBuilder { config: self }
    }

    /// Whether outcomes go into the count-based window (a rate is set).
    pub const fn uses_window(&self) -> bool {
        self.failure_rate.is_some() || self.slow_call_rate.is_some()
    }

    /// How long to stay open after `trips_in_a_row` trips (1 for the first).
    pub fn open_duration(&self, trips_in_a_row: u32) -> Duration {
        let growth = self
            .open_for_factor
            .powi(i32::try_from(trips_in_a_row.saturating_sub(1)).unwrap_or(i32::MAX));
        crate::backoff::scale_saturating(self.open_for, growth)
            .min(self.max_open_for.max(self.open_for))
    }
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig::DEFAULT
    }
}

/// Builds a [`BreakerConfig`], checking every value.
#[derive(Clone, Copy, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct BreakerConfigBuilder {
    config: BreakerConfig,
}

impl BreakerConfigBuilder {
    /// Consecutive failures that trip the breaker; 0 leaves tripping to the rates.
    pub const fn failure_threshold(mut self, failures: u32) -> Self {
        self.config.failure_threshold = failures;
        self
    }

    /// Share of failed calls (in `(0, 1]`) in the window that trips the breaker.
    pub const fn failure_rate(mut self, rate: f64) -> Self {
        self.config.failure_rate = Some(rate);
        self
    }

    /// How long a call may take before it counts as slow.
    pub const fn slow_call(mut self, duration: Duration) -> Self {
        self.config.slow_call = Some(duration);
        if self.config.slow_call_rate.is_none() {
            self.config.slow_call_rate = Some(1.0);
        }
        self
    }

    /// Share of slow calls (in `(0, 1]`) in the window that trips the breaker (default 1 once
    /// `slow_call` is set).
    pub const fn slow_call_rate(mut self, rate: f64) -> Self {
        self.config.slow_call_rate = Some(rate);
        self
    }

    /// Calls in the count-based window (1 to 2^20).
    pub const fn window(mut self, calls: u32) -> Self {
        self.config.window = calls;
        self
    }

    /// Calls recorded before rates are evaluated (1 to `window`; defaults to `window`).
    pub const fn min_calls(mut self, calls: u32) -> Self {
        self.config.min_calls = calls;
        self
    }

    /// How long the breaker stays open after its first trip (non-zero).
    pub const fn open_for(mut self, duration: Duration) -> Self {
        self.config.open_for = duration;
        self
    }

    /// Growth of `open_for` on each trip in a row (at least 1; 1 keeps it constant).
    pub const fn open_for_factor(mut self, factor: f64) -> Self {
        self.config.open_for_factor = factor;
        self
    }

    /// The cap on the grown `open_for` (at least `open_for`).
    pub const fn max_open_for(mut self, duration: Duration) -> Self {
        self.config.max_open_for = duration;
        self
    }

    /// Probes admitted while half-open (1 to 65535).
    pub const fn half_open_calls(mut self, calls: u32) -> Self {
        self.config.half_open_calls = calls;
        self
    }

    /// How long probes may all stay outstanding before they count as failed (non-zero).
    pub const fn half_open_timeout(mut self, duration: Duration) -> Self {
        self.config.half_open_timeout = duration;
        self
    }

    /// The config, or the first invalid value found.
    ///
    /// # Errors
    /// A [`BreakerConfigError`] naming the field when a value is out of range or the settings
    /// contradict each other (`min_calls` above `window`, no way to trip at all, ...).
    pub const fn build(self) -> Result<BreakerConfig, BreakerConfigError> {
        let mut config = self.config;
        if let Some(rate) = config.failure_rate
            && !(rate > 0.0 && rate <= 1.0)
        {
            return Err(BreakerConfigError::RateOutOfRange {
                field: "failure_rate",
                rate,
            });
        }
        if let Some(rate) = config.slow_call_rate
            && !(rate > 0.0 && rate <= 1.0)
        {
            return Err(BreakerConfigError::RateOutOfRange {
                field: "slow_call_rate",
                rate,
            });
        }
        if config.slow_call_rate.is_some() && config.slow_call.is_none() {
            return Err(BreakerConfigError::SlowRateWithoutSlowCall);
        }
        if config.window == 0 || config.window > MAX_WINDOW {
            return Err(BreakerConfigError::OutOfRange {
                field: "window",
                value: config.window,
                max: MAX_WINDOW,
            });
        }
        if config.min_calls == 0 {
            config.min_calls = config.window;
        }
        if config.min_calls == 0 || config.min_calls > config.window {
            return Err(BreakerConfigError::MinCallsAboveWindow {
                min_calls: config.min_calls,
                window: config.window,
            });
        }
        if config.failure_threshold == 0 && !config.uses_window() {
            return Err(BreakerConfigError::NeverTrips);
        }
        if config.open_for.is_zero() {
            return Err(BreakerConfigError::ZeroOpenFor);
        }
        if config.half_open_timeout.is_zero() {
            return Err(BreakerConfigError::ZeroHalfOpenTimeout);
        }
        if !(config.open_for_factor >= 1.0 && config.open_for_factor <= f64::MAX) {
            return Err(BreakerConfigError::InvalidOpenForFactor {
                factor: config.open_for_factor,
            });
        }
        if config.max_open_for.as_nanos() < config.open_for.as_nanos() {
            return Err(BreakerConfigError::MaxOpenForBelowOpenFor {
                open_for: config.open_for,
                max_open_for: config.max_open_for,
            });
        }
        if config.half_open_calls == 0 || config.half_open_calls > MAX_HALF_OPEN_CALLS {
            return Err(BreakerConfigError::OutOfRange {
                field: "half_open_calls",
                value: config.half_open_calls,
                max: MAX_HALF_OPEN_CALLS,
            });
        }
        Ok(config)
    }

    /// For `const` items: an invalid value fails const evaluation with the reason.
    ///
    /// # Panics
    /// On an invalid value: a compile error in const evaluation, a panic at run time.
    pub const fn build_const(self) -> BreakerConfig {
        match self.build() {
            Ok(config) => config,
            Err(error) => panic!("{}", error.const_message()),
        }
    }
}

/// An invalid breaker setting, naming the field.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum BreakerConfigError {
    /// A rate outside `(0, 1]`.
    RateOutOfRange {
        /// `failure_rate` or `slow_call_rate`.
        field: &'static str,
        /// The rate given.
        rate: f64,
    },
    /// `slow_call_rate` without `slow_call`.
    SlowRateWithoutSlowCall,
    /// A count outside its range.
    OutOfRange {
        /// `window` or `half_open_calls`.
        field: &'static str,
        /// The value given.
        value: u32,
        /// The largest allowed.
        max: u32,
    },
    /// `min_calls` is 0 or above `window`.
    MinCallsAboveWindow {
        /// The value given.
        min_calls: u32,
        /// The window.
        window: u32,
    },
    /// `failure_threshold = 0` and no rate: nothing could ever trip the breaker.
    NeverTrips,
    /// `open_for` is zero.
    ZeroOpenFor,
    /// `half_open_timeout` is zero.
    ZeroHalfOpenTimeout,
    /// `open_for_factor` below 1 or not finite.
    InvalidOpenForFactor {
        /// The factor given.
        factor: f64,
    },
    /// `max_open_for` below `open_for`.
    MaxOpenForBelowOpenFor {
        /// The base.
        open_for: Duration,
        /// The cap, below it.
        max_open_for: Duration,
    },
}

impl BreakerConfigError {
    /// The offending field.
    pub const fn field(&self) -> &'static str {
        match self {
            BreakerConfigError::RateOutOfRange { field, .. }
            | BreakerConfigError::OutOfRange { field, .. } => field,
            BreakerConfigError::SlowRateWithoutSlowCall => "slow_call_rate",
            BreakerConfigError::MinCallsAboveWindow { .. } => "min_calls",
            BreakerConfigError::NeverTrips => "failure_threshold",
            BreakerConfigError::ZeroOpenFor => "open_for",
            BreakerConfigError::ZeroHalfOpenTimeout => "half_open_timeout",
            BreakerConfigError::InvalidOpenForFactor { .. } => "open_for_factor",
            BreakerConfigError::MaxOpenForBelowOpenFor { .. } => "max_open_for",
        }
    }

    const fn const_message(&self) -> &'static str {
        match self {
            BreakerConfigError::RateOutOfRange { .. } => {
                "invalid breaker config: rates must be above 0 and at most 1"
            }
            BreakerConfigError::SlowRateWithoutSlowCall => {
                "invalid breaker config: `slow_call_rate` needs `slow_call`"
            }
            BreakerConfigError::OutOfRange { .. } => {
                "invalid breaker config: `window` or `half_open_calls` is out of range"
            }
            BreakerConfigError::MinCallsAboveWindow { .. } => {
                "invalid breaker config: `min_calls` must be between 1 and `window`"
            }
            BreakerConfigError::NeverTrips => {
                "invalid breaker config: `failure_threshold = 0` without a rate never trips"
            }
            BreakerConfigError::ZeroOpenFor => {
                "invalid breaker config: `open_for` must be non-zero"
            }
            BreakerConfigError::ZeroHalfOpenTimeout => {
                "invalid breaker config: `half_open_timeout` must be non-zero"
            }
            BreakerConfigError::InvalidOpenForFactor { .. } => {
                "invalid breaker config: `open_for_factor` must be finite and at least 1"
            }
            BreakerConfigError::MaxOpenForBelowOpenFor { .. } => {
                "invalid breaker config: `max_open_for` must not be below `open_for`"
            }
        }
    }
}

impl fmt::Display for BreakerConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BreakerConfigError::RateOutOfRange { field, rate } => write!(
                f,
                "invalid breaker config: `{field}` is {rate}; a rate is above 0 and at most 1 (0.5 = half the calls)"
            ),
            BreakerConfigError::SlowRateWithoutSlowCall => f.write_str(
                "invalid breaker config: `slow_call_rate` is set but `slow_call` is not; say how long a slow call is",
            ),
            BreakerConfigError::OutOfRange { field, value, max } => write!(
                f,
                "invalid breaker config: `{field}` is {value}; it must be from 1 to {max}"
            ),
            BreakerConfigError::MinCallsAboveWindow { min_calls, window } => write!(
                f,
                "invalid breaker config: `min_calls` is {min_calls}; it must be from 1 to `window` ({window})"
            ),
            BreakerConfigError::NeverTrips => f.write_str(
                "invalid breaker config: `failure_threshold` is 0 and no `failure_rate` or `slow_call_rate` is set, so the breaker could never trip",
            ),
            BreakerConfigError::ZeroOpenFor => f.write_str(
                "invalid breaker config: `open_for` is 0, so an open breaker would never reject anything",
            ),
            BreakerConfigError::ZeroHalfOpenTimeout => f.write_str(
                "invalid breaker config: `half_open_timeout` is 0, so every probe would time out at once",
            ),
            BreakerConfigError::InvalidOpenForFactor { factor } => write!(
                f,
                "invalid breaker config: `open_for_factor` is {factor}; it must be finite and at least 1"
            ),
            BreakerConfigError::MaxOpenForBelowOpenFor {
                open_for,
                max_open_for,
            } => write!(
                f,
                "invalid breaker config: `max_open_for` ({max_open_for:?}) is below `open_for` ({open_for:?})"
            ),
        }
    }
}

impl Error for BreakerConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_duration_grows_and_is_capped() {
        let config = BreakerConfig::builder()
            .open_for(Duration::from_secs(10))
            .open_for_factor(3.0)
            .max_open_for(Duration::from_secs(60))
            .build()
            .unwrap();
        let secs: Vec<u64> = (1..=4)
            .map(|trips| config.open_duration(trips).as_secs())
            .collect();
        assert_eq!(secs, [10, 30, 60, 60]);
        assert_eq!(config.open_duration(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn invalid_values_name_their_field() {
        let cases = [
            (BreakerConfig::builder().failure_rate(1.5), "failure_rate"),
            (BreakerConfig::builder().failure_rate(0.0), "failure_rate"),
            (
                BreakerConfig::builder().slow_call_rate(0.5),
                "slow_call_rate",
            ),
            (BreakerConfig::builder().window(0), "window"),
            (
                BreakerConfig::builder()
                    .failure_rate(0.5)
                    .window(10)
                    .min_calls(11),
                "min_calls",
            ),
            (
                BreakerConfig::builder().failure_threshold(0),
                "failure_threshold",
            ),
            (
                BreakerConfig::builder().open_for(Duration::ZERO),
                "open_for",
            ),
            (
                BreakerConfig::builder().open_for_factor(0.9),
                "open_for_factor",
            ),
            (
                BreakerConfig::builder().max_open_for(Duration::from_secs(1)),
                "max_open_for",
            ),
            (
                BreakerConfig::builder().half_open_calls(0),
                "half_open_calls",
            ),
            (
                BreakerConfig::builder().half_open_calls(70_000),
                "half_open_calls",
            ),
        ];
        for (builder, field) in cases {
            let error = builder.build().unwrap_err();
            assert_eq!(error.field(), field, "{error}");
        }
    }

    #[test]
    fn min_calls_follows_a_smaller_window_when_left_at_default() {
        let config = BreakerConfig::builder().window(20).build().unwrap();
        assert_eq!(config.min_calls(), 20);
    }
}
