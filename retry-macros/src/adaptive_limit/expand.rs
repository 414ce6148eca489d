//! Code generation for `#[adaptive_limit]`: take a slot (waiting up to `max_wait` for one),
//! run the body once (in a closure or a non-`move` async block, so `?` and `return` still reach
//! the outcome), then give the slot back with the call's latency. The permit is a local, so a
//! panic or the future dropped frees the slot too, without a latency sample.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use crate::adaptive_limit::validate::AdaptiveLimitPlan;
use crate::codegen::{duration_tokens, error_type_span, fake_return};
use crate::signature::FnShape;
use retry_settings::LimitAlgorithm;

/// Wraps one body (the fn's, or an inner attribute's expansion of it) in the adaptive limit.
/// `rejected` names an `AtomicBool` of an outer `#[retry]` or `#[circuit_breaker]`, set on
/// rejection so that they neither retry it nor count it as the dependency's failure.
/// `inner_rejected` is that flag when an inner attribute can set it: a call a bulkhead, rate
/// limiter or breaker inside rejected did not reach the dependency, so its latency is no sample.
pub(crate) fn wrap_body(
    plan: &AdaptiveLimitPlan,
    shape: &FnShape,
    body: &TokenStream,
    is_async: bool,
    rejected: Option<&Ident>,
    inner_rejected: Option<&Ident>,
) -> TokenStream {
    let name = |text: &str| Ident::new(text, Span::mixed_site());
    let (site, permit, exceeded, outcome, call) = (
        name("__ADAPTIVE_LIMIT_SITE"),
        name("adaptive_permit"),
        name("limit_exceeded"),
        name("adaptive_outcome"),
        name("adaptive_call"),
    );
    let krate = &plan.krate;
    let private = quote!(#krate::__private);
    let limiter_name = &plan.name;
    let config = &plan.config;
    let algorithm = Ident::new(
        match config.algorithm() {
            LimitAlgorithm::Gradient2 => "Gradient2",
            LimitAlgorithm::Aimd => "Aimd",
            _ => "Vegas",
        },
        Span::call_site(),
    );
    let (initial, min, max) = (
        config.initial_limit(),
        config.min_limit(),
        config.max_limit(),
    );
    let reject = crate::codegen::refuse_with(krate, &exceeded, error_type_span(shape), rejected);
    let acquire = acquire(plan, (&site, &permit, &exceeded), &reject, is_async);
    let output = &shape.output;
    let fake_return = fake_return(output);
    let run = if is_async {
        quote!(async { #fake_return #body }.await)
    } else {
        quote! {{
            #[allow(unused_mut)]
            let mut #call = || { #fake_return #body };
            #call()
        }}
    };
    let record = if is_async {
        quote!(#private::record_async(#permit))
    } else {
        quote!(#private::record_sync(#permit))
    };
    let finish = inner_rejected.map_or_else(
        || quote!(#record;),
        |flag| {
            quote! {
                if #flag.load(::core::sync::atomic::Ordering::Relaxed) {
                    ::core::mem::drop(#permit);
                } else {
                    #record;
                }
            }
        },
    );
    let refuse = plan
        .refuse_past_deadline
        .map(|span| crate::deadline::refusal(krate, span, &quote!(#limiter_name), rejected));
    quote! {{
        static #site: #private::AdaptiveLimitSite = #private::AdaptiveLimitSite::new(
            #limiter_name,
            #private::AdaptiveLimitConfig::new_const(
                #private::LimitAlgorithm::#algorithm,
                #initial,
                #min,
                #max,
            ),
        );
        #refuse
        let #permit = #acquire;
        let #outcome: #output = #run;
        #finish
        #outcome
    }}
}

/// Taking a slot: at once or after waiting (sync), at once (async without `max_wait`), or at
/// once else after waiting on tokio's clock (async).
fn acquire(
    plan: &AdaptiveLimitPlan,
    (site, permit, exceeded): (&Ident, &Ident, &Ident),
    reject: &TokenStream,
    is_async: bool,
) -> TokenStream {
    let krate = &plan.krate;
    let private = quote!(#krate::__private);
    let max_wait = duration_tokens(krate, plan.max_wait);
    if !is_async {
        quote! {
            match #site.acquire_sync(#max_wait) {
                ::core::result::Result::Ok(#permit) => #permit,
                ::core::result::Result::Err(#exceeded) => #reject
            }
        }
    } else if plan.max_wait.is_zero() {
        quote! {
            match #site.try_acquire() {
                ::core::option::Option::Some(#permit) => #permit,
                ::core::option::Option::None => {
                    let #exceeded = #site.exceeded();
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
                        ::core::result::Result::Err(#exceeded) => #reject
                    }
                }
            }
        }
    }
}
