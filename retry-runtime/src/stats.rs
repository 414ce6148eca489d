//! Snapshots in code: what each retry site, hedge site and breaker did, for asserting in your own
//! tests without a metrics backend. Collection is a [hook](crate::hooks), so it costs nothing until
//! [`collect`] is called.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::breaker::BreakerCounts;
use crate::breaker_state::BreakerState;
use crate::events::HedgeOutcome;
use crate::events::hooks::{Event, HookGuard, install_hook};

/// What one retry site did while a [`Stats`] was collecting. Every call is counted once, in
/// `successes`, `failures` or `cancelled`, and every attempt once, in `attempts`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryStats {
    /// Calls made: `successes + failures + cancelled`.
    pub calls: u64,
    /// Attempts made, first attempts included, and those of cancelled calls (the one a drop
    /// cut off included).
    pub attempts: u64,
    /// Retries scheduled.
    pub retries: u64,
    /// Calls that ended with `Ok`.
    pub successes: u64,
    /// Calls that ended with an error: exhausted, out of time, or not retryable.
    pub failures: u64,
    /// Async calls dropped before they ended ([`Event::Cancelled`]): the caller went away.
    pub cancelled: u64,
}

/// What one `#[hedge]` site did while a [`Stats`] was collecting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HedgeStats {
    /// Calls that ended: the sum of `primary_won`, `hedge_won` and `failed`.
    pub calls: u64,
    /// Attempts started, first attempts included.
    pub attempts: u64,
    /// Extra attempts started beside a slow or failed one.
    pub hedges: u64,
    /// Calls whose first attempt gave the result.
    pub primary_won: u64,
    /// Calls whose result came from an extra attempt.
    pub hedge_won: u64,
    /// Calls that returned an error or a value `on_result` calls a failure.
    pub failed: u64,
}

/// A breaker as it is now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerSnapshot {
    /// Its state.
    pub state: BreakerState,
    /// Its cumulative counts.
    pub counts: BreakerCounts,
    /// Its failure rate over the window, when a rate is configured.
    pub failure_rate: Option<f64>,
}

/// Collects [`RetryStats`] per retry site and [`HedgeStats`] per hedge site until dropped.
///
/// ```
/// use retry_runtime::retry;
///
/// #[retry(max_attempts = 3, delay = "1ms", name = "stats-doc")]
/// fn flaky(calls: &mut u32) -> Result<(), String> {
///     *calls += 1;
///     if *calls < 2 { Err("busy".into()) } else { Ok(()) }
/// }
///
/// let stats = retry_runtime::stats::collect();
/// let _paused = retry_runtime::testing::pause_sync_time();
/// flaky(&mut 0).unwrap();
/// let site = stats.retry("stats-doc");
/// assert_eq!((site.calls, site.attempts, site.retries, site.successes), (1, 2, 1, 1));
/// ```
#[must_use = "collection stops when the Stats is dropped"]
#[derive(Debug)]
pub struct Stats {
    sites: Arc<Mutex<HashMap<&'static str, RetryStats>>>,
    hedges: Arc<Mutex<HashMap<&'static str, HedgeStats>>>,
    _hook: HookGuard,
    _hedge_hook: HookGuard,
}

/// Starts collecting; every thread's retries are counted, by site name.
pub fn collect() -> Stats {
    let sites: Arc<Mutex<HashMap<&'static str, RetryStats>>> = Arc::default();
    let sink = Arc::clone(&sites);
    let hook = install_hook(move |event: &Event<'_>| {
        let mut sites = sink.lock().unwrap_or_else(PoisonError::into_inner);
        match *event {
            Event::RetryScheduled { name, .. } => sites.entry(name).or_default().retries += 1,
            Event::Succeeded { name, attempts } => {
                let site = sites.entry(name).or_default();
                site.calls += 1;
                site.successes += 1;
                site.attempts += u64::from(attempts);
            }
            Event::Exhausted { name, attempts, .. }
            | Event::NotRetryable { name, attempts, .. } => {
                let site = sites.entry(name).or_default();
                site.calls += 1;
                site.failures += 1;
                site.attempts += u64::from(attempts);
            }
            Event::Cancelled { name, attempts } => {
                let site = sites.entry(name).or_default();
                site.calls += 1;
                site.cancelled += 1;
                site.attempts += u64::from(attempts);
            }
            _ => {}
        }
    });
    let (hedges, hedge_hook) = collect_hedges();
    Stats {
        sites,
        hedges,
        _hook: hook,
        _hedge_hook: hedge_hook,
    }
}

/// The hedge sites' side of [`collect`]: a hook of its own, counting `HedgeCall` events.
fn collect_hedges() -> (Arc<Mutex<HashMap<&'static str, HedgeStats>>>, HookGuard) {
    let hedges: Arc<Mutex<HashMap<&'static str, HedgeStats>>> = Arc::default();
    let sink = Arc::clone(&hedges);
    let hook = install_hook(move |event: &Event<'_>| {
        if let Event::HedgeCall {
            name,
            outcome,
            attempts,
        } = *event
        {
            let mut hedges = sink.lock().unwrap_or_else(PoisonError::into_inner);
            let site = hedges.entry(name).or_default();
            site.calls += 1;
            site.attempts += u64::from(attempts);
            site.hedges += u64::from(attempts.saturating_sub(1));
            match outcome {
                HedgeOutcome::PrimaryWon => site.primary_won += 1,
                HedgeOutcome::HedgeWon => site.hedge_won += 1,
                HedgeOutcome::Failed => site.failed += 1,
            }
        }
    });
    (hedges, hook)
}

impl Stats {
    /// The site's counts so far (zero if it has not run).
    pub fn retry(&self, name: &str) -> RetryStats {
        self.sites
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .copied()
            .unwrap_or_default()
    }

    /// The hedge site's counts so far (zero if it has not run): sites are named `module::fn`
    /// unless `#[hedge(name = ...)]` says otherwise.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use retry_runtime::hedge;
    ///
    /// #[hedge(after = "10ms", name = "stats-hedge-doc")]
    /// async fn search(query: &str) -> Result<usize, String> {
    ///     Ok(query.len())
    /// }
    ///
    /// let stats = retry_runtime::stats::collect();
    /// search("rust").await.unwrap();
    /// let site = stats.hedge("stats-hedge-doc");
    /// assert_eq!((site.calls, site.attempts, site.primary_won), (1, 1, 1));
    /// # }
    /// ```
    pub fn hedge(&self, name: &str) -> HedgeStats {
        self.hedges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .copied()
            .unwrap_or_default()
    }

    /// The named breaker now, if registered.
    pub fn breaker(&self, name: &str) -> Option<BreakerSnapshot> {
        crate::breaker::registry::breaker(name).map(|breaker| BreakerSnapshot {
            state: breaker.state(),
            counts: breaker.counts(),
            failure_rate: breaker.failure_rate(),
        })
    }
}
