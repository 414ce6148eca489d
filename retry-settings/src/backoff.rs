//! How the nominal delay grows from one retry to the next, before jitter.

use std::fmt;
use std::time::Duration;

/// A user-supplied backoff: given the retry index `n` (0 for the first retry) and the policy's
/// base `delay`, returns the nominal delay. The result is still capped at `max_delay` and jittered.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use std::time::Duration;
/// use retry_runtime::{Backoff, CustomBackoff};
///
/// fn squares(n: u32, delay: Duration) -> Duration {
///     delay.saturating_mul((n + 1) * (n + 1))
/// }
///
/// let custom: CustomBackoff = squares;
/// let backoff = Backoff::Custom(custom);
/// let cap = Duration::from_secs(1);
/// assert_eq!(backoff.nominal_delay(2, Duration::from_millis(10), cap), Duration::from_millis(90));
/// ```
pub type CustomBackoff = fn(n: u32, delay: Duration) -> Duration;

/// The factor of an exponential backoff named without one (`backoff = "exponential"`), and of
/// the default policy: each retry waits twice as long as the one before.
///
/// ```
/// use retry_settings::{DEFAULT_FACTOR, RetryPolicy};
///
/// assert!(matches!(
///     RetryPolicy::DEFAULT.backoff(),
///     retry_settings::Backoff::Exponential { factor } if factor == DEFAULT_FACTOR
/// ));
/// ```
pub const DEFAULT_FACTOR: f64 = 2.0;

/// The growth rule of the nominal delay `d(n)` before the `n`-th retry (`n` starts at 0).
///
/// Every kind is capped at the policy's `max_delay`, so `d(n) = min(max_delay, base * g(n))`:
///
/// | kind | `g(n)` | `n = 0, 1, 2, 3, 4` with `base = 100ms` |
/// | --- | --- | --- |
/// | [`Fixed`](Backoff::Fixed) | 1 | 100, 100, 100, 100, 100 ms |
/// | [`Linear`](Backoff::Linear) | `n + 1` | 100, 200, 300, 400, 500 ms |
/// | [`Exponential`](Backoff::Exponential) | `factor^n` | 100, 200, 400, 800, 1600 ms (factor 2) |
/// | [`Fibonacci`](Backoff::Fibonacci) | `fib(n + 1)`: 1, 1, 2, 3, 5, ... | 100, 100, 200, 300, 500 ms |
/// | [`Custom`](Backoff::Custom) | your fn | |
///
/// The arithmetic saturates: any `n` up to `u32::MAX` and any durations give the cap, never an
/// overflow or a panic.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use std::time::Duration;
/// use retry_runtime::Backoff;
///
/// let base = Duration::from_millis(100);
/// let cap = Duration::from_secs(1);
/// let exponential = Backoff::Exponential { factor: 2.0 };
/// assert_eq!(exponential.nominal_delay(3, base, cap), Duration::from_millis(800));
/// assert_eq!(exponential.nominal_delay(u32::MAX, base, cap), cap);
/// ```
#[derive(Clone, Copy)]
pub enum Backoff {
    /// The same delay every time.
    Fixed,
    /// `base * (n + 1)`.
    Linear,
    /// `base * factor^n`; `factor` is at least 1 (checked where policies are built).
    Exponential {
        /// The growth factor between two consecutive retries.
        factor: f64,
    },
    /// `base * fib(n + 1)`, growing more gently than doubling.
    Fibonacci,
    /// A fn of your own; see [`CustomBackoff`].
    Custom(CustomBackoff),
}

impl Backoff {
    /// The nominal delay before retry `n` (0-based), capped at `cap`.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use std::time::Duration;
    /// use retry_runtime::Backoff;
    ///
    /// let base = Duration::from_millis(100);
    /// let cap = Duration::from_secs(10);
    /// assert_eq!(Backoff::Fibonacci.nominal_delay(4, base, cap), Duration::from_millis(500));
    /// assert_eq!(Backoff::Linear.nominal_delay(u32::MAX, base, cap), cap);
    /// ```
    pub fn nominal_delay(&self, n: u32, base: Duration, cap: Duration) -> Duration {
        // The first retry waits `base` for every built-in kind (the most common retry, and the
        // only one whose math is worth skipping).
        if n == 0 && !matches!(self, Backoff::Custom(_)) {
            return base.min(cap);
        }
        let uncapped = match *self {
            Backoff::Fixed => base,
            Backoff::Linear => base.saturating_mul(n.saturating_add(1)),
            Backoff::Exponential { factor } => {
                scale_saturating(base, exponential_growth(factor, n))
            }
            Backoff::Fibonacci => base.saturating_mul(fibonacci_saturating(n.saturating_add(1))),
            Backoff::Custom(custom) => custom(n, base),
        };
        uncapped.min(cap)
    }

    /// The kind's name as the attribute and configuration files spell it (`"exponential"`,
    /// ...; `"custom"` for a fn of your own). [`BACKOFF_NAMES`](crate::BACKOFF_NAMES) lists the
    /// names that can be written.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::Backoff;
    ///
    /// assert_eq!(Backoff::Exponential { factor: 3.0 }.name(), "exponential");
    /// ```
    pub const fn name(&self) -> &'static str {
        match self {
            Backoff::Fixed => "fixed",
            Backoff::Linear => "linear",
            Backoff::Exponential { .. } => "exponential",
            Backoff::Fibonacci => "fibonacci",
            Backoff::Custom(_) => "custom",
        }
    }
}

impl fmt::Debug for Backoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backoff::Exponential { factor } => f
                .debug_struct("Exponential")
                .field("factor", factor)
                .finish(),
            // A fn pointer's address tells the reader nothing.
            Backoff::Custom(_) => f.write_str("Custom(..)"),
            Backoff::Fixed => f.write_str("Fixed"),
            Backoff::Linear => f.write_str("Linear"),
            Backoff::Fibonacci => f.write_str("Fibonacci"),
        }
    }
}

fn exponential_growth(factor: f64, n: u32) -> f64 {
    // `powi` takes an i32; past i32::MAX any factor > 1 has long been infinite, and factor 1 stays 1.
    factor.powi(i32::try_from(n).unwrap_or(i32::MAX))
}

/// `fib(k)` with `fib(1) = fib(2) = 1`, saturating at `u32::MAX` (reached at k = 48).
fn fibonacci_saturating(k: u32) -> u32 {
    let (mut previous, mut current) = (0u32, 1u32);
    for _ in 1..k.min(48) {
        let next = previous.saturating_add(current);
        previous = current;
        current = next;
    }
    if k >= 48 { u32::MAX } else { current }
}

/// `Duration::MAX` in nanoseconds, as an f64.
#[allow(clippy::cast_precision_loss)]
const MAX_NANOS: f64 = u64::MAX as f64 * 1e9 + 999_999_999.0;

/// `duration * multiplier` for a finite or infinite `multiplier >= 0`, saturating at `Duration::MAX`.
/// NaN or negative multipliers give zero: this never panics.
pub(crate) fn scale_saturating(duration: Duration, multiplier: f64) -> Duration {
    // Seconds and nanoseconds convert to f64 natively; `as_nanos()` is a u128, whose conversion
    // is a soft-float call that cost more than the rest of the delay math. Rounding to f64's
    // 53-bit mantissa costs under a nanosecond below 104 days, and callers clamp the result.
    #[allow(clippy::cast_precision_loss)]
    let nanos = (duration.as_secs() as f64 * 1e9 + f64::from(duration.subsec_nanos())) * multiplier;
    if nanos.is_nan() || nanos <= 0.0 {
        return Duration::ZERO;
    }
    if nanos >= MAX_NANOS {
        return Duration::MAX;
    }
    let whole_seconds = (nanos / 1e9).floor();
    let subsec_nanos = (nanos - whole_seconds * 1e9).clamp(0.0, 999_999_999.0);
    // Both casts are in range: the bounds were checked above.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Duration::new(whole_seconds as u64, subsec_nanos as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn fibonacci_sequence_starts_one_one_two() {
        let got: Vec<u32> = (0..8).map(|n| fibonacci_saturating(n + 1)).collect();
        assert_eq!(got, [1, 1, 2, 3, 5, 8, 13, 21]);
        assert_eq!(fibonacci_saturating(47), 2_971_215_073);
        assert_eq!(fibonacci_saturating(48), u32::MAX);
        assert_eq!(fibonacci_saturating(u32::MAX), u32::MAX);
    }

    #[test]
    fn each_kind_follows_its_table_row() {
        let cap = Duration::from_secs(3600);
        let rows: [(Backoff, [u64; 5]); 4] = [
            (Backoff::Fixed, [100, 100, 100, 100, 100]),
            (Backoff::Linear, [100, 200, 300, 400, 500]),
            (
                Backoff::Exponential { factor: 2.0 },
                [100, 200, 400, 800, 1600],
            ),
            (Backoff::Fibonacci, [100, 100, 200, 300, 500]),
        ];
        for (kind, expected) in rows {
            let got: Vec<u64> = (0..5)
                .map(|n| u64::try_from(kind.nominal_delay(n, 100 * MS, cap).as_millis()).unwrap())
                .collect();
            assert_eq!(got, expected, "{kind:?}");
        }
    }

    #[test]
    fn custom_backoff_is_capped() {
        fn squares(n: u32, base: Duration) -> Duration {
            base * (n + 1) * (n + 1)
        }
        let kind = Backoff::Custom(squares);
        assert_eq!(kind.nominal_delay(2, MS, Duration::from_secs(1)), 9 * MS);
        assert_eq!(kind.nominal_delay(999, MS, 5 * MS), 5 * MS);
    }

    #[test]
    fn scale_saturates_and_never_panics() {
        assert_eq!(scale_saturating(Duration::MAX, 2.0), Duration::MAX);
        assert_eq!(scale_saturating(MS, f64::INFINITY), Duration::MAX);
        assert_eq!(scale_saturating(MS, f64::NAN), Duration::ZERO);
        assert_eq!(scale_saturating(MS, -1.0), Duration::ZERO);
        assert_eq!(scale_saturating(Duration::from_secs(3), 0.5), 1500 * MS);
    }
}
