//! `#[adaptive_limit]`: `args` (the syntax of each key), `validate` (every semantic check),
//! `expand` (the call inside a slot, its latency sampled).

pub(crate) mod args;
pub(crate) mod expand;
pub(crate) mod validate;

use proc_macro2::TokenStream;

use crate::errors::Errors;
use crate::signature::{AttributeKind, FnShape, RetryFn};
use crate::strategy::{Layer, StackedAttribute};

/// `#[adaptive_limit]` in a stack.
pub(crate) struct AdaptiveLimit;

impl StackedAttribute for AdaptiveLimit {
    const NAME: &'static str = "adaptive_limit";
    const KIND: AttributeKind = AttributeKind {
        spelled: "`#[adaptive_limit]`",
        needs_result: crate::signature::REFUSAL_NEEDS_RESULT,
        value_alternative: "",
        runs_body_again: false,
    };
    const REJECTS: bool = true;
    const READS_REJECTIONS: bool = true;
    const NEEDS_RESULT: Option<&'static str> = Some(
        "`#[adaptive_limit]` returns a rejected call as an `Err`, and this fn does not return a `Result`",
    );

    type Args = args::AdaptiveLimitArgs;
    type Plan = validate::AdaptiveLimitPlan;

    fn parse(tokens: TokenStream, errors: &mut Errors) -> Self::Args {
        args::AdaptiveLimitArgs::parse(tokens, errors)
    }

    fn validate(
        args: Self::Args,
        _function: &RetryFn,
        _shape: &FnShape,
        errors: &mut Errors,
    ) -> Option<Self::Plan> {
        validate::validate(&args, errors)
    }

    fn wrap(plan: &Self::Plan, layer: &Layer<'_>, body: &TokenStream) -> TokenStream {
        expand::wrap_body(
            plan,
            layer.shape,
            body,
            layer.is_async,
            layer.rejected,
            layer.inner_rejected,
        )
    }
}
