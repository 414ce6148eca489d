//! Gradient2: Netflix's `Gradient2Limit`. The ratio of a long-term latency (an exponential
//! average over 600 windows) to the window's latency is the gradient: 1 while calls take no
//! longer than usual, below 1 as they queue. The limit becomes `limit x gradient + 4` (the 4
//! is headroom to keep probing), smoothed: a fifth of the way there each window.
//!
//! The gradient is `tolerance x long / short`, kept within 0.5 and 1, so a window at most
//! `tolerance` times slower than the long-term latency counts as no queue, and no window more
//! than halves the limit. Netflix's `rttTolerance` is 1.5; ours is 1.0 (see [`TOLERANCE`]).
//! When the long-term latency is more than twice the window's (a queue that built over a long
//! overload is draining), it is pulled down 5% a window so it follows the recovery.

use super::algorithm::Window;

/// How much slower than the long-term latency a window may be before the limit shrinks: none.
/// At a tolerance `t` the limit settles near `t x capacity + 4`, where the queue it builds makes
/// calls `t` times slower; Netflix's 1.5 leaves every call half as slow again at the
/// equilibrium. A window's latency averages at least 20 calls, so a tolerance of 1 does not
/// chase noise: the smoothing takes a fifth of each step.
pub(crate) const TOLERANCE: f64 = 1.0;

/// Windows the long-term latency averages over (Netflix's `longWindow`).
const LONG_WINDOW: f64 = 600.0;

/// Windows the long-term latency is a plain average over before it becomes exponential.
const WARMUP: f64 = 10.0;

/// The headroom added to the scaled limit (Netflix's `queueSize`).
const HEADROOM: f64 = 4.0;

/// How far towards the new limit each window moves (Netflix's `smoothing`).
const SMOOTHING: f64 = 0.2;

#[derive(Clone, Debug, Default)]
pub(crate) struct Gradient2 {
    /// The long-term latency, in nanoseconds.
    long: f64,
    /// Windows averaged into `long`, up to [`WARMUP`].
    seen: f64,
}

impl Gradient2 {
    /// The limit after `window`, from `limit`.
    pub(crate) fn update(&mut self, limit: f64, window: &Window) -> f64 {
        let short = window.latency;
        if self.seen < WARMUP {
            self.seen += 1.0;
            self.long += (short - self.long) / self.seen;
        } else {
            let factor = 2.0 / (LONG_WINDOW + 1.0);
            self.long = self.long * (1.0 - factor) + short * factor;
        }
        if self.long / short > 2.0 {
            self.long *= 0.95;
        }
        let gradient = (TOLERANCE * self.long / short).clamp(0.5, 1.0);
        if gradient >= 1.0 && window.app_limited(limit) {
            return limit;
        }
        let target = limit * gradient + HEADROOM;
        limit * (1.0 - SMOOTHING) + target * SMOOTHING
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "the values compared are exact")]
mod tests {
    use super::*;
    use crate::adaptive_limit::algorithm::tests::window;

    #[test]
    fn steady_latency_grows_by_a_fifth_of_the_headroom() {
        let mut gradient = Gradient2::default();
        let limit = gradient.update(20.0, &window(10.0, 20));
        assert!((limit - 20.8).abs() < 1e-9, "{limit}");
    }

    #[test]
    fn a_slower_window_scales_the_limit_down_at_most_by_half() {
        let mut gradient = Gradient2::default();
        for _ in 0..10 {
            gradient.update(100.0, &window(10.0, 100));
        }
        // Twice as slow: gradient 0.5, target 54, a fifth of the way: 90.8.
        let limit = gradient.update(100.0, &window(20.0, 100));
        assert!((limit - 90.8).abs() < 0.1, "{limit}");
        // Ten times as slow: still 0.5.
        let mut gradient = Gradient2::default();
        for _ in 0..10 {
            gradient.update(100.0, &window(10.0, 100));
        }
        let limit = gradient.update(100.0, &window(100.0, 100));
        assert!((limit - 90.8).abs() < 0.1, "{limit}");
    }

    #[test]
    fn an_app_limited_window_does_not_grow_the_limit() {
        let mut gradient = Gradient2::default();
        assert_eq!(gradient.update(100.0, &window(10.0, 40)), 100.0);
    }
}
