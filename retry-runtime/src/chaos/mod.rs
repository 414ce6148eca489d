//! Chaos: faults and latency injected where the real ones happen, so that retries, breakers
//! and fallbacks can be seen to work (Polly's chaos strategies, switched on without code).
//!
//! A `#[chaos(name = ...)]` site does nothing until its name is configured: its only cost is one
//! relaxed load of [`registry::armed`], a count of the chaos points configured anywhere in the
//! process. Once one is, each call through any chaos site looks up its own point, reads its
//! settings (relaxed atomics, no lock) and draws from the thread's generator, which
//! [`testing::seed_jitter`](crate::testing::seed_jitter) seeds, so a chaos test is repeatable.

pub(crate) mod registry;
// What expansions call, reached through `__private` only: not in the API listing.
#[doc(hidden)]
pub(crate) mod site;

use std::error::Error;
use std::fmt;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use crate::events::ChaosKind;
use crate::sleep::AsyncSleeper;
use retry_settings::ChaosConfig;

/// No settings: nothing is injected.
const UNCONFIGURED: u8 = 0;
/// Settings with `enabled = false`: kept, but nothing is injected.
const DISABLED: u8 = 1;
/// Settings in force.
const ACTIVE: u8 = 2;

/// A named chaos point: what every `#[chaos(name = ...)]` site of that name injects. Find it
/// with [`chaos`](crate::chaos()), configure it, clear it again.
///
/// ```
/// use retry_runtime::{ChaosConfig, chaos};
///
/// let store = chaos("chaos-doc").unwrap();
/// assert_eq!(store.config(), None); // inert until configured
/// store.configure(ChaosConfig::builder().fault_rate(0.05).build()?);
/// assert_eq!(store.config().unwrap().fault_rate(), 0.05);
/// store.clear();
/// assert_eq!(store.config(), None);
/// # Ok::<(), retry_runtime::ChaosConfigError>(())
/// ```
#[derive(Debug)]
pub struct Chaos {
    name: &'static str,
    source: crate::events::Source,
    /// [`UNCONFIGURED`], [`DISABLED`] or [`ACTIVE`]; written after the values below.
    state: AtomicU8,
    /// `f64` bits.
    fault_rate: AtomicU64,
    latency_nanos: AtomicU64,
    /// `f64` bits.
    latency_rate: AtomicU64,
    faults: AtomicU64,
    latencies: AtomicU64,
}

/// What a chaos point injected since it was created (or reset).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChaosCounts {
    /// Calls failed with an [`InjectedFault`].
    pub faults: u64,
    /// Calls delayed by the configured latency.
    pub latencies: u64,
}

/// A fault a `#[chaos]` site injected: the call failed without running its body.
///
/// `#[chaos]` returns `Err(E::from(InjectedFault { .. }))`, so the fn's error type needs
/// `impl From<InjectedFault>`. It stands for the real fault: an outer `#[retry]` retries it and
/// an outer `#[circuit_breaker]` counts it as a failure (map it to the variant your `on` or
/// `when` select, to have it treated as the fault it rehearses).
///
/// ```
/// use retry_runtime::InjectedFault;
///
/// #[derive(Debug)]
/// enum StoreError {
///     Unavailable,
/// }
///
/// impl From<InjectedFault> for StoreError {
///     fn from(_: InjectedFault) -> Self {
///         StoreError::Unavailable
///     }
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct InjectedFault {
    /// The chaos point's name.
    pub name: &'static str,
    /// The latency injected into the same call before the fault (zero: none).
    pub latency: Duration,
}

impl fmt::Display for InjectedFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fault injected by chaos `{}`", self.name)?;
        if !self.latency.is_zero() {
            write!(f, " after {:?} of injected latency", self.latency)?;
        }
        Ok(())
    }
}

impl Error for InjectedFault {}

/// What one call gets.
#[derive(Clone, Copy)]
struct Injection {
    latency: Option<Duration>,
    fault: bool,
}

impl Injection {
    const NONE: Injection = Injection {
        latency: None,
        fault: false,
    };
}

impl Chaos {
    /// An unconfigured point.
    pub(crate) const fn new(name: &'static str) -> Chaos {
        Chaos {
            name,
            source: crate::events::Source::chaos(name),
            state: AtomicU8::new(UNCONFIGURED),
            fault_rate: AtomicU64::new(0),
            latency_nanos: AtomicU64::new(0),
            latency_rate: AtomicU64::new(0),
            faults: AtomicU64::new(0),
            latencies: AtomicU64::new(0),
        }
    }

    /// The point's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Injects what `config` says into every call through a site of this name, from the next
    /// call on (on every thread), replacing any earlier settings.
    pub fn configure(&self, config: ChaosConfig) {
        self.set(Some(config));
    }

    /// Removes the settings: the sites of this name inject nothing from the next call on.
    pub fn clear(&self) {
        self.set(None);
    }

    /// The settings in force (`None`: unconfigured, inert).
    pub fn config(&self) -> Option<ChaosConfig> {
        let state = self.state.load(Ordering::Acquire);
        if state == UNCONFIGURED {
            return None;
        }
        let latency = Duration::from_nanos(self.latency_nanos.load(Ordering::Relaxed));
        // The values were checked when configured, so the builder takes them again.
        ChaosConfig::builder()
            .fault_rate(f64::from_bits(self.fault_rate.load(Ordering::Relaxed)))
            .latency(latency)
            .latency_rate(f64::from_bits(self.latency_rate.load(Ordering::Relaxed)))
            .enabled(state == ACTIVE)
            .build()
            .ok()
    }

    /// What was injected so far.
    pub fn counts(&self) -> ChaosCounts {
        ChaosCounts {
            faults: self.faults.load(Ordering::Relaxed),
            latencies: self.latencies.load(Ordering::Relaxed),
        }
    }

    /// Back to the settings it was created with (those of a `[chaos.NAME]` section of the
    /// installed config, or none), counts from zero.
    pub(crate) fn reset(&self) {
        self.set(registry::OVERRIDE.applied(self.name, None));
        self.faults.store(0, Ordering::Relaxed);
        self.latencies.store(0, Ordering::Relaxed);
    }

    /// Stores `config`, then its state, and keeps the process-wide count of active points.
    pub(crate) fn set(&self, config: Option<ChaosConfig>) {
        let state = match config {
            None => UNCONFIGURED,
            Some(config) => {
                self.fault_rate
                    .store(config.fault_rate().to_bits(), Ordering::Relaxed);
                let nanos = u64::try_from(config.latency().as_nanos()).unwrap_or(u64::MAX);
                self.latency_nanos.store(nanos, Ordering::Relaxed);
                self.latency_rate
                    .store(config.latency_rate().to_bits(), Ordering::Relaxed);
                if config.enabled() { ACTIVE } else { DISABLED }
            }
        };
        let previous = self.state.swap(state, Ordering::AcqRel);
        match (previous == ACTIVE, state == ACTIVE) {
            (false, true) => registry::arm(),
            (true, false) => registry::disarm(),
            _ => {}
        }
    }

    /// Draws what this call gets: latency first, then a fault.
    fn draw(&self) -> Injection {
        if self.state.load(Ordering::Acquire) != ACTIVE {
            return Injection::NONE;
        }
        let hit = |rate: &AtomicU64| {
            let rate = f64::from_bits(rate.load(Ordering::Relaxed));
            // No draw for 0 or 1, so an all-or-nothing setting leaves the sequence untouched.
            rate >= 1.0 || (rate > 0.0 && crate::rng::unit_draw() < rate)
        };
        let nanos = self.latency_nanos.load(Ordering::Relaxed);
        let latency = (nanos > 0 && hit(&self.latency_rate)).then(|| Duration::from_nanos(nanos));
        let fault = hit(&self.fault_rate);
        if let Some(latency) = latency {
            self.latencies.fetch_add(1, Ordering::Relaxed);
            crate::events::chaos_injected(&self.source, ChaosKind::Latency, latency);
        }
        Injection { latency, fault }
    }

    /// The call's fault, once its latency (if any) has passed.
    fn outcome(&self, injection: Injection) -> Result<(), InjectedFault> {
        if !injection.fault {
            return Ok(());
        }
        self.faults.fetch_add(1, Ordering::Relaxed);
        let latency = injection.latency.unwrap_or(Duration::ZERO);
        crate::events::chaos_injected(&self.source, ChaosKind::Fault, latency);
        Err(InjectedFault {
            name: self.name,
            latency,
        })
    }

    /// A sync call: waits out injected latency on the sync clock (which
    /// [`testing::pause_sync_time`](crate::testing::pause_sync_time) pauses), then returns the
    /// fault if one is injected.
    pub(crate) fn inject_sync(&self) -> Result<(), InjectedFault> {
        let injection = self.draw();
        if let Some(latency) = injection.latency {
            crate::sleep::sleep_sync(latency);
        }
        self.outcome(injection)
    }

    /// An async call: as [`inject_sync`](Self::inject_sync), waiting on `S`'s clock (tokio's,
    /// whose paused time drives it in tests).
    pub(crate) async fn inject<S: AsyncSleeper>(&'static self) -> Result<(), InjectedFault> {
        let injection = self.draw();
        if let Some(latency) = injection.latency {
            S::sleep(latency).await;
        }
        self.outcome(injection)
    }
}
