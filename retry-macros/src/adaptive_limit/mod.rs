//! `#[adaptive_limit]`: `args` (the syntax of each key), `validate` (every semantic check),
//! `expand` (the call inside a slot, its latency sampled).

pub(crate) mod args;
pub(crate) mod expand;
pub(crate) mod validate;
