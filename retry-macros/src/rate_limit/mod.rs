//! `#[rate_limit]`: `args` (the syntax of each key), `validate` (every semantic check),
//! `expand` (the call after its permit).

pub(crate) mod args;
pub(crate) mod expand;
pub(crate) mod validate;

use proc_macro2::TokenStream;

use crate::errors::Errors;
use crate::signature::{AttributeKind, FnShape, RetryFn};
use crate::strategy::{Layer, StackedAttribute};

/// `#[rate_limit]` in a stack.
pub(crate) struct RateLimit;

impl StackedAttribute for RateLimit {
    const NAME: &'static str = "rate_limit";
    const KIND: AttributeKind = AttributeKind {
        spelled: "`#[rate_limit]`",
        needs_result: crate::signature::REFUSAL_NEEDS_RESULT,
        value_alternative: "",
        runs_body_again: false,
    };
    const REJECTS: bool = true;
    const READS_REJECTIONS: bool = false;
    const NEEDS_RESULT: Option<&'static str> = Some(
        "`#[rate_limit]` and `#[bulkhead]` return a rejected call as an `Err`, and this fn does not return a `Result`",
    );

    type Args = args::RateLimitArgs;
    type Plan = validate::RateLimitPlan;

    fn parse(tokens: TokenStream, errors: &mut Errors) -> Self::Args {
        args::RateLimitArgs::parse(tokens, errors)
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
        expand::wrap_body(plan, layer.shape, body, layer.is_async, layer.rejected)
    }
}
