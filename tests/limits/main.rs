mod adaptive_limit;
mod bulkhead;
mod rate_limit;
mod stacking;
// `pub`: its `strict` module is a user crate's public API, linted as such.
pub mod throttle;
