//! Every semantic check of `#[bulkhead(...)]`, each error spanned at the offending token and
//! naming the fix; all of one attribute's errors are collected.

use std::time::Duration;

use retry_settings::{BULKHEAD_KEYS, BulkheadConfig};
use syn::{LitStr, Path};

use crate::bulkhead::args::BulkheadArgs;
use crate::errors::Errors;
use crate::limits;

/// What `expand` generates from.
pub(crate) struct BulkheadPlan {
    pub krate: Path,
    pub name: LitStr,
    pub max_concurrent: u32,
    pub max_wait: Duration,
    /// `deadline = "refuse"`, where its value was written.
    pub refuse_past_deadline: Option<proc_macro2::Span>,
}

pub(crate) fn validate(args: &BulkheadArgs, errors: &mut Errors) -> Option<BulkheadPlan> {
    let name = limits::name(
        args.name.as_ref(),
        args.name_written,
        "bulkhead",
        "bulkhead",
        "db",
        errors,
    );
    // The settings model's builder checks the value, from its default (resilience4j's).
    let max_concurrent = match &args.max_concurrent {
        None => Some(BulkheadConfig::DEFAULT.max_concurrent()),
        Some(arg) => {
            limits::count(arg, BULKHEAD_KEYS, "max_concurrent", errors).and_then(|count| {
                match BulkheadConfig::builder().max_concurrent(count).build() {
                    Ok(config) => Some(config.max_concurrent()),
                    Err(error) => {
                        errors.push_spanned(&arg.value, error.reason());
                        None
                    }
                }
            })
        }
    };
    let max_wait = limits::max_wait(args.max_wait.as_ref(), errors);
    Some(BulkheadPlan {
        krate: args.krate.as_ref().map_or_else(
            || syn::parse_quote!(::retry_runtime),
            |krate| krate.value.clone(),
        ),
        name: name?,
        max_concurrent: max_concurrent?,
        max_wait: max_wait?,
        // The stack has checked that the fn returns a `Result`.
        refuse_past_deadline: crate::deadline::validate(args.deadline.as_ref(), true, errors),
    })
}
