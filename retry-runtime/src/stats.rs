//! Snapshots in code: what each retry site and breaker did, for asserting in your own tests
//! without a metrics backend. Collection is a [hook](crate::hooks), so it costs nothing until
//! [`collect`] is called.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::breaker::BreakerCounts;
use crate::breaker_state::BreakerState;
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

/// Collects [`RetryStats`] per site until dropped.
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
    _hook: HookGuard,
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
    Stats { sites, _hook: hook }
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

    /// The named breaker now, if registered.
    pub fn breaker(&self, name: &str) -> Option<BreakerSnapshot> {
        crate::registry::breaker(name).map(|breaker| BreakerSnapshot {
            state: breaker.state(),
            counts: breaker.counts(),
            failure_rate: breaker.failure_rate(),
        })
    }
}
