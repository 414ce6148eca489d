//! Metrics through the `metrics` facade, with resilience4j's names and labels so that existing
//! dashboards fit (feature `metrics`). Every name starts with a prefix, `resilience4j_` unless
//! [`set_prefix`] says otherwise:
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `retry_calls_total` | counter | `name`, `kind` = `successful_without_retry`, `successful_with_retry`, `failed_without_retry`, `failed_with_retry` |
//! | `retry_attempts_total` | counter | `name` |
//! | `retry_delay_seconds` | histogram | `name` |
//! | `circuitbreaker_state` | gauge, 1 for the current state and 0 for the others | `name`, `state` |
//! | `circuitbreaker_calls_total` | counter | `name`, `kind` = `successful`, `failed`, `ignored` |
//! | `circuitbreaker_not_permitted_calls_total` | counter | `name` |
//! | `circuitbreaker_transitions_total` | counter | `name`, `from`, `to` |
//! | `circuitbreaker_failure_rate` | gauge, 0 to 1 | `name` |
//! | `bulkhead_available_concurrent_calls` | gauge | `name` |
//! | `bulkhead_max_allowed_concurrent_calls` | gauge | `name` |
//! | `ratelimiter_available_permissions` | gauge, negative while waiting calls hold reservations | `name` |
//! | `ratelimiter_waiting_threads` | gauge | `name` |
//! | `hedge_calls_total` | counter | `name`, `kind` = `primary_won`, `hedge_won`, `failed` |
//! | `chaos_injections_total` | counter | `name`, `kind` = `fault`, `latency` |
//! | `throttle_rejection_probability` | gauge, 0 to 1, as the last call saw it | `name` |
//! | `throttle_calls_total` | counter | `name`, `kind` = `accepted`, `failed`, `rejected` |
//! | `adaptive_limit_limit` | gauge | `name` |
//! | `adaptive_limit_inflight` | gauge | `name` |
//! | `adaptive_limit_rejected_calls_total` | counter | `name` |
//!
//! `circuitbreaker_calls_total` also has `kind = cancelled`, for calls whose future was dropped.
//!
//! Labels carry only site and breaker names, never argument values. Each site and breaker
//! resolves its metric handles once per recorder, on its first event, and keeps them: recording
//! then takes no lock, allocates nothing and formats nothing. A recorder installed later gets
//! handles of its own (up to four recorders per site). A thread-local recorder on the stack
//! (`metrics::with_local_recorder` in a test), the closure API, and a fifth recorder have their
//! series registered with the recorder on each event instead, which is correct but slower.
//!
//! The two counts of the hottest path, a retry site's first-attempt successes
//! (`retry_calls_total{kind="successful_without_retry"}` and `retry_attempts_total`) and a
//! breaker's successes (`circuitbreaker_calls_total{kind="successful"}`), are counted without
//! contention: the thread that resolved the handles (the first to record them) increments the
//! recorder's counters itself, and every other thread counts on a stripe of its own (8 stripes,
//! each on its own cache lines) and adds a stripe's count to the recorder's counters every
//! [`BATCH`] calls. One counter shared by all threads would move its cache line between cores on
//! every call. So a series may lag its true count by less than [`BATCH`] per stripe, until
//! [`flush`] adds what the stripes hold: call it before the recorder's counters are read (in a
//! Prometheus scrape handler, before `PrometheusHandle::render`) and the counts are exact. A
//! source that is dropped (a breaker made with `CircuitBreaker::new`) adds its stripes then.

use std::cell::Cell;
use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use metrics::{
    Counter, Gauge, Histogram, Key, KeyName, Label, Level, Metadata, SharedString, Unit,
};

use super::{BreakerOutcome, ChaosKind, Event, HedgeOutcome, Source};
use crate::breaker_state::BreakerState;

const DEFAULT_PREFIX: &str = "resilience4j_";

static PREFIX: OnceLock<&'static str> = OnceLock::new();
static NAMES: OnceLock<Names> = OnceLock::new();
static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

struct Names {
    retry_calls: &'static str,
    retry_attempts: &'static str,
    retry_delay: &'static str,
    breaker_state: &'static str,
    breaker_calls: &'static str,
    breaker_not_permitted: &'static str,
    breaker_transitions: &'static str,
    breaker_failure_rate: &'static str,
    bulkhead_available: &'static str,
    bulkhead_max_allowed: &'static str,
    rate_limiter_available: &'static str,
    rate_limiter_waiting: &'static str,
    hedge_calls: &'static str,
    chaos_injections: &'static str,
    throttle_probability: &'static str,
    throttle_calls: &'static str,
    adaptive_limit: &'static str,
    adaptive_inflight: &'static str,
    adaptive_rejected: &'static str,
}

/// [`set_prefix`] was called after the first metric was recorded, or twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixAlreadySet {
    /// The prefix in use.
    pub current: &'static str,
}

impl fmt::Display for PrefixAlreadySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the metrics prefix is already `{}`; call set_prefix once, before the first retry or breaker call",
            self.current
        )
    }
}

impl Error for PrefixAlreadySet {}

/// Sets the prefix of every metric name (default `resilience4j_`); call it once at start-up,
/// before any retry or breaker runs.
///
/// ```
/// retry_runtime::metrics::set_prefix("myapp_").unwrap();
/// assert!(retry_runtime::metrics::set_prefix("other_").is_err());
/// ```
///
/// # Errors
/// [`PrefixAlreadySet`] when a prefix is already in use.
pub fn set_prefix(prefix: &str) -> Result<(), PrefixAlreadySet> {
    let leaked: &'static str = Box::leak(prefix.to_owned().into_boxed_str());
    PREFIX.set(leaked).map_err(|_| PrefixAlreadySet {
        current: prefix_in_use(),
    })?;
    if NAMES.get().is_some() {
        return Err(PrefixAlreadySet {
            current: DEFAULT_PREFIX,
        });
    }
    Ok(())
}

fn prefix_in_use() -> &'static str {
    PREFIX.get().copied().unwrap_or(DEFAULT_PREFIX)
}

fn names() -> &'static Names {
    NAMES.get_or_init(|| {
        let prefix = *PREFIX.get_or_init(|| DEFAULT_PREFIX);
        let name = |suffix: &str| -> &'static str {
            Box::leak(format!("{prefix}{suffix}").into_boxed_str())
        };
        let names = Names {
            retry_calls: name("retry_calls_total"),
            retry_attempts: name("retry_attempts_total"),
            retry_delay: name("retry_delay_seconds"),
            breaker_state: name("circuitbreaker_state"),
            breaker_calls: name("circuitbreaker_calls_total"),
            breaker_not_permitted: name("circuitbreaker_not_permitted_calls_total"),
            breaker_transitions: name("circuitbreaker_transitions_total"),
            breaker_failure_rate: name("circuitbreaker_failure_rate"),
            bulkhead_available: name("bulkhead_available_concurrent_calls"),
            bulkhead_max_allowed: name("bulkhead_max_allowed_concurrent_calls"),
            rate_limiter_available: name("ratelimiter_available_permissions"),
            rate_limiter_waiting: name("ratelimiter_waiting_threads"),
            hedge_calls: name("hedge_calls_total"),
            chaos_injections: name("chaos_injections_total"),
            throttle_probability: name("throttle_rejection_probability"),
            throttle_calls: name("throttle_calls_total"),
            adaptive_limit: name("adaptive_limit_limit"),
            adaptive_inflight: name("adaptive_limit_inflight"),
            adaptive_rejected: name("adaptive_limit_rejected_calls_total"),
        };
        describe_names(&names);
        names
    })
}

/// Declares every metric's unit and help text to the current recorder. Done automatically with
/// the first event; call it again after installing a recorder later.
pub fn describe() {
    describe_names(names());
}

fn describe_names(names: &Names) {
    metrics::with_recorder(|recorder| {
        let counter = |name: &'static str, help: &'static str| {
            recorder.describe_counter(
                KeyName::from_const_str(name),
                Some(Unit::Count),
                SharedString::const_str(help),
            );
        };
        counter(names.retry_calls, "Calls through a retry site, by outcome");
        counter(
            names.retry_attempts,
            "Attempts made by a retry site, first attempts included",
        );
        counter(
            names.breaker_calls,
            "Calls recorded by a circuit breaker, by outcome",
        );
        counter(
            names.breaker_not_permitted,
            "Calls a circuit breaker rejected without running",
        );
        counter(
            names.breaker_transitions,
            "State transitions of a circuit breaker",
        );
        recorder.describe_histogram(
            KeyName::from_const_str(names.retry_delay),
            Some(Unit::Seconds),
            SharedString::const_str("Delays slept before retries"),
        );
        recorder.describe_gauge(
            KeyName::from_const_str(names.breaker_state),
            Some(Unit::Count),
            SharedString::const_str("1 for the circuit breaker's current state, 0 for the others"),
        );
        recorder.describe_gauge(
            KeyName::from_const_str(names.breaker_failure_rate),
            Some(Unit::Percent),
            SharedString::const_str("Failure rate over the circuit breaker's window, 0 to 1"),
        );
        let gauge = |name: &'static str, help: &'static str| {
            recorder.describe_gauge(
                KeyName::from_const_str(name),
                Some(Unit::Count),
                SharedString::const_str(help),
            );
        };
        gauge(
            names.bulkhead_available,
            "Calls a bulkhead can admit now without waiting",
        );
        gauge(
            names.bulkhead_max_allowed,
            "The most calls a bulkhead runs at once",
        );
        gauge(
            names.rate_limiter_available,
            "Calls a rate limiter can admit now without waiting (negative while waiting calls hold reservations)",
        );
        gauge(
            names.rate_limiter_waiting,
            "Calls waiting for a rate limiter's permit",
        );
        counter(
            names.hedge_calls,
            "Hedged calls, by which attempt's outcome was returned",
        );
        counter(
            names.chaos_injections,
            "Faults and latencies injected by chaos, by kind",
        );
        counter(
            names.throttle_calls,
            "Calls through a client-side throttle: accepted or failed by the backend, or rejected locally",
        );
        recorder.describe_gauge(
            KeyName::from_const_str(names.throttle_probability),
            Some(Unit::Percent),
            SharedString::const_str(
                "The probability that a client-side throttle rejects a call, 0 to 1, as the last call saw it",
            ),
        );
        gauge(
            names.adaptive_limit,
            "The limit an adaptive limiter enforces now",
        );
        gauge(
            names.adaptive_inflight,
            "Calls an adaptive limiter admitted that have not finished",
        );
        counter(
            names.adaptive_rejected,
            "Calls an adaptive limiter rejected: its limit reached for the site's max_wait",
        );
    });
}

/// Up to three labels; unused slots are empty.
type LabelSet = [(&'static str, &'static str); 3];

const NONE: (&str, &str) = ("", "");

/// The labels of one series, built and kept on first use: for the cold paths only (transitions,
/// and sources that cache no handles).
fn labels(set: LabelSet) -> &'static [Label] {
    static CACHE: OnceLock<Mutex<HashMap<LabelSet, &'static [Label]>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    cache.entry(set).or_insert_with(|| {
        let labels: Vec<Label> = set
            .iter()
            .filter(|(key, _)| !key.is_empty())
            .map(|(key, value)| Label::from_static_parts(key, value))
            .collect();
        Box::leak(labels.into_boxed_slice())
    })
}

fn key(name: &'static str, set: LabelSet) -> Key {
    Key::from_static_parts(name, labels(set))
}

/// The recorder events go to now: the thread's local one, else the global one, else a no-op.
fn recorder_id() -> usize {
    metrics::with_recorder(|recorder| std::ptr::from_ref(recorder).cast::<()>() as usize)
}

fn counter(name: &'static str, set: LabelSet) -> Counter {
    let key = key(name, set);
    metrics::with_recorder(|recorder| recorder.register_counter(&key, &METADATA))
}

fn gauge(name: &'static str, set: LabelSet) -> Gauge {
    let key = key(name, set);
    metrics::with_recorder(|recorder| recorder.register_gauge(&key, &METADATA))
}

fn histogram(name: &'static str, set: LabelSet) -> Histogram {
    let key = key(name, set);
    metrics::with_recorder(|recorder| recorder.register_histogram(&key, &METADATA))
}

/// Whether `address` is on the current thread's stack, as a recorder made for one scope is. A
/// global recorder lives in static or leaked memory, never there.
fn on_this_stack(address: usize) -> bool {
    let marker = 0_u8;
    let here = std::ptr::from_ref(&marker) as usize;
    // Far more than any frame between a test's recorder and this call, far less than the
    // distance from a thread's stack to static or heap memory.
    here.abs_diff(address) < 1 << 23
}

/// Recorders a source keeps handles for.
const RECORDERS: usize = 4;

/// A source's metric handles, one set per recorder seen.
#[derive(Debug)]
pub(crate) struct Handles {
    kind: Kind,
    resolved: [OnceLock<Resolved>; RECORDERS],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Retry,
    Breaker,
    /// A bulkhead, with its number of slots.
    Bulkhead {
        max_concurrent: u32,
    },
    /// A rate limiter, with its burst.
    RateLimiter {
        burst: u32,
    },
    Hedge,
    Chaos,
    Throttle,
    /// An adaptive limiter, with its initial limit.
    AdaptiveLimiter {
        limit: u32,
    },
    /// The closure API's per-call sources: nothing kept.
    Transient,
}

#[derive(Debug)]
struct Resolved {
    recorder: usize,
    series: Series,
}

#[derive(Debug)]
enum Series {
    Retry {
        /// In [`RETRY_KINDS`]' order.
        calls: [Counter; 4],
        attempts: Counter,
        delay: Histogram,
        /// First-attempt successes: `calls[0]` and `attempts`, one each.
        first_successes: Arc<HotCount>,
    },
    Breaker {
        /// In [`BREAKER_KINDS`]' order.
        calls: [Counter; 4],
        /// Successes: `calls[0]`.
        successes: Arc<HotCount>,
        not_permitted: Counter,
        failure_rate: Gauge,
        /// One per state, in [`BreakerState::ALL`]'s order.
        states: [Gauge; 6],
        /// The sequence number of the transition the state gauges show: an older one that
        /// arrives late is not applied over it.
        shown: Mutex<u64>,
    },
    Bulkhead {
        available: Gauge,
        max_allowed: Gauge,
    },
    RateLimiter {
        available: Gauge,
        waiting: Gauge,
    },
    Hedge {
        /// In [`HEDGE_KINDS`]' order.
        calls: [Counter; 3],
    },
    Chaos {
        /// In [`CHAOS_KINDS`]' order.
        injections: [Counter; 2],
    },
    Throttle {
        probability: Gauge,
        /// In [`THROTTLE_KINDS`]' order.
        calls: [Counter; 3],
    },
    AdaptiveLimiter {
        limit: Gauge,
        inflight: Gauge,
        rejected: Counter,
    },
}

/// The `kind` labels of `throttle_calls_total`.
const THROTTLE_KINDS: [&str; 3] = ["accepted", "failed", "rejected"];

const RETRY_KINDS: [&str; 4] = [
    "successful_without_retry",
    "successful_with_retry",
    "failed_without_retry",
    "failed_with_retry",
];

const HEDGE_KINDS: [HedgeOutcome; 3] = [
    HedgeOutcome::PrimaryWon,
    HedgeOutcome::HedgeWon,
    HedgeOutcome::Failed,
];

const CHAOS_KINDS: [ChaosKind; 2] = [ChaosKind::Fault, ChaosKind::Latency];

const BREAKER_KINDS: [BreakerOutcome; 4] = [
    BreakerOutcome::Successful,
    BreakerOutcome::Failed,
    BreakerOutcome::Ignored,
    BreakerOutcome::Cancelled,
];

impl Handles {
    pub(crate) const fn retry() -> Handles {
        Handles::new(Kind::Retry)
    }

    pub(crate) const fn breaker() -> Handles {
        Handles::new(Kind::Breaker)
    }

    pub(crate) const fn bulkhead(max_concurrent: u32) -> Handles {
        Handles::new(Kind::Bulkhead { max_concurrent })
    }

    pub(crate) const fn rate_limiter(burst: u32) -> Handles {
        Handles::new(Kind::RateLimiter { burst })
    }

    pub(crate) const fn hedge() -> Handles {
        Handles::new(Kind::Hedge)
    }

    pub(crate) const fn chaos() -> Handles {
        Handles::new(Kind::Chaos)
    }
    pub(crate) const fn throttle() -> Handles {
        Handles::new(Kind::Throttle)
    }
    pub(crate) const fn adaptive_limiter(limit: u32) -> Handles {
        Handles::new(Kind::AdaptiveLimiter { limit })
    }

    pub(crate) const fn transient() -> Handles {
        Handles::new(Kind::Transient)
    }

    const fn new(kind: Kind) -> Handles {
        Handles {
            kind,
            resolved: [const { OnceLock::new() }; RECORDERS],
        }
    }

    /// This source's handles for the current recorder, resolved on its first event there.
    #[inline]
    fn series(&self, name: &'static str) -> Option<&Series> {
        if self.kind == Kind::Transient {
            return None;
        }
        let recorder = recorder_id();
        if on_this_stack(recorder) {
            // A thread-local recorder on the caller's stack (`with_local_recorder` in a test):
            // once it is gone another can take its address, so its handles are not kept.
            return None;
        }
        for slot in &self.resolved {
            let resolved = match slot.get() {
                Some(resolved) => resolved,
                None => slot.get_or_init(|| Resolved::new(self.kind, name, recorder)),
            };
            if resolved.recorder == recorder {
                return Some(&resolved.series);
            }
        }
        None
    }
}

impl Resolved {
    #[cold]
    #[inline(never)]
    fn new(kind: Kind, name: &'static str, recorder: usize) -> Resolved {
        let names = names();
        let name_only = [("name", name), NONE, NONE];
        let series = if let Kind::Bulkhead { max_concurrent } = kind {
            let series = Series::Bulkhead {
                available: gauge(names.bulkhead_available, name_only),
                max_allowed: gauge(names.bulkhead_max_allowed, name_only),
            };
            if let Series::Bulkhead {
                available,
                max_allowed,
            } = &series
            {
                // Until a call says otherwise, every slot is free.
                available.set(f64::from(max_concurrent));
                max_allowed.set(f64::from(max_concurrent));
            }
            series
        } else if let Kind::RateLimiter { burst } = kind {
            let available = gauge(names.rate_limiter_available, name_only);
            // Until a call says otherwise, the whole burst is available.
            available.set(f64::from(burst));
            Series::RateLimiter {
                available,
                waiting: gauge(names.rate_limiter_waiting, name_only),
            }
        } else if kind == Kind::Throttle {
            let probability = gauge(names.throttle_probability, name_only);
            // Until a call says otherwise, nothing is rejected.
            probability.set(0.0);
            Series::Throttle {
                probability,
                calls: THROTTLE_KINDS.map(|kind| {
                    counter(names.throttle_calls, [("name", name), ("kind", kind), NONE])
                }),
            }
        } else if let Kind::AdaptiveLimiter { limit } = kind {
            let gauge_of = |metric| gauge(metric, name_only);
            let (limit_gauge, inflight) = (
                gauge_of(names.adaptive_limit),
                gauge_of(names.adaptive_inflight),
            );
            // Until a window says otherwise, the initial limit, and nothing in flight.
            limit_gauge.set(f64::from(limit));
            inflight.set(0.0);
            Series::AdaptiveLimiter {
                limit: limit_gauge,
                inflight,
                rejected: counter(names.adaptive_rejected, name_only),
            }
        } else if kind == Kind::Hedge {
            Series::Hedge {
                calls: HEDGE_KINDS.map(|kind| {
                    counter(
                        names.hedge_calls,
                        [("name", name), ("kind", kind.name()), NONE],
                    )
                }),
            }
        } else if kind == Kind::Chaos {
            Series::Chaos {
                injections: CHAOS_KINDS.map(|kind| {
                    counter(
                        names.chaos_injections,
                        [("name", name), ("kind", kind.name()), NONE],
                    )
                }),
            }
        } else if kind == Kind::Retry {
            Series::retry(names, name)
        } else {
            Series::breaker(names, name)
        };
        Resolved { recorder, series }
    }
}

impl Series {
    /// A retry site's series, its first-attempt successes counted on stripes.
    fn retry(names: &Names, name: &'static str) -> Series {
        let calls = RETRY_KINDS
            .map(|kind| counter(names.retry_calls, [("name", name), ("kind", kind), NONE]));
        let attempts = counter(names.retry_attempts, [("name", name), NONE, NONE]);
        Series::Retry {
            first_successes: HotCount::register([calls[0].clone(), attempts.clone()]),
            calls,
            attempts,
            delay: histogram(names.retry_delay, [("name", name), NONE, NONE]),
        }
    }

    /// A breaker's series, closed until a transition says otherwise, its successes counted on
    /// stripes.
    fn breaker(names: &Names, name: &'static str) -> Series {
        let states = BreakerState::ALL.map(|state| {
            gauge(
                names.breaker_state,
                [("name", name), ("state", state.name()), NONE],
            )
        });
        // Until a transition says otherwise, a breaker is closed.
        for (state, gauge) in BreakerState::ALL.iter().zip(&states) {
            gauge.set(if *state == BreakerState::Closed {
                1.0
            } else {
                0.0
            });
        }
        let calls = BREAKER_KINDS.map(|kind| {
            counter(
                names.breaker_calls,
                [("name", name), ("kind", kind.name()), NONE],
            )
        });
        Series::Breaker {
            successes: HotCount::register([calls[0].clone(), Counter::noop()]),
            calls,
            not_permitted: counter(names.breaker_not_permitted, [("name", name), NONE, NONE]),
            failure_rate: gauge(names.breaker_failure_rate, [("name", name), NONE, NONE]),
            states,
            shown: Mutex::new(0),
        }
    }
}

impl Drop for Resolved {
    fn drop(&mut self) {
        // The source is gone (a breaker made with `CircuitBreaker::new`): its stripes' counts
        // go to the recorder now.
        match &self.series {
            Series::Retry {
                first_successes: hot,
                ..
            }
            | Series::Breaker { successes: hot, .. } => hot.publish(),
            _ => {}
        }
    }
}

/// Calls a thread counts on its stripe before adding them to the recorder's counters.
pub const BATCH: u64 = 64;

/// Stripes per hot count: enough that the threads of a small machine rarely share one.
const STRIPES: usize = 8;

/// One hot count (see the module docs): the recorder's counters it adds to, the thread that
/// increments those itself, and the other threads' stripes.
#[derive(Debug)]
pub(crate) struct HotCount {
    /// Each call adds one to each of these (a no-op counter fills an unused slot).
    targets: [Counter; 2],
    /// The [`thread_token`] of the thread that resolved the handles.
    owner: usize,
    stripes: [Stripe; STRIPES],
}

/// One stripe's calls not yet added, alone on its cache lines (128 bytes: adjacent-line
/// prefetch pairs them).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe(AtomicU64);

/// Every hot count made, for [`flush`]; one is dropped from here by the flush after its source
/// is gone.
static HOT_COUNTS: Mutex<Vec<Arc<HotCount>>> = Mutex::new(Vec::new());

/// This thread's token: given on first use, from 1; 0 while the thread is torn down (then it
/// counts on a stripe). A `const` thread-local without a destructor: one read.
#[inline]
fn thread_token() -> usize {
    thread_local! {
        static TOKEN: Cell<usize> = const { Cell::new(0) };
    }
    TOKEN
        .try_with(|token| match token.get() {
            0 => new_thread_token(token),
            value => value,
        })
        .unwrap_or(0)
}

#[cold]
fn new_thread_token(token: &Cell<usize>) -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    let value = NEXT.fetch_add(1, Ordering::Relaxed);
    token.set(value);
    value
}

impl HotCount {
    /// A hot count for the calling thread (which resolves the handles), listed for [`flush`].
    fn register(targets: [Counter; 2]) -> Arc<HotCount> {
        let count = Arc::new(HotCount {
            targets,
            owner: thread_token(),
            stripes: Default::default(),
        });
        HOT_COUNTS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::clone(&count));
        count
    }

    /// One call: the owner increments the recorder's counters, another thread its stripe.
    #[inline]
    fn add_one(&self) {
        let token = thread_token();
        if token == self.owner {
            for target in &self.targets {
                target.increment(1);
            }
            return;
        }
        let stripe = &self.stripes[token % STRIPES];
        if stripe.0.fetch_add(1, Ordering::Relaxed) + 1 >= BATCH {
            self.publish_stripe(stripe);
        }
    }

    /// Adds what `stripe` holds to the recorder's counters.
    #[cold]
    #[inline(never)]
    fn publish_stripe(&self, stripe: &Stripe) {
        let calls = stripe.0.swap(0, Ordering::Relaxed);
        if calls != 0 {
            for target in &self.targets {
                target.increment(calls);
            }
        }
    }

    /// Adds what every stripe holds to the recorder's counters.
    fn publish(&self) {
        for stripe in &self.stripes {
            self.publish_stripe(stripe);
        }
    }
}

/// Adds the counts that threads keep on their stripes (first-attempt retry successes and
/// breaker successes, see the [module docs](self)) to the recorders' counters, so that what a
/// recorder shows next is exact. Call it before reading the counters: in a Prometheus scrape
/// handler, before `PrometheusHandle::render`. Until then a series lags its true count by less
/// than [`BATCH`] for each of its 8 stripes; the thread that first recorded a series is never
/// behind. Takes a lock; never needed for correctness of anything but the counters' values.
///
/// ```
/// # fn render() -> String { String::new() }
/// // In the handler of `GET /metrics`:
/// retry_runtime::metrics::flush();
/// let body = render(); // e.g. `PrometheusHandle::render`
/// # let _ = body;
/// ```
pub fn flush() {
    let mut counts = HOT_COUNTS.lock().unwrap_or_else(PoisonError::into_inner);
    counts.retain(|count| {
        count.publish();
        // Listed here only: its source is gone, and published its stripes when it went.
        Arc::strong_count(count) > 1
    });
}

/// A breaker's series exist from its registration: closed at 1, the other states at 0.
pub(crate) fn breaker_registered(source: &Source) {
    let _ = source.metrics.series(source.name);
}

/// A bulkhead's, a rate limiter's or a throttle's series exist from its registration: set when
/// its handles are resolved, or here for a recorder that keeps none.
pub(crate) fn limiter_registered(source: &Source) {
    if source.metrics.series(source.name).is_some() {
        return;
    }
    let names = names();
    let name_only = [("name", source.name), NONE, NONE];
    match source.metrics.kind {
        Kind::Bulkhead { max_concurrent } => {
            gauge(names.bulkhead_max_allowed, name_only).set(f64::from(max_concurrent));
            gauge(names.bulkhead_available, name_only).set(f64::from(max_concurrent));
        }
        Kind::RateLimiter { burst } => {
            gauge(names.rate_limiter_available, name_only).set(f64::from(burst));
            gauge(names.rate_limiter_waiting, name_only).set(0.0);
        }
        Kind::Throttle => gauge(names.throttle_probability, name_only).set(0.0),
        Kind::AdaptiveLimiter { limit } => {
            gauge(names.adaptive_limit, name_only).set(f64::from(limit));
            gauge(names.adaptive_inflight, name_only).set(0.0);
        }
        _ => {}
    }
}

/// A bulkhead's free slots: one store on a cached handle.
#[inline]
pub(super) fn bulkhead_available(source: &Source, free: u32) {
    match source.metrics.series(source.name) {
        Some(Series::Bulkhead { available, .. }) => available.set(f64::from(free)),
        Some(_) => {}
        None => gauge(
            names().bulkhead_available,
            [("name", source.name), NONE, NONE],
        )
        .set(f64::from(free)),
    }
}

/// A rate limiter's permits left: one store on a cached handle.
#[inline]
pub(super) fn rate_limiter_available(source: &Source, permits: i64) {
    #[allow(clippy::cast_precision_loss)]
    let permits = permits as f64;
    match source.metrics.series(source.name) {
        Some(Series::RateLimiter { available, .. }) => available.set(permits),
        Some(_) => {}
        None => gauge(
            names().rate_limiter_available,
            [("name", source.name), NONE, NONE],
        )
        .set(permits),
    }
}

/// An adaptive limiter's calls in flight: one store on a cached handle.
#[inline]
pub(super) fn adaptive_inflight(source: &Source, calls: u32) {
    match source.metrics.series(source.name) {
        Some(Series::AdaptiveLimiter { inflight, .. }) => inflight.set(f64::from(calls)),
        Some(_) => {}
        None => gauge(
            names().adaptive_inflight,
            [("name", source.name), NONE, NONE],
        )
        .set(f64::from(calls)),
    }
}

/// An adaptive limiter's limit.
pub(super) fn adaptive_limit(source: &Source, to: u32) {
    match source.metrics.series(source.name) {
        Some(Series::AdaptiveLimiter { limit, .. }) => limit.set(f64::from(to)),
        Some(_) => {}
        None => {
            gauge(names().adaptive_limit, [("name", source.name), NONE, NONE]).set(f64::from(to));
        }
    }
}

/// A call starts or stops waiting for a rate limiter's permit.
pub(super) fn rate_limiter_waiting(source: &Source, started: bool) {
    let change = |gauge: &Gauge| {
        if started {
            gauge.increment(1.0);
        } else {
            gauge.decrement(1.0);
        }
    };
    match source.metrics.series(source.name) {
        Some(Series::RateLimiter { waiting, .. }) => change(waiting),
        Some(_) => {}
        None => change(&gauge(
            names().rate_limiter_waiting,
            [("name", source.name), NONE, NONE],
        )),
    }
}

/// A throttle's rejection probability as a call saw it: one store on a cached handle.
#[inline]
pub(super) fn throttle_probability(source: &Source, value: f64) {
    match source.metrics.series(source.name) {
        Some(Series::Throttle { probability, .. }) => probability.set(value),
        Some(_) => {}
        None => gauge(
            names().throttle_probability,
            [("name", source.name), NONE, NONE],
        )
        .set(value),
    }
}

/// A call through a throttle ended, accepted by the backend or not: one increment on a cached
/// handle.
#[inline]
pub(super) fn throttle_call(source: &Source, accepted: bool) {
    let index = usize::from(!accepted);
    match source.metrics.series(source.name) {
        Some(Series::Throttle { calls, .. }) => calls[index].increment(1),
        Some(_) => {}
        None => counter(
            names().throttle_calls,
            [("name", source.name), ("kind", THROTTLE_KINDS[index]), NONE],
        )
        .increment(1),
    }
}

/// A first-attempt success: one increment on a cached handle.
#[inline]
pub(super) fn first_success(source: &Source) {
    match source.metrics.series(source.name) {
        Some(Series::Retry {
            first_successes, ..
        }) => first_successes.add_one(),
        Some(_) => {}
        None => uncached(&Event::Succeeded {
            name: source.name,
            attempts: 1,
        }),
    }
}

/// A call a breaker counted: one increment on a cached handle (and the failure rate's gauge).
#[inline]
pub(super) fn breaker_call(source: &Source, outcome: BreakerOutcome, rate: Option<f64>) {
    match source.metrics.series(source.name) {
        Some(Series::Breaker {
            calls,
            failure_rate,
            successes,
            ..
        }) => {
            let index = match outcome {
                BreakerOutcome::Successful => {
                    successes.add_one();
                    if let Some(rate) = rate {
                        failure_rate.set(rate);
                    }
                    return;
                }
                BreakerOutcome::Failed => 1,
                BreakerOutcome::Ignored => 2,
                _ => 3,
            };
            calls[index].increment(1);
            if let Some(rate) = rate {
                failure_rate.set(rate);
            }
        }
        Some(_) => {}
        None => uncached(&Event::BreakerCall {
            name: source.name,
            outcome,
            failure_rate: rate,
        }),
    }
}

/// Turns one event into its metrics.
pub(super) fn on_event(source: &Source, event: &Event<'_>) {
    let series = source.metrics.series(source.name);
    if adaptive_limiter_event(event, series) {
        return;
    }
    match (*event, series) {
        (
            Event::Succeeded { attempts, .. },
            Some(Series::Retry {
                calls,
                attempts: attempted,
                ..
            }),
        ) => {
            calls[usize::from(attempts > 1)].increment(1);
            attempted.increment(u64::from(attempts));
        }
        (
            Event::Exhausted { attempts, .. } | Event::NotRetryable { attempts, .. },
            Some(Series::Retry {
                calls,
                attempts: attempted,
                ..
            }),
        ) => {
            calls[2 + usize::from(attempts > 1)].increment(1);
            attempted.increment(u64::from(attempts));
        }
        (
            Event::RetryScheduled { delay, .. },
            Some(Series::Retry {
                delay: histogram, ..
            }),
        ) => {
            histogram.record(delay.as_secs_f64());
        }
        (
            Event::BreakerCall {
                outcome,
                failure_rate,
                ..
            },
            Some(Series::Breaker {
                calls,
                failure_rate: gauge,
                ..
            }),
        ) => {
            if let Some(index) = BREAKER_KINDS.iter().position(|kind| *kind == outcome) {
                calls[index].increment(1);
            }
            if let Some(rate) = failure_rate {
                gauge.set(rate);
            }
        }
        (Event::HedgeCall { outcome, .. }, Some(Series::Hedge { calls })) => {
            if let Some(index) = HEDGE_KINDS.iter().position(|kind| *kind == outcome) {
                calls[index].increment(1);
            }
        }
        (Event::ChaosInjected { kind, .. }, Some(Series::Chaos { injections })) => {
            if let Some(index) = CHAOS_KINDS.iter().position(|known| *known == kind) {
                injections[index].increment(1);
            }
        }
        (Event::Throttled { probability, .. }, Some(series @ Series::Throttle { .. })) => {
            throttle_rejected(series, probability);
        }
        (Event::CallRejected { .. }, Some(Series::Breaker { not_permitted, .. })) => {
            not_permitted.increment(1);
        }
        (
            Event::BreakerTransition {
                name,
                from,
                to,
                sequence,
            },
            series,
        ) => breaker_transition(name, (from, to, sequence), series),
        (event, None) => uncached(&event),
        _ => {}
    }
}

/// A breaker's transition: counted, and its state shown unless a later one already is.
fn breaker_transition(
    name: &'static str,
    (from, to, sequence): (BreakerState, BreakerState, u64),
    series: Option<&Series>,
) {
    counter(
        names().breaker_transitions,
        [("name", name), ("from", from.name()), ("to", to.name())],
    )
    .increment(1);
    match series {
        Some(Series::Breaker { states, shown, .. }) => {
            let mut shown = shown.lock().unwrap_or_else(PoisonError::into_inner);
            if sequence > *shown {
                *shown = sequence;
                show_state(states, to);
            }
        }
        _ => show_state(
            &BreakerState::ALL.map(|state| {
                gauge(
                    names().breaker_state,
                    [("name", name), ("state", state.name()), NONE],
                )
            }),
            to,
        ),
    }
}

/// A throttle's rejection: counted, and its probability shown.
fn throttle_rejected(series: &Series, value: f64) {
    if let Series::Throttle { probability, calls } = series {
        calls[2].increment(1);
        probability.set(value);
    }
}
/// An adaptive limiter's event on its cached handles; `false` for any other source or event.
fn adaptive_limiter_event(event: &Event<'_>, series: Option<&Series>) -> bool {
    let Some(Series::AdaptiveLimiter {
        limit, rejected, ..
    }) = series
    else {
        return false;
    };
    match *event {
        Event::LimitExceeded { .. } => rejected.increment(1),
        Event::AdaptiveLimitChanged { to, .. } => limit.set(f64::from(to)),
        _ => return false,
    }
    true
}

fn show_state(states: &[Gauge; 6], current: BreakerState) {
    for (state, gauge) in BreakerState::ALL.iter().zip(states) {
        gauge.set(if *state == current { 1.0 } else { 0.0 });
    }
}

/// The same metrics, registered per event, for sources that keep no handles.
#[cold]
fn uncached(event: &Event<'_>) {
    let names = names();
    match *event {
        Event::Succeeded { name, attempts } => {
            retry_call(
                names,
                name,
                attempts,
                RETRY_KINDS[usize::from(attempts > 1)],
            );
        }
        Event::Exhausted { name, attempts, .. } | Event::NotRetryable { name, attempts, .. } => {
            retry_call(
                names,
                name,
                attempts,
                RETRY_KINDS[2 + usize::from(attempts > 1)],
            );
        }
        Event::RetryScheduled { name, delay, .. } => {
            histogram(names.retry_delay, [("name", name), NONE, NONE]).record(delay.as_secs_f64());
        }
        Event::BreakerCall {
            name,
            outcome,
            failure_rate,
        } => {
            counter(
                names.breaker_calls,
                [("name", name), ("kind", outcome.name()), NONE],
            )
            .increment(1);
            if let Some(rate) = failure_rate {
                gauge(names.breaker_failure_rate, [("name", name), NONE, NONE]).set(rate);
            }
        }
        Event::CallRejected { name, .. } => {
            counter(names.breaker_not_permitted, [("name", name), NONE, NONE]).increment(1);
        }
        Event::HedgeCall { name, outcome, .. } => {
            counter(
                names.hedge_calls,
                [("name", name), ("kind", outcome.name()), NONE],
            )
            .increment(1);
        }
        Event::ChaosInjected { name, kind, .. } => {
            counter(
                names.chaos_injections,
                [("name", name), ("kind", kind.name()), NONE],
            )
            .increment(1);
        }
        Event::Throttled { name, probability } => {
            counter(
                names.throttle_calls,
                [("name", name), ("kind", THROTTLE_KINDS[2]), NONE],
            )
            .increment(1);
            gauge(names.throttle_probability, [("name", name), NONE, NONE]).set(probability);
        }
        Event::LimitExceeded { name, .. } => {
            counter(names.adaptive_rejected, [("name", name), NONE, NONE]).increment(1);
        }
        Event::AdaptiveLimitChanged { name, to, .. } => {
            gauge(names.adaptive_limit, [("name", name), NONE, NONE]).set(f64::from(to));
        }
        Event::BreakerTransition { .. }
        | Event::AttemptFailed { .. }
        | Event::Cancelled { .. }
        | Event::BulkheadFull { .. }
        | Event::RateLimited { .. }
        | Event::HedgeStarted { .. } => {}
    }
}

fn retry_call(names: &Names, name: &'static str, attempts: u32, kind: &'static str) {
    counter(names.retry_calls, [("name", name), ("kind", kind), NONE]).increment(1);
    counter(names.retry_attempts, [("name", name), NONE, NONE]).increment(u64::from(attempts));
}
