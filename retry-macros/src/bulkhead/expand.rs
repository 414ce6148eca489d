//! Code generation for `#[bulkhead]`: take a slot (waiting up to `max_wait` for one), then run
//! the body in place. The slot's permit is a local, so it is released however the body ends:
//! its value or a `return`, a `?`, a panic, or the future dropped.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use crate::bulkhead::validate::BulkheadPlan;
use crate::codegen::{duration_tokens, error_type_span};
use crate::signature::FnShape;

/// Wraps one body (the fn's, or an inner attribute's expansion of it) in the bulkhead.
/// `rejected` names an `AtomicBool` of an outer `#[retry]` or `#[circuit_breaker]`, set on
/// rejection so that they neither retry it nor count it as the dependency's failure.
pub(crate) fn wrap_body(
    plan: &BulkheadPlan,
    shape: &FnShape,
    body: &TokenStream,
    is_async: bool,
    rejected: Option<&Ident>,
) -> TokenStream {
    let name = |text: &str| Ident::new(text, Span::mixed_site());
    let (site, permit, full) = (
        name("__BULKHEAD_SITE"),
        name("_bulkhead_permit"),
        name("bulkhead_full"),
    );
    let krate = &plan.krate;
    let private = quote!(#krate::__private);
    let bulkhead_name = &plan.name;
    let max_concurrent = plan.max_concurrent;
    let max_wait = duration_tokens(krate, plan.max_wait);
    let refuse = plan
        .refuse_past_deadline
        .map(|span| crate::deadline::refusal(krate, span, &quote!(#bulkhead_name), rejected));
    let reject = crate::codegen::refuse_with(krate, &full, error_type_span(shape), rejected);
    let acquire = if !is_async {
        quote! {
            match #site.acquire_sync(#max_wait) {
                ::core::result::Result::Ok(#permit) => #permit,
                ::core::result::Result::Err(#full) => #reject
            }
        }
    } else if plan.max_wait.is_zero() {
        quote! {
            match #site.try_acquire() {
                ::core::option::Option::Some(#permit) => #permit,
                ::core::option::Option::None => {
                    let #full = #site.full();
                    #reject
                }
            }
        }
    } else {
        quote! {
            match #site.try_acquire() {
                ::core::option::Option::Some(#permit) => #permit,
                ::core::option::Option::None => {
                    match #site.wait::<#private::DefaultSleeper>(#max_wait).await {
                        ::core::result::Result::Ok(#permit) => #permit,
                        ::core::result::Result::Err(#full) => #reject
                    }
                }
            }
        }
    };
    quote! {{
        static #site: #private::BulkheadSite = #private::BulkheadSite::new(
            #bulkhead_name,
            #private::BulkheadConfig::new_const(#max_concurrent),
        );
        #refuse
        let #permit = #acquire;
        #body
    }}
}
