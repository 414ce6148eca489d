//! Retry policies: how many attempts, how long to wait between them, and when to give up; the
//! presets; the builder that checks every value, at compile time in the attribute and in
//! `const` items, at run time everywhere else.
//!
//! `retry_runtime::RetryPolicy` wraps this policy with what only the runtime can do (retrying a
//! closure), and its builder delegates every setter and every check to this one.

use std::error::Error;
use std::fmt;
use std::time::Duration;

use crate::backoff::{Backoff, DEFAULT_FACTOR};
use crate::duration::describe;
use crate::jitter::Jitter;
use crate::keys::{Key, Kind, Value, find};

/// A validated retry policy: plain data, `Copy`, usable in `const` and `static` items.
/// `retry_runtime::RetryPolicy` wraps it, with the same presets, accessors and builder, and
/// methods that retry a closure.
///
/// ```
/// use std::time::Duration;
/// use retry_settings::{Backoff, Jitter, RetryPolicy};
///
/// const STORAGE: RetryPolicy = RetryPolicy::builder()
///     .max_attempts(5)
///     .backoff(Backoff::Exponential { factor: 3.0 })
///     .delay(Duration::from_millis(50))
///     .max_delay(Duration::from_secs(2))
///     .jitter(Jitter::Equal)
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
    /// What a bare `#[retry]` uses: 3 attempts, exponential backoff from 100 ms doubling up to
    /// 10 s, full jitter, no time budget. The defaults of the keys table are read from here.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retry_settings::RetryPolicy;
    ///
    /// assert_eq!(RetryPolicy::DEFAULT.delay(), Duration::from_millis(100));
    /// ```
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        max_attempts: 3,
        backoff: Backoff::Exponential {
            factor: DEFAULT_FACTOR,
        },
        delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(10),
        jitter: Jitter::Full,
        max_elapsed: None,
        attempt_timeout: None,
    };

    /// Cheap, latency-sensitive calls: 5 attempts, 10 ms doubling up to 1 s, full jitter, at
    /// most 2 s in all.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retry_settings::RetryPolicy;
    ///
    /// assert_eq!(RetryPolicy::AGGRESSIVE.max_elapsed(), Some(Duration::from_secs(2)));
    /// ```
    pub const AGGRESSIVE: RetryPolicy = RetryPolicy {
        max_attempts: 5,
        backoff: Backoff::Exponential { factor: 2.0 },
        delay: Duration::from_millis(10),
        max_delay: Duration::from_secs(1),
        jitter: Jitter::Full,
        max_elapsed: Some(Duration::from_secs(2)),
        attempt_timeout: None,
    };

    /// Expensive calls to a dependency that needs time to recover: 4 attempts, 1 s tripling up
    /// to 30 s, equal jitter, at most 60 s in all.
    ///
    /// ```
    /// use retry_settings::{Jitter, RetryPolicy};
    ///
    /// assert_eq!(RetryPolicy::GENTLE.jitter(), Jitter::Equal);
    /// ```
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
    ///
    /// ```
    /// use retry_settings::RetryPolicy;
    ///
    /// let policy = RetryPolicy::builder().max_attempts(2).build()?;
    /// assert_eq!(policy.max_attempts(), 2);
    /// # Ok::<(), retry_settings::PolicyError>(())
    /// ```
    pub const fn builder() -> RetryPolicyBuilder {
        RetryPolicy::DEFAULT.to_builder()
    }

    /// A builder starting from this policy, to derive a variant of a preset.
    ///
    /// ```
    /// use retry_settings::RetryPolicy;
    ///
    /// let patient = RetryPolicy::GENTLE.to_builder().max_attempts(8).build()?;
    /// assert_eq!(patient.max_attempts(), 8);
    /// # Ok::<(), retry_settings::PolicyError>(())
    /// ```
    pub const fn to_builder(self) -> RetryPolicyBuilder {
        RetryPolicyBuilder { policy: self }
    }

    /// Total attempts, the first one included (at least 1).
    ///
    /// ```
    /// assert_eq!(retry_settings::RetryPolicy::DEFAULT.max_attempts(), 3);
    /// ```
    pub const fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The growth rule of the delay.
    ///
    /// ```
    /// use retry_settings::{Backoff, RetryPolicy};
    ///
    /// assert_eq!(RetryPolicy::GENTLE.backoff().name(), "exponential");
    /// ```
    pub const fn backoff(&self) -> Backoff {
        self.backoff
    }

    /// The base delay: the nominal wait before the first retry.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// assert_eq!(retry_settings::RetryPolicy::GENTLE.delay(), Duration::from_secs(1));
    /// ```
    pub const fn delay(&self) -> Duration {
        self.delay
    }

    /// The cap on any single delay, after jitter.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// assert_eq!(retry_settings::RetryPolicy::DEFAULT.max_delay(), Duration::from_secs(10));
    /// ```
    pub const fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// How delays are randomised.
    ///
    /// ```
    /// use retry_settings::{Jitter, RetryPolicy};
    ///
    /// assert_eq!(RetryPolicy::DEFAULT.jitter(), Jitter::Full);
    /// ```
    pub const fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// The total time budget across attempts and sleeps, if any.
    ///
    /// ```
    /// assert_eq!(retry_settings::RetryPolicy::DEFAULT.max_elapsed(), None);
    /// ```
    pub const fn max_elapsed(&self) -> Option<Duration> {
        self.max_elapsed
    }

    /// The per-attempt time limit of async retries, if any.
    ///
    /// ```
    /// assert_eq!(retry_settings::RetryPolicy::DEFAULT.attempt_timeout(), None);
    /// ```
    pub const fn attempt_timeout(&self) -> Option<Duration> {
        self.attempt_timeout
    }

    /// The delay before retry `n` (0 for the first retry), given the delay slept before the
    /// previous retry (`previous`, the base delay before the first) and a draw `unit` in `[0, 1)`.
    /// Never above [`max_delay`](Self::max_delay).
    ///
    /// ```
    /// use std::time::Duration;
    /// use retry_settings::{Jitter, RetryPolicy};
    ///
    /// let policy = RetryPolicy::builder().jitter(Jitter::None).build()?;
    /// let base = policy.delay();
    /// assert_eq!(policy.delay_for(2, base, 0.3), Duration::from_millis(400));
    /// # Ok::<(), retry_settings::PolicyError>(())
    /// ```
    pub fn delay_for(&self, n: u32, previous: Duration, unit: f64) -> Duration {
        let nominal = self.backoff.nominal_delay(n, self.delay, self.max_delay);
        match self.jitter {
            // Already capped: nothing to draw or clamp.
            Jitter::None => nominal,
            jitter => jitter.apply(nominal, self.delay, self.max_delay, previous, unit),
        }
    }

    /// The value found by each check of [`RetryPolicyBuilder::build`], in order: the first
    /// invalid value, or none.
    const fn check(&self, index: usize) -> Option<PolicyError> {
        match index {
            0 if self.max_attempts == 0 => Some(PolicyError::ZeroAttempts),
            1 if self.max_delay.as_nanos() < self.delay.as_nanos() => {
                Some(PolicyError::CapBelowBase {
                    delay: self.delay,
                    max_delay: self.max_delay,
                })
            }
            // Written so that NaN fails too.
            2 => match self.backoff {
                Backoff::Exponential { factor } if !(factor >= 1.0 && factor <= f64::MAX) => {
                    Some(PolicyError::InvalidFactor { factor })
                }
                _ => None,
            },
            3 => match self.max_elapsed {
                Some(max_elapsed) if max_elapsed.is_zero() => Some(PolicyError::ZeroDuration {
                    field: "max_elapsed",
                }),
                _ => None,
            },
            4 => match self.attempt_timeout {
                Some(timeout) if timeout.is_zero() => Some(PolicyError::ZeroDuration {
                    field: "attempt_timeout",
                }),
                _ => None,
            },
            _ => None,
        }
    }

    /// How many checks [`check`](Self::check) numbers.
    const CHECKS: usize = 5;
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
/// use retry_settings::{PolicyError, RetryPolicy};
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
    ///
    /// ```
    /// let policy = retry_settings::RetryPolicy::builder().max_attempts(1).build()?;
    /// assert_eq!(policy.max_attempts(), 1);
    /// # Ok::<(), retry_settings::PolicyError>(())
    /// ```
    pub const fn max_attempts(mut self, max_attempts: u32) -> Self {
        self.policy.max_attempts = max_attempts;
        self
    }

    /// The growth rule. An exponential factor must be finite and at least 1.
    ///
    /// ```
    /// use retry_settings::{Backoff, RetryPolicy};
    ///
    /// let policy = RetryPolicy::builder().backoff(Backoff::Fibonacci).build()?;
    /// assert_eq!(policy.backoff().name(), "fibonacci");
    /// # Ok::<(), retry_settings::PolicyError>(())
    /// ```
    pub const fn backoff(mut self, backoff: Backoff) -> Self {
        self.policy.backoff = backoff;
        self
    }

    /// The base delay (the nominal wait before the first retry). Must not exceed `max_delay`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let policy = retry_settings::RetryPolicy::builder().delay(Duration::ZERO).build()?;
    /// assert_eq!(policy.delay(), Duration::ZERO);
    /// # Ok::<(), retry_settings::PolicyError>(())
    /// ```
    pub const fn delay(mut self, delay: Duration) -> Self {
        self.policy.delay = delay;
        self
    }

    /// The cap on any single delay, after jitter.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let builder = retry_settings::RetryPolicy::builder().max_delay(Duration::from_millis(50));
    /// assert_eq!(builder.build().unwrap_err().field(), "max_delay");
    /// ```
    pub const fn max_delay(mut self, max_delay: Duration) -> Self {
        self.policy.max_delay = max_delay;
        self
    }

    /// How delays are randomised.
    ///
    /// ```
    /// use retry_settings::{Jitter, RetryPolicy};
    ///
    /// let policy = RetryPolicy::builder().jitter(Jitter::None).build()?;
    /// assert!(!policy.jitter().is_random());
    /// # Ok::<(), retry_settings::PolicyError>(())
    /// ```
    pub const fn jitter(mut self, jitter: Jitter) -> Self {
        self.policy.jitter = jitter;
        self
    }

    /// The total time budget: no sleep is started that would end past it. Must be non-zero.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let builder = retry_settings::RetryPolicy::builder().max_elapsed(Duration::from_secs(5));
    /// assert_eq!(builder.build()?.max_elapsed(), Some(Duration::from_secs(5)));
    /// # Ok::<(), retry_settings::PolicyError>(())
    /// ```
    pub const fn max_elapsed(mut self, max_elapsed: Duration) -> Self {
        self.policy.max_elapsed = Some(max_elapsed);
        self
    }

    /// Async retries only: cut each attempt off after this long. Must be non-zero.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let builder = retry_settings::RetryPolicy::builder().attempt_timeout(Duration::ZERO);
    /// assert_eq!(builder.build().unwrap_err().field(), "attempt_timeout");
    /// ```
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
    ///
    /// ```
    /// use retry_settings::{Backoff, RetryPolicy};
    ///
    /// let builder = RetryPolicy::builder().backoff(Backoff::Exponential { factor: 0.5 });
    /// assert_eq!(builder.build().unwrap_err().field(), "factor");
    /// ```
    pub const fn build(self) -> Result<RetryPolicy, PolicyError> {
        let mut index = 0;
        while index < RetryPolicy::CHECKS {
            if let Some(error) = self.policy.check(index) {
                return Err(error);
            }
            index += 1;
        }
        Ok(self.policy)
    }

    /// Every invalid value, not only the first that [`build`](Self::build) reports, in the
    /// order `build` checks them: what the attribute shows all at once. Empty when `build`
    /// succeeds.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retry_settings::RetryPolicy;
    ///
    /// let builder = RetryPolicy::builder().max_attempts(0).max_elapsed(Duration::ZERO);
    /// let fields: Vec<&str> = builder.errors().iter().map(|error| error.field()).collect();
    /// assert_eq!(fields, ["max_attempts", "max_elapsed"]);
    /// ```
    pub fn errors(&self) -> Vec<PolicyError> {
        (0..RetryPolicy::CHECKS)
            .filter_map(|index| self.policy.check(index))
            .collect()
    }

    /// For `const` and `static` items: the policy, with an invalid value rejected at compile time
    /// (const evaluation fails with the reason). Prefer [`build`](Self::build) at run time, where
    /// this panics instead.
    ///
    /// # Panics
    /// On an invalid value, with the reason: a compile error in const evaluation.
    ///
    /// ```
    /// use retry_settings::RetryPolicy;
    ///
    /// const ONCE: RetryPolicy = RetryPolicy::builder().max_attempts(1).build_const();
    /// assert_eq!(ONCE.max_attempts(), 1);
    /// ```
    ///
    /// ```compile_fail
    /// use retry_settings::RetryPolicy;
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
///
/// ```
/// # use retry_settings as retry_runtime;
/// use retry_runtime::{PolicyError, RetryPolicy};
///
/// let error = RetryPolicy::builder().max_attempts(0).build().unwrap_err();
/// assert_eq!(error, PolicyError::ZeroAttempts);
/// assert_eq!(
///     error.to_string(),
///     "invalid retry policy: `max_attempts = 0` would never run the fn: it counts the first attempt; use `max_attempts = 1` to never retry"
/// );
/// ```
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
    /// The name of the offending field, as the builder, the attribute and configuration files
    /// spell it: the key to change.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use std::time::Duration;
    /// use retry_runtime::PolicyError;
    ///
    /// let error = PolicyError::CapBelowBase { delay: Duration::from_secs(2), max_delay: Duration::from_secs(1) };
    /// assert_eq!(error.field(), "max_delay");
    /// ```
    pub const fn field(&self) -> &'static str {
        match self {
            PolicyError::ZeroAttempts => "max_attempts",
            PolicyError::CapBelowBase { .. } => "max_delay",
            PolicyError::InvalidFactor { .. } => "factor",
            PolicyError::ZeroDuration { field } => field,
        }
    }

    /// Every key the error is about, [`field`](Self::field) first: `max_delay` below `delay`
    /// is about both. The attribute puts the error on the first of them that was written, and
    /// leaves it out when one of them already has an error of its own.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use std::time::Duration;
    /// use retry_runtime::PolicyError;
    ///
    /// let error = PolicyError::CapBelowBase { delay: Duration::from_secs(2), max_delay: Duration::from_secs(1) };
    /// assert_eq!(error.fields(), ["max_delay", "delay"]);
    /// assert_eq!(PolicyError::ZeroAttempts.fields(), ["max_attempts"]);
    /// ```
    pub fn fields(&self) -> &[&'static str] {
        match self {
            PolicyError::ZeroAttempts => &["max_attempts"],
            PolicyError::CapBelowBase { .. } => &["max_delay", "delay"],
            PolicyError::InvalidFactor { .. } => &["factor"],
            PolicyError::ZeroDuration { field } => std::slice::from_ref(field),
        }
    }

    /// What is wrong and how to fix it, naming the key and the value, without the `invalid
    /// retry policy: ` of [`Display`](fmt::Display): for a caller that shows the key's place
    /// itself, as the attribute does by pointing at it.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::PolicyError;
    ///
    /// let error = PolicyError::InvalidFactor { factor: 0.5 };
    /// assert_eq!(
    ///     error.reason(),
    ///     "`factor = 0.5` would make delays shrink; use a factor of at least 1 (`factor = 2` doubles each delay)"
    /// );
    /// ```
    pub fn reason(&self) -> String {
        match self {
            PolicyError::ZeroAttempts => "`max_attempts = 0` would never run the fn: it counts the first attempt; use `max_attempts = 1` to never retry".to_owned(),
            PolicyError::CapBelowBase { delay, max_delay } => format!(
                "`max_delay` ({}) is below `delay` ({}); raise `max_delay` or lower `delay`",
                describe(*max_delay),
                describe(*delay)
            ),
            PolicyError::InvalidFactor { factor } if factor.is_nan() || factor.is_infinite() => format!(
                "`factor = {factor}` is not a finite number; use a factor of at least 1 (`factor = 2` doubles each delay)"
            ),
            PolicyError::InvalidFactor { factor } => format!(
                "`factor = {factor}` would make delays shrink; use a factor of at least 1 (`factor = 2` doubles each delay)"
            ),
            PolicyError::ZeroDuration { field } => format!(
                "`{field}` is zero, which would stop every call before it starts; give a positive duration such as `{}`",
                find(RETRY_KEYS, field).map_or("", |key| key.example)
            ),
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
        write!(f, "invalid retry policy: {}", self.reason())
    }
}

impl Error for PolicyError {}

const RETRY: RetryPolicy = RetryPolicy::DEFAULT;

/// The keys of a retry policy, in the order documentation and messages list them.
///
/// ```
/// use retry_settings::RETRY_KEYS;
///
/// let names: Vec<&str> = RETRY_KEYS.iter().map(|key| key.name).collect();
/// assert_eq!(names, [
///     "max_attempts", "backoff", "delay", "max_delay", "factor", "jitter", "max_elapsed",
///     "attempt_timeout",
/// ]);
/// ```
pub const RETRY_KEYS: &[Key<RetryPolicyBuilder>] = &[
    Key {
        name: "max_attempts",
        kind: Kind::Count {
            min: 1,
            max: u32::MAX,
            set: RetryPolicyBuilder::max_attempts,
        },
        default: Some(Value::Count(RETRY.max_attempts())),
        doc: "total attempts, the first one included",
        example: "max_attempts = 3",
    },
    Key {
        name: "backoff",
        kind: Kind::Backoff {
            set: RetryPolicyBuilder::backoff,
        },
        default: Some(Value::Backoff(RETRY.backoff())),
        doc: "how the delay grows from one retry to the next",
        example: "backoff = \"exponential\"",
    },
    Key {
        name: "delay",
        kind: Kind::Duration {
            zero: true,
            set: RetryPolicyBuilder::delay,
        },
        default: Some(Value::Duration(RETRY.delay())),
        doc: "the base delay: the wait before the first retry",
        example: "delay = \"100ms\"",
    },
    Key {
        name: "max_delay",
        kind: Kind::Duration {
            zero: true,
            set: RetryPolicyBuilder::max_delay,
        },
        default: Some(Value::Duration(RETRY.max_delay())),
        doc: "the cap on any single delay, after jitter; at least `delay`",
        example: "max_delay = \"10s\"",
    },
    Key {
        name: "factor",
        kind: Kind::Number {
            min: 1.0,
            min_excluded: false,
            max: f64::MAX,
            set: |builder, factor| builder.backoff(Backoff::Exponential { factor }),
        },
        default: Some(Value::Number(DEFAULT_FACTOR)),
        doc: "the growth factor of exponential backoff (it sets an exponential backoff)",
        example: "factor = 2",
    },
    Key {
        name: "jitter",
        kind: Kind::Jitter {
            set: RetryPolicyBuilder::jitter,
        },
        default: Some(Value::Jitter(RETRY.jitter())),
        doc: "how delays are randomised",
        example: "jitter = \"full\"",
    },
    Key {
        name: "max_elapsed",
        kind: Kind::Duration {
            zero: false,
            set: RetryPolicyBuilder::max_elapsed,
        },
        default: None,
        doc: "the total time budget across attempts and sleeps",
        example: "max_elapsed = \"30s\"",
    },
    Key {
        name: "attempt_timeout",
        kind: Kind::Duration {
            zero: false,
            set: RetryPolicyBuilder::attempt_timeout,
        },
        default: None,
        doc: "async only: each attempt is cut off after this long",
        example: "attempt_timeout = \"2s\"",
    },
];

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
            assert!(preset.to_builder().errors().is_empty(), "{preset:?}");
        }
    }

    #[test]
    fn every_invalid_value_names_its_field_value_and_fix() {
        let ms = Duration::from_millis;
        let cases: [(RetryPolicyBuilder, &str, &str); 8] = [
            (
                RetryPolicy::builder().max_attempts(0),
                "max_attempts",
                "`max_attempts = 0` would never run the fn: it counts the first attempt; use `max_attempts = 1`",
            ),
            (
                RetryPolicy::builder().delay(ms(500)).max_delay(ms(100)),
                "max_delay",
                "`max_delay` (100ms) is below `delay` (500ms); raise `max_delay` or lower `delay`",
            ),
            (
                RetryPolicy::builder().backoff(Backoff::Exponential { factor: 0.5 }),
                "factor",
                "`factor = 0.5` would make delays shrink; use a factor of at least 1",
            ),
            (
                RetryPolicy::builder().backoff(Backoff::Exponential { factor: -2.0 }),
                "factor",
                "`factor = -2` would make delays shrink",
            ),
            (
                RetryPolicy::builder().backoff(Backoff::Exponential { factor: f64::NAN }),
                "factor",
                "`factor = NaN` is not a finite number; use a factor of at least 1",
            ),
            (
                RetryPolicy::builder().backoff(Backoff::Exponential {
                    factor: f64::INFINITY,
                }),
                "factor",
                "`factor = inf` is not a finite number",
            ),
            (
                RetryPolicy::builder().max_elapsed(Duration::ZERO),
                "max_elapsed",
                "`max_elapsed` is zero, which would stop every call before it starts; give a positive duration such as `max_elapsed = \"30s\"`",
            ),
            (
                RetryPolicy::builder().attempt_timeout(Duration::ZERO),
                "attempt_timeout",
                "`attempt_timeout` is zero, which would stop every call before it starts; give a positive duration such as `attempt_timeout = \"2s\"`",
            ),
        ];
        for (builder, field, text) in cases {
            let error = builder.build().unwrap_err();
            assert_eq!(error.field(), field);
            assert_eq!(error.fields()[0], field);
            let message = error.to_string();
            assert!(message.starts_with("invalid retry policy: "), "{message:?}");
            assert!(message.contains(text), "{message:?} lacks {text:?}");
            // Compared by message: a NaN factor is not equal to itself.
            let all: Vec<String> = builder.errors().iter().map(ToString::to_string).collect();
            assert_eq!(all, [message]);
        }
    }

    #[test]
    fn errors_lists_every_check_that_fails_in_build_order() {
        let builder = RetryPolicy::builder()
            .max_attempts(0)
            .delay(Duration::from_secs(20))
            .backoff(Backoff::Exponential { factor: 0.0 })
            .max_elapsed(Duration::ZERO)
            .attempt_timeout(Duration::ZERO);
        let errors = builder.errors();
        let fields: Vec<&str> = errors.iter().map(PolicyError::field).collect();
        assert_eq!(
            fields,
            [
                "max_attempts",
                "max_delay",
                "factor",
                "max_elapsed",
                "attempt_timeout"
            ]
        );
        assert_eq!(builder.build().unwrap_err(), errors[0]);
    }
}
