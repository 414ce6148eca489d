//! The rate limiter's clock: nanoseconds on the monotonic clock, shifted by [`OFFSET`] so that
//! every instant a call can carry (a paused test clock's included) maps above zero.
//!
//! A sync call's admission reads the coarse monotonic clock first (`CLOCK_MONOTONIC_COARSE` on
//! Linux and Android): the time the kernel last updated at a tick, so its resolution is one tick
//! (1 to 10 ms; 4 ms on a kernel built with `HZ=250`), and a read costs about a quarter of
//! `Instant::now()` (no hardware counter is read, nothing is converted). It runs on `Instant`'s
//! timeline (`CLOCK_MONOTONIC`) and is never ahead of it; it lags by up to a tick plus however
//! late the kernel's update runs (3 to 8 ms on the 2-vCPU machine of the README's benchmarks,
//! up to 13 ms under load). A lagging clock can only make a call look early, so it can only
//! turn an admission into a wait or a rejection: a call the coarse time does not admit at once
//! is decided again on the exact clock (`RateLimiter::acquire_sync_exact`), so no call waits or
//! is rejected because of the lag. Elsewhere a sync call reads `Instant::now()`.
//!
//! The GCRA's bound, at most `burst + per_second x t` calls in any span `t` of the times the
//! calls carry, holds on mixed readings too; a call admitted on a coarse reading carries a time
//! up to the lag `L` early, so over any span `t` of real time at most
//! `burst + per_second x (t + L)` calls are admitted. (An exact clock has the same slack between
//! its read and the compare-and-swap, if the thread is descheduled there.)

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Added to every reading: about 146 years of room below the monotonic clock's zero (boot), for
/// instants before it that a test clock may hand over.
const OFFSET: u64 = 1 << 62;

const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// An `Instant` and the same moment on this clock: how instants are mapped.
struct Anchor {
    instant: Instant,
    at: u64,
}

fn anchor() -> &'static Anchor {
    static ANCHOR: OnceLock<Anchor> = OnceLock::new();
    ANCHOR.get_or_init(|| {
        // The instant between two reads of the exact clock, mapped to the second: a mapped
        // instant is then never behind the exact clock (so never behind a coarse reading of the
        // same moment), and ahead of it by at most the gap. A few tries for two reads close
        // together (a thread descheduled between them would put every mapped instant off by
        // that pause).
        let mut best = None;
        for _ in 0..8 {
            let before = monotonic_now();
            let instant = Instant::now();
            let after = monotonic_now();
            let gap = after - before;
            if best.is_none_or(|(best_gap, _, _)| gap < best_gap) {
                best = Some((gap, instant, after));
            }
            if gap < 10_000 {
                break;
            }
        }
        let (_, instant, at) = best.unwrap_or_else(|| (0, Instant::now(), monotonic_now()));
        Anchor { instant, at }
    })
}

/// `instant` on this clock.
pub(crate) fn at(instant: Instant) -> u64 {
    let anchor = anchor();
    match instant.checked_duration_since(anchor.instant) {
        Some(after) => anchor.at.saturating_add(nanos(after)),
        None => anchor
            .at
            .saturating_sub(nanos(anchor.instant.duration_since(instant))),
    }
}

/// Now on the coarse clock, where there is one (see the module docs): never ahead of real
/// time, a few milliseconds behind.
#[inline]
pub(crate) fn coarse_now() -> u64 {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::time::{ClockId, clock_gettime};
        reading(clock_gettime(ClockId::MonotonicCoarse))
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        at(Instant::now())
    }
}

/// The exact monotonic clock, for the anchor.
fn monotonic_now() -> u64 {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::time::{ClockId, clock_gettime};
        reading(clock_gettime(ClockId::Monotonic))
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        OFFSET
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[inline]
fn reading(time: rustix::time::Timespec) -> u64 {
    // Both fields are non-negative on a monotonic clock.
    OFFSET + time.tv_sec.cast_unsigned() * NANOS_PER_SECOND + time.tv_nsec.cast_unsigned()
}

pub(crate) fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_map_onto_the_clock_in_order_and_at_their_distance() {
        let now = Instant::now();
        let later = now + Duration::from_millis(1500);
        assert_eq!(at(later) - at(now), 1_500_000_000);
        // Before the anchor too.
        let earlier = anchor().instant.checked_sub(Duration::from_secs(1));
        if let Some(earlier) = earlier {
            assert_eq!(at(anchor().instant) - at(earlier), NANOS_PER_SECOND);
        }
    }

    #[test]
    fn the_coarse_clock_is_never_ahead_of_instants_and_a_few_milliseconds_behind() {
        for _ in 0..1000 {
            let before = at(Instant::now());
            let coarse = coarse_now();
            let after = at(Instant::now());
            // Slack for the anchor's two reads (microseconds apart, unless the machine is
            // loaded), and a lag far beyond any tick.
            assert!(coarse <= after + 1_000_000, "{coarse} > {after}");
            assert!(coarse + 200_000_000 >= before, "{coarse} << {before}");
        }
    }
}
