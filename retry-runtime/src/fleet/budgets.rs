//! The budgets' side of the link: fleet budgets whose tokens live in Redis.
//!
//! A shared budget's calls are counted by the process as always (`deposits`, one atomic add);
//! every `flush_interval` the link sends the calls counted since its last flush to the budget
//! script, which credits `share` x calls and the trickle, capped at `cap`, and leases the
//! process up to `lease_batch` whole tokens when its own pool is below that. Retries spend the
//! leased pool with the same atomic as ever, so the hot path never waits on Redis.
//!
//! While the link is up, tokens are only created in Redis (the reserve once per fleet, the
//! trickle once per fleet, the share once per call), and a lease moves them out (never more
//! than the budget's `cap` holds), so over a storm of `calls` calls the fleet retries at most
//! `share x calls + reserve + min_per_second x seconds`, however many processes it has. A
//! budget created while the link is up starts shared, with no tokens; one that holds a local
//! reserve (created before connecting, or while Redis was down) may spend it until it joins. Tokens leased and not spent are not returned: at most `lease_batch` per
//! process are idle at a time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use super::connection::Connection;

use crate::budget::{RESERVE_WINDOW, to_milli};

use super::Down;
use super::options::FleetOptions;
use super::scripts::Scripts;

/// The link's options while it is up (caught up with the fleet), for budgets created then.
static LIVE: Mutex<Option<Arc<FleetOptions>>> = Mutex::new(None);

pub(super) fn live() -> std::sync::MutexGuard<'static, Option<Arc<FleetOptions>>> {
    LIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The link is up (`Some`) or down.
pub(super) fn set_live(options: Option<Arc<FleetOptions>>) {
    *live() = options;
}

/// Whether a budget created now, named `name`, starts shared: with no tokens of its own (its
/// tokens are the fleet's, leased at the next flush), rather than with a local reserve. True
/// while a link is up and shares it. Called under the budget registry's lock, so a link that
/// goes down either sees the new budget when it leaves (see [`FleetBudgets::leave`]) or was
/// down before it was created.
pub(crate) fn starts_shared(name: &str) -> bool {
    crate::scope::current() == 0
        && live()
            .as_ref()
            .is_some_and(|options| options.shares_budget(name))
}

/// The budgets this link shares now.
#[derive(Default)]
pub(super) struct FleetBudgets {
    joined: HashMap<&'static str, Joined>,
}

struct Joined {
    /// The budget's call count at the last flush.
    flushed_calls: u64,
}

impl FleetBudgets {
    /// Sends every shared budget's new calls and tops up its lease; a budget registered since
    /// the last flush joins the fleet now. Returns whether Redis was asked anything.
    pub(super) async fn flush(
        &mut self,
        connection: &mut Connection,
        scripts: &Scripts,
        options: &FleetOptions,
    ) -> Result<bool, Down> {
        let mut asked = false;
        for budget in crate::budget::budgets_snapshot() {
            if !options.shares_budget(budget.name()) {
                continue;
            }
            let joined = self.joined.entry(budget.name()).or_insert_with(|| {
                // One created shared counted its calls for the fleet from the start.
                let flushed_calls = if budget.is_shared() {
                    0
                } else {
                    budget.calls_so_far()
                };
                budget.join_fleet();
                Joined { flushed_calls }
            });
            let calls_now = budget.calls_so_far();
            // Fewer than at the last flush: the budget was reset, and counts from zero.
            let calls = calls_now
                .checked_sub(joined.flushed_calls)
                .unwrap_or(calls_now);
            // Never more than the budget can hold: a lease beyond its cap would be lost.
            let config = budget.config();
            let most =
                (i64::from(options.lease_batch) * 1000).min(to_milli(config.cap) / 1000 * 1000);
            let balance = budget.balance_milli().max(0);
            let wanted = if balance < most {
                (most - balance) / 1000 * 1000
            } else {
                0
            };
            if calls == 0 && wanted == 0 {
                continue;
            }
            let reserve = (config.min_per_second * RESERVE_WINDOW.as_secs_f64()).min(config.cap);
            let (leased, _fleet_balance, _members): (Vec<u8>, Vec<u8>, Vec<u8>) = scripts
                .budget
                .key(scripts.budget_key(budget.name()))
                .arg(calls)
                .arg(to_milli(config.share))
                .arg(to_milli(config.min_per_second))
                .arg(to_milli(config.cap))
                .arg(to_milli(reserve))
                .arg(wanted)
                .arg(millis(options.state_ttl))
                .invoke_async(connection)
                .await?;
            asked = true;
            joined.flushed_calls = calls_now;
            let leased = std::str::from_utf8(&leased)
                .ok()
                .and_then(|leased| leased.parse::<i64>().ok())
                .filter(|leased| (0..=wanted).contains(leased))
                .ok_or_else(|| {
                    Down::Unexpected(format!("a lease of `{}`", String::from_utf8_lossy(&leased)))
                })?;
            budget.credit_lease(leased);
        }
        Ok(asked)
    }

    /// The link is down or stopping: every shared budget is its process's own again, also one
    /// created shared since the last flush (call after `set_live(None)`).
    pub(super) fn leave(&mut self) {
        self.joined.clear();
        leave_all();
    }
}

/// Every budget shared now is its process's own again.
pub(super) fn leave_all() {
    let now = Instant::now();
    for budget in crate::budget::budgets_snapshot() {
        if budget.is_shared() {
            budget.leave_fleet(now);
        }
    }
}

/// Whole milliseconds, saturating.
pub(super) fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
