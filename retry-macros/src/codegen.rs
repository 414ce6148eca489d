//! Generated code shared by both attributes.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{FnArg, Ident, Pat, Type};

use crate::errors::Errors;
use crate::signature::{Flavor, FnShape, RetryFn};

/// Rebuilds the fn with its body replaced by `wrap(body, is_async)`. For an `#[async_trait]`
/// method, the wrapped body is the inside of its `Box::pin(async move { .. })`, after the
/// argument rebindings.
pub(crate) fn wrap_fn(
    function: RetryFn,
    shape: &FnShape,
    wrap: impl FnOnce(&TokenStream, bool) -> TokenStream,
) -> TokenStream {
    let RetryFn {
        attrs,
        vis,
        sig,
        body,
    } = function;
    let new_body = match &shape.flavor {
        Flavor::Sync => wrap(&body, false),
        Flavor::Async => wrap(&body, true),
        Flavor::AsyncTrait {
            callee,
            before,
            rebindings,
            attempt,
        } => {
            let inner = wrap(&quote!(#(#attempt)*), true);
            let move_token = <syn::Token![move]>::default();
            quote! {
                #(#before)*
                #callee(async #move_token {
                    #(#rebindings)*
                    #inner
                })
            }
        }
    };
    quote! {
        #(#attrs)*
        #vis #sig {
            #new_body
        }
    }
}

/// `if false { let r: Output = loop {}; return r; }`: fixes the attempt's output type before
/// the body is checked, so `?` knows what to convert into and type errors point at user code.
pub(crate) fn fake_return(output: &Type) -> TokenStream {
    let fake = Ident::new("retry_fake_return", Span::mixed_site());
    quote! {
        #[allow(
            unknown_lints,
            unreachable_code,
            clippy::diverging_sub_expression,
            clippy::empty_loop,
            clippy::let_unit_value,
            clippy::let_with_type_underscore,
            clippy::needless_return,
            clippy::unreachable
        )]
        if false {
            let #fake: #output = loop {};
            return #fake;
        }
    }
}

/// The arguments to call `fallback` or `recover` with: the fn's own (`self` and each named
/// argument), so each must be a plain name.
pub(crate) fn forwarded_arguments(
    key: &str,
    function: &RetryFn,
    errors: &mut Errors,
) -> Option<Vec<TokenStream>> {
    let mut arguments = Vec::new();
    for input in &function.sig.inputs {
        match input {
            FnArg::Receiver(receiver) => {
                let self_token = receiver.self_token;
                arguments.push(quote!(#self_token));
            }
            FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(ident) if ident.subpat.is_none() => {
                    let name = &ident.ident;
                    arguments.push(quote!(#name));
                }
                other => {
                    errors.push_spanned(
                        other,
                        format!("`{key}` is called with the fn's arguments, so each needs a plain name; bind this pattern inside the body instead"),
                    );
                    return None;
                }
            },
        }
    }
    Some(arguments)
}
