//! `#[throttle]`: `args` (the syntax of each key), `validate` (every semantic check), `expand`
//! (admission, the body once, and its outcome recorded as an accept or not).

pub(crate) mod args;
pub(crate) mod expand;
pub(crate) mod validate;

use proc_macro2::TokenStream;
use syn::Expr;

use crate::errors::Errors;
use crate::keys::Arg;
use crate::signature::{AttributeKind, FnShape, RetryFn};
use crate::strategy::{Layer, Selectors, StackedAttribute};

/// `#[throttle]` in a stack.
pub(crate) struct Throttle;

impl StackedAttribute for Throttle {
    const NAME: &'static str = "throttle";
    const KIND: AttributeKind = AttributeKind {
        spelled: "`#[throttle]`",
        needs_result: crate::signature::REFUSAL_NEEDS_RESULT,
        value_alternative: "",
        runs_body_again: false,
    };
    const REJECTS: bool = true;
    const READS_REJECTIONS: bool = true;
    const NEEDS_RESULT: Option<&'static str> = Some(
        "`#[throttle]` returns a rejected call as an `Err`, and this fn does not return a `Result`",
    );

    type Args = args::ThrottleArgs;
    type Plan = validate::ThrottlePlan;

    fn parse(tokens: TokenStream, errors: &mut Errors) -> Self::Args {
        args::ThrottleArgs::parse(tokens, errors)
    }

    fn validate(
        args: Self::Args,
        function: &RetryFn,
        shape: &FnShape,
        errors: &mut Errors,
    ) -> Option<Self::Plan> {
        validate::validate(&args, function, shape, errors)
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

    fn selectors(args: &Self::Args) -> Option<Selectors<'_>> {
        Some((&args.on, &args.when))
    }

    fn on_result(args: &mut Self::Args) -> Option<&mut Option<Arg<Expr>>> {
        Some(&mut args.on_result)
    }
}
