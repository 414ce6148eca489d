//! The breaker's state word: everything admission needs, in one `u64` read with one load.

use std::fmt;

pub use crate::breaker_state::BreakerState;

/// `kind` (3 bits) | `admitted` probes (16) | `succeeded` probes (16) | `epoch` (29).
///
/// Every transition bumps the epoch, so an outcome admitted under one state can never be applied
/// to a later one (no ABA), and every transition is a single compare-and-swap that exactly one
/// racer wins.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Word(pub(crate) u64);

const KIND_MASK: u64 = 0b111;
const ADMITTED_SHIFT: u32 = 3;
const SUCCEEDED_SHIFT: u32 = 19;
const COUNT_MASK: u64 = 0xFFFF;
const EPOCH_SHIFT: u32 = 35;
const EPOCH_MASK: u64 = (1 << 29) - 1;

impl Word {
    pub(crate) const CLOSED: Word = Word(0);

    #[inline]
    pub(crate) fn kind(self) -> BreakerState {
        // The kind bits only ever hold an index of ALL; 6 and 7 are never written.
        match self.0 & KIND_MASK {
            0 => BreakerState::Closed,
            1 => BreakerState::MetricsOnly,
            2 => BreakerState::Disabled,
            3 => BreakerState::Open,
            4 => BreakerState::HalfOpen,
            _ => BreakerState::ForcedOpen,
        }
    }

    /// Closed, metrics-only or disabled: calls run without asking for a probe permit.
    #[inline]
    pub(crate) fn admits_freely(self) -> bool {
        self.0 & KIND_MASK < 3
    }

    /// Closed or metrics-only: outcomes are recorded but nothing else is needed for a success.
    #[inline]
    pub(crate) fn records_freely(self) -> bool {
        self.0 & KIND_MASK < 2
    }

    #[inline]
    pub(crate) fn admitted(self) -> u32 {
        ((self.0 >> ADMITTED_SHIFT) & COUNT_MASK) as u32
    }

    pub(crate) fn succeeded(self) -> u32 {
        ((self.0 >> SUCCEEDED_SHIFT) & COUNT_MASK) as u32
    }

    #[inline]
    pub(crate) fn epoch(self) -> u32 {
        ((self.0 >> EPOCH_SHIFT) & EPOCH_MASK) as u32
    }

    /// The next state: a new epoch, no probes.
    pub(crate) fn transition(self, kind: BreakerState) -> Word {
        let epoch = (u64::from(self.epoch()) + 1) & EPOCH_MASK;
        let index = BreakerState::ALL
            .iter()
            .position(|candidate| *candidate == kind)
            .unwrap_or(0) as u64;
        Word(index | (epoch << EPOCH_SHIFT))
    }

    pub(crate) fn with_admitted(self, admitted: u32) -> Word {
        let cleared = self.0 & !(COUNT_MASK << ADMITTED_SHIFT);
        Word(cleared | ((u64::from(admitted) & COUNT_MASK) << ADMITTED_SHIFT))
    }

    pub(crate) fn with_succeeded(self, succeeded: u32) -> Word {
        let cleared = self.0 & !(COUNT_MASK << SUCCEEDED_SHIFT);
        Word(cleared | ((u64::from(succeeded) & COUNT_MASK) << SUCCEEDED_SHIFT))
    }

    /// Same state and epoch: an outcome admitted under `self` still applies to `current`.
    #[inline]
    pub(crate) fn same_period(self, current: Word) -> bool {
        (self.0 & (KIND_MASK | (EPOCH_MASK << EPOCH_SHIFT)))
            == (current.0 & (KIND_MASK | (EPOCH_MASK << EPOCH_SHIFT)))
    }
}

impl fmt::Debug for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Word")
            .field("kind", &self.kind())
            .field("admitted", &self.admitted())
            .field("succeeded", &self.succeeded())
            .field("epoch", &self.epoch())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_without_touching_each_other() {
        let word = Word::CLOSED
            .transition(BreakerState::HalfOpen)
            .with_admitted(65_535)
            .with_succeeded(7);
        assert_eq!(word.kind(), BreakerState::HalfOpen);
        assert_eq!(word.admitted(), 65_535);
        assert_eq!(word.succeeded(), 7);
        assert_eq!(word.epoch(), 1);
        let next = word.transition(BreakerState::Closed);
        assert_eq!(
            (next.kind(), next.admitted(), next.succeeded(), next.epoch()),
            (BreakerState::Closed, 0, 0, 2)
        );
    }

    #[test]
    fn epoch_wraps_within_its_bits() {
        let last = Word(EPOCH_MASK << EPOCH_SHIFT);
        assert_eq!(last.epoch(), (1 << 29) - 1);
        assert_eq!(last.transition(BreakerState::Open).epoch(), 0);
        assert_eq!(
            last.transition(BreakerState::Open).kind(),
            BreakerState::Open
        );
    }
}
