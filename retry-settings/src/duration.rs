//! The duration grammar of the attributes and of configuration files: `"250ms"`, `"2s"`,
//! `"1m30s"`, `"1.5s"`.
//!
//! One or more `<number><unit>` parts, summed; the number may have a fraction and `_`
//! separators; the units are `ns`, `us` (or `µs`), `ms`, `s`, `m` and `h`. A duration is at most
//! `u64::MAX` nanoseconds (about 584 years) and exact to the nanosecond.
//!
//! ```
//! use std::time::Duration;
//! use retry_settings::duration;
//!
//! assert_eq!(duration::parse("1m30s")?, Duration::from_secs(90));
//! assert_eq!(duration::describe(Duration::from_secs(90)), "90s");
//! # Ok::<(), retry_settings::duration::DurationError>(())
//! ```

use std::error::Error;
use std::fmt;
use std::time::Duration;

const UNITS: [(&str, u64); 7] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Text that is not a duration. Its message says what is wrong and what to write instead,
/// quoting the text; the caller names the key (the attribute spans it at the literal, the
/// config loader prefixes the key).
///
/// ```
/// use retry_settings::duration;
///
/// let error = duration::parse("250").unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "`250` has no unit; write \"250ms\" or \"250s\" (units: ns, us, ms, s, m, h)"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurationError {
    message: String,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for DurationError {}

fn fail<T>(message: String) -> Result<T, DurationError> {
    Err(DurationError { message })
}

/// Parses one or more `<number><unit>` parts, summed. The number may have a fraction.
///
/// # Errors
/// A [`DurationError`] saying what is wrong: no number, no unit or an unknown one, a number
/// with two points, more precision than a nanosecond, or more than `u64::MAX` nanoseconds.
///
/// ```
/// use std::time::Duration;
/// use retry_settings::duration;
///
/// assert_eq!(duration::parse("1.5s")?, Duration::from_millis(1500));
/// assert_eq!(duration::parse("1_000ms")?, Duration::from_secs(1));
/// assert!(duration::parse("5 sec").is_err());
/// # Ok::<(), retry_settings::duration::DurationError>(())
/// ```
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    if text.is_empty() {
        return fail("empty duration; write a number and a unit, like \"250ms\"".to_owned());
    }
    let mut rest = text;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        if number.is_empty() {
            return fail(format!(
                "expected a number at `{rest}` in \"{text}\"; write durations like \"250ms\" or \"1m30s\""
            ));
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let unit = unit.trim();
        let Some(&(_, nanos_per_unit)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            return fail(if unit.is_empty() {
                format!(
                    "`{number}` has no unit; write \"{number}ms\" or \"{number}s\" (units: ns, us, ms, s, m, h)"
                )
            } else {
                format!("unknown unit `{unit}` in \"{text}\"; use one of ns, us, ms, s, m, h")
            });
        };
        total = total.saturating_add(scaled(number, nanos_per_unit, text)?);
        rest = next;
    }
    match u64::try_from(total) {
        Ok(nanos) => Ok(Duration::from_nanos(nanos)),
        Err(_) => fail(format!(
            "\"{text}\" is too long; durations are limited to about 584 years"
        )),
    }
}

fn scaled(number: &str, nanos_per_unit: u64, text: &str) -> Result<u128, DurationError> {
    let digits: String = number.chars().filter(|c| *c != '_').collect();
    let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
    let invalid = || DurationError {
        message: format!("`{number}` is not a number in \"{text}\""),
    };
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return Err(invalid());
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| invalid())?
    };
    let mut nanos = whole.saturating_mul(u128::from(nanos_per_unit));
    let mut place = u128::from(nanos_per_unit);
    for digit in fraction.chars() {
        place /= 10;
        let digit = u128::from(digit.to_digit(10).ok_or_else(invalid)?);
        if place == 0 && digit != 0 {
            return fail(format!(
                "\"{text}\" is more precise than a nanosecond; drop the extra digits"
            ));
        }
        nanos = nanos.saturating_add(digit * place);
    }
    Ok(nanos)
}

/// A duration as a user would write it, in the grammar [`parse`] reads back to the same value:
/// whole hours as `"2h"`, whole minutes as `"5m"`, anything else as Rust's `Debug` writes it
/// (`"90s"`, `"1.5s"`, `"250ms"`, `"10µs"`). Error messages quote values this way.
///
/// ```
/// use std::time::Duration;
/// use retry_settings::duration;
///
/// assert_eq!(duration::describe(Duration::from_secs(300)), "5m");
/// assert_eq!(duration::describe(Duration::from_millis(1500)), "1.5s");
/// assert_eq!(duration::describe(Duration::ZERO), "0s");
/// ```
pub fn describe(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if duration.subsec_nanos() != 0 {
        format!("{duration:?}")
    } else if seconds == 0 {
        "0s".to_owned()
    } else if seconds.is_multiple_of(3600) {
        format!("{}h", seconds / 3600)
    } else if seconds.is_multiple_of(60) {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_forms_users_write() {
        let ms = Duration::from_millis;
        assert_eq!(parse("250ms"), Ok(ms(250)));
        assert_eq!(parse("2s"), Ok(ms(2000)));
        assert_eq!(parse("1m"), Ok(ms(60_000)));
        assert_eq!(parse("1m30s"), Ok(ms(90_000)));
        assert_eq!(parse("1.5s"), Ok(ms(1500)));
        assert_eq!(parse("0.25ms"), Ok(Duration::from_micros(250)));
        assert_eq!(parse("1_000ms"), Ok(ms(1000)));
        assert_eq!(parse("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse("10us"), Ok(Duration::from_micros(10)));
        assert_eq!(parse("10µs"), Ok(Duration::from_micros(10)));
        assert_eq!(parse("0ms"), Ok(Duration::ZERO));
        assert_eq!(
            parse("18446744073.709551615s"),
            Ok(Duration::from_nanos(u64::MAX))
        );
    }

    #[test]
    fn rejections_say_what_to_write() {
        for (input, needle) in [
            ("", "empty duration"),
            ("250", "has no unit"),
            ("5 sec", "unknown unit `sec`"),
            ("ms", "expected a number"),
            ("-1s", "expected a number"),
            ("1.2.3s", "is not a number"),
            ("_s", "is not a number"),
            ("0.0000000001s", "more precise than a nanosecond"),
            ("999999999999h", "too long"),
            ("18446744073.709551616s", "584 years"),
        ] {
            let error = parse(input).unwrap_err().to_string();
            assert!(error.contains(needle), "{input:?}: {error}");
        }
    }

    #[test]
    fn descriptions_parse_back_to_the_same_duration() {
        for duration in [
            Duration::ZERO,
            Duration::from_nanos(1),
            Duration::from_micros(10),
            Duration::from_millis(250),
            Duration::from_millis(1500),
            Duration::from_secs(90),
            Duration::from_secs(300),
            Duration::from_secs(7200),
            Duration::from_nanos(1_000_000_001),
            Duration::from_nanos(u64::MAX),
        ] {
            assert_eq!(parse(&describe(duration)), Ok(duration), "{duration:?}");
        }
        assert_eq!(describe(Duration::from_secs(60)), "1m");
        assert_eq!(describe(Duration::from_secs(3600)), "1h");
        assert_eq!(describe(Duration::from_secs(10)), "10s");
    }
}
