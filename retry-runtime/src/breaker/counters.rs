//! Call counts without contention: the counters are striped, each stripe on its own cache lines,
//! and each thread counts into the stripe it was given on its first count. Two threads on two
//! cores then never write the same cache line, and readers sum the stripes.
//!
//! Every increment is an atomic add, so a count is never lost whatever thread makes it: one that
//! shares a stripe with another, or one counting from a thread-local destructor while its thread
//! is torn down. The stripes live inside the breaker: nothing outlives it, and finding a
//! thread's stripe is one thread-local read.

use super::sync::{AtomicU64, Ordering};
use super::{BreakerCounts, Outcome};

/// Stripes per breaker: enough that the threads of a small machine rarely share one.
#[cfg(not(loom))]
const STRIPES: usize = 8;
/// Under loom one stripe keeps the model small.
#[cfg(loom)]
const STRIPES: usize = 1;

/// One stripe's counts, alone on its cache lines (128 bytes: adjacent-line prefetch pairs them).
#[derive(Default)]
#[repr(align(128))]
struct Stripe {
    successful: AtomicU64,
    failed: AtomicU64,
    ignored: AtomicU64,
    rejected: AtomicU64,
    cancelled: AtomicU64,
    slow: AtomicU64,
}

impl Stripe {
    fn add_to(&self, counts: &mut BreakerCounts) {
        counts.successful += self.successful.load(Ordering::Relaxed);
        counts.failed += self.failed.load(Ordering::Relaxed);
        counts.ignored += self.ignored.load(Ordering::Relaxed);
        counts.rejected += self.rejected.load(Ordering::Relaxed);
        counts.cancelled += self.cancelled.load(Ordering::Relaxed);
        counts.slow += self.slow.load(Ordering::Relaxed);
    }
}

/// The striped counts of one breaker.
#[derive(Default)]
pub(super) struct Counters {
    stripes: [Stripe; STRIPES],
}

/// This thread's stripe index, given round-robin on first use. A `const` thread-local without a
/// destructor stays readable while the thread is torn down.
#[cfg(not(loom))]
#[inline]
fn stripe_index() -> usize {
    use std::cell::Cell;

    thread_local! {
        static INDEX: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    INDEX
        .try_with(|index| {
            let value = index.get();
            if value == usize::MAX {
                return first_stripe(index);
            }
            value
        })
        .unwrap_or(0)
}

/// Gives this thread its stripe, round-robin.
#[cfg(not(loom))]
#[cold]
fn first_stripe(index: &std::cell::Cell<usize>) -> usize {
    use std::sync::atomic::AtomicUsize;

    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let value = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % STRIPES;
    index.set(value);
    value
}

/// Under loom every thread counts into the first stripe: the adds are atomic either way.
#[cfg(loom)]
fn stripe_index() -> usize {
    0
}

impl Counters {
    #[inline]
    fn stripe(&self) -> &Stripe {
        &self.stripes[stripe_index() % STRIPES]
    }

    #[inline]
    pub(super) fn add_success(&self) {
        self.stripe().successful.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn add(&self, outcome: Outcome, slow: bool) {
        let stripe = self.stripe();
        let counter = match outcome {
            Outcome::Success => &stripe.successful,
            Outcome::Failure => &stripe.failed,
            Outcome::Ignored => &stripe.ignored,
            Outcome::Cancelled => &stripe.cancelled,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if slow {
            stripe.slow.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(super) fn add_rejected(&self) {
        self.stripe().rejected.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn sum(&self) -> BreakerCounts {
        let mut counts = BreakerCounts::default();
        for stripe in &self.stripes {
            stripe.add_to(&mut counts);
        }
        counts
    }
}
