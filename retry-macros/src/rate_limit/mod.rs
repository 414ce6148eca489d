//! `#[rate_limit]`: `args` (the syntax of each key), `validate` (every semantic check),
//! `expand` (the call after its permit).

pub(crate) mod args;
pub(crate) mod expand;
pub(crate) mod validate;
