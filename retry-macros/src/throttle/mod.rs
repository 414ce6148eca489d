//! `#[throttle]`: `args` (the syntax of each key), `validate` (every semantic check), `expand`
//! (admission, the body once, and its outcome recorded as an accept or not).

pub(crate) mod args;
pub(crate) mod expand;
pub(crate) mod validate;
