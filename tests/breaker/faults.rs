//! The breaker under the faults that used to break it: a slow thread publishing a stale open
//! period, a probe that hangs forever, panicking bodies, dropped futures, manual states that
//! change nothing, and transitions delivered out of order. Each test names its own breaker.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use retry_runtime::hooks::{Event, install_hook};
use retry_runtime::testing::{ManualClock, pause_sync_time};
use retry_runtime::{
    BreakerClock, BreakerConfig, BreakerState, CircuitBreaker, CircuitOpen, breaker,
    circuit_breaker,
};

#[derive(Debug, PartialEq)]
enum DbError {
    Unavailable,
    Rejected(CircuitOpen),
}

impl From<CircuitOpen> for DbError {
    fn from(open: CircuitOpen) -> Self {
        DbError::Rejected(open)
    }
}

/// A clock that stops the thread reading it, once, while a test does something in between.
struct GatedClock {
    time: ManualClock,
    armed: AtomicBool,
    entered: Mutex<mpsc::Sender<()>>,
    release: Mutex<mpsc::Receiver<()>>,
}

impl BreakerClock for GatedClock {
    fn now(&self) -> Instant {
        if self.armed.swap(false, Ordering::SeqCst) {
            self.entered.lock().unwrap().send(()).unwrap();
            self.release.lock().unwrap().recv().unwrap();
        }
        self.time.now()
    }
}

#[test]
fn a_slow_tripping_thread_cannot_leave_the_breaker_open_forever() {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let clock = Arc::new(GatedClock {
        time: ManualClock::new(),
        armed: AtomicBool::new(false),
        entered: Mutex::new(entered_tx),
        release: Mutex::new(release_rx),
    });
    let config = BreakerConfig::builder()
        .failure_threshold(1)
        .open_for(Duration::from_secs(10))
        .build()
        .unwrap();
    let breaker: &'static CircuitBreaker = Box::leak(Box::new(CircuitBreaker::with_clock(
        "slow-trip",
        config,
        clock.clone(),
    )));
    // The tripping thread wins the compare-and-swap to open, then stalls reading the clock,
    // before it has published when the open period ends.
    clock.armed.store(true, Ordering::SeqCst);
    let slow = std::thread::spawn(move || breaker.try_acquire().unwrap().record_failure());
    entered_rx.recv().unwrap();
    assert_eq!(breaker.state(), BreakerState::Open);
    // Meanwhile: a reset, and a new trip that publishes its own open period.
    breaker.reset();
    breaker.try_acquire().unwrap().record_failure();
    assert_eq!(breaker.state(), BreakerState::Open);
    release_tx.send(()).unwrap();
    slow.join().unwrap();
    // The stale period was not published over the new one: rejections know when they end, and
    // after it the breaker admits a probe.
    let rejected = breaker.try_acquire().unwrap_err();
    assert_eq!(rejected.retry_after, Some(Duration::from_secs(10)));
    clock.time.advance(Duration::from_secs(10));
    let probe = breaker
        .try_acquire()
        .expect("admits a probe after its open period");
    probe.record_success();
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[circuit_breaker(
    name = "hung-probe",
    failure_threshold = 1,
    open_for = "1s",
    half_open_timeout = "5s"
)]
async fn maybe_hang(hang: bool, fail: bool) -> Result<(), DbError> {
    if hang {
        std::future::pending::<()>().await;
    }
    if fail {
        Err(DbError::Unavailable)
    } else {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_hung_probe_gives_its_slot_back_after_half_open_timeout() {
    assert_eq!(maybe_hang(false, true).await, Err(DbError::Unavailable));
    let handle = breaker("hung-probe").unwrap();
    assert_eq!(handle.state(), BreakerState::Open);
    tokio::time::advance(Duration::from_secs(1)).await;
    // The probe hangs: pending forever, never dropped.
    let hung = tokio::spawn(maybe_hang(true, false));
    tokio::task::yield_now().await;
    assert_eq!(handle.state(), BreakerState::HalfOpen);
    assert!(matches!(
        maybe_hang(false, false).await,
        Err(DbError::Rejected(CircuitOpen {
            state: BreakerState::HalfOpen,
            ..
        }))
    ));
    // After half_open_timeout the hung probe counts as failed: open again (for twice as long,
    // a second trip in a row), not wedged half-open.
    tokio::time::advance(Duration::from_secs(5)).await;
    let Err(DbError::Rejected(open)) = maybe_hang(false, false).await else {
        panic!("rejected while open again");
    };
    assert_eq!(open.state, BreakerState::Open);
    assert_eq!(open.retry_after, Some(Duration::from_secs(2)));
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(maybe_hang(false, false).await, Ok(()));
    assert_eq!(handle.state(), BreakerState::Closed);
    assert!(!hung.is_finished());
    hung.abort();
}

#[circuit_breaker(
    name = "hung-probe-counted",
    failure_threshold = 1,
    open_for = "1s",
    half_open_timeout = "5s"
)]
async fn probe_until(release: Option<std::sync::Arc<tokio::sync::Notify>>) -> Result<(), DbError> {
    match release {
        Some(release) => {
            release.notified().await;
            Ok(())
        }
        None => Err(DbError::Unavailable),
    }
}

#[tokio::test(start_paused = true)]
async fn a_hung_probe_counts_as_failed_once_and_never_again_when_it_ends() {
    for late_end in ["completes", "is dropped"] {
        let before = breaker("hung-probe-counted")
            .map(|handle| handle.counts())
            .unwrap_or_default();
        assert_eq!(probe_until(None).await, Err(DbError::Unavailable));
        let handle = breaker("hung-probe-counted").unwrap();
        assert_eq!(handle.state(), BreakerState::Open);
        // Past the open period (which grows with each trip in a row).
        tokio::time::advance(Duration::from_secs(10)).await;
        let release = std::sync::Arc::new(tokio::sync::Notify::new());
        let hung = tokio::spawn(probe_until(Some(release.clone())));
        tokio::task::yield_now().await;
        assert_eq!(handle.state(), BreakerState::HalfOpen);
        // After half_open_timeout the next call finds the probe hung: it counts as failed, and
        // the breaker opens again (the call itself is rejected).
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(probe_until(None).await.is_err());
        assert_eq!(handle.state(), BreakerState::Open);
        let counts = handle.counts();
        let delta = |now: u64, then: u64| now - then;
        assert_eq!(
            (
                delta(counts.failed, before.failed),
                delta(counts.successful, before.successful),
                delta(counts.cancelled, before.cancelled),
                delta(counts.rejected, before.rejected),
            ),
            (2, 0, 0, 1),
            "the first failure and the hung probe are failed, the last call rejected"
        );
        // The hung probe ends late: it was counted already, and changes nothing.
        if late_end == "completes" {
            release.notify_one();
            assert_eq!(hung.await.unwrap(), Ok(()));
        } else {
            hung.abort();
            assert!(hung.await.unwrap_err().is_cancelled());
        }
        let after = handle.counts();
        assert_eq!(
            after, counts,
            "a hung probe that {late_end} is not counted again"
        );
        assert_eq!(handle.state(), BreakerState::Open);
        handle.reset();
    }
}

#[circuit_breaker(name = "panics-count", failure_threshold = 3)]
fn panicky(panic: bool) -> Result<(), DbError> {
    assert!(!panic, "the body panicked");
    Ok(())
}

#[test]
fn a_panicking_body_is_a_failure_and_the_panic_goes_on() {
    let handle = || breaker("panics-count").unwrap();
    assert_eq!(panicky(false), Ok(()));
    for _ in 0..3 {
        let unwound = std::panic::catch_unwind(|| panicky(true));
        assert!(unwound.is_err(), "the panic reaches the caller");
    }
    assert_eq!(handle().state(), BreakerState::Open);
    let counts = handle().counts();
    assert_eq!((counts.successful, counts.failed), (1, 3));
    assert_eq!(counts.calls(), 4);
}

#[circuit_breaker(name = "cancelled-calls", failure_threshold = 1, slow_call = "1s")]
async fn slow(seconds: u64) -> Result<(), DbError> {
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_dropped_future_is_cancelled_not_failed_and_slow_if_it_ran_past_slow_call() {
    // Dropped after 100 ms: cancelled, not slow.
    assert!(
        tokio::time::timeout(Duration::from_millis(100), slow(10))
            .await
            .is_err()
    );
    // Dropped after 3 s: cancelled, and slow.
    assert!(
        tokio::time::timeout(Duration::from_secs(3), slow(10))
            .await
            .is_err()
    );
    let counts = breaker("cancelled-calls").unwrap().counts();
    assert_eq!(
        (
            counts.cancelled,
            counts.failed,
            counts.successful,
            counts.slow
        ),
        (2, 0, 0, 1)
    );
    assert_eq!(counts.calls(), 2);
}

#[circuit_breaker(name = "no-same-state", failure_threshold = 1, open_for = "1s")]
fn plain(fail: bool) -> Result<(), DbError> {
    if fail {
        Err(DbError::Unavailable)
    } else {
        Ok(())
    }
}

#[test]
fn transitions_are_reported_only_on_change_with_rising_sequence_numbers() {
    let seen: Arc<Mutex<Vec<(BreakerState, BreakerState, u64)>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let _hook = install_hook(move |event: &Event<'_>| {
        if let Event::BreakerTransition {
            name: "no-same-state",
            from,
            to,
            sequence,
            ..
        } = *event
        {
            sink.lock().unwrap().push((from, to, sequence));
        }
    });
    let _paused = pause_sync_time();
    assert_eq!(plain(false), Ok(()));
    let handle = breaker("no-same-state").unwrap();
    handle.reset();
    handle.reset();
    handle.force_open();
    handle.force_open();
    handle.reset();
    assert!(matches!(plain(true), Err(DbError::Unavailable)));
    handle.disable();
    handle.disable();
    handle.reset();
    use BreakerState::{Closed, Disabled, ForcedOpen, Open};
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (Closed, ForcedOpen, 1),
            (ForcedOpen, Closed, 2),
            (Closed, Open, 3),
            (Open, Disabled, 4),
            (Disabled, Closed, 5),
        ]
    );
}

#[test]
fn concurrent_transitions_carry_unique_sequence_numbers_that_order_them() {
    let config = BreakerConfig::builder()
        .failure_threshold(1)
        .build()
        .unwrap();
    let breaker: &'static CircuitBreaker =
        Box::leak(Box::new(CircuitBreaker::new("sequenced", config)));
    let seen: Arc<Mutex<Vec<(BreakerState, u64)>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let _hook = install_hook(move |event: &Event<'_>| {
        if let Event::BreakerTransition {
            name: "sequenced",
            to,
            sequence,
            ..
        } = *event
        {
            sink.lock().unwrap().push((to, sequence));
        }
    });
    let threads: Vec<_> = (0..4)
        .map(|thread| {
            std::thread::spawn(move || {
                for round in 0..2_000 {
                    match (thread + round) % 3 {
                        0 => breaker.reset(),
                        1 => breaker.force_open(),
                        _ => {
                            if let Ok(permit) = breaker.try_acquire() {
                                permit.record_failure();
                            }
                        }
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_by_key(|(_, sequence)| *sequence);
    let numbers: Vec<u64> = seen.iter().map(|(_, sequence)| *sequence).collect();
    let expected: Vec<u64> = (1..=numbers.len() as u64).collect();
    assert_eq!(numbers, expected, "every transition numbered once, no gaps");
    // The highest-numbered transition is the state the breaker is in.
    assert_eq!(seen.last().unwrap().0, breaker.state());
}

/// The soak: threads and tasks call one breaker with random outcomes, panics and
/// cancellations, while another thread flips manual states; every call is counted exactly
/// once, transitions are legal, and the breaker recovers.
#[test]
fn soak_every_call_is_counted_exactly_once() {
    const THREADS: u64 = 4;
    const CALLS: u64 = 250_000;
    let clock = Arc::new(ManualClock::new());
    let config = BreakerConfig::builder()
        .failure_threshold(3)
        .failure_rate(0.5)
        .window(20)
        .min_calls(10)
        .open_for(Duration::from_millis(1))
        .max_open_for(Duration::from_millis(100))
        .half_open_calls(2)
        .build()
        .unwrap();
    let breaker: &'static CircuitBreaker = Box::leak(Box::new(CircuitBreaker::with_clock(
        "soak",
        config,
        clock.clone(),
    )));
    let illegal = Arc::new(AtomicU64::new(0));
    let check = Arc::clone(&illegal);
    let _hook = install_hook(move |event: &Event<'_>| {
        if let Event::BreakerTransition {
            name: "soak",
            from,
            to,
            ..
        } = *event
        {
            use BreakerState::{Closed, Disabled, ForcedOpen, HalfOpen, MetricsOnly, Open};
            // What the breaker does by itself, and what a manual call (a reset to closed, or a
            // manual state) may do from anywhere. Nothing else: metrics-only never trips, and
            // only an open breaker goes half-open.
            let automatic = matches!(
                (from, to),
                (Closed, Open) | (Open, HalfOpen) | (HalfOpen, Open) | (HalfOpen, Closed)
            );
            let manual = matches!(to, Closed | Disabled | ForcedOpen | MetricsOnly);
            if from == to || !(automatic || manual) {
                check.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let made = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..THREADS)
        .map(|seed| {
            let clock = clock.clone();
            let made = Arc::clone(&made);
            std::thread::spawn(move || {
                let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                for _ in 0..CALLS {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    made.fetch_add(1, Ordering::Relaxed);
                    if state % 64 == 0 {
                        clock.advance(Duration::from_millis(1));
                    }
                    let Ok(permit) = breaker.try_acquire() else {
                        continue;
                    };
                    match state % 10 {
                        0..=4 => permit.record_success(),
                        5..=6 => permit.record_failure(),
                        7 => permit.record_ignored(),
                        8 => drop(permit), // cancelled
                        _ => {
                            let unwound =
                                std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
                                    let _permit = permit;
                                    panic!("soak panic");
                                }));
                            assert!(unwound.is_err());
                        }
                    }
                }
            })
        })
        .collect();
    let flipper = std::thread::spawn(move || {
        for round in 0..500 {
            match round % 4 {
                0 => breaker.force_open(),
                1 => breaker.reset(),
                2 => breaker.metrics_only(),
                _ => breaker.reset(),
            }
            std::thread::yield_now();
        }
        breaker.reset();
    });
    for worker in workers {
        worker.join().unwrap();
    }
    flipper.join().unwrap();
    std::panic::set_hook(previous_hook);
    let counts = breaker.counts();
    let calls = made.load(Ordering::Relaxed);
    println!(
        "soak: {THREADS} threads, {calls} calls in {:?}: {counts:?}",
        started.elapsed()
    );
    assert_eq!(counts.calls(), calls, "{counts:?}");
    assert_eq!(illegal.load(Ordering::Relaxed), 0);
    // Recovery: after its longest open period the breaker admits calls again.
    clock.advance(Duration::from_millis(100));
    for _ in 0..2 {
        if let Ok(permit) = breaker.try_acquire() {
            permit.record_success();
        }
    }
    assert!(breaker.try_acquire().is_ok(), "{:?}", breaker.state());
}

#[circuit_breaker(
    name = "soak-async",
    failure_threshold = 5,
    open_for = "10ms",
    half_open_calls = 2,
    slow_call = "40ms"
)]
async fn soak_call(sleep_ms: u64, fail: bool) -> Result<(), DbError> {
    tokio::time::sleep(Duration::from_millis(sleep_ms)).await;
    if fail {
        Err(DbError::Unavailable)
    } else {
        Ok(())
    }
}

/// The same invariant through the attribute, with paused time: thousands of interleaved tasks
/// that finish, fail, or are cut off by a timeout (cancelled) at random.
#[test]
fn soak_async_tasks_with_cancellation_are_each_counted_once() {
    const TASKS: u64 = 4_000;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let started = Instant::now();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| {
                tokio::spawn(async move {
                    let roll = task.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
                    // Spread over 400 ms of virtual time, so the breaker trips, rejects,
                    // probes and recovers along the way.
                    tokio::time::sleep(Duration::from_millis(task / 10)).await;
                    let call = soak_call(roll % 50, roll % 3 == 0);
                    let _ = tokio::time::timeout(Duration::from_millis(30 + roll % 40), call).await;
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    let counts = breaker("soak-async").unwrap().counts();
    println!(
        "async soak: {TASKS} tasks in {:?}: {counts:?}",
        started.elapsed()
    );
    assert_eq!(counts.calls(), TASKS, "{counts:?}");
    assert!(counts.cancelled > 0 && counts.failed > 0 && counts.successful > 0);
    assert!(counts.rejected > 0 && counts.opened > 0 && counts.recovered > 0);
}

thread_local! {
    static COUNT_AT_EXIT: CallOnExit = const { CallOnExit };
}

/// Calls through a breaker from a thread-local destructor, as a connection pool's guard might.
struct CallOnExit;

impl Drop for CallOnExit {
    fn drop(&mut self) {
        for _ in 0..100 {
            breaker("exit-calls")
                .unwrap()
                .try_acquire()
                .unwrap()
                .record_success();
        }
    }
}

#[test]
fn calls_made_while_a_thread_is_torn_down_are_counted() {
    let config = BreakerConfig::builder()
        .failure_threshold(5)
        .build()
        .unwrap();
    retry_runtime::register_breaker("exit-calls", config);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(|| {
                COUNT_AT_EXIT.with(|_| {});
                for _ in 0..1_000 {
                    breaker("exit-calls")
                        .unwrap()
                        .try_acquire()
                        .unwrap()
                        .record_success();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(
        breaker("exit-calls").unwrap().counts().successful,
        8 * 1_100
    );
}
