//! Generated code shared by both attributes.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Ident, Type};

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
