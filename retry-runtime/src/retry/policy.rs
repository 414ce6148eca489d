//! Retry policies: how many attempts, how long to wait between them, and when to give up.
//!
//! The values, the presets and every check are the settings model's
//! ([`retry_settings::RetryPolicy`]), the same the attribute validates with at compile time.
//! This type wraps it because the runtime adds methods of its own to it (retrying a closure, in
//! `functional.rs`), which Rust only allows on a type the runtime defines; every method here
//! delegates.

use std::fmt;
use std::time::Duration;

use crate::{Backoff, Jitter, PolicyError};

/// A validated retry policy. Build one with [`RetryPolicy::builder`] (checked at run time, or at
/// compile time in a `const` with [`RetryPolicyBuilder::build_const`]) or start from a preset.
///
/// A policy is plain data: `Copy`, no allocation, usable in `const` and `static` items, which is
/// how `#[retry(policy = path)]` takes a named policy.
///
/// ```
/// use std::time::Duration;
/// use retry_runtime::{Backoff, Jitter, RetryPolicy};
///
/// /// Shared by every call to the storage service.
/// pub const STORAGE: RetryPolicy = RetryPolicy::builder()
///     .max_attempts(5)
///     .backoff(Backoff::Exponential { factor: 3.0 })
///     .delay(Duration::from_millis(50))
///     .max_delay(Duration::from_secs(2))
///     .jitter(Jitter::Equal)
///     .max_elapsed(Duration::from_secs(10))
///     .build_const();
///
/// assert_eq!(STORAGE.max_attempts(), 5);
/// ```
#[derive(Clone, Copy)]
pub struct RetryPolicy {
    settings: retry_settings::RetryPolicy,
}

impl RetryPolicy {
    /// What a bare `#[retry]` uses: 3 attempts, exponential backoff from 100 ms doubling up to 10 s,
    /// full jitter, no time budget. Worst case about 100 ms + 200 ms of sleep.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        settings: retry_settings::RetryPolicy::DEFAULT,
    };

    /// For cheap, latency-sensitive calls that usually recover within milliseconds (a contended
    /// lock, a leader election): 5 attempts, 10 ms doubling up to 1 s, full jitter, at most 2 s in all.
    /// Worst case 10 + 20 + 40 + 80 = 150 ms of sleep.
    pub const AGGRESSIVE: RetryPolicy = RetryPolicy {
        settings: retry_settings::RetryPolicy::AGGRESSIVE,
    };

    /// For expensive calls to a dependency that may need time to recover (a rate-limited API, a
    /// restarting service): 4 attempts, 1 s tripling up to 30 s, equal jitter (never less than half
    /// the delay), at most 60 s in all. Worst case 1 + 3 + 9 = 13 s of sleep.
    pub const GENTLE: RetryPolicy = RetryPolicy {
        settings: retry_settings::RetryPolicy::GENTLE,
    };

    /// A builder starting from [`RetryPolicy::DEFAULT`].
    pub const fn builder() -> RetryPolicyBuilder {
        RetryPolicy::DEFAULT.to_builder()
    }

    /// A builder starting from this policy, to derive a variant of a preset.
    ///
    /// ```
    /// use retry_runtime::RetryPolicy;
    ///
    /// let patient = RetryPolicy::GENTLE.to_builder().max_attempts(8).build()?;
    /// assert_eq!(patient.max_attempts(), 8);
    /// # Ok::<(), retry_runtime::PolicyError>(())
    /// ```
    pub const fn to_builder(self) -> RetryPolicyBuilder {
        RetryPolicyBuilder {
            settings: self.settings.to_builder(),
        }
    }

    /// Total attempts, the first one included (at least 1).
    pub const fn max_attempts(&self) -> u32 {
        self.settings.max_attempts()
    }

    /// The growth rule of the delay.
    pub const fn backoff(&self) -> Backoff {
        self.settings.backoff()
    }

    /// The base delay: the nominal wait before the first retry.
    pub const fn delay(&self) -> Duration {
        self.settings.delay()
    }

    /// The cap on any single delay, after jitter.
    pub const fn max_delay(&self) -> Duration {
        self.settings.max_delay()
    }

    /// How delays are randomised.
    pub const fn jitter(&self) -> Jitter {
        self.settings.jitter()
    }

    /// The total time budget across attempts and sleeps, if any.
    pub const fn max_elapsed(&self) -> Option<Duration> {
        self.settings.max_elapsed()
    }

    /// The per-attempt time limit of async retries, if any.
    pub const fn attempt_timeout(&self) -> Option<Duration> {
        self.settings.attempt_timeout()
    }

    /// The settings model's policy this one wraps, for the config loader.
    #[cfg(feature = "config")]
    pub(crate) const fn settings(&self) -> retry_settings::RetryPolicy {
        self.settings
    }

    /// The policy of the settings model's `settings`, already validated.
    #[cfg(feature = "config")]
    pub(crate) const fn from_settings(settings: retry_settings::RetryPolicy) -> RetryPolicy {
        RetryPolicy { settings }
    }

    /// The delay before retry `n` (0 for the first retry), given the delay slept before the
    /// previous retry (`previous`, the base delay before the first) and a draw `unit` in `[0, 1)`.
    /// Never above [`max_delay`](Self::max_delay).
    pub fn delay_for(&self, n: u32, previous: Duration, unit: f64) -> Duration {
        self.settings.delay_for(n, previous, unit)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::DEFAULT
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.settings, f)
    }
}

/// Builds a [`RetryPolicy`], checking every value. All setters are `const fn`.
///
/// ```
/// use std::time::Duration;
/// use retry_runtime::{PolicyError, RetryPolicy};
///
/// let error = RetryPolicy::builder().max_attempts(0).build().unwrap_err();
/// assert_eq!(error.field(), "max_attempts");
/// assert!(matches!(error, PolicyError::ZeroAttempts));
///
/// let ok = RetryPolicy::builder().delay(Duration::from_millis(5)).build();
/// assert!(ok.is_ok());
/// ```
#[derive(Clone, Copy)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct RetryPolicyBuilder {
    settings: retry_settings::RetryPolicyBuilder,
}

impl RetryPolicyBuilder {
    /// Total attempts, the first one included. Must be at least 1 (1 means never retry).
    pub const fn max_attempts(self, max_attempts: u32) -> Self {
        RetryPolicyBuilder {
            settings: self.settings.max_attempts(max_attempts),
        }
    }

    /// The growth rule. An exponential factor must be finite and at least 1.
    pub const fn backoff(self, backoff: Backoff) -> Self {
        RetryPolicyBuilder {
            settings: self.settings.backoff(backoff),
        }
    }

    /// The base delay (the nominal wait before the first retry). Must not exceed `max_delay`.
    pub const fn delay(self, delay: Duration) -> Self {
        RetryPolicyBuilder {
            settings: self.settings.delay(delay),
        }
    }

    /// The cap on any single delay, after jitter.
    pub const fn max_delay(self, max_delay: Duration) -> Self {
        RetryPolicyBuilder {
            settings: self.settings.max_delay(max_delay),
        }
    }

    /// How delays are randomised.
    pub const fn jitter(self, jitter: Jitter) -> Self {
        RetryPolicyBuilder {
            settings: self.settings.jitter(jitter),
        }
    }

    /// The total time budget: no sleep is started that would end past it. Must be non-zero.
    pub const fn max_elapsed(self, max_elapsed: Duration) -> Self {
        RetryPolicyBuilder {
            settings: self.settings.max_elapsed(max_elapsed),
        }
    }

    /// Async retries only: cut each attempt off after this long. Must be non-zero.
    pub const fn attempt_timeout(self, attempt_timeout: Duration) -> Self {
        RetryPolicyBuilder {
            settings: self.settings.attempt_timeout(attempt_timeout),
        }
    }

    /// The policy, or the first invalid value found.
    ///
    /// # Errors
    /// A [`PolicyError`] naming the field and the value when `max_attempts` is 0, `max_delay` is
    /// below `delay`, an exponential factor is below 1 or not finite, or `max_elapsed` or
    /// `attempt_timeout` is zero.
    pub const fn build(self) -> Result<RetryPolicy, PolicyError> {
        match self.settings.build() {
            Ok(settings) => Ok(RetryPolicy { settings }),
            Err(error) => Err(error),
        }
    }

    /// For `const` and `static` items: the policy, with an invalid value rejected at compile time
    /// (const evaluation fails with the reason). Prefer [`build`](Self::build) at run time, where
    /// this panics instead.
    ///
    /// # Panics
    /// On an invalid value, with the reason: a compile error in const evaluation.
    ///
    /// ```compile_fail
    /// use retry_runtime::RetryPolicy;
    /// const NEVER: RetryPolicy = RetryPolicy::builder().max_attempts(0).build_const();
    /// let _ = NEVER;
    /// ```
    pub const fn build_const(self) -> RetryPolicy {
        RetryPolicy {
            settings: self.settings.build_const(),
        }
    }
}

impl fmt::Debug for RetryPolicyBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.settings, f)
    }
}

/// The policy a `#[retry]` site runs with when overrides are installed: filled by the `config`
/// module, so the retry engine never imports it.
#[cfg(feature = "config")]
pub(crate) static OVERRIDE: crate::named::SettingsOverride<RetryPolicy> =
    crate::named::SettingsOverride::new();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_the_settings_models() {
        for (preset, model) in [
            (RetryPolicy::DEFAULT, retry_settings::RetryPolicy::DEFAULT),
            (
                RetryPolicy::AGGRESSIVE,
                retry_settings::RetryPolicy::AGGRESSIVE,
            ),
            (RetryPolicy::GENTLE, retry_settings::RetryPolicy::GENTLE),
        ] {
            assert!(preset.to_builder().build().is_ok(), "{preset:?}");
            assert_eq!(format!("{preset:?}"), format!("{model:?}"));
        }
    }

    #[test]
    fn every_setter_reaches_the_model_and_its_checks() {
        let ms = Duration::from_millis;
        let policy = RetryPolicy::builder()
            .max_attempts(4)
            .backoff(Backoff::Linear)
            .delay(ms(5))
            .max_delay(ms(50))
            .jitter(Jitter::None)
            .max_elapsed(ms(500))
            .attempt_timeout(ms(20))
            .build()
            .unwrap();
        assert_eq!(policy.max_attempts(), 4);
        assert!(matches!(policy.backoff(), Backoff::Linear));
        assert_eq!((policy.delay(), policy.max_delay()), (ms(5), ms(50)));
        assert_eq!(policy.jitter(), Jitter::None);
        assert_eq!(policy.max_elapsed(), Some(ms(500)));
        assert_eq!(policy.attempt_timeout(), Some(ms(20)));
        assert_eq!(policy.delay_for(1, ms(5), 0.5), ms(10));
        let error = RetryPolicy::builder().max_attempts(0).build().unwrap_err();
        assert_eq!(error, PolicyError::ZeroAttempts);
    }
}
