//! Model checks of the bulkhead's permits, the rate limiter's compare-and-swap and the throttle's
//! window with loom: every interleaving of the racing threads is explored (up to a preemption
//! bound), and the invariants hold in all of them.
//!
//! Run with: `RUSTFLAGS="--cfg loom" cargo test -p retry-runtime --test loom_limits --release`
#![cfg(loom)]

use std::future::Future;
use std::time::{Duration, Instant};

use loom::sync::Arc;
use loom::sync::atomic::{AtomicU32, Ordering};
use loom::thread;
use retry_runtime::{
    AdaptiveLimitConfig, AdaptiveLimiter, AdaptivePermit, AsyncSleeper, Bulkhead, BulkheadConfig,
    RateLimitConfig, RateLimiter, Throttle, ThrottleConfig,
};

const HOUR: Duration = Duration::from_secs(3600);

fn model(test: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(test);
}

/// A bulkhead that lives for the rest of the model iteration, so permits (which borrow it) can
/// move into threads; each iteration leaks one, which a test can afford.
fn bulkhead(max_concurrent: u32) -> &'static Bulkhead {
    let config = BulkheadConfig::new(max_concurrent).unwrap();
    Box::leak(Box::new(Bulkhead::new("loom", config)))
}

/// A sleeper whose deadline has always passed: an async wait gives up as soon as it has queued,
/// racing whatever release is under way.
struct Elapsed;

impl AsyncSleeper for Elapsed {
    fn sleep(_: Duration) -> impl Future<Output = ()> {
        std::future::ready(())
    }

    fn now() -> Instant {
        Instant::now()
    }
}

/// Every slot free, nobody queued, and a new call admitted: nothing leaked or double-counted.
fn assert_settled(bulkhead: &Bulkhead, max_concurrent: u32) {
    assert_eq!(bulkhead.available(), max_concurrent);
    assert_eq!(bulkhead.waiting(), 0);
    let permits: Vec<_> = (0..max_concurrent)
        .map(|_| bulkhead.try_acquire().expect("a slot is free"))
        .collect();
    assert!(bulkhead.try_acquire().is_err(), "no slot beyond the limit");
    drop(permits);
}

#[test]
fn concurrent_calls_never_hold_more_permits_than_the_limit() {
    model(|| {
        let bulkhead = bulkhead(2);
        let running = Arc::new(AtomicU32::new(0));
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let running = running.clone();
                thread::spawn(move || {
                    if let Ok(permit) = bulkhead.try_acquire() {
                        hold(permit, &running, 2);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_settled(bulkhead, 2);
    });
}

#[test]
fn a_release_hands_the_permit_to_a_blocked_waiter() {
    model(|| {
        let bulkhead = bulkhead(1);
        let held = bulkhead.try_acquire().unwrap();
        let waiter = thread::spawn(move || {
            // Parks until woken: loom fails the model if the wake-up can be lost.
            let permit = bulkhead.acquire_blocking(HOUR).expect("handed the slot");
            assert_eq!(bulkhead.available(), 0);
            drop(permit);
        });
        drop(held);
        waiter.join().unwrap();
        assert_eq!(bulkhead.counts().rejected, 0);
        assert_settled(bulkhead, 1);
    });
}

#[test]
fn a_waiter_giving_up_while_a_release_hands_it_the_permit_loses_no_permit() {
    model(|| {
        let bulkhead = bulkhead(1);
        let held = bulkhead.try_acquire().unwrap();
        let waiter = thread::spawn(move || {
            // Queues, then gives up at once: the hand-over may land before, during or after.
            loom::future::block_on(bulkhead.acquire_with::<Elapsed>(HOUR)).is_ok()
        });
        drop(held);
        let admitted = waiter.join().unwrap();
        // Admitted at once (the slot was free already), handed the slot while queued, or
        // rejected: never more than one of them.
        let counts = bulkhead.counts();
        if admitted {
            assert_eq!(counts.rejected, 0);
        } else {
            assert_eq!((counts.waited, counts.rejected), (0, 1));
        }
        assert_settled(bulkhead, 1);
    });
}

#[test]
fn two_waiters_and_two_releases_each_get_one_permit() {
    model(|| {
        let bulkhead = bulkhead(2);
        let first = bulkhead.try_acquire().unwrap();
        let second = bulkhead.try_acquire().unwrap();
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                thread::spawn(move || {
                    drop(bulkhead.acquire_blocking(HOUR).expect("handed a slot"));
                })
            })
            .collect();
        // One slot given back by another thread, the other by this one.
        let releaser = thread::spawn(move || drop(first));
        drop(second);
        releaser.join().unwrap();
        for waiter in waiters {
            waiter.join().unwrap();
        }
        assert_settled(bulkhead, 2);
    });
}

#[test]
fn a_late_hand_over_after_the_queue_emptied_and_refilled_hands_out_no_phantom_permit() {
    model(|| {
        let bulkhead = bulkhead(1);
        let running = Arc::new(AtomicU32::new(0));
        let held = bulkhead.try_acquire().unwrap();
        // Queues, and gives up at once: the queue may empty while the release below has added
        // its permit but not yet handed it over.
        let giving_up = {
            let running = running.clone();
            thread::spawn(move || {
                if let Ok(permit) = loom::future::block_on(bulkhead.acquire_with::<Elapsed>(HOUR)) {
                    hold(permit, &running, 1);
                }
            })
        };
        // Takes the permit in that window, if it opens.
        let barging = {
            let running = running.clone();
            thread::spawn(move || {
                if let Ok(permit) = bulkhead.try_acquire() {
                    hold(permit, &running, 1);
                }
            })
        };
        // Queues anew: a late hand-over must not hand it a permit that is already taken.
        let waiting = {
            let running = running.clone();
            thread::spawn(move || hold(bulkhead.acquire_blocking(HOUR).unwrap(), &running, 1))
        };
        drop(held);
        for thread in [giving_up, barging, waiting] {
            thread.join().unwrap();
        }
        assert_settled(bulkhead, 1);
    });
}

#[test]
fn a_failed_takers_dip_racing_a_release_and_a_waiter_loses_no_permit_and_no_wake_up() {
    model(|| {
        let bulkhead = bulkhead(1);
        let running = Arc::new(AtomicU32::new(0));
        let held = bulkhead.try_acquire().unwrap();
        // Takes the permit word below zero for a moment (no slot is free), then gives it back:
        // the release below may land in between, and the waiter may queue in between.
        let failing = {
            let running = running.clone();
            thread::spawn(move || {
                if let Ok(permit) = bulkhead.try_acquire() {
                    hold(permit, &running, 1);
                }
            })
        };
        // Parks until woken: loom fails the model if the dip hides the release's wake-up.
        let waiting = {
            let running = running.clone();
            thread::spawn(move || hold(bulkhead.acquire_blocking(HOUR).unwrap(), &running, 1))
        };
        drop(held);
        for thread in [failing, waiting] {
            thread.join().unwrap();
        }
        assert_settled(bulkhead, 1);
    });
}

#[test]
fn two_failed_takers_dipping_at_once_never_admit_a_call_over_the_limit() {
    model(|| {
        let bulkhead = bulkhead(1);
        let running = Arc::new(AtomicU32::new(0));
        let held = bulkhead.try_acquire().unwrap();
        // Both may dip below zero together, and the release may land between their dips and
        // their give-backs: at most one of them (or none) runs, and the word ends where it was.
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let running = running.clone();
                thread::spawn(move || {
                    if let Ok(permit) = bulkhead.try_acquire() {
                        hold(permit, &running, 1);
                    }
                })
            })
            .collect();
        drop(held);
        for thread in threads {
            thread.join().unwrap();
        }
        assert_settled(bulkhead, 1);
    });
}

/// Holds `permit` while counting the holders, which never exceed `max_concurrent`.
fn hold(permit: retry_runtime::BulkheadPermit<'_>, running: &AtomicU32, max_concurrent: u32) {
    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
    assert!(now <= max_concurrent, "{now} calls hold a permit");
    running.fetch_sub(1, Ordering::SeqCst);
    drop(permit);
}

/// A limiter whose clock has started at `start` (its first admission, made here, takes one
/// permit): the threads of a model then race only on the theoretical arrival time.
fn limiter(per_second: u32, burst: u32, start: Instant) -> &'static RateLimiter {
    let config = RateLimitConfig::new(per_second, burst).unwrap();
    let limiter: &'static RateLimiter = Box::leak(Box::new(RateLimiter::new("loom", config)));
    assert_eq!(
        limiter.reserve_at(start, Duration::ZERO),
        Ok(Duration::ZERO)
    );
    limiter
}

#[test]
fn concurrent_admissions_at_one_instant_never_exceed_the_burst() {
    model(|| {
        let start = Instant::now();
        let limiter = limiter(1, 3, start);
        let threads: Vec<_> = (0..3)
            .map(|_| thread::spawn(move || limiter.reserve_at(start, Duration::ZERO).is_ok()))
            .collect();
        let admitted = threads
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .filter(|admitted| *admitted)
            .count();
        // The burst of 3, one taken before: exactly 2 of the 3 racers.
        assert_eq!(admitted, 2);
        assert_eq!(limiter.counts().rejected, 1);
        assert!(limiter.reserve_at(start, Duration::ZERO).is_err());
    });
}

#[test]
fn concurrent_reservations_each_get_their_own_turn() {
    model(|| {
        let start = Instant::now();
        let interval = Duration::from_secs(1);
        let limiter = limiter(1, 1, start);
        let threads: Vec<_> = (0..2)
            .map(|_| thread::spawn(move || limiter.reserve_at(start, 2 * interval).unwrap()))
            .collect();
        let mut waits: Vec<Duration> = threads
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .collect();
        waits.sort();
        // One turn a second: the racers wait one and two seconds, never the same turn.
        assert_eq!(waits, [interval, 2 * interval]);
        let refusal = limiter.reserve_at(start, 2 * interval).unwrap_err();
        assert_eq!(refusal.retry_after, 3 * interval);
    });
}

/// A limiter of one permit a second with bursts of 67, its first permit taken by a sync call:
/// its TAT is then a second ahead of the clock, with room for the 64 racers that a sync call's
/// `fetch_add` admission needs, so the sync calls below take that path.
fn busy_limiter() -> &'static RateLimiter {
    let config = RateLimitConfig::new(1, 67).unwrap();
    let limiter: &'static RateLimiter = Box::leak(Box::new(RateLimiter::new("loom", config)));
    assert!(limiter.acquire_blocking(Duration::ZERO).is_ok());
    limiter
}

#[test]
fn a_sync_fetch_add_admission_racing_an_exact_reservation_keeps_every_permit() {
    model(|| {
        let limiter = busy_limiter();
        let fetch_add = thread::spawn(move || limiter.acquire_blocking(Duration::ZERO).is_ok());
        let exact =
            thread::spawn(move || limiter.reserve_at(Instant::now(), Duration::ZERO).is_ok());
        assert!(fetch_add.join().unwrap());
        assert!(exact.join().unwrap());
        // Three permits taken, each moved the TAT one interval on: none lost, none twice.
        assert_eq!(limiter.available_permits(), 64);
        assert_eq!(limiter.counts().rejected, 0);
    });
}

#[test]
fn a_reset_racing_a_sync_fetch_add_admission_leaves_no_interval_behind() {
    model(|| {
        let limiter = busy_limiter();
        let caller = thread::spawn(move || limiter.acquire_blocking(Duration::ZERO).is_ok());
        limiter.reset();
        // Admitted whichever came first; if the reset landed between its load and its add,
        // the add is taken back and the call decided on the exact clock.
        assert!(caller.join().unwrap());
        let available = limiter.available_permits();
        assert!((66..=67).contains(&available), "{available}");
    });
}

/// A throttle over ten seconds (buckets of a second) that lives for the rest of the model
/// iteration, with one accepted call at `start` (which sets its origin).
fn throttle(start: Instant) -> &'static Throttle {
    let config = ThrottleConfig::new(2.0, Duration::from_secs(10)).unwrap();
    let throttle: &'static Throttle = Box::leak(Box::new(Throttle::new("loom", config)));
    throttle.try_acquire_at(start).unwrap().record_accepted();
    throttle
}

/// One call at `now`, admitted (the window never lets `R` exceed `k A` here), recorded as
/// accepted or failed.
fn throttled_call(throttle: &Throttle, now: Instant, accepted: bool) {
    let permit = throttle
        .try_acquire_at(now)
        .expect("R <= k A: nothing is rejected");
    if accepted {
        permit.record_accepted();
    } else {
        permit.record_failed();
    }
}

#[test]
fn calls_racing_a_sweep_are_each_counted_once_and_leave_with_the_window() {
    model(|| {
        let start = Instant::now();
        let throttle = throttle(start);
        // Both enter the window's second bucket: one sweeps, the other counts beside it.
        let later = start + Duration::from_secs(1);
        let threads: Vec<_> = (0..2)
            .map(|_| thread::spawn(move || throttled_call(throttle, later, true)))
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let counts = throttle.counts_at(later);
        assert_eq!(
            (counts.requests, counts.accepts, counts.rejected),
            (3, 3, 0)
        );
        // The sweeping flag was released: a later sweep empties the window.
        let counts = throttle.counts_at(start + Duration::from_secs(20));
        assert_eq!((counts.requests, counts.accepts), (0, 0));
    });
}

#[test]
fn sweeps_for_two_buckets_racing_keep_every_count() {
    model(|| {
        let start = Instant::now();
        let throttle = throttle(start);
        let first = thread::spawn(move || {
            throttled_call(throttle, start + Duration::from_secs(1), true);
        });
        let second = thread::spawn(move || {
            throttled_call(throttle, start + Duration::from_secs(2), false);
        });
        first.join().unwrap();
        second.join().unwrap();
        // Whichever swept, and whichever skipped: all three calls are in the window.
        let counts = throttle.counts_at(start + Duration::from_secs(2));
        assert_eq!((counts.requests, counts.accepts), (3, 2));
        assert!(throttle.rejection_probability_at(start + Duration::from_secs(2)) == 0.0);
        let counts = throttle.counts_at(start + Duration::from_secs(12));
        assert_eq!((counts.requests, counts.accepts), (0, 0));
    });
}

/// An adaptive limiter starting at `limit` (within 1 to 4), leaked like the bulkheads above.
fn adaptive(limit: u32) -> &'static AdaptiveLimiter {
    let config = AdaptiveLimitConfig::builder()
        .initial_limit(limit)
        .max_limit(4)
        .build()
        .unwrap();
    Box::leak(Box::new(AdaptiveLimiter::new("loom", config)))
}

/// Counts the calls holding a slot while `permit` is held, checking them against `most`; the
/// permit is dropped (its slot freed without a sample, as a cancelled call's).
fn hold_slot(permit: AdaptivePermit<'_>, running: &AtomicU32, most: u32) {
    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
    assert!(now <= most, "{now} calls hold a slot");
    running.fetch_sub(1, Ordering::SeqCst);
    drop(permit);
}

#[test]
fn adaptive_admission_never_exceeds_the_limit() {
    model(|| {
        let limiter = adaptive(2);
        let running = Arc::new(AtomicU32::new(0));
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let running = running.clone();
                thread::spawn(move || {
                    if let Ok(permit) = limiter.try_acquire() {
                        hold_slot(permit, &running, 2);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!((limiter.inflight(), limiter.limit()), (0, 2));
        let counts = limiter.counts();
        assert_eq!(counts.admitted + counts.rejected, 3);
    });
}

#[test]
fn a_lowered_limit_racing_admissions_admits_no_call_over_the_limit_it_read() {
    model(|| {
        let limiter = adaptive(2);
        let running = Arc::new(AtomicU32::new(0));
        let callers: Vec<_> = (0..2)
            .map(|_| {
                let running = running.clone();
                thread::spawn(move || {
                    if let Ok(permit) = limiter.try_acquire() {
                        // Admitted against the word's limit: 2 before the change, 1 after.
                        hold_slot(permit, &running, 2);
                    }
                })
            })
            .collect();
        limiter.set_limit(1);
        for caller in callers {
            caller.join().unwrap();
        }
        assert_eq!((limiter.inflight(), limiter.limit()), (0, 1));
        let first = limiter.try_acquire().expect("one slot");
        assert!(
            limiter.try_acquire().is_err(),
            "no slot beyond the new limit"
        );
        drop(first);
    });
}

#[test]
fn a_raised_limit_hands_a_slot_to_a_blocked_waiter() {
    model(|| {
        let limiter = adaptive(1);
        let held = limiter.try_acquire().unwrap();
        let waiter = thread::spawn(move || {
            // Parks until woken: loom fails the model if the wake-up can be lost.
            let permit = limiter.acquire_blocking(HOUR).expect("handed a slot");
            drop(permit);
        });
        limiter.set_limit(2);
        waiter.join().unwrap();
        assert_eq!(limiter.counts().rejected, 0);
        drop(held);
        assert_eq!(limiter.inflight(), 0);
    });
}

#[test]
fn an_adaptive_waiter_giving_up_while_a_release_hands_it_a_slot_loses_no_slot() {
    model(|| {
        let limiter = adaptive(1);
        let held = limiter.try_acquire().unwrap();
        let waiter = thread::spawn(move || {
            loom::future::block_on(limiter.acquire_with::<Elapsed>(HOUR)).is_ok()
        });
        drop(held);
        let admitted = waiter.join().unwrap();
        let counts = limiter.counts();
        assert_eq!(counts.rejected, u64::from(!admitted));
        assert_eq!(limiter.inflight(), 0);
        let permit = limiter.try_acquire().expect("the slot is free");
        assert!(limiter.try_acquire().is_err());
        drop(permit);
    });
}
