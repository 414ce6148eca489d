//! Retries: the policy (the numbers), the engine (the decision after each failure), the sites and
//! loops the attribute expands into, and the closure API for code without the attribute.

pub(crate) mod engine;
mod functional;
pub(crate) mod policy;

// What expansions call, reached through `__private` only: not in the API listing.
#[doc(hidden)]
pub(crate) mod async_call;
#[doc(hidden)]
pub(crate) mod probes;
#[doc(hidden)]
pub(crate) mod site;
#[doc(hidden)]
pub(crate) mod sync_call;
