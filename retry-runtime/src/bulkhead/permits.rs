//! The permit count and the queue of calls waiting for a permit.
//!
//! Free permits and a `QUEUED` flag share one atomic word. While nobody waits, taking a permit
//! is one compare-and-swap that decrements the count, and giving one back is one `fetch_add`:
//! no lock, no allocation. A call that finds no free permit takes the queue's lock, sets
//! `QUEUED` (only while the count is still zero, so a permit released meanwhile is taken
//! instead) and queues itself. While `QUEUED` is set, free permits belong to the waiters: new
//! calls queue behind them, and a release that sees the flag hands its permit to the first
//! waiter under the lock and wakes it (unparks its thread, or wakes its task). A waiter thus
//! takes a slot as soon as one is released, in the order the waiters came, woken and never
//! polled. `QUEUED` is set and cleared only under the lock, and is set exactly while the queue
//! holds a waiter.

use std::collections::VecDeque;
use std::future::Future;
use std::ops::DerefMut;
use std::pin::Pin;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use super::sync::{AtomicBool, AtomicU64, Mutex, Ordering, Thread, current, park_timeout};

/// Set while a call waits in the queue.
const QUEUED: u64 = 1 << 32;
/// The free permits, below the flag.
const FREE: u64 = QUEUED - 1;

pub(crate) struct Permits {
    state: AtomicU64,
    queue: Mutex<VecDeque<Arc<Waiter>>>,
}

/// One waiting call: granted a permit by a release, and woken.
pub(crate) struct Waiter {
    /// Set under the queue's lock by the release that hands this waiter its permit.
    granted: AtomicBool,
    wake: Wake,
}

enum Wake {
    Thread(Thread),
    Task(Mutex<Option<Waker>>),
}

impl Permits {
    pub(crate) fn new(permits: u32) -> Permits {
        Permits {
            state: AtomicU64::new(u64::from(permits)),
            queue: Mutex::new(VecDeque::new()),
        }
    }

    /// Permits free for a new call now (0 while calls wait: a freed permit is theirs).
    pub(crate) fn available(&self) -> u32 {
        let state = self.state.load(Ordering::Relaxed);
        if state & QUEUED != 0 {
            0
        } else {
            u32::try_from(state & FREE).unwrap_or(u32::MAX)
        }
    }

    /// Calls waiting for a permit now.
    pub(crate) fn waiting(&self) -> usize {
        self.lock().len()
    }

    /// Takes a free permit if there is one and nobody waits: one compare-and-swap.
    #[inline]
    pub(crate) fn try_take(&self) -> bool {
        let mut current = self.state.load(Ordering::Relaxed);
        while current & QUEUED == 0 && current & FREE != 0 {
            match self.state.compare_exchange_weak(
                current,
                current - 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
        false
    }

    /// Gives a permit back: one `fetch_add`, and a hand-over when calls wait.
    #[inline]
    pub(crate) fn release(&self) {
        let previous = self.state.fetch_add(1, Ordering::Release);
        if previous & QUEUED != 0 {
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
                // Under the lock only releases (`fetch_add`) change the word: nobody takes a
                // permit while `QUEUED` is set, and the flag changes only under this lock.
                let state = self.state.load(Ordering::Acquire);
                if state & QUEUED == 0 || state & FREE == 0 {
                    // The waiters left (the permit stays free), or another hand-over, or a call
                    // that took it while no one waited, used it: its release hands it on.
                    return;
                }
                let Some(waiter) = queue.pop_front() else {
                    // Unreachable: the flag is set only while the queue holds a waiter.
                    self.state.fetch_and(!QUEUED, Ordering::AcqRel);
                    return;
                };
                let taken = if queue.is_empty() { 1 + QUEUED } else { 1 };
                self.state.fetch_sub(taken, Ordering::AcqRel);
                waiter.granted.store(true, Ordering::Release);
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
            let next = if current & QUEUED != 0 {
                queue.push_back(Arc::clone(waiter));
                return false;
            } else if current & FREE != 0 {
                current - 1
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

    /// `waiter` stops waiting. `true` if a release had already handed it a permit, which the
    /// caller then holds.
    pub(crate) fn cancel(&self, waiter: &Arc<Waiter>) -> bool {
        let mut queue = self.lock();
        if waiter.granted.load(Ordering::Acquire) {
            return true;
        }
        if let Some(position) = queue.iter().position(|queued| Arc::ptr_eq(queued, waiter)) {
            queue.remove(position);
        }
        if queue.is_empty() {
            // A permit released meanwhile (whose hand-over has not run yet) stays free.
            self.state.fetch_and(!QUEUED, Ordering::AcqRel);
        }
        false
    }

    /// Blocks this thread until a release hands `waiter` a permit (`true`) or `deadline`
    /// passes (`false`).
    pub(crate) fn wait_until(&self, deadline: Instant) -> bool {
        let waiter = Arc::new(Waiter {
            granted: AtomicBool::new(false),
            wake: Wake::Thread(current()),
        });
        if self.enqueue(&waiter) {
            return true;
        }
        loop {
            if waiter.is_granted() {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return self.cancel(&waiter);
            }
            park_timeout(deadline - now);
        }
    }

    /// A queued task's wait: `None` when a permit was free at once.
    pub(crate) fn wait_for_task(&self) -> Option<TaskWait<'_>> {
        let waiter = Arc::new(Waiter {
            granted: AtomicBool::new(false),
            wake: Wake::Task(Mutex::new(None)),
        });
        if self.enqueue(&waiter) {
            return None;
        }
        Some(TaskWait {
            permits: self,
            waiter,
            settled: false,
        })
    }

    fn lock(&self) -> impl DerefMut<Target = VecDeque<Arc<Waiter>>> + '_ {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Waiter {
    fn is_granted(&self) -> bool {
        self.granted.load(Ordering::Acquire)
    }

    fn wake(&self) {
        match &self.wake {
            Wake::Thread(thread) => thread.unpark(),
            Wake::Task(waker) => {
                let waker = lock_waker(waker).take();
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
        }
    }
}

fn lock_waker(waker: &Mutex<Option<Waker>>) -> impl DerefMut<Target = Option<Waker>> + '_ {
    waker.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A task waiting in the queue: ready once a release hands it a permit. Dropped before that
/// (the caller's future was dropped), it leaves the queue, and gives back a permit handed to it
/// meanwhile.
pub(crate) struct TaskWait<'a> {
    permits: &'a Permits,
    waiter: Arc<Waiter>,
    /// Granted and taken, or given up: nothing left to undo.
    settled: bool,
}

impl TaskWait<'_> {
    /// Stops waiting (the deadline passed): `true` if a permit was handed over meanwhile, which
    /// the caller then holds.
    pub(crate) fn give_up(&mut self) -> bool {
        self.settled = true;
        self.permits.cancel(&self.waiter)
    }
}

impl Future for TaskWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        if self.waiter.is_granted() {
            self.settled = true;
            return Poll::Ready(());
        }
        if let Wake::Task(waker) = &self.waiter.wake {
            let mut slot = lock_waker(waker);
            match &mut *slot {
                Some(registered) if registered.will_wake(context.waker()) => {}
                slot => *slot = Some(context.waker().clone()),
            }
        }
        // A hand-over between the first check and the registration found no waker to wake.
        if self.waiter.is_granted() {
            self.settled = true;
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl Drop for TaskWait<'_> {
    fn drop(&mut self) {
        if !self.settled && self.permits.cancel(&self.waiter) {
            self.permits.release();
        }
    }
}
