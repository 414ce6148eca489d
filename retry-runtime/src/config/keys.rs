//! Every key of every section, in one table: its type and its bounds. The retry, breaker,
//! bulkhead and rate limiter keys are the settings model's (`retry_settings::RETRY_KEYS`,
//! `BREAKER_KEYS`, `BULKHEAD_KEYS` and `RATE_LIMIT_KEYS`): their names,
//! bounds and backoff and jitter names are read from there, the limits the runtime's builders
//! apply, so a value taken here is never refused later for its range; the tests at the bottom
//! hold the two together. The budget's bounds are the budget's own (`BudgetConfig::validate`).
//! What only a site can check (a `delay` above that site's `max_delay`) is left to the site.
//! A bulkhead's or rate limiter's `max_wait` is each site's own, so its sections refuse it with
//! that reason instead of calling it unknown.

use std::time::Duration;

use retry_settings::{
    ADAPTIVE_LIMIT_KEYS, ALGORITHM_NAMES, AdaptiveLimitConfigBuilder, LimitAlgorithm,
};
use retry_settings::{
    BACKOFF_NAMES, BREAKER_KEYS, BULKHEAD_KEYS, Backoff, BreakerConfigBuilder,
    BulkheadConfigBuilder, CHAOS_RATE_RULE, HedgeDelay, JITTER_NAMES, Jitter, Key, MAX_HEDGES,
    RATE_LIMIT_KEYS, RETRY_KEYS, RateLimitConfigBuilder, RetryPolicyBuilder, Value, find,
};
use retry_settings::{THROTTLE_KEYS, ThrottleConfig, ThrottleConfigBuilder};

use super::error::ConfigError;
use super::rules::{After, Choice, Count, CountOrSpan, Flag, Number, Span, SpanWithin, UpToAnHour};
use super::settings::Setting;
use crate::budget::{MAX_TOKENS, MIN_SHARE};

/// Declares the overrides of one section: a struct with an optional field per key, the list of
/// keys, the reading of a group of settings (each checked by its rule), and merging. Keys after
/// `per site` belong to each site and are refused with that reason.
macro_rules! overrides {
    ($(
        $(#[$doc:meta])*
        $name:ident in $section:literal $(per site $($site_key:literal)|+)? {
            $($key:ident: $type:ty = $rule:expr,)*
        }
    )*) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, Default)]
        pub(super) struct $name {
            $(pub(super) $key: Option<$type>,)*
        }

        impl $name {
            /// Its keys, in the order the documentation lists them.
            pub(super) const KEYS: &'static [&'static str] = &[$(stringify!($key)),*];

            /// The settings of one group, each checked. The first bad, unknown or repeated key
            /// is the error; since every key before it is a different known one, the search
            /// for a repeat looks at a dozen settings at most.
            pub(super) fn read(settings: &[Setting], origin: &str) -> Result<Self, ConfigError> {
                let mut read = Self::default();
                for (index, setting) in settings.iter().enumerate() {
                    if let Some(earlier) =
                        settings[..index].iter().find(|earlier| earlier.key == setting.key)
                    {
                        return Err(setting.duplicate_of(earlier, origin));
                    }
                    match setting.key.as_str() {
                        $(stringify!($key) => {
                            read.$key = Some(setting.read(&const { $rule }, origin)?);
                        })*
                        $($($site_key)|+ => {
                            return Err(setting.per_site($section, Self::KEYS, origin));
                        })?
                        _ => return Err(setting.unknown($section, Self::KEYS, origin)),
                    }
                }
                Ok(read)
            }

            /// The keys set that are the settings model's, with their values, in the order of
            /// the table.
            #[allow(dead_code, reason = "the budget's and the hedge's keys are set one by one")]
            pub(super) fn values(&self) -> Vec<(&'static str, Value)> {
                let mut values = Vec::new();
                $(if let Some(value) = self.$key.and_then(AsModelValue::as_model_value) {
                    values.push((stringify!($key), value));
                })*
                values
            }

            /// Both; where both set a key, `later`'s value.
            pub(super) fn merged_with(self, later: Self) -> Self {
                $name {
                    $($key: later.$key.or(self.$key),)*
                }
            }
        }
    )*};
}

overrides! {
    /// `[retry.name]`: a retry site's policy.
    RetryOverride in "retry" {
        max_attempts: u32 = Count {
            below: Some("must be at least 1 (it counts the first attempt)"),
            ..Count::of(retry("max_attempts"))
        },
        backoff: Backoff = Choice { noun: "backoff", options: BACKOFF_NAMES },
        // Zero is a valid delay; `delay <= max_delay` is checked by the site.
        delay: Duration = Span::of(retry("delay")),
        max_delay: Duration = Span::of(retry("max_delay")),
        factor: f64 = Number::of(
            retry("factor"),
            "an exponential factor is at least 1",
            "an exponential factor is finite and at least 1",
        ),
        jitter: Jitter = Choice { noun: "jitter", options: JITTER_NAMES },
        max_elapsed: Duration = Span::of(retry("max_elapsed")),
        attempt_timeout: Duration = Span::of(retry("attempt_timeout")),
    }

    /// `[breaker.name]`: a circuit breaker's settings.
    BreakerOverride in "breaker" {
        // 0 leaves tripping to the rates; whether one is set is checked by the breaker.
        failure_threshold: u32 = Count::of(breaker("failure_threshold")),
        failure_rate: f64 = Number::of(breaker("failure_rate"), RATE_RULE, RATE_RULE),
        // A count of calls or a duration: a site switches kind with it.
        window: Value = CountOrSpan::of(breaker("window")),
        // At most `window`, checked by the breaker, which knows its window.
        min_calls: u32 = Count::of(breaker("min_calls")),
        // Non-zero, as the attribute's `slow_call` (the builder would take zero).
        slow_call: Duration = Span::of(breaker("slow_call")),
        slow_call_rate: f64 = Number::of(breaker("slow_call_rate"), RATE_RULE, RATE_RULE),
        open_for: Duration = Span::of(breaker("open_for")),
        open_for_factor: f64 = Number::of(
            breaker("open_for_factor"),
            "it is at least 1",
            "it is finite and at least 1",
        ),
        max_open_for: Duration = Span::of(breaker("max_open_for")),
        half_open_calls: u32 = Count::of(breaker("half_open_calls")),
        half_open_timeout: Duration = Span::of(breaker("half_open_timeout")),
    }

    /// `[budget.name]`: a retry budget's settings.
    BudgetOverride in "budget" {
        share: f64 = Number {
            min: MIN_SHARE,
            min_excluded: false,
            max: MAX_TOKENS,
            or_zero: true,
            below: SHARE_RULE,
            above: SHARE_RULE,
        },
        min_per_second: f64 = Number {
            min: 0.0,
            min_excluded: false,
            max: MAX_TOKENS,
            or_zero: false,
            below: "it is at least 0",
            above: TOKENS_RULE,
        },
        // At least one retry's worth, as `BudgetConfig::validate`.
        cap: f64 = Number {
            min: 1.0,
            min_excluded: false,
            max: MAX_TOKENS,
            or_zero: false,
            below: "it is at least 1",
            above: TOKENS_RULE,
        },
    }

    /// `[bulkhead.name]`: a bulkhead's settings, shared by every site that names it.
    BulkheadOverride in "bulkhead" per site "max_wait" {
        max_concurrent: u32 = Count::of(bulkhead("max_concurrent")),
    }

    /// `[hedge.name]`: a hedge site's settings (by its name, `module::fn` unless given).
    HedgeOverride in "hedge" {
        after: HedgeDelay = After,
        // Bounds a quantile `after`; whether the `after` in effect is one is checked by the site.
        floor: Duration = UpToAnHour { key: "floor", what: "a hedge waits" },
        max_hedges: u32 = Count {
            min: 1,
            max: MAX_HEDGES,
            below: None,
        },
    }

    /// `[chaos.name]`: what a chaos point injects, shared by every site that names it. A
    /// section is the point's whole configuration: keys not given take `ChaosConfig::DEFAULT`'s
    /// values.
    ChaosOverride in "chaos" {
        fault_rate: f64 = CHAOS_RATE,
        latency: Duration = UpToAnHour { key: "latency", what: "injected latency lasts" },
        latency_rate: f64 = CHAOS_RATE,
        enabled: bool = Flag,
    }
    /// `[throttle.name]`: a throttle's settings, shared by every site that names it.
    ThrottleOverride in "throttle" {
        k: f64 = Number::of(throttle("k"), K_RULE, K_RULE),
        // The builder's bounds; the table's kind only says a duration.
        window: Duration = SpanWithin {
            min: ThrottleConfig::MIN_WINDOW,
            max: ThrottleConfig::MAX_WINDOW,
            rule: "a throttle counts over a second to an hour, such as \"2m\"",
        },
    }
    /// `[adaptive_limit.name]`: an adaptive limiter's settings, shared by every site that names
    /// it.
    AdaptiveLimitOverride in "adaptive_limit" per site "max_wait" {
        algorithm: LimitAlgorithm = Choice { noun: "algorithm", options: ALGORITHM_NAMES },
        // Their order (`min_limit <= initial_limit <= max_limit`) is checked with the site's.
        initial_limit: u32 = Count::of(adaptive_limit("initial_limit")),
        min_limit: u32 = Count::of(adaptive_limit("min_limit")),
        max_limit: u32 = Count::of(adaptive_limit("max_limit")),
    }

    /// `[rate_limit.name]`: a rate limiter's settings, shared by every site that names it.
    RateLimitOverride in "rate_limit" per site "max_wait" {
        per_second: u32 = Count::of(rate_limit("per_second")),
        // A `burst` not given follows a new `per_second` when it followed the old one.
        burst: u32 = Count::of(rate_limit("burst")),
    }
}

/// A key's value as the settings model's tables take it; `None` for one they do not hold.
trait AsModelValue: Copy {
    fn as_model_value(self) -> Option<Value>;
}

macro_rules! as_model_value {
    ($($type:ty),*) => {$(
        impl AsModelValue for $type {
            fn as_model_value(self) -> Option<Value> {
                Some(Value::from(self))
            }
        }
    )*};
}

as_model_value!(u32, f64, Duration, Backoff, Jitter);

/// Chaos's `enabled` has no key table: the loader builds a `ChaosConfig` itself.
impl AsModelValue for bool {
    fn as_model_value(self) -> Option<Value> {
        None
    }
}

impl AsModelValue for Value {
    fn as_model_value(self) -> Option<Value> {
        Some(self)
    }
}

/// The adaptive limiter's algorithm is set by its own builder method, not through the table.
impl AsModelValue for LimitAlgorithm {
    fn as_model_value(self) -> Option<Value> {
        None
    }
}

/// The hedge's `after` has no key table: its site sets it.
impl AsModelValue for HedgeDelay {
    fn as_model_value(self) -> Option<Value> {
        None
    }
}

/// The settings model's retry key `name`; a name it does not have fails the build.
const fn retry(name: &str) -> &'static Key<RetryPolicyBuilder> {
    match find(RETRY_KEYS, name) {
        Some(key) => key,
        None => panic!("not a retry key of the settings model"),
    }
}

/// The settings model's breaker key `name`; a name it does not have fails the build.
const fn breaker(name: &str) -> &'static Key<BreakerConfigBuilder> {
    match find(BREAKER_KEYS, name) {
        Some(key) => key,
        None => panic!("not a breaker key of the settings model"),
    }
}

/// The settings model's bulkhead key `name`; a name it does not have fails the build.
const fn bulkhead(name: &str) -> &'static Key<BulkheadConfigBuilder> {
    match find(BULKHEAD_KEYS, name) {
        Some(key) => key,
        None => panic!("not a bulkhead key of the settings model"),
    }
}

/// The settings model's adaptive limit key `name`; a name it does not have fails the build.
const fn adaptive_limit(name: &str) -> &'static Key<AdaptiveLimitConfigBuilder> {
    match find(ADAPTIVE_LIMIT_KEYS, name) {
        Some(key) => key,
        None => panic!("not an adaptive limit key of the settings model"),
    }
}

/// The settings model's rate limiter key `name`; a name it does not have fails the build.
const fn rate_limit(name: &str) -> &'static Key<RateLimitConfigBuilder> {
    match find(RATE_LIMIT_KEYS, name) {
        Some(key) => key,
        None => panic!("not a rate limiter key of the settings model"),
    }
}

/// The settings model's throttle key `name`; a name it does not have fails the build.
const fn throttle(name: &str) -> &'static Key<ThrottleConfigBuilder> {
    match find(THROTTLE_KEYS, name) {
        Some(key) => key,
        None => panic!("not a throttle key of the settings model"),
    }
}

/// What is said of a throttle's `k` out of its bounds.
const K_RULE: &str = "`k` is from 1 to 10 requests per accepted one";

/// What is said of a rate out of its bounds.
const RATE_RULE: &str = "a rate is above 0 and at most 1";

/// A chaos rate: from 0 to 1, both included, as `ChaosConfigBuilder::build` checks.
const CHAOS_RATE: Number = Number {
    min: 0.0,
    min_excluded: false,
    max: 1.0,
    or_zero: false,
    below: CHAOS_RATE_RULE,
    above: CHAOS_RATE_RULE,
};

/// Budgets keep their balance in an `i64` of thousandths of a token; the bounds are the budget's
/// own ([`MIN_SHARE`], [`MAX_TOKENS`]), and a test below checks the numbers in the messages.
#[cfg(test)]
const TOKEN_SCALE: i64 = 1000;

const SHARE_RULE: &str = "a share is 0 or from 0.001 to 9223372036854775; the budget counts thousandths of a token, so a smaller share would deposit nothing";

const TOKENS_RULE: &str = "it is at most 9223372036854775 (the most tokens a budget counts)";

#[cfg(test)]
mod tests {
    use retry_settings::{MAX_HALF_OPEN_CALLS, MAX_WINDOW};

    use super::*;
    use crate::budget::BudgetConfig;
    use crate::config::settings::Value;
    use crate::{BreakerConfig, RetryPolicy};

    fn setting(key: &str, value: Value) -> Setting {
        Setting {
            key: key.to_owned(),
            value,
            label: key.to_owned(),
        }
    }

    fn retry(key: &str, value: Value) -> Result<RetryOverride, ConfigError> {
        RetryOverride::read(&[setting(key, value)], "test")
    }

    fn breaker(key: &str, value: Value) -> Result<BreakerOverride, ConfigError> {
        BreakerOverride::read(&[setting(key, value)], "test")
    }

    fn budget(key: &str, value: Value) -> Result<BudgetOverride, ConfigError> {
        BudgetOverride::read(&[setting(key, value)], "test")
    }

    /// A breaker config that uses its window, so that `window` and `min_calls` are checked.
    fn rated() -> BreakerConfigBuilder {
        BreakerConfig::builder().failure_rate(0.5)
    }

    #[test]
    fn the_keys_are_the_settings_models_in_its_order() {
        fn names<B>(keys: &[Key<B>]) -> Vec<&str> {
            keys.iter().map(|key| key.name).collect()
        }
        assert_eq!(RetryOverride::KEYS, names(RETRY_KEYS));
        assert_eq!(BreakerOverride::KEYS, names(BREAKER_KEYS));
        assert_eq!(BulkheadOverride::KEYS, names(BULKHEAD_KEYS));
        assert_eq!(RateLimitOverride::KEYS, names(RATE_LIMIT_KEYS));
        // The algorithm first, then the table's limits.
        assert_eq!(AdaptiveLimitOverride::KEYS[0], "algorithm");
        assert_eq!(
            &AdaptiveLimitOverride::KEYS[1..],
            names(ADAPTIVE_LIMIT_KEYS)
        );
        assert_eq!(ThrottleOverride::KEYS, names(THROTTLE_KEYS));
    }

    #[test]
    fn throttle_bounds_are_the_builders() {
        let read = |key: &str, value: Value| ThrottleOverride::read(&[setting(key, value)], "test");
        for k in [1.0, 2.5, 10.0] {
            assert!(read("k", Value::Float(k)).is_ok(), "{k}");
            assert!(ThrottleConfig::builder().k(k).build().is_ok());
        }
        assert!(read("k", Value::Integer(3)).is_ok());
        for k in [0.99, 10.01, f64::NAN, f64::INFINITY] {
            assert!(read("k", Value::Float(k)).is_err(), "{k}");
            assert!(ThrottleConfig::builder().k(k).build().is_err(), "{k}");
        }
        let text = |text: &str| Value::Text(text.to_owned());
        for (window, valid) in [("1s", true), ("1h", true), ("999ms", false), ("61m", false)] {
            assert_eq!(read("window", text(window)).is_ok(), valid, "{window}");
            let length = retry_settings::duration::parse(window).unwrap();
            let built = ThrottleConfig::builder().window(length).build();
            assert_eq!(built.is_ok(), valid, "{window}");
        }
        let error = read("window", text("2h")).unwrap_err();
        assert_eq!(
            error.reason,
            "2h is out of range: a throttle counts over a second to an hour, such as \"2m\""
        );
        let error = read("k", Value::Float(0.5)).unwrap_err();
        assert_eq!(
            error.reason,
            "0.5 is out of range: `k` is from 1 to 10 requests per accepted one"
        );
    }

    #[test]
    fn limit_bounds_are_the_builders() {
        use retry_settings::{BulkheadConfig, MAX_BURST, MAX_CONCURRENT, MAX_PER_SECOND};
        let bulkhead = |value: u32| {
            let setting = setting("max_concurrent", Value::Integer(value.into()));
            BulkheadOverride::read(&[setting], "test").is_ok()
        };
        for (value, valid) in [(0, false), (1, true), (MAX_CONCURRENT, true)]
            .into_iter()
            .chain([(MAX_CONCURRENT + 1, false)])
        {
            assert_eq!(bulkhead(value), valid, "max_concurrent = {value}");
            assert_eq!(BulkheadConfig::new(value).is_ok(), valid);
        }
        for (key, max) in [("per_second", MAX_PER_SECOND), ("burst", MAX_BURST)] {
            let read = |value: u32| {
                let setting = setting(key, Value::Integer(value.into()));
                RateLimitOverride::read(&[setting], "test").is_ok()
            };
            assert!(read(1) && read(max), "{key}");
            assert!(!read(0) && !read(max + 1), "{key}");
        }
    }

    #[test]
    fn max_wait_is_refused_as_a_sites_own() {
        let settings = [setting("max_wait", Value::Text("1s".to_owned()))];
        let error = BulkheadOverride::read(&settings, "test").unwrap_err();
        assert!(error.reason.starts_with("`max_wait` belongs to each site (`#[bulkhead(max_wait = ...)]`), not to the named bulkhead"), "{error}");
        assert!(
            error
                .reason
                .ends_with("the key of `bulkhead` is max_concurrent"),
            "{error}"
        );
        let error = RateLimitOverride::read(&settings, "test").unwrap_err();
        assert!(
            error.reason.contains("not to the named rate limiter"),
            "{error}"
        );
        assert!(
            error
                .reason
                .ends_with("the keys of `rate_limit` are per_second and burst"),
            "{error}"
        );
    }

    #[test]
    fn a_window_is_a_count_or_a_duration() {
        let window = |value| breaker("window", value).map(|read| read.window);
        assert!(matches!(
            window(Value::Integer(20)),
            Ok(Some(retry_settings::Value::Count(20)))
        ));
        let timed = window(Value::Text("10s".to_owned())).unwrap();
        assert!(
            matches!(timed, Some(retry_settings::Value::Duration(length)) if length == Duration::from_secs(10))
        );
        assert!(window(Value::Text("10ns".to_owned())).is_ok());
        let short = window(Value::Text("9ns".to_owned())).unwrap_err();
        assert!(
            short
                .reason
                .contains("too short to split into its ten buckets"),
            "{short}"
        );
        let float = window(Value::Float(2.5)).unwrap_err();
        assert_eq!(
            float.reason,
            "expected a whole number of calls (such as 20) or a duration string (such as \"10s\"), found the number 2.5"
        );
        assert!(window(Value::Integer(0)).is_err());
    }

    #[test]
    fn count_bounds_are_the_breaker_builders() {
        for (key, min, max) in [
            ("window", 1, MAX_WINDOW),
            ("min_calls", 1, MAX_WINDOW),
            ("half_open_calls", 1, MAX_HALF_OPEN_CALLS),
        ] {
            let build = |value: u32| {
                let builder = match key {
                    "window" => rated().window(value),
                    "min_calls" => rated().window(MAX_WINDOW).min_calls(value),
                    _ => rated().half_open_calls(value),
                };
                builder.build()
            };
            for value in [min, max] {
                assert!(
                    breaker(key, Value::Integer(value.into())).is_ok(),
                    "{key} = {value}"
                );
                assert!(build(value).is_ok(), "{key} = {value}");
            }
            assert!(breaker(key, Value::Integer((max + 1).into())).is_err());
            assert!(build(max + 1).is_err(), "{key} = {}", max + 1);
            assert!(breaker(key, Value::Integer((min - 1).into())).is_err());
        }
        // min_calls = 0 means "as window" to the builder; written out, it is refused.
        assert!(breaker("failure_threshold", Value::Integer(0)).is_ok());
        assert!(
            BreakerConfig::builder()
                .failure_threshold(u32::MAX)
                .build()
                .is_ok()
        );
    }

    #[test]
    fn rate_and_factor_bounds_are_the_builders() {
        for rate in [f64::MIN_POSITIVE, 0.5, 1.0] {
            assert!(breaker("failure_rate", Value::Float(rate)).is_ok());
            assert!(BreakerConfig::builder().failure_rate(rate).build().is_ok());
        }
        for rate in [0.0, -0.1, 1.0 + f64::EPSILON, f64::NAN, f64::INFINITY] {
            assert!(
                breaker("failure_rate", Value::Float(rate)).is_err(),
                "{rate}"
            );
            assert!(
                BreakerConfig::builder().failure_rate(rate).build().is_err(),
                "{rate}"
            );
        }
        for factor in [1.0, 2.5, f64::MAX] {
            assert!(retry("factor", Value::Float(factor)).is_ok());
            assert!(breaker("open_for_factor", Value::Float(factor)).is_ok());
            let policy = RetryPolicy::builder().backoff(Backoff::Exponential { factor });
            assert!(policy.build().is_ok());
            assert!(
                BreakerConfig::builder()
                    .open_for_factor(factor)
                    .build()
                    .is_ok()
            );
        }
        for factor in [0.99, -1.0, f64::INFINITY, f64::NAN] {
            assert!(retry("factor", Value::Float(factor)).is_err(), "{factor}");
            assert!(breaker("open_for_factor", Value::Float(factor)).is_err());
            let policy = RetryPolicy::builder().backoff(Backoff::Exponential { factor });
            assert!(policy.build().is_err(), "{factor}");
            let config = BreakerConfig::builder().open_for_factor(factor);
            assert!(config.build().is_err(), "{factor}");
        }
    }

    #[test]
    fn attempt_and_duration_bounds_are_the_retry_builders() {
        assert!(retry("max_attempts", Value::Integer(0)).is_err());
        assert!(RetryPolicy::builder().max_attempts(0).build().is_err());
        assert!(retry("max_attempts", Value::Integer(u32::MAX.into())).is_ok());
        assert!(
            RetryPolicy::builder()
                .max_attempts(u32::MAX)
                .build()
                .is_ok()
        );
        let text = |text: &str| Value::Text(text.to_owned());
        for key in ["max_elapsed", "attempt_timeout"] {
            assert!(retry(key, text("0s")).is_err());
            assert!(retry(key, text("1ns")).is_ok());
            assert!(retry(key, text("18446744073.709551615s")).is_ok());
            assert!(retry(key, text("18446744073.709551616s")).is_err());
        }
        assert!(
            RetryPolicy::builder()
                .max_elapsed(Duration::ZERO)
                .build()
                .is_err()
        );
        assert!(
            RetryPolicy::builder()
                .max_elapsed(Duration::from_nanos(u64::MAX))
                .build()
                .is_ok()
        );
        assert!(retry("delay", text("0s")).is_ok());
    }

    #[test]
    fn budget_bounds_are_what_the_budget_counts() {
        let valid = |config: BudgetConfig| config.validate().is_ok();
        for (key, low, high) in [
            ("share", MIN_SHARE, MAX_TOKENS),
            ("min_per_second", 0.0, MAX_TOKENS),
            ("cap", 1.0, MAX_TOKENS),
        ] {
            for value in [low, high] {
                assert!(budget(key, Value::Float(value)).is_ok(), "{key} = {value}");
            }
            assert!(budget(key, Value::Float(high * 1.01)).is_err(), "{key}");
            assert!(budget(key, Value::Float(f64::INFINITY)).is_err(), "{key}");
            assert!(budget(key, Value::Float(low - 0.0001)).is_err(), "{key}");
        }
        assert!(budget("share", Value::Integer(0)).is_ok());
        // What the loader takes, `BudgetConfig::validate` takes.
        let config = BudgetConfig {
            share: MIN_SHARE,
            min_per_second: MAX_TOKENS,
            cap: 1.0,
        };
        assert!(valid(config));
        assert!(!valid(BudgetConfig {
            cap: 0.999,
            ..config
        }));
        // Through the budget's own arithmetic: the smallest share deposits a thousandth of a
        // token; a share below it, which would deposit nothing, the budget refuses too.
        assert!(
            crate::budget::register_budget(
                "config-below-min-share",
                BudgetConfig {
                    share: 0.0004,
                    min_per_second: 0.0,
                    cap: 1.0
                }
            )
            .is_err()
        );
        let config = BudgetConfig {
            share: MIN_SHARE,
            min_per_second: 0.0,
            cap: 1.0,
        };
        let budget = crate::budget::register_budget("config-min-share", config).unwrap();
        budget.deposit();
        assert!((budget.counts().balance - 0.001).abs() < f64::EPSILON);
        #[allow(clippy::cast_precision_loss)]
        let limit = (i64::MAX / TOKEN_SCALE) as f64;
        assert!((MAX_TOKENS - limit).abs() < 1.0);
        assert!(SHARE_RULE.contains(&format!("{}", i64::MAX / TOKEN_SCALE)));
        assert!(TOKENS_RULE.contains(&format!("{}", i64::MAX / TOKEN_SCALE)));
    }

    #[test]
    fn chaos_bounds_are_the_builders() {
        use retry_settings::{CHAOS_KEYS, ChaosConfig, MAX_CHAOS_LATENCY};
        let chaos = |key: &str, value: Value| ChaosOverride::read(&[setting(key, value)], "test");
        assert_eq!(ChaosOverride::KEYS, CHAOS_KEYS);
        for key in ["fault_rate", "latency_rate"] {
            for (rate, valid) in [
                (0.0, true),
                (1.0, true),
                (-0.01, false),
                (1.0 + f64::EPSILON, false),
                (f64::NAN, false),
            ] {
                assert_eq!(
                    chaos(key, Value::Float(rate)).is_ok(),
                    valid,
                    "{key} = {rate}"
                );
                let builder = match key {
                    "fault_rate" => ChaosConfig::builder().fault_rate(rate),
                    _ => ChaosConfig::builder().latency_rate(rate),
                };
                assert_eq!(builder.build().is_ok(), valid, "{key} = {rate}");
            }
        }
        let latency = |text: &str| chaos("latency", Value::Text(text.to_owned()));
        assert!(latency("0s").is_ok() && latency("1h").is_ok());
        assert!(latency("3600000000001ns").is_err());
        let builder = |latency| ChaosConfig::builder().latency(latency).build();
        assert!(builder(MAX_CHAOS_LATENCY).is_ok());
        assert!(builder(MAX_CHAOS_LATENCY + Duration::from_nanos(1)).is_err());
        let enabled = |value| chaos("enabled", value).map(|read| read.enabled);
        assert_eq!(enabled(Value::Boolean(false)), Ok(Some(false)));
        assert_eq!(enabled(Value::Text("TRUE".to_owned())), Ok(Some(true)));
        assert!(enabled(Value::Integer(1)).is_err());
    }

    #[test]
    fn a_repeated_key_is_an_error_naming_it() {
        let settings = [
            setting("delay", Value::Text("1s".to_owned())),
            setting("delay", Value::Text("1s".to_owned())),
        ];
        let error = RetryOverride::read(&settings, "test").unwrap_err();
        assert_eq!(error.key, "delay");
        assert!(error.reason.starts_with("duplicate key"), "{error}");
    }
}
