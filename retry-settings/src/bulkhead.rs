//! Bulkhead settings: how many calls run at once. How long a call may wait for a slot belongs
//! to each site ([`max_wait`](crate::max_wait)).

use std::error::Error;
use std::fmt;

use crate::keys::{Key, Kind, Value, find};

/// The largest `max_concurrent` a bulkhead accepts.
pub const MAX_CONCURRENT: u32 = 1_000_000;

/// The settings every site naming a bulkhead shares. How long a call may wait for a slot
/// (`max_wait`) belongs to each site.
///
/// ```
/// # use retry_settings as retry_runtime;
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
        BulkheadConfig::builder()
            .max_concurrent(max_concurrent)
            .build()
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

    /// A builder starting from [`BulkheadConfig::DEFAULT`], to set the keys of
    /// [`BULKHEAD_KEYS`] one by one.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::BulkheadConfig;
    ///
    /// assert_eq!(BulkheadConfig::builder().build()?, BulkheadConfig::DEFAULT);
    /// # Ok::<(), retry_runtime::BulkheadConfigError>(())
    /// ```
    pub const fn builder() -> BulkheadConfigBuilder {
        BulkheadConfigBuilder {
            config: BulkheadConfig::DEFAULT,
        }
    }

    /// A builder starting from these settings, to derive a variant.
    pub const fn to_builder(self) -> BulkheadConfigBuilder {
        BulkheadConfigBuilder { config: self }
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

/// Builds a [`BulkheadConfig`], checking every value.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use retry_runtime::BulkheadConfig;
///
/// let error = BulkheadConfig::builder().max_concurrent(0).build().unwrap_err();
/// assert_eq!(error.field(), "max_concurrent");
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct BulkheadConfigBuilder {
    config: BulkheadConfig,
}

impl BulkheadConfigBuilder {
    /// The most calls that run at once (1 to [`MAX_CONCURRENT`]).
    pub const fn max_concurrent(mut self, calls: u32) -> Self {
        self.config.max_concurrent = calls;
        self
    }

    /// The config, or the invalid value.
    ///
    /// # Errors
    /// [`BulkheadConfigError`] when `max_concurrent` is out of range.
    pub const fn build(self) -> Result<BulkheadConfig, BulkheadConfigError> {
        let max_concurrent = self.config.max_concurrent;
        if max_concurrent == 0 || max_concurrent > MAX_CONCURRENT {
            return Err(BulkheadConfigError { max_concurrent });
        }
        Ok(self.config)
    }
}

/// A bulkhead setting out of range.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use retry_runtime::BulkheadConfig;
///
/// let error = BulkheadConfig::new(0).unwrap_err();
/// assert_eq!(
///     error.reason(),
///     "`max_concurrent = 0` is out of range: a whole number from 1 to 1000000 (the calls that run at once, such as `max_concurrent = 10`)",
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BulkheadConfigError {
    /// The value given.
    pub max_concurrent: u32,
}

impl BulkheadConfigError {
    /// The offending key: always `max_concurrent`, the bulkhead's one setting.
    pub const fn field(&self) -> &'static str {
        "max_concurrent"
    }

    /// What is wrong and how to fix it, naming the key and the value, without the `invalid
    /// bulkhead: ` of [`Display`](fmt::Display): for a caller that shows the key's place itself.
    pub fn reason(&self) -> String {
        let written = self.max_concurrent.to_string();
        find(BULKHEAD_KEYS, self.field()).map_or(written.clone(), |key| key.out_of_range(&written))
    }
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

const BULKHEAD: BulkheadConfig = BulkheadConfig::DEFAULT;

/// The keys of a bulkhead, in the order documentation and messages list them.
///
/// ```
/// use retry_settings::{BULKHEAD_KEYS, BulkheadConfig, Value};
///
/// let max_concurrent = &BULKHEAD_KEYS[0];
/// let builder = max_concurrent.apply(BulkheadConfig::builder(), Value::Count(10)).unwrap();
/// assert_eq!(builder.build()?.max_concurrent(), 10);
/// # Ok::<(), retry_settings::BulkheadConfigError>(())
/// ```
pub const BULKHEAD_KEYS: &[Key<BulkheadConfigBuilder>] = &[Key {
    name: "max_concurrent",
    kind: Kind::Count {
        min: 1,
        max: MAX_CONCURRENT,
        set: BulkheadConfigBuilder::max_concurrent,
    },
    default: Some(Value::Count(BULKHEAD.max_concurrent())),
    doc: "the calls that run at once",
    example: "max_concurrent = 10",
}];
