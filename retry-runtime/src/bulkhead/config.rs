//! A bulkhead's settings, checked the same way at compile time (`#[bulkhead]` validates its
//! literals, and the expansion builds the config in a `const`) and at run time.

use std::error::Error;
use std::fmt;

/// The largest `max_concurrent` a bulkhead accepts.
pub const MAX_CONCURRENT: u32 = 1_000_000;

/// The settings every site naming a bulkhead shares. How long a call may wait for a slot
/// (`max_wait`) belongs to each site.
///
/// ```
/// use retry_runtime::BulkheadConfig;
///
/// let config = BulkheadConfig::new(10)?;
/// assert_eq!(config.max_concurrent(), 10);
/// assert!(BulkheadConfig::new(0).is_err());
/// # Ok::<(), retry_runtime::BulkheadConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BulkheadConfig {
    max_concurrent: u32,
}

impl BulkheadConfig {
    /// 25 calls at once, resilience4j's default.
    pub const DEFAULT: BulkheadConfig = BulkheadConfig { max_concurrent: 25 };

    /// At most `max_concurrent` calls at once.
    ///
    /// # Errors
    /// [`BulkheadConfigError`] unless `max_concurrent` is from 1 to [`MAX_CONCURRENT`].
    pub const fn new(max_concurrent: u32) -> Result<BulkheadConfig, BulkheadConfigError> {
        if max_concurrent == 0 || max_concurrent > MAX_CONCURRENT {
            return Err(BulkheadConfigError { max_concurrent });
        }
        Ok(BulkheadConfig { max_concurrent })
    }

    /// [`new`](Self::new) for constants: an invalid value fails the build.
    ///
    /// # Panics
    /// When `max_concurrent` is out of range (at compile time, in a `const`).
    pub const fn new_const(max_concurrent: u32) -> BulkheadConfig {
        match Self::new(max_concurrent) {
            Ok(config) => config,
            Err(_) => panic!("invalid bulkhead: `max_concurrent` must be from 1 to 1000000"),
        }
    }

    /// The most calls that run at once.
    pub const fn max_concurrent(&self) -> u32 {
        self.max_concurrent
    }
}

impl Default for BulkheadConfig {
    fn default() -> Self {
        BulkheadConfig::DEFAULT
    }
}

/// A bulkhead setting out of range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BulkheadConfigError {
    /// The value given.
    pub max_concurrent: u32,
}

impl fmt::Display for BulkheadConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid bulkhead: `max_concurrent` is {}; it must be from 1 to {MAX_CONCURRENT}",
            self.max_concurrent
        )
    }
}

impl Error for BulkheadConfigError {}
