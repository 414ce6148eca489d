//! Code generation for `#[throttle]`: ask the named throttle to admit the call (a rejected call
//! returns `Err(E::from(Throttled))` without running the body), run the body once (in a closure
//! or a non-`move` async block, so `?` and `return` still reach the outcome), and record the
//! outcome: accepted, unless it is an error `on` / `when` select (every error without them) or a
//! value `on_result` calls a failure.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use crate::classify::selects;
use crate::codegen::{error_type_span, fake_return};
use crate::settings::builder_calls;
use crate::signature::FnShape;
use crate::throttle::validate::ThrottlePlan;

/// Wraps one body (the fn's, or an inner attribute's expansion of it) in the throttle.
/// `rejected` names an `AtomicBool` of an outer `#[retry]` or `#[circuit_breaker]`, set on
/// rejection so that they neither retry it nor count it as the dependency's failure.
/// `inner_rejected` is that flag when an inner attribute can set it: a call an inner bulkhead,
/// rate limiter or breaker rejected never reached the backend, so the throttle does not count it.
pub(crate) fn wrap_body(
    plan: &ThrottlePlan,
    shape: &FnShape,
    body: &TokenStream,
    is_async: bool,
    rejected: Option<&Ident>,
    inner_rejected: Option<&Ident>,
) -> TokenStream {
    let name = |text: &str| Ident::new(text, Span::mixed_site());
    let (site, permit, throttled, outcome, error, value, attempt) = (
        name("__THROTTLE_SITE"),
        name("throttle_permit"),
        name("throttled"),
        name("throttle_outcome"),
        name("throttle_error"),
        name("throttle_value"),
        name("throttle_call"),
    );
    let krate = &plan.krate;
    let private = quote!(#krate::__private);
    let throttle_name = &plan.name;
    let config = builder_calls(
        &private,
        &quote!(#private::ThrottleConfig::builder()),
        &plan.config,
        None,
    );
    let span = error_type_span(shape);
    let rejection = crate::codegen::converted_error(krate, &throttled, span);
    let mark_rejected = crate::codegen::mark_rejected(rejected);
    let admit = if is_async {
        quote!(#site.admit::<#private::DefaultSleeper>())
    } else {
        quote!(#site.admit_sync())
    };
    let output = &shape.output;
    let fake_return = fake_return(output);
    let run = if is_async {
        quote!(async { #fake_return #body }.await)
    } else {
        quote! {{
            #[allow(unused_mut)]
            let mut #attempt = || { #fake_return #body };
            #attempt()
        }}
    };
    let record = record_outcome(plan, &permit, &outcome, &error, &value, inner_rejected);
    let refuse = plan
        .refuse_past_deadline
        .map(|span| crate::deadline::refusal(krate, span, &quote!(#throttle_name), rejected));
    quote! {{
        static #site: #private::ThrottleSite = #private::ThrottleSite::new(
            #throttle_name,
            #config,
        );
        #refuse
        let #permit = match #admit {
            ::core::result::Result::Ok(#permit) => #permit,
            ::core::result::Result::Err(#throttled) => {
                #mark_rejected
                return #rejection;
            }
        };
        let #outcome: #output = #run;
        #record
        #outcome
    }}
}

/// Records the outcome with the permit: a failure (an `Err` that `on` / `when` select, or a
/// value `on_result` calls one), an accept (anything else: the backend answered), or, for a call
/// a strategy inside rejected, nothing.
fn record_outcome(
    plan: &ThrottlePlan,
    permit: &Ident,
    outcome: &Ident,
    error: &Ident,
    value: &Ident,
    inner_rejected: Option<&Ident>,
) -> TokenStream {
    let krate = &plan.krate;
    // Without `on` / `when`, every error is a failure.
    let on_error = plan.classifier.as_ref().map_or_else(
        || quote!({ #permit.record_failed(); }),
        |classifier| {
            let selected = selects(Some(classifier), &error.to_token_stream());
            quote! {
                if #selected {
                    #permit.record_failed();
                } else {
                    #permit.record_accepted();
                }
            }
        },
    );
    let on_error = match inner_rejected {
        Some(flag) => quote! {
            if #flag.load(::core::sync::atomic::Ordering::Relaxed) {
                #permit.record_ignored();
            } else #on_error
        },
        None => on_error,
    };
    let ok_arm = if let Some(on_result) = &plan.on_result {
        let fails = quote_spanned! {on_result.span()=>
            #krate::__private::judge_value(#value, #on_result)
        };
        quote! {
            ::core::result::Result::Ok(#value) => {
                if #fails {
                    #permit.record_failed();
                } else {
                    #permit.record_accepted();
                }
            }
        }
    } else {
        quote!(::core::result::Result::Ok(_) => #permit.record_accepted(),)
    };
    let error_pattern = if plan.classifier.is_some() {
        error.to_token_stream()
    } else {
        quote!(_)
    };
    quote! {
        match &#outcome {
            #ok_arm
            ::core::result::Result::Err(#error_pattern) => #on_error
        }
    }
}
