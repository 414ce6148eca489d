//! Rate limiters: `per_second` calls a second per name, with bursts of up to `burst`, by the
//! generic cell rate algorithm (GCRA) as `governor` implements it.
//!
//! The whole state is one number, the theoretical arrival time (TAT): when the next call would
//! be due if calls came exactly at the rate. A call arriving at `now` is admitted at once if
//! `max(TAT, now) - now` is within the burst's tolerance, `(burst - 1) x interval`; admission
//! moves the TAT one interval on with a single compare-and-swap. So admission is one clock read
//! and one CAS, with no lock, no background refill, and no drift however often it is read. Sync
//! calls read a coarse clock, the kernel's last tick, where a precise read would cost more than
//! the rest of the admission (see [`clock`]), and while the TAT is ahead of that clock move it
//! on with a `fetch_add`, which unlike the CAS never fails when threads race
//! (`RateLimiter::admit_busy`); async calls read their runtime's clock. A
//! call that would have to wait reserves its turn the same way (the TAT moves on for it) and
//! then sleeps until its turn, if that is within its site's `max_wait`; otherwise it is rejected
//! and the TAT stays as it was. A waiting call whose future is dropped keeps its reservation.
//!
//! With feature `redis`, a fleet link may share a registered limiter across processes: it
//! fills the limiter's slot (`shared`), and admission then takes permits the link leased from
//! Redis, or runs this GCRA at the process's share while Redis is down. Without a link, the one
//! extra cost is a relaxed load (is it shared?).

pub(crate) mod clock;
pub(crate) mod registry;
#[cfg(feature = "redis")]
pub(crate) mod shared;
// What expansions call, reached through `__private` only: not in the API listing.
#[doc(hidden)]
pub(crate) mod site;
pub(crate) mod sync;

use std::error::Error;
use std::fmt;
use std::sync::atomic::AtomicU64 as Counter;
use std::time::{Duration, Instant};

use self::sync::{AtomicU64, Ordering};
use crate::sleep::AsyncSleeper;
use retry_settings::RateLimitConfig;

/// A rate limiter. Sites that name the same limiter share one instance through the registry
/// ([`rate_limiter`](crate::rate_limiter()) looks one up); [`RateLimiter::new`] makes a private
/// one.
///
/// ```
/// use std::time::{Duration, Instant};
/// use retry_runtime::{RateLimitConfig, RateLimiter};
///
/// let limiter = RateLimiter::new("search", RateLimitConfig::new(10, 2)?);
/// let start = Instant::now();
/// // The burst: two calls at once.
/// assert_eq!(limiter.reserve_at(start, Duration::ZERO), Ok(Duration::ZERO));
/// assert_eq!(limiter.reserve_at(start, Duration::ZERO), Ok(Duration::ZERO));
/// // Then one every 100 ms: a third call now would wait 100 ms.
/// let limited = limiter.reserve_at(start, Duration::ZERO).unwrap_err();
/// assert_eq!(limited.retry_after, Duration::from_millis(100));
/// assert_eq!(limiter.reserve_at(start, Duration::from_millis(100)), Ok(Duration::from_millis(100)));
/// # Ok::<(), retry_runtime::RateLimitConfigError>(())
/// ```
pub struct RateLimiter {
    name: &'static str,
    source: crate::events::Source,
    config: RateLimitConfig,
    /// Nanoseconds between permits.
    interval: u64,
    /// How far ahead of `now` the TAT may be for a call to be admitted at once:
    /// `(burst - 1) x interval`.
    tolerance: u64,
    /// `RACERS x interval`: how far within the tolerance the TAT must be for a sync call to be
    /// admitted by `fetch_add` (see `admit_busy`).
    race_room: u64,
    /// The theoretical arrival time, on the limiter's [`clock`] (0: long ago).
    tat: AtomicU64,
    waiting: Counter,
    waited: Counter,
    rejected: Counter,
    /// Shared through a fleet link (feature `redis`): filled by the link.
    #[cfg(feature = "redis")]
    shared: shared::Shared,
}

/// How many calls may be admitted between a sync call's load of the TAT and its `fetch_add`
/// for the `fetch_add` still to admit it (see `RateLimiter::admit_busy`): more than the threads
/// that can race there, unless one is descheduled in between.
const RACERS: u64 = 64;

/// A call was rejected because its rate limiter had no permit within the site's `max_wait`.
///
/// `#[rate_limit]` returns `Err(E::from(RateLimited { .. }))`, so the fn's error type needs
/// `impl From<RateLimited>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RateLimited {
    /// The rate limiter's name.
    pub name: &'static str,
    /// How long until a call would be admitted at once (if no other call takes that permit).
    pub retry_after: Duration,
}

impl fmt::Display for RateLimited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rate limiter `{}` has no permit left; the next one is free in {:?}",
            self.name, self.retry_after
        )
    }
}

impl Error for RateLimited {}

/// What a rate limiter did since it was created (or last [reset](RateLimiter::reset)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimitCounts {
    /// Calls that waited for their permit.
    pub waited: u64,
    /// Calls rejected: no permit within their `max_wait`.
    pub rejected: u64,
}

impl RateLimiter {
    /// A rate limiter outside the registry.
    pub fn new(name: &'static str, config: RateLimitConfig) -> RateLimiter {
        // At most a second.
        let interval = u64::try_from(config.interval().as_nanos()).unwrap_or(u64::MAX);
        RateLimiter {
            name,
            source: crate::events::Source::rate_limiter(name, config.burst()),
            config,
            interval,
            tolerance: interval.saturating_mul(u64::from(config.burst() - 1)),
            race_room: interval.saturating_mul(RACERS),
            tat: AtomicU64::new(0),
            waiting: Counter::new(0),
            waited: Counter::new(0),
            rejected: Counter::new(0),
            #[cfg(feature = "redis")]
            shared: shared::Shared::new(false),
        }
    }

    /// A limiter of the registry: shared from the start when a fleet link is up and shares it
    /// (its permits are the fleet's, leased at the link's next flush).
    pub(crate) fn new_registered(name: &'static str, config: RateLimitConfig) -> RateLimiter {
        #[allow(unused_mut)]
        let mut limiter = RateLimiter::new(name, config);
        #[cfg(feature = "redis")]
        if crate::scope::current() == 0
            && shared::STARTS_SHARED
                .get()
                .is_some_and(|starts_shared| starts_shared(name))
        {
            limiter.shared = shared::Shared::new(true);
        }
        limiter
    }

    /// The rate limiter's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its settings.
    pub fn config(&self) -> &RateLimitConfig {
        &self.config
    }

    /// Cumulative counts.
    pub fn counts(&self) -> RateLimitCounts {
        RateLimitCounts {
            waited: self.waited.load(std::sync::atomic::Ordering::Relaxed),
            rejected: self.rejected.load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Calls sleeping until their reserved permit now.
    pub fn waiting(&self) -> u64 {
        self.waiting.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Calls that could be admitted now without waiting; negative while waiting calls hold
    /// reservations (as resilience4j's `availablePermissions`). Reads the clock breakers read:
    /// tokio's, or the paused sync clock on a thread that paused it.
    pub fn available_permits(&self) -> i64 {
        let (interval, tolerance) = self.gcra_now();
        #[cfg(feature = "redis")]
        if self.shared.mode() == shared::LEASED {
            return self.shared.pool.load(std::sync::atomic::Ordering::Relaxed);
        }
        let now = clock::at(crate::breaker::clock::default_now());
        available_at(now, self.tat.load(Ordering::Relaxed), interval, tolerance)
    }

    /// The GCRA's interval and tolerance now: the limiter's own, or this process's share of a
    /// fleet limit while Redis is down.
    fn gcra_now(&self) -> (u64, u64) {
        #[cfg(feature = "redis")]
        if self.shared.mode() == shared::SHARE {
            return (
                self.shared
                    .interval
                    .load(std::sync::atomic::Ordering::Relaxed),
                self.shared
                    .tolerance
                    .load(std::sync::atomic::Ordering::Relaxed),
            );
        }
        (self.interval, self.tolerance)
    }

    /// Back to a new limiter's state: the whole burst available, counts from zero.
    pub fn reset(&self) {
        // A swap, not a store: the same on the machine, and loom then orders it against a sync
        // call's `fetch_add` as the machine does (a store can land inside an RMW in loom 0.7:
        // tokio-rs/loom#254).
        self.tat.swap(0, Ordering::Relaxed);
        self.waited.store(0, std::sync::atomic::Ordering::Relaxed);
        self.rejected.store(0, std::sync::atomic::Ordering::Relaxed);
    }

    /// Who its events are about.
    pub(crate) fn source(&self) -> &crate::events::Source {
        &self.source
    }

    /// Admits a call now without waiting, on the clock breakers read (tokio's, or the paused
    /// sync clock on a thread that paused it).
    ///
    /// # Errors
    /// [`RateLimited`] when no permit is available now.
    pub fn try_acquire(&self) -> Result<(), RateLimited> {
        self.reserve_at(crate::breaker::clock::default_now(), Duration::ZERO)
            .map(|_| ())
    }

    /// A call arriving at `now` that may wait up to `max_wait`: the wait before its reserved
    /// permit (zero: admitted at once). The caller sleeps that long, then runs. One
    /// compare-and-swap; a rejection leaves the limiter as it was.
    ///
    /// # Errors
    /// [`RateLimited`] when the permit is further away than `max_wait`.
    #[inline]
    pub fn reserve_at(&self, now: Instant, max_wait: Duration) -> Result<Duration, RateLimited> {
        self.reserve_on_clock(clock::at(now), max_wait)
    }

    /// [`reserve_at`](Self::reserve_at) for a call arriving at `now` on the limiter's
    /// [`clock`].
    #[inline]
    pub(crate) fn reserve_on_clock(
        &self,
        now: u64,
        max_wait: Duration,
    ) -> Result<Duration, RateLimited> {
        self.reserve_nanos(now, max_wait).map(Duration::from_nanos)
    }

    /// [`reserve_on_clock`](Self::reserve_on_clock), the wait in nanoseconds.
    #[inline]
    pub(crate) fn reserve_nanos(&self, now: u64, max_wait: Duration) -> Result<u64, RateLimited> {
        #[cfg(feature = "redis")]
        if self.shared.mode() != shared::LOCAL {
            return self.reserve_shared(now, max_wait);
        }
        self.reserve_gcra(now, max_wait, self.interval, self.tolerance)
    }

    /// The GCRA's admission, at `interval` between permits with `tolerance`.
    #[inline]
    fn reserve_gcra(
        &self,
        now: u64,
        max_wait: Duration,
        interval: u64,
        tolerance: u64,
    ) -> Result<u64, RateLimited> {
        let max_wait = nanos(max_wait);
        let mut tat = self.tat.load(Ordering::Relaxed);
        loop {
            let start = tat.max(now);
            let wait = (start - now).saturating_sub(tolerance);
            if wait > max_wait {
                return Err(self.reject(wait));
            }
            let next = start.saturating_add(interval);
            match self
                .tat
                .compare_exchange_weak(tat, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => {
                    #[cfg(feature = "metrics")]
                    crate::events::rate_limiter_available(
                        &self.source,
                        available_at(now, next, interval, tolerance),
                    );
                    return Ok(wait);
                }
                Err(actual) => tat = actual,
            }
        }
    }

    /// Admission of a limiter a fleet link shares: a leased permit (or one borrowed, if the
    /// call may wait for this process's share to earn it), or, while Redis is down, the GCRA at
    /// this process's share.
    #[cfg(feature = "redis")]
    #[inline(never)]
    fn reserve_shared(&self, now: u64, max_wait: Duration) -> Result<u64, RateLimited> {
        use std::sync::atomic::Ordering::Relaxed;
        if self.shared.mode() == shared::LEASED {
            let members = u64::from(self.shared.members.load(Relaxed).max(1));
            let per_permit = self.interval.saturating_mul(members);
            return match self.shared.take(per_permit, nanos(max_wait)) {
                Ok(wait) => {
                    #[cfg(feature = "metrics")]
                    crate::events::rate_limiter_available(
                        &self.source,
                        self.shared.pool.load(Relaxed),
                    );
                    Ok(wait)
                }
                Err(wait) => Err(self.reject(wait)),
            };
        }
        let interval = self.shared.interval.load(Relaxed);
        let tolerance = self.shared.tolerance.load(Relaxed);
        self.reserve_gcra(now, max_wait, interval, tolerance)
    }

    /// The fleet link shares this limiter from now on: calls take the permits it leases.
    #[cfg(feature = "redis")]
    pub(crate) fn join_fleet(&self) {
        use std::sync::atomic::Ordering::Release;
        if self.shared.mode.swap(shared::LEASED, Release) != shared::LEASED {
            self.shared.pool.store(0, Release);
        }
    }

    /// Whether a fleet link leases this limiter's permits now.
    #[cfg(feature = "redis")]
    pub(crate) fn is_leased(&self) -> bool {
        self.shared.mode.load(std::sync::atomic::Ordering::Acquire) == shared::LEASED
    }

    /// Permits leased to this process and not taken yet (below zero: borrowed).
    #[cfg(feature = "redis")]
    pub(crate) fn leased_permits(&self) -> i64 {
        self.shared.pool.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Permits leased from the fleet, how many processes share the limiter, and the most that
    /// waiting calls may borrow ahead of the leases (one lease).
    #[cfg(feature = "redis")]
    pub(crate) fn credit_lease(&self, permits: i64, members: u32, lease: u32) {
        use std::sync::atomic::Ordering::Release;
        self.shared.members.store(members.max(1), Release);
        self.shared.most_borrowed.store(lease, Release);
        self.shared
            .pool
            .fetch_add(permits, std::sync::atomic::Ordering::AcqRel);
    }

    /// The link lost Redis: this process admits its last known share of the fleet's limit
    /// (`per_second / n`, bursts of `burst / n`, at least one) until the link is back.
    #[cfg(feature = "redis")]
    pub(crate) fn share_while_down(&self) {
        use std::sync::atomic::Ordering::{Relaxed, Release};
        let members = self.shared.members.load(Relaxed);
        let (interval, tolerance) = shared::share_of(self.interval, self.config.burst(), members);
        self.shared.interval.store(interval, Relaxed);
        self.shared.tolerance.store(tolerance, Relaxed);
        // Its own GCRA starts with the share's burst; leased permits left are dropped.
        self.tat.store(0, Ordering::Relaxed);
        self.shared.pool.store(0, Release);
        self.shared.mode.store(shared::SHARE, Release);
    }

    /// The link stopped: the limiter is this process's own again, at its settings.
    #[cfg(feature = "redis")]
    pub(crate) fn leave_fleet(&self) {
        use std::sync::atomic::Ordering::Release;
        self.shared.mode.store(shared::LOCAL, Release);
        self.shared.pool.store(0, Release);
    }

    /// A permit, waiting up to `max_wait` for it, blocking this thread (on a thread holding
    /// [`pause_sync_time`](crate::testing::pause_sync_time), the wait advances the paused clock
    /// instead). Admitted at once on the coarse monotonic clock of sync calls when that reading
    /// allows it (`CLOCK_MONOTONIC_COARSE` on Linux and Android: the kernel's last tick, a few
    /// milliseconds behind), else decided on `Instant::now()` (or the paused clock), so the
    /// coarse clock's lag never makes the call wait or be rejected.
    ///
    /// # Errors
    /// [`RateLimited`] when the permit is further away than `max_wait`.
    pub fn acquire_blocking(&self, max_wait: Duration) -> Result<(), RateLimited> {
        if self.try_admit_sync() {
            return Ok(());
        }
        self.acquire_sync_exact(max_wait)
    }

    /// A sync call admitted at once on the coarse clock (or the paused one), if it can be:
    /// `false` when it cannot, or when a fleet link shares the limiter, with nothing changed or
    /// counted. The call is then decided on the exact clock, by
    /// [`acquire_sync_exact`](Self::acquire_sync_exact).
    #[inline]
    pub(crate) fn try_admit_sync(&self) -> bool {
        #[cfg(feature = "redis")]
        if self.shared.mode() != shared::LOCAL {
            return false;
        }
        let now = coarse_or_paused_now();
        let mut tat = self.tat.load(Ordering::Relaxed);
        if tat >= now && (tat - now).saturating_add(self.race_room) <= self.tolerance {
            return self.admit_busy(now);
        }
        loop {
            let start = tat.max(now);
            if start - now > self.tolerance {
                return false;
            }
            let next = start.saturating_add(self.interval);
            match self
                .tat
                .compare_exchange_weak(tat, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => {
                    self.report_admitted(now, next);
                    return true;
                }
                Err(actual) => tat = actual,
            }
        }
    }

    /// Admission while the TAT is ahead of `now` with room for [`RACERS`] more calls: the GCRA
    /// moves it one interval on from wherever it is (`max(TAT, now)` is the TAT), which a
    /// `fetch_add` does without the compare-and-swap's retries when threads race. The call is
    /// admitted if the TAT it moved on was still ahead of `now` and within the tolerance, exactly
    /// as the compare-and-swap would have admitted it. Otherwise (a `reset` lowered the TAT
    /// between the load and the add, or more than [`RACERS`] calls were admitted in between)
    /// the interval is taken back if nobody has moved the TAT since, and the call is decided on
    /// the exact clock. If somebody has, the interval stays taken: the limiter admits one call
    /// fewer, never one more.
    #[inline]
    fn admit_busy(&self, now: u64) -> bool {
        let previous = self.tat.fetch_add(self.interval, Ordering::Relaxed);
        if previous >= now && previous - now <= self.tolerance {
            self.report_admitted(now, previous.saturating_add(self.interval));
            return true;
        }
        self.take_back(previous);
        false
    }

    /// Takes back the interval a lost [`admit_busy`](Self::admit_busy) added after `previous`.
    #[cold]
    #[inline(never)]
    fn take_back(&self, previous: u64) {
        let _ = self.tat.compare_exchange(
            previous.wrapping_add(self.interval),
            previous,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    /// The `ratelimiter_available_permissions` gauge after an admission at `now` that moved the
    /// TAT to `next`; nothing without the `metrics` feature.
    #[inline]
    #[cfg_attr(not(feature = "metrics"), allow(clippy::unused_self, unused_variables))]
    fn report_admitted(&self, now: u64, next: u64) {
        #[cfg(feature = "metrics")]
        crate::events::rate_limiter_available(
            &self.source,
            available_at(now, next, self.interval, self.tolerance),
        );
    }

    /// A sync call that the coarse clock did not admit at once, decided on the exact clock
    /// (`Instant::now()`, or the paused one): admitted, after sleeping this thread up to
    /// `max_wait` for its turn, or rejected.
    #[cold]
    #[inline(never)]
    pub(crate) fn acquire_sync_exact(&self, max_wait: Duration) -> Result<(), RateLimited> {
        let wait = self.reserve_nanos(clock::at(crate::sleep::now_sync()), max_wait)?;
        if wait != 0 {
            self.sleep_blocking(Duration::from_nanos(wait));
        }
        Ok(())
    }

    /// A permit, waiting up to `max_wait` for it on `S`'s clock (tokio's, with
    /// [`TokioSleeper`](crate::TokioSleeper), so paused test time drives the wait).
    ///
    /// # Errors
    /// [`RateLimited`] when the permit is further away than `max_wait`.
    pub async fn acquire_with<S: AsyncSleeper>(
        &self,
        max_wait: Duration,
    ) -> Result<(), RateLimited> {
        let wait = self.reserve_at(S::now(), max_wait)?;
        if !wait.is_zero() {
            self.sleep_async::<S>(wait).await;
        }
        Ok(())
    }

    /// [`acquire_with`](Self::acquire_with) on tokio's clock.
    ///
    /// # Errors
    /// [`RateLimited`] when the permit is further away than `max_wait`.
    #[cfg(feature = "tokio")]
    pub async fn acquire(&self, max_wait: Duration) -> Result<(), RateLimited> {
        self.acquire_with::<crate::TokioSleeper>(max_wait).await
    }

    /// Sleeps this thread until a reserved permit's turn.
    #[cold]
    #[inline(never)]
    pub(crate) fn sleep_blocking(&self, wait: Duration) {
        let _waiting = Waiting::start(self);
        crate::sleep::sleep_sync(wait);
    }

    /// Sleeps this task until a reserved permit's turn.
    pub(crate) async fn sleep_async<S: AsyncSleeper>(&self, wait: Duration) {
        let _waiting = Waiting::start(self);
        S::sleep(wait).await;
    }

    #[cold]
    fn reject(&self, wait: u64) -> RateLimited {
        self.rejected
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let limited = RateLimited {
            name: self.name,
            retry_after: Duration::from_nanos(wait),
        };
        crate::events::rate_limited(&self.source, &limited);
        limited
    }
}

/// A call sleeping until its reserved permit, counted while it lives.
struct Waiting<'a>(&'a RateLimiter);

impl<'a> Waiting<'a> {
    fn start(limiter: &'a RateLimiter) -> Waiting<'a> {
        limiter
            .waited
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        limiter
            .waiting
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        crate::events::rate_limiter_waiting(&limiter.source, true);
        Waiting(limiter)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0
            .waiting
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        crate::events::rate_limiter_waiting(&self.0.source, false);
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("name", &self.name)
            .field("config", &self.config)
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

/// Permits a call arriving at `now` could take at once, with the TAT at `tat`.
fn available_at(now: u64, tat: u64, interval: u64, tolerance: u64) -> i64 {
    let ahead = i128::from(tat) - i128::from(now);
    let left = i128::from(tolerance) + i128::from(interval) - ahead.max(0);
    i64::try_from(left.div_euclid(i128::from(interval))).unwrap_or(i64::MIN)
}

/// A sync call's first reading: the paused sync clock on a thread holding
/// [`pause_sync_time`](crate::testing::pause_sync_time), else the coarse clock.
#[inline]
fn coarse_or_paused_now() -> u64 {
    if crate::sleep::is_paused() {
        return paused_now();
    }
    clock::coarse_now()
}

/// The paused sync clock's time on the limiter's clock.
#[cold]
#[inline(never)]
fn paused_now() -> u64 {
    crate::sleep::paused_now().map_or_else(clock::coarse_now, clock::at)
}

use clock::nanos;
