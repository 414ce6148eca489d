//! Code generation for `#[chaos]`: one relaxed load, and the body as it is while no chaos point
//! is configured anywhere in the process; otherwise the site's point injects its latency and its
//! fault before the body runs. An injected fault is no rejection: it stands for the real fault,
//! so it sets no flag, and an outer `#[retry]` retries it and an outer `#[circuit_breaker]`
//! counts it as a failure.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use crate::chaos::validate::ChaosPlan;
use crate::codegen::{converted_error, error_type_span};
use crate::signature::FnShape;

/// Wraps one body (the fn's, or an inner attribute's expansion of it) in the chaos point.
pub(crate) fn wrap_body(
    plan: &ChaosPlan,
    shape: &FnShape,
    body: &TokenStream,
    is_async: bool,
) -> TokenStream {
    let name = |text: &str| Ident::new(text, Span::mixed_site());
    let (site, fault) = (name("__CHAOS_SITE"), name("injected_fault"));
    let krate = &plan.krate;
    let private = quote!(#krate::__private);
    let chaos_name = &plan.name;
    let span = error_type_span(shape);
    let conversion = converted_error(krate, &fault, span);
    let inject = if is_async {
        quote!(#site.inject::<#private::DefaultSleeper>().await)
    } else {
        quote!(#site.inject_sync())
    };
    quote! {{
        static #site: #private::ChaosSite = #private::ChaosSite::new(#chaos_name);
        if #private::chaos_armed() {
            if let ::core::result::Result::Err(#fault) = #inject {
                return #conversion;
            }
        }
        #body
    }}
}
