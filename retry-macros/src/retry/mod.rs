//! `#[retry]`: `args` (the syntax of each key), `validate` (every semantic check), `expand` (the
//! retry loop).

pub(crate) mod args;
pub(crate) mod expand;
pub(crate) mod validate;
