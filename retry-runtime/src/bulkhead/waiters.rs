//! The waiting half of a limit on calls in flight, shared by the bulkhead's permits and the
//! adaptive limiter's slots: a waiter (granted a slot under the queue's lock by whoever frees
//! one, then woken: its thread unparked or its task's waker called), a thread's bounded wait,
//! and a task's wait as a future that leaves the queue when dropped. The atomic word and its
//! queue stay with each limit, which says how to queue, cancel and release through [`WaitQueue`].

use std::collections::VecDeque;
use std::future::Future;
use std::ops::DerefMut;
use std::pin::Pin;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use super::sync::{AtomicBool, Mutex, Ordering, Thread, current, park_timeout};

/// The waiters of one limit, in the order they came.
pub(crate) type Queue = Mutex<VecDeque<Arc<Waiter>>>;

/// Locks a limit's queue; a panic elsewhere never poisons it for good.
pub(crate) fn lock(queue: &Queue) -> impl DerefMut<Target = VecDeque<Arc<Waiter>>> + '_ {
    queue.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a limit does for its waiters.
pub(crate) trait WaitQueue {
    /// Queues `waiter`, unless a slot is free and nobody waits: then it is taken at once and
    /// this returns `true`.
    fn enqueue(&self, waiter: &Arc<Waiter>) -> bool;
    /// `waiter` stops waiting. `true` if it had already been handed a slot, which the caller
    /// then holds.
    fn cancel(&self, waiter: &Arc<Waiter>) -> bool;
    /// Gives a slot back (handing it to the next waiter, if any).
    fn release(&self);
}

/// One waiting call: granted a slot by whoever frees one, and woken.
pub(crate) struct Waiter {
    /// Set under the queue's lock by whoever hands this waiter its slot.
    granted: AtomicBool,
    wake: Wake,
}

enum Wake {
    Thread(Thread),
    Task(Mutex<Option<Waker>>),
}

impl Waiter {
    /// Whether a slot was handed to this waiter.
    pub(crate) fn is_granted(&self) -> bool {
        self.granted.load(Ordering::Acquire)
    }

    /// Hands this waiter its slot: called under the queue's lock, before [`wake`](Self::wake).
    pub(crate) fn grant(&self) {
        self.granted.store(true, Ordering::Release);
    }

    /// Wakes the waiter (outside the queue's lock).
    pub(crate) fn wake(&self) {
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

/// Blocks this thread until `queue` hands it a slot (`true`) or `deadline` passes (`false`).
pub(crate) fn wait_until(queue: &impl WaitQueue, deadline: Instant) -> bool {
    let waiter = Arc::new(Waiter {
        granted: AtomicBool::new(false),
        wake: Wake::Thread(current()),
    });
    if queue.enqueue(&waiter) {
        return true;
    }
    loop {
        if waiter.is_granted() {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return queue.cancel(&waiter);
        }
        park_timeout(deadline - now);
    }
}

/// A queued task's wait: `None` when a slot was free at once.
pub(crate) fn wait_for_task<Q: WaitQueue>(queue: &Q) -> Option<TaskWait<'_, Q>> {
    let waiter = Arc::new(Waiter {
        granted: AtomicBool::new(false),
        wake: Wake::Task(Mutex::new(None)),
    });
    if queue.enqueue(&waiter) {
        return None;
    }
    Some(TaskWait {
        queue,
        waiter,
        settled: false,
    })
}

/// A task waiting in the queue: ready once it is handed a slot. Dropped before that (the
/// caller's future was dropped), it leaves the queue, and gives back a slot handed to it
/// meanwhile.
pub(crate) struct TaskWait<'a, Q: WaitQueue> {
    queue: &'a Q,
    waiter: Arc<Waiter>,
    /// Granted and taken, or given up: nothing left to undo.
    settled: bool,
}

impl<Q: WaitQueue> TaskWait<'_, Q> {
    /// Whether a slot was handed to this task (it is then ready).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn is_granted(&self) -> bool {
        self.waiter.is_granted()
    }

    /// Stops waiting (the deadline passed): `true` if a slot was handed over meanwhile, which
    /// the caller then holds.
    pub(crate) fn give_up(&mut self) -> bool {
        self.settled = true;
        self.queue.cancel(&self.waiter)
    }
}

impl<Q: WaitQueue> Future for TaskWait<'_, Q> {
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

impl<Q: WaitQueue> Drop for TaskWait<'_, Q> {
    fn drop(&mut self) {
        if !self.settled && self.queue.cancel(&self.waiter) {
            self.queue.release();
        }
    }
}
