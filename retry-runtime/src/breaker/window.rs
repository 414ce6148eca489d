//! The count-based sliding window behind `failure_rate` and `slow_call_rate`, lock-free.
//!
//! Each call takes the next slot of a ring (`fetch_add` on the call count) and swaps its outcome
//! in; the failure and slow counts are adjusted by the difference between the new outcome and
//! the one it evicted. Every swap accounts for exactly the outcome it replaced, so the counts
//! always equal the ring's contents once the racing adjustments land; they are signed so that an
//! adjustment landing before the one it undoes cannot wrap around.

use super::sync::{AtomicI64, AtomicU8, AtomicU64, Ordering};

const OCCUPIED: u8 = 0b100;
const FAILED: u8 = 0b001;
const SLOW: u8 = 0b010;

pub(crate) struct Window {
    slots: Box<[AtomicU8]>,
    calls: AtomicU64,
    failures: AtomicI64,
    slow: AtomicI64,
}

/// The window's view after recording one outcome.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct WindowRates {
    pub recorded: u32,
    pub failure_rate: f64,
    pub slow_rate: f64,
}

impl Window {
    pub(crate) fn new(size: u32) -> Window {
        Window {
            slots: (0..size.max(1)).map(|_| AtomicU8::new(0)).collect(),
            calls: AtomicU64::new(0),
            failures: AtomicI64::new(0),
            slow: AtomicI64::new(0),
        }
    }

    pub(crate) fn record(&self, failed: bool, slow: bool) -> WindowRates {
        let size = self.slots.len() as u64;
        let index = self.calls.fetch_add(1, Ordering::Relaxed);
        let outcome = OCCUPIED | if failed { FAILED } else { 0 } | if slow { SLOW } else { 0 };
        // `index % size` is below `size`, a `usize`.
        #[allow(clippy::cast_possible_truncation)]
        let evicted = self.slots[(index % size) as usize].swap(outcome, Ordering::AcqRel);
        let failures = adjust(&self.failures, evicted & FAILED != 0, failed);
        let slows = adjust(&self.slow, evicted & SLOW != 0, slow);
        let recorded = (index + 1).min(size);
        #[allow(clippy::cast_precision_loss)]
        let denominator = recorded as f64;
        #[allow(clippy::cast_precision_loss)]
        WindowRates {
            recorded: u32::try_from(recorded).unwrap_or(u32::MAX),
            failure_rate: failures.max(0) as f64 / denominator,
            slow_rate: slows.max(0) as f64 / denominator,
        }
    }

    /// The failure rate over what the window holds now, if anything.
    pub(crate) fn failure_rate(&self) -> Option<f64> {
        let recorded = self
            .calls
            .load(Ordering::Relaxed)
            .min(self.slots.len() as u64);
        if recorded == 0 {
            return None;
        }
        #[allow(clippy::cast_precision_loss)]
        Some(self.failures.load(Ordering::Relaxed).max(0) as f64 / recorded as f64)
    }

    pub(crate) fn clear(&self) {
        for slot in &*self.slots {
            slot.store(0, Ordering::Relaxed);
        }
        self.calls.store(0, Ordering::Relaxed);
        self.failures.store(0, Ordering::Relaxed);
        self.slow.store(0, Ordering::Relaxed);
    }
}

fn adjust(counter: &AtomicI64, was: bool, is: bool) -> i64 {
    match (was, is) {
        (false, true) => counter.fetch_add(1, Ordering::AcqRel) + 1,
        (true, false) => counter.fetch_sub(1, Ordering::AcqRel) - 1,
        _ => counter.load(Ordering::Acquire),
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn rates_follow_the_last_window_calls() {
        let window = Window::new(4);
        assert_eq!(window.failure_rate(), None);
        let rates = window.record(true, false);
        assert_eq!((rates.recorded, rates.failure_rate), (1, 1.0));
        window.record(false, true);
        window.record(false, false);
        let rates = window.record(true, false);
        assert_eq!(
            (rates.recorded, rates.failure_rate, rates.slow_rate),
            (4, 0.5, 0.25)
        );
        // The fifth call evicts the first failure.
        let rates = window.record(false, false);
        assert_eq!((rates.recorded, rates.failure_rate), (4, 0.25));
        window.clear();
        assert_eq!(window.failure_rate(), None);
    }
}

/// Buckets of a time-based window (the array below has as many).
const BUCKETS: u64 = 10;
const TAG_BITS: u32 = 10;
const COUNT_BITS: u32 = 18;
const COUNT_MAX: u64 = (1 << COUNT_BITS) - 1;

/// The time-based window behind `window = "10s"`: ten buckets of a tenth of the window each,
/// each one atomic word holding which stretch of time it counts (a tag) and its calls, failures
/// and slow calls (up to 262,143 each per bucket, saturating). Recording is one
/// compare-and-swap on the current bucket; a bucket left over from an older stretch is
/// restarted by the first call that lands in it, so old failures are forgotten as time passes.
pub(crate) struct TimeWindow {
    bucket_nanos: u64,
    buckets: [AtomicU64; 10],
}

fn pack(tag: u64, calls: u64, failures: u64, slow: u64) -> u64 {
    tag | (calls << TAG_BITS)
        | (failures << (TAG_BITS + COUNT_BITS))
        | (slow << (TAG_BITS + 2 * COUNT_BITS))
}

fn unpack(word: u64) -> (u64, u64, u64, u64) {
    let count = |shift: u32| (word >> shift) & COUNT_MAX;
    (
        word & ((1 << TAG_BITS) - 1),
        count(TAG_BITS),
        count(TAG_BITS + COUNT_BITS),
        count(TAG_BITS + 2 * COUNT_BITS),
    )
}

impl TimeWindow {
    pub(crate) fn new(length: std::time::Duration) -> TimeWindow {
        let nanos = u64::try_from(length.as_nanos()).unwrap_or(u64::MAX);
        TimeWindow {
            bucket_nanos: (nanos / BUCKETS).max(1),
            buckets: Default::default(),
        }
    }

    /// The stretch of time `now` falls in, and its tag.
    fn stretch(&self, now_nanos: u64) -> u64 {
        now_nanos / self.bucket_nanos
    }

    fn tag(stretch: u64) -> u64 {
        // A bucket's tag is its stretch number modulo 2^TAG_BITS; ten consecutive stretches
        // never share one.
        stretch & ((1 << TAG_BITS) - 1)
    }

    pub(crate) fn record(&self, failed: bool, slow: bool, now_nanos: u64) -> WindowRates {
        let stretch = self.stretch(now_nanos);
        let tag = Self::tag(stretch);
        // `stretch % BUCKETS` is below 10.
        #[allow(clippy::cast_possible_truncation)]
        let bucket = &self.buckets[(stretch % BUCKETS) as usize];
        let mut current = bucket.load(Ordering::Acquire);
        loop {
            let (held, calls, failures, slows) = unpack(current);
            let (calls, failures, slows) = if held == tag && current != 0 {
                (calls, failures, slows)
            } else {
                (0, 0, 0)
            };
            let next = pack(
                tag,
                (calls + 1).min(COUNT_MAX),
                (failures + u64::from(failed)).min(COUNT_MAX),
                (slows + u64::from(slow)).min(COUNT_MAX),
            );
            match bucket.compare_exchange_weak(current, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        self.rates(stretch)
    }

    /// The counts of the window ending in `stretch`: the buckets whose tag is one of its ten.
    fn totals(&self, stretch: u64) -> (u64, u64, u64) {
        let mut totals = (0, 0, 0);
        for back in 0..BUCKETS {
            let Some(earlier) = stretch.checked_sub(back) else {
                break;
            };
            #[allow(clippy::cast_possible_truncation)]
            let word = self.buckets[(earlier % BUCKETS) as usize].load(Ordering::Acquire);
            let (held, calls, failures, slows) = unpack(word);
            if word != 0 && held == Self::tag(earlier) {
                totals.0 += calls;
                totals.1 += failures;
                totals.2 += slows;
            }
        }
        totals
    }

    fn rates(&self, stretch: u64) -> WindowRates {
        let (calls, failures, slows) = self.totals(stretch);
        #[allow(clippy::cast_precision_loss)]
        let denominator = calls.max(1) as f64;
        #[allow(clippy::cast_precision_loss)]
        WindowRates {
            recorded: u32::try_from(calls).unwrap_or(u32::MAX),
            failure_rate: failures as f64 / denominator,
            slow_rate: slows as f64 / denominator,
        }
    }

    /// The failure rate over the window ending now, if it holds a call.
    pub(crate) fn failure_rate(&self, now_nanos: u64) -> Option<f64> {
        let rates = self.rates(self.stretch(now_nanos));
        (rates.recorded > 0).then_some(rates.failure_rate)
    }

    pub(crate) fn clear(&self) {
        for bucket in &self.buckets {
            bucket.store(0, Ordering::Release);
        }
    }
}

/// A breaker's window: the last `window` calls, or the calls of the last stretch of time.
pub(crate) enum Recording {
    Calls(Window),
    Time(TimeWindow),
}

impl Recording {
    pub(crate) fn record(
        &self,
        failed: bool,
        slow: bool,
        now: impl FnOnce() -> u64,
    ) -> WindowRates {
        match self {
            Recording::Calls(window) => window.record(failed, slow),
            Recording::Time(window) => window.record(failed, slow, now()),
        }
    }

    pub(crate) fn failure_rate(&self, now: impl FnOnce() -> u64) -> Option<f64> {
        match self {
            Recording::Calls(window) => window.failure_rate(),
            Recording::Time(window) => window.failure_rate(now()),
        }
    }

    pub(crate) fn clear(&self) {
        match self {
            Recording::Calls(window) => window.clear(),
            Recording::Time(window) => window.clear(),
        }
    }
}
