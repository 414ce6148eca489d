//! `#[rate_limit]` as users write it, in paused time: at most `burst + per_second x t` calls over
//! any `t`, a wait up to `max_wait` and a rejection beyond it, sites sharing a limiter by name,
//! every fn shape. Every test names its own limiter, since the registry is process-wide.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use retry_runtime::hooks::{Event, install_hook};
use retry_runtime::testing::pause_sync_time;
use retry_runtime::{RateLimited, rate_limit, rate_limiter};

#[derive(Debug, PartialEq)]
enum ApiError {
    NotFound,
    Limited(RateLimited),
}

impl From<RateLimited> for ApiError {
    fn from(limited: RateLimited) -> Self {
        ApiError::Limited(limited)
    }
}

#[rate_limit(name = "bound-async", per_second = 10, burst = 5)]
async fn search_async() -> Result<(), ApiError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_async_site_admits_at_most_burst_plus_rate_times_elapsed_time() {
    let start = tokio::time::Instant::now();
    let mut admitted = 0_u64;
    // A call every 7 ms for just over 3 s, none waiting (`max_wait` is 0): at every instant,
    // the calls admitted so far are at most the burst plus what the rate refilled since the
    // start.
    for _ in 0..430 {
        if search_async().await.is_ok() {
            admitted += 1;
        }
        let elapsed = start.elapsed();
        let bound = 5 + u64::try_from(elapsed.as_millis()).unwrap() * 10 / 1000;
        assert!(
            admitted <= bound,
            "{admitted} calls admitted in {elapsed:?}"
        );
        tokio::time::advance(Duration::from_millis(7)).await;
    }
    // Asked more often than the rate, the limiter admitted exactly its burst and rate.
    assert_eq!(admitted, 5 + 30);
    let handle = rate_limiter("bound-async").unwrap();
    assert_eq!(handle.counts().rejected, 430 - 35);
}

#[rate_limit(name = "bound-sync", per_second = 50, burst = 3)]
fn search_sync() -> Result<(), ApiError> {
    Ok(())
}

#[test]
fn a_sync_site_follows_the_paused_sync_clock_and_admits_at_most_burst_plus_rate_times_elapsed() {
    let paused = pause_sync_time();
    let mut admitted = 0_u64;
    for _ in 0..1000 {
        if search_sync().is_ok() {
            admitted += 1;
        }
        let elapsed = paused.elapsed();
        let bound = 3 + u64::try_from(elapsed.as_millis()).unwrap() * 50 / 1000;
        assert!(
            admitted <= bound,
            "{admitted} calls admitted in {elapsed:?}"
        );
        paused.advance(Duration::from_millis(3));
    }
    // 1000 calls over 3 s at 50 a second, after a burst of 3.
    assert_eq!(admitted, 3 + 150 - 1);
}

#[rate_limit(name = "waits-async", per_second = 10, burst = 1, max_wait = "250ms")]
async fn place_order(id: u32) -> Result<(u32, tokio::time::Instant), ApiError> {
    Ok((id, tokio::time::Instant::now()))
}

#[tokio::test(start_paused = true)]
async fn an_async_call_waits_up_to_max_wait_for_its_turn_and_is_rejected_beyond() {
    let start = tokio::time::Instant::now();
    let (a, b, c, d, e) = tokio::join!(
        place_order(1),
        place_order(2),
        place_order(3),
        place_order(4),
        place_order(5)
    );
    let at = |millis| start + Duration::from_millis(millis);
    // One at once, then one every 100 ms while that is within 250 ms.
    assert_eq!(a, Ok((1, at(0))));
    assert_eq!(b, Ok((2, at(100))));
    assert_eq!(c, Ok((3, at(200))));
    // The next turn is 300 ms away: rejected at once, without running, saying when.
    let Err(ApiError::Limited(limited)) = d else {
        panic!("expected a rejection: {d:?}")
    };
    assert_eq!(limited.retry_after, Duration::from_millis(300));
    assert_eq!(limited.name, "waits-async");
    assert_eq!(
        limited.to_string(),
        "rate limiter `waits-async` has no permit left; the next one is free in 300ms"
    );
    assert!(matches!(e, Err(ApiError::Limited(_))));
    let handle = rate_limiter("waits-async").unwrap();
    assert_eq!((handle.counts().waited, handle.counts().rejected), (2, 2));
    assert_eq!(handle.waiting(), 0);
}

#[rate_limit(name = "waits-sync", per_second = 20, burst = 2, max_wait = "100ms")]
fn fetch(id: u32) -> Result<u32, ApiError> {
    Ok(id)
}

#[test]
fn a_sync_call_sleeps_the_thread_for_its_turn_on_the_paused_clock() {
    let paused = pause_sync_time();
    // The burst, then a turn every 50 ms: the third call sleeps 50 ms, the fourth 50 more.
    assert_eq!(fetch(1), Ok(1));
    assert_eq!(fetch(2), Ok(2));
    assert_eq!(paused.elapsed(), Duration::ZERO);
    assert_eq!(fetch(3), Ok(3));
    assert_eq!(paused.elapsed(), Duration::from_millis(50));
    assert_eq!(fetch(4), Ok(4));
    assert_eq!(paused.elapsed(), Duration::from_millis(100));
    assert_eq!(paused.sleeps(), 2);
    // Caught up with the rate: each call waits one interval, within max_wait.
    assert_eq!(fetch(5), Ok(5));
    assert_eq!(paused.elapsed(), Duration::from_millis(150));
}

#[rate_limit(name = "rejection-costs-nothing", per_second = 1, burst = 1)]
fn once_a_second() -> Result<(), ApiError> {
    Ok(())
}

#[test]
fn a_rejected_call_takes_nothing_from_the_limiter() {
    // Its own limiters, so that `reset_all` below resets no other test's.
    let _scope = retry_runtime::testing::scope();
    let paused = pause_sync_time();
    assert_eq!(once_a_second(), Ok(()));
    for _ in 0..100 {
        assert!(matches!(once_a_second(), Err(ApiError::Limited(_))));
    }
    // The rejections reserved nothing: the next permit comes one second after the first.
    paused.advance(Duration::from_secs(1));
    assert_eq!(once_a_second(), Ok(()));
    let handle = rate_limiter("rejection-costs-nothing").unwrap();
    assert_eq!(handle.counts().rejected, 100);
    assert_eq!(handle.available_permits(), 0);
    // `testing::reset_all` gives the burst back.
    retry_runtime::testing::reset_all();
    assert_eq!(once_a_second(), Ok(()));
}

/// Shapes: methods, `&mut self`, generics, and one limiter shared by two sites.
struct Client {
    sent: u32,
}

impl Client {
    #[rate_limit(name = "shared-api", per_second = 2, burst = 2)]
    fn get(&self, path: &str) -> Result<String, ApiError> {
        if path.is_empty() {
            return Err(ApiError::NotFound);
        }
        Ok(format!("{path}:{}", self.sent))
    }

    #[rate_limit(name = "shared-api", per_second = 2, burst = 2, max_wait = "1s")]
    async fn post(&mut self, body: &str) -> Result<usize, ApiError> {
        tokio::task::yield_now().await;
        self.sent += 1;
        Ok(body.len())
    }

    #[rate_limit(name = "generic-api", per_second = 1000)]
    fn decode<T: std::str::FromStr>(&self, text: impl AsRef<str>) -> Result<T, ApiError> {
        text.as_ref().parse().map_err(|_| ApiError::NotFound)
    }
}

#[tokio::test(start_paused = true)]
async fn methods_and_generic_fns_share_a_limiter_by_name() {
    let mut client = Client { sent: 0 };
    assert_eq!(client.post("abc").await, Ok(3));
    assert_eq!(client.get("p"), Ok("p:1".to_owned()));
    // The burst of two is spent by two sites: the third call is limited.
    assert!(matches!(client.get("q"), Err(ApiError::Limited(_))));
    // The async site waits for its turn (500 ms away, within its max_wait of 1 s).
    let start = tokio::time::Instant::now();
    assert_eq!(client.post("de").await, Ok(2));
    assert_eq!(start.elapsed(), Duration::from_millis(500));
    assert_eq!(client.decode::<u16>("65"), Ok(65));
}

#[test]
fn async_rate_limited_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let mut client = Client { sent: 0 };
    let post = client.post("k");
    assert_send(&post);
    drop(post);
    assert_send(&place_order(1));
}

#[test]
fn a_rejection_is_an_event() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let _hook = install_hook(move |event: &Event<'_>| {
        if let Event::RateLimited {
            name, retry_after, ..
        } = event
            && *name == "limited-event"
        {
            sink.lock().unwrap().push(*retry_after);
        }
    });
    #[rate_limit(name = "limited-event", per_second = 4, burst = 1)]
    fn limited() -> Result<(), ApiError> {
        Ok(())
    }
    let _paused = pause_sync_time();
    assert_eq!(limited(), Ok(()));
    assert!(limited().is_err());
    assert_eq!(*seen.lock().unwrap(), [Duration::from_millis(250)]);
}

#[test]
fn rate_limited_is_a_plain_error_value() {
    fn assert_error<E>()
    where
        E: Clone + std::fmt::Debug + std::fmt::Display + std::error::Error + Send + Sync + 'static,
    {
    }
    assert_error::<RateLimited>();
}

/// A method rewritten by `#[async_trait]` first.
#[async_trait::async_trait]
trait Remote {
    async fn send(&self, body: &str) -> Result<usize, ApiError>;
}

#[async_trait::async_trait]
impl Remote for Client {
    #[rate_limit(name = "async-trait-api", per_second = 10, burst = 1, max_wait = "1s")]
    async fn send(&self, body: &str) -> Result<usize, ApiError> {
        Ok(body.len() + usize::try_from(self.sent).unwrap())
    }
}

#[tokio::test(start_paused = true)]
async fn an_async_trait_method_waits_for_its_permit() {
    let client = Client { sent: 0 };
    let start = tokio::time::Instant::now();
    assert_eq!(client.send("ab").await, Ok(2));
    assert_eq!(client.send("abc").await, Ok(3));
    assert_eq!(start.elapsed(), std::time::Duration::from_millis(100));
}
