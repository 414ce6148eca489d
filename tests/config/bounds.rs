//! Every value has a lower and an upper bound, checked when the overrides are loaded, and they
//! are the limits the builders apply: a value the loader takes is never dropped with a warning at
//! the first call for being out of range, and a value the builders refuse is a load error naming
//! the key, the value and the range.
#![cfg(feature = "config")]

use retry_runtime::config::Overrides;
use std::time::Duration;

use retry_runtime::{
    BreakerConfig, BudgetConfig, BulkheadConfig, MAX_BURST, MAX_CONCURRENT, MAX_HALF_OPEN_CALLS,
    MAX_PER_SECOND, MAX_WINDOW, RateLimitConfig, budget, register_breaker, register_budget,
    register_bulkhead, register_rate_limiter,
};

fn rejection(text: &str) -> String {
    Overrides::from_toml(text, "app.toml")
        .unwrap_err()
        .to_string()
}

#[test]
fn counts_above_what_a_breaker_holds_are_rejected_at_load() {
    for (key, value, max) in [
        ("window", 4_294_967_295_u64, MAX_WINDOW),
        ("window", u64::from(MAX_WINDOW) + 1, MAX_WINDOW),
        ("min_calls", 4_294_967_295, MAX_WINDOW),
        ("half_open_calls", 70_000, MAX_HALF_OPEN_CALLS),
        (
            "half_open_calls",
            u64::from(MAX_HALF_OPEN_CALLS) + 1,
            MAX_HALF_OPEN_CALLS,
        ),
    ] {
        assert_eq!(
            rejection(&format!("[breaker.db]\n{key} = {value}")),
            format!(
                "app.toml: `breaker.db.{key}`: {value} is out of range: a whole number from 1 to {max}"
            ),
        );
    }
}

#[test]
fn counts_beyond_what_a_bulkhead_or_rate_limiter_holds_are_rejected_at_load() {
    for (section, key, max) in [
        ("bulkhead", "max_concurrent", MAX_CONCURRENT),
        ("rate_limit", "per_second", MAX_PER_SECOND),
        ("rate_limit", "burst", MAX_BURST),
    ] {
        for value in [0, u64::from(max) + 1, 4_294_967_296] {
            assert_eq!(
                rejection(&format!("[{section}.db]\n{key} = {value}")),
                format!(
                    "app.toml: `{section}.db.{key}`: {value} is out of range: a whole number from 1 to {max}"
                ),
            );
        }
        assert!(
            rejection(&format!("[{section}.db]\n{key} = -1")).contains("-1 is out of range"),
            "{key}"
        );
    }
    // The loader's bounds are the builders'.
    assert!(BulkheadConfig::new(MAX_CONCURRENT).is_ok());
    assert!(BulkheadConfig::new(MAX_CONCURRENT + 1).is_err());
    assert!(RateLimitConfig::new(MAX_PER_SECOND, MAX_BURST).is_ok());
    assert!(RateLimitConfig::new(MAX_PER_SECOND + 1, 1).is_err());
    assert!(RateLimitConfig::new(1, MAX_BURST + 1).is_err());
}

#[test]
fn a_time_window_is_at_least_ten_nanoseconds_and_at_most_what_the_runtime_counts() {
    assert!(rejection("[breaker.db]\nwindow = \"9ns\"").contains("too short"));
    assert!(rejection("[breaker.db]\nwindow = \"0s\"").contains("too short"));
    assert!(
        rejection("[breaker.db]\nwindow = \"18446744073.709551616s\"")
            .contains("`breaker.db.window`")
    );
    let builder = BreakerConfig::builder().failure_rate(0.5);
    assert!(
        builder
            .time_window(Duration::from_nanos(10))
            .build()
            .is_ok()
    );
    assert!(
        builder
            .time_window(Duration::from_nanos(9))
            .build()
            .is_err()
    );
}

#[test]
fn counts_above_a_u32_are_rejected_with_their_range() {
    assert_eq!(
        rejection("[retry.fetch]\nmax_attempts = 4294967296"),
        "app.toml: `retry.fetch.max_attempts`: 4294967296 is out of range: a whole number from 1 to 4294967295",
    );
    assert_eq!(
        rejection("[breaker.db]\nfailure_threshold = -1"),
        "app.toml: `breaker.db.failure_threshold`: -1 is out of range: a whole number from 0 to 4294967295",
    );
    // JSON integers beyond i64 too.
    let json = Overrides::from_json(
        r#"{"breaker": {"db": {"window": 18446744073709551615}}}"#,
        "app.json",
    )
    .unwrap_err();
    assert_eq!(
        json.to_string(),
        format!(
            "app.json: `breaker.db.window`: 18446744073709551615 is out of range: a whole number from 1 to {MAX_WINDOW}"
        )
    );
}

#[test]
fn durations_beyond_what_the_runtime_counts_are_rejected() {
    // The runtime counts durations in u64 nanoseconds: 18446744073.709551615 s at most.
    Overrides::from_toml(
        "[retry.fetch]\nmax_elapsed = \"18446744073.709551615s\"",
        "app.toml",
    )
    .unwrap();
    let message = rejection("[retry.fetch]\nmax_elapsed = \"18446744073.709551616s\"");
    assert!(
        message.starts_with(
            "app.toml: `retry.fetch.max_elapsed`: \"18446744073.709551616s\" is too long"
        ),
        "{message}"
    );
    assert!(message.contains("584 years"), "{message}");
}

#[test]
fn numbers_out_of_range_are_shown_short() {
    assert_eq!(
        rejection("[budget.api]\ncap = 1e300"),
        "app.toml: `budget.api.cap`: 1e300 is out of range: it is at most 9223372036854775 (the most tokens a budget counts)",
    );
    assert_eq!(
        rejection("[retry.fetch]\nfactor = inf"),
        "app.toml: `retry.fetch.factor`: inf is out of range: an exponential factor is finite and at least 1",
    );
    assert_eq!(
        rejection("[breaker.db]\nfailure_rate = nan"),
        "app.toml: `breaker.db.failure_rate`: NaN is out of range: a rate is above 0 and at most 1",
    );
}

#[test]
fn budget_shares_too_small_to_count_are_rejected() {
    assert_eq!(
        rejection("[budget.api]\nshare = 0.0004"),
        "app.toml: `budget.api.share`: 0.0004 is out of range: a share is 0 or from 0.001 to 9223372036854775; the budget counts thousandths of a token, so a smaller share would deposit nothing",
    );
    assert!(rejection("[budget.api]\nshare = 0.0009").contains("0.0009 is out of range"));
    assert!(rejection("[budget.api]\nshare = 1e16").contains("10000000000000000 is out of range"));
    assert!(rejection("[budget.api]\nmin_per_second = -0.5").contains("-0.5 is out of range"));
    for share in ["0", "0.0", "0.001", "0.2", "1", "1000"] {
        Overrides::from_toml(&format!("[budget.api]\nshare = {share}"), "app.toml").unwrap();
    }
}

/// The largest values the loader takes reach the breaker and the budget as they are: the
/// builders take them too.
#[test]
fn the_extreme_values_the_loader_takes_are_applied() {
    crate::installed();
    let breaker = register_breaker("bounds-db", BreakerConfig::DEFAULT);
    let config = breaker.config();
    assert_eq!(config.window(), MAX_WINDOW);
    assert_eq!(config.min_calls(), MAX_WINDOW);
    assert_eq!(config.half_open_calls(), MAX_HALF_OPEN_CALLS);
    assert_eq!(config.failure_threshold(), u32::MAX);
    assert_eq!(config.open_for(), Duration::from_nanos(u64::MAX));
    let rated = BreakerConfig::builder().failure_rate(0.5).build().unwrap();
    let timed = register_breaker("bounds-timed", rated);
    assert_eq!(
        timed.config().time_window(),
        Some(Duration::from_nanos(u64::MAX))
    );
    let bulkhead = register_bulkhead("bounds-db", BulkheadConfig::DEFAULT);
    assert_eq!(bulkhead.max_concurrent(), MAX_CONCURRENT);
    let limiter = register_rate_limiter("bounds-api", RateLimitConfig::new(1, 1).unwrap());
    assert_eq!(
        (limiter.config().per_second(), limiter.config().burst()),
        (MAX_PER_SECOND, MAX_BURST)
    );
    register_budget("bounds-api", BudgetConfig::DEFAULT).unwrap();
    assert_eq!(
        *budget("bounds-api").unwrap().config(),
        BudgetConfig {
            share: 0.001,
            min_per_second: 0.0,
            cap: 1.0
        }
    );
}

/// This module's overrides, merged with every other module's by [`crate::installed`].
pub(crate) fn overrides() -> Overrides {
    Overrides::from_toml(
        &format!(
            r#"
            [breaker.bounds-db]
            failure_threshold = 4294967295
            failure_rate = 1
            window = {MAX_WINDOW}
            min_calls = {MAX_WINDOW}
            half_open_calls = {MAX_HALF_OPEN_CALLS}
            open_for = "18446744073.709551615s"
            max_open_for = "18446744073.709551615s"

            [breaker.bounds-timed]
            window = "18446744073.709551615s"

            [budget.bounds-api]
            share = 0.001
            min_per_second = 0
            cap = 1

            [bulkhead.bounds-db]
            max_concurrent = {MAX_CONCURRENT}

            [rate_limit.bounds-api]
            per_second = {MAX_PER_SECOND}
            burst = {MAX_BURST}
            "#
        ),
        "bounds.toml",
    )
    .unwrap()
}
