//! Checks `#[bulkhead]` and `#[rate_limit]` share: the name, whole numbers within bounds, and
//! `max_wait`. The bounds are the runtime's (`retry_runtime::{MAX_CONCURRENT, MAX_PER_SECOND,
//! MAX_BURST, MAX_WAIT}`); the expansion builds each config with the runtime's `new_const`, so
//! a bound that drifted would still fail the build.

use std::time::Duration;

use proc_macro2::Span;
use syn::{LitInt, LitStr};

use crate::errors::Errors;
use crate::keys::Arg;
use retry_settings::duration::{describe, parse as parse_duration};

/// `retry_runtime::MAX_CONCURRENT`.
pub(crate) const MAX_CONCURRENT: u32 = 1_000_000;
/// `retry_runtime::MAX_PER_SECOND` and `retry_runtime::MAX_BURST`.
pub(crate) const MAX_RATE: u32 = 1_000_000_000;
/// `retry_runtime::MAX_WAIT`.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(3600);

/// The required `name`, not empty. `attribute` is `bulkhead` or `rate_limit`, `what` what the
/// name names. `written`: the key is there but its value did not parse, which is reported.
pub(crate) fn name(
    name: Option<&Arg<LitStr>>,
    written: bool,
    attribute: &str,
    what: &str,
    example: &str,
    errors: &mut Errors,
) -> Option<LitStr> {
    match name {
        None if written => None,
        None => {
            errors.push(syn::Error::new(
                Span::call_site(),
                format!(
                    "`#[{attribute}]` needs a name: `#[{attribute}(name = \"{example}\")]`; sites with the same name share one {what}"
                ),
            ));
            None
        }
        Some(name) if name.value.value().trim().is_empty() => {
            errors.push_spanned(
                &name.value,
                format!(
                    "the {what}'s `name` is empty; name what it protects, such as `name = \"{example}\"`"
                ),
            );
            None
        }
        Some(name) => Some(name.value.clone()),
    }
}

/// A whole number from 1 to `max`, written with `_` separators in the message.
pub(crate) fn count(arg: &Arg<LitInt>, max: u32, errors: &mut Errors) -> Option<u32> {
    match arg.value.base10_parse::<u64>() {
        Ok(value) if (1..=u64::from(max)).contains(&value) => u32::try_from(value).ok(),
        _ => {
            errors.push_spanned(
                &arg.value,
                format!(
                    "`{}` must be a whole number from 1 to {}",
                    arg.key,
                    separated(max)
                ),
            );
            None
        }
    }
}

/// `max_wait`: a duration of at most an hour; zero rejects at once.
pub(crate) fn max_wait(arg: Option<&Arg<LitStr>>, errors: &mut Errors) -> Option<Duration> {
    let Some(arg) = arg else {
        return Some(Duration::ZERO);
    };
    match parse_duration(&arg.value.value()) {
        Ok(wait) if wait > MAX_WAIT => {
            errors.push_spanned(
                &arg.value,
                format!(
                    "`max_wait` is {}; a call waits at most an hour (`max_wait = \"1h\"`)",
                    describe(wait)
                ),
            );
            None
        }
        Ok(wait) => Some(wait),
        Err(reason) => {
            errors.push_spanned(&arg.value, format!("invalid `max_wait`: {reason}"));
            None
        }
    }
}

/// `1000000` as `1_000_000`.
fn separated(value: u32) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push('_');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn separates_thousands() {
        assert_eq!(super::separated(1), "1");
        assert_eq!(super::separated(1_000), "1_000");
        assert_eq!(super::separated(1_000_000_000), "1_000_000_000");
    }
}
