//! The `#[retry]` attribute. Use it through the `retry-runtime` crate, which re-exports it and
//! holds everything the expansion calls; its documentation describes every key.
//!
//! Pipeline, one module per stage: `args` (the syntax of each key), `signature` (the fn's
//! shape), `validate` (every semantic check, errors collected), `expand` (code generation).

mod classify;
mod codegen;
mod duration;
mod errors;
mod keys;
mod retry;
mod signature;

#[cfg(test)]
mod snapshots;

use proc_macro::TokenStream;

use crate::errors::Errors;
use crate::retry::args::RetryArgs;
use crate::signature::RetryFn;

/// Retries the fn's body when it returns `Err`. See `retry_runtime::retry` for every key, with
/// examples.
#[proc_macro_attribute]
pub fn retry(args: TokenStream, item: TokenStream) -> TokenStream {
    retry_attribute(args.into(), item.into()).into()
}

fn retry_attribute(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let mut errors = Errors::default();
    let args = RetryArgs::parse(args, &mut errors);
    let Ok(function) = syn::parse2::<RetryFn>(item.clone()) else {
        errors.push(syn::Error::new(
            proc_macro2::Span::call_site(),
            "`#[retry]` applies to fns and methods; put it on a `fn` that returns `Result<T, E>`",
        ));
        return with_original(errors, item);
    };
    let plan = signature::analyze(&function, &mut errors).and_then(|shape| {
        retry::validate::validate(args, &function, &shape, &mut errors).map(|plan| (shape, plan))
    });
    match plan {
        Some((shape, plan)) if errors.is_empty() => {
            let fn_name = function.sig.ident.clone();
            codegen::wrap_fn(function, &shape, |body, is_async| {
                retry::expand::wrap_body(&plan, &shape, &fn_name, body, is_async, None)
            })
        }
        _ => with_original(errors, item),
    }
}

/// The errors next to the item as written: the user sees the attribute's errors and nothing
/// else, not a cascade from a half-expanded fn.
fn with_original(errors: Errors, item: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let mut output = errors.into_compile_errors();
    output.extend(item);
    output
}
