//! `#[bulkhead]` as users write it: the limit holds under many threads and tasks, a waiter takes
//! a slot as soon as one is released, `max_wait` ends in `BulkheadFull`, panicking bodies and
//! dropped futures give their slot back, sites share a bulkhead by name, every fn shape works.
//! Every test names its own bulkhead, since the registry is process-wide.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use retry_runtime::hooks::{Event, install_hook};
use retry_runtime::testing::pause_sync_time;
use retry_runtime::{BulkheadFull, bulkhead};

#[derive(Debug, PartialEq)]
enum DbError {
    Unavailable,
    Full(BulkheadFull),
}

impl From<BulkheadFull> for DbError {
    fn from(full: BulkheadFull) -> Self {
        DbError::Full(full)
    }
}

/// Calls running now, and the most seen at once.
#[derive(Default)]
struct Running {
    now: AtomicU32,
    most: AtomicU32,
}

impl Running {
    fn enter(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }

    fn most(&self) -> u32 {
        self.most.load(Ordering::SeqCst)
    }
}

#[retry_runtime::bulkhead(name = "threads", max_concurrent = 3, max_wait = "1h")]
fn on_threads(running: &Running) -> Result<(), DbError> {
    running.enter();
    for _ in 0..20 {
        std::thread::yield_now();
    }
    running.leave();
    Ok(())
}

#[test]
fn many_threads_never_run_more_than_max_concurrent_calls_at_once() {
    let running = Arc::new(Running::default());
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let running = Arc::clone(&running);
            std::thread::spawn(move || {
                for _ in 0..200 {
                    assert_eq!(on_threads(&running), Ok(()));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert!(running.most() <= 3, "{} calls ran at once", running.most());
    let handle = bulkhead("threads").unwrap();
    assert_eq!((handle.available(), handle.waiting()), (3, 0));
    assert_eq!(handle.counts().rejected, 0);
}

#[retry_runtime::bulkhead(name = "tasks-threads", max_concurrent = 2, max_wait = "1h")]
async fn on_tasks(running: Arc<Running>) -> Result<(), DbError> {
    running.enter();
    for _ in 0..5 {
        tokio::task::yield_now().await;
    }
    running.leave();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_on_two_threads_never_run_more_than_max_concurrent_calls_at_once() {
    let running = Arc::new(Running::default());
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let running = Arc::clone(&running);
            tokio::spawn(async move {
                for _ in 0..20 {
                    assert_eq!(on_tasks(Arc::clone(&running)).await, Ok(()));
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert!(running.most() <= 2, "{} calls ran at once", running.most());
    let handle = bulkhead("tasks-threads").unwrap();
    assert_eq!((handle.available(), handle.waiting()), (2, 0));
}

#[retry_runtime::bulkhead(name = "tasks-paused", max_concurrent = 4, max_wait = "1h")]
async fn hold_for(running: Arc<Running>, millis: u64) -> Result<(), DbError> {
    running.enter();
    tokio::time::sleep(Duration::from_millis(millis)).await;
    running.leave();
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn queued_tasks_run_in_waves_of_max_concurrent_each_as_soon_as_a_slot_frees() {
    let running = Arc::new(Running::default());
    let start = tokio::time::Instant::now();
    let calls: Vec<_> = (0..50)
        .map(|_| tokio::spawn(hold_for(Arc::clone(&running), 10)))
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), Ok(()));
    }
    assert_eq!(running.most(), 4);
    // 50 calls, 4 at a time, 10 ms each: 13 waves, each starting the instant the last ended.
    assert_eq!(start.elapsed(), Duration::from_millis(130));
    let handle = bulkhead("tasks-paused").unwrap();
    assert_eq!(handle.counts().waited, 46);
}

#[retry_runtime::bulkhead(name = "handed-over", max_concurrent = 1, max_wait = "1h")]
async fn record_start(millis: u64) -> Result<tokio::time::Instant, DbError> {
    let started = tokio::time::Instant::now();
    tokio::time::sleep(Duration::from_millis(millis)).await;
    Ok(started)
}

#[tokio::test(start_paused = true)]
async fn an_async_waiter_takes_the_slot_at_the_instant_it_is_released() {
    let start = tokio::time::Instant::now();
    let holder = tokio::spawn(record_start(30));
    tokio::task::yield_now().await;
    let handle = bulkhead("handed-over").unwrap();
    assert_eq!(handle.available(), 0);
    let waiter = tokio::spawn(record_start(0));
    tokio::task::yield_now().await;
    assert_eq!(handle.waiting(), 1);
    assert_eq!(holder.await.unwrap(), Ok(start));
    assert_eq!(waiter.await.unwrap(), Ok(start + Duration::from_millis(30)));
    assert_eq!(handle.counts().waited, 1);
}

#[retry_runtime::bulkhead(name = "sync-waiter", max_concurrent = 1, max_wait = "1h")]
fn block_until(release: &Mutex<mpsc::Receiver<()>>) -> Result<u32, DbError> {
    release.lock().unwrap().recv().unwrap();
    Ok(1)
}

#[retry_runtime::bulkhead(name = "sync-waiter", max_concurrent = 1, max_wait = "1h")]
fn after_holder() -> Result<u32, DbError> {
    Ok(2)
}

#[test]
fn a_blocked_thread_is_woken_with_the_slot_when_it_is_released() {
    let (release, released) = mpsc::channel();
    let released = Arc::new(Mutex::new(released));
    let holder = {
        let released = Arc::clone(&released);
        std::thread::spawn(move || block_until(&released))
    };
    while bulkhead("sync-waiter").is_none_or(|handle| handle.available() != 0) {
        std::thread::yield_now();
    }
    let handle = bulkhead("sync-waiter").unwrap();
    let waiter = std::thread::spawn(after_holder);
    while handle.waiting() == 0 {
        std::thread::yield_now();
    }
    release.send(()).unwrap();
    assert_eq!(holder.join().unwrap(), Ok(1));
    assert_eq!(waiter.join().unwrap(), Ok(2));
    assert_eq!(handle.counts().waited, 1);
    assert_eq!((handle.available(), handle.waiting()), (1, 0));
}

#[retry_runtime::bulkhead(name = "max-wait-async", max_concurrent = 1, max_wait = "50ms")]
async fn slow_report(runs: Arc<AtomicU32>) -> Result<(), DbError> {
    runs.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_async_call_waits_max_wait_for_a_slot_then_is_rejected_without_running() {
    let runs = Arc::new(AtomicU32::new(0));
    let start = tokio::time::Instant::now();
    let holder = tokio::spawn(slow_report(Arc::clone(&runs)));
    tokio::task::yield_now().await;
    let Err(DbError::Full(full)) = slow_report(Arc::clone(&runs)).await else {
        panic!("expected a rejection");
    };
    assert_eq!(start.elapsed(), Duration::from_millis(50));
    assert_eq!(
        (full.name, full.max_concurrent, full.waited),
        ("max-wait-async", 1, Duration::from_millis(50))
    );
    assert_eq!(
        full.to_string(),
        "bulkhead `max-wait-async` is full: all 1 slots are taken and none was released within 50ms"
    );
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "the rejected call never ran"
    );
    let handle = bulkhead("max-wait-async").unwrap();
    assert_eq!((handle.counts().rejected, handle.waiting()), (1, 0));
    assert_eq!(holder.await.unwrap(), Ok(()));
    assert_eq!(handle.available(), 1);
}

#[retry_runtime::bulkhead(name = "max-wait-sync", max_concurrent = 1, max_wait = "50ms")]
fn sync_report(hold: Option<&Mutex<mpsc::Receiver<()>>>) -> Result<(), DbError> {
    if let Some(hold) = hold {
        hold.lock().unwrap().recv().unwrap();
    }
    Ok(())
}

#[test]
fn a_sync_call_with_paused_time_is_rejected_after_max_wait_without_waiting_for_real() {
    let (release, released) = mpsc::channel();
    let released = Arc::new(Mutex::new(released));
    let holder = {
        let released = Arc::clone(&released);
        std::thread::spawn(move || sync_report(Some(&released)))
    };
    while bulkhead("max-wait-sync").is_none_or(|handle| handle.available() != 0) {
        std::thread::yield_now();
    }
    let paused = pause_sync_time();
    let Err(DbError::Full(full)) = sync_report(None) else {
        panic!("expected a rejection");
    };
    assert_eq!(full.waited, Duration::from_millis(50));
    assert_eq!(paused.elapsed(), Duration::from_millis(50));
    release.send(()).unwrap();
    assert_eq!(holder.join().unwrap(), Ok(()));
    assert_eq!(sync_report(None), Ok(()));
}

#[retry_runtime::bulkhead(name = "no-wait", max_concurrent = 1)]
fn no_wait(inner: Option<fn() -> Result<(), DbError>>) -> Result<(), DbError> {
    inner.map_or(Ok(()), |inner| inner())
}

#[test]
fn without_max_wait_a_full_bulkhead_rejects_at_once() {
    fn nested() -> Result<(), DbError> {
        // The only slot is taken by the caller.
        match no_wait(None) {
            Err(DbError::Full(full)) if full.waited.is_zero() => Ok(()),
            other => panic!("expected an immediate rejection, got {other:?}"),
        }
    }
    assert_eq!(no_wait(Some(nested)), Ok(()));
    assert_eq!(bulkhead("no-wait").unwrap().counts().rejected, 1);
}

#[retry_runtime::bulkhead(name = "panics", max_concurrent = 1)]
fn panicky(panic: bool) -> Result<(), DbError> {
    assert!(!panic, "the body panicked");
    Ok(())
}

#[test]
fn a_panicking_body_releases_its_slot_and_the_panic_goes_on() {
    for _ in 0..3 {
        assert!(std::panic::catch_unwind(|| panicky(true)).is_err());
        assert_eq!(bulkhead("panics").unwrap().available(), 1);
    }
    assert_eq!(panicky(false), Ok(()));
}

#[retry_runtime::bulkhead(name = "dropped", max_concurrent = 1, max_wait = "1h")]
async fn pending_forever() -> Result<(), DbError> {
    std::future::pending::<()>().await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_dropped_future_releases_its_slot_and_a_dropped_waiter_leaves_the_queue() {
    let holder = tokio::spawn(pending_forever());
    tokio::task::yield_now().await;
    let handle = bulkhead("dropped").unwrap();
    assert_eq!(handle.available(), 0);
    // A waiter dropped while queued leaves the queue.
    assert!(
        tokio::time::timeout(Duration::from_secs(1), pending_forever())
            .await
            .is_err()
    );
    assert_eq!(handle.waiting(), 0);
    // The running call's future is dropped: its slot comes back.
    holder.abort();
    assert!(holder.await.unwrap_err().is_cancelled());
    assert_eq!(handle.available(), 1);
    // A waiter handed the slot, then dropped before it ran, gives it back too.
    let holder = tokio::spawn(pending_forever());
    tokio::task::yield_now().await;
    let waiter = tokio::spawn(pending_forever());
    tokio::task::yield_now().await;
    assert_eq!(handle.waiting(), 1);
    holder.abort();
    let _ = holder.await;
    waiter.abort();
    let _ = waiter.await;
    assert_eq!((handle.available(), handle.waiting()), (1, 0));
    assert_eq!(handle.counts().rejected, 0);
}

/// Shapes: methods, `&mut self`, generics, and one bulkhead shared by two sites.
struct Pool {
    served: u32,
}

impl Pool {
    #[retry_runtime::bulkhead(name = "shared-pool", max_concurrent = 2)]
    fn get(&self, key: &str) -> Result<String, DbError> {
        Ok(format!("{key}:{}", self.served))
    }

    #[retry_runtime::bulkhead(name = "shared-pool", max_concurrent = 2)]
    async fn put(&mut self, key: &str) -> Result<usize, DbError> {
        tokio::task::yield_now().await;
        self.served += 1;
        Ok(key.len())
    }

    #[retry_runtime::bulkhead(name = "generic", max_concurrent = 1)]
    fn parse<T>(&self, text: impl AsRef<str>) -> Result<T, DbError>
    where
        T: std::str::FromStr + Default,
    {
        text.as_ref().parse().map_err(|_| DbError::Unavailable)
    }
}

#[tokio::test]
async fn methods_and_generic_fns_share_a_bulkhead_by_name() {
    let mut pool = Pool { served: 0 };
    assert_eq!(pool.put("abc").await, Ok(3));
    assert_eq!(pool.get("k"), Ok("k:1".to_owned()));
    assert_eq!(pool.parse::<u8>("7"), Ok(7));
    assert_eq!(pool.parse::<u8>("x"), Err(DbError::Unavailable));
    let shared = bulkhead("shared-pool").unwrap();
    assert_eq!((shared.max_concurrent(), shared.available()), (2, 2));
}

#[test]
fn async_bulkhead_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let mut pool = Pool { served: 0 };
    let put = pool.put("k");
    assert_send(&put);
    drop(put);
    assert_send(&slow_report(Arc::new(AtomicU32::new(0))));
}

#[test]
fn a_rejection_is_an_event() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let _hook = install_hook(move |event: &Event<'_>| {
        if let Event::BulkheadFull {
            name,
            max_concurrent,
            waited,
            ..
        } = event
            && *name == "no-wait-event"
        {
            sink.lock().unwrap().push((*max_concurrent, *waited));
        }
    });
    #[retry_runtime::bulkhead(name = "no-wait-event", max_concurrent = 1)]
    fn outer() -> Result<(), DbError> {
        inner()
    }
    #[retry_runtime::bulkhead(name = "no-wait-event", max_concurrent = 1)]
    fn inner() -> Result<(), DbError> {
        Ok(())
    }
    assert!(matches!(outer(), Err(DbError::Full(_))));
    assert_eq!(*seen.lock().unwrap(), [(1, Duration::ZERO)]);
}

#[test]
fn bulkhead_full_is_a_plain_error_value() {
    fn assert_error<E>()
    where
        E: Clone + std::fmt::Debug + std::fmt::Display + std::error::Error + Send + Sync + 'static,
    {
    }
    assert_error::<BulkheadFull>();
}

/// A method rewritten by `#[async_trait]` first.
#[async_trait::async_trait]
trait Repository {
    async fn load(&self, id: u32) -> Result<u32, DbError>;
}

#[async_trait::async_trait]
impl Repository for Pool {
    #[retry_runtime::bulkhead(name = "async-trait", max_concurrent = 1, max_wait = "1s")]
    async fn load(&self, id: u32) -> Result<u32, DbError> {
        tokio::task::yield_now().await;
        Ok(id + self.served)
    }
}

#[tokio::test(start_paused = true)]
async fn an_async_trait_method_takes_a_slot() {
    let pool = Pool { served: 1 };
    let (first, second) = tokio::join!(pool.load(1), pool.load(2));
    assert_eq!((first, second), (Ok(2), Ok(3)));
    assert_eq!(bulkhead("async-trait").unwrap().counts().waited, 1);
}
