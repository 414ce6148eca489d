//! Overrides of compiled-in settings at start-up, from a TOML or JSON file and from environment
//! variables, without recompiling (feature `config`).
//!
//! ```toml
//! [retry."store.fetch"]        # a retry site, by its name (`name = ...`, or `module::fn`)
//! max_attempts = 5
//! delay = "200ms"
//!
//! [breaker.db]                 # a circuit breaker, by name
//! failure_threshold = 10
//! open_for = "1m"
//!
//! [budget.api]                 # a retry budget, by name
//! share = 0.1
//!
//! [bulkhead.db]                # a bulkhead, by name
//! max_concurrent = 5
//!
//! [rate_limit.api]             # a rate limiter, by name
//! per_second = 50
//! burst = 10
//!
//! [hedge."search::query"]      # a hedge site, by its name (`name = ...`, or `module::fn`)
//! after = "p99"
//! max_hedges = 2
//!
//! [chaos.store]                # a chaos point, by name: what its `#[chaos]` sites inject
//! fault_rate = 0.05
//! latency = "200ms"
//! latency_rate = 0.1
//! [throttle.search]            # a client-side throttle, by name
//! k = 1.5
//! window = "1m"
//! [adaptive_limit.db]          # an adaptive limiter, by name
//! algorithm = "gradient2"
//! max_limit = 500
//! ```
//!
//! Environment variables say the same as `RETRY_RUNTIME__<SECTION>__<NAME>__<KEY>=<value>`, the
//! name upper-cased with every character other than a letter or digit turned into `_`:
//! `RETRY_RUNTIME__RETRY__STORE_FETCH__MAX_ATTEMPTS=5`. Variables that do not start with
//! `RETRY_RUNTIME__` are ignored, whatever they hold.
//!
//! Overrides are partial: the keys given replace the compiled-in values, the others stay (a
//! `factor` alone changes the factor of an exponential backoff, a `backoff` alone the kind). Each
//! site, breaker, budget, bulkhead, rate limiter, hedge and throttle applies its override when it
//! first runs (or is registered by name), so [`install`] them at start-up, before the first
//! call.
//!
//! A `[chaos.NAME]` section is different: a `#[chaos]` site has no compiled-in settings, and is
//! inert until configured, so the section is the chaos point's whole configuration (keys not
//! given take [`ChaosConfig::DEFAULT`](crate::ChaosConfig::DEFAULT)'s values: no faults, no
//! latency, `latency_rate = 1`, `enabled = true`). The point takes it when it is first used; at
//! run time, [`chaos`](crate::chaos())`(name)` can replace it (`configure`) or remove it
//! (`clear`). `enabled = false` keeps a section in the file and injects nothing. Installed
//! overrides cannot be replaced, so removing a section takes a restart (or `clear()`).
//!
//! A breaker's `window` is a count of calls (`window = 20`) or a duration (`window = "10s"`):
//! either replaces the site's window, whichever kind it was, and a `min_calls` that followed
//! the old window (not set at the site) follows the new one. A rate limiter's `burst` that
//! followed its `per_second` (not set at the site) follows an overridden `per_second` too.
//!
//! `max_wait` is not a key of `bulkhead` or `rate_limit`: it belongs to each site, not to the
//! named bulkhead or limiter that sites share. It is the caller's latency budget (two sites of
//! one bulkhead may well wait differently), and the attribute compiles it into the call (an
//! async site that never waits holds no wait at all), so one value per name could not replace
//! it without changing every site's code. Writing it is an error that says so.
//!
//! # What is checked when loading
//!
//! Every value, against a lower and an upper bound: the limits the runtime's own builders
//! apply ([`RetryPolicyBuilder::build`](crate::RetryPolicyBuilder::build),
//! [`BreakerConfigBuilder::build`](crate::BreakerConfigBuilder::build),
//! [`BudgetConfig::validate`](crate::BudgetConfig::validate),
//! [`BulkheadConfig::new`](crate::BulkheadConfig::new),
//! [`RateLimitConfig::new`](crate::RateLimitConfig::new)).
//!
//! | section | key | range |
//! | --- | --- | --- |
//! | `retry` | `max_attempts` | 1 to 4294967295 (`u32::MAX`) |
//! | | `backoff` | `"exponential"`, `"linear"`, `"fixed"`, `"fibonacci"` |
//! | | `delay`, `max_delay` | a duration, `"0s"` to about 584 years (`u64::MAX` nanoseconds) |
//! | | `factor` | finite, at least 1 |
//! | | `jitter` | `"full"`, `"equal"`, `"decorrelated"`, `"none"` |
//! | | `max_elapsed`, `attempt_timeout` | a duration, `"1ns"` to about 584 years |
//! | `breaker` | `failure_threshold` | 0 to 4294967295 |
//! | | `failure_rate`, `slow_call_rate` | above 0, at most 1 |
//! | | `window` | 1 to [`MAX_WINDOW`](crate::MAX_WINDOW) (1048576) calls, or a duration, `"10ns"` (ten buckets of 1 ns) to about 584 years |
//! | | `min_calls` | 1 to [`MAX_WINDOW`](crate::MAX_WINDOW) (1048576) |
//! | | `slow_call`, `open_for`, `max_open_for`, `half_open_timeout` | a duration, `"1ns"` to about 584 years |
//! | | `open_for_factor` | finite, at least 1 |
//! | | `half_open_calls` | 1 to [`MAX_HALF_OPEN_CALLS`](crate::MAX_HALF_OPEN_CALLS) (65535) |
//! | `budget` | `share` | 0, or 0.001 to 9223372036854775 (a budget counts thousandths of a token) |
//! | | `min_per_second` | 0 to 9223372036854775 |
//! | | `cap` | 1 to 9223372036854775 |
//! | `bulkhead` | `max_concurrent` | 1 to [`MAX_CONCURRENT`](crate::MAX_CONCURRENT) (1000000) |
//! | `rate_limit` | `per_second` | 1 to [`MAX_PER_SECOND`](crate::MAX_PER_SECOND) (1000000000) |
//! | | `burst` | 1 to [`MAX_BURST`](crate::MAX_BURST) (1000000000) |
//! | `hedge` | `after` | a duration, `"0s"` to `"1h"`, or a quantile, `"p50"` to `"p99.9"` |
//! | | `floor` | a duration, `"0s"` to `"1h"`; for a quantile `after` only (checked by the site) |
//! | | `max_hedges` | 1 to [`MAX_HEDGES`](crate::MAX_HEDGES) (10) |
//! | `chaos` | `fault_rate`, `latency_rate` | 0 to 1 (0.05: one call in 20) |
//! | | `latency` | a duration, `"0s"` to `"1h"` ([`MAX_CHAOS_LATENCY`](crate::MAX_CHAOS_LATENCY)) |
//! | | `enabled` | `true` or `false` (from the environment, `true` or `false` in any case) |
//! | `throttle` | `k` | 1 to 10 |
//! | | `window` | a duration, `"1s"` to `"1h"` |
//! | `adaptive_limit` | `algorithm` | `"vegas"`, `"gradient2"`, `"aimd"` |
//! | | `initial_limit`, `min_limit`, `max_limit` | 1 to [`MAX_LIMIT`](crate::MAX_LIMIT) (1000000); their order, `min_limit <= initial_limit <= max_limit`, with the site's own values, is checked when the limiter is created (a warning, and the site's settings, if not) |
//!
//! And the document: a section, a name or a key written twice is an error (in TOML, JSON and
//! the environment alike, where two variables name the same key when their names match after
//! upper-casing); an unknown section or key is an error that lists the valid ones; a file is read
//! up to [`MAX_FILE_BYTES`]. A bad value is reported with the file (or variable), the key and the
//! reason, quoting at most 64 characters of it. An override that only turns out invalid against a
//! site's own settings (a `delay` above its `max_delay`, a `min_calls` above its `window`) is
//! reported as a warning when the site first runs, and the site keeps its compiled-in settings.
//! Environment variables name the sections the same way:
//! `RETRY_RUNTIME__BULKHEAD__DB__MAX_CONCURRENT=5`, `RETRY_RUNTIME__RATE_LIMIT__API__BURST=10`,
//! `RETRY_RUNTIME__CHAOS__STORE__FAULT_RATE=0.05`.
//! Nothing panics.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;

mod apply;
mod document;
mod environment;
mod error;
mod file;
mod keys;
mod rules;
mod settings;

pub use apply::{install, unmatched};
pub use error::ConfigError;
pub use file::MAX_FILE_BYTES;

use keys::{
    AdaptiveLimitOverride, BreakerOverride, BudgetOverride, BulkheadOverride, ChaosOverride,
    HedgeOverride, RateLimitOverride, RetryOverride, ThrottleOverride,
};
use settings::{Group, Name, Section};

/// Overrides by section and name, checked; see the module documentation.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    retry: BTreeMap<Name, RetryOverride>,
    breaker: BTreeMap<Name, BreakerOverride>,
    budget: BTreeMap<Name, BudgetOverride>,
    bulkhead: BTreeMap<Name, BulkheadOverride>,
    rate_limit: BTreeMap<Name, RateLimitOverride>,
    hedge: BTreeMap<Name, HedgeOverride>,
    chaos: BTreeMap<Name, ChaosOverride>,
    throttle: BTreeMap<Name, ThrottleOverride>,
    adaptive_limit: BTreeMap<Name, AdaptiveLimitOverride>,
}

impl Overrides {
    /// Reads a `.toml` or `.json` file, of at most [`MAX_FILE_BYTES`].
    ///
    /// # Errors
    /// A [`ConfigError`] naming the file, the key and the reason for an unreadable or too large
    /// file, a syntax error, a duplicate or unknown section, name or key, or a bad value.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Overrides, ConfigError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        match file::read(path, &origin)? {
            (file::Format::Toml, text) => Overrides::from_toml(&text, &origin),
            (file::Format::Json, text) => Overrides::from_json(&text, &origin),
        }
    }

    /// Parses TOML; `origin` names it in errors.
    ///
    /// ```
    /// use retry_runtime::config::Overrides;
    ///
    /// let overrides = Overrides::from_toml("[retry.fetch]\nmax_attempts = 5\n", "inline")?;
    /// assert!(!overrides.is_empty());
    /// let error = Overrides::from_toml("[retry.fetch]\nmax_attempts = 0\n", "inline").unwrap_err();
    /// assert_eq!(error.to_string(), "inline: `retry.fetch.max_attempts`: must be at least 1 (it counts the first attempt)");
    /// # Ok::<(), retry_runtime::config::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// As [`from_file`](Self::from_file).
    pub fn from_toml(text: &str, origin: &str) -> Result<Overrides, ConfigError> {
        Overrides::from_groups(document::from_toml(text, origin)?, origin)
    }

    /// Parses JSON of the same shape (`{"retry": {"fetch": {"max_attempts": 5}}}`).
    ///
    /// ```
    /// use retry_runtime::config::Overrides;
    ///
    /// let error = Overrides::from_json(r#"{"breaker": {"db": {"window": 5, "window": 6}}}"#, "inline")
    ///     .unwrap_err();
    /// assert_eq!(error.key, "breaker.db.window");
    /// assert_eq!(error.reason, "duplicate key; write each key once per section");
    /// ```
    ///
    /// # Errors
    /// As [`from_file`](Self::from_file).
    pub fn from_json(text: &str, origin: &str) -> Result<Overrides, ConfigError> {
        Overrides::from_groups(document::from_json(text, origin)?, origin)
    }

    /// Reads every `RETRY_RUNTIME__<SECTION>__<NAME>__<KEY>` variable. A name there is matched
    /// against sites, breakers and budgets after the same normalisation (upper case, `_` for
    /// anything but letters and digits). Other variables are skipped, even when they are not
    /// UTF-8.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable for a malformed name, a name or value that is not
    /// UTF-8, two variables naming the same key, or a bad value.
    pub fn from_env() -> Result<Overrides, ConfigError> {
        Overrides::from_os_variables(std::env::vars_os())
    }

    /// As [`from_env`](Self::from_env), from given variables (for tests).
    ///
    /// ```
    /// use retry_runtime::config::Overrides;
    ///
    /// let overrides = Overrides::from_variables([(
    ///     "RETRY_RUNTIME__BREAKER__DB__OPEN_FOR".to_owned(),
    ///     "2m".to_owned(),
    /// )])?;
    /// assert!(!overrides.is_empty());
    /// # Ok::<(), retry_runtime::config::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_variables(
        variables: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Overrides, ConfigError> {
        Overrides::from_os_variables(
            variables
                .into_iter()
                .map(|(name, value)| (OsString::from(name), OsString::from(value))),
        )
    }

    /// As [`from_env`](Self::from_env), from given variables as the operating system holds
    /// them, UTF-8 or not (for tests).
    ///
    /// ```
    /// use std::ffi::OsString;
    /// use retry_runtime::config::Overrides;
    ///
    /// let overrides = Overrides::from_os_variables([
    ///     (OsString::from("PATH"), OsString::from("/usr/bin")),
    ///     (OsString::from("RETRY_RUNTIME__RETRY__FETCH__DELAY"), OsString::from("1s")),
    /// ])?;
    /// assert!(!overrides.is_empty());
    /// # Ok::<(), retry_runtime::config::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_os_variables(
        variables: impl IntoIterator<Item = (OsString, OsString)>,
    ) -> Result<Overrides, ConfigError> {
        Overrides::from_groups(environment::groups(variables)?, environment::ORIGIN)
    }

    /// Reads each group's keys into the typed overrides of its section.
    fn from_groups(groups: Vec<Group>, origin: &str) -> Result<Overrides, ConfigError> {
        let mut overrides = Overrides::default();
        for Group {
            section,
            name,
            settings,
        } in groups
        {
            match section {
                Section::Retry => add(
                    &mut overrides.retry,
                    name,
                    RetryOverride::read(&settings, origin)?,
                    RetryOverride::merged_with,
                ),
                Section::Breaker => add(
                    &mut overrides.breaker,
                    name,
                    BreakerOverride::read(&settings, origin)?,
                    BreakerOverride::merged_with,
                ),
                Section::Budget => add(
                    &mut overrides.budget,
                    name,
                    BudgetOverride::read(&settings, origin)?,
                    BudgetOverride::merged_with,
                ),
                Section::Bulkhead => add(
                    &mut overrides.bulkhead,
                    name,
                    BulkheadOverride::read(&settings, origin)?,
                    BulkheadOverride::merged_with,
                ),
                Section::RateLimit => add(
                    &mut overrides.rate_limit,
                    name,
                    RateLimitOverride::read(&settings, origin)?,
                    RateLimitOverride::merged_with,
                ),
                Section::Hedge => add(
                    &mut overrides.hedge,
                    name,
                    HedgeOverride::read(&settings, origin)?,
                    HedgeOverride::merged_with,
                ),
                Section::Chaos => add(
                    &mut overrides.chaos,
                    name,
                    ChaosOverride::read(&settings, origin)?,
                    ChaosOverride::merged_with,
                ),
                Section::Throttle => add(
                    &mut overrides.throttle,
                    name,
                    ThrottleOverride::read(&settings, origin)?,
                    ThrottleOverride::merged_with,
                ),
                Section::AdaptiveLimit => add(
                    &mut overrides.adaptive_limit,
                    name,
                    AdaptiveLimitOverride::read(&settings, origin)?,
                    AdaptiveLimitOverride::merged_with,
                ),
            }
        }
        Ok(overrides)
    }

    /// Whether no override was given.
    pub fn is_empty(&self) -> bool {
        self.retry.is_empty()
            && self.breaker.is_empty()
            && self.budget.is_empty()
            && self.bulkhead.is_empty()
            && self.rate_limit.is_empty()
            && self.hedge.is_empty()
            && self.chaos.is_empty()
            && self.throttle.is_empty()
            && self.adaptive_limit.is_empty()
    }

    /// Both sets of overrides; where both set a key, `later`'s value wins (file, then
    /// environment, say).
    #[must_use]
    pub fn merged_with(mut self, later: Overrides) -> Overrides {
        for (name, found) in later.retry {
            add(&mut self.retry, name, found, RetryOverride::merged_with);
        }
        for (name, found) in later.breaker {
            add(&mut self.breaker, name, found, BreakerOverride::merged_with);
        }
        for (name, found) in later.budget {
            add(&mut self.budget, name, found, BudgetOverride::merged_with);
        }
        for (name, found) in later.bulkhead {
            add(
                &mut self.bulkhead,
                name,
                found,
                BulkheadOverride::merged_with,
            );
        }
        for (name, found) in later.rate_limit {
            add(
                &mut self.rate_limit,
                name,
                found,
                RateLimitOverride::merged_with,
            );
        }
        for (name, found) in later.hedge {
            add(&mut self.hedge, name, found, HedgeOverride::merged_with);
        }
        for (name, found) in later.chaos {
            add(&mut self.chaos, name, found, ChaosOverride::merged_with);
        }
        for (name, found) in later.throttle {
            add(
                &mut self.throttle,
                name,
                found,
                ThrottleOverride::merged_with,
            );
        }
        for (name, found) in later.adaptive_limit {
            add(
                &mut self.adaptive_limit,
                name,
                found,
                AdaptiveLimitOverride::merged_with,
            );
        }
        self
    }
}

/// Adds `found` under `name`, merged after what is there.
fn add<T>(into: &mut BTreeMap<Name, T>, name: Name, found: T, merge: fn(T, T) -> T) {
    let merged = match into.remove(&name) {
        Some(earlier) => merge(earlier, found),
        None => found,
    };
    into.insert(name, merged);
}

#[cfg(test)]
mod tests {
    /// The range table in the module documentation names every key.
    #[test]
    fn the_documentation_lists_every_key() {
        let documentation = include_str!("mod.rs");
        for key in super::RetryOverride::KEYS
            .iter()
            .chain(super::BreakerOverride::KEYS)
            .chain(super::BudgetOverride::KEYS)
            .chain(super::BulkheadOverride::KEYS)
            .chain(super::RateLimitOverride::KEYS)
            .chain(super::HedgeOverride::KEYS)
            .chain(super::ChaosOverride::KEYS)
            .chain(super::ThrottleOverride::KEYS)
            .chain(super::AdaptiveLimitOverride::KEYS)
        {
            assert!(
                documentation.contains(&format!("`{key}`")),
                "{key} is not documented"
            );
        }
    }
}
