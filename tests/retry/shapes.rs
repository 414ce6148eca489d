//! Every fn shape `#[retry]` supports, sync and async, counting attempts through the macro.

use std::cell::Cell;
use std::fmt::Display;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use retry_runtime::retry;
use retry_runtime::testing::pause_sync_time;

#[derive(Debug, PartialEq, Eq)]
enum Flaky {
    Busy,
}

/// Fails `failures` times, then returns the attempt number.
fn flaky(counter: &Cell<u32>, failures: u32) -> Result<u32, Flaky> {
    counter.set(counter.get() + 1);
    if counter.get() <= failures {
        Err(Flaky::Busy)
    } else {
        Ok(counter.get())
    }
}

#[retry(delay = "1ms")]
fn free_fn(counter: &Cell<u32>, failures: u32) -> Result<u32, Flaky> {
    flaky(counter, failures)
}

#[retry(delay = "1ms")]
async fn free_async_fn(counter: &Cell<u32>, failures: u32) -> Result<u32, Flaky> {
    tokio::task::yield_now().await;
    flaky(counter, failures)
}

#[test]
fn free_fn_retries_until_success_then_gives_up_at_max_attempts() {
    let _paused = pause_sync_time();
    let counter = Cell::new(0);
    assert_eq!(free_fn(&counter, 2), Ok(3));
    counter.set(0);
    assert_eq!(free_fn(&counter, 5), Err(Flaky::Busy));
    assert_eq!(counter.get(), 3, "default max_attempts is 3");
}

#[tokio::test(start_paused = true)]
async fn free_async_fn_retries_until_success_then_gives_up() {
    let counter = Cell::new(0);
    assert_eq!(free_async_fn(&counter, 2).await, Ok(3));
    counter.set(0);
    assert_eq!(free_async_fn(&counter, 5).await, Err(Flaky::Busy));
    assert_eq!(counter.get(), 3);
}

struct Service {
    calls: u32,
    shared: AtomicU32,
}

impl Service {
    /// Docs and attributes on the fn are kept.
    #[retry(max_attempts = 4, delay = "1ms")]
    #[inline]
    pub fn by_mut_ref(&mut self, fail_until: u32) -> Result<u32, Flaky> {
        self.calls += 1;
        if self.calls < fail_until {
            Err(Flaky::Busy)
        } else {
            Ok(self.calls)
        }
    }

    #[retry(max_attempts = 4, delay = "1ms")]
    fn by_ref(&self, fail_until: u32) -> Result<u32, Flaky> {
        let calls = self.shared.fetch_add(1, Ordering::SeqCst) + 1;
        if calls < fail_until {
            Err(Flaky::Busy)
        } else {
            Ok(calls)
        }
    }

    #[retry(max_attempts = 4, delay = "1ms")]
    fn by_arc(self: Arc<Self>, fail_until: u32) -> Result<u32, Flaky> {
        let calls = self.shared.fetch_add(1, Ordering::SeqCst) + 1;
        if calls < fail_until {
            Err(Flaky::Busy)
        } else {
            Ok(calls)
        }
    }

    #[retry(max_attempts = 4, delay = "1ms")]
    async fn by_mut_ref_async(&mut self, key: &str) -> Result<String, Flaky> {
        self.calls += 1;
        tokio::task::yield_now().await;
        if self.calls < 3 {
            Err(Flaky::Busy)
        } else {
            Ok(format!("{key}{}", self.calls))
        }
    }

    #[retry(max_attempts = 4, delay = "1ms")]
    async fn by_arc_async(self: Arc<Self>) -> Result<u32, Flaky> {
        let calls = self.shared.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::task::yield_now().await;
        if calls < 2 {
            Err(Flaky::Busy)
        } else {
            Ok(calls)
        }
    }
}

fn service() -> Service {
    Service {
        calls: 0,
        shared: AtomicU32::new(0),
    }
}

#[test]
fn methods_on_mut_ref_ref_and_arc_self() {
    let _paused = pause_sync_time();
    let mut by_mut = service();
    assert_eq!(by_mut.by_mut_ref(3), Ok(3));
    assert_eq!(by_mut.calls, 3);

    let by_ref = service();
    assert_eq!(by_ref.by_ref(2), Ok(2));

    let by_arc = Arc::new(service());
    assert_eq!(Arc::clone(&by_arc).by_arc(4), Ok(4));
    assert_eq!(by_arc.shared.load(Ordering::SeqCst), 4);
}

#[tokio::test(start_paused = true)]
async fn async_methods_on_mut_ref_and_arc_self() {
    let mut by_mut = service();
    assert_eq!(by_mut.by_mut_ref_async("k").await, Ok("k3".to_owned()));
    let by_arc = Arc::new(service());
    assert_eq!(Arc::clone(&by_arc).by_arc_async().await, Ok(2));
}

trait Fetch {
    fn fetch(&self, counter: &Cell<u32>) -> Result<u32, Flaky>;
    async fn fetch_async(&self, counter: &Cell<u32>) -> Result<u32, Flaky>;
}

struct Fetcher;

impl Fetch for Fetcher {
    #[retry(delay = "1ms")]
    fn fetch(&self, counter: &Cell<u32>) -> Result<u32, Flaky> {
        flaky(counter, 1)
    }

    #[retry(delay = "1ms")]
    async fn fetch_async(&self, counter: &Cell<u32>) -> Result<u32, Flaky> {
        tokio::task::yield_now().await;
        flaky(counter, 2)
    }
}

#[test]
fn trait_impl_method() {
    let _paused = pause_sync_time();
    let counter = Cell::new(0);
    assert_eq!(Fetcher.fetch(&counter), Ok(2));
}

#[tokio::test(start_paused = true)]
async fn async_fn_in_trait_impl() {
    let counter = Cell::new(0);
    assert_eq!(Fetcher.fetch_async(&counter).await, Ok(3));
}

#[async_trait::async_trait]
trait Remote {
    async fn call(&mut self, key: &str) -> Result<String, Flaky>;
}

struct RemoteImpl {
    calls: u32,
}

#[async_trait::async_trait]
impl Remote for RemoteImpl {
    #[retry(delay = "1ms")]
    async fn call(&mut self, key: &str) -> Result<String, Flaky> {
        self.calls += 1;
        tokio::task::yield_now().await;
        if self.calls < 3 {
            return Err(Flaky::Busy);
        }
        Ok(format!("{key}{}", self.calls))
    }
}

#[tokio::test(start_paused = true)]
async fn async_trait_method_is_retried_inside_its_boxed_future() {
    let mut remote = RemoteImpl { calls: 0 };
    assert_eq!(remote.call("k").await, Ok("k3".to_owned()));
    // Through a trait object too, as async_trait users call it.
    let remote: &mut dyn Remote = &mut RemoteImpl { calls: 0 };
    assert_eq!(remote.call("d").await, Ok("d3".to_owned()));
}

#[retry(delay = "1ms")]
fn generic<T, F>(make: F, counter: &Cell<u32>) -> Result<T, Flaky>
where
    F: Fn(u32) -> T,
    T: Clone + Send,
{
    flaky(counter, 1).map(&make)
}

#[retry(delay = "1ms")]
async fn generic_async<T>(value: T, counter: &Cell<u32>) -> Result<T, Flaky>
where
    T: Clone + Send,
{
    flaky(counter, 1).map(|_| value.clone())
}

#[retry(delay = "1ms")]
fn impl_trait_argument(label: impl Display, counter: &Cell<u32>) -> Result<String, Flaky> {
    flaky(counter, 1).map(|attempt| format!("{label}{attempt}"))
}

#[retry(delay = "1ms")]
fn impl_trait_return(counter: &Cell<u32>) -> Result<impl Display + use<>, Flaky> {
    flaky(counter, 1)
}

#[retry(delay = "1ms")]
fn lifetimes<'a, 'b: 'a>(
    first: &'a str,
    _second: &'b str,
    counter: &Cell<u32>,
) -> Result<&'a str, Flaky> {
    flaky(counter, 1).map(|_| first)
}

#[retry(delay = "1ms")]
async fn async_lifetimes<'a>(words: &'a [String], counter: &Cell<u32>) -> Result<&'a str, Flaky> {
    tokio::task::yield_now().await;
    flaky(counter, 1).map(|_| words[0].as_str())
}

/// # Safety
/// None needed; the fn is `unsafe` to prove the attribute accepts it.
#[retry(delay = "1ms")]
unsafe fn unsafe_fn(counter: &Cell<u32>) -> Result<u32, Flaky> {
    flaky(counter, 1)
}

#[test]
fn generics_impl_trait_lifetimes_and_unsafe() {
    let _paused = pause_sync_time();
    let counter = Cell::new(0);
    assert_eq!(generic(|n| n * 10, &counter), Ok(20));
    counter.set(0);
    assert_eq!(impl_trait_argument("n", &counter), Ok("n2".to_owned()));
    counter.set(0);
    assert_eq!(impl_trait_return(&counter).unwrap().to_string(), "2");
    counter.set(0);
    assert_eq!(lifetimes("first", "second", &counter), Ok("first"));
    counter.set(0);
    // SAFETY: unsafe_fn has no safety requirement.
    assert_eq!(unsafe { unsafe_fn(&counter) }, Ok(2));
}

#[tokio::test(start_paused = true)]
async fn async_generics_and_lifetimes() {
    let counter = Cell::new(0);
    assert_eq!(generic_async("v", &counter).await, Ok("v"));
    counter.set(0);
    let words = vec!["w".to_owned()];
    assert_eq!(async_lifetimes(&words, &counter).await, Ok("w"));
}

#[retry(delay = "1ms")]
async fn send_future(counter: Arc<AtomicU32>) -> Result<u32, Flaky> {
    let calls = counter.fetch_add(1, Ordering::SeqCst) + 1;
    tokio::task::yield_now().await;
    if calls < 2 {
        Err(Flaky::Busy)
    } else {
        Ok(calls)
    }
}

#[tokio::test(start_paused = true)]
async fn async_retry_future_is_send_and_spawnable() {
    let counter = Arc::new(AtomicU32::new(0));
    let handle = tokio::spawn(send_future(Arc::clone(&counter)));
    assert_eq!(handle.await.unwrap(), Ok(2));
}

mod visibility {
    use super::{Flaky, retry};

    #[retry(max_attempts = 1)]
    pub(crate) fn crate_visible() -> Result<(), Flaky> {
        Ok(())
    }
}

#[test]
fn visibility_is_kept() {
    assert_eq!(visibility::crate_visible(), Ok(()));
}
