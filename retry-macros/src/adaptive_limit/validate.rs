//! Every semantic check of `#[adaptive_limit(...)]`, each error spanned at the offending token
//! and naming the fix; all of one attribute's errors are collected. The limits are checked by
//! the settings model's builder (`retry_settings::AdaptiveLimitConfig`), the one the runtime's
//! `new_const` runs in the expansion, so the attribute and the runtime cannot disagree.

use std::time::Duration;

use retry_settings::{ADAPTIVE_LIMIT_KEYS, ALGORITHM_NAMES, AdaptiveLimitConfig, LimitAlgorithm};
use syn::{LitStr, Path};

use crate::adaptive_limit::args::AdaptiveLimitArgs;
use crate::errors::Errors;
use crate::limits;

/// What `expand` generates from.
pub(crate) struct AdaptiveLimitPlan {
    /// `deadline = "refuse"`, where its value was written.
    pub refuse_past_deadline: Option<proc_macro2::Span>,
    pub krate: Path,
    pub name: LitStr,
    pub config: AdaptiveLimitConfig,
    pub max_wait: Duration,
}

pub(crate) fn validate(args: &AdaptiveLimitArgs, errors: &mut Errors) -> Option<AdaptiveLimitPlan> {
    let name = limits::name(
        args.name.as_ref(),
        args.name_written,
        "adaptive_limit",
        "adaptive limiter",
        "db",
        errors,
    );
    let algorithm = match &args.algorithm {
        None => Some(AdaptiveLimitConfig::DEFAULT.algorithm()),
        Some(arg) => {
            let written = arg.value.value();
            let found = LimitAlgorithm::named(&written);
            if found.is_none() {
                let names: Vec<String> = ALGORITHM_NAMES
                    .iter()
                    .map(|(name, _)| format!("\"{name}\""))
                    .collect();
                errors.push_spanned(
                    &arg.value,
                    format!(
                        "unknown algorithm \"{}\"; use {} (the default) or {}",
                        written.escape_default(),
                        names[0],
                        names[1..].join(" or ")
                    ),
                );
            }
            found
        }
    };
    let written = [
        ("initial_limit", args.initial_limit.as_ref()),
        ("min_limit", args.min_limit.as_ref()),
        ("max_limit", args.max_limit.as_ref()),
    ];
    // Each limit read, for the settings model's builder to check, from its default (failsafe-go's).
    let mut builder = AdaptiveLimitConfig::builder().algorithm(algorithm.unwrap_or_default());
    let mut readable = true;
    for (key, arg) in written {
        let Some(arg) = arg else { continue };
        match limits::count(arg, ADAPTIVE_LIMIT_KEYS, key, errors) {
            Some(value) => {
                builder = match key {
                    "initial_limit" => builder.initial_limit(value),
                    "min_limit" => builder.min_limit(value),
                    _ => builder.max_limit(value),
                };
            }
            None => readable = false,
        }
    }
    // Every error the builder finds, on the key written for it; an order error on the first of
    // its two keys that was written (the defaults are in order, so one was).
    let builder_errors = if readable {
        builder.errors()
    } else {
        Vec::new()
    };
    for error in &builder_errors {
        let field = error
            .fields()
            .into_iter()
            .find(|field| {
                written
                    .iter()
                    .any(|(key, arg)| key == field && arg.is_some())
            })
            .unwrap_or(error.field());
        limits::report(&written, field, error.reason(), errors);
    }
    let max_wait = limits::max_wait(args.max_wait.as_ref(), errors);
    let config = if readable && builder_errors.is_empty() {
        builder.build().ok()
    } else {
        None
    };
    // The stack has checked that the fn returns a `Result`.
    let refuse_past_deadline = crate::deadline::validate(args.deadline.as_ref(), true, errors);
    Some(AdaptiveLimitPlan {
        refuse_past_deadline,
        krate: args.krate.as_ref().map_or_else(
            || syn::parse_quote!(::retry_runtime),
            |krate| krate.value.clone(),
        ),
        name: name?,
        config: config.filter(|_| algorithm.is_some())?,
        max_wait: max_wait?,
    })
}
