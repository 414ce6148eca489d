//! What an expansion learns about an error type it cannot name bounds on: its text for events,
//! its retry hint, and whether a timed-out attempt can be returned as it.

use std::fmt::{Debug, Display};

use crate::events::ErrorText;
use crate::hint::{ProvidesRetryHint, RetryHint};
use crate::timeout::AttemptTimeout;

// Autoref specialisation: method resolution tries `&&&Probe`, then `&&Probe`, then `&Probe`, so
// the impl with the most references wins where its bound holds. This lets the expansion use
// `Display`, `Debug` and `ProvidesRetryHint` when the error type has them, without asking the
// user for bounds or attribute keys.
/// Wraps an error for the describe and hint probes.
pub struct ErrorProbe<'a, E>(pub &'a E);

/// Probe tier 1: the error's `Display`. The text borrows the error, not the probe, so the
/// expansion can describe an error from a closure.
pub trait DescribeWithDisplay<'a> {
    /// The error as events show it.
    fn describe(&self) -> ErrorText<'a>;
}

impl<'a, E: Display> DescribeWithDisplay<'a> for &&ErrorProbe<'a, E> {
    fn describe(&self) -> ErrorText<'a> {
        ErrorText::Display(self.0)
    }
}

/// Probe tier 2: the error's `Debug`.
pub trait DescribeWithDebug<'a> {
    /// The error as events show it.
    fn describe(&self) -> ErrorText<'a>;
}

impl<'a, E: Debug> DescribeWithDebug<'a> for &ErrorProbe<'a, E> {
    fn describe(&self) -> ErrorText<'a> {
        ErrorText::Debug(self.0)
    }
}

/// Probe tier 3: the error's type name.
pub trait DescribeWithTypeName<'a> {
    /// The error as events show it.
    fn describe(&self) -> ErrorText<'a>;
}

impl<'a, E> DescribeWithTypeName<'a> for ErrorProbe<'a, E> {
    fn describe(&self) -> ErrorText<'a> {
        ErrorText::TypeName(std::any::type_name::<E>())
    }
}

/// Hint probe tier 1: the error's own [`ProvidesRetryHint`].
pub trait HintFromError {
    /// The error's advice.
    fn hint(&self) -> RetryHint;
}

impl<E: ProvidesRetryHint> HintFromError for &ErrorProbe<'_, E> {
    fn hint(&self) -> RetryHint {
        self.0.retry_hint()
    }
}

/// Hint probe tier 2: no advice.
pub trait HintFollowPolicy {
    /// [`RetryHint::FollowPolicy`].
    fn hint(&self) -> RetryHint;
}

impl<E> HintFollowPolicy for ErrorProbe<'_, E> {
    fn hint(&self) -> RetryHint {
        RetryHint::FollowPolicy
    }
}

/// Probes whether an attempt's `Result<T, E>` can carry an [`AttemptTimeout`], for fns whose
/// named policy may set `attempt_timeout`.
pub struct TimeoutProbe<R>(std::marker::PhantomData<fn() -> R>);

impl<R> TimeoutProbe<R> {
    /// A probe for the attempt output `R`.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        TimeoutProbe(std::marker::PhantomData)
    }
}

/// Timeout probe tier 1: `E: From<AttemptTimeout>`.
pub trait TimeoutFromError<R> {
    /// Turns a timeout into the attempt's output.
    fn converter(&self) -> Option<fn(AttemptTimeout) -> R>;
}

impl<T, E: From<AttemptTimeout>> TimeoutFromError<Result<T, E>> for &TimeoutProbe<Result<T, E>> {
    fn converter(&self) -> Option<fn(AttemptTimeout) -> Result<T, E>> {
        Some(|timeout| Err(E::from(timeout)))
    }
}

/// Timeout probe tier 2: no conversion.
pub trait TimeoutUnsupported<R> {
    /// `None`: the timeout cannot be reported as `E`.
    fn converter(&self) -> Option<fn(AttemptTimeout) -> R>;
}

impl<R> TimeoutUnsupported<R> for TimeoutProbe<R> {
    fn converter(&self) -> Option<fn(AttemptTimeout) -> R> {
        None
    }
}
