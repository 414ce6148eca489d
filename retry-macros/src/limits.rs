//! Checks `#[bulkhead]` and `#[rate_limit]` share: the name, whole numbers read for the
//! settings model's builders (`retry_settings::{BulkheadConfig, RateLimitConfig}`, which check
//! the bounds), and `max_wait` (checked by `retry_settings::max_wait`). The expansion builds
//! each config with the runtime's `new_const`, the same builder, so the attribute and the
//! runtime cannot disagree.

use std::time::Duration;

use proc_macro2::Span;
use syn::{LitInt, LitStr};

use crate::errors::Errors;
use crate::keys::Arg;
use retry_settings::duration::parse as parse_duration;
use retry_settings::{Key, find};

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

/// The value of the count key `name` of `table`, for its builder to check; a number too large
/// for any count is refused here, with the key's bounds.
pub(crate) fn count<B>(
    arg: &Arg<LitInt>,
    table: &'static [Key<B>],
    name: &str,
    errors: &mut Errors,
) -> Option<u32> {
    let parsed = arg.value.base10_parse::<u32>();
    if parsed.is_err() {
        let written = arg.value.base10_digits();
        let message = find(table, name).map_or_else(
            || format!("`{name} = {written}` is out of range"),
            |key| key.out_of_range(written),
        );
        errors.push_spanned(&arg.value, message);
    }
    parsed.ok()
}

/// A builder's error about `field`, put on the value of the key written for it.
pub(crate) fn report(
    written: &[(&str, Option<&Arg<LitInt>>)],
    field: &str,
    reason: String,
    errors: &mut Errors,
) {
    if let Some((_, Some(arg))) = written.iter().find(|(name, _)| *name == field) {
        errors.push_spanned(&arg.value, reason);
    }
}

/// `max_wait`: a duration of at most an hour; zero rejects at once.
pub(crate) fn max_wait(arg: Option<&Arg<LitStr>>, errors: &mut Errors) -> Option<Duration> {
    let Some(arg) = arg else {
        return Some(Duration::ZERO);
    };
    match parse_duration(&arg.value.value()).map(retry_settings::max_wait) {
        Ok(Ok(wait)) => Some(wait),
        Ok(Err(error)) => {
            errors.push_spanned(&arg.value, error.reason());
            None
        }
        Err(reason) => {
            errors.push_spanned(&arg.value, format!("invalid `max_wait`: {reason}"));
            None
        }
    }
}
