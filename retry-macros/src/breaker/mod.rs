//! `#[circuit_breaker]`: `args` (the syntax of each key), `validate` (every semantic check),
//! `expand` (the guarded call).

pub(crate) mod args;
pub(crate) mod expand;
pub(crate) mod validate;
