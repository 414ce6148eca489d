//! `#[bulkhead]`: `args` (the syntax of each key), `validate` (every semantic check), `expand`
//! (the call inside a slot).

pub(crate) mod args;
pub(crate) mod expand;
pub(crate) mod validate;
