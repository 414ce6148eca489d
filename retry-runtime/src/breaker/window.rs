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
