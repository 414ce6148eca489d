//! The breakers' side of the link: the newest version of each breaker's state the fleet has
//! said, applied in that order, and states waiting for breakers that have not registered yet.
//!
//! Every application of a fleet state and every version comparison happens under one lock
//! (the ledger's), so a state is never applied over a newer one, whichever thread applies it:
//! the link's thread, or a thread that registers a breaker (which takes its waiting state at
//! once, before its first call is admitted). Neither is a call's hot path: transitions and
//! registrations are rare.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::breaker::CircuitBreaker;
use crate::breaker_state::BreakerState;

use super::message::{SharedState, Versioned};
use super::options::FleetOptions;
use super::outbox;

struct Ledger {
    options: Arc<FleetOptions>,
    /// This process's origin id: its own publications are not applied again.
    origin: u64,
    entries: HashMap<String, Entry>,
}

#[derive(Default)]
struct Entry {
    /// The newest version seen for this breaker, applied or published.
    version: u64,
    /// A state for a breaker not registered yet, with when it was read.
    waiting: Option<(SharedState, Instant)>,
}

/// The most breakers the ledger remembers; beyond it, states of unregistered breakers are not
/// kept (they are still applied to registered ones).
const MAX_ENTRIES: usize = 10_000;

static LEDGER: Mutex<Option<Ledger>> = Mutex::new(None);

fn ledger() -> std::sync::MutexGuard<'static, Option<Ledger>> {
    LEDGER.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A link starts: fleet states are taken from now on, and handed to breakers as they register.
pub(super) fn open(options: Arc<FleetOptions>, origin: u64) {
    *ledger() = Some(Ledger {
        options,
        origin,
        entries: HashMap::new(),
    });
    crate::breaker::registry::on_registered(on_registered);
}

/// The link stopped: nothing more is applied.
pub(super) fn close() {
    *ledger() = None;
}

/// A state the fleet said (a publication, or a stored state read at connection): applied if it
/// is newer than any seen for its breaker and did not come from this process.
pub(super) fn consider(said: &Versioned) {
    let mut guard = ledger();
    let Some(ledger) = guard.as_mut() else {
        return;
    };
    if !ledger.options.shares_breaker(&said.name) {
        return;
    }
    let known = ledger.entries.len();
    let entry = match ledger.entries.get_mut(&said.name) {
        Some(entry) => entry,
        None if known < MAX_ENTRIES => ledger.entries.entry(said.name.clone()).or_default(),
        None => {
            // Full: a registered breaker still follows the fleet, without a remembered version.
            if let Some(breaker) = crate::breaker::registry::breaker(&said.name)
                && said.origin != ledger.origin
            {
                apply(breaker, said.shared);
            }
            return;
        }
    };
    if said.version <= entry.version {
        tracing::debug!(
            target: crate::TRACING_TARGET,
            name = said.name,
            version = said.version,
            newest = entry.version,
            "fleet link: skipped a state older than the newest seen"
        );
        return; // stale, or seen already: a newer state stands
    }
    entry.version = said.version;
    entry.waiting = None;
    if said.origin == ledger.origin {
        return; // this process's own state, as it published it
    }
    match crate::breaker::registry::breaker(&said.name) {
        Some(breaker) => apply(breaker, said.shared),
        None => entry.waiting = Some((said.shared, Instant::now())),
    }
}

/// This process published `version` of `name`'s state: older fleet states are stale now.
pub(super) fn published(name: &str, version: u64) {
    if let Some(ledger) = ledger().as_mut() {
        let entry = ledger.entries.entry(name.to_owned()).or_default();
        entry.version = entry.version.max(version);
        entry.waiting = None;
    }
}

/// The version of the fleet state `name` holds, if it holds one.
pub(super) fn version_of(name: &str) -> Option<u64> {
    ledger()
        .as_ref()
        .and_then(|ledger| ledger.entries.get(name))
        .map(|entry| entry.version)
        .filter(|version| *version > 0)
}

/// The highest version this process knows for any breaker (0 when it knows none).
pub(super) fn highest_version() -> u64 {
    ledger()
        .as_ref()
        .and_then(|ledger| ledger.entries.values().map(|entry| entry.version).max())
        .unwrap_or(0)
}

/// Redis's versions restarted below the ones this process knows (a server restarted empty or
/// from an old snapshot, with its clock behind): they are forgotten, so that Redis's stored and
/// published versions order the fleet's states from now on. States waiting for a breaker stay.
pub(super) fn rebase() {
    if let Some(ledger) = ledger().as_mut() {
        for entry in ledger.entries.values_mut() {
            entry.version = 0;
        }
    }
}

/// A breaker registered: it takes the state the fleet said for it, if any, before its first
/// call. Not for a test scope's breakers, nor for one registered by a hook while a fleet state
/// is being applied on this thread (the ledger is held then).
fn on_registered(breaker: &'static CircuitBreaker) {
    if outbox::is_applying() || crate::scope::current() != 0 {
        return;
    }
    let mut guard = ledger();
    let Some(ledger) = guard.as_mut() else {
        return;
    };
    let waiting = ledger
        .entries
        .get_mut(breaker.name())
        .and_then(|entry| entry.waiting.take())
        // Kept no longer than Redis keeps a state (an open one ends sooner, below).
        .filter(|(_, read_at)| read_at.elapsed() <= ledger.options.state_ttl);
    if let Some((mut shared, read_at)) = waiting {
        shared.open_for_left = shared.open_for_left.saturating_sub(read_at.elapsed());
        if shared.state != BreakerState::Open || shared.open_for_left > Duration::ZERO {
            apply(breaker, shared);
        }
    }
}

/// An open breaker takes a fleet open period only if it ends this much later than its own (the
/// time left is rounded up to milliseconds and travels for a moment).
const LATER_BY: Duration = Duration::from_millis(50);

/// Puts `breaker` in the fleet's state, marked as the fleet's (so it is not published back). A
/// state it is in already is left alone, and an open breaker keeps its own open period unless
/// the fleet's ends later (another process's probe failed while this one waited to probe), so
/// applying a state twice does nothing. An open period is cut to the breaker's `max_open_for`.
fn apply(breaker: &CircuitBreaker, shared: SharedState) {
    if breaker.state() == shared.state {
        if shared.state != BreakerState::Open {
            return;
        }
        let (_, _, own_left) = breaker.saved_state();
        if shared.open_for_left <= own_left.saturating_add(LATER_BY) {
            return;
        }
    }
    let left = shared.open_for_left.min(breaker.config().max_open_for());
    // User code runs in the transition (callbacks, metrics, log layers): a panic in it must not
    // end the link's thread, nor leave the handle saying it is connected.
    let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        outbox::applying_from_fleet(|| breaker.restore(shared.state, shared.trips_in_a_row, left));
    }));
    if applied.is_err() {
        tracing::warn!(
            target: crate::TRACING_TARGET,
            name = breaker.name(),
            "fleet link: code run by a transition panicked while a fleet state was applied"
        );
    }
}

/// The state to publish for `breaker`: none while half-open (each process probes on its own;
/// the probe's outcome, closed or open again, is what spreads).
pub(super) fn snapshot(breaker: &CircuitBreaker) -> Option<SharedState> {
    if breaker.state() == BreakerState::HalfOpen {
        return None;
    }
    let (state, trips_in_a_row, open_for_left) = breaker.saved_state();
    Some(SharedState {
        state,
        trips_in_a_row,
        open_for_left,
    })
}
