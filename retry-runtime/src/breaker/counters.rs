//! Call counts without contention: the counters are striped, each stripe on its own cache lines,
//! and readers sum the stripes.
//!
//! A thread leases one of the [`LEASED`] stripes on its first count, while one is free, and
//! gives it back when it exits. A lease is process-wide: stripe `k` of every breaker belongs to
//! the thread holding lease `k`, so no other thread ever writes it, and the lessee counts with a
//! plain load and store: no count is lost, and no locked instruction is paid (a locked add costs
//! more than the rest of a breaker's success). The next lessee of a stripe sees every count of
//! the previous one: the give-back releases, the lease acquires. Threads beyond the leases, and
//! a thread counting from a thread-local destructor after its lease went back, count on one of
//! the [`SHARED_STRIPES`] shared stripes (given round-robin), with atomic adds, as every thread
//! did before leases. A thread that never exits keeps its lease, and the stripes leak no count
//! either way. Nothing but these increments writes a stripe: a reset that stored into one would
//! race with a lessee's plain store. The stripes live inside the breaker: nothing outlives it,
//! and finding a thread's stripe is one thread-local read.

use std::cell::Cell;

use super::sync::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use super::{BreakerCounts, Outcome};

/// Stripes leased to one thread each: the worker threads of a small or mid-sized machine.
#[cfg(not(loom))]
const LEASED: usize = 8;
/// Stripes the other threads share, with atomic adds.
#[cfg(not(loom))]
const SHARED_STRIPES: usize = 8;
/// Under loom, one leased stripe and one shared keep the model small.
#[cfg(loom)]
const LEASED: usize = 1;
#[cfg(loom)]
const SHARED_STRIPES: usize = 1;

const STRIPES: usize = LEASED + SHARED_STRIPES;

/// A thread that has not counted yet.
const UNASSIGNED: usize = usize::MAX;

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

#[cfg(not(loom))]
thread_local! {
    /// This thread's stripe: [`UNASSIGNED`] before its first count, below [`LEASED`] while it
    /// holds a lease, a shared stripe otherwise. A `const` thread-local without a destructor:
    /// one read, and readable while the thread is torn down.
    static STRIPE: Cell<usize> = const { Cell::new(UNASSIGNED) };
}
#[cfg(loom)]
loom::thread_local! {
    static STRIPE: Cell<usize> = Cell::new(UNASSIGNED);
}

#[cfg(not(loom))]
thread_local! {
    /// The lease a thread holds, given back by its destructor when the thread exits.
    static LEASE: Cell<Option<Lease>> = const { Cell::new(None) };
}
// Loom runs thread-local destructors outside its model, where no atomic may be touched: a
// model gives its threads' leases back with `end_thread`, as the destructor does.
#[cfg(loom)]
loom::thread_local! {
    static LEASE: Cell<Option<usize>> = Cell::new(None);
}

/// The leases no thread holds, one bit each.
#[cfg(not(loom))]
static FREE: AtomicU32 = AtomicU32::new((1 << LEASED) - 1);
/// The next shared stripe to give, round-robin.
#[cfg(not(loom))]
static NEXT_SHARED: AtomicUsize = AtomicUsize::new(0);
#[cfg(loom)]
loom::lazy_static! {
    static ref FREE: AtomicU32 = AtomicU32::new((1 << LEASED) - 1);
    static ref NEXT_SHARED: AtomicUsize = AtomicUsize::new(0);
}

/// A thread's lease of one stripe.
#[cfg(not(loom))]
struct Lease(usize);

#[cfg(not(loom))]
impl Drop for Lease {
    fn drop(&mut self) {
        give_back(self.0);
    }
}

/// Ends a lease: counts made from here on (by later thread-local destructors) go to a shared
/// stripe, and the next lessee sees every count this thread made (release).
fn give_back(stripe: usize) {
    let shared = shared_stripe();
    let _ = STRIPE.try_with(|cell| cell.set(shared));
    FREE.fetch_or(1 << stripe, Ordering::Release);
}

/// What a thread's exit does under loom: gives back the stripe it leased, if any.
#[cfg(loom)]
pub(crate) fn end_thread() {
    if let Some(stripe) = LEASE.with(Cell::take) {
        give_back(stripe);
    }
}

/// A shared stripe, round-robin, for a thread without a lease.
fn shared_stripe() -> usize {
    LEASED + NEXT_SHARED.fetch_add(1, Ordering::Relaxed) % SHARED_STRIPES
}

/// Gives this thread its stripe: a free one, leased until the thread exits, or a shared one.
#[cold]
#[inline(never)]
fn assign_stripe() -> usize {
    // Acquire: this thread sees every count the stripe's previous lessee made.
    let taken = FREE.fetch_update(Ordering::Acquire, Ordering::Acquire, |free| {
        (free != 0).then(|| free & (free - 1))
    });
    let stripe = match taken {
        Ok(free) => free.trailing_zeros() as usize,
        Err(_) => shared_stripe(),
    };
    if stripe < LEASED {
        #[cfg(not(loom))]
        let lease = Lease(stripe);
        #[cfg(loom)]
        let lease = stripe;
        if LEASE.try_with(|cell| cell.set(Some(lease))).is_err() {
            // The thread is being torn down: no destructor would give the stripe back, so it
            // goes back now (the lease, dropped with the failed `try_with`'s closure, gave it
            // back; under loom it is a plain index), and the thread counts on a shared stripe.
            #[cfg(loom)]
            give_back(stripe);
            return STRIPE
                .try_with(Cell::get)
                .unwrap_or_else(|_| shared_stripe());
        }
    }
    let _ = STRIPE.try_with(|cell| cell.set(stripe));
    stripe
}

impl Counters {
    /// Adds one to the counter `pick` chooses on this thread's stripe.
    #[inline]
    fn bump(&self, pick: impl Fn(&Stripe) -> &AtomicU64) {
        // A thread torn down past its thread-locals counts on a shared stripe.
        let stripe = STRIPE.try_with(Cell::get).unwrap_or(LEASED);
        if stripe < LEASED {
            // Leased: no other thread writes this stripe, so a plain load and store lose nothing.
            let counter = pick(&self.stripes[stripe]);
            counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        } else {
            self.bump_unleased(stripe, pick);
        }
    }

    /// Adds one for a thread without a lease: on its shared stripe, atomically, or, on the
    /// thread's first count, on the stripe it is given then.
    #[cold]
    #[inline(never)]
    fn bump_unleased(&self, mut stripe: usize, pick: impl Fn(&Stripe) -> &AtomicU64) {
        if stripe == UNASSIGNED {
            stripe = assign_stripe();
        }
        let counter = pick(&self.stripes[stripe]);
        if stripe < LEASED {
            counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        } else {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[inline]
    pub(super) fn add_success(&self) {
        self.bump(|stripe| &stripe.successful);
    }

    pub(super) fn add(&self, outcome: Outcome, slow: bool) {
        match outcome {
            Outcome::Success => self.bump(|stripe| &stripe.successful),
            Outcome::Failure => self.bump(|stripe| &stripe.failed),
            Outcome::Ignored => self.bump(|stripe| &stripe.ignored),
            Outcome::Cancelled => self.bump(|stripe| &stripe.cancelled),
        }
        if slow {
            self.bump(|stripe| &stripe.slow);
        }
    }

    pub(super) fn add_rejected(&self) {
        self.bump(|stripe| &stripe.rejected);
    }

    pub(super) fn sum(&self) -> BreakerCounts {
        let mut counts = BreakerCounts::default();
        for stripe in &self.stripes {
            stripe.add_to(&mut counts);
        }
        counts
    }
}
