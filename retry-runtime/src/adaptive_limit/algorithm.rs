//! What the three algorithms share: the summary of one window of calls they are fed, the
//! no-load latency two of them compare against, and the controller that runs the one a limiter
//! was configured with and keeps its estimate within the bounds.
//!
//! The algorithms are pure: a window in, a limit out, no clock and no atomics, so each is
//! tested (and simulated) on its own. They keep the limit as an `f64` and the limiter enforces
//! it rounded.

use retry_settings::{AdaptiveLimitConfig, LimitAlgorithm};

use super::aimd::Aimd;
use super::gradient2::Gradient2;
use super::vegas::Vegas;

/// The calls that finished in one window, summarised.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Window {
    /// Their average latency, in nanoseconds (at least 1).
    pub(crate) latency: f64,
    /// The most calls in flight when one of them was admitted, itself included.
    pub(crate) max_inflight: u32,
}

impl Window {
    /// Whether the calls used less than half the limit: then latency says nothing of what a
    /// higher limit would do, and no algorithm raises it (Netflix's guard against drifting up
    /// while the application, not the dependency, limits the load).
    pub(crate) fn app_limited(&self, limit: f64) -> bool {
        f64::from(self.max_inflight) * 2.0 < limit
    }
}

/// `max(1, floor(log10(limit)))`: the steps and thresholds of Vegas (Netflix's
/// `Log10RootIntFunction`): 1 up to a limit of 99, 2 up to 999, 3 beyond.
pub(crate) fn log10_step(limit: f64) -> f64 {
    limit.log10().floor().max(1.0)
}

/// How many windows, times the limit, pass between two re-measurements of the no-load latency
/// (Netflix Vegas's `probeMultiplier`): a limit of 100 re-measures every 3,000 windows, five
/// minutes at the shortest window.
pub(crate) const PROBE_EVERY: f64 = 30.0;

/// The latency of calls that do not queue: the lowest window latency seen. It can only go down
/// on its own, so every [`PROBE_EVERY`] x limit windows it is taken afresh from the current
/// window, which lets it follow a dependency that became slower for good (and, if that window
/// was queued, overestimate it until a faster window comes, as Netflix's does).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct NoLoad {
    /// Nanoseconds; 0 until the first window.
    latency: f64,
    windows: f64,
}

impl NoLoad {
    /// Feeds one window. `None` when the window became the baseline (a first one, a faster
    /// one, or a probe): nothing to compare it with, so the limit holds.
    pub(crate) fn observe(&mut self, window: &Window, limit: f64) -> Option<f64> {
        self.windows += 1.0;
        if self.windows >= PROBE_EVERY * limit {
            self.windows = 0.0;
            self.latency = window.latency;
            return None;
        }
        if self.latency == 0.0 || window.latency < self.latency {
            self.latency = window.latency;
            return None;
        }
        Some(self.latency)
    }

    /// The baseline, in nanoseconds (0 before the first window).
    #[cfg(test)]
    pub(crate) fn latency(&self) -> f64 {
        self.latency
    }
}

/// The configured algorithm, its estimate, and the bounds it is kept within.
#[derive(Clone, Debug)]
pub(crate) struct Controller {
    estimate: f64,
    min: f64,
    max: f64,
    algorithm: Algorithm,
}

#[derive(Clone, Debug)]
enum Algorithm {
    Vegas(Vegas),
    Gradient2(Gradient2),
    Aimd(Aimd),
}

impl Controller {
    pub(crate) fn new(config: &AdaptiveLimitConfig) -> Controller {
        let algorithm = match config.algorithm() {
            LimitAlgorithm::Gradient2 => Algorithm::Gradient2(Gradient2::default()),
            LimitAlgorithm::Aimd => Algorithm::Aimd(Aimd::default()),
            // Vegas, and any algorithm a newer settings crate adds, until it has its own arm.
            _ => Algorithm::Vegas(Vegas::default()),
        };
        Controller {
            estimate: f64::from(config.initial_limit()),
            min: f64::from(config.min_limit()),
            max: f64::from(config.max_limit()),
            algorithm,
        }
    }

    /// Feeds one window; the limit after it.
    pub(crate) fn update(&mut self, window: &Window) -> u32 {
        let limit = self.estimate;
        let next = match &mut self.algorithm {
            Algorithm::Vegas(vegas) => vegas.update(limit, window),
            Algorithm::Gradient2(gradient) => gradient.update(limit, window),
            Algorithm::Aimd(aimd) => aimd.update(limit, window),
        };
        if next.is_finite() {
            self.estimate = next.clamp(self.min, self.max);
        }
        self.limit()
    }

    /// The limit to enforce: the estimate, rounded.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    pub(crate) fn limit(&self) -> u32 {
        // Within `min..=max`, themselves within 1..=MAX_LIMIT.
        self.estimate.round() as u32
    }

    /// Moves the estimate to `limit` (clamped to the bounds); the algorithm goes on from it.
    pub(crate) fn set(&mut self, limit: u32) -> u32 {
        self.estimate = f64::from(limit).clamp(self.min, self.max);
        self.limit()
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "the values compared are exact")]
pub(crate) mod tests {
    use super::*;

    /// A window of calls taking `millis` on average, with `inflight` of them at once.
    pub(crate) fn window(millis: f64, inflight: u32) -> Window {
        Window {
            latency: millis * 1e6,
            max_inflight: inflight,
        }
    }

    #[test]
    fn the_log10_step_is_netflixs() {
        let steps: Vec<f64> = [1.0, 9.0, 10.0, 99.0, 100.0, 999.0, 1000.0, 20_000.0]
            .into_iter()
            .map(log10_step)
            .collect();
        assert_eq!(steps, [1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn the_no_load_latency_is_the_fastest_window_until_a_probe() {
        let mut no_load = NoLoad::default();
        assert_eq!(no_load.observe(&window(10.0, 5), 1.0), None);
        assert_eq!(no_load.observe(&window(12.0, 5), 1.0), Some(10e6));
        assert_eq!(no_load.observe(&window(8.0, 5), 1.0), None);
        assert_eq!(no_load.latency(), 8e6);
        // A limit of 1 probes every 30 windows: the 30th takes the current latency.
        for _ in 3..29 {
            assert_eq!(no_load.observe(&window(20.0, 5), 1.0), Some(8e6));
        }
        assert_eq!(no_load.observe(&window(20.0, 5), 1.0), None);
        assert_eq!(no_load.latency(), 20e6);
    }

    #[test]
    fn the_controller_keeps_the_estimate_within_the_bounds() {
        let config = AdaptiveLimitConfig::builder()
            .algorithm(LimitAlgorithm::Aimd)
            .initial_limit(10)
            .min_limit(9)
            .max_limit(11)
            .build()
            .unwrap();
        let mut controller = Controller::new(&config);
        // The first window sets the baseline; then fast full windows grow it by one each.
        controller.update(&window(10.0, 10));
        for _ in 0..5 {
            controller.update(&window(10.0, 11));
        }
        assert_eq!(controller.limit(), 11);
        for _ in 0..5 {
            controller.update(&window(100.0, 11));
        }
        assert_eq!(controller.limit(), 9);
        assert_eq!(controller.set(1000), 11);
    }
}
