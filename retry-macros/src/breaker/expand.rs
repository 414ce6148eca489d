//! Code generation for `#[circuit_breaker]`: ask the named breaker for a permit, run the body
//! once (in a closure or a non-`move` async block, so `?` and `return` still reach the outcome),
//! and record the outcome. A rejection returns `Err(E::from(CircuitOpen))` or calls the fallback.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::Ident;

use crate::breaker::validate::{BreakerPlan, ConfigPlan, OpenPeriod};
use crate::classify::selects;
use crate::codegen::fake_return;
use crate::signature::FnShape;

/// Wraps one body (the fn's, or an inner attribute's expansion of it) in the breaker.
/// `rejected` names an `AtomicBool` of an outer `#[retry]` or `#[circuit_breaker]`, set on
/// rejection so that they neither retry it nor count it as a failure. `inner_rejected` is that
/// flag when an inner attribute can set it: a call an inner bulkhead, rate limiter or breaker
/// rejected says nothing of the dependency, so it counts as ignored.
pub(crate) fn wrap_body(
    plan: &BreakerPlan,
    shape: &FnShape,
    body: &TokenStream,
    is_async: bool,
    rejected: Option<&Ident>,
    inner_rejected: Option<&Ident>,
) -> TokenStream {
    let name = |text: &str| Ident::new(text, Span::mixed_site());
    let (site, permit, open, outcome, error, attempt) = (
        name("__CIRCUIT_BREAKER_SITE"),
        name("breaker_permit"),
        name("breaker_open"),
        name("breaker_outcome"),
        name("breaker_error"),
        name("breaker_call"),
    );
    let krate = &plan.krate;
    let breaker_name = &plan.name;
    let config = config_tokens(&plan.config, krate);
    let output = &shape.output;
    let fake_return = fake_return(output);
    let mark_rejected =
        rejected.map(|flag| quote!(#flag.store(true, ::core::sync::atomic::Ordering::Relaxed);));
    let on_rejection = match &plan.fallback {
        Some((fallback, arguments)) if is_async => {
            quote!(return (#fallback)(#(#arguments),*).await;)
        }
        Some((fallback, arguments)) => quote!(return (#fallback)(#(#arguments),*);),
        None => quote!(return #krate::__private::rejected(#open);),
    };
    let run = if is_async {
        quote!(async { #fake_return #body }.await)
    } else {
        quote! {{
            #[allow(unused_mut)]
            let mut #attempt = || { #fake_return #body };
            #attempt()
        }}
    };
    let selected = selects(plan.classifier.as_ref(), &error.to_token_stream());
    let counts_as_failure = match inner_rejected {
        Some(flag) => {
            quote!(!#flag.load(::core::sync::atomic::Ordering::Relaxed) && #selected)
        }
        None => selected,
    };
    quote! {{
        static #site: #krate::__private::BreakerSite = #krate::__private::BreakerSite::new(#breaker_name, #config);
        let #permit = match #site.breaker().try_acquire() {
            ::core::result::Result::Ok(#permit) => #permit,
            ::core::result::Result::Err(#open) => {
                #mark_rejected
                #on_rejection
            }
        };
        let #outcome: #output = #run;
        match &#outcome {
            ::core::result::Result::Ok(_) => #permit.record_success(),
            ::core::result::Result::Err(#error) => {
                if #counts_as_failure {
                    #permit.record_failure();
                } else {
                    #permit.record_ignored();
                }
            }
        }
        #outcome
    }}
}

fn config_tokens(config: &ConfigPlan, krate: &syn::Path) -> TokenStream {
    let private = quote!(#krate::__private);
    let duration = |duration: std::time::Duration| {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        quote!(#private::Duration::from_nanos(#nanos))
    };
    let ConfigPlan {
        failure_threshold,
        failure_rate,
        window,
        min_calls,
        slow_call,
        slow_call_rate,
        open_period:
            OpenPeriod {
                open_for,
                factor: open_for_factor,
                max: max_open_for,
            },
        half_open_calls,
        half_open_timeout,
    } = config;
    let half_open_timeout = half_open_timeout.map(|timeout| {
        let timeout = duration(timeout);
        quote!(.half_open_timeout(#timeout))
    });
    let failure_rate = failure_rate.map(|rate| quote!(.failure_rate(#rate)));
    let window = window.map(|window| quote!(.window(#window)));
    let min_calls = min_calls.map(|min| quote!(.min_calls(#min)));
    let slow_call = slow_call.map(|slow| {
        let slow = duration(slow);
        quote!(.slow_call(#slow))
    });
    let slow_call_rate = slow_call_rate.map(|rate| quote!(.slow_call_rate(#rate)));
    let open_for = duration(*open_for);
    let max_open_for = duration(*max_open_for);
    quote! {
        #private::BreakerConfig::builder()
            .failure_threshold(#failure_threshold)
            #failure_rate
            #window
            #min_calls
            #slow_call
            #slow_call_rate
            .open_for(#open_for)
            .open_for_factor(#open_for_factor)
            .max_open_for(#max_open_for)
            .half_open_calls(#half_open_calls)
            #half_open_timeout
            .build_const()
    }
}
