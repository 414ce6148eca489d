//! Adaptive limit settings: which algorithm finds the concurrency limit, where it starts, and
//! the bounds it stays within. How long a call may wait for a slot belongs to each site
//! ([`max_wait`](crate::max_wait)).

use std::error::Error;
use std::fmt;

use crate::keys::{Key, Kind, Value, find};

/// The largest limit an adaptive limiter accepts (as a bulkhead's `max_concurrent`).
pub const MAX_LIMIT: u32 = 1_000_000;

/// How an adaptive limiter finds its limit from the latencies its calls see.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use retry_runtime::LimitAlgorithm;
///
/// assert_eq!(LimitAlgorithm::named("gradient2"), Some(LimitAlgorithm::Gradient2));
/// assert_eq!(LimitAlgorithm::Vegas.name(), "vegas");
/// assert_eq!(LimitAlgorithm::named("bbr"), None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LimitAlgorithm {
    /// TCP Vegas's queue estimate (Netflix `VegasLimit`, failsafe-go's adaptive limiter): the
    /// limit times how much longer calls take than without load is the queue; grow while it is
    /// short, shrink while it is long.
    #[default]
    Vegas,
    /// Netflix `Gradient2Limit`: the ratio of a long-term to the recent latency scales the
    /// limit, plus a little headroom.
    Gradient2,
    /// Additive increase, multiplicative decrease (TCP Reno, Netflix `AIMDLimit`): one more slot
    /// a window while latency stays near its baseline, 10% fewer when it does not.
    Aimd,
}

/// Every algorithm, by the name the attribute and configuration files give it.
///
/// ```
/// use retry_settings::ALGORITHM_NAMES;
///
/// let names: Vec<&str> = ALGORITHM_NAMES.iter().map(|(name, _)| *name).collect();
/// assert_eq!(names, ["vegas", "gradient2", "aimd"]);
/// ```
pub const ALGORITHM_NAMES: &[(&str, LimitAlgorithm)] = &[
    ("vegas", LimitAlgorithm::Vegas),
    ("gradient2", LimitAlgorithm::Gradient2),
    ("aimd", LimitAlgorithm::Aimd),
];

impl LimitAlgorithm {
    /// The algorithm called `name` in [`ALGORITHM_NAMES`].
    pub fn named(name: &str) -> Option<LimitAlgorithm> {
        ALGORITHM_NAMES
            .iter()
            .find(|(candidate, _)| *candidate == name)
            .map(|(_, algorithm)| *algorithm)
    }

    /// Its name in the attribute and in configuration files.
    pub const fn name(self) -> &'static str {
        match self {
            LimitAlgorithm::Vegas => "vegas",
            LimitAlgorithm::Gradient2 => "gradient2",
            LimitAlgorithm::Aimd => "aimd",
        }
    }
}

/// The settings every site naming an adaptive limiter shares: the algorithm, the limit it
/// starts at, and the bounds it moves within. How long a call may wait for a slot (`max_wait`)
/// belongs to each site.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use retry_runtime::{AdaptiveLimitConfig, LimitAlgorithm};
///
/// let config = AdaptiveLimitConfig::builder()
///     .algorithm(LimitAlgorithm::Gradient2)
///     .min_limit(5)
///     .max_limit(500)
///     .build()?;
/// assert_eq!((config.initial_limit(), config.min_limit(), config.max_limit()), (20, 5, 500));
/// assert!(AdaptiveLimitConfig::builder().initial_limit(300).build().is_err());
/// # Ok::<(), retry_runtime::AdaptiveLimitConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AdaptiveLimitConfig {
    algorithm: LimitAlgorithm,
    initial_limit: u32,
    min_limit: u32,
    max_limit: u32,
}

impl AdaptiveLimitConfig {
    /// Vegas, starting at 20 calls at once, between 1 and 200: failsafe-go's adaptive limiter's
    /// limits (Netflix's start at 20 too). 20 lets a new limiter run a typical pool's worth of
    /// calls before it has measured anything; 200 bounds what a quiet dependency can grow it to;
    /// 1 keeps a call going through even in the worst overload, so the limiter can see recovery.
    pub const DEFAULT: AdaptiveLimitConfig = AdaptiveLimitConfig {
        algorithm: LimitAlgorithm::Vegas,
        initial_limit: 20,
        min_limit: 1,
        max_limit: 200,
    };

    /// [`builder`](Self::builder)`().algorithm(..).initial_limit(..).min_limit(..).max_limit(..)`
    /// for constants: an invalid value fails the build.
    ///
    /// # Panics
    /// When a value is out of range or the three are out of order (at compile time, in a
    /// `const`).
    pub const fn new_const(
        algorithm: LimitAlgorithm,
        initial_limit: u32,
        min_limit: u32,
        max_limit: u32,
    ) -> AdaptiveLimitConfig {
        let built = AdaptiveLimitConfig::builder()
            .algorithm(algorithm)
            .initial_limit(initial_limit)
            .min_limit(min_limit)
            .max_limit(max_limit)
            .build();
        match built {
            Ok(config) => config,
            Err(_) => panic!(
                "invalid adaptive limit: each limit must be from 1 to 1000000, with min_limit <= initial_limit <= max_limit"
            ),
        }
    }

    /// A builder starting from [`AdaptiveLimitConfig::DEFAULT`], to set the keys of
    /// [`ADAPTIVE_LIMIT_KEYS`] (and the algorithm) one by one.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::AdaptiveLimitConfig;
    ///
    /// assert_eq!(AdaptiveLimitConfig::builder().build()?, AdaptiveLimitConfig::DEFAULT);
    /// # Ok::<(), retry_runtime::AdaptiveLimitConfigError>(())
    /// ```
    pub const fn builder() -> AdaptiveLimitConfigBuilder {
        AdaptiveLimitConfigBuilder {
            config: AdaptiveLimitConfig::DEFAULT,
        }
    }

    /// A builder starting from these settings, to derive a variant.
    pub const fn to_builder(self) -> AdaptiveLimitConfigBuilder {
        AdaptiveLimitConfigBuilder { config: self }
    }

    /// The algorithm.
    pub const fn algorithm(&self) -> LimitAlgorithm {
        self.algorithm
    }

    /// The limit before the first latencies are measured.
    pub const fn initial_limit(&self) -> u32 {
        self.initial_limit
    }

    /// The lowest the limit goes.
    pub const fn min_limit(&self) -> u32 {
        self.min_limit
    }

    /// The highest the limit goes.
    pub const fn max_limit(&self) -> u32 {
        self.max_limit
    }
}

impl Default for AdaptiveLimitConfig {
    fn default() -> Self {
        AdaptiveLimitConfig::DEFAULT
    }
}

/// Builds an [`AdaptiveLimitConfig`], checking every value.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use retry_runtime::AdaptiveLimitConfig;
///
/// let error = AdaptiveLimitConfig::builder().min_limit(50).build().unwrap_err();
/// assert_eq!(error.fields(), ["min_limit", "initial_limit"]);
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct AdaptiveLimitConfigBuilder {
    config: AdaptiveLimitConfig,
}

/// The checks of [`AdaptiveLimitConfigBuilder::build`], in order.
const CHECKS: usize = 5;

impl AdaptiveLimitConfigBuilder {
    /// The algorithm.
    pub const fn algorithm(mut self, algorithm: LimitAlgorithm) -> Self {
        self.config.algorithm = algorithm;
        self
    }

    /// The limit before the first latencies are measured (1 to [`MAX_LIMIT`], from
    /// `min_limit` to `max_limit`).
    pub const fn initial_limit(mut self, limit: u32) -> Self {
        self.config.initial_limit = limit;
        self
    }

    /// The lowest the limit goes (1 to [`MAX_LIMIT`]).
    pub const fn min_limit(mut self, limit: u32) -> Self {
        self.config.min_limit = limit;
        self
    }

    /// The highest the limit goes (1 to [`MAX_LIMIT`]).
    pub const fn max_limit(mut self, limit: u32) -> Self {
        self.config.max_limit = limit;
        self
    }

    /// The config, or the first invalid value.
    ///
    /// # Errors
    /// [`AdaptiveLimitConfigError`] when a limit is out of range, or when `min_limit`,
    /// `initial_limit` and `max_limit` are not in that order.
    pub const fn build(self) -> Result<AdaptiveLimitConfig, AdaptiveLimitConfigError> {
        let mut index = 0;
        while index < CHECKS {
            if let Some(error) = self.check(index) {
                return Err(error);
            }
            index += 1;
        }
        Ok(self.config)
    }

    /// Every invalid value, not only the first that [`build`](Self::build) reports: what the
    /// attribute shows all at once. Empty when `build` succeeds. The order of the limits is
    /// checked only once each is in range.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::AdaptiveLimitConfig;
    ///
    /// let builder = AdaptiveLimitConfig::builder().min_limit(0).max_limit(2_000_000);
    /// let fields: Vec<&str> = builder.errors().iter().map(|error| error.field()).collect();
    /// assert_eq!(fields, ["min_limit", "max_limit"]);
    /// ```
    pub fn errors(&self) -> Vec<AdaptiveLimitConfigError> {
        let ranges: Vec<_> = (0..3).filter_map(|index| self.check(index)).collect();
        if !ranges.is_empty() {
            return ranges;
        }
        (3..CHECKS).filter_map(|index| self.check(index)).collect()
    }

    /// The error found by check `index` of [`build`](Self::build): each limit's range
    /// (`initial_limit`, `min_limit`, `max_limit`), then `min_limit <= initial_limit`, then
    /// `initial_limit <= max_limit` (which with the first gives `min_limit <= max_limit`).
    const fn check(&self, index: usize) -> Option<AdaptiveLimitConfigError> {
        let AdaptiveLimitConfig {
            initial_limit,
            min_limit,
            max_limit,
            ..
        } = self.config;
        let (field, value) = match index {
            0 => ("initial_limit", initial_limit),
            1 => ("min_limit", min_limit),
            2 => ("max_limit", max_limit),
            3 if min_limit > initial_limit && min_limit > max_limit => {
                return Some(AdaptiveLimitConfigError::order(
                    ("min_limit", min_limit),
                    ("max_limit", max_limit),
                ));
            }
            3 if min_limit > initial_limit => {
                return Some(AdaptiveLimitConfigError::order(
                    ("min_limit", min_limit),
                    ("initial_limit", initial_limit),
                ));
            }
            4 if initial_limit > max_limit => {
                return Some(AdaptiveLimitConfigError::order(
                    ("initial_limit", initial_limit),
                    ("max_limit", max_limit),
                ));
            }
            _ => return None,
        };
        if value == 0 || value > MAX_LIMIT {
            Some(AdaptiveLimitConfigError {
                field,
                value,
                above: None,
            })
        } else {
            None
        }
    }
}

/// An adaptive limit setting out of range, or two of them out of order.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use retry_runtime::AdaptiveLimitConfig;
///
/// let error = AdaptiveLimitConfig::builder().max_limit(0).build().unwrap_err();
/// assert_eq!(
///     error.reason(),
///     "`max_limit = 0` is out of range: a whole number from 1 to 1000000 (the highest the limit goes, such as `max_limit = 200`)",
/// );
/// let error = AdaptiveLimitConfig::builder().initial_limit(300).build().unwrap_err();
/// assert_eq!(
///     error.reason(),
///     "`initial_limit` (300) is above `max_limit` (200); lower `initial_limit` or raise `max_limit`",
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdaptiveLimitConfigError {
    /// The key at fault: the one out of range, or the larger of two out of order.
    field: &'static str,
    /// Its value.
    value: u32,
    /// For two limits out of order, the key and value `field` should not be above.
    above: Option<(&'static str, u32)>,
}

impl AdaptiveLimitConfigError {
    const fn order(high: (&'static str, u32), low: (&'static str, u32)) -> Self {
        AdaptiveLimitConfigError {
            field: high.0,
            value: high.1,
            above: Some(low),
        }
    }

    /// The key at fault: out of range, or above the other of [`fields`](Self::fields).
    pub const fn field(&self) -> &'static str {
        self.field
    }

    /// The value given for [`field`](Self::field).
    pub const fn value(&self) -> u32 {
        self.value
    }

    /// The keys the error is about: one out of range, or two out of order (the one that is too
    /// high first).
    pub fn fields(&self) -> Vec<&'static str> {
        match self.above {
            Some((other, _)) => vec![self.field, other],
            None => vec![self.field],
        }
    }

    /// What is wrong and how to fix it, naming the keys and the values, without the `invalid
    /// adaptive limit: ` of [`Display`](fmt::Display): for a caller that shows the key's place
    /// itself.
    pub fn reason(&self) -> String {
        if let Some((other, bound)) = self.above {
            return format!(
                "`{}` ({}) is above `{other}` ({bound}); lower `{}` or raise `{other}`",
                self.field, self.value, self.field
            );
        }
        let written = self.value.to_string();
        find(ADAPTIVE_LIMIT_KEYS, self.field)
            .map_or(written.clone(), |key| key.out_of_range(&written))
    }
}

impl fmt::Display for AdaptiveLimitConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid adaptive limit: {}", self.reason())
    }
}

impl Error for AdaptiveLimitConfigError {}

const ADAPTIVE: AdaptiveLimitConfig = AdaptiveLimitConfig::DEFAULT;

/// The limit keys of an adaptive limiter, in the order documentation and messages list them.
/// Its `algorithm` is a name of [`ALGORITHM_NAMES`](crate::ALGORITHM_NAMES), set with
/// [`AdaptiveLimitConfigBuilder::algorithm`]; `max_wait`, as a bulkhead's, belongs to each site.
///
/// ```
/// use retry_settings::{ADAPTIVE_LIMIT_KEYS, AdaptiveLimitConfig, Value, find};
///
/// let max_limit = find(ADAPTIVE_LIMIT_KEYS, "max_limit").unwrap();
/// let builder = max_limit.apply(AdaptiveLimitConfig::builder(), Value::Count(500)).unwrap();
/// assert_eq!(builder.build()?.max_limit(), 500);
/// # Ok::<(), retry_settings::AdaptiveLimitConfigError>(())
/// ```
pub const ADAPTIVE_LIMIT_KEYS: &[Key<AdaptiveLimitConfigBuilder>] = &[
    Key {
        name: "initial_limit",
        kind: Kind::Count {
            min: 1,
            max: MAX_LIMIT,
            set: AdaptiveLimitConfigBuilder::initial_limit,
        },
        default: Some(Value::Count(ADAPTIVE.initial_limit())),
        doc: "the limit before any latency is measured; from `min_limit` to `max_limit`",
        example: "initial_limit = 20",
    },
    Key {
        name: "min_limit",
        kind: Kind::Count {
            min: 1,
            max: MAX_LIMIT,
            set: AdaptiveLimitConfigBuilder::min_limit,
        },
        default: Some(Value::Count(ADAPTIVE.min_limit())),
        doc: "the lowest the limit goes",
        example: "min_limit = 1",
    },
    Key {
        name: "max_limit",
        kind: Kind::Count {
            min: 1,
            max: MAX_LIMIT,
            set: AdaptiveLimitConfigBuilder::max_limit,
        },
        default: Some(Value::Count(ADAPTIVE.max_limit())),
        doc: "the highest the limit goes",
        example: "max_limit = 200",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounds_and_the_order_are_checked() {
        let build = |initial, min, max| {
            AdaptiveLimitConfig::builder()
                .initial_limit(initial)
                .min_limit(min)
                .max_limit(max)
                .build()
        };
        assert!(build(1, 1, 1).is_ok());
        assert!(build(MAX_LIMIT, 1, MAX_LIMIT).is_ok());
        assert!(build(5, 5, 5).is_ok());
        assert_eq!(build(0, 1, 10).unwrap_err().field(), "initial_limit");
        assert_eq!(build(5, 0, 10).unwrap_err().field(), "min_limit");
        assert_eq!(build(5, 1, MAX_LIMIT + 1).unwrap_err().field(), "max_limit");
        assert_eq!(
            build(5, 6, 10).unwrap_err().fields(),
            ["min_limit", "initial_limit"]
        );
        assert_eq!(
            build(11, 1, 10).unwrap_err().fields(),
            ["initial_limit", "max_limit"]
        );
        assert_eq!(
            build(5, 20, 10).unwrap_err().fields(),
            ["min_limit", "max_limit"]
        );
    }

    #[test]
    fn errors_lists_every_range_error_then_the_order() {
        let builder = AdaptiveLimitConfig::builder().initial_limit(0).max_limit(0);
        let fields: Vec<_> = builder
            .errors()
            .iter()
            .map(AdaptiveLimitConfigError::field)
            .collect();
        assert_eq!(fields, ["initial_limit", "max_limit"]);
        let builder = AdaptiveLimitConfig::builder().min_limit(30).max_limit(10);
        let errors = builder.errors();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].fields(), ["min_limit", "max_limit"]);
        assert_eq!(errors[1].fields(), ["initial_limit", "max_limit"]);
        assert_eq!(builder.build(), Err(errors[0]));
    }

    #[test]
    fn every_algorithm_has_its_name() {
        for (name, algorithm) in ALGORITHM_NAMES {
            assert_eq!(algorithm.name(), *name);
            assert_eq!(LimitAlgorithm::named(name), Some(*algorithm));
        }
    }
}
