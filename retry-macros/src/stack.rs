//! Attributes stacked on one fn, expanded together by the outermost one, in the order written
//! (outermost first): `#[retry] #[circuit_breaker] #[rate_limit] #[bulkhead] #[chaos] fn ..`
//! runs the retry loop around the breaker, the breaker around the rate limiter, the rate limiter
//! around the bulkhead, the bulkhead around the chaos point, and that around the body
//! (`#[adaptive_limit]` goes next to the bulkhead, outside it; `#[throttle]` next to the breaker). When rustc expands the outermost attribute
//! the others are still on the fn: it takes them off, parses and validates each (all errors
//! reported together), and wraps the body in each, innermost first.
//!
//! A call rejected by a strategy inside a `#[retry]` or a `#[circuit_breaker]` sets a flag they
//! read: the retry returns the rejection at once, never retrying it, and the breaker counts it
//! as ignored, since it says nothing of the dependency. The flag is an `AtomicBool`, so an async
//! fn's future stays `Send`. A fault `#[chaos]` injects is no rejection: it stands for the
//! dependency's own, so it sets no flag and is retried and counted like one.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Attribute, Ident};

use crate::breaker::args::BreakerArgs;
use crate::breaker::validate::BreakerPlan;
use crate::bulkhead::args::BulkheadArgs;
use crate::bulkhead::validate::BulkheadPlan;
use crate::chaos::args::ChaosArgs;
use crate::chaos::validate::ChaosPlan;
use crate::errors::Errors;
use crate::hedge::args::HedgeArgs;
use crate::hedge::validate::HedgePlan;
use crate::rate_limit::args::RateLimitArgs;
use crate::rate_limit::validate::RateLimitPlan;
use crate::retry::args::RetryArgs;
use crate::retry::validate::RetryPlan;
use crate::signature::{self, AttributeKind, FnShape, RetryFn};

use crate::adaptive_limit::args::AdaptiveLimitArgs;
use crate::adaptive_limit::validate::AdaptiveLimitPlan;
use crate::throttle::args::ThrottleArgs;
use crate::throttle::validate::ThrottlePlan;
use crate::{
    adaptive_limit, breaker, bulkhead, chaos, codegen, hedge, rate_limit, retry, throttle,
};

/// One of the attributes that stack.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strategy {
    Retry,
    CircuitBreaker,
    RateLimit,
    Bulkhead,
    Hedge,
    Chaos,
    Throttle,
    AdaptiveLimit,
}

impl Strategy {
    const ALL: [Strategy; 8] = [
        Strategy::Retry,
        Strategy::CircuitBreaker,
        Strategy::RateLimit,
        Strategy::Bulkhead,
        Strategy::Hedge,
        Strategy::Chaos,
        Strategy::Throttle,
        Strategy::AdaptiveLimit,
    ];

    /// The attribute's name, the last segment of its path.
    fn attribute(self) -> &'static str {
        match self {
            Strategy::Retry => "retry",
            Strategy::CircuitBreaker => "circuit_breaker",
            Strategy::RateLimit => "rate_limit",
            Strategy::Bulkhead => "bulkhead",
            Strategy::Hedge => "hedge",
            Strategy::Chaos => "chaos",
            Strategy::Throttle => "throttle",
            Strategy::AdaptiveLimit => "adaptive_limit",
        }
    }

    fn kind(self) -> AttributeKind {
        match self {
            Strategy::Retry => AttributeKind::Retry,
            Strategy::CircuitBreaker => AttributeKind::CircuitBreaker,
            Strategy::RateLimit => AttributeKind::RateLimit,
            Strategy::Bulkhead => AttributeKind::Bulkhead,
            Strategy::Hedge => AttributeKind::Hedge,
            Strategy::Chaos => AttributeKind::Chaos,
            Strategy::Throttle => AttributeKind::Throttle,
            Strategy::AdaptiveLimit => AttributeKind::AdaptiveLimit,
        }
    }

    /// Can reject a call without running what it wraps. A chaos fault is not a rejection: it
    /// stands for the real fault, to be retried and counted as one.
    fn rejects(self) -> bool {
        !matches!(self, Strategy::Retry | Strategy::Hedge | Strategy::Chaos)
    }

    /// Reads an inner rejection: a retry does not retry it, a breaker counts it as ignored, a
    /// hedge starts no attempt at once for it (and keeps one flag per attempt), a throttle does
    /// not count it (it never reached the backend).
    fn reads_rejections(self) -> bool {
        matches!(
            self,
            Strategy::Retry
                | Strategy::CircuitBreaker
                | Strategy::Hedge
                | Strategy::Throttle
                | Strategy::AdaptiveLimit
        )
    }
}

enum Args {
    Retry(Box<RetryArgs>),
    Breaker(Box<BreakerArgs>),
    RateLimit(RateLimitArgs),
    Bulkhead(BulkheadArgs),
    Hedge(Box<HedgeArgs>),
    Chaos(ChaosArgs),
    Throttle(Box<ThrottleArgs>),
    AdaptiveLimit(Box<AdaptiveLimitArgs>),
}

impl Args {
    fn parse(strategy: Strategy, tokens: TokenStream, errors: &mut Errors) -> Args {
        match strategy {
            Strategy::Retry => Args::Retry(Box::new(RetryArgs::parse(tokens, errors))),
            Strategy::CircuitBreaker => Args::Breaker(Box::new(BreakerArgs::parse(tokens, errors))),
            Strategy::RateLimit => Args::RateLimit(RateLimitArgs::parse(tokens, errors)),
            Strategy::Bulkhead => Args::Bulkhead(BulkheadArgs::parse(tokens, errors)),
            Strategy::Hedge => Args::Hedge(Box::new(HedgeArgs::parse(tokens, errors))),
            Strategy::Chaos => Args::Chaos(ChaosArgs::parse(tokens, errors)),
            Strategy::Throttle => Args::Throttle(Box::new(ThrottleArgs::parse(tokens, errors))),
            Strategy::AdaptiveLimit => {
                Args::AdaptiveLimit(Box::new(AdaptiveLimitArgs::parse(tokens, errors)))
            }
        }
    }

    fn strategy(&self) -> Strategy {
        match self {
            Args::Retry(_) => Strategy::Retry,
            Args::Breaker(_) => Strategy::CircuitBreaker,
            Args::RateLimit(_) => Strategy::RateLimit,
            Args::Bulkhead(_) => Strategy::Bulkhead,
            Args::Hedge(_) => Strategy::Hedge,
            Args::Chaos(_) => Strategy::Chaos,
            Args::Throttle(_) => Strategy::Throttle,
            Args::AdaptiveLimit(_) => Strategy::AdaptiveLimit,
        }
    }

    fn validate(self, function: &RetryFn, shape: &FnShape, errors: &mut Errors) -> Option<Plan> {
        match self {
            Args::Retry(args) => retry::validate::validate(*args, function, shape, errors)
                .map(|plan| Plan::Retry(Box::new(plan))),
            Args::Breaker(args) => breaker::validate::validate(&args, function, shape, errors)
                .map(|plan| Plan::Breaker(Box::new(plan))),
            Args::RateLimit(args) => {
                rate_limit::validate::validate(&args, errors).map(Plan::RateLimit)
            }
            Args::Bulkhead(args) => bulkhead::validate::validate(&args, errors).map(Plan::Bulkhead),
            Args::Hedge(args) => hedge::validate::validate(&args, function, shape, errors)
                .map(|plan| Plan::Hedge(Box::new(plan))),
            Args::Chaos(args) => chaos::validate::validate(&args, errors).map(Plan::Chaos),
            Args::Throttle(args) => throttle::validate::validate(&args, function, shape, errors)
                .map(|plan| Plan::Throttle(Box::new(plan))),
            Args::AdaptiveLimit(args) => adaptive_limit::validate::validate(&args, errors)
                .map(|plan| Plan::AdaptiveLimit(Box::new(plan))),
        }
    }
}

enum Plan {
    Retry(Box<RetryPlan>),
    Breaker(Box<BreakerPlan>),
    RateLimit(RateLimitPlan),
    Bulkhead(BulkheadPlan),
    Hedge(Box<HedgePlan>),
    Chaos(ChaosPlan),
    Throttle(Box<ThrottlePlan>),
    AdaptiveLimit(Box<AdaptiveLimitPlan>),
}

/// What wrapping one layer needs besides its plan.
struct Layer<'a> {
    shape: &'a FnShape,
    fn_name: &'a Ident,
    is_async: bool,
    /// The flag this layer sets when it rejects a call.
    rejected: Option<&'a Ident>,
    /// The flag inner layers set when they reject a call.
    inner_rejected: Option<&'a Ident>,
}

impl Plan {
    fn strategy(&self) -> Strategy {
        match self {
            Plan::Retry(_) => Strategy::Retry,
            Plan::Breaker(_) => Strategy::CircuitBreaker,
            Plan::RateLimit(_) => Strategy::RateLimit,
            Plan::Bulkhead(_) => Strategy::Bulkhead,
            Plan::Hedge(_) => Strategy::Hedge,
            Plan::Chaos(_) => Strategy::Chaos,
            Plan::Throttle(_) => Strategy::Throttle,
            Plan::AdaptiveLimit(_) => Strategy::AdaptiveLimit,
        }
    }

    fn wrap(&self, layer: &Layer<'_>, body: &TokenStream) -> TokenStream {
        let Layer {
            shape,
            fn_name,
            is_async,
            rejected,
            inner_rejected,
        } = *layer;
        match self {
            Plan::Retry(plan) => {
                retry::expand::wrap_body(plan, shape, fn_name, body, is_async, inner_rejected)
            }
            Plan::Breaker(plan) => {
                breaker::expand::wrap_body(plan, shape, body, is_async, rejected, inner_rejected)
            }
            Plan::RateLimit(plan) => {
                rate_limit::expand::wrap_body(plan, shape, body, is_async, rejected)
            }
            Plan::Bulkhead(plan) => {
                bulkhead::expand::wrap_body(plan, shape, body, is_async, rejected)
            }
            Plan::Hedge(plan) => {
                hedge::expand::wrap_body(plan, shape, fn_name, body, (rejected, inner_rejected))
            }
            Plan::Chaos(plan) => chaos::expand::wrap_body(plan, shape, body, is_async),
            Plan::Throttle(plan) => {
                throttle::expand::wrap_body(plan, shape, body, is_async, rejected, inner_rejected)
            }
            Plan::AdaptiveLimit(plan) => adaptive_limit::expand::wrap_body(
                plan,
                shape,
                body,
                is_async,
                rejected,
                inner_rejected,
            ),
        }
    }
}

/// Expands the attribute `outer` with `args` on `item`, and every strategy attribute stacked
/// under it.
pub(crate) fn expand(outer: Strategy, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let outer_args = Args::parse(outer, args, &mut errors);
    let Ok(mut function) = syn::parse2::<RetryFn>(item.clone()) else {
        return not_a_fn(outer, errors, item);
    };
    let stacked = take_stacked(&mut function.attrs);
    let mut layers = vec![outer_args];
    layers.extend(
        stacked
            .iter()
            .map(|stacked| Args::parse(stacked.strategy, stacked.arguments.clone(), &mut errors)),
    );
    inherit_on_result(&mut layers);
    // A retry anywhere in the stack runs the body more than once: its checks apply.
    let kind = if layers
        .iter()
        .any(|layer| layer.strategy() == Strategy::Retry)
    {
        AttributeKind::Retry
    } else {
        outer.kind()
    };
    // `on_result` on a retry or a breaker lets the fn return values rather than a `Result`.
    let judges_values = layers.iter().any(|layer| match layer {
        Args::Retry(args) => args.on_result.is_some(),
        Args::Breaker(args) => args.on_result.is_some(),
        Args::RateLimit(_)
        | Args::Bulkhead(_)
        | Args::Hedge(_)
        | Args::Chaos(_)
        | Args::Throttle(_)
        | Args::AdaptiveLimit(_) => false,
    });
    let Some(shape) = signature::analyze(&function, kind, judges_values, &mut errors) else {
        return with_original(errors, function, &stacked);
    };
    if let Some(error) = result_behind_alias(&layers, &shape) {
        errors.push(error);
        return with_original(errors, function, &stacked);
    }
    if let Some(error) = needs_result(&layers, &shape) {
        errors.push(error);
        return with_original(errors, function, &stacked);
    }
    let plans: Option<Vec<Plan>> = layers
        .into_iter()
        .map(|layer| layer.validate(&function, &shape, &mut errors))
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
    let plans = match plans {
        Some(plans) if errors.is_empty() => plans,
        _ => return with_original(errors, function, &stacked),
    };
    let fn_name = function.sig.ident.clone();
    let keep_imports_used: Vec<TokenStream> =
        stacked.iter().map(Stacked::keep_import_used).collect();
    let strategies: Vec<Strategy> = plans.iter().map(Plan::strategy).collect();
    let inner_rejects = |index: usize| strategies[index + 1..].iter().any(|s| s.rejects());
    // A hedge passes on the rejection of the attempt whose outcome it returns.
    let sets_flag = |index: usize| {
        (strategies[index].rejects()
            || (strategies[index] == Strategy::Hedge && inner_rejects(index)))
            && strategies[..index].iter().any(|s| s.reads_rejections())
    };
    let reads_flag = |index: usize| strategies[index].reads_rejections() && inner_rejects(index);
    let flag = Ident::new("inner_rejected", Span::mixed_site());
    // A hedge declares a flag per attempt itself; the call's flag is for the other readers.
    let declare_flag = (0..plans.len())
        .any(|index| reads_flag(index) && strategies[index] != Strategy::Hedge)
        .then(|| quote!(let #flag = &::core::sync::atomic::AtomicBool::new(false);));
    codegen::wrap_fn(function, &shape, |body, is_async| {
        let mut wrapped = body.clone();
        for (index, plan) in plans.iter().enumerate().rev() {
            let layer = Layer {
                shape: &shape,
                fn_name: &fn_name,
                is_async,
                rejected: sets_flag(index).then_some(&flag),
                inner_rejected: reads_flag(index).then_some(&flag),
            };
            wrapped = plan.wrap(&layer, &wrapped);
        }
        quote!(#(#keep_imports_used)* #declare_flag #wrapped)
    })
}

/// One error at the return type when it hides the `Result<T, E>` that a key needs to see into
/// (a type alias, `io::Result<()>`): `on` naming a variant without its enum's path needs `E`,
/// and `on` / `when` beside `on_result` need to tell a `Result` from a plain value. The fix is
/// the same for every key: write the `Result<T, E>` out.
fn result_behind_alias(layers: &[Args], shape: &FnShape) -> Option<syn::Error> {
    if !shape.hides_result {
        return None;
    }
    let keys = layers.iter().filter_map(|layer| match layer {
        Args::Retry(args) => Some((&args.on, &args.when)),
        Args::Breaker(args) => Some((&args.on, &args.when)),
        Args::Hedge(args) => Some((&args.on, &args.when)),
        Args::Throttle(args) => Some((&args.on, &args.when)),
        Args::RateLimit(_) | Args::Bulkhead(_) | Args::Chaos(_) | Args::AdaptiveLimit(_) => None,
    });
    let written = crate::classify::display_tokens(&shape.output);
    let output_span = codegen::return_type_span(shape);
    for (on, when) in keys {
        if !shape.returns_result {
            let key = on
                .as_ref()
                .map(|on| &on.key)
                .or(when.as_ref().map(|when| &when.key));
            if let Some(key) = key {
                return Some(syn::Error::new(
                    output_span,
                    format!(
                        "`{key}` selects errors, and `{written}` does not spell out `Result<T, E>`, so beside `on_result` it is taken as a plain value; if it is a `Result` through a type alias, write the `Result<T, E>` out here; if it is a plain value, remove `{key}`"
                    ),
                ));
            }
            continue;
        }
        let Some(variant) = on.as_ref().and_then(|on| {
            on.value
                .patterns
                .iter()
                .find_map(crate::classify::bare_variant)
        }) else {
            continue;
        };
        return Some(syn::Error::new(
            output_span,
            format!(
                "`on` names `{variant}`, a variant of the error type, and `{written}` does not show which type that is (a type alias hides `E`); write the `Result<T, E>` out here, or give the variant its enum's path in `on`, such as `MyError::{variant}`"
            ),
        ));
    }
    None
}

/// A `#[circuit_breaker]` or `#[hedge]` that names no `on_result` of its own, stacked with a
/// `#[retry(on_result = f)]` (in either order), judges values with the same `f`: what the retry
/// calls a failure (an `Ok(503)`) is one for the breaker and does not win a hedge's race, rather
/// than counting as a success after the retries ran out.
fn inherit_on_result(layers: &mut [Args]) {
    let Some(on_result) = layers.iter().find_map(|layer| match layer {
        Args::Retry(args) => args.on_result.as_ref().map(|arg| arg.value.clone()),
        _ => None,
    }) else {
        return;
    };
    for layer in layers {
        let own = match layer {
            Args::Breaker(args) => &mut args.on_result,
            Args::Hedge(args) => &mut args.on_result,
            Args::Throttle(args) => &mut args.on_result,
            Args::Retry(_)
            | Args::RateLimit(_)
            | Args::Bulkhead(_)
            | Args::Chaos(_)
            | Args::AdaptiveLimit(_) => continue,
        };
        if own.is_none() {
            *own = Some(crate::keys::Arg {
                key: Ident::new("on_result", Span::call_site()),
                value: on_result.clone(),
            });
        }
    }
}

/// One error when the fn returns values and a layer can only answer with an `Err` (a rejection,
/// an injected fault, a hedge's failure).
fn needs_result(layers: &[Args], shape: &FnShape) -> Option<syn::Error> {
    if shape.returns_result {
        return None;
    }
    let why = layers.iter().find_map(|layer| match layer {
        Args::RateLimit(_) | Args::Bulkhead(_) => Some(
            "`#[rate_limit]` and `#[bulkhead]` return a rejected call as an `Err`, and this fn does not return a `Result`",
        ),
        Args::Chaos(_) => Some(
            "`#[chaos]` returns an injected fault as an `Err`, and this fn does not return a `Result`",
        ),
        Args::Throttle(_) => Some(
            "`#[throttle]` returns a rejected call as an `Err`, and this fn does not return a `Result`",
        ),
        Args::AdaptiveLimit(_) => Some(
            "`#[adaptive_limit]` returns a rejected call as an `Err`, and this fn does not return a `Result`",
        ),
        Args::Hedge(_) => Some(
            "`#[hedge]` returns the first attempt that succeeds, and only an `Err` can say that one failed; this fn does not return a `Result`",
        ),
        Args::Retry(_) | Args::Breaker(_) => None,
    })?;
    Some(syn::Error::new(Span::call_site(), why))
}

/// An attribute stacked under the one being expanded, taken off the fn to be expanded with it.
struct Stacked {
    strategy: Strategy,
    /// The path as written (`retry`, `retry_runtime::retry`), so the user's import of it stays
    /// used once the attribute itself is gone.
    path: syn::Path,
    arguments: TokenStream,
}

impl Stacked {
    /// `use <path> as _;`: marks the user's import of the consumed attribute as used.
    fn keep_import_used(&self) -> TokenStream {
        let path = &self.path;
        quote!(#[allow(unused_imports)] use #path as _;)
    }
}

/// Removes every strategy attribute (a path ending in `retry`, `circuit_breaker`, `rate_limit`,
/// `bulkhead`, `hedge`, `chaos`, `throttle` or `adaptive_limit`), in the order written.
fn take_stacked(attrs: &mut Vec<Attribute>) -> Vec<Stacked> {
    let mut stacked = Vec::new();
    attrs.retain(|attr| {
        let Some(strategy) = attr.path().segments.last().and_then(|segment| {
            Strategy::ALL
                .into_iter()
                .find(|strategy| segment.ident == strategy.attribute())
        }) else {
            return true;
        };
        let arguments = match &attr.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            _ => TokenStream::new(),
        };
        stacked.push(Stacked {
            strategy,
            path: attr.path().clone(),
            arguments,
        });
        false
    });
    stacked
}

fn not_a_fn(outer: Strategy, mut errors: Errors, item: TokenStream) -> TokenStream {
    errors.push(syn::Error::new(
        Span::call_site(),
        format!(
            "`#[{}]` applies to fns and methods; put it on a `fn` that returns `Result<T, E>`",
            outer.attribute()
        ),
    ));
    let mut output = errors.into_compile_errors();
    output.extend(item);
    output
}

/// The errors next to the fn as written (less the stacked attributes already handled, whose
/// imports stay used): the user sees the attributes' errors and nothing else, not a cascade from
/// a half-expanded fn.
fn with_original(errors: Errors, mut function: RetryFn, stacked: &[Stacked]) -> TokenStream {
    let keep_imports_used = stacked.iter().map(Stacked::keep_import_used);
    let body = &function.body;
    function.body = quote!(#(#keep_imports_used)* #body);
    let mut output = errors.into_compile_errors();
    quote::ToTokens::to_tokens(&function, &mut output);
    output
}
