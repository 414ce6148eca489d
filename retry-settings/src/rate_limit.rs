//! Rate limiter settings: permits a second, and how many at once. How long a call may wait for
//! a permit belongs to each site ([`max_wait`](crate::max_wait)).

use std::error::Error;
use std::fmt;
use std::time::Duration;

use crate::keys::{Key, Kind, find};

/// The largest `per_second` a rate limiter accepts.
pub const MAX_PER_SECOND: u32 = 1_000_000_000;
/// The largest `burst` a rate limiter accepts.
pub const MAX_BURST: u32 = 1_000_000_000;

/// The settings every site naming a rate limiter shares: `per_second` permits a second, up to
/// `burst` of them at once. How long a call may wait for a permit (`max_wait`) belongs to each
/// site.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use std::time::Duration;
/// use retry_runtime::RateLimitConfig;
///
/// let config = RateLimitConfig::new(100, 20)?;
/// assert_eq!((config.per_second(), config.burst()), (100, 20));
/// assert_eq!(config.interval(), Duration::from_millis(10));
/// assert!(RateLimitConfig::new(0, 1).is_err());
/// # Ok::<(), retry_runtime::RateLimitConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RateLimitConfig {
    per_second: u32,
    burst: u32,
}

impl RateLimitConfig {
    /// `per_second` permits a second, `burst` at most at once.
    ///
    /// # Errors
    /// [`RateLimitConfigError`] unless `per_second` is from 1 to [`MAX_PER_SECOND`] and `burst`
    /// from 1 to [`MAX_BURST`].
    pub const fn new(per_second: u32, burst: u32) -> Result<RateLimitConfig, RateLimitConfigError> {
        RateLimitConfig::builder()
            .per_second(per_second)
            .burst(burst)
            .build()
    }

    /// [`new`](Self::new) for constants: an invalid value fails the build.
    ///
    /// # Panics
    /// When a value is out of range (at compile time, in a `const`).
    pub const fn new_const(per_second: u32, burst: u32) -> RateLimitConfig {
        match Self::new(per_second, burst) {
            Ok(config) => config,
            Err(_) => {
                panic!("invalid rate limit: `per_second` and `burst` must be from 1 to 1000000000")
            }
        }
    }

    /// A builder with nothing set, to set the keys of [`RATE_LIMIT_KEYS`] one by one:
    /// `per_second` has no default, and `burst` unless set is `per_second` (a second's worth,
    /// as `governor`'s `Quota::per_second`).
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::RateLimitConfig;
    ///
    /// let config = RateLimitConfig::builder().per_second(50).build()?;
    /// assert_eq!(config.burst(), 50);
    /// assert_eq!(RateLimitConfig::builder().build().unwrap_err().field, "per_second");
    /// # Ok::<(), retry_runtime::RateLimitConfigError>(())
    /// ```
    pub const fn builder() -> RateLimitConfigBuilder {
        RateLimitConfigBuilder {
            per_second: 0,
            burst: None,
        }
    }

    /// A builder starting from these settings, to derive a variant.
    pub const fn to_builder(self) -> RateLimitConfigBuilder {
        RateLimitConfigBuilder {
            per_second: self.per_second,
            burst: Some(self.burst),
        }
    }

    /// Permits a second.
    pub const fn per_second(&self) -> u32 {
        self.per_second
    }

    /// The most permits available at once.
    pub const fn burst(&self) -> u32 {
        self.burst
    }

    /// The time between two permits: a second divided by `per_second`, rounded up to the
    /// nanosecond, so the rate is never exceeded (it is exact for rates that divide a second).
    pub const fn interval(&self) -> Duration {
        Duration::from_nanos(1_000_000_000_u64.div_ceil(self.per_second as u64))
    }
}

/// Builds a [`RateLimitConfig`], checking every value.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use retry_runtime::RateLimitConfig;
///
/// let error = RateLimitConfig::builder().per_second(10).burst(0).build().unwrap_err();
/// assert_eq!((error.field, error.value), ("burst", 0));
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct RateLimitConfigBuilder {
    per_second: u32,
    /// `None`: as `per_second`.
    burst: Option<u32>,
}

impl RateLimitConfigBuilder {
    /// Permits a second (1 to [`MAX_PER_SECOND`]).
    pub const fn per_second(mut self, permits: u32) -> Self {
        self.per_second = permits;
        self
    }

    /// The most permits available at once (1 to [`MAX_BURST`]; `per_second` unless set).
    pub const fn burst(mut self, permits: u32) -> Self {
        self.burst = Some(permits);
        self
    }

    /// The config, or the first invalid value.
    ///
    /// # Errors
    /// [`RateLimitConfigError`] naming `per_second` or `burst` when it is out of range.
    pub const fn build(self) -> Result<RateLimitConfig, RateLimitConfigError> {
        let mut index = 0;
        while index < 2 {
            if let Some(error) = self.check(index) {
                return Err(error);
            }
            index += 1;
        }
        Ok(self.resolved())
    }

    /// Every invalid value, not only the first that [`build`](Self::build) reports: what the
    /// attribute shows all at once. Empty when `build` succeeds.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::RateLimitConfig;
    ///
    /// let builder = RateLimitConfig::builder().per_second(0).burst(0);
    /// let fields: Vec<&str> = builder.errors().iter().map(|error| error.field).collect();
    /// assert_eq!(fields, ["per_second", "burst"]);
    /// ```
    pub fn errors(&self) -> Vec<RateLimitConfigError> {
        (0..2).filter_map(|index| self.check(index)).collect()
    }

    const fn resolved(self) -> RateLimitConfig {
        RateLimitConfig {
            per_second: self.per_second,
            burst: match self.burst {
                Some(burst) => burst,
                None => self.per_second,
            },
        }
    }

    /// The error found by check `index` of [`build`](Self::build): `per_second`, then `burst`.
    /// A `burst` left to follow an invalid `per_second` is not reported again.
    const fn check(&self, index: usize) -> Option<RateLimitConfigError> {
        let (field, value, max) = match (index, self.burst) {
            (0, _) => ("per_second", self.per_second, MAX_PER_SECOND),
            (1, Some(burst)) => ("burst", burst, MAX_BURST),
            _ => return None,
        };
        if value == 0 || value > max {
            Some(RateLimitConfigError { field, value })
        } else {
            None
        }
    }
}

/// A rate limit setting out of range.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use retry_runtime::RateLimitConfig;
///
/// let error = RateLimitConfig::new(100, 0).unwrap_err();
/// assert_eq!(
///     error.reason(),
///     "`burst = 0` is out of range: a whole number from 1 to 1000000000 (the most permits taken at once, such as `burst = 20`)",
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitConfigError {
    /// `per_second` or `burst`.
    pub field: &'static str,
    /// The value given.
    pub value: u32,
}

impl RateLimitConfigError {
    /// What is wrong and how to fix it, naming the key and the value, without the `invalid rate
    /// limit: ` of [`Display`](fmt::Display): for a caller that shows the key's place itself.
    pub fn reason(&self) -> String {
        let written = self.value.to_string();
        find(RATE_LIMIT_KEYS, self.field).map_or(written.clone(), |key| key.out_of_range(&written))
    }
}

impl fmt::Display for RateLimitConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let max = if self.field == "burst" {
            MAX_BURST
        } else {
            MAX_PER_SECOND
        };
        write!(
            f,
            "invalid rate limit: `{}` is {}; it must be from 1 to {max}",
            self.field, self.value
        )
    }
}

impl Error for RateLimitConfigError {}

/// The keys of a rate limiter, in the order documentation and messages list them.
///
/// ```
/// use retry_settings::{RATE_LIMIT_KEYS, RateLimitConfig, Value, find};
///
/// let per_second = find(RATE_LIMIT_KEYS, "per_second").unwrap();
/// let builder = per_second.apply(RateLimitConfig::builder(), Value::Count(100)).unwrap();
/// assert_eq!(builder.build()?.burst(), 100);
/// # Ok::<(), retry_settings::RateLimitConfigError>(())
/// ```
pub const RATE_LIMIT_KEYS: &[Key<RateLimitConfigBuilder>] = &[
    Key {
        name: "per_second",
        kind: Kind::Count {
            min: 1,
            max: MAX_PER_SECOND,
            set: RateLimitConfigBuilder::per_second,
        },
        default: None,
        doc: "the permits a second",
        example: "per_second = 100",
    },
    Key {
        name: "burst",
        kind: Kind::Count {
            min: 1,
            max: MAX_BURST,
            set: RateLimitConfigBuilder::burst,
        },
        default: None,
        doc: "the most permits taken at once",
        example: "burst = 20",
    },
];
