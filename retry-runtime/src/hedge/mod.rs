//! Hedged calls (gRPC A6, Polly v8's hedging, `tower::hedge`): when an attempt has not finished
//! after a delay, another starts beside it; the first `Ok` wins and the others are dropped.
//!
//! The attempts of one call run inside the call's own future, polled together: nothing is
//! spawned, so a dropped call drops every attempt, and the first attempt is polled in place (a
//! call that never hedges allocates nothing). Each extra attempt is boxed when it starts.
//!
//! The delay is fixed (`after = "50ms"`) or a quantile of the site's recent attempt latencies
//! (`after = "p95"`, [`latency`]), never below its floor.

pub(crate) mod latency;
pub(crate) mod registry;
pub(crate) mod run;
// What expansions call, reached through `__private` only: not in the API listing.
#[doc(hidden)]
pub(crate) mod site;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use retry_settings::{HedgeConfig, HedgeDelay, MAX_HEDGE_AFTER};

use self::latency::RecentLatencies;
use crate::events::{HedgeOutcome, Source};

/// A hedge site's shared state: its settings, its recent latencies and its counts. Sites with
/// the same `name` share one ([`hedge`](crate::hedge()) looks it up).
///
/// ```
/// use std::time::Duration;
/// use retry_runtime::{HedgeConfig, HedgeDelay, register_hedge};
///
/// let config = HedgeConfig::new(HedgeDelay::parse("p95")?, 2)?;
/// let hedge = register_hedge("search", config);
/// // Until 100 latencies are known, a p95 site waits its floor (10 ms unless set).
/// assert_eq!(hedge.delay(), Duration::from_millis(10));
/// assert_eq!(hedge.counts().calls, 0);
/// # Ok::<(), retry_runtime::HedgeConfigError>(())
/// ```
pub struct Hedge {
    name: &'static str,
    source: Source,
    config: HedgeConfig,
    latencies: RecentLatencies,
    won_by_first: AtomicU64,
    won_by_extra: AtomicU64,
    failed: AtomicU64,
    started: AtomicU64,
    refused: AtomicU64,
}

/// What a hedge site has done since it was created (or [`testing::reset_all`](crate::testing::reset_all)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HedgeCounts {
    /// Calls finished: the sum of the three below.
    pub calls: u64,
    /// Calls whose first attempt returned `Ok`.
    pub primary_won: u64,
    /// Calls where an extra attempt returned `Ok` first.
    pub hedge_won: u64,
    /// Calls that returned an error.
    pub failed: u64,
    /// Extra attempts started.
    pub hedges: u64,
    /// Extra attempts the retry budget refused.
    pub refused: u64,
}

impl Hedge {
    /// A hedge outside the registry (the attributes use [`register_hedge`](crate::register_hedge)).
    pub fn new(name: &'static str, config: HedgeConfig) -> Hedge {
        Hedge {
            name,
            source: Source::hedge(name),
            config,
            latencies: RecentLatencies::new(),
            won_by_first: AtomicU64::new(0),
            won_by_extra: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            started: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// The name sites share it by.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its settings.
    pub fn config(&self) -> &HedgeConfig {
        &self.config
    }

    /// How long a call starting now waits before its next attempt: the fixed `after`, or the
    /// quantile of recent latencies, never below the floor (the floor alone until 100
    /// latencies are known) nor above an hour.
    pub fn delay(&self) -> Duration {
        match self.config.after() {
            HedgeDelay::Fixed(after) => after,
            HedgeDelay::Quantile { floor, .. } => {
                self.latencies.quantile().map_or(floor, |quantile| {
                    quantile.clamp(floor, MAX_HEDGE_AFTER.max(floor))
                })
            }
        }
    }

    /// The counts so far.
    pub fn counts(&self) -> HedgeCounts {
        let primary_won = self.won_by_first.load(Ordering::Relaxed);
        let hedge_won = self.won_by_extra.load(Ordering::Relaxed);
        let failed = self.failed.load(Ordering::Relaxed);
        HedgeCounts {
            calls: primary_won + hedge_won + failed,
            primary_won,
            hedge_won,
            failed,
            hedges: self.started.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
        }
    }

    /// Attempt latencies recorded for the quantile (0 for a fixed `after`, which needs none).
    pub fn latencies_recorded(&self) -> u64 {
        self.latencies.recorded()
    }

    /// Forgets the counts and the latencies.
    pub fn reset(&self) {
        for count in [
            &self.won_by_first,
            &self.won_by_extra,
            &self.failed,
            &self.started,
            &self.refused,
        ] {
            count.store(0, Ordering::Relaxed);
        }
        self.latencies.clear();
    }

    /// Whether attempt latencies are kept: for a quantile `after` only.
    pub(crate) fn records_latencies(&self) -> bool {
        matches!(self.config.after(), HedgeDelay::Quantile { .. })
    }

    /// One attempt took `latency` (a dropped loser: at least that long).
    pub(crate) fn record_latency(&self, latency: Duration) {
        if let HedgeDelay::Quantile { per_mille, .. } = self.config.after() {
            self.latencies.record(latency, per_mille);
        }
    }

    pub(crate) fn hedge_started(&self, hedge: u32, elapsed: Duration) {
        self.started.fetch_add(1, Ordering::Relaxed);
        crate::events::hedge_started(&self.source, hedge, elapsed);
    }

    pub(crate) fn hedge_refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn finished(&self, outcome: HedgeOutcome, attempts: u32) {
        let count = match outcome {
            HedgeOutcome::PrimaryWon => &self.won_by_first,
            HedgeOutcome::HedgeWon => &self.won_by_extra,
            HedgeOutcome::Failed => &self.failed,
        };
        count.fetch_add(1, Ordering::Relaxed);
        crate::events::hedge_call(&self.source, outcome, attempts);
    }
}

impl fmt::Debug for Hedge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hedge")
            .field("name", &self.name)
            .field("config", &self.config)
            .field("delay", &self.delay())
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}
