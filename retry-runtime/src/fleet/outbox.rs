//! From a breaker's transition to the fleet link: the one part of the link on the call path.
//!
//! A transition sets its breaker's `queued` flag and, if the flag was clear, names the breaker
//! into a bounded channel (`try_send`: lock-free, never waits). The link clears the flag and
//! reads the breaker's state itself when it publishes, so a burst of transitions of one
//! breaker costs one publication of its newest state, and the channel holds each breaker at
//! most once. When it is full anyway (more breakers changing at once than it holds), a flag
//! tells the link to look for set flags among every breaker: nothing is queued without bound,
//! nothing is lost, and a breaker that did not change is never published again. A leaf module:
//! the breaker calls it without depending on the rest of the link.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use tokio::sync::mpsc;

/// Transitions waiting for the link; beyond this, `overflowed` stands for all of them.
const CAPACITY: usize = 1024;

pub(super) struct Outbox {
    sender: mpsc::Sender<&'static str>,
    /// Taken by the running link, given back when it stops.
    receiver: Mutex<Option<mpsc::Receiver<&'static str>>>,
    /// A link is running: transitions are sent.
    active: AtomicBool,
    /// A transition found the channel full: the link must look at every breaker.
    overflowed: AtomicBool,
}

static OUTBOX: OnceLock<Outbox> = OnceLock::new();

thread_local! {
    /// Set while this thread applies a state that came from the fleet: the transitions it
    /// makes are the fleet's, and are not sent back (no echo).
    static APPLYING: Cell<bool> = const { Cell::new(false) };
}

/// A breaker made a transition: tell the link, if one runs, unless the transition came from
/// the fleet or from a test scope's breaker. `queued` is the breaker's flag.
#[inline]
pub(crate) fn transitioned(name: &'static str, queued: &AtomicBool) {
    let Some(outbox) = OUTBOX.get() else {
        return;
    };
    if !outbox.active.load(Ordering::Acquire) || is_applying() || crate::scope::current() != 0 {
        return;
    }
    if queued.swap(true, Ordering::AcqRel) {
        return; // the link has yet to take the last one, and will read the newest state
    }
    if outbox.sender.try_send(name).is_err() {
        outbox.overflowed.store(true, Ordering::Release);
    }
}

/// Whether this thread is applying a fleet state now.
pub(super) fn is_applying() -> bool {
    APPLYING.try_with(Cell::get).unwrap_or(false)
}

/// Runs `apply` with this thread's transitions marked as the fleet's.
pub(super) fn applying_from_fleet<T>(apply: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            let _ = APPLYING.try_with(|flag| flag.set(self.0));
        }
    }
    let _reset = Reset(
        APPLYING
            .try_with(|flag| flag.replace(true))
            .unwrap_or(false),
    );
    apply()
}

/// The link's end of the channel, while it runs.
pub(super) struct Inbox {
    outbox: &'static Outbox,
    receiver: Option<mpsc::Receiver<&'static str>>,
}

impl Inbox {
    /// The channel's receiving end, or `None` when another link runs in this process.
    pub(super) fn claim() -> Option<Inbox> {
        let outbox = OUTBOX.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(CAPACITY);
            Outbox {
                sender,
                receiver: Mutex::new(Some(receiver)),
                active: AtomicBool::new(false),
                overflowed: AtomicBool::new(false),
            }
        });
        let mut receiver = outbox
            .receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()?;
        // Names left by an earlier link are dropped: the breakers' flags say what is still to
        // publish, and the link looks at every flag when it connects.
        while receiver.try_recv().is_ok() {}
        outbox.overflowed.store(false, Ordering::Release);
        outbox.active.store(true, Ordering::Release);
        Some(Inbox {
            outbox,
            receiver: Some(receiver),
        })
    }

    /// The next breaker that made a transition.
    pub(super) async fn recv(&mut self) -> Option<&'static str> {
        self.receiver.as_mut()?.recv().await
    }

    /// A breaker that made a transition, if one is waiting.
    pub(super) fn try_recv(&mut self) -> Option<&'static str> {
        self.receiver.as_mut()?.try_recv().ok()
    }

    /// Whether the channel overflowed since the last call (then every breaker's flag is to be
    /// looked at).
    pub(super) fn take_overflow(&self) -> bool {
        self.outbox.overflowed.swap(false, Ordering::AcqRel)
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        self.outbox.active.store(false, Ordering::Release);
        *self
            .outbox
            .receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = self.receiver.take();
    }
}
