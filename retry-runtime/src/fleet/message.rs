//! What the fleet says about a breaker, on the wire and in Redis, and how every field of it is
//! read back: with a range check, never a panic, whatever the bytes.
//!
//! A publication is one line, `v1 <version> <origin> <state> <trips> <open_ms> <name>`, the name
//! last so that it may hold spaces. The stored state is the same fields, read by the read
//! script with the time left computed on Redis's clock.

use std::time::Duration;

use crate::breaker_state::BreakerState;

/// The longest open period a message may carry; the receiver also cuts it to its breaker's
/// `max_open_for`. A crafted value cannot open a breaker for longer than either.
pub(super) const MAX_OPEN_MS: u64 = 7 * 24 * 3600 * 1000;

/// The longest breaker name read from the fleet.
const MAX_NAME_BYTES: usize = 256;

/// The most trips in a row read from the fleet (open periods stop growing long before).
const MAX_TRIPS: u32 = 1_000_000;

/// A breaker's state as the fleet shares it. Never half-open: each process probes on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct SharedState {
    pub(super) state: BreakerState,
    pub(super) trips_in_a_row: u32,
    /// For `Open`: the time left when it was published (or read).
    pub(super) open_for_left: Duration,
}

/// A shared state with its place in the fleet's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Versioned {
    pub(super) name: String,
    /// Orders the fleet's publications: a state is applied only over an older one.
    pub(super) version: u64,
    /// The process that published it.
    pub(super) origin: u64,
    pub(super) shared: SharedState,
}

/// The state name on the wire: the one events and metrics use.
pub(super) fn state_name(state: BreakerState) -> &'static str {
    state.name()
}

/// The milliseconds left, rounded up (an open period is never shortened to nothing).
pub(super) fn open_ms(left: Duration) -> u64 {
    let ms = left.as_nanos().div_ceil(1_000_000);
    u64::try_from(ms).unwrap_or(u64::MAX).min(MAX_OPEN_MS)
}

/// Reads a publication.
pub(super) fn parse_message(text: &str) -> Result<Versioned, String> {
    let mut fields = text.splitn(7, ' ');
    let tag = fields.next().unwrap_or_default();
    if tag != "v1" {
        return Err(format!("unknown message format `{}`", shorten(tag)));
    }
    let mut next = |what: &str| fields.next().ok_or_else(|| format!("no {what}"));
    let version = next("version")?;
    let origin = next("origin")?;
    let state = next("state")?;
    let trips = next("trips")?;
    let open = next("open time")?;
    let name = next("name")?;
    parse_fields(name, version, origin, state, trips, open)
}

/// Reads the fields of one stored or published state.
pub(super) fn parse_fields(
    name: &str,
    version: &str,
    origin: &str,
    state: &str,
    trips: &str,
    open_ms: &str,
) -> Result<Versioned, String> {
    if name.is_empty() || name.len() > MAX_NAME_BYTES {
        return Err(format!(
            "a breaker name must be 1 to {MAX_NAME_BYTES} bytes, not {}",
            name.len()
        ));
    }
    let number = |what: &str, text: &str, max: u64| -> Result<u64, String> {
        match text.parse::<u64>() {
            Ok(value) if value <= max => Ok(value),
            _ => Err(format!(
                "{what} `{}` is not a number from 0 to {max}",
                shorten(text)
            )),
        }
    };
    // Versions are Redis's clock in microseconds, formatted from Lua's doubles: one beyond
    // 2^53 was never written by the scripts. The link refuses versions ahead of the fleet's
    // clock (see `Link::believable`).
    let version = number("version", version, MAX_VERSION)?;
    let origin = number("origin", origin, u64::MAX)?;
    let trips = number("trips", trips, u64::from(MAX_TRIPS))?;
    let open_ms = number("open time", open_ms, MAX_OPEN_MS)?;
    let state = BreakerState::ALL
        .into_iter()
        .filter(|state| *state != BreakerState::HalfOpen)
        .find(|known| known.name() == state)
        .ok_or_else(|| format!("unknown breaker state `{}`", shorten(state)))?;
    Ok(Versioned {
        name: name.to_owned(),
        version,
        origin,
        shared: SharedState {
            state,
            trips_in_a_row: u32::try_from(trips).unwrap_or(MAX_TRIPS),
            open_for_left: if state == BreakerState::Open {
                Duration::from_millis(open_ms)
            } else {
                Duration::ZERO
            },
        },
    })
}

/// The largest version the scripts can write (Lua numbers are doubles, exact to 2^53).
pub(super) const MAX_VERSION: u64 = 1 << 53;

/// At most 32 characters of a value, for messages about it.
fn shorten(text: &str) -> &str {
    text.char_indices()
        .nth(32)
        .map_or(text, |(end, _)| &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_publication_reads_back() {
        let read = parse_message("v1 17 42 open 3 1500 db primary").unwrap();
        assert_eq!(read.name, "db primary");
        assert_eq!((read.version, read.origin), (17, 42));
        assert_eq!(read.shared.state, BreakerState::Open);
        assert_eq!(read.shared.trips_in_a_row, 3);
        assert_eq!(read.shared.open_for_left, Duration::from_millis(1500));
        let closed = parse_message("v1 18 42 closed 0 999 db").unwrap();
        assert_eq!(closed.shared.open_for_left, Duration::ZERO);
    }

    #[test]
    fn crafted_messages_are_rejected_not_applied() {
        for text in [
            "",
            "v2 1 1 open 0 0 db",
            "v1 18446744073709551615 1 open 0 0 db",
            "v1 1 1 open 0 0",
            "v1 1 1 open 0 0 ",
            "v1 -1 1 open 0 0 db",
            "v1 1 1 half_open 0 0 db",
            "v1 1 1 opened 0 0 db",
            "v1 1 1 open 99999999999 0 db",
            "v1 1 1 open 0 604800001 db",
            "v1 1 1 open 0 18446744073709551616 db",
            "v1 1 1 open 0 1e9 db",
        ] {
            assert!(parse_message(text).is_err(), "{text:?} was accepted");
        }
        let long = format!("v1 1 1 open 0 0 {}", "x".repeat(257));
        assert!(parse_message(&long).is_err());
    }

    #[test]
    fn the_time_left_rounds_up_and_is_capped() {
        assert_eq!(open_ms(Duration::from_micros(1)), 1);
        assert_eq!(open_ms(Duration::from_secs(u64::MAX)), MAX_OPEN_MS);
    }
}
