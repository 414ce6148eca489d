//! The slot a fleet link (feature `redis`) fills to share a rate limiter across processes. The
//! rate limiter knows nothing of Redis: the link moves a limiter between three modes and hands
//! it permits, and [`STARTS_SHARED`] is the one function it installs to say whether a limiter
//! created now is shared from its first call.
//!
//! - `LOCAL`: the limiter's own GCRA, at its settings (no link, or a limiter not shared).
//! - `LEASED`: the link is up. A call takes one of the permits leased to this process (one
//!   atomic); when none is left, a call that may wait borrows the next one (the pool goes
//!   below zero, and the next leases repay it) and sleeps for the time this process's share of
//!   the fleet's rate takes to earn it, as long as no more than one lease is borrowed; one that
//!   may not wait is rejected.
//! - `SHARE`: the link lost Redis. The limiter's own GCRA runs at this process's last known
//!   share of the fleet's limit: `per_second / n` with bursts of `burst / n` (at least one),
//!   `n` being the processes that leased from it lately, as Redis last said.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU32, AtomicU64, Ordering};

pub(crate) const LOCAL: u8 = 0;
pub(crate) const LEASED: u8 = 1;
pub(crate) const SHARE: u8 = 2;

/// Whether a rate limiter created now, named by its argument, starts leased (installed by the
/// fleet link; called under the registry's lock, so a link that goes down either sees the new
/// limiter when it leaves or was down before it was created).
pub(crate) static STARTS_SHARED: OnceLock<fn(&str) -> bool> = OnceLock::new();

/// A rate limiter's fleet state.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) mode: AtomicU8,
    /// Permits leased to this process and not taken yet; below zero, permits borrowed.
    pub(crate) pool: AtomicI64,
    /// Processes sharing the limiter, as Redis last said (at least 1).
    pub(crate) members: AtomicU32,
    /// The most permits calls may borrow ahead of the leases (one lease).
    pub(crate) most_borrowed: AtomicU32,
    /// In `SHARE` mode: the GCRA's interval and tolerance for this process's share.
    pub(crate) interval: AtomicU64,
    pub(crate) tolerance: AtomicU64,
}

impl Shared {
    pub(crate) fn new(leased: bool) -> Shared {
        Shared {
            mode: AtomicU8::new(if leased { LEASED } else { LOCAL }),
            members: AtomicU32::new(1),
            ..Shared::default()
        }
    }

    /// The mode, for the call path (one relaxed load).
    #[inline]
    pub(crate) fn mode(&self) -> u8 {
        self.mode.load(Ordering::Relaxed)
    }

    /// Takes a leased permit, or borrows one if the wait for it (`per_permit` each, for this
    /// process's share) is within `max_wait`: the wait (zero: at once), or the wait it would
    /// have been.
    pub(crate) fn take(&self, per_permit: u64, max_wait: u64) -> Result<u64, u64> {
        let most_borrowed = i64::from(self.most_borrowed.load(Ordering::Relaxed));
        let mut pool = self.pool.load(Ordering::Acquire);
        loop {
            let wait = if pool > 0 {
                0
            } else {
                per_permit.saturating_mul(pool.unsigned_abs().saturating_add(1))
            };
            if wait > max_wait || (wait > 0 && pool <= -most_borrowed) {
                return Err(wait);
            }
            match self.pool.compare_exchange_weak(
                pool,
                pool - 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(wait),
                Err(actual) => pool = actual,
            }
        }
    }
}

/// `burst / members` permits (at least one) and `interval x members`: one process's share.
pub(crate) fn share_of(interval: u64, burst: u32, members: u32) -> (u64, u64) {
    let members = members.max(1);
    let interval = interval.saturating_mul(u64::from(members));
    let burst = (burst / members).max(1);
    (interval, interval.saturating_mul(u64::from(burst - 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_is_the_rate_and_burst_divided_at_least_one_permit() {
        // 50 a second (20 ms apart) with bursts of 10, over 4 processes: 12.5 a second, bursts
        // of 2 (the tolerance is one interval more).
        assert_eq!(share_of(20_000_000, 10, 4), (80_000_000, 80_000_000));
        assert_eq!(share_of(20_000_000, 10, 1), (20_000_000, 180_000_000));
        assert_eq!(share_of(20_000_000, 3, 8), (160_000_000, 0));
        assert_eq!(share_of(20_000_000, 3, 0), (20_000_000, 40_000_000));
    }

    #[test]
    fn leased_permits_are_taken_then_borrowed_at_most_one_lease_ahead() {
        let shared = Shared::new(true);
        shared.pool.store(2, Ordering::Relaxed);
        shared.most_borrowed.store(2, Ordering::Relaxed);
        assert_eq!(shared.take(10, 0), Ok(0));
        assert_eq!(shared.take(10, 0), Ok(0));
        // None left: rejected unless the call may wait for the next ones.
        assert_eq!(shared.take(10, 0), Err(10));
        assert_eq!(shared.take(10, 100), Ok(10));
        assert_eq!(shared.take(10, 100), Ok(20));
        // Two borrowed: one lease ahead, no more.
        assert_eq!(shared.take(10, 100), Err(30));
        assert_eq!(shared.pool.load(Ordering::Relaxed), -2);
    }
}
