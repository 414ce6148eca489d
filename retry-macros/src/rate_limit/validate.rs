//! Every semantic check of `#[rate_limit(...)]`, each error spanned at the offending token and
//! naming the fix; all of one attribute's errors are collected.

use std::time::Duration;

use proc_macro2::Span;
use retry_settings::{RATE_LIMIT_KEYS, RateLimitConfig};
use syn::{LitStr, Path};

use crate::errors::Errors;
use crate::limits;
use crate::rate_limit::args::RateLimitArgs;

/// What `expand` generates from.
pub(crate) struct RateLimitPlan {
    pub krate: Path,
    pub name: LitStr,
    pub per_second: u32,
    pub burst: u32,
    pub max_wait: Duration,
    /// `deadline = "refuse"`, where its value was written.
    pub refuse_past_deadline: Option<proc_macro2::Span>,
}

pub(crate) fn validate(args: &RateLimitArgs, errors: &mut Errors) -> Option<RateLimitPlan> {
    let name = limits::name(
        args.name.as_ref(),
        args.name_written,
        "rate_limit",
        "rate limiter",
        "api",
        errors,
    );
    let per_second = match &args.per_second {
        // Written, but not as an integer: already reported.
        None if args.per_second_written => None,
        None => {
            errors.push(syn::Error::new(
                Span::call_site(),
                "`#[rate_limit]` needs `per_second`, the calls a second it admits: `#[rate_limit(name = \"api\", per_second = 100)]`",
            ));
            None
        }
        Some(arg) => limits::count(arg, RATE_LIMIT_KEYS, "per_second", errors),
    };
    let burst = args
        .burst
        .as_ref()
        .map(|arg| limits::count(arg, RATE_LIMIT_KEYS, "burst", errors));
    // The settings model's builder checks both; without `burst`, a second's worth, as
    // `governor`'s `Quota::per_second`.
    // Each value read is checked, even when the other is missing or unreadable (already
    // reported): a missing `per_second` stands in as 1, which is valid, to check `burst`.
    let mut builder = RateLimitConfig::builder().per_second(per_second.unwrap_or(1));
    if let Some(Some(burst)) = burst {
        builder = builder.burst(burst);
    }
    let written = [
        ("per_second", args.per_second.as_ref()),
        ("burst", args.burst.as_ref()),
    ];
    for error in builder.errors() {
        limits::report(&written, error.field, error.reason(), errors);
    }
    let config = match (per_second, burst) {
        (Some(_), None | Some(Some(_))) => builder.build().ok(),
        _ => None,
    };
    let max_wait = limits::max_wait(args.max_wait.as_ref(), errors);
    Some(RateLimitPlan {
        krate: args.krate.as_ref().map_or_else(
            || syn::parse_quote!(::retry_runtime),
            |krate| krate.value.clone(),
        ),
        name: name?,
        per_second: config?.per_second(),
        burst: config?.burst(),
        max_wait: max_wait?,
        // The stack has checked that the fn returns a `Result`.
        refuse_past_deadline: crate::deadline::validate(args.deadline.as_ref(), true, errors),
    })
}
