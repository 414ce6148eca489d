//! Bulkheads: at most `max_concurrent` calls run at once per name, so one slow dependency cannot
//! take every thread or task of a service (resilience4j's `SemaphoreBulkhead`, Polly's
//! bulkhead isolation).
//!
//! Admission is one `fetch_sub` on a permit count, and the permit's release one `fetch_add`;
//! only a call that finds every slot taken touches a lock, to queue itself (see [`permits`]). A
//! queued call takes a slot as soon as one is released, or gives up after its site's
//! `max_wait`. A `#[bulkhead]` site finds its bulkhead with one check of its cached reference
//! and one thread-local read (does this thread hold a test scope?), so an admitted call runs
//! two atomic read-modify-writes and a few loads around its body; everything else (the first
//! lookup, a full bulkhead, the wait) is one cold call.

pub(crate) mod permits;
pub(crate) mod registry;
// What expansions call, reached through `__private` only: not in the API listing.
#[doc(hidden)]
pub(crate) mod site;
pub(crate) mod sync;
pub(crate) mod waiters;

use std::error::Error;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use self::permits::Permits;
use crate::sleep::AsyncSleeper;
use retry_settings::BulkheadConfig;

/// A bulkhead. Sites that name the same bulkhead share one instance through the registry
/// ([`bulkhead`](crate::bulkhead()) looks one up); [`Bulkhead::new`] makes a private one.
///
/// ```
/// use std::time::Duration;
/// use retry_runtime::{Bulkhead, BulkheadConfig};
///
/// let bulkhead = Bulkhead::new("reports", BulkheadConfig::new(2)?);
/// let first = bulkhead.try_acquire().unwrap();
/// let _second = bulkhead.try_acquire().unwrap();
/// assert_eq!(bulkhead.available(), 0);
/// let full = bulkhead.try_acquire().unwrap_err();
/// assert_eq!((full.name, full.max_concurrent), ("reports", 2));
/// drop(first); // released: the next call runs
/// assert!(bulkhead.acquire_blocking(Duration::from_millis(50)).is_ok());
/// # Ok::<(), retry_runtime::BulkheadConfigError>(())
/// ```
pub struct Bulkhead {
    name: &'static str,
    source: crate::events::Source,
    config: BulkheadConfig,
    permits: Permits,
    waited: AtomicU64,
    rejected: AtomicU64,
}

/// A call was rejected because every slot of its bulkhead stayed taken for the site's
/// `max_wait`.
///
/// `#[bulkhead]` returns `Err(E::from(BulkheadFull { .. }))`, so the fn's error type needs
/// `impl From<BulkheadFull>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct BulkheadFull {
    /// The bulkhead's name.
    pub name: &'static str,
    /// Its number of slots.
    pub max_concurrent: u32,
    /// How long the call waited for a slot (zero: rejected at once).
    pub waited: Duration,
}

impl fmt::Display for BulkheadFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bulkhead `{}` is full: all {} slots are taken",
            self.name, self.max_concurrent
        )?;
        if !self.waited.is_zero() {
            write!(f, " and none was released within {:?}", self.waited)?;
        }
        Ok(())
    }
}

impl Error for BulkheadFull {}

/// What a bulkhead did since it was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BulkheadCounts {
    /// Calls that found every slot taken, waited, and got one.
    pub waited: u64,
    /// Calls rejected: no slot within their `max_wait`.
    pub rejected: u64,
}

/// The right to run one call in a [`Bulkhead`]; its slot is released when it is dropped,
/// whether the call returned, panicked, or its future was dropped.
#[must_use = "the slot is released as soon as the permit is dropped"]
pub struct BulkheadPermit<'a> {
    bulkhead: &'a Bulkhead,
}

impl Bulkhead {
    /// A bulkhead outside the registry.
    pub fn new(name: &'static str, config: BulkheadConfig) -> Bulkhead {
        Bulkhead {
            name,
            source: crate::events::Source::bulkhead(name, config.max_concurrent()),
            config,
            permits: Permits::new(config.max_concurrent()),
            waited: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
        }
    }

    /// The bulkhead's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its settings.
    pub fn config(&self) -> &BulkheadConfig {
        &self.config
    }

    /// The most calls that run at once.
    pub fn max_concurrent(&self) -> u32 {
        self.config.max_concurrent()
    }

    /// Slots free for a new call now (0 while calls wait: a released slot goes to them).
    pub fn available(&self) -> u32 {
        self.permits.available()
    }

    /// Calls waiting for a slot now.
    pub fn waiting(&self) -> usize {
        self.permits.waiting()
    }

    /// Cumulative counts.
    pub fn counts(&self) -> BulkheadCounts {
        BulkheadCounts {
            waited: self.waited.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
        }
    }

    /// Who its events are about.
    pub(crate) fn source(&self) -> &crate::events::Source {
        &self.source
    }

    /// A slot if one is free now, without waiting.
    ///
    /// # Errors
    /// [`BulkheadFull`] when every slot is taken.
    #[inline]
    pub fn try_acquire(&self) -> Result<BulkheadPermit<'_>, BulkheadFull> {
        match self.take() {
            Some(permit) => Ok(permit),
            None => Err(self.reject(Duration::ZERO)),
        }
    }

    /// A slot, waiting up to `max_wait` (at most [`MAX_WAIT`](crate::MAX_WAIT)) for one to be
    /// released, blocking this thread. On a thread holding
    /// [`pause_sync_time`](crate::testing::pause_sync_time) the wait takes no real time: it
    /// passes at once on the paused clock.
    ///
    /// # Errors
    /// [`BulkheadFull`] when no slot was released within `max_wait`.
    #[inline]
    pub fn acquire_blocking(&self, max_wait: Duration) -> Result<BulkheadPermit<'_>, BulkheadFull> {
        match self.take() {
            Some(permit) => Ok(permit),
            None => self.wait_blocking(max_wait),
        }
    }

    /// A slot, waiting up to `max_wait` (at most [`MAX_WAIT`](crate::MAX_WAIT)) for one to be
    /// released, on `S`'s clock (tokio's, with
    /// [`TokioSleeper`](crate::TokioSleeper), so paused test time drives the wait). Dropping
    /// the future leaves the queue.
    ///
    /// # Errors
    /// [`BulkheadFull`] when no slot was released within `max_wait`.
    pub async fn acquire_with<S: AsyncSleeper>(
        &self,
        max_wait: Duration,
    ) -> Result<BulkheadPermit<'_>, BulkheadFull> {
        match self.take() {
            Some(permit) => Ok(permit),
            None => self.wait::<S>(max_wait).await,
        }
    }

    /// [`acquire_with`](Self::acquire_with) on tokio's clock.
    ///
    /// # Errors
    /// [`BulkheadFull`] when no slot was released within `max_wait`.
    #[cfg(feature = "tokio")]
    pub async fn acquire(&self, max_wait: Duration) -> Result<BulkheadPermit<'_>, BulkheadFull> {
        self.acquire_with::<crate::TokioSleeper>(max_wait).await
    }

    /// A free slot, without any bookkeeping of a rejection.
    #[inline]
    pub(crate) fn take(&self) -> Option<BulkheadPermit<'_>> {
        match self.take_fast() {
            Some(permit) => Some(permit),
            None => self.take_again(),
        }
    }

    /// The hot path of [`take`](Self::take): a slot if the permit word's `fetch_sub` finds one
    /// free. On `None` the caller must call [`take_again`](Self::take_again) (which gives the
    /// decrement back) before anything else.
    #[inline]
    pub(crate) fn take_fast(&self) -> Option<BulkheadPermit<'_>> {
        if self.permits.try_take_fast() {
            self.report_available();
            Some(BulkheadPermit { bulkhead: self })
        } else {
            None
        }
    }

    /// Gives back the decrement of a failed [`take_fast`](Self::take_fast).
    #[inline]
    pub(crate) fn give_back(&self) {
        self.permits.give_back();
    }

    /// After a failed [`take_fast`](Self::take_fast): its decrement given back, then one more
    /// try (a slot that another failed taker's decrement hid a moment ago is taken).
    #[cold]
    #[inline(never)]
    pub(crate) fn take_again(&self) -> Option<BulkheadPermit<'_>> {
        self.permits.give_back();
        if self.permits.try_take() {
            self.report_available();
            Some(BulkheadPermit { bulkhead: self })
        } else {
            None
        }
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn wait_blocking(
        &self,
        max_wait: Duration,
    ) -> Result<BulkheadPermit<'_>, BulkheadFull> {
        let max_wait = max_wait.min(crate::MAX_WAIT);
        if max_wait.is_zero() {
            return Err(self.reject(Duration::ZERO));
        }
        let granted = if crate::sleep::paused_now().is_some() {
            // The whole wait passes on the paused clock; a slot freed meanwhile still counts.
            crate::sleep::sleep_sync(max_wait);
            self.permits.try_take()
        } else {
            self.permits.wait_until(Instant::now() + max_wait)
        };
        self.waited_for(granted, max_wait)
    }

    /// Queues this task for a slot, for up to `max_wait` on `S`'s clock.
    #[cold]
    #[inline(never)]
    pub(crate) async fn wait<S: AsyncSleeper>(
        &self,
        max_wait: Duration,
    ) -> Result<BulkheadPermit<'_>, BulkheadFull> {
        let max_wait = max_wait.min(crate::MAX_WAIT);
        if max_wait.is_zero() {
            return Err(self.reject(Duration::ZERO));
        }
        let granted = match self.permits.wait_for_task() {
            None => true,
            Some(mut waiting) => {
                // The deadline's sleep (tokio's is 112 bytes) is boxed: the wait already
                // allocates its queue entry, and the caller's future stays small.
                let mut deadline = Box::pin(S::sleep(max_wait));
                poll_fn(|context| {
                    if Pin::new(&mut waiting).poll(context).is_ready() {
                        return Poll::Ready(true);
                    }
                    if deadline.as_mut().poll(context).is_ready() {
                        // A permit handed over meanwhile is taken all the same.
                        return Poll::Ready(waiting.give_up());
                    }
                    Poll::Pending
                })
                .await
            }
        };
        self.waited_for(granted, max_wait)
    }

    fn waited_for(
        &self,
        granted: bool,
        max_wait: Duration,
    ) -> Result<BulkheadPermit<'_>, BulkheadFull> {
        if granted {
            self.waited.fetch_add(1, Ordering::Relaxed);
            self.report_available();
            Ok(BulkheadPermit { bulkhead: self })
        } else {
            Err(self.reject(max_wait))
        }
    }

    /// A rejection, counted and reported.
    #[cold]
    pub(crate) fn reject(&self, waited: Duration) -> BulkheadFull {
        self.rejected.fetch_add(1, Ordering::Relaxed);
        let full = BulkheadFull {
            name: self.name,
            max_concurrent: self.config.max_concurrent(),
            waited,
        };
        crate::events::bulkhead_full(&self.source, &full);
        full
    }

    #[inline]
    fn release(&self) {
        self.permits.release();
        self.report_available();
    }

    /// The `bulkhead_available_concurrent_calls` gauge; nothing without the `metrics` feature.
    #[inline]
    #[cfg_attr(not(feature = "metrics"), allow(clippy::unused_self))]
    fn report_available(&self) {
        #[cfg(feature = "metrics")]
        crate::events::bulkhead_available(&self.source, self.permits.available());
    }
}

impl fmt::Debug for Bulkhead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bulkhead")
            .field("name", &self.name)
            .field("max_concurrent", &self.config.max_concurrent())
            .field("available", &self.available())
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

impl Drop for BulkheadPermit<'_> {
    #[inline]
    fn drop(&mut self) {
        self.bulkhead.release();
    }
}

impl fmt::Debug for BulkheadPermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkheadPermit")
            .field("bulkhead", &self.bulkhead.name)
            .finish()
    }
}
