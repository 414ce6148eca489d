//! Code generation for `#[rate_limit]`: take a permit (waiting up to `max_wait` for one), then
//! run the body in place.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use crate::codegen::{duration_tokens, error_type_span};
use crate::rate_limit::validate::RateLimitPlan;
use crate::signature::FnShape;

/// Wraps one body (the fn's, or an inner attribute's expansion of it) in the rate limiter.
/// `rejected` names an `AtomicBool` of an outer `#[retry]` or `#[circuit_breaker]`, set on
/// rejection so that they neither retry it nor count it as the dependency's failure.
pub(crate) fn wrap_body(
    plan: &RateLimitPlan,
    shape: &FnShape,
    body: &TokenStream,
    is_async: bool,
    rejected: Option<&Ident>,
) -> TokenStream {
    let name = |text: &str| Ident::new(text, Span::mixed_site());
    let (site, limited, wait) = (
        name("__RATE_LIMIT_SITE"),
        name("rate_limited"),
        name("rate_limit_wait"),
    );
    let krate = &plan.krate;
    let private = quote!(#krate::__private);
    let limiter_name = &plan.name;
    let (per_second, burst) = (plan.per_second, plan.burst);
    let max_wait = duration_tokens(krate, plan.max_wait);
    let refuse = plan
        .refuse_past_deadline
        .map(|span| crate::deadline::refusal(krate, span, &quote!(#limiter_name), rejected));
    let reject = crate::codegen::refuse_with(krate, &limited, error_type_span(shape), rejected);
    let sleeper = quote!(#private::DefaultSleeper);
    let admit = if !is_async {
        quote! {
            if let ::core::result::Result::Err(#limited) = #site.acquire_sync(#max_wait) #reject
        }
    } else if plan.max_wait.is_zero() {
        quote! {
            if let ::core::result::Result::Err(#limited) = #site.reserve::<#sleeper>(#max_wait) #reject
        }
    } else {
        quote! {
            match #site.reserve::<#sleeper>(#max_wait) {
                ::core::result::Result::Ok(#wait) => {
                    if !#private::Duration::is_zero(&#wait) {
                        #site.wait::<#sleeper>(#wait).await;
                    }
                }
                ::core::result::Result::Err(#limited) => #reject
            }
        }
    };
    quote! {{
        static #site: #private::RateLimitSite = #private::RateLimitSite::new(
            #limiter_name,
            #private::RateLimitConfig::new_const(#per_second, #burst),
        );
        #refuse
        #admit
        #body
    }}
}
