//! Where a breaker reads the time: injectable, so tests never wait for `open_for`.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

/// A time source for breakers. The default follows tokio's clock (so paused test time applies)
/// and, on a thread holding [`pause_sync_time`](crate::testing::pause_sync_time), the paused sync
/// clock. Tests that drive a breaker directly can inject a [`ManualClock`](crate::testing::ManualClock).
pub trait BreakerClock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> Instant;
}

#[derive(Clone, Default)]
pub(crate) enum ClockSource {
    #[default]
    Default,
    Custom(Arc<dyn BreakerClock>),
}

impl ClockSource {
    pub(crate) fn now(&self) -> Instant {
        match self {
            ClockSource::Default => default_now(),
            ClockSource::Custom(clock) => clock.now(),
        }
    }
}

impl fmt::Debug for ClockSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClockSource::Default => "Default",
            ClockSource::Custom(_) => "Custom(..)",
        })
    }
}

pub(crate) fn default_now() -> Instant {
    if let Some(paused) = crate::sleep::paused_now() {
        return paused;
    }
    #[cfg(feature = "tokio")]
    {
        tokio::time::Instant::now().into_std()
    }
    #[cfg(not(feature = "tokio"))]
    {
        Instant::now()
    }
}
