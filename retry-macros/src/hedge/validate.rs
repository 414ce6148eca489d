//! Every semantic check of `#[hedge(...)]`, each error spanned at the offending token and naming
//! the fix; all of one attribute's errors are collected.

use proc_macro2::Span;
use retry_settings::{HedgeConfig, HedgeDelay, MAX_HEDGES, duration};
use syn::{FnArg, LitStr, Path, ReceiverKind, Type};

use crate::classify::{Classifier, classifier};
use crate::errors::Errors;
use crate::hedge::args::HedgeArgs;
use crate::signature::{Flavor, FnShape, RetryFn};

/// What `expand` generates from.
pub(crate) struct HedgePlan {
    pub krate: Path,
    /// `None`: `module::fn`.
    pub name: Option<LitStr>,
    pub after: HedgeDelay,
    pub max_hedges: u32,
    pub classifier: Option<Classifier>,
    /// `on_result`: which `Ok` values are failures.
    pub on_result: Option<syn::Expr>,
    pub budget: Option<LitStr>,
    pub sleeper: Option<Type>,
    /// `deadline = "refuse"`, where its value was written.
    pub refuse_past_deadline: Option<proc_macro2::Span>,
}

/// One extra attempt, as Polly's `MaxHedgedAttempts` defaults to.
const DEFAULT_MAX_HEDGES: u32 = 1;

pub(crate) fn validate(
    args: &HedgeArgs,
    function: &RetryFn,
    shape: &FnShape,
    errors: &mut Errors,
) -> Option<HedgePlan> {
    let runs_side_by_side = check_fn(function, shape, errors);
    let after = after(args, errors);
    let max_hedges = match &args.max_hedges {
        None => Some(DEFAULT_MAX_HEDGES),
        Some(arg) => match arg.value.base10_parse::<u32>() {
            Ok(count) if (1..=MAX_HEDGES).contains(&count) => Some(count),
            _ => {
                errors.push_spanned(
                    &arg.value,
                    format!(
                        "`max_hedges` is the most extra attempts a call starts: a whole number from 1 to {MAX_HEDGES}"
                    ),
                );
                None
            }
        },
    };
    if let Some(name) = &args.name
        && name.value.value().trim().is_empty()
    {
        errors.push_spanned(
            &name.value,
            "the hedge's `name` is empty; remove `name` to use `module::fn`, or name the call, such as `name = \"search\"`",
        );
    }
    let classifier = classifier(
        args.on.as_ref(),
        args.when.as_ref(),
        function,
        shape,
        errors,
    );
    let (after, max_hedges) = (after?, max_hedges?);
    // The settings model has the last word (the same check the expansion's `const` makes).
    if let Err(error) = HedgeConfig::new(after, max_hedges) {
        errors.push(syn::Error::new(Span::call_site(), error.to_string()));
        return None;
    }
    runs_side_by_side?;
    let refuse_past_deadline =
        crate::deadline::validate(args.deadline.as_ref(), shape.returns_result, errors);
    Some(HedgePlan {
        refuse_past_deadline,
        krate: args.krate.as_ref().map_or_else(
            || syn::parse_quote!(::retry_runtime),
            |krate| krate.value.clone(),
        ),
        name: args.name.as_ref().map(|name| name.value.clone()),
        after,
        max_hedges,
        classifier,
        on_result: args.on_result.as_ref().map(|arg| arg.value.clone()),
        budget: args.budget.as_ref().map(|budget| budget.value.clone()),
        sleeper: args.sleeper.as_ref().map(|sleeper| sleeper.value.clone()),
    })
}

/// `after`, required, with `floor` applied to a quantile.
fn after(args: &HedgeArgs, errors: &mut Errors) -> Option<HedgeDelay> {
    let Some(arg) = &args.after else {
        if !args.after_written {
            errors.push(syn::Error::new(
                Span::call_site(),
                "`#[hedge]` needs `after`, when to start another attempt beside a slow one: a delay (`after = \"50ms\"`) or a quantile of recent latencies (`after = \"p95\"`)",
            ));
        }
        return None;
    };
    let delay = match HedgeDelay::parse(&arg.value.value()) {
        Ok(delay) => delay,
        Err(error) => {
            errors.push_spanned(&arg.value, error.to_string());
            return None;
        }
    };
    let Some(floor) = &args.floor else {
        return Some(delay);
    };
    let parsed = match duration::parse(&floor.value.value()) {
        Ok(parsed) => parsed,
        Err(reason) => {
            errors.push_spanned(&floor.value, format!("invalid `floor`: {reason}"));
            return None;
        }
    };
    match delay.with_floor(parsed) {
        Ok(delay) => Some(delay),
        // A fixed `after` has no use for a floor: the key itself is the mistake.
        Err(error) if matches!(delay, HedgeDelay::Fixed(_)) => {
            errors.push_spanned(&floor.key, error.to_string());
            None
        }
        Err(error) => {
            errors.push_spanned(&floor.value, error.to_string());
            None
        }
    }
}

/// Attempts run side by side inside the call's future: the fn must be async, and its
/// arguments shareable (each attempt borrows them at once).
fn check_fn(function: &RetryFn, shape: &FnShape, errors: &mut Errors) -> Option<()> {
    let mut fine = true;
    if matches!(shape.flavor, Flavor::Sync) {
        errors.push_spanned(
            function.sig.fn_token,
            "`#[hedge]` runs attempts side by side inside the call's future, so it needs an `async fn`; make the fn `async`, or use `#[retry]` for a blocking fn",
        );
        fine = false;
    }
    for input in &function.sig.inputs {
        let rebound = match input {
            FnArg::Receiver(receiver) if matches!(receiver.kind, ReceiverKind::Value) => receiver
                .mutability
                .as_ref()
                .map(|token| (token.span, "self".to_owned())),
            FnArg::Typed(typed) => match &*typed.pat {
                syn::Pat::Ident(ident) => ident
                    .mutability
                    .as_ref()
                    .map(|token| (token.span, ident.ident.to_string())),
                _ => None,
            },
            FnArg::Receiver(_) => None,
        };
        if let Some((span, name)) = rebound {
            errors.push(syn::Error::new(
                span,
                format!(
                    "`#[hedge]` runs attempts side by side, and they share `{name}`, so none can change it; remove `mut` and bind a copy inside the body: `let mut {name} = {name};` for a `Copy` type, `{name}.clone()` otherwise"
                ),
            ));
            fine = false;
        }
        let mutable = match input {
            FnArg::Receiver(receiver) => match &receiver.kind {
                ReceiverKind::Reference(_, _, Some(mutability)) => {
                    Some((mutability.span, "`&mut self`"))
                }
                _ => None,
            },
            FnArg::Typed(typed) => match &*typed.ty {
                Type::Reference(reference) => reference
                    .mutability
                    .as_ref()
                    .map(|token| (token.span, "a `&mut` argument")),
                _ => None,
            },
        };
        if let Some((span, what)) = mutable {
            errors.push(syn::Error::new(
                span,
                format!(
                    "`#[hedge]` runs attempts side by side, and they cannot all borrow {what}; take a shared reference (`&self`, `&T`), with interior mutability for what the body changes"
                ),
            ));
            fine = false;
        }
    }
    fine.then_some(())
}
