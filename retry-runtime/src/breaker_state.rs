//! Where a breaker is: the states every part of the crate names (the breaker, its events, its
//! metrics, persistence). A leaf of its own, so that the event stream can name states without
//! depending on the breaker that produces them.

use std::fmt;

/// Where a breaker is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BreakerState {
    /// Calls run; outcomes are recorded and may trip the breaker.
    Closed,
    /// Calls are rejected until `open_for` has passed.
    Open,
    /// A limited number of probe calls run; their outcomes close or reopen the breaker.
    HalfOpen,
    /// Set by hand: calls run and are counted, but nothing trips the breaker or enters its window.
    Disabled,
    /// Set by hand: every call is rejected until reset.
    ForcedOpen,
    /// Set by hand: calls run and are recorded, but the breaker never trips.
    MetricsOnly,
}

impl BreakerState {
    /// In the order of their bits in the state word: the three that admit calls freely come
    /// first, so that admission tests one comparison.
    pub(crate) const ALL: [BreakerState; 6] = [
        BreakerState::Closed,
        BreakerState::MetricsOnly,
        BreakerState::Disabled,
        BreakerState::Open,
        BreakerState::HalfOpen,
        BreakerState::ForcedOpen,
    ];

    /// The state's name in events and metrics labels (`"closed"`, `"half_open"`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
            BreakerState::Disabled => "disabled",
            BreakerState::ForcedOpen => "forced_open",
            BreakerState::MetricsOnly => "metrics_only",
        }
    }

    /// Whether calls run without asking for a permit.
    pub const fn admits_freely(self) -> bool {
        matches!(
            self,
            BreakerState::Closed | BreakerState::Disabled | BreakerState::MetricsOnly
        )
    }
}

impl fmt::Display for BreakerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
