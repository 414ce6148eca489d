//! Model checks of the breaker's lock-free state machine with loom: every interleaving of the
//! racing threads is explored (up to a preemption bound), and the invariants hold in all of them.
//!
//! Run with: `RUSTFLAGS="--cfg loom" cargo test -p retry-runtime --test loom_breaker --release`
#![cfg(loom)]

use std::time::Duration;

use loom::sync::Arc;
use loom::sync::atomic::{AtomicU32, Ordering};
use loom::thread;
use retry_runtime::testing::ManualClock;
use retry_runtime::{BreakerConfig, BreakerState, CircuitBreaker};

const OPEN_FOR: Duration = Duration::from_secs(10);

fn model(test: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(test);
}

/// A breaker that lives for the rest of the model iteration, so permits (which borrow it) can move
/// into threads; each iteration leaks one, which a test can afford.
fn breaker(
    threshold: u32,
    half_open_calls: u32,
) -> (&'static CircuitBreaker, std::sync::Arc<ManualClock>) {
    let clock = std::sync::Arc::new(ManualClock::new());
    let config = BreakerConfig::builder()
        .failure_threshold(threshold)
        .open_for(OPEN_FOR)
        .half_open_calls(half_open_calls)
        .build()
        .unwrap();
    let breaker = CircuitBreaker::with_clock("loom", config, clock.clone());
    (Box::leak(Box::new(breaker)), clock)
}

/// Opens the breaker and lets `open_for` pass, so the next acquire is a probe.
fn open_and_wait(breaker: &CircuitBreaker, clock: &ManualClock) {
    breaker.try_acquire().unwrap().record_failure();
    assert_eq!(breaker.state(), BreakerState::Open);
    clock.advance(OPEN_FOR);
}

#[test]
fn concurrent_failures_trip_the_breaker_exactly_once() {
    model(|| {
        let (breaker, _clock) = breaker(2, 1);
        let threads: Vec<_> = (0..2)
            .map(|_| {
                thread::spawn(move || {
                    if let Ok(permit) = breaker.try_acquire() {
                        permit.record_failure();
                    }
                })
            })
            .collect();
        breaker
            .try_acquire()
            .map(retry_runtime::Permit::record_failure)
            .ok();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(breaker.state(), BreakerState::Open);
        assert_eq!(breaker.counts().opened, 1);
    });
}

#[test]
fn half_open_permits_never_exceed_the_limit_and_the_probe_transition_happens_once() {
    model(|| {
        let (breaker, clock) = breaker(1, 2);
        open_and_wait(breaker, &clock);
        let granted = Arc::new(AtomicU32::new(0));
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let granted = granted.clone();
                thread::spawn(move || {
                    if let Ok(permit) = breaker.try_acquire() {
                        granted.fetch_add(1, Ordering::SeqCst);
                        // Hold the permit until the thread ends, as a running probe does.
                        std::mem::forget(permit);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(granted.load(Ordering::SeqCst), 2);
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        assert_eq!(breaker.counts().rejected, 1);
    });
}

#[test]
fn a_dropped_probe_gives_its_permit_back() {
    model(|| {
        let (breaker, clock) = breaker(1, 1);
        open_and_wait(breaker, &clock);
        // A cancelled future or a panicking body drops its permit without an outcome.
        let dropper = thread::spawn(move || drop(breaker.try_acquire()));
        let racer = thread::spawn(move || {
            breaker
                .try_acquire()
                .map(retry_runtime::Permit::record_success)
                .is_ok()
        });
        dropper.join().unwrap();
        let racer_probed = racer.join().unwrap();
        if racer_probed {
            assert_eq!(breaker.state(), BreakerState::Closed);
            assert_eq!(breaker.counts().recovered, 1);
        } else {
            // The racer was rejected while the dropper held the only permit; it is free again.
            assert_eq!(breaker.state(), BreakerState::HalfOpen);
            breaker
                .try_acquire()
                .expect("the permit was released")
                .record_success();
            assert_eq!(breaker.state(), BreakerState::Closed);
        }
    });
}

#[test]
fn a_failing_probe_reopens_even_when_another_succeeds_concurrently() {
    model(|| {
        let (breaker, clock) = breaker(1, 2);
        open_and_wait(breaker, &clock);
        let first = breaker.try_acquire().unwrap();
        let second = breaker.try_acquire().unwrap();
        let succeeding = thread::spawn(move || first.record_success());
        second.record_failure();
        succeeding.join().unwrap();
        assert_eq!(breaker.state(), BreakerState::Open);
        assert_eq!(breaker.counts().opened, 2);
        assert_eq!(breaker.counts().recovered, 0);
    });
}

#[test]
fn all_probes_succeeding_close_the_breaker_exactly_once() {
    model(|| {
        let (breaker, clock) = breaker(1, 2);
        open_and_wait(breaker, &clock);
        let first = breaker.try_acquire().unwrap();
        let second = breaker.try_acquire().unwrap();
        let other = thread::spawn(move || first.record_success());
        second.record_success();
        other.join().unwrap();
        assert_eq!(breaker.state(), BreakerState::Closed);
        assert_eq!(breaker.counts().recovered, 1);
    });
}

#[test]
fn a_trip_racing_a_reset_and_a_new_trip_never_leaves_a_stale_open_period() {
    model(|| {
        let (breaker, clock) = breaker(1, 1);
        let tripping = thread::spawn(move || {
            if let Ok(permit) = breaker.try_acquire() {
                permit.record_failure();
            }
        });
        breaker.reset();
        if let Ok(permit) = breaker.try_acquire() {
            permit.record_failure();
        }
        tripping.join().unwrap();
        // Whatever the interleaving, once the longest open period has passed the breaker admits
        // a call: no open period published for an older epoch outlives it.
        clock.advance(Duration::from_secs(300));
        let permit = breaker
            .try_acquire()
            .expect("admits a call after its open period");
        permit.record_success();
        assert_eq!(breaker.state(), BreakerState::Closed);
    });
}

#[test]
fn hung_probes_time_out_and_reopen_exactly_once() {
    model(|| {
        let (breaker, clock) = breaker(1, 1);
        open_and_wait(breaker, &clock);
        // The probe hangs: never finished, never dropped.
        std::mem::forget(breaker.try_acquire().unwrap());
        clock.advance(Duration::from_secs(60));
        let racers: Vec<_> = (0..2)
            .map(|_| thread::spawn(move || breaker.try_acquire().is_err()))
            .collect();
        for racer in racers {
            assert!(racer.join().unwrap(), "rejected while open again");
        }
        assert_eq!(breaker.state(), BreakerState::Open);
        assert_eq!(breaker.counts().opened, 2, "reopened once");
        clock.advance(Duration::from_secs(300));
        breaker
            .try_acquire()
            .expect("a new probe after the open period")
            .record_success();
        assert_eq!(breaker.state(), BreakerState::Closed);
    });
}

/// Successes counted on a leased stripe (a plain load and store) survive the lease's hand-over:
/// two threads race for the one leased stripe (the other counts on the shared one); the first
/// gives its lease back and goes on counting (as a thread-local destructor may), on the shared
/// stripe, while the second may take the lease over; every count is seen.
#[test]
fn counts_on_leased_stripes_are_never_lost() {
    model(|| {
        let (breaker, _clock) = breaker(100, 1);
        let success = move || breaker.try_acquire().unwrap().record_success();
        let first = thread::spawn(move || {
            success();
            success();
            retry_runtime::testing::end_thread();
            success();
        });
        let second = thread::spawn(move || {
            success();
            success();
            retry_runtime::testing::end_thread();
        });
        first.join().unwrap();
        second.join().unwrap();
        assert_eq!(breaker.counts().successful, 5);
    });
}

/// More threads than leased stripes: the threads without one count on the shared stripe at the
/// same time, and none of their counts is lost.
#[test]
fn counts_on_the_shared_stripe_are_never_lost() {
    model(|| {
        let (breaker, _clock) = breaker(100, 1);
        let threads: Vec<_> = (0..3)
            .map(|_| {
                thread::spawn(move || {
                    // The first count finds the thread's stripe, the second takes the hot path.
                    for _ in 0..2 {
                        breaker.try_acquire().unwrap().record_success();
                    }
                    retry_runtime::testing::end_thread();
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(breaker.counts().successful, 6);
    });
}
