//! Attributes stacked on one fn, expanded together by the outermost one, in the order written
//! (outermost first): `#[retry] #[circuit_breaker] #[rate_limit] #[bulkhead] #[chaos] fn ..`
//! runs the retry loop around the breaker, the breaker around the rate limiter, the rate limiter
//! around the bulkhead, the bulkhead around the chaos point, and that around the body
//! (`#[adaptive_limit]` goes next to the bulkhead, outside it; `#[throttle]` next to the breaker). When rustc expands the outermost attribute
//! the others are still on the fn: it takes them off, parses and validates each (all errors
//! reported together), and wraps the body in each, innermost first.
//!
//! A call rejected by a strategy inside a `#[retry]` or a `#[circuit_breaker]` sets a flag they
//! read: the retry returns the rejection at once, never retrying it, and the breaker counts it
//! as ignored, since it says nothing of the dependency. The flag is an `AtomicBool`, so an async
//! fn's future stays `Send`. A fault `#[chaos]` injects is no rejection: it stands for the
//! dependency's own, so it sets no flag and is retried and counted like one.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Attribute, Ident};

use crate::codegen;
use crate::errors::Errors;
use crate::signature::{self, FnShape, RetryFn};
use crate::strategy::{ALL, Layer, ParsedLayer, PlannedLayer, Strategy};

/// Expands the attribute `outer` with `args` on `item`, and every strategy attribute stacked
/// under it.
pub(crate) fn expand(outer: Strategy, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let outer_args = outer.parse(args, &mut errors);
    let Ok(mut function) = syn::parse2::<RetryFn>(item.clone()) else {
        return not_a_fn(outer, errors, item);
    };
    let stacked = take_stacked(&mut function.attrs);
    let mut layers = vec![outer_args];
    layers.extend(stacked.iter().map(|stacked| {
        stacked
            .strategy
            .parse(stacked.arguments.clone(), &mut errors)
    }));
    inherit_on_result(&mut layers);
    // An attribute anywhere in the stack that runs the body more than once (a retry): its
    // checks apply.
    let kind = layers
        .iter()
        .map(|layer| layer.strategy().kind)
        .find(|kind| kind.runs_body_again)
        .unwrap_or(outer.kind);
    // `on_result` on a retry or a breaker lets the fn return values rather than a `Result`.
    let judges_values = layers.iter().any(|layer| layer.judges_values());
    let Some(shape) = signature::analyze(&function, kind, judges_values, &mut errors) else {
        return with_original(errors, function, &stacked);
    };
    if let Some(error) = result_behind_alias(&layers, &shape) {
        errors.push(error);
        return with_original(errors, function, &stacked);
    }
    if let Some(error) = needs_result(&layers, &shape) {
        errors.push(error);
        return with_original(errors, function, &stacked);
    }
    let strategies: Vec<Strategy> = layers.iter().map(|layer| layer.strategy()).collect();
    let plans: Option<Vec<Box<dyn PlannedLayer>>> = layers
        .into_iter()
        .map(|layer| layer.validate(&function, &shape, &mut errors))
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
    let plans = match plans {
        Some(plans) if errors.is_empty() => plans,
        _ => return with_original(errors, function, &stacked),
    };
    let fn_name = function.sig.ident.clone();
    let keep_imports_used: Vec<TokenStream> =
        stacked.iter().map(Stacked::keep_import_used).collect();
    let inner_rejects = |index: usize| strategies[index + 1..].iter().any(|s| s.rejects);
    // A hedge passes on the rejection of the attempt whose outcome it returns.
    let sets_flag = |index: usize| {
        (strategies[index].rejects || (strategies[index].flag_per_attempt && inner_rejects(index)))
            && strategies[..index].iter().any(|s| s.reads_rejections)
    };
    let reads_flag = |index: usize| strategies[index].reads_rejections && inner_rejects(index);
    let flag = Ident::new("inner_rejected", Span::mixed_site());
    // A hedge declares a flag per attempt itself; the call's flag is for the other readers.
    let declare_flag = (0..plans.len())
        .any(|index| reads_flag(index) && !strategies[index].flag_per_attempt)
        .then(|| quote!(let #flag = &::core::sync::atomic::AtomicBool::new(false);));
    codegen::wrap_fn(function, &shape, |body, is_async| {
        let mut wrapped = body.clone();
        for (index, plan) in plans.iter().enumerate().rev() {
            let layer = Layer {
                shape: &shape,
                fn_name: &fn_name,
                is_async,
                rejected: sets_flag(index).then_some(&flag),
                inner_rejected: reads_flag(index).then_some(&flag),
            };
            wrapped = plan.wrap(&layer, &wrapped);
        }
        quote!(#(#keep_imports_used)* #declare_flag #wrapped)
    })
}

/// One error at the return type when it hides the `Result<T, E>` that a key needs to see into
/// (a type alias, `io::Result<()>`): `on` naming a variant without its enum's path needs `E`,
/// and `on` / `when` beside `on_result` need to tell a `Result` from a plain value. The fix is
/// the same for every key: write the `Result<T, E>` out.
fn result_behind_alias(layers: &[Box<dyn ParsedLayer>], shape: &FnShape) -> Option<syn::Error> {
    if !shape.hides_result {
        return None;
    }
    let keys = layers.iter().filter_map(|layer| layer.selectors());
    let written = crate::classify::display_tokens(&shape.output);
    let output_span = codegen::return_type_span(shape);
    for (on, when) in keys {
        if !shape.returns_result {
            let key = on
                .as_ref()
                .map(|on| &on.key)
                .or(when.as_ref().map(|when| &when.key));
            if let Some(key) = key {
                return Some(syn::Error::new(
                    output_span,
                    format!(
                        "`{key}` selects errors, and `{written}` does not spell out `Result<T, E>`, so beside `on_result` it is taken as a plain value; if it is a `Result` through a type alias, write the `Result<T, E>` out here; if it is a plain value, remove `{key}`"
                    ),
                ));
            }
            continue;
        }
        let Some(variant) = on.as_ref().and_then(|on| {
            on.value
                .patterns
                .iter()
                .find_map(crate::classify::bare_variant)
        }) else {
            continue;
        };
        return Some(syn::Error::new(
            output_span,
            format!(
                "`on` names `{variant}`, a variant of the error type, and `{written}` does not show which type that is (a type alias hides `E`); write the `Result<T, E>` out here, or give the variant its enum's path in `on`, such as `MyError::{variant}`"
            ),
        ));
    }
    None
}

/// A `#[circuit_breaker]` or `#[hedge]` that names no `on_result` of its own, stacked with a
/// `#[retry(on_result = f)]` (in either order), judges values with the same `f`: what the retry
/// calls a failure (an `Ok(503)`) is one for the breaker and does not win a hedge's race, rather
/// than counting as a success after the retries ran out.
fn inherit_on_result(layers: &mut [Box<dyn ParsedLayer>]) {
    let Some(on_result) = layers
        .iter()
        .find_map(|layer| layer.lends_on_result().cloned())
    else {
        return;
    };
    for layer in layers {
        let Some(own) = layer.on_result() else {
            continue;
        };
        if own.is_none() {
            *own = Some(crate::keys::Arg {
                key: Ident::new("on_result", Span::call_site()),
                value: on_result.clone(),
            });
        }
    }
}

/// One error when the fn returns values and a layer can only answer with an `Err` (a rejection,
/// an injected fault, a hedge's failure).
fn needs_result(layers: &[Box<dyn ParsedLayer>], shape: &FnShape) -> Option<syn::Error> {
    if shape.returns_result {
        return None;
    }
    let why = layers.iter().find_map(|layer| layer.needs_result())?;
    Some(syn::Error::new(Span::call_site(), why))
}

/// An attribute stacked under the one being expanded, taken off the fn to be expanded with it.
struct Stacked {
    strategy: Strategy,
    /// The path as written (`retry`, `retry_runtime::retry`), so the user's import of it stays
    /// used once the attribute itself is gone.
    path: syn::Path,
    arguments: TokenStream,
}

impl Stacked {
    /// `use <path> as _;`: marks the user's import of the consumed attribute as used.
    fn keep_import_used(&self) -> TokenStream {
        let path = &self.path;
        quote!(#[allow(unused_imports)] use #path as _;)
    }
}

/// Removes every strategy attribute (a path ending in `retry`, `circuit_breaker`, `rate_limit`,
/// `bulkhead`, `hedge`, `chaos`, `throttle` or `adaptive_limit`), in the order written.
fn take_stacked(attrs: &mut Vec<Attribute>) -> Vec<Stacked> {
    let mut stacked = Vec::new();
    attrs.retain(|attr| {
        let Some(strategy) = attr.path().segments.last().and_then(|segment| {
            ALL.into_iter()
                .find(|strategy| segment.ident == strategy.name)
        }) else {
            return true;
        };
        let arguments = match &attr.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            _ => TokenStream::new(),
        };
        stacked.push(Stacked {
            strategy,
            path: attr.path().clone(),
            arguments,
        });
        false
    });
    stacked
}

fn not_a_fn(outer: Strategy, mut errors: Errors, item: TokenStream) -> TokenStream {
    errors.push(syn::Error::new(
        Span::call_site(),
        format!(
            "`#[{}]` applies to fns and methods; put it on a `fn` that returns `Result<T, E>`",
            outer.name
        ),
    ));
    let mut output = errors.into_compile_errors();
    output.extend(item);
    output
}

/// The errors next to the fn as written (less the stacked attributes already handled, whose
/// imports stay used): the user sees the attributes' errors and nothing else, not a cascade from
/// a half-expanded fn.
fn with_original(errors: Errors, mut function: RetryFn, stacked: &[Stacked]) -> TokenStream {
    let keep_imports_used = stacked.iter().map(Stacked::keep_import_used);
    let body = &function.body;
    function.body = quote!(#(#keep_imports_used)* #body);
    let mut output = errors.into_compile_errors();
    quote::ToTokens::to_tokens(&function, &mut output);
    output
}
