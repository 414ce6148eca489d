//! `#[circuit_breaker]` as users write it: trip, reject without running the body, probe, close,
//! reopen for longer, fallback, ignored errors, shared names, dropped and panicking probes.
//! Every test names its own breaker, since the registry is process-wide.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use retry_runtime::testing::pause_sync_time;
use retry_runtime::{BreakerState, CircuitOpen, breaker, circuit_breaker};

#[derive(Debug, PartialEq)]
enum DbError {
    Unavailable,
    Invalid,
    Rejected(CircuitOpen),
}

impl From<CircuitOpen> for DbError {
    fn from(open: CircuitOpen) -> Self {
        DbError::Rejected(open)
    }
}

fn answer(runs: &Cell<u32>, healthy: bool) -> Result<u32, DbError> {
    runs.set(runs.get() + 1);
    if healthy {
        Ok(runs.get())
    } else {
        Err(DbError::Unavailable)
    }
}

#[circuit_breaker(
    name = "trip-sync",
    failure_threshold = 3,
    open_for = "10s",
    open_for_factor = 2
)]
fn guarded(runs: &Cell<u32>, healthy: bool) -> Result<u32, DbError> {
    answer(runs, healthy)
}

#[test]
fn trips_rejects_probes_closes_and_reopens_for_longer() {
    let paused = pause_sync_time();
    let runs = Cell::new(0);
    for _ in 0..3 {
        assert_eq!(guarded(&runs, false), Err(DbError::Unavailable));
    }
    let handle = breaker("trip-sync").expect("registered by the first call");
    assert_eq!(handle.state(), BreakerState::Open);

    // Open: rejected without running the body, with the time left.
    let Err(DbError::Rejected(open)) = guarded(&runs, true) else {
        panic!("expected a rejection")
    };
    assert_eq!(runs.get(), 3, "the body did not run");
    assert_eq!(open.name, "trip-sync");
    assert_eq!(open.retry_after, Some(Duration::from_secs(10)));

    // After open_for, one probe runs; it fails, so the breaker reopens for twice as long.
    paused.advance(Duration::from_secs(10));
    assert_eq!(guarded(&runs, false), Err(DbError::Unavailable));
    assert_eq!(handle.state(), BreakerState::Open);
    paused.advance(Duration::from_secs(10));
    assert!(matches!(guarded(&runs, true), Err(DbError::Rejected(_))));
    paused.advance(Duration::from_secs(10));

    // The next probe succeeds: closed, and calls run again.
    assert_eq!(guarded(&runs, true), Ok(5));
    assert_eq!(handle.state(), BreakerState::Closed);
    assert_eq!(guarded(&runs, true), Ok(6));

    let counts = handle.counts();
    assert_eq!(
        (
            counts.successful,
            counts.failed,
            counts.rejected,
            counts.opened,
            counts.recovered
        ),
        (2, 4, 2, 2, 1)
    );
}

#[circuit_breaker(name = "trip-async", failure_threshold = 2, open_for = "1s")]
async fn guarded_async(runs: &Cell<u32>, healthy: bool) -> Result<u32, DbError> {
    tokio::task::yield_now().await;
    answer(runs, healthy)
}

#[tokio::test(start_paused = true)]
async fn async_fn_trips_and_recovers_in_paused_tokio_time() {
    let runs = Cell::new(0);
    assert_eq!(guarded_async(&runs, false).await, Err(DbError::Unavailable));
    assert_eq!(guarded_async(&runs, false).await, Err(DbError::Unavailable));
    assert!(matches!(
        guarded_async(&runs, true).await,
        Err(DbError::Rejected(_))
    ));
    assert_eq!(runs.get(), 2);
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(guarded_async(&runs, true).await, Ok(3));
    assert_eq!(breaker("trip-async").unwrap().state(), BreakerState::Closed);
}

struct Prices {
    cache_hits: Cell<u32>,
}

impl Prices {
    #[circuit_breaker(name = "fallback", failure_threshold = 1, on = [Unavailable], fallback = Self::cached)]
    fn price(&self, item: &str, healthy: bool) -> Result<String, DbError> {
        if healthy {
            Ok(format!("{item}: live"))
        } else {
            Err(DbError::Unavailable)
        }
    }

    fn cached(&self, item: &str, _healthy: bool) -> Result<String, DbError> {
        self.cache_hits.set(self.cache_hits.get() + 1);
        Ok(format!("{item}: cached"))
    }

    #[circuit_breaker(name = "fallback-async", failure_threshold = 1, fallback = Self::cached_async)]
    async fn price_async(&self, item: &str) -> Result<String, DbError> {
        let _ = item;
        Err(DbError::Unavailable)
    }

    async fn cached_async(&self, item: &str) -> Result<String, DbError> {
        Ok(format!("{item}: cached"))
    }
}

#[test]
fn fallback_is_called_with_the_same_arguments_when_open() {
    let prices = Prices {
        cache_hits: Cell::new(0),
    };
    assert_eq!(prices.price("tea", false), Err(DbError::Unavailable));
    assert_eq!(prices.price("tea", true), Ok("tea: cached".to_owned()));
    assert_eq!(prices.cache_hits.get(), 1);
}

#[tokio::test(start_paused = true)]
async fn async_fallback_is_awaited() {
    let prices = Prices {
        cache_hits: Cell::new(0),
    };
    assert_eq!(prices.price_async("tea").await, Err(DbError::Unavailable));
    assert_eq!(
        prices.price_async("tea").await,
        Ok("tea: cached".to_owned())
    );
}

#[circuit_breaker(name = "ignored", failure_threshold = 2, on = [Unavailable])]
fn only_unavailable_counts(error: DbError) -> Result<(), DbError> {
    Err(error)
}

#[test]
fn errors_outside_on_pass_through_and_count_as_ignored() {
    for _ in 0..5 {
        assert_eq!(
            only_unavailable_counts(DbError::Invalid),
            Err(DbError::Invalid)
        );
    }
    let handle = breaker("ignored").unwrap();
    assert_eq!(handle.state(), BreakerState::Closed);
    assert_eq!(handle.counts().ignored, 5);
    // Ignored errors do not break a streak either: two Unavailable in a row trip it.
    let _ = only_unavailable_counts(DbError::Unavailable);
    let _ = only_unavailable_counts(DbError::Invalid);
    let _ = only_unavailable_counts(DbError::Unavailable);
    assert_eq!(handle.state(), BreakerState::Open);
}

struct Repository;

impl Repository {
    #[circuit_breaker(name = "shared-db", failure_threshold = 2)]
    fn read(&self) -> Result<(), DbError> {
        Err(DbError::Unavailable)
    }

    #[circuit_breaker(name = "shared-db", failure_threshold = 2)]
    fn write(&self) -> Result<(), DbError> {
        Ok(())
    }
}

#[test]
fn methods_naming_one_breaker_share_it() {
    let repository = Repository;
    assert_eq!(repository.read(), Err(DbError::Unavailable));
    assert_eq!(repository.read(), Err(DbError::Unavailable));
    // `write` never failed, but its breaker is the one `read` tripped.
    assert!(matches!(repository.write(), Err(DbError::Rejected(_))));
}

#[circuit_breaker(name = "conflict", failure_threshold = 1)]
fn conflicting_first() -> Result<(), DbError> {
    Err(DbError::Unavailable)
}

#[circuit_breaker(name = "conflict", failure_threshold = 50)]
fn conflicting_second() -> Result<(), DbError> {
    Err(DbError::Unavailable)
}

#[test]
fn with_different_settings_the_first_registered_site_wins() {
    let _ = conflicting_first();
    // The second site logs a warning and uses the breaker as the first site made it.
    assert!(matches!(conflicting_second(), Err(DbError::Rejected(_))));
    assert_eq!(breaker("conflict").unwrap().config().failure_threshold(), 1);
}

#[circuit_breaker(name = "dropped-probe", failure_threshold = 1, open_for = "1s")]
async fn slow_probe(started: &AtomicU32) -> Result<(), DbError> {
    started.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(60)).await;
    Err(DbError::Unavailable)
}

#[tokio::test(start_paused = true)]
async fn a_probe_dropped_mid_flight_releases_its_permit() {
    let started = AtomicU32::new(0);
    let _ = tokio::time::timeout(Duration::from_secs(61), slow_probe(&started)).await;
    assert_eq!(
        breaker("dropped-probe").unwrap().state(),
        BreakerState::Open
    );
    tokio::time::advance(Duration::from_secs(1)).await;
    // The probe is cancelled while half-open...
    let cancelled = tokio::time::timeout(Duration::from_millis(10), slow_probe(&started)).await;
    assert!(cancelled.is_err());
    assert_eq!(
        breaker("dropped-probe").unwrap().state(),
        BreakerState::HalfOpen
    );
    // ...and its permit is free again: the next call is admitted as a probe, not rejected.
    let next = tokio::time::timeout(Duration::from_millis(10), slow_probe(&started)).await;
    assert!(next.is_err(), "admitted and still running when cut off");
    assert_eq!(started.load(Ordering::SeqCst), 3);
}

#[circuit_breaker(name = "panicking-probe", failure_threshold = 1, open_for = "1s")]
fn panicking(should_panic: bool) -> Result<(), DbError> {
    assert!(!should_panic, "the body panicked");
    Err(DbError::Unavailable)
}

#[test]
fn a_panicking_probe_is_a_failure_and_reopens_the_breaker() {
    let paused = pause_sync_time();
    let _ = panicking(false);
    paused.advance(Duration::from_secs(1));
    let unwound = std::panic::catch_unwind(|| panicking(true));
    assert!(unwound.is_err());
    let handle = breaker("panicking-probe").unwrap();
    // The panic is the probe's outcome: a failure, so the breaker opens again (it neither
    // wedges half-open nor lets the next call in as a second probe).
    assert_eq!(handle.state(), BreakerState::Open);
    assert!(matches!(panicking(false), Err(DbError::Rejected(_))));
    assert_eq!(handle.counts().failed, 2);
    assert_eq!(handle.counts().rejected, 1);
    // After the (doubled) open period, the next call is the probe.
    paused.advance(Duration::from_secs(2));
    assert_eq!(panicking(false), Err(DbError::Unavailable));
    assert_eq!(handle.counts().calls(), 4);
}

#[circuit_breaker(name = "manual", failure_threshold = 1)]
fn manual(runs: &Cell<u32>) -> Result<u32, DbError> {
    answer(runs, true)
}

#[test]
fn the_handle_forces_disables_and_resets() {
    let runs = Cell::new(0);
    assert!(
        breaker("manual").is_none(),
        "registered only once a site runs"
    );
    assert_eq!(manual(&runs), Ok(1));
    let handle = breaker("manual").unwrap();
    handle.force_open();
    assert!(matches!(
        manual(&runs),
        Err(DbError::Rejected(CircuitOpen {
            state: BreakerState::ForcedOpen,
            ..
        }))
    ));
    handle.disable();
    assert_eq!(manual(&runs), Ok(2));
    assert_eq!(handle.state(), BreakerState::Disabled);
    handle.metrics_only();
    assert_eq!(manual(&runs), Ok(3));
    handle.reset();
    assert_eq!(handle.state(), BreakerState::Closed);
    assert_eq!(handle.counts().rejected, 1);
}

#[circuit_breaker(name = "rates", failure_rate = 0.5, window = 4, min_calls = 4)]
fn rated(healthy: bool) -> Result<(), DbError> {
    if healthy {
        Ok(())
    } else {
        Err(DbError::Unavailable)
    }
}

#[test]
fn failure_rate_over_the_window_trips_once_min_calls_are_recorded() {
    assert_eq!(rated(false), Err(DbError::Unavailable));
    assert_eq!(rated(false), Err(DbError::Unavailable));
    assert_eq!(rated(true), Ok(()));
    let handle = breaker("rates").unwrap();
    assert_eq!(handle.state(), BreakerState::Closed, "3 calls < min_calls");
    assert_eq!(rated(true), Ok(()));
    // 4 calls, 2 failed: 50% reaches the rate.
    assert_eq!(handle.state(), BreakerState::Open);
}

#[circuit_breaker(
    name = "slow",
    slow_call = "100ms",
    slow_call_rate = 0.5,
    window = 2,
    min_calls = 2
)]
async fn sometimes_slow(delay: Duration) -> Result<(), DbError> {
    tokio::time::sleep(delay).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn slow_calls_trip_the_breaker_by_rate() {
    sometimes_slow(Duration::from_millis(10)).await.unwrap();
    sometimes_slow(Duration::from_millis(500)).await.unwrap();
    let handle = breaker("slow").unwrap();
    assert_eq!(handle.counts().slow, 1);
    assert_eq!(handle.state(), BreakerState::Open);
}

#[circuit_breaker(name = "threads-come-and-go", failure_threshold = 1_000_000, on = [Unavailable])]
fn counted(error: Option<DbError>) -> Result<(), DbError> {
    error.map_or(Ok(()), Err)
}

/// Calls made while the thread is torn down, by a thread-local's destructor: some may run after
/// the thread gave its counting stripe back, while another thread leases it.
struct CallsOnExit;

/// Successes and failures each thread-local destructor makes.
const CALLS_ON_EXIT_EACH: u64 = 100;

impl Drop for CallsOnExit {
    fn drop(&mut self) {
        for _ in 0..CALLS_ON_EXIT_EACH {
            counted(None).unwrap();
            let _ = counted(Some(DbError::Unavailable));
        }
    }
}

thread_local! {
    static CALLS_ON_EXIT: CallsOnExit = const { CallsOnExit };
}

/// Each thread counts on a stripe of its own while one is free, and gives it back when it exits:
/// with more threads at once than stripes (16 leased and shared stripes, 20 threads), with half
/// of each wave starting only once the other half has exited (so they lease the stripes given
/// back), and with calls from thread-local destructors, every call is counted exactly once.
#[test]
fn counts_stay_exact_while_threads_come_and_go() {
    const WAVES: u64 = 3;
    const THREADS: u64 = 20;
    const CALLS: u64 = 2_000;
    let work = || {
        CALLS_ON_EXIT.with(|_| ());
        for call in 0..CALLS {
            let error = match call % 10 {
                0 => Some(DbError::Unavailable),
                1 => Some(DbError::Invalid),
                _ => None,
            };
            let _ = counted(error);
        }
    };
    for _ in 0..WAVES {
        let (start_late, late_start) = std::sync::mpsc::channel::<()>();
        let late_start = std::sync::Arc::new(std::sync::Mutex::new(late_start));
        let late: Vec<_> = (0..THREADS / 2)
            .map(|_| {
                let late_start = std::sync::Arc::clone(&late_start);
                std::thread::spawn(move || {
                    late_start.lock().unwrap().recv().unwrap();
                    work();
                })
            })
            .collect();
        let early: Vec<_> = (0..THREADS / 2).map(|_| std::thread::spawn(work)).collect();
        for thread in early {
            thread.join().unwrap();
        }
        for _ in 0..THREADS / 2 {
            start_late.send(()).unwrap();
        }
        for thread in late {
            thread.join().unwrap();
        }
    }
    let counts = breaker("threads-come-and-go").unwrap().counts();
    let threads = WAVES * THREADS;
    assert_eq!(
        counts.successful,
        threads * (CALLS * 8 / 10 + CALLS_ON_EXIT_EACH)
    );
    assert_eq!(counts.failed, threads * (CALLS / 10 + CALLS_ON_EXIT_EACH));
    assert_eq!(counts.ignored, threads * CALLS / 10);
}
