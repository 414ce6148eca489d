//! `#[hedge]`: `args` (the syntax of each key), `validate` (every semantic check), `expand`
//! (the attempts raced inside the call's future).

pub(crate) mod args;
pub(crate) mod expand;
pub(crate) mod validate;

use proc_macro2::TokenStream;
use syn::Expr;

use crate::errors::Errors;
use crate::keys::Arg;
use crate::signature::{AttributeKind, FnShape, RetryFn};
use crate::strategy::{Layer, Selectors, StackedAttribute};

/// `#[hedge]` in a stack.
pub(crate) struct Hedge;

impl StackedAttribute for Hedge {
    const NAME: &'static str = "hedge";
    const KIND: AttributeKind = AttributeKind {
        spelled: "`#[hedge]`",
        needs_result: "only an `Err` can say that an attempt failed",
        value_alternative: "",
        runs_body_again: false,
    };
    const REJECTS: bool = false;
    const READS_REJECTIONS: bool = true;
    const FLAG_PER_ATTEMPT: bool = true;
    const NEEDS_RESULT: Option<&'static str> = Some(
        "`#[hedge]` returns the first attempt that succeeds, and only an `Err` can say that one failed; this fn does not return a `Result`",
    );

    type Args = args::HedgeArgs;
    type Plan = validate::HedgePlan;

    fn parse(tokens: TokenStream, errors: &mut Errors) -> Self::Args {
        args::HedgeArgs::parse(tokens, errors)
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
            layer.fn_name,
            body,
            (layer.rejected, layer.inner_rejected),
        )
    }

    fn selectors(args: &Self::Args) -> Option<Selectors<'_>> {
        Some((&args.on, &args.when))
    }

    fn on_result(args: &mut Self::Args) -> Option<&mut Option<Arg<Expr>>> {
        Some(&mut args.on_result)
    }
}
