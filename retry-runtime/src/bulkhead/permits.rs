//! The permit count and the queue of calls waiting for a permit.
//!
//! Free permits and a `QUEUED` mark share one signed atomic word: the word is the number of
//! free permits, less [`QUEUED`] while calls wait. Taking a permit is one `fetch_sub`: the call
//! has it if the word was positive before (a free permit, and nobody waiting), and otherwise
//! gives it straight back (the undo is a release, below) and takes the slow path. Giving one
//! back is one `fetch_add`. No lock, no allocation, no retry loop: two atomic read-modify-writes
//! per admitted call, whatever other threads do.
//!
//! A failed taker's decrement is visible to others for a moment, so the count of free permits
//! can dip below zero, by at most the number of calls failing at that instant (far less than
//! [`QUEUED`], so the mark is never mistaken for a count). It only makes others see fewer free
//! permits, never more: nobody is admitted beyond the limit. A call that finds no free permit
//! takes the queue's lock, marks the word `QUEUED` (only while no permit is free, so a permit
//! released meanwhile is taken instead) and queues itself. While the word is marked, free
//! permits belong to the waiters: new calls queue behind them, and a release (a failed taker's
//! undo included) that sees the mark hands free permits to the first waiters under the lock and
//! wakes them (unparks a thread, or wakes a task). A waiter thus takes a slot as soon as one is
//! released, in the order the waiters came, woken and never polled. The mark is set and cleared
//! only under the lock, and is set exactly while the queue holds a waiter.

use std::collections::VecDeque;
use std::ops::DerefMut;
use std::sync::Arc;
use std::time::Instant;

use super::sync::{AtomicI64, Mutex, Ordering};
use super::waiters::{self, TaskWait, WaitQueue, Waiter};

/// Subtracted from the word while a call waits in the queue: far below any count of permits
/// (at most a million), and far below the dip of failed takers (one per thread).
const QUEUED: i64 = 1 << 62;

/// Below this, the word is marked [`QUEUED`]; above it, it is a plain count. It fits an
/// instruction's 32-bit immediate, so a release checks the mark in one compare.
const MARKED_BELOW: i64 = -(1 << 30);

/// Whether `word` carries the [`QUEUED`] mark.
#[inline]
fn is_queued(word: i64) -> bool {
    word < MARKED_BELOW
}

/// The free permits in `word` (below zero while failed takers have not given theirs back).
fn free(word: i64) -> i64 {
    if is_queued(word) { word + QUEUED } else { word }
}

pub(crate) struct Permits {
    state: AtomicI64,
    queue: Mutex<VecDeque<Arc<Waiter>>>,
}

impl Permits {
    pub(crate) fn new(permits: u32) -> Permits {
        Permits {
            state: AtomicI64::new(i64::from(permits)),
            queue: Mutex::new(VecDeque::new()),
        }
    }

    /// Permits free for a new call now (0 while calls wait: a freed permit is theirs).
    pub(crate) fn available(&self) -> u32 {
        let word = self.state.load(Ordering::Relaxed);
        if is_queued(word) {
            0
        } else {
            u32::try_from(word.max(0)).unwrap_or(u32::MAX)
        }
    }

    /// Calls waiting for a permit now.
    pub(crate) fn waiting(&self) -> usize {
        self.lock().len()
    }

    /// Takes a free permit if there is one and nobody waits: one `fetch_sub`, and on failure a
    /// release that gives the decrement back.
    #[inline]
    pub(crate) fn try_take(&self) -> bool {
        if self.try_take_fast() {
            return true;
        }
        self.give_back();
        false
    }

    /// The hot half of [`try_take`](Self::try_take): one `fetch_sub`. On `false` the caller
    /// must [`give_back`](Self::give_back) the decrement.
    #[inline]
    pub(crate) fn try_take_fast(&self) -> bool {
        // Positive before: a free permit and no mark. Anything else (no permit free, a failed
        // taker's dip, or the mark) is no permit for this call.
        self.state.fetch_sub(1, Ordering::Acquire) > 0
    }

    /// A failed taker gives its decrement back: a release, which hands the permit on to a
    /// waiter if the word was marked meanwhile.
    #[cold]
    #[inline(never)]
    pub(crate) fn give_back(&self) {
        self.release();
    }

    /// Gives a permit back: one `fetch_add`, and a hand-over when calls wait.
    #[inline]
    pub(crate) fn release(&self) {
        if is_queued(self.state.fetch_add(1, Ordering::Release)) {
            self.hand_over();
        }
    }

    /// Hands free permits to the first waiters, one at a time, waking each outside the lock.
    #[cold]
    #[inline(never)]
    fn hand_over(&self) {
        loop {
            let waiter = {
                let mut queue = self.lock();
                // Under the lock the mark does not change, and the count only rises (releases)
                // or dips for a moment (failed takers, who give it back and then hand over
                // themselves): a permit counted free here is free.
                let word = self.state.load(Ordering::Acquire);
                if !is_queued(word) || free(word) <= 0 {
                    // The waiters left (the permit stays free), or another hand-over, or a call
                    // that took it while no one waited, used it: its release hands it on.
                    return;
                }
                let Some(waiter) = queue.pop_front() else {
                    // Unreachable: the mark is set only while the queue holds a waiter.
                    self.state.fetch_add(QUEUED, Ordering::AcqRel);
                    return;
                };
                // The last waiter leaves with the mark.
                let taken = if queue.is_empty() { 1 - QUEUED } else { 1 };
                self.state.fetch_sub(taken, Ordering::AcqRel);
                waiter.grant();
                waiter
            };
            waiter.wake();
        }
    }

    /// Queues `waiter`, unless a permit is free and nobody waits: then it is taken at once and
    /// this returns `true`.
    pub(crate) fn enqueue(&self, waiter: &Arc<Waiter>) -> bool {
        let mut queue = self.lock();
        let mut current = self.state.load(Ordering::Acquire);
        loop {
            let next = if is_queued(current) {
                queue.push_back(Arc::clone(waiter));
                return false;
            } else if current > 0 {
                current - 1
            } else {
                current - QUEUED
            };
            match self
                .state
                .compare_exchange(current, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) if is_queued(next) => {
                    queue.push_back(Arc::clone(waiter));
                    return false;
                }
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }

    /// `waiter` stops waiting. `true` if a release had already handed it a permit, which the
    /// caller then holds.
    pub(crate) fn cancel(&self, waiter: &Arc<Waiter>) -> bool {
        let mut queue = self.lock();
        if waiter.is_granted() {
            return true;
        }
        if let Some(position) = queue.iter().position(|queued| Arc::ptr_eq(queued, waiter)) {
            queue.remove(position);
        }
        // The mark changes only under this lock, so it can be read, then cleared.
        if queue.is_empty() && is_queued(self.state.load(Ordering::Acquire)) {
            // A permit released meanwhile (whose hand-over has not run yet) stays free.
            self.state.fetch_add(QUEUED, Ordering::AcqRel);
        }
        false
    }

    /// Blocks this thread until a release hands it a slot (`true`) or `deadline` passes
    /// (`false`).
    pub(crate) fn wait_until(&self, deadline: Instant) -> bool {
        waiters::wait_until(self, deadline)
    }

    /// A queued task's wait: `None` when a slot was free at once.
    pub(crate) fn wait_for_task(&self) -> Option<TaskWait<'_, Self>> {
        waiters::wait_for_task(self)
    }

    fn lock(&self) -> impl DerefMut<Target = VecDeque<Arc<Waiter>>> + '_ {
        waiters::lock(&self.queue)
    }
}

impl WaitQueue for Permits {
    fn enqueue(&self, waiter: &Arc<Waiter>) -> bool {
        Permits::enqueue(self, waiter)
    }

    fn cancel(&self, waiter: &Arc<Waiter>) -> bool {
        Permits::cancel(self, waiter)
    }

    fn release(&self) {
        Permits::release(self);
    }
}
