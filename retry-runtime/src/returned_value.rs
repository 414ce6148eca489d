//! What `on_result` is given when a fn's return type does not spell `Result<T, E>` out: the
//! whole value. The attributes read the return type as written, so a `Result` behind a type
//! alias (`type Answer = Result<Response, ApiError>; fn get() -> Answer`) looks like a plain
//! value to them; rather than hand `on_result` the whole `Result` (a type mismatch at the key),
//! such a `Result` is one compile error at the return type that names the fix: write the
//! `Result<T, E>` out. The expansions of `#[retry]` and `#[circuit_breaker]` use these; code
//! written by hand has no need of them.
//!
//! ```
//! use retry_runtime::returned_value::{JudgeReturnedValue, ReturnedValue};
//!
//! type Status = u16; // an alias of a plain value is judged as it is
//! let status: Status = 503;
//! assert!(ReturnedValue(&status).judge(|status: &u16| *status == 503));
//! ```
//!
//! ```compile_fail
//! use retry_runtime::returned_value::{JudgeReturnedValue, ReturnedValue};
//!
//! type Answer = Result<u16, String>; // a `Result` behind an alias is not
//! let answer: Answer = Ok(503);
//! ReturnedValue(&answer).judge(|status: &u16| *status == 503);
//! ```

use crate::__private::{JudgesValue, judge_value};

/// A fn's whole return value, for `on_result` to judge: a plain value is judged
/// ([`JudgeReturnedValue`]); a `Result` (which the attributes could not see in the return
/// type) does not compile, with an error naming the fix.
pub struct ReturnedValue<'a, T: ?Sized>(pub &'a T);

impl<T, E> ReturnedValue<'_, Result<T, E>> {
    /// Chosen over [`JudgeReturnedValue::judge`] when the value is a `Result`: it never
    /// compiles ([`ResultWrittenOut`] has no implementations).
    #[allow(clippy::needless_pass_by_value, clippy::unused_self)]
    pub fn judge<F>(&self, _judge: F) -> bool
    where
        Result<T, E>: ResultWrittenOut,
    {
        false
    }
}

/// Implemented by nothing: what a `Result` returned through a type alias beside `on_result`
/// would need, and the message that says to write the `Result<T, E>` out instead.
#[diagnostic::on_unimplemented(
    message = "this fn returns a `Result` through a type alias, so `on_result` would judge the whole `{Self}`",
    label = "write the `Result<T, E>` out here: `{Self}`",
    note = "the attributes read the return type as written: spelled `Result<T, E>`, `on_result` judges the `Ok` value and `on` / `when` the error; through an alias they cannot tell a `Result` from a plain value"
)]
pub trait ResultWrittenOut {}

/// `on_result` applied to a fn's whole return value (a plain value, not a `Result`).
pub trait JudgeReturnedValue<T: ?Sized> {
    /// Whether the value is a failure.
    fn judge<F: JudgesValue<T>>(&self, judge: F) -> bool;
}

impl<T: ?Sized> JudgeReturnedValue<T> for ReturnedValue<'_, T> {
    #[inline]
    fn judge<F: JudgesValue<T>>(&self, judge: F) -> bool {
        judge_value(self.0, judge)
    }
}
