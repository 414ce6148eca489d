//! Vegas: the default. TCP Vegas's estimate of the queue a limit builds, as Netflix's
//! `VegasLimit` and failsafe-go's adaptive limiter use it.
//!
//! With `limit` calls in flight, a window whose calls take `latency` against a no-load latency
//! of `no_load` ([`NoLoad`]) has about `queue = limit x (1 - no_load / latency)` of them
//! waiting at the dependency rather than being served (with fewer calls in flight than the
//! limit, those calls stand for it: only they can be queued). Thresholds that grow with the log of the
//! limit (`step = max(1, floor(log10 limit))`, `alpha = 3 step`, `beta = 6 step`, Netflix's
//! defaults) say what to do:
//!
//! - `queue <= step`: nothing queues; grow fast, by `beta`;
//! - `queue < alpha`: a little queues; grow by `step`;
//! - `queue > beta`: too much queues; shrink;
//! - otherwise hold: a queue of `alpha` to `beta` calls keeps the dependency busy without
//!   making anyone wait long.
//!
//! One departure from the peers, which shrink by `step` a window: a limit far above the
//! capacity is brought down by the excess queue (`queue - beta`) at once. When a dependency
//! loses most of its capacity, a limit of 110 against a capacity of 40 estimates a queue of 70
//! and drops to 52 in one window and 46 in the next, where stepping down by 2 would take thirty
//! windows and let every call meanwhile wait more than twice as long. A window's latency is the average of at least
//! 20 calls over at least 100 ms, so one slow call does not do this; a real excess does.
//!
//! Like every algorithm here, Vegas does not raise the limit from a window whose calls used less
//! than half of it ([`Window::app_limited`]).

use super::algorithm::{NoLoad, Window, log10_step};

#[derive(Clone, Debug, Default)]
pub(crate) struct Vegas {
    no_load: NoLoad,
}

impl Vegas {
    /// The limit after `window`, from `limit`.
    pub(crate) fn update(&mut self, limit: f64, window: &Window) -> f64 {
        let Some(no_load) = self.no_load.observe(window, limit) else {
            return limit;
        };
        // The peers multiply the limit; under load the calls in flight are the limit, and when
        // they are fewer, they are all that can be queued.
        let queue = f64::from(window.max_inflight).min(limit) * (1.0 - no_load / window.latency);
        let step = log10_step(limit);
        let (alpha, beta) = (3.0 * step, 6.0 * step);
        if queue > beta {
            return limit - (queue - beta).max(step);
        }
        if window.app_limited(limit) {
            return limit;
        }
        if queue <= step {
            limit + beta
        } else if queue < alpha {
            limit + step
        } else {
            limit
        }
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "the values compared are exact")]
mod tests {
    use super::*;
    use crate::adaptive_limit::algorithm::tests::window;

    /// A Vegas that has seen a no-load latency of 10 ms.
    fn vegas() -> Vegas {
        let mut vegas = Vegas::default();
        assert_eq!(vegas.update(20.0, &window(10.0, 20)), 20.0);
        vegas
    }

    #[test]
    fn no_queue_grows_fast_a_small_one_slowly() {
        let mut vegas = vegas();
        // 20 x (1 - 10 / 10.2) = 0.4 queued: grow by beta = 6.
        assert_eq!(vegas.update(20.0, &window(10.2, 20)), 26.0);
        // 26 x (1 - 10 / 11) = 2.4 queued, below alpha = 3: grow by one step.
        assert_eq!(vegas.update(26.0, &window(11.0, 26)), 27.0);
        // 27 x (1 - 10 / 12) = 4.5, between alpha and beta: hold.
        assert_eq!(vegas.update(27.0, &window(12.0, 27)), 27.0);
    }

    #[test]
    fn a_long_queue_is_cut_by_its_excess() {
        let mut vegas = vegas();
        // 110 x (1 - 10 / 27.5) = 70 queued; beta at 110 is 12: down by 58.
        let limit = vegas.update(110.0, &window(27.5, 110));
        assert!((limit - 52.0).abs() < 1e-9, "{limit}");
        // Just over beta: down by at least one step.
        // 50 x (1 - 10 / 11.5) = 6.52 > 6: down by 1 (the step), not 0.52.
        assert_eq!(vegas.update(50.0, &window(11.5, 50)), 49.0);
    }

    #[test]
    fn an_idle_limiter_does_not_grow() {
        let mut vegas = vegas();
        assert_eq!(vegas.update(100.0, &window(10.0, 49)), 100.0);
        // A few calls queued say little: 10 x (1 - 10 / 30) = 6.7, below beta = 12.
        assert_eq!(vegas.update(100.0, &window(30.0, 10)), 100.0);
        // But 45 x (1 - 10 / 30) = 30 queued is a long queue, however much of the limit is used.
        assert_eq!(vegas.update(100.0, &window(30.0, 45)), 82.0);
    }
}
