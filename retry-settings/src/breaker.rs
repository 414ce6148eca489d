//! Breaker settings: when to trip, how long to stay open, how many probes to let through.

use std::error::Error;
use std::fmt;
use std::time::Duration;

use crate::backoff::scale_saturating;
use crate::duration::describe;
use crate::keys::{Key, Kind, Value, find};

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
/// # use retry_settings as retry_runtime;
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
    /// `Some`: the rates are taken over the calls of this last stretch of time (in ten buckets),
    /// not over the last `window` calls.
    time_window: Option<Duration>,
}

/// `min_calls` of a time-based window when none is given.
pub const DEFAULT_TIME_WINDOW_MIN_CALLS: u32 = 10;

/// The most probes a half-open breaker can admit at once (the permit count has 16 bits).
///
/// ```
/// # use retry_settings as retry_runtime;
/// use retry_runtime::{BreakerConfig, MAX_HALF_OPEN_CALLS};
///
/// assert!(BreakerConfig::builder().half_open_calls(MAX_HALF_OPEN_CALLS).build().is_ok());
/// assert!(BreakerConfig::builder().half_open_calls(MAX_HALF_OPEN_CALLS + 1).build().is_err());
/// ```
pub const MAX_HALF_OPEN_CALLS: u32 = u16::MAX as u32;

/// The shortest time-based window: ten buckets of a nanosecond.
pub(crate) const MIN_TIME_WINDOW: Duration = Duration::from_nanos(10);

/// The largest count-based window.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use retry_runtime::{BreakerConfig, MAX_WINDOW};
///
/// let rated = BreakerConfig::builder().failure_rate(0.5);
/// assert!(rated.window(MAX_WINDOW).build().is_ok());
/// assert!(rated.window(MAX_WINDOW + 1).build().is_err());
/// ```
pub const MAX_WINDOW: u32 = 1 << 20;

impl BreakerConfig {
    /// 5 consecutive failures trip it; open for 30 s, doubling on each trip in a row up to 5 min;
    /// one probe at a time; no rate-based trip.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfig;
    ///
    /// assert_eq!(BreakerConfig::DEFAULT.failure_threshold(), 5);
    /// assert_eq!(BreakerConfig::default(), BreakerConfig::DEFAULT);
    /// ```
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
        time_window: None,
    };

    /// A builder starting from [`BreakerConfig::DEFAULT`].
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfig;
    ///
    /// let config = BreakerConfig::builder().failure_threshold(3).build()?;
    /// assert_eq!(config.failure_threshold(), 3);
    /// # Ok::<(), retry_runtime::BreakerConfigError>(())
    /// ```
    pub const fn builder() -> BreakerConfigBuilder {
        BreakerConfigBuilder {
            config: BreakerConfig::DEFAULT,
        }
    }

    /// Consecutive failures that trip the breaker (0: only rates trip it).
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// assert_eq!(retry_runtime::BreakerConfig::DEFAULT.failure_threshold(), 5);
    /// ```
    pub const fn failure_threshold(&self) -> u32 {
        self.failure_threshold
    }

    /// Share of failed calls in the window that trips it, if set.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfig;
    ///
    /// let config = BreakerConfig::builder().failure_rate(0.5).build()?;
    /// assert_eq!(config.failure_rate(), Some(0.5));
    /// # Ok::<(), retry_runtime::BreakerConfigError>(())
    /// ```
    pub const fn failure_rate(&self) -> Option<f64> {
        self.failure_rate
    }

    /// How long a call may run before it counts as slow, if set.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// assert_eq!(retry_runtime::BreakerConfig::DEFAULT.slow_call(), None);
    /// ```
    pub const fn slow_call(&self) -> Option<Duration> {
        self.slow_call
    }

    /// Share of slow calls in the window that trips it, if set.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use std::time::Duration;
    /// use retry_runtime::BreakerConfig;
    ///
    /// let config = BreakerConfig::builder().slow_call(Duration::from_secs(2)).build()?;
    /// assert_eq!(config.slow_call_rate(), Some(1.0));
    /// # Ok::<(), retry_runtime::BreakerConfigError>(())
    /// ```
    pub const fn slow_call_rate(&self) -> Option<f64> {
        self.slow_call_rate
    }

    /// Calls in the count-based window.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// assert_eq!(retry_runtime::BreakerConfig::DEFAULT.window(), 100);
    /// ```
    pub const fn window(&self) -> u32 {
        self.window
    }

    /// Calls recorded before rates are evaluated (`window` unless set, 10 for a time-based
    /// window; 0 before `build`).
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfig;
    ///
    /// let config = BreakerConfig::builder().window(20).build()?;
    /// assert_eq!(config.min_calls(), 20);
    /// # Ok::<(), retry_runtime::BreakerConfigError>(())
    /// ```
    pub const fn min_calls(&self) -> u32 {
        self.min_calls
    }

    /// The `min_calls` these settings have when none is given: `window`, or 10 for a
    /// time-based window.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use std::time::Duration;
    /// use retry_runtime::BreakerConfig;
    ///
    /// let timed = BreakerConfig::builder().failure_rate(0.5).time_window(Duration::from_secs(10));
    /// assert_eq!(timed.build()?.default_min_calls(), 10);
    /// assert_eq!(BreakerConfig::builder().window(20).build()?.default_min_calls(), 20);
    /// # Ok::<(), retry_runtime::BreakerConfigError>(())
    /// ```
    pub const fn default_min_calls(&self) -> u32 {
        if self.time_window.is_some() {
            DEFAULT_TIME_WINDOW_MIN_CALLS
        } else {
            self.window
        }
    }

    /// How long the breaker stays open after its first trip.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use std::time::Duration;
    ///
    /// assert_eq!(retry_runtime::BreakerConfig::DEFAULT.open_for(), Duration::from_secs(30));
    /// ```
    pub const fn open_for(&self) -> Duration {
        self.open_for
    }

    /// Growth of `open_for` on each trip in a row (1: constant).
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// assert_eq!(retry_runtime::BreakerConfig::DEFAULT.open_for_factor(), 2.0);
    /// ```
    pub const fn open_for_factor(&self) -> f64 {
        self.open_for_factor
    }

    /// The cap on the grown `open_for`.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use std::time::Duration;
    ///
    /// assert_eq!(retry_runtime::BreakerConfig::DEFAULT.max_open_for(), Duration::from_secs(300));
    /// ```
    pub const fn max_open_for(&self) -> Duration {
        self.max_open_for
    }

    /// Probes admitted while half-open; all must succeed to close.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// assert_eq!(retry_runtime::BreakerConfig::DEFAULT.half_open_calls(), 1);
    /// ```
    pub const fn half_open_calls(&self) -> u32 {
        self.half_open_calls
    }

    /// How long half-open probes may all stay outstanding before they count as failed and the
    /// breaker opens again (default 60 s): a hung probe, never finished nor dropped, cannot keep
    /// the breaker half-open forever.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use std::time::Duration;
    ///
    /// assert_eq!(retry_runtime::BreakerConfig::DEFAULT.half_open_timeout(), Duration::from_secs(60));
    /// ```
    pub const fn half_open_timeout(&self) -> Duration {
        self.half_open_timeout
    }

    /// The time-based window the rates are taken over (`window = "10s"`), if any: the calls of
    /// the last stretch of this long, in ten buckets of a tenth of it each, so a service with
    /// little traffic trips on what happened lately. `None`: the last `window` calls.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use std::time::Duration;
    /// use retry_runtime::BreakerConfig;
    ///
    /// let config = BreakerConfig::builder()
    ///     .failure_rate(0.5)
    ///     .time_window(Duration::from_secs(10))
    ///     .build()?;
    /// assert_eq!(config.time_window(), Some(Duration::from_secs(10)));
    /// # Ok::<(), retry_runtime::BreakerConfigError>(())
    /// ```
    pub const fn time_window(&self) -> Option<Duration> {
        self.time_window
    }

    /// A builder starting from these settings, to derive a variant.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfig;
    ///
    /// let stricter = BreakerConfig::DEFAULT.to_builder().failure_threshold(2).build()?;
    /// assert_eq!(stricter.open_for(), BreakerConfig::DEFAULT.open_for());
    /// # Ok::<(), retry_runtime::BreakerConfigError>(())
    /// ```
    pub const fn to_builder(self) -> BreakerConfigBuilder {
        BreakerConfigBuilder { config: self }
    }

    /// Whether outcomes go into the count-based window (a rate is set).
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfig;
    ///
    /// assert!(!BreakerConfig::DEFAULT.uses_window());
    /// assert!(BreakerConfig::builder().failure_rate(0.5).build()?.uses_window());
    /// # Ok::<(), retry_runtime::BreakerConfigError>(())
    /// ```
    pub const fn uses_window(&self) -> bool {
        self.failure_rate.is_some() || self.slow_call_rate.is_some()
    }

    /// How long to stay open after `trips_in_a_row` trips (1 for the first).
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use std::time::Duration;
    /// use retry_runtime::BreakerConfig;
    ///
    /// let config = BreakerConfig::DEFAULT;
    /// assert_eq!(config.open_duration(2), Duration::from_secs(60));
    /// assert_eq!(config.open_duration(u32::MAX), config.max_open_for());
    /// ```
    pub fn open_duration(&self, trips_in_a_row: u32) -> Duration {
        let growth = self
            .open_for_factor
            .powi(i32::try_from(trips_in_a_row.saturating_sub(1)).unwrap_or(i32::MAX));
        scale_saturating(self.open_for, growth).min(self.max_open_for.max(self.open_for))
    }

    /// The value found by each check of [`BreakerConfigBuilder::build`], in order, on a config
    /// whose `min_calls` is resolved.
    const fn check(&self, index: usize) -> Option<BreakerConfigError> {
        match index {
            0 => match self.failure_rate {
                Some(rate) if !(rate > 0.0 && rate <= 1.0) => {
                    Some(BreakerConfigError::RateOutOfRange {
                        field: "failure_rate",
                        rate,
                    })
                }
                _ => None,
            },
            1 => match self.slow_call_rate {
                Some(rate) if !(rate > 0.0 && rate <= 1.0) => {
                    Some(BreakerConfigError::RateOutOfRange {
                        field: "slow_call_rate",
                        rate,
                    })
                }
                _ => None,
            },
            2 if self.slow_call_rate.is_some() && self.slow_call.is_none() => {
                Some(BreakerConfigError::SlowRateWithoutSlowCall)
            }
            3 if self.window == 0 || self.window > MAX_WINDOW => {
                Some(BreakerConfigError::OutOfRange {
                    field: "window",
                    value: self.window,
                    max: MAX_WINDOW,
                })
            }
            4 if self.min_calls == 0
                || (self.time_window.is_none() && self.min_calls > self.window) =>
            {
                Some(BreakerConfigError::MinCallsAboveWindow {
                    min_calls: self.min_calls,
                    window: self.window,
                })
            }
            5 if self.failure_threshold == 0 && !self.uses_window() => {
                Some(BreakerConfigError::NeverTrips)
            }
            6 if self.open_for.is_zero() => Some(BreakerConfigError::ZeroOpenFor),
            7 if self.half_open_timeout.is_zero() => Some(BreakerConfigError::ZeroHalfOpenTimeout),
            11 => match self.time_window {
                Some(window) if window.as_nanos() < MIN_TIME_WINDOW.as_nanos() => {
                    Some(BreakerConfigError::ZeroTimeWindow)
                }
                _ => None,
            },
            8 if !(self.open_for_factor >= 1.0 && self.open_for_factor <= f64::MAX) => {
                Some(BreakerConfigError::InvalidOpenForFactor {
                    factor: self.open_for_factor,
                })
            }
            9 if self.max_open_for.as_nanos() < self.open_for.as_nanos() => {
                Some(BreakerConfigError::MaxOpenForBelowOpenFor {
                    open_for: self.open_for,
                    max_open_for: self.max_open_for,
                })
            }
            10 if self.half_open_calls == 0 || self.half_open_calls > MAX_HALF_OPEN_CALLS => {
                Some(BreakerConfigError::OutOfRange {
                    field: "half_open_calls",
                    value: self.half_open_calls,
                    max: MAX_HALF_OPEN_CALLS,
                })
            }
            _ => None,
        }
    }

    /// How many checks [`check`](Self::check) numbers.
    const CHECKS: usize = 12;

    /// `min_calls` left at 0 follows `window`.
    const fn resolved(mut self) -> BreakerConfig {
        if self.min_calls == 0 {
            // A time window holds however many calls came; rates count from the tenth.
            self.min_calls = self.default_min_calls();
        }
        self
    }
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig::DEFAULT
    }
}

/// Builds a [`BreakerConfig`], checking every value.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use std::time::Duration;
/// use retry_runtime::BreakerConfig;
///
/// let error = BreakerConfig::builder().open_for(Duration::ZERO).build().unwrap_err();
/// assert_eq!(error.field(), "open_for");
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct BreakerConfigBuilder {
    config: BreakerConfig,
}

impl BreakerConfigBuilder {
    /// Consecutive failures that trip the breaker; 0 leaves tripping to the rates.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfig;
    ///
    /// let rates_only = BreakerConfig::builder().failure_threshold(0).failure_rate(0.5).build()?;
    /// assert_eq!(rates_only.failure_threshold(), 0);
    /// # Ok::<(), retry_runtime::BreakerConfigError>(())
    /// ```
    pub const fn failure_threshold(mut self, failures: u32) -> Self {
        self.config.failure_threshold = failures;
        self
    }

    /// Share of failed calls (in `(0, 1]`) in the window that trips the breaker.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfig;
    ///
    /// assert!(BreakerConfig::builder().failure_rate(1.5).build().is_err());
    /// ```
    pub const fn failure_rate(mut self, rate: f64) -> Self {
        self.config.failure_rate = Some(rate);
        self
    }

    /// How long a call may take before it counts as slow.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use std::time::Duration;
    /// use retry_runtime::BreakerConfig;
    ///
    /// let config = BreakerConfig::builder().slow_call(Duration::from_secs(2)).build()?;
    /// assert_eq!(config.slow_call(), Some(Duration::from_secs(2)));
    /// # Ok::<(), retry_runtime::BreakerConfigError>(())
    /// ```
    pub const fn slow_call(mut self, duration: Duration) -> Self {
        self.config.slow_call = Some(duration);
        if self.config.slow_call_rate.is_none() {
            self.config.slow_call_rate = Some(1.0);
        }
        self
    }

    /// Share of slow calls (in `(0, 1]`) in the window that trips the breaker (default 1 once
    /// `slow_call` is set).
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfig;
    ///
    /// let error = BreakerConfig::builder().slow_call_rate(0.5).build().unwrap_err();
    /// assert_eq!(error.fields(), ["slow_call_rate", "slow_call"]);
    /// ```
    pub const fn slow_call_rate(mut self, rate: f64) -> Self {
        self.config.slow_call_rate = Some(rate);
        self
    }

    /// Calls in the count-based window (1 to [`MAX_WINDOW`]); it replaces a
    /// [`time_window`](Self::time_window) set before.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfig;
    ///
    /// assert_eq!(BreakerConfig::builder().window(0).build().unwrap_err().field(), "window");
    /// ```
    pub const fn window(mut self, calls: u32) -> Self {
        self.config.window = calls;
        self.config.time_window = None;
        self
    }

    /// Calls recorded before rates are evaluated (1 to `window`; defaults to `window`).
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfig;
    ///
    /// let config = BreakerConfig::builder().failure_rate(0.5).window(20).min_calls(5).build()?;
    /// assert_eq!(config.min_calls(), 5);
    /// # Ok::<(), retry_runtime::BreakerConfigError>(())
    /// ```
    pub const fn min_calls(mut self, calls: u32) -> Self {
        self.config.min_calls = calls;
        self
    }

    /// How long the breaker stays open after its first trip (non-zero).
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use std::time::Duration;
    /// use retry_runtime::BreakerConfig;
    ///
    /// let config = BreakerConfig::builder().open_for(Duration::from_secs(5)).build()?;
    /// assert_eq!(config.open_duration(1), Duration::from_secs(5));
    /// # Ok::<(), retry_runtime::BreakerConfigError>(())
    /// ```
    pub const fn open_for(mut self, duration: Duration) -> Self {
        self.config.open_for = duration;
        self
    }

    /// Growth of `open_for` on each trip in a row (at least 1; 1 keeps it constant).
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfig;
    ///
    /// let constant = BreakerConfig::builder().open_for_factor(1.0).build()?;
    /// assert_eq!(constant.open_duration(5), constant.open_for());
    /// # Ok::<(), retry_runtime::BreakerConfigError>(())
    /// ```
    pub const fn open_for_factor(mut self, factor: f64) -> Self {
        self.config.open_for_factor = factor;
        self
    }

    /// The cap on the grown `open_for` (at least `open_for`).
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use std::time::Duration;
    /// use retry_runtime::BreakerConfig;
    ///
    /// let config = BreakerConfig::builder().max_open_for(Duration::from_secs(45)).build()?;
    /// assert_eq!(config.open_duration(3), Duration::from_secs(45));
    /// # Ok::<(), retry_runtime::BreakerConfigError>(())
    /// ```
    pub const fn max_open_for(mut self, duration: Duration) -> Self {
        self.config.max_open_for = duration;
        self
    }

    /// Probes admitted while half-open (1 to [`MAX_HALF_OPEN_CALLS`]).
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfig;
    ///
    /// assert_eq!(BreakerConfig::builder().half_open_calls(3).build()?.half_open_calls(), 3);
    /// # Ok::<(), retry_runtime::BreakerConfigError>(())
    /// ```
    pub const fn half_open_calls(mut self, calls: u32) -> Self {
        self.config.half_open_calls = calls;
        self
    }

    /// How long probes may all stay outstanding before they count as failed (non-zero).
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use std::time::Duration;
    /// use retry_runtime::BreakerConfig;
    ///
    /// let config = BreakerConfig::builder().half_open_timeout(Duration::from_secs(5)).build()?;
    /// assert_eq!(config.half_open_timeout(), Duration::from_secs(5));
    /// # Ok::<(), retry_runtime::BreakerConfigError>(())
    /// ```
    pub const fn half_open_timeout(mut self, duration: Duration) -> Self {
        self.config.half_open_timeout = duration;
        self
    }

    /// Takes the rates over the calls of the last `duration` (`window = "10s"` in the
    /// attribute; at least 10 ns), in ten buckets of a tenth of it, instead of over the last
    /// `window` calls. `min_calls` then defaults to 10.
    pub const fn time_window(mut self, duration: Duration) -> Self {
        self.config.time_window = Some(duration);
        self
    }

    /// The config, or the first invalid value found.
    ///
    /// # Errors
    /// A [`BreakerConfigError`] naming the field when a value is out of range or the settings
    /// contradict each other (`min_calls` above `window`, no way to trip at all, ...).
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfig;
    ///
    /// let error = BreakerConfig::builder().failure_threshold(0).build().unwrap_err();
    /// assert_eq!(error.field(), "failure_threshold");
    /// ```
    pub const fn build(self) -> Result<BreakerConfig, BreakerConfigError> {
        let config = self.config.resolved();
        let mut index = 0;
        while index < BreakerConfig::CHECKS {
            if let Some(error) = config.check(index) {
                return Err(error);
            }
            index += 1;
        }
        Ok(config)
    }

    /// Every invalid value, not only the first that [`build`](Self::build) reports, in the
    /// order `build` checks them: what the attribute shows all at once. Empty when `build`
    /// succeeds. A value that is wrong on its own can also make a check about two keys fail
    /// (`window = 0` leaves `min_calls` no valid value); [`BreakerConfigError::fields`] says
    /// which keys each error is about.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfig;
    ///
    /// let builder = BreakerConfig::builder().failure_rate(2.0).half_open_calls(0);
    /// let fields: Vec<&str> = builder.errors().iter().map(|error| error.field()).collect();
    /// assert_eq!(fields, ["failure_rate", "half_open_calls"]);
    /// ```
    pub fn errors(&self) -> Vec<BreakerConfigError> {
        let config = self.config.resolved();
        (0..BreakerConfig::CHECKS)
            .filter_map(|index| config.check(index))
            .collect()
    }

    /// For `const` items: an invalid value fails const evaluation with the reason.
    ///
    /// # Panics
    /// On an invalid value: a compile error in const evaluation, a panic at run time.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfig;
    ///
    /// const DB: BreakerConfig = BreakerConfig::builder().failure_threshold(10).build_const();
    /// assert_eq!(DB.failure_threshold(), 10);
    /// ```
    pub const fn build_const(self) -> BreakerConfig {
        match self.build() {
            Ok(config) => config,
            Err(error) => panic!("{}", error.const_message()),
        }
    }
}

/// An invalid breaker setting, naming the field.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use retry_runtime::{BreakerConfig, BreakerConfigError};
///
/// let error = BreakerConfig::builder().failure_rate(1.5).build().unwrap_err();
/// assert_eq!(error, BreakerConfigError::RateOutOfRange { field: "failure_rate", rate: 1.5 });
/// assert!(error.to_string().starts_with("invalid breaker config: `failure_rate = 1.5` is out of range"));
/// ```
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
    /// A time-based `window` too short to split into its ten buckets.
    ZeroTimeWindow,
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
    /// The offending field: the key to change.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfigError;
    ///
    /// assert_eq!(BreakerConfigError::NeverTrips.field(), "failure_threshold");
    /// ```
    pub const fn field(&self) -> &'static str {
        match self {
            BreakerConfigError::RateOutOfRange { field, .. }
            | BreakerConfigError::OutOfRange { field, .. } => field,
            BreakerConfigError::SlowRateWithoutSlowCall => "slow_call_rate",
            BreakerConfigError::MinCallsAboveWindow { .. } => "min_calls",
            BreakerConfigError::NeverTrips => "failure_threshold",
            BreakerConfigError::ZeroOpenFor => "open_for",
            BreakerConfigError::ZeroHalfOpenTimeout => "half_open_timeout",
            BreakerConfigError::ZeroTimeWindow => "window",
            BreakerConfigError::InvalidOpenForFactor { .. } => "open_for_factor",
            BreakerConfigError::MaxOpenForBelowOpenFor { .. } => "max_open_for",
        }
    }

    /// Every key the error is about, [`field`](Self::field) first: `min_calls` above `window`
    /// is about both, and so is a breaker that can never trip about its threshold and its rates.
    /// The attribute puts the error on the first of them that was written, and leaves it out
    /// when one of them already has an error of its own.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfigError;
    ///
    /// let error = BreakerConfigError::MinCallsAboveWindow { min_calls: 20, window: 10 };
    /// assert_eq!(error.fields(), ["min_calls", "window"]);
    /// ```
    pub fn fields(&self) -> &[&'static str] {
        match self {
            BreakerConfigError::RateOutOfRange { field, .. }
            | BreakerConfigError::OutOfRange { field, .. } => std::slice::from_ref(field),
            BreakerConfigError::SlowRateWithoutSlowCall => &["slow_call_rate", "slow_call"],
            BreakerConfigError::MinCallsAboveWindow { .. } => &["min_calls", "window"],
            BreakerConfigError::NeverTrips => &[
                "failure_threshold",
                "failure_rate",
                "slow_call",
                "slow_call_rate",
            ],
            BreakerConfigError::ZeroOpenFor => &["open_for"],
            BreakerConfigError::ZeroHalfOpenTimeout => &["half_open_timeout"],
            BreakerConfigError::ZeroTimeWindow => &["window"],
            BreakerConfigError::InvalidOpenForFactor { .. } => &["open_for_factor"],
            BreakerConfigError::MaxOpenForBelowOpenFor { .. } => &["max_open_for", "open_for"],
        }
    }

    /// What is wrong and how to fix it, naming the key and the value, without the `invalid
    /// breaker config: ` of [`Display`](fmt::Display): for a caller that shows the key's place
    /// itself, as the attribute does by pointing at it.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BreakerConfigError;
    ///
    /// let error = BreakerConfigError::OutOfRange { field: "half_open_calls", value: 0, max: 65535 };
    /// assert_eq!(error.reason(), "`half_open_calls = 0` is out of range: a whole number from 1 to 65535");
    /// ```
    pub fn reason(&self) -> String {
        let example = |field: &str| find(BREAKER_KEYS, field).map_or("", |key| key.example);
        match self {
            BreakerConfigError::RateOutOfRange { field, rate } => {
                let what = if *field == "slow_call_rate" {
                    "are slow"
                } else {
                    "fail"
                };
                format!(
                    "`{field} = {rate}` is out of range: a rate is a share of calls, above 0 and at most 1 (`{field} = 0.5` trips when half the calls {what})"
                )
            }
            BreakerConfigError::SlowRateWithoutSlowCall => format!(
                "`slow_call_rate` needs `slow_call`, the duration after which a call counts as slow: add `{}`",
                example("slow_call")
            ),
            BreakerConfigError::OutOfRange { field, value, max } => {
                format!("`{field} = {value}` is out of range: a whole number from 1 to {max}")
            }
            BreakerConfigError::MinCallsAboveWindow { min_calls, window } if *min_calls == 0 => {
                format!(
                    "`min_calls = 0` is out of range: a whole number from 1 to `window` ({window})"
                )
            }
            BreakerConfigError::MinCallsAboveWindow { min_calls, window } => format!(
                "`min_calls = {min_calls}` is above `window = {window}`, so rates would never be evaluated; lower `min_calls`"
            ),
            BreakerConfigError::NeverTrips => "`failure_threshold = 0` with no `failure_rate` or `slow_call` means the breaker can never trip; give a threshold or a rate".to_owned(),
            BreakerConfigError::ZeroOpenFor => format!(
                "`open_for` is zero, so an open breaker would never reject anything; give a positive duration such as `{}`",
                example("open_for")
            ),
            BreakerConfigError::ZeroHalfOpenTimeout => format!(
                "`half_open_timeout` is zero, so every probe would time out at once; give a positive duration such as `{}`",
                example("half_open_timeout")
            ),
            BreakerConfigError::ZeroTimeWindow => "a time-based `window` is too short to split into its ten buckets; give a duration such as `window = \"10s\"`".to_owned(),
            BreakerConfigError::InvalidOpenForFactor { factor } => {
                let problem = if factor.is_nan() || factor.is_infinite() {
                    "is not a finite number"
                } else {
                    "is below 1"
                };
                format!(
                    "`open_for_factor = {factor}` {problem}; use a factor of at least 1 (1 keeps `open_for` constant, 2 doubles it on each trip in a row)"
                )
            }
            BreakerConfigError::MaxOpenForBelowOpenFor {
                open_for,
                max_open_for,
            } => format!(
                "`max_open_for` ({}) is below `open_for` ({}); raise `max_open_for` or lower `open_for`",
                describe(*max_open_for),
                describe(*open_for)
            ),
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
            BreakerConfigError::ZeroTimeWindow => {
                "invalid breaker config: a time-based `window` must be at least 10 ns"
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
        write!(f, "invalid breaker config: {}", self.reason())
    }
}

impl Error for BreakerConfigError {}

const BREAKER: BreakerConfig = BreakerConfig::DEFAULT;

/// The keys of a circuit breaker, in the order documentation and messages list them.
///
/// ```
/// use retry_settings::{BREAKER_KEYS, MAX_HALF_OPEN_CALLS, Kind, find};
///
/// let probes = find(BREAKER_KEYS, "half_open_calls").unwrap();
/// assert!(matches!(probes.kind, Kind::Count { min: 1, max: MAX_HALF_OPEN_CALLS, .. }));
/// assert_eq!(BREAKER_KEYS.len(), 11);
/// ```
pub const BREAKER_KEYS: &[Key<BreakerConfigBuilder>] = &[
    Key {
        name: "failure_threshold",
        kind: Kind::Count {
            min: 0,
            max: u32::MAX,
            set: BreakerConfigBuilder::failure_threshold,
        },
        default: Some(Value::Count(BREAKER.failure_threshold())),
        doc: "consecutive failures that trip the breaker (0: only rates trip it)",
        example: "failure_threshold = 5",
    },
    Key {
        name: "failure_rate",
        kind: Kind::Number {
            min: 0.0,
            min_excluded: true,
            max: 1.0,
            set: BreakerConfigBuilder::failure_rate,
        },
        default: None,
        doc: "share of failed calls in the window that trips the breaker",
        example: "failure_rate = 0.5",
    },
    Key {
        name: "window",
        kind: Kind::CountOrDuration {
            min: 1,
            max: MAX_WINDOW,
            set: BreakerConfigBuilder::window,
            min_duration: MIN_TIME_WINDOW,
            set_duration: BreakerConfigBuilder::time_window,
        },
        default: Some(Value::Count(BREAKER.window())),
        doc: "what the rates are taken over: the last calls (a count), or the calls of the last stretch of time (a duration, in ten buckets)",
        example: "window = 20",
    },
    Key {
        name: "min_calls",
        kind: Kind::Count {
            min: 1,
            max: MAX_WINDOW,
            set: BreakerConfigBuilder::min_calls,
        },
        default: None,
        doc: "calls recorded before rates are evaluated; at most `window`, and `window` unless set",
        example: "min_calls = 10",
    },
    Key {
        name: "slow_call",
        kind: Kind::Duration {
            zero: false,
            set: BreakerConfigBuilder::slow_call,
        },
        default: None,
        doc: "a call that runs longer than this is slow",
        example: "slow_call = \"2s\"",
    },
    Key {
        name: "slow_call_rate",
        kind: Kind::Number {
            min: 0.0,
            min_excluded: true,
            max: 1.0,
            set: BreakerConfigBuilder::slow_call_rate,
        },
        default: None,
        doc: "share of slow calls in the window that trips the breaker; 1 once `slow_call` is set",
        example: "slow_call_rate = 0.8",
    },
    Key {
        name: "open_for",
        kind: Kind::Duration {
            zero: false,
            set: BreakerConfigBuilder::open_for,
        },
        default: Some(Value::Duration(BREAKER.open_for())),
        doc: "how long the breaker stays open after a trip",
        example: "open_for = \"30s\"",
    },
    Key {
        name: "open_for_factor",
        kind: Kind::Number {
            min: 1.0,
            min_excluded: false,
            max: f64::MAX,
            set: BreakerConfigBuilder::open_for_factor,
        },
        default: Some(Value::Number(BREAKER.open_for_factor())),
        doc: "growth of `open_for` on each trip in a row (1 keeps it constant)",
        example: "open_for_factor = 2",
    },
    Key {
        name: "max_open_for",
        kind: Kind::Duration {
            zero: false,
            set: BreakerConfigBuilder::max_open_for,
        },
        default: Some(Value::Duration(BREAKER.max_open_for())),
        doc: "the cap on the grown `open_for`; at least `open_for`",
        example: "max_open_for = \"5m\"",
    },
    Key {
        name: "half_open_calls",
        kind: Kind::Count {
            min: 1,
            max: MAX_HALF_OPEN_CALLS,
            set: BreakerConfigBuilder::half_open_calls,
        },
        default: Some(Value::Count(BREAKER.half_open_calls())),
        doc: "probes admitted while half-open; all must succeed to close",
        example: "half_open_calls = 1",
    },
    Key {
        name: "half_open_timeout",
        kind: Kind::Duration {
            zero: false,
            set: BreakerConfigBuilder::half_open_timeout,
        },
        default: Some(Value::Duration(BREAKER.half_open_timeout())),
        doc: "how long probes may stay outstanding before they count as failed",
        example: "half_open_timeout = \"60s\"",
    },
];

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
    fn invalid_values_name_their_field_value_and_fix() {
        let cases = [
            (
                BreakerConfig::builder().failure_rate(1.5),
                "failure_rate",
                "`failure_rate = 1.5` is out of range: a rate is a share of calls, above 0 and at most 1 (`failure_rate = 0.5` trips when half the calls fail)",
            ),
            (
                BreakerConfig::builder().failure_rate(0.0),
                "failure_rate",
                "`failure_rate = 0` is out of range",
            ),
            (
                BreakerConfig::builder()
                    .slow_call(Duration::from_secs(1))
                    .slow_call_rate(f64::NAN),
                "slow_call_rate",
                "`slow_call_rate = NaN` is out of range: a rate is a share of calls, above 0 and at most 1 (`slow_call_rate = 0.5` trips when half the calls are slow)",
            ),
            (
                BreakerConfig::builder().slow_call_rate(0.5),
                "slow_call_rate",
                "`slow_call_rate` needs `slow_call`, the duration after which a call counts as slow: add `slow_call = \"2s\"`",
            ),
            (
                BreakerConfig::builder().failure_rate(0.5).window(0),
                "window",
                "`window = 0` is out of range: a whole number from 1 to 1048576",
            ),
            (
                BreakerConfig::builder()
                    .failure_rate(0.5)
                    .window(10)
                    .min_calls(11),
                "min_calls",
                "`min_calls = 11` is above `window = 10`, so rates would never be evaluated; lower `min_calls`",
            ),
            (
                BreakerConfig::builder().failure_threshold(0),
                "failure_threshold",
                "`failure_threshold = 0` with no `failure_rate` or `slow_call` means the breaker can never trip",
            ),
            (
                BreakerConfig::builder().open_for(Duration::ZERO),
                "open_for",
                "`open_for` is zero, so an open breaker would never reject anything; give a positive duration such as `open_for = \"30s\"`",
            ),
            (
                BreakerConfig::builder().half_open_timeout(Duration::ZERO),
                "half_open_timeout",
                "`half_open_timeout` is zero, so every probe would time out at once; give a positive duration such as `half_open_timeout = \"60s\"`",
            ),
            (
                BreakerConfig::builder().open_for_factor(0.9),
                "open_for_factor",
                "`open_for_factor = 0.9` is below 1; use a factor of at least 1",
            ),
            (
                BreakerConfig::builder().open_for_factor(f64::INFINITY),
                "open_for_factor",
                "`open_for_factor = inf` is not a finite number",
            ),
            (
                BreakerConfig::builder().max_open_for(Duration::from_secs(1)),
                "max_open_for",
                "`max_open_for` (1s) is below `open_for` (30s); raise `max_open_for` or lower `open_for`",
            ),
            (
                BreakerConfig::builder().half_open_calls(0),
                "half_open_calls",
                "`half_open_calls = 0` is out of range: a whole number from 1 to 65535",
            ),
            (
                BreakerConfig::builder().half_open_calls(70_000),
                "half_open_calls",
                "`half_open_calls = 70000` is out of range",
            ),
        ];
        for (builder, field, text) in cases {
            let error = builder.build().unwrap_err();
            assert_eq!(error.field(), field, "{error}");
            assert_eq!(error.fields()[0], field, "{error}");
            let message = error.to_string();
            assert!(
                message.starts_with("invalid breaker config: "),
                "{message:?}"
            );
            assert!(message.contains(text), "{message:?} lacks {text:?}");
            // Compared by message: a NaN rate is not equal to itself.
            assert_eq!(builder.errors()[0].to_string(), message);
        }
    }

    #[test]
    fn a_zero_window_leaves_min_calls_no_valid_value() {
        let errors = BreakerConfig::builder()
            .failure_rate(0.5)
            .window(0)
            .errors();
        let fields: Vec<&[&str]> = errors.iter().map(BreakerConfigError::fields).collect();
        assert_eq!(fields, [&["window"][..], &["min_calls", "window"][..]]);
        assert!(
            errors[1]
                .reason()
                .starts_with("`min_calls = 0` is out of range")
        );
    }

    #[test]
    fn min_calls_follows_a_smaller_window_when_left_at_default() {
        let config = BreakerConfig::builder().window(20).build().unwrap();
        assert_eq!(config.min_calls(), 20);
    }
}
