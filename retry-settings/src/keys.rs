//! The machinery of the key tables: what a key is ([`Key`]), what it takes ([`Kind`]), a value
//! read by its kind ([`Value`]), and [`find`]. Each strategy's settings file owns its table
//! (`RETRY_KEYS` in `policy`, `BREAKER_KEYS` in `breaker`, `BULKHEAD_KEYS`, `RATE_LIMIT_KEYS`,
//! `ADAPTIVE_LIMIT_KEYS`): every key of `#[retry]`, `#[circuit_breaker]`, `#[bulkhead]`,
//! `#[rate_limit]` and `#[adaptive_limit]` (its limits) that configuration files can override
//! too, with its name, its kind and bounds, its default, one line of documentation, an example,
//! and the builder method that sets it; this file imports none of them. A bulkhead's or rate
//! limiter's `max_wait` belongs to each site and is not in a table (see
//! [`max_wait`](crate::max_wait)).
//!
//! The attributes parse a key's value by its kind, set it through the table, and validate the
//! result with the builder's own checks; the config loader reads a value by the same kind and
//! bounds. The bounds are those the builders enforce (tests hold them together), with one
//! exception: a zero `slow_call` is refused by the table (the attribute and the loader) although
//! [`BreakerConfigBuilder::slow_call`](crate::BreakerConfigBuilder::slow_call) accepts it (every call would be slow), which it always has.
//!
//! ```
//! use retry_settings::{Kind, RETRY_KEYS, RetryPolicy, Value};
//!
//! // What a bare `#[retry]` does, key by key.
//! for key in RETRY_KEYS {
//!     match key.default {
//!         Some(default) => println!("{} = {default}: {}", key.name, key.doc),
//!         None => println!("{}: {} (not set by default)", key.name, key.doc),
//!     }
//! }
//! let max_attempts = &RETRY_KEYS[0];
//! assert_eq!(max_attempts.name, "max_attempts");
//! assert!(matches!(max_attempts.kind, Kind::Count { min: 1, .. }));
//! let builder = max_attempts.apply(RetryPolicy::builder(), Value::Count(5)).unwrap();
//! assert_eq!(builder.build()?.max_attempts(), 5);
//! # Ok::<(), retry_settings::PolicyError>(())
//! ```

use std::fmt;
use std::time::Duration;

use crate::backoff::Backoff;
use crate::duration::describe;
use crate::jitter::Jitter;
use crate::names::{BACKOFF_NAMES, JITTER_NAMES};

/// One key: what it is called, what it takes, what it defaults to, and how it is set on a
/// builder of type `B`.
///
/// ```
/// use retry_settings::{BREAKER_KEYS, find};
///
/// let window = find(BREAKER_KEYS, "window").unwrap();
/// assert_eq!(window.example, "window = 20");
/// assert_eq!(window.kind.rule(), "a whole number from 1 to 1048576, or a duration of at least 10ns");
/// assert_eq!(window.default.unwrap().to_string(), "100");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Key<B> {
    /// The key as the attribute and configuration files spell it, and the name of the builder
    /// method that sets it (`factor` excepted: it sets an exponential backoff's factor; and a
    /// duration `window` is set by `time_window`).
    pub name: &'static str,
    /// What it takes, its bounds, and the setter.
    pub kind: Kind<B>,
    /// The value without the key, read from [`RetryPolicy::DEFAULT`](crate::RetryPolicy::DEFAULT),
    /// [`BreakerConfig::DEFAULT`](crate::BreakerConfig::DEFAULT) or
    /// [`BulkheadConfig::DEFAULT`](crate::BulkheadConfig::DEFAULT); `None` when the key is unset
    /// by default (`max_elapsed`), follows another (`min_calls` is `window`'s, `burst`
    /// `per_second`'s) or must be given (`per_second`).
    pub default: Option<Value>,
    /// What it means, in one line.
    pub doc: &'static str,
    /// How to write it: `delay = "100ms"`.
    pub example: &'static str,
}

/// What a key takes, with its bounds (inclusive unless said), and the builder method that sets
/// it.
///
/// ```
/// use retry_settings::{BREAKER_KEYS, Kind, find};
///
/// let rate = find(BREAKER_KEYS, "failure_rate").unwrap();
/// assert!(matches!(rate.kind, Kind::Number { min: 0.0, min_excluded: true, max: 1.0, .. }));
/// ```
#[derive(Clone, Copy, Debug)]
pub enum Kind<B> {
    /// A whole number from `min` to `max`.
    Count {
        /// The smallest allowed.
        min: u32,
        /// The largest allowed.
        max: u32,
        /// The builder method.
        set: fn(B, u32) -> B,
    },
    /// A number from `min` to `max`; never NaN.
    Number {
        /// The lower bound.
        min: f64,
        /// Whether `min` itself is refused (a rate is above 0).
        min_excluded: bool,
        /// The upper bound; `f64::MAX` for "finite".
        max: f64,
        /// The builder method.
        set: fn(B, f64) -> B,
    },
    /// A duration in the [`duration`](crate::duration) grammar, up to `u64::MAX` nanoseconds.
    Duration {
        /// Whether zero is allowed.
        zero: bool,
        /// The builder method.
        set: fn(B, Duration) -> B,
    },
    /// One of the [`BACKOFF_NAMES`].
    Backoff {
        /// The builder method.
        set: fn(B, Backoff) -> B,
    },
    /// One of the [`JITTER_NAMES`].
    Jitter {
        /// The builder method.
        set: fn(B, Jitter) -> B,
    },
    /// A whole number from `min` to `max`, or a duration of at least `min_duration`: the
    /// breaker's `window`, a count of calls (`window = 20`) or a stretch of time
    /// (`window = "10s"`).
    CountOrDuration {
        /// The smallest count allowed.
        min: u32,
        /// The largest count allowed.
        max: u32,
        /// The builder method for a count.
        set: fn(B, u32) -> B,
        /// The shortest duration allowed.
        min_duration: Duration,
        /// The builder method for a duration.
        set_duration: fn(B, Duration) -> B,
    },
}

impl<B> Kind<B> {
    /// The bounds in words, for messages and documentation.
    ///
    /// ```
    /// use retry_settings::{RETRY_KEYS, find};
    ///
    /// let rule = |name| find(RETRY_KEYS, name).unwrap().kind.rule();
    /// assert_eq!(rule("max_attempts"), "a whole number from 1 to 4294967295");
    /// assert_eq!(rule("factor"), "a finite number of at least 1");
    /// assert_eq!(rule("max_elapsed"), "a positive duration");
    /// assert_eq!(rule("jitter"), "one of \"full\", \"equal\", \"decorrelated\", \"none\"");
    /// ```
    pub fn rule(&self) -> String {
        match self {
            Kind::Count { min, max, .. } => format!("a whole number from {min} to {max}"),
            Kind::Number {
                min,
                min_excluded,
                max,
                ..
            } => match (min_excluded, *max >= f64::MAX) {
                // `f64::MAX` stands for "any finite number".
                (false, true) => format!("a finite number of at least {min}"),
                (true, true) => format!("a finite number above {min}"),
                (false, false) => format!("a number from {min} to {max}"),
                (true, false) => format!("a number above {min} and at most {max}"),
            },
            Kind::Duration { zero: true, .. } => "a duration".to_owned(),
            Kind::Duration { zero: false, .. } => "a positive duration".to_owned(),
            Kind::Backoff { .. } => one_of(BACKOFF_NAMES),
            Kind::Jitter { .. } => one_of(JITTER_NAMES),
            Kind::CountOrDuration {
                min,
                max,
                min_duration,
                ..
            } => format!(
                "a whole number from {min} to {max}, or a duration of at least {}",
                describe(*min_duration)
            ),
        }
    }

    /// Whether `value` is of this kind and within its bounds.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retry_settings::{BREAKER_KEYS, Value, find};
    ///
    /// let slow_call = find(BREAKER_KEYS, "slow_call").unwrap();
    /// assert!(slow_call.kind.admits(Value::Duration(Duration::from_secs(2))));
    /// assert!(!slow_call.kind.admits(Value::Duration(Duration::ZERO)));
    /// assert!(!slow_call.kind.admits(Value::Count(2)));
    /// ```
    pub fn admits(&self, value: Value) -> bool {
        match (self, value) {
            (Kind::Count { min, max, .. }, Value::Count(count)) => (*min..=*max).contains(&count),
            (
                Kind::Number {
                    min,
                    min_excluded,
                    max,
                    ..
                },
                Value::Number(number),
            ) => {
                let above_min = if *min_excluded {
                    number > *min
                } else {
                    number >= *min
                };
                above_min && number <= *max
            }
            (Kind::Duration { zero, .. }, Value::Duration(duration)) => {
                *zero || !duration.is_zero()
            }
            (Kind::Backoff { .. }, Value::Backoff(_)) | (Kind::Jitter { .. }, Value::Jitter(_)) => {
                true
            }
            (Kind::CountOrDuration { min, max, .. }, Value::Count(count)) => {
                (*min..=*max).contains(&count)
            }
            (Kind::CountOrDuration { min_duration, .. }, Value::Duration(duration)) => {
                duration >= *min_duration
            }
            _ => false,
        }
    }
}

fn one_of<T>(table: &[(&str, T)]) -> String {
    let names: Vec<String> = table
        .iter()
        .map(|(name, _)| format!("\"{name}\""))
        .collect();
    format!("one of {}", names.join(", "))
}

impl<B> Key<B> {
    /// `builder` with this key set to `value`, through the key's builder method; `None` when
    /// `value` is of another kind. Bounds are not checked here: the builder's `build` checks
    /// them, naming this key.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retry_settings::{BREAKER_KEYS, BreakerConfig, Value, find};
    ///
    /// let open_for = find(BREAKER_KEYS, "open_for").unwrap();
    /// let builder = open_for.apply(BreakerConfig::builder(), Value::Duration(Duration::ZERO)).unwrap();
    /// assert_eq!(builder.build().unwrap_err().field(), "open_for");
    /// assert!(open_for.apply(BreakerConfig::builder(), Value::Count(3)).is_none());
    /// ```
    pub fn apply(&self, builder: B, value: Value) -> Option<B> {
        Some(match (&self.kind, value) {
            (Kind::Count { set, .. } | Kind::CountOrDuration { set, .. }, Value::Count(count)) => {
                set(builder, count)
            }
            (Kind::Number { set, .. }, Value::Number(number)) => set(builder, number),
            (Kind::Duration { set, .. }, Value::Duration(duration)) => set(builder, duration),
            (Kind::Backoff { set }, Value::Backoff(backoff)) => set(builder, backoff),
            (Kind::Jitter { set }, Value::Jitter(jitter)) => set(builder, jitter),
            (Kind::CountOrDuration { set_duration, .. }, Value::Duration(duration)) => {
                set_duration(builder, duration)
            }
            _ => return None,
        })
    }

    /// What is said of a value written as `written` outside this key's bounds: the value, the
    /// bounds, what the key means and an example.
    ///
    /// ```
    /// use retry_settings::{BULKHEAD_KEYS, find};
    ///
    /// let key = find(BULKHEAD_KEYS, "max_concurrent").unwrap();
    /// assert_eq!(
    ///     key.out_of_range("0"),
    ///     "`max_concurrent = 0` is out of range: a whole number from 1 to 1000000 (the calls that run at once, such as `max_concurrent = 10`)",
    /// );
    /// ```
    pub fn out_of_range(&self, written: &str) -> String {
        format!(
            "`{} = {written}` is out of range: {} ({}, such as `{}`)",
            self.name,
            self.kind.rule(),
            self.doc,
            self.example
        )
    }
}

/// A value of a key, typed by its [`Kind`]. Displays as it is written in the attribute and in
/// configuration files; converts from the type each kind holds.
///
/// ```
/// use std::time::Duration;
/// use retry_settings::{Jitter, Value};
///
/// assert_eq!(Value::Duration(Duration::from_secs(300)).to_string(), "\"5m\"");
/// assert_eq!(Value::Jitter(Jitter::Full).to_string(), "\"full\"");
/// assert_eq!(Value::Number(0.5).to_string(), "0.5");
/// assert!(matches!(Value::from(3_u32), Value::Count(3)));
/// ```
#[derive(Clone, Copy, Debug)]
pub enum Value {
    /// Of a [`Kind::Count`] key.
    Count(u32),
    /// Of a [`Kind::Number`] key.
    Number(f64),
    /// Of a [`Kind::Duration`] key.
    Duration(Duration),
    /// Of a [`Kind::Backoff`] key.
    Backoff(Backoff),
    /// Of a [`Kind::Jitter`] key.
    Jitter(Jitter),
}

impl From<u32> for Value {
    fn from(count: u32) -> Value {
        Value::Count(count)
    }
}

impl From<f64> for Value {
    fn from(number: f64) -> Value {
        Value::Number(number)
    }
}

impl From<Duration> for Value {
    fn from(duration: Duration) -> Value {
        Value::Duration(duration)
    }
}

impl From<Backoff> for Value {
    fn from(backoff: Backoff) -> Value {
        Value::Backoff(backoff)
    }
}

impl From<Jitter> for Value {
    fn from(jitter: Jitter) -> Value {
        Value::Jitter(jitter)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Count(count) => write!(f, "{count}"),
            Value::Number(number) => write!(f, "{number}"),
            Value::Duration(duration) => write!(f, "\"{}\"", describe(*duration)),
            Value::Backoff(backoff) => write!(f, "\"{}\"", backoff.name()),
            Value::Jitter(jitter) => write!(f, "\"{}\"", jitter.name()),
        }
    }
}

/// The key called `name` in `keys`, if one is. A `const fn`, so a table that names a key
/// (the config loader's) can fail the build when the key is not there.
///
/// ```
/// use retry_settings::{RETRY_KEYS, find};
///
/// assert_eq!(find(RETRY_KEYS, "delay").unwrap().example, "delay = \"100ms\"");
/// assert!(find(RETRY_KEYS, "retries").is_none());
/// ```
pub const fn find<B>(keys: &'static [Key<B>], name: &str) -> Option<&'static Key<B>> {
    let mut index = 0;
    while index < keys.len() {
        if same(keys[index].name.as_bytes(), name.as_bytes()) {
            return Some(&keys[index]);
        }
        index += 1;
    }
    None
}

/// `a == b`, in `const`.
const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut index = 0;
    while index < a.len() {
        if a[index] != b[index] {
            return false;
        }
        index += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration;
    use crate::{
        ADAPTIVE_LIMIT_KEYS, AdaptiveLimitConfig, BREAKER_KEYS, BULKHEAD_KEYS, BreakerConfig,
        BulkheadConfig, MAX_LIMIT, MAX_WINDOW, RATE_LIMIT_KEYS, RETRY_KEYS, RetryPolicy,
    };

    /// The value an example writes, read by the key's kind.
    fn example_value<B>(key: &Key<B>) -> Value {
        let (name, text) = key.example.split_once(" = ").unwrap();
        assert_eq!(name, key.name);
        let unquoted = text.trim_matches('"');
        match key.kind {
            Kind::Duration { .. } | Kind::CountOrDuration { .. } if text.starts_with('"') => {
                Value::Duration(duration::parse(unquoted).unwrap())
            }
            Kind::Count { .. } | Kind::CountOrDuration { .. } => {
                Value::Count(text.parse().unwrap())
            }
            Kind::Number { .. } => Value::Number(text.parse().unwrap()),
            Kind::Duration { .. } => unreachable!("a duration's example is quoted"),
            Kind::Backoff { .. } => Value::Backoff(crate::backoff_named(unquoted).unwrap()),
            Kind::Jitter { .. } => Value::Jitter(crate::jitter_named(unquoted).unwrap()),
        }
    }

    #[test]
    fn every_example_is_a_valid_value_the_builder_takes() {
        for key in RETRY_KEYS {
            let value = example_value(key);
            assert!(key.kind.admits(value), "{}", key.name);
            let builder = key.apply(RetryPolicy::builder(), value).unwrap();
            assert!(builder.build().is_ok(), "{}", key.name);
        }
        for key in BREAKER_KEYS {
            let value = example_value(key);
            assert!(key.kind.admits(value), "{}", key.name);
            let base = BreakerConfig::builder()
                .failure_rate(0.5)
                .slow_call(Duration::from_secs(1));
            let builder = key.apply(base, value);
            assert!(builder.unwrap().build().is_ok(), "{}", key.name);
        }
        for key in BULKHEAD_KEYS {
            let value = example_value(key);
            assert!(key.kind.admits(value), "{}", key.name);
            let builder = key.apply(BulkheadConfig::builder(), value).unwrap();
            assert!(builder.build().is_ok(), "{}", key.name);
        }
        for key in ADAPTIVE_LIMIT_KEYS {
            let value = example_value(key);
            assert!(key.kind.admits(value), "{}", key.name);
            let builder = key.apply(AdaptiveLimitConfig::builder(), value).unwrap();
            assert!(builder.build().is_ok(), "{}", key.name);
        }
        for key in RATE_LIMIT_KEYS {
            let value = example_value(key);
            assert!(key.kind.admits(value), "{}", key.name);
            let base = crate::RateLimitConfig::builder().per_second(100);
            assert!(
                key.apply(base, value).unwrap().build().is_ok(),
                "{}",
                key.name
            );
        }
    }

    #[test]
    fn every_default_is_what_the_default_builder_builds() {
        for key in RETRY_KEYS {
            if let Some(default) = key.default {
                let set = key.apply(RetryPolicy::builder(), default).unwrap();
                assert_eq!(
                    format!("{:?}", set.build().unwrap()),
                    format!("{:?}", RetryPolicy::DEFAULT),
                    "{}",
                    key.name
                );
            }
        }
        for key in BREAKER_KEYS {
            if let Some(default) = key.default {
                let set = key.apply(BreakerConfig::builder(), default).unwrap();
                assert_eq!(
                    set.build().unwrap(),
                    BreakerConfig::builder().build().unwrap(),
                    "{}",
                    key.name
                );
            }
        }
        for key in BULKHEAD_KEYS {
            let set = key.apply(BulkheadConfig::builder(), key.default.unwrap());
            assert_eq!(set.unwrap().build(), Ok(BulkheadConfig::DEFAULT));
        }
        for key in ADAPTIVE_LIMIT_KEYS {
            let set = key.apply(AdaptiveLimitConfig::builder(), key.default.unwrap());
            assert_eq!(set.unwrap().build(), Ok(AdaptiveLimitConfig::DEFAULT));
        }
        // A rate limiter has no defaults: `per_second` is required, `burst` follows it.
        assert!(RATE_LIMIT_KEYS.iter().all(|key| key.default.is_none()));
    }

    /// The table's bounds are the builders': the extremes build, one step beyond does not
    /// (except a zero `slow_call`, which the table alone refuses).
    #[test]
    fn bounds_are_the_builders() {
        fn beyond(kind_min: f64, excluded: bool) -> f64 {
            if excluded { kind_min } else { kind_min - 0.001 }
        }
        for key in RETRY_KEYS {
            let build = |value| {
                let base = RetryPolicy::builder()
                    .delay(Duration::ZERO)
                    .max_delay(Duration::MAX);
                key.apply(base, value).unwrap().build().is_ok()
            };
            check_bounds(key.name, &key.kind, build, beyond);
        }
        for key in BREAKER_KEYS {
            let build = |value| {
                let base = BreakerConfig::builder()
                    .failure_rate(0.5)
                    .slow_call(Duration::from_secs(1))
                    .window(MAX_WINDOW)
                    .open_for(Duration::from_nanos(1))
                    .max_open_for(Duration::MAX);
                let base = if key.name == "min_calls" {
                    base
                } else {
                    base.min_calls(1)
                };
                key.apply(base, value).unwrap().build().is_ok()
            };
            if key.name == "slow_call" {
                assert!(build(Value::Duration(Duration::ZERO)));
                assert!(!key.kind.admits(Value::Duration(Duration::ZERO)));
                continue;
            }
            check_bounds(key.name, &key.kind, build, beyond);
        }
        for key in BULKHEAD_KEYS {
            let build = |value| {
                let builder = key.apply(BulkheadConfig::builder(), value).unwrap();
                builder.build().is_ok()
            };
            check_bounds(key.name, &key.kind, build, beyond);
        }
        for key in ADAPTIVE_LIMIT_KEYS {
            // The other two at the extremes that let this one take any value in range.
            let build = |value| {
                let base = AdaptiveLimitConfig::builder()
                    .min_limit(1)
                    .max_limit(MAX_LIMIT);
                let base = match key.name {
                    "min_limit" => base.initial_limit(MAX_LIMIT),
                    "max_limit" => base.initial_limit(1),
                    _ => base,
                };
                key.apply(base, value).unwrap().build().is_ok()
            };
            check_bounds(key.name, &key.kind, build, beyond);
        }
        for key in RATE_LIMIT_KEYS {
            let build = |value| {
                let base = crate::RateLimitConfig::builder().per_second(1).burst(1);
                key.apply(base, value).unwrap().build().is_ok()
            };
            check_bounds(key.name, &key.kind, build, beyond);
        }
    }

    fn check_bounds<B>(
        name: &str,
        kind: &Kind<B>,
        build: impl Fn(Value) -> bool,
        beyond: fn(f64, bool) -> f64,
    ) {
        match *kind {
            Kind::Count { min, max, .. } => {
                assert!(
                    build(Value::Count(min)) && build(Value::Count(max)),
                    "{name}"
                );
                // `min_calls(0)` means "as `window`" to the builder; written out, 0 is refused.
                if min > 0 && name != "min_calls" {
                    assert!(!build(Value::Count(min - 1)), "{name}");
                }
                if max < u32::MAX {
                    assert!(!build(Value::Count(max + 1)), "{name}");
                }
            }
            Kind::Number {
                min,
                min_excluded,
                max,
                ..
            } => {
                let inside = if min_excluded { min + 1e-9 } else { min };
                assert!(
                    build(Value::Number(inside)) && build(Value::Number(max)),
                    "{name}"
                );
                assert!(!build(Value::Number(beyond(min, min_excluded))), "{name}");
                assert!(!build(Value::Number(f64::NAN)), "{name}");
                assert!(!build(Value::Number(f64::INFINITY)), "{name}");
                if max < f64::MAX {
                    assert!(!build(Value::Number(max + 1e-9)), "{name}");
                }
            }
            Kind::Duration { zero, .. } => {
                assert_eq!(build(Value::Duration(Duration::ZERO)), zero, "{name}");
                assert!(build(Value::Duration(Duration::from_nanos(1))), "{name}");
                assert!(
                    build(Value::Duration(Duration::from_nanos(u64::MAX))),
                    "{name}"
                );
            }
            Kind::Backoff { .. } => {
                for (_, backoff) in BACKOFF_NAMES {
                    assert!(build(Value::Backoff(*backoff)), "{name}");
                }
            }
            Kind::Jitter { .. } => {
                for (_, jitter) in JITTER_NAMES {
                    assert!(build(Value::Jitter(*jitter)), "{name}");
                }
            }
            Kind::CountOrDuration {
                min,
                max,
                min_duration,
                ..
            } => {
                assert!(
                    build(Value::Count(min)) && build(Value::Count(max)),
                    "{name}"
                );
                assert!(!build(Value::Count(min - 1)), "{name}");
                assert!(!build(Value::Count(max + 1)), "{name}");
                assert!(build(Value::Duration(min_duration)), "{name}");
                assert!(
                    build(Value::Duration(Duration::from_nanos(u64::MAX))),
                    "{name}"
                );
                let shorter = min_duration.checked_sub(Duration::from_nanos(1)).unwrap();
                assert!(!build(Value::Duration(shorter)), "{name}");
            }
        }
    }

    #[test]
    fn admits_follows_the_bounds() {
        let factor = find(RETRY_KEYS, "factor").unwrap();
        assert!(factor.kind.admits(Value::Number(1.0)));
        assert!(!factor.kind.admits(Value::Number(0.99)));
        assert!(!factor.kind.admits(Value::Number(f64::NAN)));
        let rate = find(BREAKER_KEYS, "failure_rate").unwrap();
        assert!(!rate.kind.admits(Value::Number(0.0)));
        assert!(rate.kind.admits(Value::Number(1.0)));
        assert_eq!(rate.kind.rule(), "a number above 0 and at most 1");
        let window = find(BREAKER_KEYS, "window").unwrap();
        assert!(window.kind.admits(Value::Count(20)));
        assert!(window.kind.admits(Value::Duration(Duration::from_secs(10))));
        assert!(!window.kind.admits(Value::Duration(Duration::from_nanos(9))));
        assert!(!window.kind.admits(Value::Count(0)));
        assert!(!window.kind.admits(Value::Number(20.0)));
    }

    /// A count after a duration, or a duration after a count, replaces it: the window is one
    /// or the other, whichever was set last (a config override switches a site's kind).
    #[test]
    fn a_window_is_a_count_or_a_duration_whichever_is_set_last() {
        let window = find(BREAKER_KEYS, "window").unwrap();
        let rated = BreakerConfig::builder().failure_rate(0.5);
        let timed = window
            .apply(rated, Value::Duration(Duration::from_secs(10)))
            .unwrap();
        assert_eq!(
            timed.build().unwrap().time_window(),
            Some(Duration::from_secs(10))
        );
        let counted = window.apply(timed, Value::Count(20)).unwrap().build();
        assert_eq!(counted.unwrap().time_window(), None);
        assert_eq!(counted.unwrap().window(), 20);
    }
}
