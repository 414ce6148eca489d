//! The calls in flight, the limit they are held to, and the queue of calls waiting for a slot.
//!
//! One atomic word holds all three: the calls in flight (low 32 bits), the limit (the next 31)
//! and a `QUEUED` flag (the top bit). While nobody waits, admission is one load and one
//! compare-and-swap that adds a call if the word's own limit allows it, so a call is never
//! admitted over the limit in force at that instant; a release is one `fetch_sub`. The
//! algorithm moves the limit with a compare-and-swap of its bits (once a window, off the
//! admission path); the calls in flight stay, so after a decrease they may exceed the new limit
//! until enough of them finish. A call that finds no slot and may wait takes the queue's lock,
//! sets `QUEUED` (only while the word still has no slot, so a slot freed meanwhile is taken
//! instead) and queues itself. While `QUEUED` is set, slots belong to the waiters: new calls
//! queue behind them, and a release or a raised limit that sees the flag hands a slot to the
//! first waiter under the lock and wakes it (unparks its thread, or wakes its task), in the
//! order the waiters came. `QUEUED` is set and cleared only under the lock, and is set exactly
//! while the queue holds a waiter (the bulkhead's permits work the same way, with a fixed
//! count).

use std::collections::VecDeque;
use std::ops::DerefMut;
use std::sync::Arc;
use std::time::Instant;

use crate::bulkhead::sync::{AtomicU64, Mutex, Ordering};
use crate::bulkhead::waiters::{self, TaskWait, WaitQueue, Waiter};

/// The calls in flight.
const INFLIGHT: u64 = (1 << 32) - 1;
/// Where the limit starts.
const LIMIT_SHIFT: u32 = 32;
/// The limit's bits.
const LIMIT: u64 = ((1 << 31) - 1) << LIMIT_SHIFT;
/// Set while a call waits in the queue.
const QUEUED: u64 = 1 << 63;

pub(crate) struct Slots {
    state: AtomicU64,
    queue: Mutex<VecDeque<Arc<Waiter>>>,
}

#[inline]
#[allow(clippy::cast_possible_truncation)]
const fn inflight(state: u64) -> u32 {
    (state & INFLIGHT) as u32
}

#[inline]
#[allow(clippy::cast_possible_truncation)]
const fn limit(state: u64) -> u32 {
    ((state & LIMIT) >> LIMIT_SHIFT) as u32
}

/// A free slot: nobody queued and fewer calls in flight than the limit.
#[inline]
const fn has_room(state: u64) -> bool {
    state & QUEUED == 0 && inflight(state) < limit(state)
}

impl Slots {
    /// Slots for `limit` calls at once (at most [`MAX_LIMIT`](crate::MAX_LIMIT), far below
    /// the 31 bits it has).
    pub(crate) fn new(limit: u32) -> Slots {
        Slots {
            state: AtomicU64::new(u64::from(limit) << LIMIT_SHIFT),
            queue: Mutex::new(VecDeque::new()),
        }
    }

    /// The limit in force.
    pub(crate) fn limit(&self) -> u32 {
        limit(self.state.load(Ordering::Relaxed))
    }

    /// Calls admitted and not released yet.
    pub(crate) fn inflight(&self) -> u32 {
        inflight(self.state.load(Ordering::Relaxed))
    }

    /// Calls waiting for a slot now.
    pub(crate) fn waiting(&self) -> usize {
        self.lock().len()
    }

    /// Takes a slot if the limit allows one and nobody waits: one load and one
    /// compare-and-swap. The calls in flight once admitted, or `None`.
    #[inline]
    pub(crate) fn try_take(&self) -> Option<u32> {
        let mut current = self.state.load(Ordering::Relaxed);
        while has_room(current) {
            match self.state.compare_exchange_weak(
                current,
                current + 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(inflight(current) + 1),
                Err(actual) => current = actual,
            }
        }
        None
    }

    /// Gives a slot back: one `fetch_sub`, and a hand-over when calls wait.
    #[inline]
    pub(crate) fn release(&self) {
        let previous = self.state.fetch_sub(1, Ordering::Release);
        if previous & QUEUED != 0 {
            self.hand_over();
        }
    }

    /// Moves the limit to `limit` (the calls in flight stay); a raised limit goes to the
    /// waiters first. The limit it replaced.
    pub(crate) fn set_limit(&self, limit_to: u32) -> u32 {
        let bits = u64::from(limit_to) << LIMIT_SHIFT;
        let mut current = self.state.load(Ordering::Relaxed);
        loop {
            let next = (current & !LIMIT) | bits;
            match self.state.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        let previous = limit(current);
        if limit_to > previous && current & QUEUED != 0 {
            self.hand_over();
        }
        previous
    }

    /// Hands free slots to the first waiters, one at a time, waking each outside the lock.
    #[cold]
    #[inline(never)]
    fn hand_over(&self) {
        loop {
            let waiter = {
                let mut queue = self.lock();
                // Under the lock, releases (`fetch_sub`) and the limit (`set_limit`) may still
                // change the word, but nobody takes a slot while `QUEUED` is set, and the flag
                // changes only under this lock.
                let mut current = self.state.load(Ordering::Acquire);
                loop {
                    if current & QUEUED == 0 || inflight(current) >= limit(current) {
                        // The waiters left (the slot stays free), or no slot is free: the next
                        // release hands it on.
                        return;
                    }
                    if queue.is_empty() {
                        // Unreachable: the flag is set only while the queue holds a waiter.
                        self.state.fetch_and(!QUEUED, Ordering::AcqRel);
                        return;
                    }
                    // The last waiter's slot clears the flag.
                    let next = if queue.len() == 1 {
                        (current + 1) & !QUEUED
                    } else {
                        current + 1
                    };
                    match self.state.compare_exchange(
                        current,
                        next,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    ) {
                        Ok(_) => break,
                        Err(actual) => current = actual,
                    }
                }
                let Some(waiter) = queue.pop_front() else {
                    return;
                };
                waiter.grant();
                waiter
            };
            waiter.wake();
        }
    }

    /// Queues `waiter`, unless a slot is free and nobody waits: then it is taken at once and
    /// this returns `true`.
    fn enqueue(&self, waiter: &Arc<Waiter>) -> bool {
        let mut queue = self.lock();
        let mut current = self.state.load(Ordering::Acquire);
        loop {
            let next = if current & QUEUED != 0 {
                queue.push_back(Arc::clone(waiter));
                return false;
            } else if inflight(current) < limit(current) {
                current + 1
            } else {
                current | QUEUED
            };
            match self
                .state
                .compare_exchange(current, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) if next & QUEUED != 0 => {
                    queue.push_back(Arc::clone(waiter));
                    return false;
                }
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }

    /// `waiter` stops waiting. `true` if it had already been handed a slot, which the caller
    /// then holds.
    fn cancel(&self, waiter: &Arc<Waiter>) -> bool {
        let mut queue = self.lock();
        if waiter.is_granted() {
            return true;
        }
        if let Some(position) = queue.iter().position(|queued| Arc::ptr_eq(queued, waiter)) {
            queue.remove(position);
        }
        if queue.is_empty() {
            // A slot freed meanwhile (whose hand-over has not run yet) stays free.
            self.state.fetch_and(!QUEUED, Ordering::AcqRel);
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

impl WaitQueue for Slots {
    fn enqueue(&self, waiter: &Arc<Waiter>) -> bool {
        Slots::enqueue(self, waiter)
    }

    fn cancel(&self, waiter: &Arc<Waiter>) -> bool {
        Slots::cancel(self, waiter)
    }

    fn release(&self) {
        Slots::release(self);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn admission_follows_the_limit_in_the_word() {
        let slots = Slots::new(2);
        assert_eq!(slots.try_take(), Some(1));
        assert_eq!(slots.try_take(), Some(2));
        assert_eq!(slots.try_take(), None);
        assert_eq!(slots.set_limit(1), 2);
        slots.release();
        // Two admitted, one released: one in flight, at the new limit of one.
        assert_eq!((slots.inflight(), slots.limit()), (1, 1));
        assert_eq!(slots.try_take(), None);
        slots.set_limit(3);
        assert_eq!(slots.try_take(), Some(2));
        slots.release();
        slots.release();
        assert_eq!(slots.inflight(), 0);
    }

    #[test]
    fn a_raised_limit_goes_to_a_waiter_first() {
        let slots = Slots::new(1);
        assert!(slots.try_take().is_some());
        let mut wait = slots.wait_for_task().expect("no slot free");
        assert_eq!(slots.waiting(), 1);
        // Queued: a new call may not barge past the waiter.
        slots.set_limit(3);
        assert_eq!(slots.waiting(), 0);
        assert!(wait.is_granted());
        assert!(wait.give_up(), "the slot handed over is the caller's");
        assert_eq!(slots.inflight(), 2);
        assert_eq!(slots.try_take(), Some(3));
    }
}
