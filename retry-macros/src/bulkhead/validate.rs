//! Every semantic check of `#[bulkhead(...)]`, each error spanned at the offending token and
//! naming the fix; all of one attribute's errors are collected.

use std::time::Duration;

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
}

/// resilience4j's default `maxConcurrentCalls`.
const DEFAULT_MAX_CONCURRENT: u32 = 25;

pub(crate) fn validate(args: &BulkheadArgs, errors: &mut Errors) -> Option<BulkheadPlan> {
    let name = limits::name(
        args.name.as_ref(),
        args.name_written,
        "bulkhead",
        "bulkhead",
        "db",
        errors,
    );
    let max_concurrent = args
        .max_concurrent
        .as_ref()
        .map_or(Some(DEFAULT_MAX_CONCURRENT), |arg| {
            limits::count(arg, limits::MAX_CONCURRENT, errors)
        });
    let max_wait = limits::max_wait(args.max_wait.as_ref(), errors);
    Some(BulkheadPlan {
        krate: args.krate.as_ref().map_or_else(
            || syn::parse_quote!(::retry_runtime),
            |krate| krate.value.clone(),
        ),
        name: name?,
        max_concurrent: max_concurrent?,
        max_wait: max_wait?,
    })
}
