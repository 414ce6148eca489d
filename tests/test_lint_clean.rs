//! The expansion is lint-clean in a strict user crate: this file denies rustc's and clippy's
//! pedantic lints (clippy runs on it in CI through `--all-targets`), and every shape below must
//! compile without a warning.
#![deny(
    warnings,
    clippy::all,
    clippy::pedantic,
    unused_qualifications,
    unsafe_code,
    missing_docs
)]

use std::fmt;
use std::time::Duration;

use retry_runtime::{
    AttemptTimeout, BulkheadFull, CircuitOpen, RateLimited, RetryPolicy, bulkhead, circuit_breaker,
    rate_limit, retry,
};

/// A user's error type, with `Display`.
#[derive(Debug, PartialEq, Eq)]
pub enum StrictError {
    /// Retried.
    Timeout,
    /// Retried.
    Io(u8),
    /// Returned at once.
    Invalid {
        /// Why.
        reason: &'static str,
    },
    /// Cut off.
    TimedOut,
}

impl fmt::Display for StrictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for StrictError {}

impl From<AttemptTimeout> for StrictError {
    fn from(_: AttemptTimeout) -> Self {
        StrictError::TimedOut
    }
}

impl From<CircuitOpen> for StrictError {
    fn from(_: CircuitOpen) -> Self {
        StrictError::TimedOut
    }
}

impl From<BulkheadFull> for StrictError {
    fn from(_: BulkheadFull) -> Self {
        StrictError::TimedOut
    }
}

impl From<RateLimited> for StrictError {
    fn from(_: RateLimited) -> Self {
        StrictError::TimedOut
    }
}

fn is_io(error: &StrictError) -> bool {
    matches!(error, StrictError::Io(_))
}

fn log_retry(error: &StrictError, attempt: u32, delay: Duration) {
    let _ = (error, attempt, delay);
}

/// A named policy.
pub const STRICT: RetryPolicy = RetryPolicy::builder().max_attempts(2).build_const();

/// A strict user's type.
pub struct Client {
    hits: u32,
}

impl Client {
    /// Every key at once.
    ///
    /// # Errors
    /// The last error.
    #[retry(
        max_attempts = 3,
        backoff = "exponential",
        delay = "1ms",
        max_delay = "5ms",
        factor = 2,
        jitter = "decorrelated",
        on = [Timeout, StrictError::Io(_)],
        when = is_io,
        max_elapsed = "1s",
        on_retry = log_retry,
        name = "client.get"
    )]
    pub fn get(&mut self, key: &str) -> Result<String, StrictError> {
        self.hits += 1;
        if key.is_empty() {
            return Err(StrictError::Invalid { reason: "empty" });
        }
        Ok(key.to_owned())
    }

    /// Async, with a timeout.
    ///
    /// # Errors
    /// The last error.
    #[retry(max_attempts = 2, delay = "1ms", attempt_timeout = "1s", on = [Timeout])]
    pub async fn get_async(&mut self, key: &str) -> Result<String, StrictError> {
        self.hits += 1;
        tokio::task::yield_now().await;
        Ok(key.to_owned())
    }

    /// A named policy on an async fn.
    ///
    /// # Errors
    /// The last error.
    #[retry(policy = STRICT)]
    pub async fn get_named(&self) -> Result<u32, StrictError> {
        Ok(self.hits)
    }

    /// A bare attribute on a sync fn with a named policy.
    ///
    /// # Errors
    /// The last error.
    #[retry(policy = STRICT)]
    pub fn get_named_sync(&self) -> Result<u32, StrictError> {
        Ok(self.hits)
    }
}

/// Bare `#[retry]` with an error type that has neither `Display` nor `Debug`.
///
/// # Errors
/// Never.
#[retry]
pub fn bare(value: u32) -> Result<u32, Opaque> {
    Ok(value)
}

/// No `Debug`, no `Display`.
pub struct Opaque;

#[test]
fn strict_crate_compiles_and_runs() {
    let _paused = retry_runtime::testing::pause_sync_time();
    let mut client = Client { hits: 0 };
    assert_eq!(client.get("k"), Ok("k".to_owned()));
    assert_eq!(
        client.get(""),
        Err(StrictError::Invalid { reason: "empty" })
    );
    assert_eq!(client.get_named_sync(), Ok(2));
    assert!(bare(1).is_ok());
}

#[tokio::test(start_paused = true)]
async fn strict_crate_async() {
    let mut client = Client { hits: 0 };
    assert_eq!(client.get_async("k").await, Ok("k".to_owned()));
    assert_eq!(client.get_named().await, Ok(1));
}

/// `#[async_trait]` output under the same lints.
#[async_trait::async_trait]
pub trait Remote {
    /// Fetches.
    async fn call(&mut self, key: &str) -> Result<String, StrictError>;
}

#[async_trait::async_trait]
impl Remote for Client {
    #[retry(max_attempts = 2, delay = "1ms", on = [Timeout])]
    async fn call(&mut self, key: &str) -> Result<String, StrictError> {
        self.hits += 1;
        Ok(key.to_owned())
    }
}

impl Client {
    /// Every breaker key.
    ///
    /// # Errors
    /// The body's error, or a rejection.
    #[circuit_breaker(
        name = "strict",
        failure_threshold = 3,
        failure_rate = 0.5,
        window = 10,
        min_calls = 5,
        slow_call = "1s",
        slow_call_rate = 0.5,
        open_for = "10s",
        open_for_factor = 2,
        max_open_for = "1m",
        half_open_calls = 2,
        on = [Timeout],
        when = is_io,
        fallback = Self::cached,
    )]
    pub fn guarded(&self, key: &str) -> Result<String, StrictError> {
        Ok(key.to_owned())
    }

    /// The fallback.
    ///
    /// # Errors
    /// Never.
    pub fn cached(&self, key: &str) -> Result<String, StrictError> {
        Ok(format!("{key}{}", self.hits))
    }

    /// Stacked, breaker outside.
    ///
    /// # Errors
    /// The last error, or a rejection.
    #[circuit_breaker(name = "strict-stacked")]
    #[retry(max_attempts = 2, delay = "1ms")]
    pub async fn stacked(&mut self) -> Result<u32, StrictError> {
        self.hits += 1;
        Ok(self.hits)
    }

    /// Stacked, breaker inside.
    ///
    /// # Errors
    /// The last error, or a rejection.
    #[retry(max_attempts = 2, delay = "1ms")]
    #[circuit_breaker(name = "strict-inside")]
    pub fn stacked_inside(&mut self) -> Result<u32, StrictError> {
        self.hits += 1;
        Ok(self.hits)
    }
}

#[test]
fn strict_crate_breakers() {
    let mut client = Client { hits: 0 };
    assert_eq!(client.guarded("k"), Ok("k".to_owned()));
    assert_eq!(client.stacked_inside(), Ok(1));
}

/// Each attribute's only use is stacked under the other, which expands it: its import must
/// still count as used.
pub mod stacked_imports {
    use retry_runtime::{circuit_breaker, retry};

    /// Breaker outside.
    ///
    /// # Errors
    /// The last error, or a rejection.
    #[circuit_breaker(name = "strict-imports-outside")]
    #[retry(max_attempts = 2, delay = "1ms")]
    pub fn outside() -> Result<(), super::StrictError> {
        Ok(())
    }
}

/// As above, with the other attribute outside.
pub mod stacked_imports_reversed {
    use retry_runtime::{circuit_breaker, retry};

    /// Breaker inside.
    ///
    /// # Errors
    /// The last error, or a rejection.
    #[retry(max_attempts = 2, delay = "1ms")]
    #[circuit_breaker(name = "strict-imports-inside")]
    pub fn inside() -> Result<(), super::StrictError> {
        Ok(())
    }
}

impl Client {
    /// Every bulkhead key, sync.
    ///
    /// # Errors
    /// The body's error, or a rejection.
    #[bulkhead(name = "strict-bulkhead", max_concurrent = 2, max_wait = "10ms", crate = retry_runtime)]
    pub fn in_a_slot(&self, key: &str) -> Result<String, StrictError> {
        if key.is_empty() {
            return Err(StrictError::Invalid { reason: "empty" });
        }
        Ok(format!("{key}{}", self.hits))
    }

    /// A bulkhead without waiting, async, on `&mut self`.
    ///
    /// # Errors
    /// A rejection.
    #[bulkhead(name = "strict-bulkhead-async", max_concurrent = 1)]
    pub async fn in_a_slot_async(&mut self) -> Result<u32, StrictError> {
        tokio::task::yield_now().await;
        self.hits += 1;
        Ok(self.hits)
    }

    /// Every rate limit key, async.
    ///
    /// # Errors
    /// A rejection.
    #[rate_limit(name = "strict-rate", per_second = 100, burst = 10, max_wait = "1s", crate = retry_runtime)]
    pub async fn admitted_async(&self) -> Result<u32, StrictError> {
        tokio::task::yield_now().await;
        Ok(self.hits)
    }

    /// A rate limit without waiting, sync, generic.
    ///
    /// # Errors
    /// A rejection, or a value that does not parse.
    #[rate_limit(name = "strict-rate-sync", per_second = 100)]
    pub fn admitted<T: std::str::FromStr>(&self, text: &str) -> Result<T, StrictError> {
        text.parse()
            .map_err(|_| StrictError::Invalid { reason: "parse" })
    }

    /// The recommended stack.
    ///
    /// # Errors
    /// The last error, or a rejection.
    #[retry(max_attempts = 2, delay = "1ms")]
    #[circuit_breaker(name = "strict-stack")]
    #[rate_limit(name = "strict-stack", per_second = 100, max_wait = "1s")]
    #[bulkhead(name = "strict-stack", max_concurrent = 4, max_wait = "1s")]
    pub async fn fully_stacked(&mut self) -> Result<u32, StrictError> {
        self.hits += 1;
        Ok(self.hits)
    }
}

#[tokio::test(start_paused = true)]
async fn strict_crate_limits() {
    let mut client = Client { hits: 0 };
    assert_eq!(client.in_a_slot("k"), Ok("k0".to_owned()));
    assert_eq!(client.in_a_slot_async().await, Ok(1));
    assert_eq!(client.admitted_async().await, Ok(1));
    assert_eq!(client.admitted::<u8>("7"), Ok(7));
    assert_eq!(client.fully_stacked().await, Ok(2));
}

/// The recommended stack's attributes, each used only in the stack: every import stays used.
pub mod stacked_limits_imports {
    use retry_runtime::{bulkhead, circuit_breaker, rate_limit, retry};

    /// All four.
    ///
    /// # Errors
    /// The last error, or a rejection.
    #[retry(max_attempts = 2, delay = "1ms")]
    #[circuit_breaker(name = "strict-limits-imports")]
    #[rate_limit(name = "strict-limits-imports", per_second = 10)]
    #[bulkhead(name = "strict-limits-imports")]
    pub fn stacked() -> Result<(), super::StrictError> {
        Ok(())
    }
}

/// `#[hedge]` in a strict crate: every key, a quantile, a method on `&self`, and the whole
/// recommended stack with its imports used only there.
pub mod hedged {
    use retry_runtime::{BulkheadFull, CircuitOpen, RateLimited, bulkhead, circuit_breaker, hedge};
    use retry_runtime::{rate_limit, retry};

    /// A replica set.
    pub struct Replicas {
        /// Calls so far.
        pub calls: std::sync::atomic::AtomicU32,
    }

    /// Why a search failed.
    #[derive(Debug, PartialEq, Eq)]
    pub enum SearchError {
        /// Retryable.
        Timeout,
        /// Not.
        Rejected,
    }

    impl From<CircuitOpen> for SearchError {
        fn from(_: CircuitOpen) -> Self {
            SearchError::Rejected
        }
    }

    impl From<BulkheadFull> for SearchError {
        fn from(_: BulkheadFull) -> Self {
            SearchError::Rejected
        }
    }

    impl From<RateLimited> for SearchError {
        fn from(_: RateLimited) -> Self {
            SearchError::Rejected
        }
    }

    impl SearchError {
        /// `when`'s predicate.
        #[must_use]
        pub fn is_timeout(&self) -> bool {
            *self == SearchError::Timeout
        }
    }

    impl Replicas {
        /// Every key.
        ///
        /// # Errors
        /// The first error `on`/`when` reject, or the last.
        #[hedge(
            after = "p99",
            floor = "5ms",
            max_hedges = 2,
            on = [Timeout],
            when = SearchError::is_timeout,
            budget = "strict-hedge",
            name = "strict-hedge",
            sleeper = retry_runtime::TokioSleeper,
            crate = retry_runtime,
        )]
        pub async fn search(&self, query: &str) -> Result<usize, SearchError> {
            self.calls
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(query.len())
        }

        /// The recommended stack, hedge innermost.
        ///
        /// # Errors
        /// The last error, or a rejection.
        #[retry(max_attempts = 2, delay = "1ms")]
        #[circuit_breaker(name = "strict-hedge-stack")]
        #[rate_limit(name = "strict-hedge-stack", per_second = 10)]
        #[bulkhead(name = "strict-hedge-stack")]
        #[hedge(after = "10ms")]
        pub async fn stacked(&self, query: &str) -> Result<usize, SearchError> {
            Ok(query.len())
        }
    }
}

#[tokio::test(start_paused = true)]
async fn strict_crate_hedges() {
    let replicas = hedged::Replicas {
        calls: std::sync::atomic::AtomicU32::new(0),
    };
    assert_eq!(replicas.search("abc").await, Ok(3));
    assert_eq!(replicas.stacked("ab").await, Ok(2));
}

/// `#[chaos]` alone and innermost in the recommended stack, sync and async.
mod chaotic {
    use retry_runtime::{
        BulkheadFull, ChaosConfig, CircuitOpen, InjectedFault, RateLimited, bulkhead, chaos,
        circuit_breaker, rate_limit, retry,
    };

    /// A strict user's error.
    #[derive(Debug, PartialEq, Eq)]
    pub enum StoreError {
        /// Injected.
        Injected,
        /// Rejected.
        Rejected,
    }

    impl From<InjectedFault> for StoreError {
        fn from(_: InjectedFault) -> Self {
            StoreError::Injected
        }
    }

    impl From<CircuitOpen> for StoreError {
        fn from(_: CircuitOpen) -> Self {
            StoreError::Rejected
        }
    }

    impl From<BulkheadFull> for StoreError {
        fn from(_: BulkheadFull) -> Self {
            StoreError::Rejected
        }
    }

    impl From<RateLimited> for StoreError {
        fn from(_: RateLimited) -> Self {
            StoreError::Rejected
        }
    }

    /// A store.
    pub struct Store {
        /// Reads so far.
        pub reads: u32,
    }

    impl Store {
        /// Every chaos key, sync.
        ///
        /// # Errors
        /// An injected fault.
        #[chaos(name = "strict-chaos", crate = retry_runtime)]
        pub fn read(&self, key: &str) -> Result<String, StoreError> {
            Ok(format!("{key}{}", self.reads))
        }

        /// Async, on `&mut self`.
        ///
        /// # Errors
        /// An injected fault.
        #[chaos(name = "strict-chaos-async")]
        pub async fn read_async(&mut self) -> Result<u32, StoreError> {
            tokio::task::yield_now().await;
            self.reads += 1;
            Ok(self.reads)
        }

        /// The recommended stack, chaos innermost.
        ///
        /// # Errors
        /// The last error, or a rejection.
        #[retry(max_attempts = 2, delay = "1ms")]
        #[circuit_breaker(name = "strict-chaos-stack")]
        #[rate_limit(name = "strict-chaos-stack", per_second = 100)]
        #[bulkhead(name = "strict-chaos-stack")]
        #[chaos(name = "strict-chaos-stack")]
        pub async fn stacked(&mut self) -> Result<u32, StoreError> {
            self.reads += 1;
            Ok(self.reads)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn strict_crate_chaos() {
        let _scope = retry_runtime::testing::scope();
        let mut store = Store { reads: 0 };
        assert_eq!(store.read("k"), Ok("k0".to_owned()));
        assert_eq!(store.read_async().await, Ok(1));
        assert_eq!(store.stacked().await, Ok(2));
        let faults = ChaosConfig::builder().fault_rate(1.0).build().unwrap();
        chaos("strict-chaos").unwrap().configure(faults);
        assert_eq!(store.read("k"), Err(StoreError::Injected));
    }
}

/// `#[adaptive_limit]` in the strict crate: every key, sync and async, and in the recommended
/// stack next to the bulkhead.
mod adaptive {
    use retry_runtime::{
        BulkheadFull, CircuitOpen, LimitExceeded, adaptive_limit, bulkhead, circuit_breaker, retry,
    };

    /// A user's error type.
    #[derive(Debug, PartialEq, Eq)]
    pub enum PoolError {
        /// Rejected.
        Busy,
    }

    impl From<LimitExceeded> for PoolError {
        fn from(_: LimitExceeded) -> Self {
            PoolError::Busy
        }
    }

    impl From<BulkheadFull> for PoolError {
        fn from(_: BulkheadFull) -> Self {
            PoolError::Busy
        }
    }

    impl From<CircuitOpen> for PoolError {
        fn from(_: CircuitOpen) -> Self {
            PoolError::Busy
        }
    }

    /// A pool of connections.
    pub struct Pool {
        /// Calls made.
        pub calls: u32,
    }

    impl Pool {
        /// Every key, sync.
        ///
        /// # Errors
        /// A rejection.
        #[adaptive_limit(
            name = "strict-adaptive",
            algorithm = "aimd",
            initial_limit = 5,
            min_limit = 2,
            max_limit = 50,
            max_wait = "10ms",
            crate = retry_runtime
        )]
        pub fn get(&mut self, key: &str) -> Result<usize, PoolError> {
            self.calls += 1;
            Ok(key.len())
        }

        /// The defaults, async.
        ///
        /// # Errors
        /// A rejection.
        #[adaptive_limit(name = "strict-adaptive-async")]
        pub async fn get_async(&self) -> Result<u32, PoolError> {
            tokio::task::yield_now().await;
            Ok(self.calls)
        }

        /// The recommended stack, waiting.
        ///
        /// # Errors
        /// The last error, or a rejection.
        #[retry(max_attempts = 2, delay = "1ms")]
        #[circuit_breaker(name = "strict-adaptive-stack")]
        #[adaptive_limit(name = "strict-adaptive-stack", max_wait = "1s")]
        #[bulkhead(name = "strict-adaptive-stack", max_concurrent = 4)]
        pub async fn stacked(&mut self) -> Result<u32, PoolError> {
            self.calls += 1;
            Ok(self.calls)
        }
    }
}

#[tokio::test(start_paused = true)]
async fn strict_crate_adaptive_limits() {
    let mut pool = adaptive::Pool { calls: 0 };
    assert_eq!(pool.get("abc"), Ok(3));
    assert_eq!(pool.get_async().await, Ok(1));
    assert_eq!(pool.stacked().await, Ok(2));
}
