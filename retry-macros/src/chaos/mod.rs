//! `#[chaos]`: `args` (the syntax of each key), `validate` (every semantic check), `expand`
//! (the injection before the body, behind one load).

pub(crate) mod args;
pub(crate) mod expand;
pub(crate) mod validate;

use proc_macro2::TokenStream;

use crate::errors::Errors;
use crate::signature::{AttributeKind, FnShape, RetryFn};
use crate::strategy::{Layer, StackedAttribute};

/// `#[chaos]` in a stack.
pub(crate) struct Chaos;

impl StackedAttribute for Chaos {
    const NAME: &'static str = "chaos";
    const KIND: AttributeKind = AttributeKind {
        spelled: "`#[chaos]`",
        needs_result: "an injected fault is returned as an `Err`",
        value_alternative: "",
        runs_body_again: false,
    };
    const REJECTS: bool = false;
    const READS_REJECTIONS: bool = false;
    const NEEDS_RESULT: Option<&'static str> = Some(
        "`#[chaos]` returns an injected fault as an `Err`, and this fn does not return a `Result`",
    );

    type Args = args::ChaosArgs;
    type Plan = validate::ChaosPlan;

    fn parse(tokens: TokenStream, errors: &mut Errors) -> Self::Args {
        args::ChaosArgs::parse(tokens, errors)
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
        expand::wrap_body(plan, layer.shape, body, layer.is_async)
    }
}
