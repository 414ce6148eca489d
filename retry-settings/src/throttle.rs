//! Client-side throttling settings (the Google SRE book, "Handling Overload"): `k`, how many
//! requests a client may send per request the backend accepted, and `window`, how far back it
//! counts them. `#[throttle]` checks its literals with these at compile time and builds its
//! config in a `const`; the run-time API and the config loader check them the same way.

use std::error::Error;
use std::fmt;
use std::time::Duration;

use crate::duration::describe;
use crate::keys::{Key, Kind, Value};

/// The settings every site naming a throttle shares: a call is rejected locally with
/// probability `max(0, (R - k A) / (R + 1))`, where `R` and `A` are the requests made and the
/// requests the backend accepted over the last `window`.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use std::time::Duration;
/// use retry_runtime::ThrottleConfig;
///
/// let config = ThrottleConfig::new(2.0, Duration::from_secs(120))?;
/// assert_eq!(config, ThrottleConfig::DEFAULT);
/// assert!(ThrottleConfig::new(0.5, Duration::from_secs(120)).is_err());
/// assert!(ThrottleConfig::new(2.0, Duration::from_millis(500)).is_err());
/// # Ok::<(), retry_runtime::ThrottleConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ThrottleConfig {
    k: f64,
    window: Duration,
}

impl ThrottleConfig {
    /// `k = 2` over two minutes, the SRE book's values.
    pub const DEFAULT: ThrottleConfig = ThrottleConfig {
        k: 2.0,
        window: Duration::from_secs(120),
    };

    /// The smallest `k`: 1 rejects as soon as a single request goes unaccepted, which is as
    /// aggressive as the formula allows.
    pub const MIN_K: f64 = 1.0;

    /// The largest `k`: beyond 10 requests per accepted one, the throttle would let a backend
    /// that accepts almost nothing take ten times its load.
    pub const MAX_K: f64 = 10.0;

    /// The shortest `window`: a second, ten buckets of 100 ms.
    pub const MIN_WINDOW: Duration = Duration::from_secs(1);

    /// The longest `window`: an hour, ten buckets of 6 minutes. Beyond that, the throttle would
    /// react to what a backend did too long ago to say how loaded it is now.
    pub const MAX_WINDOW: Duration = Duration::from_secs(3600);

    /// `k` requests per accepted one over `window`.
    ///
    /// # Errors
    /// [`ThrottleConfigError`] unless `k` is from [`MIN_K`](Self::MIN_K) to
    /// [`MAX_K`](Self::MAX_K) and `window` from [`MIN_WINDOW`](Self::MIN_WINDOW) to
    /// [`MAX_WINDOW`](Self::MAX_WINDOW).
    pub const fn new(k: f64, window: Duration) -> Result<ThrottleConfig, ThrottleConfigError> {
        ThrottleConfig::builder().k(k).window(window).build()
    }

    /// A builder starting from [`ThrottleConfig::DEFAULT`], to set the keys of
    /// [`THROTTLE_KEYS`] one by one.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::ThrottleConfig;
    ///
    /// let config = ThrottleConfig::builder().k(1.5).build()?;
    /// assert_eq!((config.k(), config.window()), (1.5, ThrottleConfig::DEFAULT.window()));
    /// # Ok::<(), retry_runtime::ThrottleConfigError>(())
    /// ```
    pub const fn builder() -> ThrottleConfigBuilder {
        ThrottleConfigBuilder {
            config: ThrottleConfig::DEFAULT,
        }
    }

    /// A builder starting from these settings, to derive a variant.
    pub const fn to_builder(self) -> ThrottleConfigBuilder {
        ThrottleConfigBuilder { config: self }
    }

    /// Requests a client may make per request the backend accepted before it rejects any.
    pub const fn k(&self) -> f64 {
        self.k
    }

    /// How far back requests and accepts are counted.
    pub const fn window(&self) -> Duration {
        self.window
    }

    /// The error of check `index`: `k`, then `window`.
    const fn check(&self, index: usize) -> Option<ThrottleConfigError> {
        match index {
            // Written so that NaN fails too.
            0 if !(self.k >= Self::MIN_K && self.k <= Self::MAX_K) => {
                Some(ThrottleConfigError::KOutOfRange { k: self.k })
            }
            1 if self.window.as_nanos() < Self::MIN_WINDOW.as_nanos()
                || self.window.as_nanos() > Self::MAX_WINDOW.as_nanos() =>
            {
                Some(ThrottleConfigError::WindowOutOfRange {
                    window: self.window,
                })
            }
            _ => None,
        }
    }
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig::DEFAULT
    }
}

/// Builds a [`ThrottleConfig`], checking every value.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use retry_runtime::ThrottleConfig;
///
/// let error = ThrottleConfig::builder().k(20.0).build().unwrap_err();
/// assert_eq!(error.field(), "k");
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ThrottleConfigBuilder {
    config: ThrottleConfig,
}

impl ThrottleConfigBuilder {
    /// Requests per accepted one ([`MIN_K`](ThrottleConfig::MIN_K) to
    /// [`MAX_K`](ThrottleConfig::MAX_K)).
    pub const fn k(mut self, k: f64) -> Self {
        self.config.k = k;
        self
    }

    /// How far back requests and accepts are counted
    /// ([`MIN_WINDOW`](ThrottleConfig::MIN_WINDOW) to
    /// [`MAX_WINDOW`](ThrottleConfig::MAX_WINDOW)).
    pub const fn window(mut self, window: Duration) -> Self {
        self.config.window = window;
        self
    }

    /// The config, or the first invalid value.
    ///
    /// # Errors
    /// [`ThrottleConfigError`] naming `k` or `window` when it is out of range.
    pub const fn build(self) -> Result<ThrottleConfig, ThrottleConfigError> {
        let mut index = 0;
        while index < 2 {
            if let Some(error) = self.config.check(index) {
                return Err(error);
            }
            index += 1;
        }
        Ok(self.config)
    }

    /// Every invalid value, not only the first that [`build`](Self::build) reports: what the
    /// attribute shows all at once. Empty when `build` succeeds.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use std::time::Duration;
    /// use retry_runtime::ThrottleConfig;
    ///
    /// let builder = ThrottleConfig::builder().k(0.0).window(Duration::ZERO);
    /// let fields: Vec<&str> = builder.errors().iter().map(|error| error.field()).collect();
    /// assert_eq!(fields, ["k", "window"]);
    /// ```
    pub fn errors(&self) -> Vec<ThrottleConfigError> {
        (0..2)
            .filter_map(|index| self.config.check(index))
            .collect()
    }

    /// For `const` items: an invalid value fails const evaluation.
    ///
    /// # Panics
    /// On an invalid value: a compile error in const evaluation, a panic at run time.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::ThrottleConfig;
    ///
    /// const SEARCH: ThrottleConfig = ThrottleConfig::builder().k(1.5).build_const();
    /// assert_eq!(SEARCH.k(), 1.5);
    /// ```
    pub const fn build_const(self) -> ThrottleConfig {
        match self.build() {
            Ok(config) => config,
            Err(ThrottleConfigError::KOutOfRange { .. }) => {
                panic!("invalid throttle: `k` must be from 1 to 10")
            }
            Err(ThrottleConfigError::WindowOutOfRange { .. }) => {
                panic!("invalid throttle: `window` must be from 1s to 1h")
            }
        }
    }
}

/// A throttle setting out of range.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use retry_runtime::ThrottleConfig;
///
/// let error = ThrottleConfig::builder().k(0.5).build().unwrap_err();
/// assert_eq!(
///     error.reason(),
///     "`k = 0.5` is out of range: a number from 1 to 10 (the requests a client may make per request the backend accepted, such as `k = 2.0`)",
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum ThrottleConfigError {
    /// `k` below 1, above 10, or not a number.
    KOutOfRange {
        /// The value given.
        k: f64,
    },
    /// `window` shorter than a second or longer than an hour.
    WindowOutOfRange {
        /// The value given.
        window: Duration,
    },
}

impl ThrottleConfigError {
    /// The offending key: `k` or `window`.
    pub const fn field(&self) -> &'static str {
        match self {
            ThrottleConfigError::KOutOfRange { .. } => "k",
            ThrottleConfigError::WindowOutOfRange { .. } => "window",
        }
    }

    /// Every key the error is about: the one [`field`](Self::field) names.
    pub fn fields(&self) -> &[&'static str] {
        match self {
            ThrottleConfigError::KOutOfRange { .. } => &["k"],
            ThrottleConfigError::WindowOutOfRange { .. } => &["window"],
        }
    }

    /// What is wrong and how to fix it, naming the key and the value, without the `invalid
    /// throttle: ` of [`Display`](fmt::Display): for a caller that shows the key's place itself.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use std::time::Duration;
    /// use retry_runtime::ThrottleConfig;
    ///
    /// let error = ThrottleConfig::builder().window(Duration::from_secs(7200)).build().unwrap_err();
    /// assert_eq!(
    ///     error.reason(),
    ///     "`window` is 2h; a throttle counts over a second to an hour, such as `window = \"2m\"`",
    /// );
    /// ```
    pub fn reason(&self) -> String {
        match self {
            ThrottleConfigError::KOutOfRange { k } => {
                let key = &THROTTLE_KEYS[0];
                format!(
                    "`k = {k}` is out of range: {} ({}, such as `{}`)",
                    key.kind.rule(),
                    key.doc,
                    key.example
                )
            }
            ThrottleConfigError::WindowOutOfRange { window } => format!(
                "`window` is {}; a throttle counts over a second to an hour, such as `window = \"2m\"`",
                describe(*window)
            ),
        }
    }
}

impl fmt::Display for ThrottleConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid throttle: {}", self.reason())
    }
}

impl Error for ThrottleConfigError {}

/// The keys of a throttle, in the order documentation and messages list them. `window`'s bounds
/// ([`MIN_WINDOW`](ThrottleConfig::MIN_WINDOW) to [`MAX_WINDOW`](ThrottleConfig::MAX_WINDOW))
/// are the builder's.
///
/// ```
/// use retry_settings::{THROTTLE_KEYS, ThrottleConfig, Value, find};
///
/// let k = find(THROTTLE_KEYS, "k").unwrap();
/// let builder = k.apply(ThrottleConfig::builder(), Value::Number(3.0)).unwrap();
/// assert_eq!(builder.build()?.k(), 3.0);
/// # Ok::<(), retry_settings::ThrottleConfigError>(())
/// ```
pub const THROTTLE_KEYS: &[Key<ThrottleConfigBuilder>] = &[
    Key {
        name: "k",
        kind: Kind::Number {
            min: ThrottleConfig::MIN_K,
            min_excluded: false,
            max: ThrottleConfig::MAX_K,
            set: ThrottleConfigBuilder::k,
        },
        default: Some(Value::Number(ThrottleConfig::DEFAULT.k)),
        doc: "the requests a client may make per request the backend accepted",
        example: "k = 2.0",
    },
    Key {
        name: "window",
        kind: Kind::Duration {
            zero: false,
            set: ThrottleConfigBuilder::window,
        },
        default: Some(Value::Duration(ThrottleConfig::DEFAULT.window)),
        doc: "how far back requests and accepts are counted",
        example: "window = \"2m\"",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::find;

    #[test]
    fn bounds_are_inclusive_and_nan_is_refused() {
        let window = ThrottleConfig::DEFAULT.window();
        for k in [1.0, 2.0, 10.0] {
            assert!(ThrottleConfig::new(k, window).is_ok(), "{k}");
        }
        for k in [0.999, 10.001, f64::NAN, f64::INFINITY, -2.0] {
            assert!(ThrottleConfig::new(k, window).is_err(), "{k}");
        }
        for window in [ThrottleConfig::MIN_WINDOW, ThrottleConfig::MAX_WINDOW] {
            assert!(ThrottleConfig::new(2.0, window).is_ok());
        }
        for window in [
            Duration::ZERO,
            Duration::from_millis(999),
            ThrottleConfig::MAX_WINDOW + Duration::from_nanos(1),
        ] {
            assert!(ThrottleConfig::new(2.0, window).is_err(), "{window:?}");
        }
    }

    #[test]
    fn the_table_sets_the_builder_and_holds_its_defaults() {
        for key in THROTTLE_KEYS {
            let set = key.apply(ThrottleConfig::builder(), key.default.unwrap());
            assert_eq!(
                set.unwrap().build(),
                Ok(ThrottleConfig::DEFAULT),
                "{}",
                key.name
            );
        }
        let k = find(THROTTLE_KEYS, "k").unwrap();
        assert_eq!(k.kind.rule(), "a number from 1 to 10");
        assert!(k.kind.admits(Value::Number(10.0)));
        assert!(!k.kind.admits(Value::Number(0.5)));
    }
}
