//! A hedge site's recent attempt latencies, and the quantile `after = "p95"` waits for.
//!
//! Recording is two relaxed atomic stores into a ring of the last [`SAMPLES`] latencies. Every
//! [`RECOMPUTE_EVERY`] recordings, one recorder (the others skip) copies the ring and selects the
//! quantile, which calls then read with one load: the selection is amortised to a few
//! nanoseconds a call, and a call never waits for it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// How many recent latencies the quantile is taken over.
pub(crate) const SAMPLES: usize = 512;

/// Latencies a site records before its quantile replaces the floor: with fewer, a p95 says
/// little more than "the slowest one seen".
pub(crate) const MIN_SAMPLES: u64 = 100;

/// Recordings between two selections of the quantile (the first is at [`MIN_SAMPLES`]).
pub(crate) const RECOMPUTE_EVERY: u64 = 16;

const UNKNOWN: u64 = u64::MAX;

pub(crate) struct RecentLatencies {
    nanos: [AtomicU64; SAMPLES],
    recorded: AtomicU64,
    quantile: AtomicU64,
    selecting: AtomicBool,
}

impl RecentLatencies {
    pub(crate) fn new() -> RecentLatencies {
        RecentLatencies {
            nanos: std::array::from_fn(|_| AtomicU64::new(0)),
            recorded: AtomicU64::new(0),
            quantile: AtomicU64::new(UNKNOWN),
            selecting: AtomicBool::new(false),
        }
    }

    /// Adds one attempt's latency; `per_mille` is the quantile the site waits for.
    pub(crate) fn record(&self, latency: Duration, per_mille: u16) {
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX - 1);
        let index = self.recorded.fetch_add(1, Ordering::Relaxed);
        self.nanos[ring_slot(index)].store(nanos, Ordering::Relaxed);
        let seen = index + 1;
        if seen >= MIN_SAMPLES && (seen - MIN_SAMPLES).is_multiple_of(RECOMPUTE_EVERY) {
            self.select(seen, per_mille);
        }
    }

    /// The quantile of the recent latencies, once [`MIN_SAMPLES`] are known.
    pub(crate) fn quantile(&self) -> Option<Duration> {
        match self.quantile.load(Ordering::Relaxed) {
            UNKNOWN => None,
            nanos => Some(Duration::from_nanos(nanos)),
        }
    }

    /// How many latencies were recorded.
    pub(crate) fn recorded(&self) -> u64 {
        self.recorded.load(Ordering::Relaxed)
    }

    #[cold]
    fn select(&self, seen: u64, per_mille: u16) {
        if self.selecting.swap(true, Ordering::Acquire) {
            return;
        }
        let len = usize::try_from(seen).map_or(SAMPLES, |seen| seen.min(SAMPLES));
        let mut copy = [0_u64; SAMPLES];
        for (slot, nanos) in copy.iter_mut().zip(&self.nanos).take(len) {
            *slot = nanos.load(Ordering::Relaxed);
        }
        let rank = rank(len, per_mille);
        let (_, quantile, _) = copy[..len].select_nth_unstable(rank);
        self.quantile.store(*quantile, Ordering::Relaxed);
        self.selecting.store(false, Ordering::Release);
    }

    /// Forgets every latency (`testing::reset_all`).
    pub(crate) fn clear(&self) {
        for nanos in &self.nanos {
            nanos.store(0, Ordering::Relaxed);
        }
        self.recorded.store(0, Ordering::Relaxed);
        self.quantile.store(UNKNOWN, Ordering::Relaxed);
    }
}

fn ring_slot(index: u64) -> usize {
    // SAMPLES is a power of two, so this is the index modulo SAMPLES.
    usize::try_from(index % SAMPLES as u64).unwrap_or(0)
}

/// The 0-based rank of the `per_mille` quantile among `len` sorted values (nearest rank).
fn rank(len: usize, per_mille: u16) -> usize {
    (len * usize::from(per_mille)).div_ceil(1000).clamp(1, len) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        assert_eq!(rank(100, 950), 94);
        assert_eq!(rank(100, 990), 98);
        assert_eq!(rank(512, 950), 486);
        assert_eq!(rank(1, 500), 0);
        assert_eq!(rank(512, 999), 511);
    }

    #[test]
    fn unknown_until_enough_latencies_then_the_quantile() {
        let latencies = RecentLatencies::new();
        for millis in 1..MIN_SAMPLES {
            latencies.record(Duration::from_millis(millis), 950);
        }
        assert_eq!(latencies.quantile(), None);
        // 1..=100 ms recorded: the p95 is the 95th, selected at the 100th recording.
        latencies.record(Duration::from_millis(MIN_SAMPLES), 950);
        assert_eq!(latencies.quantile(), Some(Duration::from_millis(95)));
        // The next selection is 16 recordings later: 1..=116 ms, the p95 is the 111th.
        for millis in MIN_SAMPLES + 1..=116 {
            latencies.record(Duration::from_millis(millis), 950);
        }
        assert_eq!(latencies.quantile(), Some(Duration::from_millis(111)));
    }

    #[test]
    fn forgets_latencies_older_than_the_ring() {
        let latencies = RecentLatencies::new();
        for _ in 0..SAMPLES {
            latencies.record(Duration::from_secs(1), 500);
        }
        assert_eq!(latencies.quantile(), Some(Duration::from_secs(1)));
        for _ in 0..SAMPLES {
            latencies.record(Duration::from_millis(5), 500);
        }
        assert_eq!(latencies.quantile(), Some(Duration::from_millis(5)));
    }
}
