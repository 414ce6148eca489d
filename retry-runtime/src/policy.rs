//! Retry policies: how many attempts, how long to wait between them, and when to give up.

use std::error::Error;
use std::fmt;
use std::time::Duration;

use crate::backoff::Backoff;
use crate::jitter::Jitter;

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
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    max_attempts: u32,
    backoff: Backoff,
    delay: Duration,
    max_delay: Duration,
    jitter: Jitter,
    max_elapsed: Option<Duration>,
    attempt_timeout: Option<Duration>,
}

impl RetryPolicy {
    /// What a bare `#[retry]` uses: 3 attempts, exponential backoff from 100 ms doubling up to 10 s,
    /// full jitter, no time budget. Worst case about 100 ms + 200 ms of sleep.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        max_attempts: 3,
        backoff: Backoff::Exponential { factor: 2.0 },
        delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(10),
        jitter: Jitter::Full,
        max_elapsed: None,
        attempt_timeout: None,
    };

    /// For cheap, latency-sensitive calls that usually recover within milliseconds (a contended
    /// lock, a leader election): 5 attempts, 10 ms doubling up to 1 s, full jitter, at most 2 s in all.
    /// Worst case 10 + 20 + 40 + 80 = 150 ms of sleep.
    pub const AGGRESSIVE: RetryPolicy = RetryPolicy {
        max_attempts: 5,
        backoff: Backoff::Exponential { factor: 2.0 },
        delay: Duration::from_millis(10),
        max_delay: Duration::from_secs(1),
        jitter: Jitter::Full,
        max_elapsed: Some(Duration::from_secs(2)),
        attempt_timeout: None,
    };

    /// For expensive calls to a dependency that may need time to recover (a rate-limited API, a
    /// restarting service): 4 attempts, 1 s tripling up to 30 s, equal jitter (never less than half
    /// the delay), at most 60 s in all. Worst case 1 + 3 + 9 = 13 s of sleep.
    pub const GENTLE: RetryPolicy = RetryPolicy {
        max_attempts: 4,
        backoff: Backoff::Exponential { factor: 3.0 },
        delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(30),
        jitter: Jitter::Equal,
        max_elapsed: Some(Duration::from_secs(60)),
        attempt_timeout: None,
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
        RetryPolicyBuilder { policy: self }
    }

    /// Total attempts, the first one included (at least 1).
    pub const fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The growth rule of the delay.
    pub const fn backoff(&self) -> Backoff {
        self.backoff
    }

    /// The base delay: the nominal wait before the first retry.
    pub const fn delay(&self) -> Duration {
        self.delay
    }

    /// The cap on any single delay, after jitter.
    pub const fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// How delays are randomised.
    pub const fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// The total time budget across attempts and sleeps, if any.
    pub const fn max_elapsed(&self) -> Option<Duration> {
        self.max_elapsed
    }

    /// The per-attempt time limit of async retries, if any.
    pub const fn attempt_timeout(&self) -> Option<Duration> {
        self.attempt_timeout
    }

    /// The delay before retry `n` (0 for the first retry), given the delay slept before the
    /// previous retry (`previous`, the base delay before the first) and a draw `unit` in `[0, 1)`.
    /// Never above [`max_delay`](Self::max_delay).
    pub fn delay_for(&self, n: u32, previous: Duration, unit: f64) -> Duration {
        let nominal = self.backoff.nominal_delay(n, self.delay, self.max_delay);
        match self.jitter {
            // Already capped: nothing to draw or clamp.
            Jitter::None => nominal,
            jitter => jitter.apply(nominal, self.delay, self.max_delay, previous, unit),
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::DEFAULT
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
#[derive(Clone, Copy, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct RetryPolicyBuilder {
    policy: RetryPolicy,
}

impl RetryPolicyBuilder {
    /// Total attempts, the first one included. Must be at least 1 (1 means never retry).
    pub const fn max_attempts(mut self, max_attempts: u32) -> Self {
        self.policy.max_attempts = max_attempts;
        self
    }

    /// The growth rule. An exponential factor must be finite and at least 1.
    pub const fn backoff(mut self, backoff: Backoff) -> Self {
        self.policy.backoff = backoff;
        self
    }

    /// The base delay (the nominal wait before the first retry). Must not exceed `max_delay`.
    pub const fn delay(mut self, delay: Duration) -> Self {
        self.policy.delay = delay;
        self
    }

    /// The cap on any single delay, after jitter.
    pub const fn max_delay(mut self, max_delay: Duration) -> Self {
        self.policy.max_delay = max_delay;
        self
    }

    /// How delays are randomised.
    pub const fn jitter(mut self, jitter: Jitter) -> Self {
        self.policy.jitter = jitter;
        self
    }

    /// The total time budget: no sleep is started that would end past it. Must be non-zero.
    pub const fn max_elapsed(mut self, max_elapsed: Duration) -> Self {
        self.policy.max_elapsed = Some(max_elapsed);
        self
    }

    /// Async retries only: cut each attempt off after this long. Must be non-zero.
    pub const fn attempt_timeout(mut self, attempt_timeout: Duration) -> Self {
        self.policy.attempt_timeout = Some(attempt_timeout);
        self
    }

    /// The policy, or the first invalid value found.
    ///
    /// # Errors
    /// A [`PolicyError`] naming the field and the value when `max_attempts` is 0, `max_delay` is
    /// below `delay`, an exponential factor is below 1 or not finite, or `max_elapsed` or
    /// `attempt_timeout` is zero.
    pub const fn build(self) -> Result<RetryPolicy, PolicyError> {
        let policy = self.policy;
        if policy.max_attempts == 0 {
            return Err(PolicyError::ZeroAttempts);
        }
        if policy.max_delay.as_nanos() < policy.delay.as_nanos() {
            return Err(PolicyError::CapBelowBase {
                delay: policy.delay,
                max_delay: policy.max_delay,
            });
        }
        if let Backoff::Exponential { factor } = policy.backoff {
            // Written so that NaN fails too.
            if !(factor >= 1.0 && factor <= f64::MAX) {
                return Err(PolicyError::InvalidFactor { factor });
            }
        }
        if let Some(max_elapsed) = policy.max_elapsed
            && max_elapsed.is_zero()
        {
            return Err(PolicyError::ZeroDuration {
                field: "max_elapsed",
            });
        }
        if let Some(attempt_timeout) = policy.attempt_timeout
            && attempt_timeout.is_zero()
        {
            return Err(PolicyError::ZeroDuration {
                field: "attempt_timeout",
            });
        }
        Ok(policy)
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
        match self.build() {
            Ok(policy) => policy,
            Err(error) => panic!("{}", error.const_message()),
        }
    }
}

/// An invalid retry policy value, naming the field and the value.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum PolicyError {
    /// `max_attempts` is 0; at least the first attempt has to run.
    ZeroAttempts,
    /// `max_delay` is below `delay`.
    CapBelowBase {
        /// The base delay.
        delay: Duration,
        /// The cap, below it.
        max_delay: Duration,
    },
    /// An exponential factor below 1 (delays would shrink), NaN or infinite.
    InvalidFactor {
        /// The factor given.
        factor: f64,
    },
    /// A time limit of zero, which would stop every call before it starts.
    ZeroDuration {
        /// `max_elapsed` or `attempt_timeout`.
        field: &'static str,
    },
}

impl PolicyError {
    /// The name of the offending field, as the builder and the attribute spell it.
    pub const fn field(&self) -> &'static str {
        match self {
            PolicyError::ZeroAttempts => "max_attempts",
            PolicyError::CapBelowBase { .. } => "max_delay",
            PolicyError::InvalidFactor { .. } => "factor",
            PolicyError::ZeroDuration { field } => field,
        }
    }

    const fn const_message(&self) -> &'static str {
        match self {
            PolicyError::ZeroAttempts => "invalid retry policy: `max_attempts` must be at least 1",
            PolicyError::CapBelowBase { .. } => {
                "invalid retry policy: `max_delay` must not be below `delay`"
            }
            PolicyError::InvalidFactor { .. } => {
                "invalid retry policy: the exponential `factor` must be finite and at least 1"
            }
            PolicyError::ZeroDuration { .. } => {
                "invalid retry policy: `max_elapsed` and `attempt_timeout` must be non-zero"
            }
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::ZeroAttempts => f.write_str(
                "invalid retry policy: `max_attempts` is 0; it counts the first attempt, so use 1 to never retry",
            ),
            PolicyError::CapBelowBase { delay, max_delay } => write!(
                f,
                "invalid retry policy: `max_delay` ({max_delay:?}) is below `delay` ({delay:?}); raise `max_delay` or lower `delay`"
            ),
            PolicyError::InvalidFactor { factor } => write!(
                f,
                "invalid retry policy: `factor` is {factor}; an exponential factor must be finite and at least 1"
            ),
            PolicyError::ZeroDuration { field } => write!(
                f,
                "invalid retry policy: `{field}` is 0, which would stop every call before it starts"
            ),
        }
    }
}

impl Error for PolicyError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid() {
        for preset in [
            RetryPolicy::DEFAULT,
            RetryPolicy::AGGRESSIVE,
            RetryPolicy::GENTLE,
        ] {
            assert!(preset.to_builder().build().is_ok(), "{preset:?}");
        }
    }

    #[test]
    fn every_invalid_value_names_its_field_and_value() {
        let ms = Duration::from_millis;
        let cases: [(RetryPolicyBuilder, &str, &str); 7] = [
            (
                RetryPolicy::builder().max_attempts(0),
                "max_attempts",
                "is 0",
            ),
            (
                RetryPolicy::builder().delay(ms(500)).max_delay(ms(100)),
                "max_delay",
                "(100ms) is below `delay` (500ms)",
            ),
            (
                RetryPolicy::builder().backoff(Backoff::Exponential { factor: 0.5 }),
                "factor",
                "is 0.5",
            ),
            (
                RetryPolicy::builder().backoff(Backoff::Exponential { factor: -2.0 }),
                "factor",
                "is -2",
            ),
            (
                RetryPolicy::builder().backoff(Backoff::Exponential { factor: f64::NAN }),
                "factor",
                "is NaN",
            ),
            (
                RetryPolicy::builder().max_elapsed(Duration::ZERO),
                "max_elapsed",
                "`max_elapsed` is 0",
            ),
            (
                RetryPolicy::builder().attempt_timeout(Duration::ZERO),
                "attempt_timeout",
                "`attempt_timeout` is 0",
            ),
        ];
        for (builder, field, text) in cases {
            let error = builder.build().unwrap_err();
            assert_eq!(error.field(), field);
            let message = error.to_string();
            assert!(message.contains(text), "{message:?} lacks {text:?}");
        }
    }

    #[test]
    fn infinite_factor_is_rejected() {
        let error = RetryPolicy::builder()
            .backoff(Backoff::Exponential {
                factor: f64::INFINITY,
            })
            .build()
            .unwrap_err();
        assert_eq!(error.field(), "factor");
    }
}
