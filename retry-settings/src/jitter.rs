//! Randomising delays so that clients that fail together do not retry together.

use std::time::Duration;

use crate::backoff::scale_saturating;

/// How a nominal delay `d = min(max_delay, base * g(n))` is randomised, with `U` uniform in `[0, 1)`.
///
/// | kind | delay | range |
/// | --- | --- | --- |
/// | [`None`](Jitter::None) | `d` | `d` |
/// | [`Full`](Jitter::Full) | `U * d` | `[0, d)` |
/// | [`Equal`](Jitter::Equal) | `d/2 + U * d/2` | `[d/2, d)` |
/// | [`Decorrelated`](Jitter::Decorrelated) | `min(max_delay, base + U * (3 * prev - base))`, `prev` starting at `base` | `[base, min(max_delay, 3 * prev)]` |
///
/// Decorrelated jitter (from the AWS Architecture Blog's "Exponential Backoff And Jitter") grows from
/// the previous delay rather than from `n`, so it ignores the backoff kind. Whatever the kind, the
/// result never exceeds `max_delay`.
///
/// ```
/// # use retry_settings as retry_runtime;
/// use std::time::Duration;
/// use retry_runtime::Jitter;
///
/// let d = Duration::from_millis(800);
/// let base = Duration::from_millis(100);
/// let cap = Duration::from_secs(1);
/// assert_eq!(Jitter::Equal.apply(d, base, cap, base, 0.5), Duration::from_millis(600));
/// assert_eq!(Jitter::Full.apply(d, base, cap, base, 0.25), Duration::from_millis(200));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Jitter {
    /// No randomness: every client sleeps exactly `d`.
    None,
    /// Anywhere in `[0, d)`: spreads retries the most.
    Full,
    /// Anywhere in `[d/2, d)`: spreads retries while keeping at least half the delay.
    Equal,
    /// Grows from the previous delay: `min(max_delay, base + U * (3 * prev - base))`.
    Decorrelated,
}

impl Jitter {
    /// The jittered delay. `nominal` is the capped nominal delay `d`, `previous` the delay slept
    /// before the last retry (`base` before the first), `unit` the random draw `U` in `[0, 1)`.
    /// Values of `unit` outside `[0, 1)` are clamped, so a bad draw cannot break the bounds.
    ///
    /// The draw is the caller's: this crate has no random generator (the runtime keeps one per
    /// thread), so the math is the same in a test that passes fixed draws.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use std::time::Duration;
    /// use retry_runtime::Jitter;
    ///
    /// let ms = Duration::from_millis;
    /// // prev = 200ms: base + 0.5 * (3 * 200 - 100) = 350ms, under the 1s cap.
    /// assert_eq!(Jitter::Decorrelated.apply(ms(800), ms(100), ms(1000), ms(200), 0.5), ms(350));
    /// ```
    pub fn apply(
        self,
        nominal: Duration,
        base: Duration,
        cap: Duration,
        previous: Duration,
        unit: f64,
    ) -> Duration {
        let unit = if unit.is_nan() {
            0.0
        } else {
            unit.clamp(0.0, 1.0)
        };
        let delay = match self {
            Jitter::None => nominal,
            Jitter::Full => scale_saturating(nominal, unit).min(nominal),
            Jitter::Equal => {
                let half = nominal / 2;
                let spread = nominal.saturating_sub(half);
                half.saturating_add(scale_saturating(spread, unit).min(spread))
            }
            Jitter::Decorrelated => {
                let span = previous.saturating_mul(3).saturating_sub(base);
                base.saturating_add(scale_saturating(span, unit).min(span))
            }
        };
        delay.min(cap)
    }

    /// Whether this kind draws a random number at all.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::Jitter;
    ///
    /// assert!(!Jitter::None.is_random());
    /// assert!(Jitter::Full.is_random());
    /// ```
    pub const fn is_random(self) -> bool {
        !matches!(self, Jitter::None)
    }

    /// The kind's name as the attribute and configuration files spell it (`"full"`, ...);
    /// [`JITTER_NAMES`](crate::JITTER_NAMES) lists them all.
    ///
    /// ```
    /// # use retry_settings as retry_runtime;
    /// use retry_runtime::Jitter;
    ///
    /// assert_eq!(Jitter::Decorrelated.name(), "decorrelated");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Jitter::None => "none",
            Jitter::Full => "full",
            Jitter::Equal => "equal",
            Jitter::Decorrelated => "decorrelated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn formulas_at_the_edges_of_the_draw() {
        let (d, base, cap) = (800 * MS, 100 * MS, 1000 * MS);
        assert_eq!(Jitter::None.apply(d, base, cap, base, 0.7), d);
        assert_eq!(Jitter::Full.apply(d, base, cap, base, 0.0), Duration::ZERO);
        assert_eq!(Jitter::Equal.apply(d, base, cap, base, 0.0), 400 * MS);
        assert_eq!(Jitter::Decorrelated.apply(d, base, cap, base, 0.0), base);
        // prev = 200ms: base + 0.5 * (600 - 100) = 350ms
        assert_eq!(
            Jitter::Decorrelated.apply(d, base, cap, 200 * MS, 0.5),
            350 * MS
        );
        // The cap holds after jitter, even when 3 * prev is far above it.
        assert_eq!(
            Jitter::Decorrelated.apply(d, base, cap, 10_000 * MS, 0.99),
            cap
        );
    }

    #[test]
    fn out_of_range_draws_are_clamped() {
        let (d, base, cap) = (800 * MS, 100 * MS, 1000 * MS);
        assert_eq!(Jitter::Full.apply(d, base, cap, base, 7.0), d);
        assert_eq!(
            Jitter::Full.apply(d, base, cap, base, f64::NAN),
            Duration::ZERO
        );
        assert_eq!(Jitter::Equal.apply(d, base, cap, base, -3.0), 400 * MS);
    }
}
