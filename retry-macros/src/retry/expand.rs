//! Code generation only: every value here was checked in `validate`.
//!
//! The body stays in the original fn, wrapped in an inline loop: a non-`move` `async { }` block
//! per attempt for async fns, a closure called per attempt for sync fns. `?` and `return` in the
//! body end the attempt, borrowed arguments and `&mut self` stay borrowed, and nothing is boxed.
//! Helper names use `Span::mixed_site()`, so the user's code can neither see nor shadow them.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type};

use crate::classify::selects;
use crate::codegen::fake_return;
use crate::retry::validate::{InlinePolicy, PolicyPlan, RetryPlan};
use crate::settings::builder_calls;
use crate::signature::FnShape;

/// The names of generated locals, all hygienic.
struct Names {
    site: Ident,
    state: Ident,
    attempt: Ident,
    outcome: Ident,
    value: Ident,
    error: Ident,
    retryable: Ident,
    hint: Ident,
    step: Ident,
    failed_attempt: Ident,
    delay: Ident,
}

impl Names {
    fn new() -> Self {
        let name = |text: &str| Ident::new(text, Span::mixed_site());
        Names {
            site: name("__RETRY_RUNTIME_SITE"),
            state: name("retry_state"),
            attempt: name("retry_attempt"),
            outcome: name("retry_outcome"),
            value: name("retry_value"),
            error: name("retry_error"),
            retryable: name("retry_retryable"),
            hint: name("retry_hint"),
            step: name("retry_step"),
            failed_attempt: name("retry_failed_attempt"),
            delay: name("retry_delay"),
        }
    }
}

/// Wraps one body (the fn's, or an inner attribute's expansion of it) in the retry loop.
/// `rejected` names an `AtomicBool` (declared by the caller) that an inner `#[circuit_breaker]`,
/// `#[rate_limit]` or `#[bulkhead]` sets when it rejects a call: a rejection is never retried.
/// The flag is only read, so an outer attribute sees it too.
pub(crate) fn wrap_body(
    plan: &RetryPlan,
    shape: &FnShape,
    fn_name: &Ident,
    body: &TokenStream,
    is_async: bool,
    rejected: Option<&Ident>,
) -> TokenStream {
    let names = Names::new();
    let site = site_static(&names, plan, fn_name);
    if is_async {
        async_body(&names, plan, &shape.output, &site, body, rejected)
    } else {
        sync_body(&names, plan, &shape.output, &site, body, rejected)
    }
}

fn site_static(names: &Names, plan: &RetryPlan, fn_name: &Ident) -> TokenStream {
    let krate = &plan.krate;
    let site = &names.site;
    let name = crate::codegen::site_name(plan.name.as_ref(), fn_name);
    let policy = policy_tokens(plan);
    let budget = plan.budget.as_ref().map(|budget| {
        let budget_site = budget_site();
        quote! {
            static #budget_site: #krate::__private::BudgetSite = #krate::__private::BudgetSite::new(#budget);
        }
    });
    quote! {
        static #site: #krate::__private::RetrySite = #krate::__private::RetrySite::new(#name, #policy);
        #budget
    }
}

fn budget_site() -> Ident {
    Ident::new("__RETRY_RUNTIME_BUDGET", Span::mixed_site())
}

/// `Some(&BUDGET)` for a budgeted site, `None` (optimised away) otherwise.
fn budget_argument(plan: &RetryPlan) -> TokenStream {
    if plan.budget.is_some() {
        let budget_site = budget_site();
        quote!(::core::option::Option::Some(&#budget_site))
    } else {
        quote!(::core::option::Option::None)
    }
}

/// The state's stopwatch: for inline policies without `max_elapsed`, the runtime's choice
/// (zero-sized unless config overrides can add `max_elapsed`).
fn stopwatch(plan: &RetryPlan) -> TokenStream {
    let krate = &plan.krate;
    if let PolicyPlan::Inline(InlinePolicy { policy, .. }) = &plan.policy
        && policy.max_elapsed().is_none()
    {
        quote!(#krate::__private::InlineStopwatch)
    } else {
        quote!(#krate::__private::WithBudget)
    }
}

/// The policy: the named one, or the runtime's builder with the keys written, exactly as the
/// settings model validated them.
fn policy_tokens(plan: &RetryPlan) -> TokenStream {
    let krate = &plan.krate;
    let private = quote!(#krate::__private);
    match &plan.policy {
        PolicyPlan::Named(path) => path.to_token_stream(),
        PolicyPlan::Inline(InlinePolicy {
            values,
            custom_backoff,
            ..
        }) => builder_calls(
            &private,
            &quote!(#private::RetryPolicy::builder()),
            values,
            custom_backoff.as_ref(),
        ),
    }
}

/// `let a = Clone::clone(&a);` per `clone = [a]` argument: each attempt moves its own copy.
fn fresh_clones(plan: &RetryPlan) -> TokenStream {
    let clones = plan
        .clone
        .iter()
        .map(|name| quote!(let #name = ::core::clone::Clone::clone(&#name);));
    quote!(#(#clones)*)
}

fn sync_body(
    names: &Names,
    plan: &RetryPlan,
    output: &Type,
    site: &TokenStream,
    body: &TokenStream,
    rejected: Option<&Ident>,
) -> TokenStream {
    let krate = &plan.krate;
    let Names {
        site: site_name,
        value,
        failed_attempt,
        delay,
        ..
    } = names;
    let fake_return = fake_return(output);
    let clones = fresh_clones(plan);
    let no_timeout_check = match &plan.policy {
        PolicyPlan::Named(path) => Some(quote_spanned! {path.span()=>
            const _: () = ::core::assert!(
                (#path).attempt_timeout().is_none(),
                "this policy sets `attempt_timeout`, which only async fns support: a sync attempt cannot be cut off"
            );
        }),
        PolicyPlan::Inline(_) => None,
    };
    let stopwatch_type = stopwatch(plan);
    let budget = budget_argument(plan);
    let refuse = refuse_past_deadline(plan, names);
    let body_closure = Ident::new("retry_body", Span::mixed_site());
    let stopwatch = Ident::new("retry_stopwatch", Span::mixed_site());
    let scope = Ident::new("retry_scope", Span::mixed_site());
    let enter = enter_first_attempt(plan, site_name, &stopwatch, &scope);
    let run_first = if plan.attempt_span {
        let entered = Ident::new("retry_span", Span::mixed_site());
        quote! {{
            #enter
            let #entered = #krate::__private::attempt_span(&#site_name, 1u32).entered();
            #body_closure()
        }}
    } else {
        quote! {{
            #enter
            #body_closure()
        }}
    };
    let attempt_span = plan.attempt_span;
    let outcome = Ident::new("retry_outcome", Span::mixed_site());
    let OutcomeCode {
        failed,
        hint,
        describe,
        on_retry,
    } = outcome_code(names, plan, rejected, &outcome);
    let retry_loop = quote! {
        #krate::__private::retry_sync(
            &#site_name,
            #budget,
            #stopwatch,
            #outcome,
            #body_closure,
            #attempt_span,
            |#outcome| #failed,
            |#outcome| #hint,
            |#outcome| #describe,
            |#outcome, #failed_attempt, #delay| { #on_retry },
        )
    };
    let retry_loop = give_up(plan, names, &retry_loop, false);
    // Without `on_result`, a success is an `Ok`, told by its discriminant alone.
    let first = if plan.on_result.is_none() && plan.returns_result {
        quote! {
            ::core::result::Result::Ok(#value) => {
                #krate::__private::first_success(&#site_name, #budget, ::core::result::Result::Ok(#value))
            }
            #outcome => #retry_loop,
        }
    } else {
        quote! {
            #outcome if { let #outcome = &#outcome; #failed }.is_none() => {
                #krate::__private::first_success(&#site_name, #budget, #outcome)
            }
            #outcome => #retry_loop,
        }
    };
    // `recover` is called with the fn's arguments after the loop, so the body borrows them
    // rather than taking them.
    let capture = plan.recover.is_none().then(|| quote!(move));
    // The success path is the first attempt, one check and a return; everything after a
    // failure runs in the runtime's out-of-line loop, which calls back into the closures below
    // for what needs the concrete error type.
    // `FnMut` from the start, so a body that moves a by-value argument is reported at the
    // move. `move`, and handed to the out-of-line loop by value: the arguments live in the
    // closure, so the success path needs no stack slot to lend them.
    quote! {
        #[allow(unused_mut)]
        let mut #body_closure = #krate::__private::attempt_fn(#capture || {
            #fake_return
            #clones
            #body
        });
        {
            #site
            #no_timeout_check
            #refuse
            let #stopwatch = #krate::__private::stopwatch_sync::<#stopwatch_type>(&#site_name);
            match #run_first {
                #first
            }
        }
    }
}

/// `let scope = enter_first_attempt(..)`: the first attempt's context, with `max_attempts` as a
/// constant (an inline `const`, which may name `Self::POLICY`, spanned at a named policy so that
/// an invalid one is reported there): without the `config` feature it is all the context needs,
/// so entering it stores one constant.
fn enter_first_attempt(
    plan: &RetryPlan,
    site_name: &Ident,
    stopwatch: &Ident,
    scope: &Ident,
) -> TokenStream {
    let krate = &plan.krate;
    let policy = policy_tokens(plan);
    let span = match &plan.policy {
        PolicyPlan::Named(path) => path.span(),
        PolicyPlan::Inline(_) => Span::call_site(),
    };
    let max_attempts = quote_spanned! {span=>
        const { #krate::__private::RetryPolicy::max_attempts(&#policy) }
    };
    quote! {
        let #scope = #krate::__private::enter_first_attempt(&#site_name, &#stopwatch, #max_attempts);
    }
}

fn async_body(
    names: &Names,
    plan: &RetryPlan,
    output: &Type,
    site: &TokenStream,
    body: &TokenStream,
    rejected: Option<&Ident>,
) -> TokenStream {
    let krate = &plan.krate;
    let Names {
        site: site_name,
        state,
        outcome,
        delay,
        ..
    } = names;
    let sleeper = plan.sleeper.as_ref().map_or_else(
        || quote!(#krate::__private::DefaultSleeper),
        ToTokens::to_token_stream,
    );
    let fake_return = fake_return(output);
    let clones = fresh_clones(plan);
    let attempt_future = quote! {
        async {
            #fake_return
            #clones
            #body
        }
    };
    let attempt_future = if plan.attempt_span {
        quote! {
            #krate::__private::Instrument::instrument(
                #attempt_future,
                #krate::__private::attempt_span(&#site_name, #state.attempt()),
            )
        }
    } else {
        attempt_future
    };
    let site_fn = Ident::new("retry_site", Span::mixed_site());
    let attempt_future = quote! {
        #krate::__private::in_attempt::<#sleeper, _, _, _>(&#state, #attempt_future)
    };
    let run_attempt = run_attempt(names, plan, output, &sleeper, &attempt_future);
    let decide = decide(
        names,
        plan,
        &quote!(call_failed_async::<#sleeper, _, _>),
        rejected,
    );
    let stopwatch = stopwatch(plan);
    let budget = budget_argument(plan);
    // A block of its own, so the site static is the first item of its scope after any
    // statements `#[async_trait]` put before the loop.
    let refuse = refuse_past_deadline(plan, names);
    // A fn item, not a closure: zero-sized, and `Send` checks see no higher-ranked lifetime.
    quote! {{
        #site
        fn #site_fn() -> &'static #krate::__private::RetrySite {
            &#site_name
        }
        #refuse
        let mut #state = #krate::__private::start_async_call::<#sleeper, #stopwatch, _>(#site_fn, #budget);
        loop {
            let #outcome: #output = #run_attempt;
            let #delay = match #outcome {
                #decide
            };
            // A zero delay retries at once (timers round it up to their next tick). The test
            // borrows a copy, not `delay`: a borrowed local stays in the future across the sleep.
            if !#krate::__private::Duration::is_zero(&{ #delay }) {
                <#sleeper as #krate::__private::AsyncSleeper>::sleep(#delay).await;
            }
            #krate::__private::AsyncCall::slept(&mut #state);
        }
    }}
}

/// With `deadline = "refuse"`: a call whose deadline has passed returns
/// `Err(E::from(DeadlineExceeded))` at once, its body never run.
fn refuse_past_deadline(plan: &RetryPlan, names: &Names) -> Option<TokenStream> {
    let site = &names.site;
    plan.refuse_past_deadline
        .map(|span| crate::deadline::refusal(&plan.krate, span, &quote!(#site.name()), None))
}

/// One async attempt, under the effective policy's `attempt_timeout` where one can apply: always
/// for an inline `attempt_timeout`; for a named policy, or an inline one that a config override
/// could give one, when the error type converts an `AttemptTimeout`.
fn run_attempt(
    names: &Names,
    plan: &RetryPlan,
    output: &Type,
    sleeper: &TokenStream,
    attempt_future: &TokenStream,
) -> TokenStream {
    let krate = &plan.krate;
    let Names {
        site: site_name,
        state,
        attempt,
        outcome,
        ..
    } = names;
    let timed_out = Ident::new("retry_timed_out", Span::mixed_site());
    let timeout = Ident::new("retry_timeout", Span::mixed_site());
    let convert = Ident::new("retry_convert", Span::mixed_site());
    let limit = quote! {
        #krate::__private::call_attempt_limit::<#sleeper, _, _>(&#site_name, &#state)
    };
    // An attempt under whatever `attempt_timeout` the effective policy has, when the error type
    // can carry an `AttemptTimeout`.
    let probed = quote! {
        match (
            #limit,
            {
                #[allow(unused_imports)]
                use #krate::__private::{TimeoutFromError as _, TimeoutUnsupported as _};
                (&&#krate::__private::TimeoutProbe::<#output>::new()).converter()
            },
        ) {
            (::core::option::Option::Some(#timeout), ::core::option::Option::Some(#convert)) => {
                match #krate::__private::with_attempt_timeout::<#sleeper, _>(#attempt, #timeout).await {
                    ::core::result::Result::Ok(#outcome) => #outcome,
                    ::core::result::Result::Err(#timed_out) => #convert(#timed_out),
                }
            }
            (::core::option::Option::Some(_), ::core::option::Option::None) => {
                #krate::__private::timeout_unenforced(&#site_name);
                #attempt.await
            }
            (::core::option::Option::None, _) => #attempt.await,
        }
    };
    match &plan.policy {
        PolicyPlan::Inline(InlinePolicy { policy, .. }) if policy.attempt_timeout().is_none() => {
            quote! {
                #krate::__private::overridable_attempt!(#attempt_future, #attempt => #probed)
            }
        }
        PolicyPlan::Inline(InlinePolicy {
            attempt_timeout_span,
            ..
        }) => {
            let timed_out_into_error =
                crate::codegen::converted_error(krate, &timed_out, *attempt_timeout_span);
            quote! {
                match #krate::__private::with_attempt_timeout::<#sleeper, _>(
                    ::core::pin::pin!(#attempt_future),
                    #limit.unwrap_or(#krate::__private::Duration::MAX),
                ).await {
                    ::core::result::Result::Ok(#outcome) => #outcome,
                    ::core::result::Result::Err(#timed_out) => #timed_out_into_error,
                }
            }
        }
        PolicyPlan::Named(_) => quote! {{
            let #attempt = ::core::pin::pin!(#attempt_future);
            #probed
        }},
    }
}

/// What the loop asks of an outcome, as expressions over `outcome` (a `&R` of the fn's return
/// type): whether it failed (`None`: a success) and if so whether it may be retried; its hint;
/// its description; and `on_retry`'s call (the error only).
struct OutcomeCode {
    failed: TokenStream,
    hint: TokenStream,
    describe: TokenStream,
    on_retry: TokenStream,
}

fn outcome_code(
    names: &Names,
    plan: &RetryPlan,
    rejected: Option<&Ident>,
    outcome: &Ident,
) -> OutcomeCode {
    let krate = &plan.krate;
    let Names { value, error, .. } = names;
    let hint_of = |probed: &Ident| {
        quote! {{
            #[allow(unused_imports)]
            use #krate::__private::{HintFromError as _, HintFollowPolicy as _};
            (&&#krate::__private::ErrorProbe(#probed)).hint()
        }}
    };
    let describe_of = |probed: &Ident| {
        quote! {{
            #[allow(unused_imports)]
            use #krate::__private::{DescribeWithDisplay as _, DescribeWithDebug as _, DescribeWithTypeName as _};
            (&&&#krate::__private::ErrorProbe(#probed)).describe()
        }}
    };
    let value_fails = |judged: &Ident, hidden_result| {
        plan.on_result.as_ref().map(|on_result| {
            crate::codegen::judge_value(krate, &judged.to_token_stream(), on_result, hidden_result)
        })
    };
    let on_retry = on_retry_call(names, plan, outcome);
    if !plan.returns_result {
        let fails = value_fails(outcome, plan.hidden_result);
        let hint = hint_of(outcome);
        let describe = describe_of(outcome);
        return OutcomeCode {
            failed: quote!(if #fails { ::core::option::Option::Some(true) } else { ::core::option::Option::None }),
            hint,
            describe,
            on_retry,
        };
    }
    let selected = selects(plan.classifier.as_ref(), &quote!(#error));
    let classify = match rejected {
        Some(flag) => {
            quote!(!#flag.load(::core::sync::atomic::Ordering::Relaxed) && #selected)
        }
        None => selected,
    };
    let (ok_failed, ok_hint) = match value_fails(value, None) {
        Some(fails) => (
            quote!(if #fails { ::core::option::Option::Some(true) } else { ::core::option::Option::None }),
            hint_of(value),
        ),
        None => (
            quote!(::core::option::Option::None),
            quote!(#krate::__private::RetryHint::FollowPolicy),
        ),
    };
    let error_hint = hint_of(error);
    let value_describe = describe_of(value);
    let error_describe = describe_of(error);
    OutcomeCode {
        failed: quote! {
            match #outcome {
                ::core::result::Result::Ok(#value) => #ok_failed,
                ::core::result::Result::Err(#error) => ::core::option::Option::Some(#classify),
            }
        },
        hint: quote! {
            match #outcome {
                ::core::result::Result::Ok(#value) => #ok_hint,
                ::core::result::Result::Err(#error) => #error_hint,
            }
        },
        describe: quote! {
            match #outcome {
                ::core::result::Result::Ok(#value) => #value_describe,
                ::core::result::Result::Err(#error) => #error_describe,
            }
        },
        on_retry,
    }
}

/// `on_retry`'s call before a sleep, over `outcome` (a `&R`). With `on_result`, a retry may
/// follow a value, which has no error: the hook is given the outcome being retried. Without it,
/// only errors are retried, and it gets the error.
fn on_retry_call(names: &Names, plan: &RetryPlan, outcome: &Ident) -> TokenStream {
    let Names {
        error,
        failed_attempt,
        delay,
        ..
    } = names;
    match &plan.on_retry {
        Some(hook) if plan.on_result.is_some() || !plan.returns_result => {
            quote_spanned!(hook.span()=> (#hook)(#outcome, #failed_attempt, #delay);)
        }
        Some(hook) => {
            let call = quote_spanned!(hook.span()=> (#hook)(#error, #failed_attempt, #delay););
            quote! {
                if let ::core::result::Result::Err(#error) = #outcome {
                    #call
                }
            }
        }
        None => TokenStream::new(),
    }
}

/// The outcome to return after the loop gave up: with `recover`, an `Err` goes to it (with the
/// fn's arguments and `Failure::Failed`); anything else is returned as it is.
fn give_up(plan: &RetryPlan, names: &Names, outcome: &TokenStream, is_async: bool) -> TokenStream {
    let krate = &plan.krate;
    let error = &names.error;
    match &plan.recover {
        Some((recover, arguments)) => {
            let awaited = is_async.then(|| quote!(.await));
            let call = quote_spanned! {recover.span()=>
                (#recover)(#(#arguments,)* #krate::__private::Failure::Failed(#error))#awaited
            };
            quote! {
                match #outcome {
                    ::core::result::Result::Err(#error) => #call,
                    #error => #error,
                }
            }
        }
        None => outcome.clone(),
    }
}

/// What follows an async attempt, as the arms of a `match` on its outcome: return a success, or
/// decide on a failure. The outcome is dropped at the end of its arm, before the sleep, so it is
/// never held across an `.await`.
fn decide(
    names: &Names,
    plan: &RetryPlan,
    failed_fn: &TokenStream,
    rejected: Option<&Ident>,
) -> TokenStream {
    let krate = &plan.krate;
    let Names {
        site,
        state,
        value,
        retryable,
        hint: hint_name,
        step,
        failed_attempt,
        delay,
        ..
    } = names;
    let budget = budget_argument(plan);
    let outcome = Ident::new("retry_outcome", Span::mixed_site());
    let judged = Ident::new("retry_judged", Span::mixed_site());
    let OutcomeCode {
        failed,
        hint,
        describe,
        on_retry,
    } = outcome_code(names, plan, rejected, &judged);
    let stop = give_up(plan, names, &outcome.to_token_stream(), true);
    let on_failure = quote! {
        #outcome => {
            let #judged = &#outcome;
            let #retryable: bool = (#failed).unwrap_or(true);
            let #hint_name = #hint;
            let #step = #krate::__private::#failed_fn(
                &#site,
                &mut #state,
                #retryable,
                #hint_name,
                #describe,
                #budget,
            );
            match #step {
                #krate::__private::Step::Retry { attempt: #failed_attempt, delay: #delay } => {
                    #on_retry
                    #delay
                }
                #krate::__private::Step::Stop(_) => return #stop,
            }
        }
    };
    if plan.on_result.is_none() && plan.returns_result {
        quote! {
            ::core::result::Result::Ok(#value) => {
                return #krate::__private::call_succeeded(&#site, &mut #state, ::core::result::Result::Ok(#value));
            }
            #on_failure
        }
    } else {
        quote! {
            #outcome if { let #judged = &#outcome; #failed }.is_none() => {
                return #krate::__private::call_succeeded(&#site, &mut #state, #outcome);
            }
            #on_failure
        }
    }
}
