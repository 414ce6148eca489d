//! `#[retry]`: `args` (the syntax of each key), `validate` (every semantic check), `expand` (the
//! retry loop).

pub(crate) mod args;
pub(crate) mod expand;
pub(crate) mod validate;

use proc_macro2::TokenStream;
use syn::Expr;

use crate::errors::Errors;
use crate::keys::Arg;
use crate::signature::{AttributeKind, FnShape, RetryFn};
use crate::strategy::{Layer, Selectors, StackedAttribute};

/// `#[retry]` in a stack.
pub(crate) struct Retry;

impl StackedAttribute for Retry {
    const NAME: &'static str = "retry";
    const KIND: AttributeKind = AttributeKind {
        spelled: "`#[retry]`",
        needs_result: "only an `Err` can say that a call failed",
        value_alternative: crate::signature::ON_RESULT_ALTERNATIVE,
        runs_body_again: true,
    };
    const REJECTS: bool = false;
    const READS_REJECTIONS: bool = true;
    const NEEDS_RESULT: Option<&'static str> = None;

    type Args = args::RetryArgs;
    type Plan = validate::RetryPlan;

    fn parse(tokens: TokenStream, errors: &mut Errors) -> Self::Args {
        args::RetryArgs::parse(tokens, errors)
    }

    fn validate(
        args: Self::Args,
        function: &RetryFn,
        shape: &FnShape,
        errors: &mut Errors,
    ) -> Option<Self::Plan> {
        validate::validate(args, function, shape, errors)
    }

    fn wrap(plan: &Self::Plan, layer: &Layer<'_>, body: &TokenStream) -> TokenStream {
        expand::wrap_body(
            plan,
            layer.shape,
            layer.fn_name,
            body,
            layer.is_async,
            layer.inner_rejected,
        )
    }

    fn judges_values(args: &Self::Args) -> bool {
        args.on_result.is_some()
    }

    fn selectors(args: &Self::Args) -> Option<Selectors<'_>> {
        Some((&args.on, &args.when))
    }

    fn lent_on_result(args: &Self::Args) -> Option<&Expr> {
        args.on_result.as_ref().map(|arg| &arg.value)
    }

    fn on_result(args: &mut Self::Args) -> Option<&mut Option<Arg<Expr>>> {
        Some(&mut args.on_result)
    }
}
