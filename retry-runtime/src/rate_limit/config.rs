//! A rate limiter's settings, checked the same way at compile time (`#[rate_limit]` validates
//! its literals, and the expansion builds the config in a `const`) and at run time.

use std::error::Error;
use std::fmt;
use std::time::Duration;

/// The largest `per_second` a rate limiter accepts.
pub const MAX_PER_SECOND: u32 = 1_000_000_000;
/// The largest `burst` a rate limiter accepts.
pub const MAX_BURST: u32 = 1_000_000_000;

/// The settings every site naming a rate limiter shares: `per_second` permits a second, up to
/// `burst` of them at once. How long a call may wait for a permit (`max_wait`) belongs to each
/// site.
///
/// ```
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
        if per_second == 0 || per_second > MAX_PER_SECOND {
            return Err(RateLimitConfigError {
                field: "per_second",
                value: per_second,
            });
        }
        if burst == 0 || burst > MAX_BURST {
            return Err(RateLimitConfigError {
                field: "burst",
                value: burst,
            });
        }
        Ok(RateLimitConfig { per_second, burst })
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
        Duration::from_nanos(self.interval_nanos())
    }

    pub(crate) const fn interval_nanos(self) -> u64 {
        1_000_000_000_u64.div_ceil(self.per_second as u64)
    }
}

/// A rate limit setting out of range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitConfigError {
    /// `per_second` or `burst`.
    pub field: &'static str,
    /// The value given.
    pub value: u32,
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
