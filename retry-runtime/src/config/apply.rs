//! Installing overrides once per process, and applying them to each site, breaker, budget,
//! bulkhead and rate limiter when it first runs, through the runtime's own builders.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, OnceLock, PoisonError};

use super::Overrides;
use super::error::ConfigError;
use super::keys::{
    AdaptiveLimitOverride, BreakerOverride, BudgetOverride, BulkheadOverride, ChaosOverride,
    HedgeOverride, RateLimitOverride, RetryOverride, ThrottleOverride,
};
use super::settings::{Name, Section, environment_form};
use retry_settings::{ADAPTIVE_LIMIT_KEYS, AdaptiveLimitConfig};
use retry_settings::{
    BREAKER_KEYS, BULKHEAD_KEYS, ChaosConfig, HedgeConfig, HedgeDelay, Key, RATE_LIMIT_KEYS,
    RETRY_KEYS, RateLimitConfig, Value, find,
};

use crate::budget::BudgetConfig;
use crate::retry::policy::RetryPolicy;
use crate::{Backoff, BreakerConfig, BreakerConfigBuilder, BulkheadConfig};

static INSTALLED: OnceLock<Overrides> = OnceLock::new();
static USED: OnceLock<Mutex<HashSet<(Section, Name)>>> = OnceLock::new();

/// Makes `overrides` apply to every site, breaker, budget, bulkhead and rate limiter that has
/// not run yet. Once per process, at start-up.
///
/// # Errors
/// A [`ConfigError`] if overrides are already installed.
pub fn install(overrides: Overrides) -> Result<(), ConfigError> {
    crate::retry::policy::OVERRIDE.install(|name, compiled| retry_policy(name, &compiled));
    crate::breaker::registry::OVERRIDE.install(breaker_config);
    crate::budget::OVERRIDE.install(budget_config);
    crate::bulkhead::registry::OVERRIDE.install(bulkhead_config);
    crate::rate_limit::registry::OVERRIDE.install(rate_limit_config);
    crate::hedge::registry::OVERRIDE.install(hedge_config);
    crate::chaos::registry::OVERRIDE.install(chaos_config);
    // A section that injects anything wakes every `#[chaos]` site up, to find its own.
    let arms = overrides
        .chaos
        .values()
        .any(|section| section.enabled != Some(false));
    crate::throttle::registry::OVERRIDE.install(throttle_config);
    crate::adaptive_limit::registry::OVERRIDE.install(adaptive_limit_config);
    INSTALLED.set(overrides).map_err(|_| {
        ConfigError::new(
            "install",
            "",
            "overrides are already installed; install them once, at start-up",
        )
    })?;
    if arms {
        crate::chaos::registry::arm();
    }
    Ok(())
}

/// Names in the installed overrides that no site, breaker, budget, bulkhead or rate limiter has
/// used yet: after a warm-up, these are likely misspelt.
pub fn unmatched() -> Vec<String> {
    let Some(overrides) = INSTALLED.get() else {
        return Vec::new();
    };
    let used = USED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let sections = [
        (Section::Retry, overrides.retry.keys().collect::<Vec<_>>()),
        (Section::Breaker, overrides.breaker.keys().collect()),
        (Section::Budget, overrides.budget.keys().collect()),
        (Section::Bulkhead, overrides.bulkhead.keys().collect()),
        (Section::RateLimit, overrides.rate_limit.keys().collect()),
        (Section::Hedge, overrides.hedge.keys().collect()),
        (Section::Chaos, overrides.chaos.keys().collect()),
        (Section::Throttle, overrides.throttle.keys().collect()),
        (
            Section::AdaptiveLimit,
            overrides.adaptive_limit.keys().collect(),
        ),
    ];
    let mut unmatched = Vec::new();
    for (section, names) in sections {
        for name in names {
            if !used.contains(&(section, name.clone())) {
                unmatched.push(format!("{}.{}", section.name(), name.as_written()));
            }
        }
    }
    unmatched
}

/// The installed overrides for `name` in `section`, merged in the order they apply: by exact
/// name (files), then by its environment form, so that environment variables win key by key.
fn overrides_for<T: Clone>(
    section: Section,
    map: fn(&Overrides) -> &BTreeMap<Name, T>,
    name: &str,
    merge: fn(T, T) -> T,
) -> Option<T> {
    let map = map(INSTALLED.get()?);
    let mut used = USED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let mut merged: Option<T> = None;
    for key in [
        Name::Exact(name.to_owned()),
        Name::Environment(environment_form(name)),
    ] {
        if let Some(found) = map.get(&key) {
            let found = found.clone();
            merged = Some(match merged {
                Some(earlier) => merge(earlier, found),
                None => found,
            });
            used.insert((section, key));
        }
    }
    merged
}

/// The policy a retry site runs with: its own, with any override applied.
pub(crate) fn retry_policy(name: &'static str, compiled: &RetryPolicy) -> RetryPolicy {
    let Some(found) = overrides_for(
        Section::Retry,
        |overrides| &overrides.retry,
        name,
        RetryOverride::merged_with,
    ) else {
        return *compiled;
    };
    apply_retry(&found, compiled).unwrap_or_else(|reason| {
        tracing::warn!(
            target: crate::TRACING_TARGET,
            name,
            %reason,
            "the configured override does not fit this retry site; it keeps its compiled-in policy"
        );
        *compiled
    })
}

/// `compiled` with `found` applied through the settings model's keys table, as the attribute
/// sets its keys: a key added to the table and to `RetryOverride` needs nothing here.
fn apply_retry(found: &RetryOverride, compiled: &RetryPolicy) -> Result<RetryPolicy, String> {
    let start = compiled
        .settings()
        .to_builder()
        .backoff(backoff(found, compiled.backoff())?);
    let values = found.values().into_iter();
    // Both decided together, above.
    let values = values.filter(|(key, _)| !matches!(*key, "backoff" | "factor"));
    set_all(RETRY_KEYS, start, values)
        .build()
        .map(RetryPolicy::from_settings)
        .map_err(|error| error.to_string())
}

/// `start` with every key of `values` set, in order, through the table `keys`.
fn set_all<B: Copy>(
    keys: &'static [Key<B>],
    start: B,
    values: impl IntoIterator<Item = (&'static str, Value)>,
) -> B {
    values
        .into_iter()
        .fold(start, |builder, value| set(keys, builder, value))
}

/// `builder` with the key called `name` set to `value`, through the table `keys`. The override
/// types have the table's keys and kinds (the tests in `keys.rs` hold them together).
fn set<B: Copy>(keys: &'static [Key<B>], builder: B, (name, value): (&str, Value)) -> B {
    let set = find(keys, name).and_then(|key| key.apply(builder, value));
    debug_assert!(set.is_some(), "`{name}` is a key of the table, of its kind");
    set.unwrap_or(builder)
}

/// The backoff after `found`: `backoff` replaces the kind and `factor` the factor of an
/// exponential one; what is not given stays as compiled. An exponential backoff named without a
/// factor, here or at the site, has the one the name stands for (the default policy's, as in the
/// attribute).
fn backoff(found: &RetryOverride, compiled: Backoff) -> Result<Backoff, String> {
    let compiled_factor = match compiled {
        Backoff::Exponential { factor } => Some(factor),
        _ => None,
    };
    let named = match (found.backoff, found.factor, compiled_factor) {
        (None, None, _) => return Ok(compiled),
        (Some(named), _, _) => named,
        (None, Some(_), Some(factor)) => Backoff::Exponential { factor },
        (None, Some(_), None) => {
            return Err(
                "`factor` only applies to exponential backoff, and this site's is not; add `backoff = \"exponential\"`"
                    .to_owned(),
            );
        }
    };
    match named {
        Backoff::Exponential { factor: named } => Ok(Backoff::Exponential {
            factor: found.factor.or(compiled_factor).unwrap_or(named),
        }),
        _ if found.factor.is_some() => Err(
            "`factor` only applies to `backoff = \"exponential\"`; remove `factor` or use exponential backoff"
                .to_owned(),
        ),
        other => Ok(other),
    }
}

/// The settings a breaker is created with: the site's, with any override applied.
pub(crate) fn breaker_config(name: &'static str, compiled: BreakerConfig) -> BreakerConfig {
    let Some(found) = overrides_for(
        Section::Breaker,
        |overrides| &overrides.breaker,
        name,
        BreakerOverride::merged_with,
    ) else {
        return compiled;
    };
    apply_breaker(&found, &compiled)
        .build()
        .unwrap_or_else(|error| {
            tracing::warn!(
                target: crate::TRACING_TARGET,
                name,
                %error,
                "the configured override does not fit this circuit breaker; it keeps its compiled-in settings"
            );
            compiled
        })
}

/// `compiled` with `found` applied through the settings model's keys table.
fn apply_breaker(found: &BreakerOverride, compiled: &BreakerConfig) -> BreakerConfigBuilder {
    let mut builder = compiled.to_builder();
    // A new window (a count or a duration) with no min_calls of its own: min_calls follows it,
    // if it followed the old one.
    if found.window.is_some()
        && found.min_calls.is_none()
        && compiled.min_calls() == compiled.default_min_calls()
    {
        builder = builder.min_calls(0);
    }
    set_all(BREAKER_KEYS, builder, found.values())
}

/// The settings a bulkhead is created with: the site's (or `register_bulkhead`'s), with any
/// override applied.
pub(crate) fn bulkhead_config(name: &'static str, compiled: BulkheadConfig) -> BulkheadConfig {
    let Some(found) = overrides_for(
        Section::Bulkhead,
        |overrides| &overrides.bulkhead,
        name,
        BulkheadOverride::merged_with,
    ) else {
        return compiled;
    };
    // Every value is within the table's bounds, which are the builder's only checks.
    set_all(BULKHEAD_KEYS, compiled.to_builder(), found.values())
        .build()
        .unwrap_or(compiled)
}

/// The settings a rate limiter is created with: the site's (or `register_rate_limiter`'s),
/// with any override applied. A `burst` that followed `per_second` at the site follows an
/// overridden `per_second`, unless the override gives a `burst` of its own.
pub(crate) fn rate_limit_config(name: &'static str, compiled: RateLimitConfig) -> RateLimitConfig {
    let Some(mut found) = overrides_for(
        Section::RateLimit,
        |overrides| &overrides.rate_limit,
        name,
        RateLimitOverride::merged_with,
    ) else {
        return compiled;
    };
    if found.burst.is_none() && compiled.burst() == compiled.per_second() {
        found.burst = found.per_second;
    }
    // Every value is within the table's bounds, which are the builder's only checks.
    set_all(RATE_LIMIT_KEYS, compiled.to_builder(), found.values())
        .build()
        .unwrap_or(compiled)
}

/// The settings an adaptive limiter is created with: the site's (or
/// `register_adaptive_limiter`'s), with any override applied. Limits out of order with the
/// site's own (a `min_limit` above its `initial_limit`) are a warning, and the site keeps its
/// settings.
pub(crate) fn adaptive_limit_config(
    name: &'static str,
    compiled: AdaptiveLimitConfig,
) -> AdaptiveLimitConfig {
    let Some(found) = overrides_for(
        Section::AdaptiveLimit,
        |overrides| &overrides.adaptive_limit,
        name,
        AdaptiveLimitOverride::merged_with,
    ) else {
        return compiled;
    };
    let start = compiled
        .to_builder()
        .algorithm(found.algorithm.unwrap_or(compiled.algorithm()));
    set_all(ADAPTIVE_LIMIT_KEYS, start, found.values())
        .build()
        .unwrap_or_else(|error| {
            tracing::warn!(
                target: crate::TRACING_TARGET,
                name,
                %error,
                "the configured override does not fit this adaptive limiter; it keeps its compiled-in settings"
            );
            compiled
        })
}

/// The settings a hedge site is created with: the site's, with any override applied. A
/// quantile `after` keeps the site's floor unless the override gives one; a `floor` for an
/// `after` that is fixed, like any invalid combination, is a warning, and the site keeps its
/// settings.
pub(crate) fn hedge_config(name: &'static str, compiled: HedgeConfig) -> HedgeConfig {
    let Some(found) = overrides_for(
        Section::Hedge,
        |overrides| &overrides.hedge,
        name,
        HedgeOverride::merged_with,
    ) else {
        return compiled;
    };
    let after = match (found.after, compiled.after()) {
        (Some(after @ HedgeDelay::Quantile { .. }), HedgeDelay::Quantile { floor, .. }) => {
            after.with_floor(floor)
        }
        (overridden, after) => Ok(overridden.unwrap_or(after)),
    };
    let after = match (after, found.floor) {
        (Ok(after), Some(floor)) => after.with_floor(floor),
        (after, _) => after,
    };
    let config = after.and_then(|after| {
        HedgeConfig::new(after, found.max_hedges.unwrap_or(compiled.max_hedges()))
    });
    config.unwrap_or_else(|error| {
        tracing::warn!(target: crate::TRACING_TARGET, name, reason = %error, "the configured hedge override does not fit this site; keeping the site's settings");
        compiled
    })
}

/// The settings a chaos point starts with: its `[chaos.NAME]` section, over
/// [`ChaosConfig::DEFAULT`], or `compiled` (none) without one. Every value was checked when
/// loaded, and no value depends on another, so the builder takes them.
pub(crate) fn chaos_config(
    name: &'static str,
    compiled: Option<ChaosConfig>,
) -> Option<ChaosConfig> {
    let Some(found) = overrides_for(
        Section::Chaos,
        |overrides| &overrides.chaos,
        name,
        ChaosOverride::merged_with,
    ) else {
        return compiled;
    };
    let start = compiled.unwrap_or(ChaosConfig::DEFAULT).to_builder();
    let builder = found
        .fault_rate
        .map_or(start, |rate| start.fault_rate(rate));
    let builder = found
        .latency
        .map_or(builder, |latency| builder.latency(latency));
    let builder = found
        .latency_rate
        .map_or(builder, |rate| builder.latency_rate(rate));
    let builder = found
        .enabled
        .map_or(builder, |enabled| builder.enabled(enabled));
    builder.build().map_or(compiled, Some)
}
/// The settings a throttle is created with: the site's (or `register_throttle`'s), with any
/// override applied.
pub(crate) fn throttle_config(
    name: &'static str,
    compiled: retry_settings::ThrottleConfig,
) -> retry_settings::ThrottleConfig {
    let Some(found) = overrides_for(
        Section::Throttle,
        |overrides| &overrides.throttle,
        name,
        ThrottleOverride::merged_with,
    ) else {
        return compiled;
    };
    // Every value is within the builder's bounds, its only checks.
    set_all(
        retry_settings::THROTTLE_KEYS,
        compiled.to_builder(),
        found.values(),
    )
    .build()
    .unwrap_or(compiled)
}

/// The settings a budget is created with.
pub(crate) fn budget_config(name: &'static str, compiled: BudgetConfig) -> BudgetConfig {
    let Some(found) = overrides_for(
        Section::Budget,
        |overrides| &overrides.budget,
        name,
        BudgetOverride::merged_with,
    ) else {
        return compiled;
    };
    let config = BudgetConfig {
        share: found.share.unwrap_or(compiled.share),
        min_per_second: found.min_per_second.unwrap_or(compiled.min_per_second),
        cap: found.cap.unwrap_or(compiled.cap),
    };
    match config.validate() {
        Ok(()) => config,
        Err(reason) => {
            tracing::warn!(target: crate::TRACING_TARGET, name, %reason, "the configured budget override is invalid; keeping the site's");
            compiled
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retry(backoff: Option<&str>, factor: Option<f64>) -> RetryOverride {
        let backoff = backoff.map(|name| retry_settings::backoff_named(name).unwrap());
        RetryOverride {
            backoff,
            factor,
            ..RetryOverride::default()
        }
    }

    fn factor_of(backoff: Backoff) -> Option<f64> {
        match backoff {
            Backoff::Exponential { factor } => Some(factor),
            _ => None,
        }
    }

    #[test]
    fn backoff_and_factor_replace_only_what_they_name() {
        let tripling = Backoff::Exponential { factor: 3.0 };
        let exponential = Some("exponential");
        // Kind alone keeps the compiled factor; factor alone keeps the compiled kind.
        let kept = backoff(&retry(exponential, None), tripling).unwrap();
        assert_eq!(factor_of(kept), Some(3.0));
        let factor = backoff(&retry(None, Some(5.0)), tripling).unwrap();
        assert_eq!(factor_of(factor), Some(5.0));
        let both = backoff(&retry(exponential, Some(1.5)), Backoff::Linear).unwrap();
        assert_eq!(factor_of(both), Some(1.5));
        let default = backoff(&retry(exponential, None), Backoff::Fixed).unwrap();
        assert_eq!(factor_of(default), Some(2.0));
        let linear = backoff(&retry(Some("linear"), None), tripling).unwrap();
        assert!(matches!(linear, Backoff::Linear));
        // A factor for a backoff that has none does not fit.
        assert!(backoff(&retry(None, Some(2.0)), Backoff::Fibonacci).is_err());
        assert!(backoff(&retry(Some("fixed"), Some(2.0)), tripling).is_err());
    }
}
