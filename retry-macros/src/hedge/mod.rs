//! `#[hedge]`: `args` (the syntax of each key), `validate` (every semantic check), `expand`
//! (the attempts raced inside the call's future).

pub(crate) mod args;
pub(crate) mod expand;
pub(crate) mod validate;
