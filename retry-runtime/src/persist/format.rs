//! The state file's text: a header line, then one line per breaker, `name`, `state`, trips in a
//! row and the milliseconds of open period left, separated by tabs. Both directions apply the
//! same limits, so a file this crate writes is always one it reads back.

use std::fmt::Write as _;
use std::time::Duration;

use crate::breaker::CircuitBreaker;
use crate::breaker_state::BreakerState;

const HEADER: &str = "retry-runtime breaker state v1";

/// The most breakers a state file may name. A file that names more is rejected as
/// [`Corrupt`](super::PersistError::Corrupt) before anything of it is applied or kept, and a
/// state with more registered breakers is not saved
/// ([`TooLarge`](super::PersistError::TooLarge)). A process uses a handful to a few hundred; the
/// limit only stops a stray or hostile file from filling memory with names that never register.
pub const MAX_BREAKERS: usize = 10_000;

/// The largest state file read or written, in bytes (4 MiB): [`MAX_BREAKERS`] lines with names
/// of up to about 400 bytes. Reading stops one byte past it, so a larger file is rejected as
/// [`Corrupt`](super::PersistError::Corrupt) without being read whole.
pub const MAX_FILE_BYTES: usize = 4 << 20;

/// Values quoted in a reason are cut to this many characters.
const QUOTED_CHARS: usize = 40;

/// One breaker as saved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Saved {
    pub(super) state: BreakerState,
    pub(super) trips_in_a_row: u32,
    pub(super) open_for_left: Duration,
}

/// Why a file is not breaker state: the line (from 1) and what is wrong with it.
#[derive(Debug, PartialEq)]
pub(super) struct Rejection {
    pub(super) line: usize,
    pub(super) reason: String,
}

/// The file for `breakers`, in their order, or why it would exceed a limit. A breaker whose
/// name holds a tab or a line break is left out (and logged).
pub(super) fn render(breakers: &[&CircuitBreaker]) -> Result<String, String> {
    if breakers.len() > MAX_BREAKERS {
        return Err(format!(
            "{} breakers are registered, more than the {MAX_BREAKERS} a state file may name \
             (retry_runtime::persist::MAX_BREAKERS)",
            breakers.len()
        ));
    }
    let mut text = String::from(HEADER);
    text.push('\n');
    for breaker in breakers {
        let name = breaker.name();
        if name.contains(['\t', '\n', '\r']) {
            tracing::warn!(target: crate::TRACING_TARGET, name, "a breaker name with a tab or line break cannot be saved");
            continue;
        }
        let (state, trips, left) = breaker.saved_state();
        let _ = writeln!(
            text,
            "{name}\t{}\t{trips}\t{}",
            state.name(),
            left.as_millis()
        );
    }
    if text.len() > MAX_FILE_BYTES {
        return Err(format!(
            "the state takes {} bytes, more than the {MAX_FILE_BYTES} a state file may hold \
             (retry_runtime::persist::MAX_FILE_BYTES)",
            text.len()
        ));
    }
    Ok(text)
}

/// The breakers a file names, in its order, or the first thing wrong with it. `bytes` may hold
/// one byte more than [`MAX_FILE_BYTES`] (a bounded read), which is enough to reject it.
pub(super) fn parse(bytes: &[u8]) -> Result<Vec<(String, Saved)>, Rejection> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Rejection {
            line: line_at(bytes, MAX_FILE_BYTES),
            reason: format!(
                "the file is larger than {MAX_FILE_BYTES} bytes, the most a state file may hold \
                 (retry_runtime::persist::MAX_FILE_BYTES)"
            ),
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|error| Rejection {
        line: line_at(bytes, error.valid_up_to()),
        reason: "not UTF-8 text".to_owned(),
    })?;
    let mut lines = text.lines().enumerate();
    if !matches!(lines.next(), Some((_, HEADER))) {
        return Err(Rejection {
            line: 1,
            reason: format!("the first line is not \"{HEADER}\""),
        });
    }
    let mut saved = Vec::new();
    for (index, line) in lines {
        let number = index + 1;
        if saved.len() == MAX_BREAKERS {
            return Err(Rejection {
                line: number,
                reason: format!(
                    "more than {MAX_BREAKERS} breakers, the most a state file may name \
                     (retry_runtime::persist::MAX_BREAKERS)"
                ),
            });
        }
        let breaker = parse_line(line).map_err(|reason| Rejection {
            line: number,
            reason,
        })?;
        saved.push(breaker);
    }
    Ok(saved)
}

fn parse_line(line: &str) -> Result<(String, Saved), String> {
    let mut fields = line.split('\t');
    let (Some(name), Some(state), Some(trips), Some(left), None) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        // Counted again rather than collected: a line of a million tabs allocates nothing.
        return Err(format!(
            "expected 4 tab-separated fields, found {}",
            line.split('\t').count()
        ));
    };
    let state = BreakerState::ALL
        .into_iter()
        .find(|candidate| candidate.name() == state)
        .ok_or_else(|| format!("unknown state {}", quoted(state)))?;
    let trips_in_a_row = trips
        .parse()
        .map_err(|_| format!("{} is not a trip count", quoted(trips)))?;
    let open_for_left = left
        .parse()
        .map(Duration::from_millis)
        .map_err(|_| format!("{} is not a number of milliseconds", quoted(left)))?;
    Ok((
        name.to_owned(),
        Saved {
            state,
            trips_in_a_row,
            open_for_left,
        },
    ))
}

/// The line (from 1) that holds byte `offset`.
fn line_at(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset].split(|&byte| byte == b'\n').count()
}

/// `value` in quotes, cut short if long, so that a reason never repeats a large part of a file.
fn quoted(value: &str) -> String {
    match value.char_indices().nth(QUOTED_CHARS) {
        Some((end, _)) => format!("\"{}...\"", &value[..end]),
        None => format!("\"{value}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_value_is_quoted_short() {
        let reason = parse_line(&format!("name\t{}\t0\t0", "é".repeat(1000))).unwrap_err();
        assert_eq!(reason, format!("unknown state \"{}...\"", "é".repeat(40)));
    }

    #[test]
    fn a_line_of_many_tabs_is_counted() {
        let reason = parse_line(&"\t".repeat(100_000)).unwrap_err();
        assert_eq!(reason, "expected 4 tab-separated fields, found 100001");
    }

    #[test]
    fn the_line_of_a_byte_counts_the_line_breaks_before_it() {
        assert_eq!(line_at(b"a\nb\nc", 0), 1);
        assert_eq!(line_at(b"a\nb\nc", 2), 2);
        assert_eq!(line_at(b"a\nb\nc", 4), 3);
    }
}
