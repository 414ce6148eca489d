//! Code generation for `#[hedge]`: the body becomes a closure making one attempt's future (a
//! non-`move` `async` block borrowing the arguments, so attempts share them), which the runtime
//! starts again beside a slow attempt and races, all inside the call's own future.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use retry_settings::HedgeDelay;
use syn::Ident;
use syn::spanned::Spanned;

use crate::classify::selects;
use crate::codegen::{duration_tokens, fake_return};
use crate::hedge::validate::HedgePlan;
use crate::signature::FnShape;

/// Wraps one body (the fn's, or an inner attribute's expansion of it) in the hedge. With a
/// strategy inside that can reject a call, each attempt gets its own flag (`inner_rejected`,
/// the name the inner strategies set), returned beside its result; `rejected` names the flag of
/// an outer `#[retry]` or `#[circuit_breaker]`, which the hedge sets when it returns a
/// rejection.
pub(crate) fn wrap_body(
    plan: &HedgePlan,
    shape: &FnShape,
    fn_name: &Ident,
    body: &TokenStream,
    (rejected, inner_rejected): (Option<&Ident>, Option<&Ident>),
) -> TokenStream {
    let name = |text: &str| Ident::new(text, Span::mixed_site());
    let rejected_flag = rejected;
    let (site, budget_site, error, outcome) = (
        name("__HEDGE_SITE"),
        name("__HEDGE_BUDGET"),
        name("hedge_error"),
        name("hedge_outcome"),
    );
    let krate = &plan.krate;
    let private = quote!(#krate::__private);
    let site_name = crate::codegen::site_name(plan.name.as_ref(), fn_name);
    let after = match plan.after {
        HedgeDelay::Fixed(after) => {
            let after = duration_tokens(krate, after);
            quote!(#private::HedgeDelay::Fixed(#after))
        }
        HedgeDelay::Quantile { per_mille, floor } => {
            let floor = duration_tokens(krate, floor);
            quote!(#private::HedgeDelay::Quantile { per_mille: #per_mille, floor: #floor })
        }
    };
    let max_hedges = plan.max_hedges;
    let sleeper = plan.sleeper.as_ref().map_or_else(
        || quote!(#private::DefaultSleeper),
        ToTokens::to_token_stream,
    );
    let (budget_static, budget) = match &plan.budget {
        Some(budget) => (
            quote!(static #budget_site: #private::BudgetSite = #private::BudgetSite::new(#budget);),
            quote!(::core::option::Option::Some(&#budget_site)),
        ),
        None => (TokenStream::new(), quote!(::core::option::Option::None)),
    };
    // Without `on`/`when`, every error starts the next attempt.
    let retryable = plan.classifier.as_ref().map_or_else(
        || quote!(|_| true),
        |classifier| {
            let selected = selects(Some(classifier), &quote!(#error));
            quote!(|#error| #selected)
        },
    );
    // Without `on_result`, every `Ok` wins.
    let value_fails = plan.on_result.as_ref().map_or_else(
        || quote!(|_| false),
        |on_result| {
            let value = name("hedge_value");
            let judged = quote_spanned! {on_result.span()=>
                #private::judge_value(#value, #on_result)
            };
            quote!(|#value| #judged)
        },
    );
    let fake_return = fake_return(&shape.output);
    // Without a strategy inside, the attempt is the body; with one, the body beside its flag.
    let attempt = inner_rejected.map_or_else(
        || {
            quote! {
                #fake_return
                #body
            }
        },
        |flag| {
            quote! {
                let #flag = &::core::sync::atomic::AtomicBool::new(false);
                let #outcome = async {
                    #fake_return
                    #body
                }
                .await;
                (#outcome, #flag.load(::core::sync::atomic::Ordering::Relaxed))
            }
        },
    );
    let rejected = rejected.map_or_else(
        || quote!(::core::option::Option::None),
        |flag| quote!(::core::option::Option::Some(#flag)),
    );
    let refuse = plan.refuse_past_deadline.map(|span| {
        crate::deadline::refusal(&plan.krate, span, &quote!(#site_name), rejected_flag)
    });
    quote! {{
        static #site: #private::HedgeSite = #private::HedgeSite::new(
            #site_name,
            #private::HedgeConfig::new_const(#after, #max_hedges),
        );
        #budget_static
        #refuse
        #private::hedged::<#sleeper, _, _, _, _, _, _>(
            &#site,
            #budget,
            #rejected,
            || async { #attempt },
            (#retryable, #value_fails),
        )
        .await
    }}
}
