//! Durations written as text in configuration files: `"250ms"`, `"2s"`, `"1m30s"`, `"1.5s"`.
//!
//! The same grammar as the attributes' duration literals. The attributes parse theirs in the
//! proc-macro crate, which cannot share this module (the runtime depends on it, not the other
//! way round); the two copies are kept identical, with the same tests.

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

/// Parses one or more `<number><unit>` parts, summed. The number may have a fraction.
/// The error says what is wrong, for the caller to span at the literal.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration; write a number and a unit, like \"250ms\"".to_owned());
    }
    let mut rest = text;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        if number.is_empty() {
            return Err(format!(
                "expected a number at `{rest}` in \"{text}\"; write durations like \"250ms\" or \"1m30s\""
            ));
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let unit = unit.trim();
        let Some(&(_, nanos_per_unit)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            return Err(if unit.is_empty() {
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
    let nanos = u64::try_from(total)
        .map_err(|_| format!("\"{text}\" is too long; durations are limited to about 584 years"))?;
    Ok(Duration::from_nanos(nanos))
}

fn scaled(number: &str, nanos_per_unit: u64, text: &str) -> Result<u128, String> {
    let digits: String = number.chars().filter(|c| *c != '_').collect();
    let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
    let invalid = || format!("`{number}` is not a number in \"{text}\"");
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
            return Err(format!(
                "\"{text}\" is more precise than a nanosecond; drop the extra digits"
            ));
        }
        nanos = nanos.saturating_add(digit * place);
    }
    Ok(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_forms_users_write() {
        let ms = Duration::from_millis;
        assert_eq!(parse_duration("250ms"), Ok(ms(250)));
        assert_eq!(parse_duration("2s"), Ok(ms(2000)));
        assert_eq!(parse_duration("1m"), Ok(ms(60_000)));
        assert_eq!(parse_duration("1m30s"), Ok(ms(90_000)));
        assert_eq!(parse_duration("1.5s"), Ok(ms(1500)));
        assert_eq!(parse_duration("0.25ms"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_duration("1_000ms"), Ok(ms(1000)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("10us"), Ok(Duration::from_micros(10)));
        assert_eq!(parse_duration("0ms"), Ok(Duration::ZERO));
    }

    #[test]
    fn rejections_say_what_to_write() {
        for (input, needle) in [
            ("", "empty duration"),
            ("250", "has no unit"),
            ("5 sec", "unknown unit `sec`"),
            ("ms", "expected a number"),
            ("1.2.3s", "is not a number"),
            ("0.0000000001s", "more precise than a nanosecond"),
            ("999999999999h", "too long"),
        ] {
            let error = parse_duration(input).unwrap_err();
            assert!(error.contains(needle), "{input:?}: {error}");
        }
    }
}
