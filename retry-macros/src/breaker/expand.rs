//! Code generation for `#[circuit_breaker]`: ask the named breaker for a permit, run the body
//! once (in a closure or a non-`move` async block, so `?` and `return` still reach the outcome),
//! and record the outcome. A rejection returns `Err(E::from(CircuitOpen))` or calls the fallback.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use crate::breaker::validate::{BreakerPlan, ConfigPlan};
use crate::classify::selects;
use crate::codegen::{converted_error, error_type_span, fake_return};
use crate::settings::builder_calls;
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
    let (site, permit, open, outcome, error, attempt, value) = (
        name("__CIRCUIT_BREAKER_SITE"),
        name("breaker_permit"),
        name("breaker_open"),
        name("breaker_outcome"),
        name("breaker_error"),
        name("breaker_call"),
        name("breaker_value"),
    );
    let krate = &plan.krate;
    let breaker_name = &plan.name;
    let refuse = plan
        .refuse_past_deadline
        .map(|span| crate::deadline::refusal(krate, span, &quote!(#breaker_name), rejected));
    // A site that gives no settings uses the breaker as another site made it.
    let site_value = match &plan.named_config {
        Some(named) => quote!(#krate::__private::BreakerSite::new(#breaker_name, #named)),
        None if plan.config.values.is_empty() && plan.config.time_window.is_none() => {
            quote!(#krate::__private::BreakerSite::untuned(#breaker_name))
        }
        None => {
            let config = config_tokens(&plan.config, krate);
            quote!(#krate::__private::BreakerSite::new(#breaker_name, #config))
        }
    };
    let output = &shape.output;
    let fake_return = fake_return(output);
    let mark_rejected = crate::codegen::mark_rejected(rejected);
    let awaited = is_async.then(|| quote!(.await));
    let on_rejection = match (&plan.recover, &plan.fallback) {
        (Some((recover, arguments)), _) => quote_spanned! {recover.span()=>
            return (#recover)(#(#arguments,)* #krate::__private::Failure::Rejected(#open))#awaited;
        },
        (None, Some((fallback, arguments))) => {
            quote!(return (#fallback)(#(#arguments),*)#awaited;)
        }
        (None, None) => {
            let rejection = converted_error(krate, &open, error_type_span(shape));
            quote!(return #rejection;)
        }
    };
    let timed_out = name("breaker_timed_out");
    let body = quote!(#fake_return #body);
    let CallTimeoutCode {
        run,
        declare: declare_timed_out,
        check: check_timed_out,
    } = call_timeout_code(
        plan,
        is_async,
        &body,
        &Names {
            outcome: &outcome,
            attempt: &attempt,
            permit: &permit,
            timed_out: &timed_out,
        },
    );
    let record = record_outcome(plan, &permit, &outcome, &error, &value, inner_rejected);
    // `recover` answers every `Err` (counted first, as failed or ignored); a failing value of
    // `on_result` is returned as it is.
    let finish = match &plan.recover {
        Some((recover, arguments)) if plan.returns_result => {
            let call = quote_spanned! {recover.span()=>
                (#recover)(#(#arguments,)* #krate::__private::Failure::Failed(#error))#awaited
            };
            quote! {
                match #outcome {
                    ::core::result::Result::Err(#error) => #call,
                    #outcome => #outcome,
                }
            }
        }
        _ => quote!(#outcome),
    };
    quote! {{
        static #site: #krate::__private::BreakerSite = #site_value;
        #refuse
        let #permit = match #site.breaker().try_acquire() {
            ::core::result::Result::Ok(#permit) => #permit,
            ::core::result::Result::Err(#open) => {
                #mark_rejected
                #on_rejection
            }
        };
        #declare_timed_out
        let #outcome: #output = #run;
        #check_timed_out
        #record
        #finish
    }}
}

/// The generated locals the call's code names.
struct Names<'a> {
    outcome: &'a Ident,
    attempt: &'a Ident,
    permit: &'a Ident,
    timed_out: &'a Ident,
}

/// Running the body once, cut off by `call_timeout` in async fns that have one; and for those,
/// the flag it sets and the check that counts a timed-out call as a failure (whatever `on` says)
/// and returns it, through `recover` as `Failure::TimedOut` when there is one.
struct CallTimeoutCode {
    run: TokenStream,
    declare: Option<TokenStream>,
    check: Option<TokenStream>,
}

fn call_timeout_code(
    plan: &BreakerPlan,
    is_async: bool,
    body: &TokenStream,
    names: &Names<'_>,
) -> CallTimeoutCode {
    let krate = &plan.krate;
    let breaker_name = &plan.name;
    let Names {
        outcome,
        attempt,
        permit,
        timed_out,
    } = *names;
    let Some((timeout, timeout_span)) = plan.call_timeout.filter(|_| is_async) else {
        let run = if is_async {
            quote!(async { #body }.await)
        } else {
            quote! {{
                #[allow(unused_mut)]
                let mut #attempt = || { #body };
                #attempt()
            }}
        };
        return CallTimeoutCode {
            run,
            declare: None,
            check: None,
        };
    };
    let timeout = crate::codegen::duration_tokens(krate, timeout);
    let call_timeout =
        quote!(#krate::__private::CallTimeout { name: #breaker_name, timeout: #timeout });
    let timeout_value = Ident::new("breaker_call_timeout", Span::mixed_site());
    let timeout_error = converted_error(krate, &timeout_value, timeout_span);
    let run = quote! {
        match #krate::__private::with_attempt_timeout::<#krate::__private::DefaultSleeper, _>(
            ::core::pin::pin!(async { #body }),
            #krate::__private::cut_to_deadline(#timeout),
        )
        .await
        {
            ::core::result::Result::Ok(#outcome) => #outcome,
            ::core::result::Result::Err(_) => {
                #timed_out = true;
                let #timeout_value = #call_timeout;
                #timeout_error
            }
        }
    };
    let finish = if let Some((recover, arguments)) = &plan.recover {
        quote_spanned! {recover.span()=>
            return (#recover)(#(#arguments,)* #krate::__private::Failure::TimedOut(#call_timeout)).await;
        }
    } else {
        quote!(return #outcome;)
    };
    CallTimeoutCode {
        run,
        declare: Some(quote!(let mut #timed_out = false;)),
        check: Some(quote! {
            if #timed_out {
                #permit.record_failure();
                #finish
            }
        }),
    }
}

/// Records the outcome with the permit: a success, a failure (an `Err` that `on` / `when`
/// selects, or a value `on_result` calls one), or an ignored error.
fn record_outcome(
    plan: &BreakerPlan,
    permit: &Ident,
    outcome: &Ident,
    error: &Ident,
    value: &Ident,
    inner_rejected: Option<&Ident>,
) -> TokenStream {
    let krate = &plan.krate;
    let selected = selects(plan.classifier.as_ref(), &error.to_token_stream());
    let counts_as_failure = match inner_rejected {
        Some(flag) => {
            quote!(!#flag.load(::core::sync::atomic::Ordering::Relaxed) && #selected)
        }
        None => selected,
    };
    let value_fails = |value: &TokenStream, hidden_result| {
        plan.on_result
            .as_ref()
            .map(|on_result| crate::codegen::judge_value(krate, value, on_result, hidden_result))
    };
    if plan.returns_result {
        let ok_arm = if let Some(fails) = value_fails(&value.to_token_stream(), None) {
            quote! {
                ::core::result::Result::Ok(#value) => {
                    if #fails {
                        #permit.record_failure();
                    } else {
                        #permit.record_success();
                    }
                }
            }
        } else {
            quote!(::core::result::Result::Ok(_) => #permit.record_success(),)
        };
        quote! {
            match &#outcome {
                #ok_arm
                ::core::result::Result::Err(#error) => {
                    if #counts_as_failure {
                        #permit.record_failure();
                    } else {
                        #permit.record_ignored();
                    }
                }
            }
        }
    } else {
        let fails = value_fails(&quote!(&#outcome), plan.hidden_result);
        quote! {
            if #fails {
                #permit.record_failure();
            } else {
                #permit.record_success();
            }
        }
    }
}

/// The runtime's builder with the keys written (and those the attribute implies), exactly as
/// the settings model validated them.
fn config_tokens(config: &ConfigPlan, krate: &syn::Path) -> TokenStream {
    let private = quote!(#krate::__private);
    let builder = if let Some(length) = config.time_window {
        let length = crate::codegen::duration_tokens(krate, length);
        quote!(#private::BreakerConfig::builder().time_window(#length))
    } else {
        quote!(#private::BreakerConfig::builder())
    };
    builder_calls(&private, &builder, &config.values, None)
}
