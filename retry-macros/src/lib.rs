//! The `#[retry]`, `#[circuit_breaker]`, `#[rate_limit]`, `#[bulkhead]`, `#[hedge]`, `#[chaos]`
//! and `#[throttle]` attributes. Use them through the `retry-runtime` crate, which re-exports them
//! and holds everything the expansions call; its documentation describes every key.
//! The `#[retry]`, `#[circuit_breaker]`, `#[rate_limit]`, `#[bulkhead]`, `#[hedge]` and
//! `#[adaptive_limit]` attributes. Use them through the `retry-runtime` crate, which re-exports
//! them and holds everything the expansions call; its documentation describes every key.
//!
//! Each attribute is a pipeline, one module per stage: `args` (the syntax of each key),
//! `validate` (every semantic check, errors collected), `expand` (code generation). Shared:
//! `signature` (the fn's shape), `keys` (entry parsing), `settings` (the keys of the settings
//! model, `retry-settings`: read by their kind, validated by its builders, quoted back),
//! `classify` (`on` and `when`), `limits` (the checks `#[rate_limit]`, `#[bulkhead]` and
//! `#[adaptive_limit]` share),
//! `codegen` (wrapping a body in any fn shape). Stacked attributes are expanded together, in
//! `stack`.

mod adaptive_limit;
mod breaker;
mod bulkhead;
mod chaos;
mod classify;
mod codegen;
mod deadline;
mod errors;
mod hedge;
mod keys;
mod limits;
mod rate_limit;
mod retry;
mod settings;
mod signature;
mod stack;
mod throttle;

#[cfg(test)]
mod snapshots;

use proc_macro::TokenStream;

use crate::stack::Strategy;

/// Retries the fn's body when it returns `Err`. See `retry_runtime::retry` for every key, with
/// examples.
#[proc_macro_attribute]
pub fn retry(args: TokenStream, item: TokenStream) -> TokenStream {
    retry_attribute(args.into(), item.into()).into()
}

/// Guards the fn with a named circuit breaker. See `retry_runtime::circuit_breaker` for every
/// key, with examples.
#[proc_macro_attribute]
pub fn circuit_breaker(args: TokenStream, item: TokenStream) -> TokenStream {
    breaker_attribute(args.into(), item.into()).into()
}

/// Limits how many calls of the fn run at once. See `retry_runtime::bulkhead` for every key,
/// with examples.
#[proc_macro_attribute]
pub fn bulkhead(args: TokenStream, item: TokenStream) -> TokenStream {
    stack::expand(Strategy::Bulkhead, args.into(), item.into()).into()
}

/// Limits how many calls of the fn start per second. See `retry_runtime::rate_limit` for every
/// key, with examples.
#[proc_macro_attribute]
pub fn rate_limit(args: TokenStream, item: TokenStream) -> TokenStream {
    stack::expand(Strategy::RateLimit, args.into(), item.into()).into()
}

/// Starts another attempt beside a slow one, and returns the first to succeed. See
/// `retry_runtime::hedge` for every key, with examples.
#[proc_macro_attribute]
pub fn hedge(args: TokenStream, item: TokenStream) -> TokenStream {
    stack::expand(Strategy::Hedge, args.into(), item.into()).into()
}

/// Injects faults and latency into the fn's calls once its name is configured. See
/// `retry_runtime::chaos` for its keys and its configuration, with examples.
#[proc_macro_attribute]
pub fn chaos(args: TokenStream, item: TokenStream) -> TokenStream {
    stack::expand(Strategy::Chaos, args.into(), item.into()).into()
}
/// Rejects calls locally while the backend accepts too few of them (client-side throttling). See
/// `retry_runtime::throttle` for every key, with examples.
#[proc_macro_attribute]
pub fn throttle(args: TokenStream, item: TokenStream) -> TokenStream {
    stack::expand(Strategy::Throttle, args.into(), item.into()).into()
}
/// Limits how many calls of the fn run at once, with a limit found from their latencies. See
/// `retry_runtime::adaptive_limit` for every key, with examples.
#[proc_macro_attribute]
pub fn adaptive_limit(args: TokenStream, item: TokenStream) -> TokenStream {
    stack::expand(Strategy::AdaptiveLimit, args.into(), item.into()).into()
}

/// `#[retry]`, and the attributes stacked under it.
fn retry_attribute(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    stack::expand(Strategy::Retry, args, item)
}

/// `#[circuit_breaker]`, and the attributes stacked under it.
fn breaker_attribute(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    stack::expand(Strategy::CircuitBreaker, args, item)
}
