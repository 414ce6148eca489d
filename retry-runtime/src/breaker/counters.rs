//! Call counts without contention: each thread counts into a shard of its own with a plain load
//! and store (no read-modify-write, so no `lock` prefix and no cache line bouncing between
//! cores), and readers sum the shards. A thread claims a shard on its first call through a
//! breaker and gives it back when it exits, so the shards number at most the threads that ever
//! ran at once; a later thread reuses a released one, and its counts carry on.

use super::sync::{AtomicU64, Ordering};
use super::{BreakerCounts, Outcome};

/// One thread's counts. Written by its owning thread only; read by anyone.
#[derive(Default)]
pub(super) struct Shard {
    successful: AtomicU64,
    failed: AtomicU64,
    ignored: AtomicU64,
    rejected: AtomicU64,
    slow: AtomicU64,
    #[cfg(not(loom))]
    owned: std::sync::atomic::AtomicBool,
}

impl Shard {
    fn add_to(&self, counts: &mut BreakerCounts) {
        counts.successful += self.successful.load(Ordering::Relaxed);
        counts.failed += self.failed.load(Ordering::Relaxed);
        counts.ignored += self.ignored.load(Ordering::Relaxed);
        counts.rejected += self.rejected.load(Ordering::Relaxed);
        counts.slow += self.slow.load(Ordering::Relaxed);
    }
}

#[cfg(not(loom))]
pub(super) use per_thread::Counters;

#[cfg(loom)]
pub(super) use shared::Counters;

#[cfg(not(loom))]
mod per_thread {
    use std::cell::{Cell, RefCell};
    use std::sync::atomic::{AtomicBool, AtomicU64 as StdAtomicU64};
    use std::sync::{Mutex, PoisonError};

    use super::{AtomicU64, BreakerCounts, Ordering, Outcome, Shard};

    static NEXT_ID: StdAtomicU64 = StdAtomicU64::new(0);

    /// The shards of one breaker.
    pub(in crate::breaker) struct Counters {
        id: u64,
        shards: Mutex<Vec<&'static Shard>>,
        /// For the rare call made while its thread is being torn down (no thread-locals left).
        shared: Shard,
    }

    /// The shards this thread owns, released when it exits.
    struct Owned(RefCell<Vec<(u64, &'static Shard)>>);

    impl Drop for Owned {
        fn drop(&mut self) {
            for (_, shard) in self.0.borrow().iter() {
                shard
                    .owned
                    .store(false, std::sync::atomic::Ordering::Release);
            }
        }
    }

    thread_local! {
        /// The shard of the breaker this thread called last: the hot path's one lookup.
        static LAST: Cell<(u64, Option<&'static Shard>)> = const { Cell::new((u64::MAX, None)) };
        static OWNED: Owned = const { Owned(RefCell::new(Vec::new())) };
    }

    /// Counts one event into a shard this thread owns: no other thread writes it.
    #[inline]
    fn bump(counter: &AtomicU64) {
        counter.store(
            counter.load(Ordering::Relaxed).wrapping_add(1),
            Ordering::Relaxed,
        );
    }

    impl Default for Counters {
        fn default() -> Self {
            Counters {
                id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                shards: Mutex::new(Vec::new()),
                shared: Shard::default(),
            }
        }
    }

    impl Counters {
        #[inline]
        fn with_shard(&self, count: impl FnOnce(&Shard, fn(&AtomicU64))) {
            match LAST.try_with(Cell::get) {
                Ok((id, Some(shard))) if id == self.id => count(shard, bump),
                _ => match self.claim() {
                    Some(shard) => count(shard, bump),
                    None => count(&self.shared, |counter| {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }),
                },
            }
        }

        /// This thread's shard of this breaker: owned already, released by an exited thread,
        /// or new. `None` only while the thread is being torn down.
        #[cold]
        #[inline(never)]
        fn claim(&self) -> Option<&'static Shard> {
            OWNED
                .try_with(|owned| {
                    let mut owned = owned.0.borrow_mut();
                    let shard =
                        if let Some((_, shard)) = owned.iter().find(|(id, _)| *id == self.id) {
                            *shard
                        } else {
                            let shard = self.adopt_or_create();
                            owned.push((self.id, shard));
                            shard
                        };
                    LAST.with(|last| last.set((self.id, Some(shard))));
                    shard
                })
                .ok()
        }

        fn adopt_or_create(&self) -> &'static Shard {
            let mut shards = self.shards.lock().unwrap_or_else(PoisonError::into_inner);
            let released = shards.iter().copied().find(|shard| {
                shard
                    .owned
                    .compare_exchange(
                        false,
                        true,
                        std::sync::atomic::Ordering::Acquire,
                        std::sync::atomic::Ordering::Relaxed,
                    )
                    .is_ok()
            });
            released.unwrap_or_else(|| {
                // Shards outlive their breaker because an exiting thread may still release one;
                // there are at most as many as threads that ran at once.
                let shard: &'static Shard = Box::leak(Box::new(Shard {
                    owned: AtomicBool::new(true),
                    ..Shard::default()
                }));
                shards.push(shard);
                shard
            })
        }

        #[inline]
        pub(in crate::breaker) fn add_success(&self) {
            self.with_shard(|shard, bump| bump(&shard.successful));
        }

        pub(in crate::breaker) fn add(&self, outcome: Outcome, slow: bool) {
            self.with_shard(|shard, bump| {
                bump(match outcome {
                    Outcome::Success => &shard.successful,
                    Outcome::Failure => &shard.failed,
                    Outcome::Ignored => &shard.ignored,
                });
                if slow {
                    bump(&shard.slow);
                }
            });
        }

        pub(in crate::breaker) fn add_rejected(&self) {
            self.with_shard(|shard, bump| bump(&shard.rejected));
        }

        pub(in crate::breaker) fn sum(&self) -> BreakerCounts {
            let mut counts = BreakerCounts::default();
            for shard in self
                .shards
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
            {
                shard.add_to(&mut counts);
            }
            self.shared.add_to(&mut counts);
            counts
        }
    }
}

/// Under loom: one shared shard with read-modify-write increments, which loom can model.
#[cfg(loom)]
mod shared {
    use super::{BreakerCounts, Ordering, Outcome, Shard};

    #[derive(Default)]
    pub(in crate::breaker) struct Counters {
        shard: Shard,
    }

    impl Counters {
        pub(in crate::breaker) fn add_success(&self) {
            self.shard.successful.fetch_add(1, Ordering::Relaxed);
        }

        pub(in crate::breaker) fn add(&self, outcome: Outcome, slow: bool) {
            let counter = match outcome {
                Outcome::Success => &self.shard.successful,
                Outcome::Failure => &self.shard.failed,
                Outcome::Ignored => &self.shard.ignored,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            if slow {
                self.shard.slow.fetch_add(1, Ordering::Relaxed);
            }
        }

        pub(in crate::breaker) fn add_rejected(&self) {
            self.shard.rejected.fetch_add(1, Ordering::Relaxed);
        }

        pub(in crate::breaker) fn sum(&self) -> BreakerCounts {
            let mut counts = BreakerCounts::default();
            self.shard.add_to(&mut counts);
            counts
        }
    }
}
