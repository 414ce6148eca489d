//! `#[chaos]`: `args` (the syntax of each key), `validate` (every semantic check), `expand`
//! (the injection before the body, behind one load).

pub(crate) mod args;
pub(crate) mod expand;
pub(crate) mod validate;
