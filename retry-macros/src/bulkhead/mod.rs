//! `#[bulkhead]`: `args` (the syntax of each key), `validate` (every semantic check), `expand`
//! (the call inside a slot).

pub(crate) mod args;
pub(crate) mod expand;
pub(crate) mod validate;

use proc_macro2::TokenStream;

use crate::errors::Errors;
use crate::signature::{AttributeKind, FnShape, RetryFn};
use crate::strategy::{Layer, StackedAttribute};

/// `#[bulkhead]` in a stack.
pub(crate) struct Bulkhead;

impl StackedAttribute for Bulkhead {
    const NAME: &'static str = "bulkhead";
    const KIND: AttributeKind = AttributeKind {
        spelled: "`#[bulkhead]`",
        needs_result: crate::signature::REFUSAL_NEEDS_RESULT,
        value_alternative: "",
        runs_body_again: false,
    };
    const REJECTS: bool = true;
    const READS_REJECTIONS: bool = false;
    const NEEDS_RESULT: Option<&'static str> = Some(
        "`#[rate_limit]` and `#[bulkhead]` return a rejected call as an `Err`, and this fn does not return a `Result`",
    );

    type Args = args::BulkheadArgs;
    type Plan = validate::BulkheadPlan;

    fn parse(tokens: TokenStream, errors: &mut Errors) -> Self::Args {
        args::BulkheadArgs::parse(tokens, errors)
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
