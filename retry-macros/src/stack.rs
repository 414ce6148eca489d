//! Attributes stacked on one fn, expanded together by the outermost one, in the order written
//! (outermost first): `#[retry] #[circuit_breaker] #[rate_limit] #[bulkhead] fn ..` runs the
//! retry loop around the breaker, the breaker around the rate limiter, the rate limiter around
//! the bulkhead, and the bulkhead around the body (`#[adaptive_limit]` goes next to the
//! bulkhead, outside it). When rustc expands the outermost attribute
//! the others are still on the fn: it takes them off, parses and validates each (all errors
//! reported together), and wraps the body in each, innermost first.
//!
//! A call rejected by a strategy inside a `#[retry]` or a `#[circuit_breaker]` sets a flag they
//! read: the retry returns the rejection at once, never retrying it, and the breaker counts it
//! as ignored, since it says nothing of the dependency; an adaptive limit takes no latency
//! sample from it. The flag is an `AtomicBool`, so an async
//! fn's future stays `Send`.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Attribute, Ident};

use crate::adaptive_limit::args::AdaptiveLimitArgs;
use crate::adaptive_limit::validate::AdaptiveLimitPlan;
use crate::breaker::args::BreakerArgs;
use crate::breaker::validate::BreakerPlan;
use crate::bulkhead::args::BulkheadArgs;
use crate::bulkhead::validate::BulkheadPlan;
use crate::errors::Errors;
use crate::hedge::args::HedgeArgs;
use crate::hedge::validate::HedgePlan;
use crate::rate_limit::args::RateLimitArgs;
use crate::rate_limit::validate::RateLimitPlan;
use crate::retry::args::RetryArgs;
use crate::retry::validate::RetryPlan;
use crate::signature::{self, AttributeKind, FnShape, RetryFn};
use crate::{adaptive_limit, breaker, bulkhead, codegen, hedge, rate_limit, retry};

/// One of the attributes that stack.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strategy {
    Retry,
    CircuitBreaker,
    RateLimit,
    Bulkhead,
    Hedge,
    AdaptiveLimit,
}

impl Strategy {
    const ALL: [Strategy; 6] = [
        Strategy::Retry,
        Strategy::CircuitBreaker,
        Strategy::RateLimit,
        Strategy::Bulkhead,
        Strategy::Hedge,
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
            Strategy::AdaptiveLimit => AttributeKind::AdaptiveLimit,
        }
    }

    /// Can reject a call without running what it wraps.
    fn rejects(self) -> bool {
        !matches!(self, Strategy::Retry | Strategy::Hedge)
    }

    /// Reads an inner rejection: a retry does not retry it, a breaker counts it as ignored, a
    /// hedge starts no attempt at once for it (and keeps one flag per attempt), an adaptive
    /// limit takes no latency sample from it.
    fn reads_rejections(self) -> bool {
        matches!(
            self,
            Strategy::Retry | Strategy::CircuitBreaker | Strategy::Hedge | Strategy::AdaptiveLimit
        )
    }
}

enum Args {
    Retry(Box<RetryArgs>),
    Breaker(Box<BreakerArgs>),
    RateLimit(RateLimitArgs),
    Bulkhead(BulkheadArgs),
    Hedge(Box<HedgeArgs>),
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
        Args::RateLimit(_) | Args::Bulkhead(_) | Args::Hedge(_) | Args::AdaptiveLimit(_) => false,
    });
    let Some(shape) = signature::analyze(&function, kind, judges_values, &mut errors) else {
        return with_original(errors, function, &stacked);
    };
    if !shape.returns_result
        && layers
            .iter()
            .any(|layer| matches!(layer, Args::RateLimit(_) | Args::Bulkhead(_)))
    {
        errors.push(syn::Error::new(
            Span::call_site(),
            "`#[rate_limit]` and `#[bulkhead]` return a rejected call as an `Err`, and this fn does not return a `Result`",
        ));
        return with_original(errors, function, &stacked);
    }
    if !shape.returns_result
        && layers
            .iter()
            .any(|layer| matches!(layer, Args::AdaptiveLimit(_)))
    {
        errors.push(syn::Error::new(
            Span::call_site(),
            "`#[adaptive_limit]` returns a rejected call as an `Err`, and this fn does not return a `Result`",
        ));
        return with_original(errors, function, &stacked);
    }
    if !shape.returns_result && layers.iter().any(|layer| matches!(layer, Args::Hedge(_))) {
        errors.push(syn::Error::new(
            Span::call_site(),
            "`#[hedge]` returns the first attempt that succeeds, and only an `Err` can say that one failed; this fn does not return a `Result`",
        ));
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
/// `bulkhead`, `hedge` or `adaptive_limit`), in the order written.
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
