//! The `#[retry]` and `#[circuit_breaker]` attributes. Use them through the `retry-runtime`
//! crate, which re-exports them and holds everything the expansions call; its documentation
//! describes every key.
//!
//! Each attribute is a pipeline, one module per stage: `args` (the syntax of each key),
//! `validate` (every semantic check, errors collected), `expand` (code generation). Shared:
//! `signature` (the fn's shape), `keys` (entry parsing), `settings` (the keys of the settings
//! model, `retry-settings`: read by their kind, validated by its builders, quoted back),
//! `classify` (`on` and `when`), `codegen` (wrapping a body in any fn shape). Stacked attributes
//! are expanded together, here.

mod breaker;
mod classify;
mod codegen;
mod errors;
mod keys;
mod retry;
mod settings;
mod signature;

#[cfg(test)]
mod snapshots;

use proc_macro::TokenStream;
use syn::{Attribute, Ident};

use crate::breaker::args::BreakerArgs;
use crate::breaker::validate::BreakerPlan;
use crate::errors::Errors;
use crate::retry::args::RetryArgs;
use crate::retry::validate::RetryPlan;
use crate::signature::{AttributeKind, FnShape, RetryFn};

/// Retries the fn's body when it returns `Err`. See `retry_runtime::retry` for every key, with
/// examples.
#[proc_macro_attribute]
pub fn retry(args: TokenStream, item: TokenStream) -> TokenStream {
    retry_attribute(args.into(), item.into()).into()
}

/// Guards the fn with a named circuit breaker. See `retry_runtime::circuit_breaker` for every
/// key, with examples.
#[proc_macro_attribute]
pub fn circuit_breaker(args: TokenStream, item: TokenStream) -> TokenStream {
    breaker_attribute(args.into(), item.into()).into()
}

/// `#[retry]`, and an inner `#[circuit_breaker]` if one follows it (the breaker then sits inside
/// the retry loop, and a rejection is never retried).
fn retry_attribute(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let mut errors = Errors::default();
    let args = RetryArgs::parse(args, &mut errors);
    let Ok(mut function) = syn::parse2::<RetryFn>(item.clone()) else {
        return not_a_fn("#[retry]", errors, item);
    };
    let stacked = take_attribute(&mut function.attrs, "circuit_breaker");
    let inner_breaker = stacked
        .as_ref()
        .map(|stacked| BreakerArgs::parse(stacked.arguments.clone(), &mut errors));
    let judges_values = args.on_result.is_some()
        || inner_breaker
            .as_ref()
            .is_some_and(|breaker| breaker.on_result.is_some());
    let Some(shape) =
        signature::analyze(&function, AttributeKind::Retry, judges_values, &mut errors)
    else {
        return with_original(errors, &function);
    };
    let retry_plan = retry::validate::validate(args, &function, &shape, &mut errors);
    let breaker_plan = inner_breaker
        .as_ref()
        .map(|breaker| breaker::validate::validate(breaker, &function, &shape, &mut errors));
    match (retry_plan, breaker_plan) {
        (Some(retry_plan), None) if errors.is_empty() => {
            expand_retry(function, &shape, &retry_plan)
        }
        (Some(retry_plan), Some(Some(breaker_plan))) if errors.is_empty() => {
            let fn_name = function.sig.ident.clone();
            let rejected = Ident::new("breaker_rejected", proc_macro2::Span::mixed_site());
            let keep_import_used = stacked.as_ref().map(Stacked::keep_import_used);
            codegen::wrap_fn(function, &shape, |body, is_async| {
                let guarded = breaker::expand::wrap_body(
                    &breaker_plan,
                    &shape,
                    body,
                    is_async,
                    Some(&rejected),
                );
                let retried = retry::expand::wrap_body(
                    &retry_plan,
                    &shape,
                    &fn_name,
                    &guarded,
                    is_async,
                    Some(&rejected),
                );
                quote::quote!(#keep_import_used #retried)
            })
        }
        _ => with_original(errors, &function),
    }
}

/// `#[circuit_breaker]`, and an inner `#[retry]` if one follows it (the breaker then sits outside
/// the retry loop: an exhausted retry is one failure).
fn breaker_attribute(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let mut errors = Errors::default();
    let args = BreakerArgs::parse(args, &mut errors);
    let Ok(mut function) = syn::parse2::<RetryFn>(item.clone()) else {
        return not_a_fn("#[circuit_breaker]", errors, item);
    };
    let stacked = take_attribute(&mut function.attrs, "retry");
    let inner_retry = stacked
        .as_ref()
        .map(|stacked| RetryArgs::parse(stacked.arguments.clone(), &mut errors));
    let kind = if inner_retry.is_some() {
        AttributeKind::Retry
    } else {
        AttributeKind::CircuitBreaker
    };
    let judges_values = args.on_result.is_some()
        || inner_retry
            .as_ref()
            .is_some_and(|retry| retry.on_result.is_some());
    let Some(shape) = signature::analyze(&function, kind, judges_values, &mut errors) else {
        return with_original(errors, &function);
    };
    let breaker_plan = breaker::validate::validate(&args, &function, &shape, &mut errors);
    let retry_plan =
        inner_retry.map(|retry| retry::validate::validate(retry, &function, &shape, &mut errors));
    match (breaker_plan, retry_plan) {
        (Some(breaker_plan), None) if errors.is_empty() => {
            expand_breaker(function, &shape, &breaker_plan)
        }
        (Some(breaker_plan), Some(Some(retry_plan))) if errors.is_empty() => {
            let fn_name = function.sig.ident.clone();
            let keep_import_used = stacked.as_ref().map(Stacked::keep_import_used);
            codegen::wrap_fn(function, &shape, |body, is_async| {
                let retried =
                    retry::expand::wrap_body(&retry_plan, &shape, &fn_name, body, is_async, None);
                let guarded =
                    breaker::expand::wrap_body(&breaker_plan, &shape, &retried, is_async, None);
                quote::quote!(#keep_import_used #guarded)
            })
        }
        _ => with_original(errors, &function),
    }
}

fn expand_retry(function: RetryFn, shape: &FnShape, plan: &RetryPlan) -> proc_macro2::TokenStream {
    let fn_name = function.sig.ident.clone();
    codegen::wrap_fn(function, shape, |body, is_async| {
        retry::expand::wrap_body(plan, shape, &fn_name, body, is_async, None)
    })
}

fn expand_breaker(
    function: RetryFn,
    shape: &FnShape,
    plan: &BreakerPlan,
) -> proc_macro2::TokenStream {
    codegen::wrap_fn(function, shape, |body, is_async| {
        breaker::expand::wrap_body(plan, shape, body, is_async, None)
    })
}

/// An attribute stacked under the one being expanded, taken off the fn to be expanded with it.
struct Stacked {
    /// The path as written (`retry`, `retry_runtime::retry`), so the user's import of it stays
    /// used once the attribute itself is gone.
    path: syn::Path,
    arguments: proc_macro2::TokenStream,
}

impl Stacked {
    /// `use <path> as _;`: marks the user's import of the consumed attribute as used.
    fn keep_import_used(&self) -> proc_macro2::TokenStream {
        let path = &self.path;
        quote::quote!(#[allow(unused_imports)] use #path as _;)
    }
}

/// Removes the first attribute whose path ends in `name` (`retry`, `retry_runtime::retry`, ...).
fn take_attribute(attrs: &mut Vec<Attribute>, name: &str) -> Option<Stacked> {
    let position = attrs.iter().position(|attr| {
        attr.path()
            .segments
            .last()
            .is_some_and(|segment| segment.ident == name)
    })?;
    let attr = attrs.remove(position);
    let path = attr.path().clone();
    let arguments = match attr.meta {
        syn::Meta::List(list) => list.tokens,
        _ => proc_macro2::TokenStream::new(),
    };
    Some(Stacked { path, arguments })
}

fn not_a_fn(
    attribute: &str,
    mut errors: Errors,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    errors.push(syn::Error::new(
        proc_macro2::Span::call_site(),
        format!(
            "`{attribute}` applies to fns and methods; put it on a `fn` that returns `Result<T, E>`"
        ),
    ));
    let mut output = errors.into_compile_errors();
    output.extend(item);
    output
}

/// The errors next to the fn as written (less a stacked attribute already handled): the user
/// sees the attribute's errors and nothing else, not a cascade from a half-expanded fn.
fn with_original(errors: Errors, function: &RetryFn) -> proc_macro2::TokenStream {
    let mut output = errors.into_compile_errors();
    quote::ToTokens::to_tokens(function, &mut output);
    output
}
