//! Client-side adaptive throttling, as the Google SRE book describes it ("Handling Overload",
//! chapter 21): each client counts, over the last `window` (two minutes by default), the
//! requests it made (`R`, the ones it rejected itself included) and the requests the backend
//! accepted (`A`), and rejects a new call locally, without sending it, with probability
//!
//! ```text
//! max(0, (R - k A) / (R + 1))
//! ```
//!
//! While the backend accepts everything, `R = A` and nothing is rejected. When it starts
//! failing, a client keeps sending until `R` reaches `k` times `A`, then sends about `k A + 1`
//! requests a window, however many its callers make: a backend that accepts a tenth of what it
//! is sent receives a fraction of the load, and what it does accept keeps the throttle open.
//! Counting the rejected requests in `R` is what the book prescribes and what makes the
//! throttle recover: when the backend heals, the few requests sent are accepted, each raises
//! `A`, and the probability falls back to zero within a few windows; once the failures leave
//! the window it is zero again whatever happened before.
//!
//! Admission is one clock read, a comparison with the end of the calling thread's last bucket
//! (kept per thread, so that the time since the origin is worked out, and the window moved on,
//! once a bucket, not on each call), four loads for
//! `R` and `A`, a comparison of `R` with `k A` in integers, and one `fetch_add` for the request;
//! an accept is one more `fetch_add`. No lock, no allocation, and no random draw while
//! `R <= k A`; the draw, from the runtime's generator (seeded by
//! [`testing::seed_jitter`](crate::testing::seed_jitter)), only when a call may be rejected.
//! Measured with callgrind (`benches/instructions.sh`): a bare fn 11 instructions, the same
//! after one clock read 47, under `#[throttle]` 107.
//! See [`window`] for the counting.

pub(crate) mod registry;
// What expansions call, reached through `__private` only: not in the API listing.
#[doc(hidden)]
pub(crate) mod site;
pub(crate) mod sync;
pub(crate) mod window;

use std::cell::Cell;
use std::error::Error;
use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use self::window::Window;
use retry_settings::ThrottleConfig;

/// A client-side throttle. Sites that name the same throttle share one instance through the
/// registry ([`throttle`](crate::throttle()) looks one up); [`Throttle::new`] makes a private
/// one.
///
/// ```
/// use std::time::{Duration, Instant};
/// use retry_runtime::{Throttle, ThrottleConfig};
///
/// let throttle = Throttle::new("search", ThrottleConfig::DEFAULT);
/// let now = Instant::now();
/// // The backend accepts one call and fails two: R = 3, A = 1.
/// throttle.try_acquire_at(now)?.record_accepted();
/// throttle.try_acquire_at(now)?.record_failed();
/// throttle.try_acquire_at(now)?.record_failed();
/// let counts = throttle.counts_at(now);
/// assert_eq!((counts.requests, counts.accepts), (3, 1));
/// // (R - 2 A) / (R + 1) = 1 / 4: a call now is rejected one time in four.
/// assert_eq!(throttle.rejection_probability_at(now), 0.25);
/// // Two minutes later the window has moved past them.
/// assert_eq!(throttle.rejection_probability_at(now + Duration::from_secs(120)), 0.0);
/// # Ok::<(), retry_runtime::Throttled>(())
/// ```
pub struct Throttle {
    name: &'static str,
    source: crate::events::Source,
    config: ThrottleConfig,
    /// `k` in 1024ths, rounded down: admission compares `1024 R` with it times `A` in integers,
    /// and only a call that may be rejected computes the probability in floating point.
    k_fixed: u64,
    /// Tells throttles apart in the threads' bucket caches.
    id: u64,
    window: Window,
    /// The first call's time, on the clock of the call that asked (tokio's for async sites, so
    /// paused test time applies); buckets count from it.
    origin: OnceLock<Instant>,
    rejected: AtomicU64,
}

/// A call was rejected locally by its throttle: the backend accepted too few of the recent
/// requests, and the call was not sent.
///
/// `#[throttle]` returns `Err(E::from(Throttled { .. }))` without running the body, so the fn's
/// error type needs `impl From<Throttled>`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Throttled {
    /// The throttle's name.
    pub name: &'static str,
    /// The probability of rejection the call was drawn against, above 0 and below 1.
    pub probability: f64,
}

impl fmt::Display for Throttled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "throttle `{}` rejected the call locally: the backend accepted too few recent requests (rejection probability {:.3})",
            self.name, self.probability
        )
    }
}

impl Error for Throttled {}

/// What a throttle counts: the window's requests and accepts (the `R` and `A` of the formula),
/// and the calls it rejected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThrottleCounts {
    /// Requests in the window (`R`): every call, the ones rejected locally included.
    pub requests: u64,
    /// Requests in the window the backend accepted (`A`).
    pub accepts: u64,
    /// Calls rejected locally since the throttle was created (or [reset](Throttle::reset)).
    pub rejected: u64,
}

/// The right to send one call through a [`Throttle`]: say how it went with
/// [`record_accepted`](Self::record_accepted) or [`record_failed`](Self::record_failed).
///
/// The call counted as a request when the permit was given. A permit dropped without a record
/// (the call's future dropped, a panic) leaves it a request that was not accepted, as a timeout
/// would be.
#[must_use = "a call's outcome is recorded through its permit"]
pub struct ThrottlePermit<'a> {
    throttle: &'a Throttle,
}

impl Throttle {
    /// A throttle outside the registry.
    pub fn new(name: &'static str, config: ThrottleConfig) -> Throttle {
        static IDS: AtomicU64 = AtomicU64::new(0);
        // `k` is from 1 to 10, so this is from 1024 to 10240.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let k_fixed = (config.k() * f64::from(K_SCALE_32)).floor() as u64;
        Throttle {
            name,
            source: crate::events::Source::throttle(name),
            config,
            k_fixed,
            id: IDS.fetch_add(1, Ordering::Relaxed),
            window: Window::new(config.window()),
            origin: OnceLock::new(),
            rejected: AtomicU64::new(0),
        }
    }

    /// The throttle's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its settings.
    pub fn config(&self) -> &ThrottleConfig {
        &self.config
    }

    /// The probability that a call made now is rejected: `max(0, (R - k A) / (R + 1))` over
    /// the window ending now, on the clock breakers read (tokio's, or the paused sync clock on a
    /// thread that paused it).
    pub fn rejection_probability(&self) -> f64 {
        self.rejection_probability_at(crate::breaker::clock::default_now())
    }

    /// [`rejection_probability`](Self::rejection_probability) at `now`.
    pub fn rejection_probability_at(&self, now: Instant) -> f64 {
        self.enter(now);
        let (requests, accepts) = self.window.counts();
        self.probability(requests, accepts)
    }

    /// The window's requests and accepts now (on the clock of
    /// [`rejection_probability`](Self::rejection_probability)), and the calls rejected so far.
    pub fn counts(&self) -> ThrottleCounts {
        self.counts_at(crate::breaker::clock::default_now())
    }

    /// [`counts`](Self::counts) with the window ending at `now`.
    pub fn counts_at(&self, now: Instant) -> ThrottleCounts {
        self.enter(now);
        let (requests, accepts) = self.window.counts();
        ThrottleCounts {
            requests,
            accepts,
            rejected: self.rejected.load(Ordering::Relaxed),
        }
    }

    /// Back to a new throttle's state: nothing counted.
    pub fn reset(&self) {
        self.window.clear();
        self.rejected.store(0, Ordering::Relaxed);
    }

    /// Admits a call now, or rejects it, on the clock breakers read (tokio's, or the paused
    /// sync clock on a thread that paused it).
    ///
    /// # Errors
    /// [`Throttled`] when the call is rejected.
    pub fn try_acquire(&self) -> Result<ThrottlePermit<'_>, Throttled> {
        self.try_acquire_at(crate::breaker::clock::default_now())
    }

    /// Admits a call arriving at `now`, or rejects it: either way it counts as a request.
    ///
    /// # Errors
    /// [`Throttled`] when the call is rejected, with the probability it was drawn against.
    #[inline]
    pub fn try_acquire_at(&self, now: Instant) -> Result<ThrottlePermit<'_>, Throttled> {
        self.enter(now);
        let (requests, accepts) = self.window.counts();
        // In 128 bits: no product of two 64-bit counts overflows.
        if u128::from(requests) * u128::from(K_SCALE)
            > u128::from(self.k_fixed) * u128::from(accepts)
        {
            return self.decide(requests, accepts);
        }
        #[cfg(feature = "metrics")]
        crate::events::throttle_probability(&self.source, 0.0);
        self.window.add_request();
        Ok(ThrottlePermit { throttle: self })
    }

    /// Who its events are about.
    pub(crate) fn source(&self) -> &crate::events::Source {
        &self.source
    }

    /// Moves the window on to the bucket `now` falls in. Nothing to do while `now` is before
    /// the end of this thread's last bucket of this throttle (one comparison of instants), which
    /// the window had already reached; otherwise the bucket is worked out from the origin. A
    /// time before that bucket (a thread switching between clocks, paused and not) counts in it,
    /// as the window has moved on to it anyway.
    #[inline]
    fn enter(&self, now: Instant) {
        if let Ok(Some(last)) = LAST_BUCKET.try_with(Cell::get)
            && last.throttle == self.id
            && now < last.ends
        {
            return;
        }
        self.enter_bucket(now);
    }

    /// Works out the bucket `now` falls in from the time since the origin, moves the window on
    /// to it, and keeps it as this thread's last once the window is there (a sweep skipped
    /// because another was under way leaves it to the next call).
    #[cold]
    #[inline(never)]
    fn enter_bucket(&self, now: Instant) {
        let origin = *self.origin.get_or_init(|| now);
        let bucket = self
            .window
            .bucket(nanos(now.saturating_duration_since(origin)));
        self.window.advance(bucket);
        if self.window.swept() < bucket {
            return;
        }
        let length = self.window.bucket_nanos();
        let ends = bucket
            .checked_add(1)
            .and_then(|next| next.checked_mul(length))
            .and_then(|nanos| origin.checked_add(Duration::from_nanos(nanos)));
        if let Some(ends) = ends {
            let _ = LAST_BUCKET.try_with(|last| {
                last.set(Some(LastBucket {
                    throttle: self.id,
                    ends,
                }));
            });
        }
    }

    fn probability(&self, requests: u64, accepts: u64) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let (requests, accepts) = (requests as f64, accepts as f64);
        ((requests - self.config.k() * accepts) / (requests + 1.0)).max(0.0)
    }

    /// `R > k A`: the call is rejected with the formula's probability, drawn from this
    /// thread's generator.
    #[cold]
    #[inline(never)]
    fn decide(&self, requests: u64, accepts: u64) -> Result<ThrottlePermit<'_>, Throttled> {
        let probability = self.probability(requests, accepts);
        #[cfg(feature = "metrics")]
        crate::events::throttle_probability(&self.source, probability);
        self.window.add_request();
        // `k` rounded down for the integer check: `R` may be just above it and not above `k A`.
        if probability > 0.0 && crate::rng::unit_draw() < probability {
            return Err(self.reject(probability));
        }
        Ok(ThrottlePermit { throttle: self })
    }

    /// A rejection, counted and reported.
    #[cold]
    fn reject(&self, probability: f64) -> Throttled {
        self.rejected.fetch_add(1, Ordering::Relaxed);
        let throttled = Throttled {
            name: self.name,
            probability,
        };
        crate::events::throttled(&self.source, &throttled);
        throttled
    }
}

impl ThrottlePermit<'_> {
    /// The backend accepted the call: it answered (an `Ok`, or an error that says nothing of
    /// its load).
    #[inline]
    pub fn record_accepted(self) {
        self.throttle.window.add_accept();
        #[cfg(feature = "metrics")]
        crate::events::throttle_call(&self.throttle.source, true);
    }

    /// The backend did not accept the call (it failed, timed out, or said it is overloaded):
    /// the call stays a request without an accept.
    #[inline]
    pub fn record_failed(self) {
        #[cfg(feature = "metrics")]
        crate::events::throttle_call(&self.throttle.source, false);
        #[cfg(not(feature = "metrics"))]
        let _ = self;
    }

    /// The call never reached the backend (a strategy inside the throttle rejected it): it is
    /// not counted at all.
    pub fn record_ignored(self) {
        self.throttle.window.remove_request();
    }
}

impl fmt::Debug for Throttle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Throttle")
            .field("name", &self.name)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ThrottlePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThrottlePermit")
            .field("throttle", &self.throttle.name)
            .finish()
    }
}

/// `k`'s scale in the integer check of admission.
const K_SCALE: u64 = 1024;
const K_SCALE_32: u32 = 1024;

/// A thread's last bucket: of which throttle, and when it ends.
#[derive(Clone, Copy)]
struct LastBucket {
    throttle: u64,
    ends: Instant,
}

thread_local! {
    // A calling thread finds its bucket with one comparison of instants, and works it out from
    // the origin (a subtraction of instants, dearer than the rest of admission) once a bucket,
    // or on each call while it alternates between throttles.
    static LAST_BUCKET: Cell<Option<LastBucket>> = const { Cell::new(None) };
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}
