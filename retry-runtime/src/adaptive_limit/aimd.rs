//! AIMD: additive increase, multiplicative decrease, the rule TCP Reno uses for its window and
//! Netflix's `AIMDLimit` for a limit. A window is a loss when its calls took more than
//! [`THRESHOLD`] times the no-load latency ([`NoLoad`]): the limit is multiplied by
//! [`BACKOFF`]. Otherwise, when the calls used at least half of it, the limit grows by one.
//!
//! Netflix's loss is a dropped call or one slower than a fixed timeout (5 s by default); an
//! attribute cannot know which errors mean overload, and a fixed timeout fits no dependency in
//! general, so the loss here is relative to the dependency's own no-load latency. AIMD probes
//! by building a queue and backs off when it has: the limit saws between about 0.9 and 1
//! times the limit whose queue reaches the threshold, `THRESHOLD x capacity`.

use super::algorithm::{NoLoad, Window};

/// How much slower than without load a window's calls may be before it counts as a loss.
pub(crate) const THRESHOLD: f64 = 1.2;

/// What a loss multiplies the limit by (Netflix's `backoffRatio`).
pub(crate) const BACKOFF: f64 = 0.9;

#[derive(Clone, Debug, Default)]
pub(crate) struct Aimd {
    no_load: NoLoad,
}

impl Aimd {
    /// The limit after `window`, from `limit`.
    pub(crate) fn update(&mut self, limit: f64, window: &Window) -> f64 {
        let Some(no_load) = self.no_load.observe(window, limit) else {
            return limit;
        };
        if window.latency > THRESHOLD * no_load {
            limit * BACKOFF
        } else if window.app_limited(limit) {
            limit
        } else {
            limit + 1.0
        }
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "the values compared are exact")]
mod tests {
    use super::*;
    use crate::adaptive_limit::algorithm::tests::window;

    #[test]
    fn one_more_a_window_until_latency_rises() {
        let mut aimd = Aimd::default();
        assert_eq!(aimd.update(20.0, &window(10.0, 20)), 20.0);
        assert_eq!(aimd.update(20.0, &window(11.0, 20)), 21.0);
        assert_eq!(aimd.update(21.0, &window(11.0, 10)), 21.0);
        assert_eq!(aimd.update(21.0, &window(12.5, 21)), 21.0 * 0.9);
    }
}
