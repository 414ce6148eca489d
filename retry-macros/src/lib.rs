//! The `#[retry]`, `#[circuit_breaker]`, `#[rate_limit]`, `#[bulkhead]`, `#[hedge]`, `#[chaos]`,
//! `#[throttle]` and `#[adaptive_limit]` attributes. Use them through the `retry-runtime` crate,
//! which re-exports them and holds everything the expansions call; its documentation describes
//! every key.
//!
//! Each attribute is a folder: `args` (the syntax of each key), `validate` (every semantic
//! check, errors collected), `expand` (code generation), and in `mod.rs` its
//! `strategy::StackedAttribute` implementation, which ties the three together with what a stack
//! needs to know. `strategy` lists all of them; `stack` expands any stack of them, outermost
//! first, iterating that table. Shared: `signature` (the fn's shape), `keys` (entry parsing),
//! `settings` (the keys of the settings model, `retry-settings`: read by their kind, validated
//! by its builders, quoted back), `classify` (`on` and `when`), `limits` (the checks
//! `#[rate_limit]`, `#[bulkhead]` and `#[adaptive_limit]` share), `deadline`, `codegen`
//! (wrapping a body in any fn shape).

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
mod strategy;
mod throttle;

#[cfg(test)]
mod snapshots;

use proc_macro::TokenStream;

use crate::strategy::Strategy;

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
    stack::expand(
        Strategy::of::<bulkhead::Bulkhead>(),
        args.into(),
        item.into(),
    )
    .into()
}

/// Limits how many calls of the fn start per second. See `retry_runtime::rate_limit` for every
/// key, with examples.
#[proc_macro_attribute]
pub fn rate_limit(args: TokenStream, item: TokenStream) -> TokenStream {
    stack::expand(
        Strategy::of::<rate_limit::RateLimit>(),
        args.into(),
        item.into(),
    )
    .into()
}

/// Starts another attempt beside a slow one, and returns the first to succeed. See
/// `retry_runtime::hedge` for every key, with examples.
#[proc_macro_attribute]
pub fn hedge(args: TokenStream, item: TokenStream) -> TokenStream {
    stack::expand(Strategy::of::<hedge::Hedge>(), args.into(), item.into()).into()
}

/// Injects faults and latency into the fn's calls once its name is configured. See
/// `retry_runtime::chaos` for its keys and its configuration, with examples.
#[proc_macro_attribute]
pub fn chaos(args: TokenStream, item: TokenStream) -> TokenStream {
    stack::expand(Strategy::of::<chaos::Chaos>(), args.into(), item.into()).into()
}
/// Rejects calls locally while the backend accepts too few of them (client-side throttling). See
/// `retry_runtime::throttle` for every key, with examples.
#[proc_macro_attribute]
pub fn throttle(args: TokenStream, item: TokenStream) -> TokenStream {
    stack::expand(
        Strategy::of::<throttle::Throttle>(),
        args.into(),
        item.into(),
    )
    .into()
}
/// Limits how many calls of the fn run at once, with a limit found from their latencies. See
/// `retry_runtime::adaptive_limit` for every key, with examples.
#[proc_macro_attribute]
pub fn adaptive_limit(args: TokenStream, item: TokenStream) -> TokenStream {
    stack::expand(
        Strategy::of::<adaptive_limit::AdaptiveLimit>(),
        args.into(),
        item.into(),
    )
    .into()
}

/// `#[retry]`, and the attributes stacked under it.
fn retry_attribute(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    stack::expand(Strategy::of::<retry::Retry>(), args, item)
}

/// `#[circuit_breaker]`, and the attributes stacked under it.
fn breaker_attribute(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    stack::expand(Strategy::of::<breaker::CircuitBreaker>(), args, item)
}
