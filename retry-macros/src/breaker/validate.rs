//! Every semantic check of `#[circuit_breaker(...)]`, each error spanned at the offending token
//! and naming the fix; all of one attribute's errors are collected.

use std::time::Duration;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Expr, FnArg, Lit, LitInt, LitStr, Pat, Path};

use crate::breaker::args::BreakerArgs;
use crate::classify::{Classifier, classifier};
use crate::duration::{describe, parse_duration};
use crate::errors::Errors;
use crate::keys::Arg;
use crate::signature::{FnShape, RetryFn};

/// What `expand` generates from.
pub(crate) struct BreakerPlan {
    pub krate: Path,
    pub name: LitStr,
    pub config: ConfigPlan,
    /// `None`: every `Err` counts as a failure.
    pub classifier: Option<Classifier>,
    /// The fallback and the arguments to call it with (`self` and every named argument).
    pub fallback: Option<(Expr, Vec<TokenStream>)>,
}

/// The breaker's settings, all checked.
pub(crate) struct ConfigPlan {
    pub failure_threshold: u32,
    pub failure_rate: Option<f64>,
    pub window: Option<u32>,
    pub min_calls: Option<u32>,
    pub slow_call: Option<Duration>,
    pub slow_call_rate: Option<f64>,
    pub open_period: OpenPeriod,
    pub half_open_calls: u32,
    pub half_open_timeout: Option<Duration>,
}

/// How long an open breaker waits before a probe, and how that grows on trips in a row.
pub(crate) struct OpenPeriod {
    pub open_for: Duration,
    pub factor: f64,
    pub max: Duration,
}

const DEFAULT_FAILURE_THRESHOLD: u32 = 5;
const DEFAULT_OPEN_FOR: Duration = Duration::from_secs(30);
const DEFAULT_OPEN_FOR_FACTOR: f64 = 2.0;
const DEFAULT_MAX_OPEN_FOR: Duration = Duration::from_secs(300);
const MAX_WINDOW: u32 = 1 << 20;
const MAX_HALF_OPEN_CALLS: u32 = 65_535;

pub(crate) fn validate(
    args: &BreakerArgs,
    function: &RetryFn,
    shape: &FnShape,
    errors: &mut Errors,
) -> Option<BreakerPlan> {
    let name = match &args.name {
        None => {
            errors.push(syn::Error::new(
                Span::call_site(),
                "`#[circuit_breaker]` needs a name: `#[circuit_breaker(name = \"db\")]`; sites with the same name share one breaker",
            ));
            None
        }
        Some(name) if name.value.value().trim().is_empty() => {
            errors.push_spanned(
                &name.value,
                "the breaker's `name` is empty; name the dependency it guards, such as `name = \"db\"`",
            );
            None
        }
        Some(name) => Some(name.value.clone()),
    };
    let config = config(args, errors);
    let classifier = classifier(
        args.on.as_ref(),
        args.when.as_ref(),
        function,
        shape,
        errors,
    );
    let fallback = args
        .fallback
        .as_ref()
        .and_then(|fallback| fallback_call(fallback, function, errors));
    if !errors.is_empty() {
        return None;
    }
    Some(BreakerPlan {
        krate: args.krate.as_ref().map_or_else(
            || syn::parse_quote!(::retry_runtime),
            |krate| krate.value.clone(),
        ),
        name: name?,
        config: config?,
        classifier,
        fallback,
    })
}

fn config(args: &BreakerArgs, errors: &mut Errors) -> Option<ConfigPlan> {
    let uses_window =
        args.failure_rate.is_some() || args.slow_call_rate.is_some() || args.slow_call.is_some();
    let failure_threshold = match &args.failure_threshold {
        None if uses_window => Some(0),
        None => Some(DEFAULT_FAILURE_THRESHOLD),
        Some(arg) => int_in(arg, 0, u32::MAX, errors),
    };
    if failure_threshold == Some(0)
        && !uses_window
        && let Some(arg) = &args.failure_threshold
    {
        errors.push_spanned(
            &arg.value,
            "`failure_threshold = 0` with no `failure_rate` or `slow_call` means the breaker can never trip; give a threshold or a rate",
        );
    }
    let failure_rate = args.failure_rate.as_ref().map(|arg| rate(arg, errors));
    let slow_call_rate = args.slow_call_rate.as_ref().map(|arg| rate(arg, errors));
    if let (Some(rate), None) = (&args.slow_call_rate, &args.slow_call) {
        errors.push_spanned(
            &rate.key,
            "`slow_call_rate` needs `slow_call`, the duration after which a call counts as slow: add `slow_call = \"2s\"`",
        );
    }
    let window = args
        .window
        .as_ref()
        .map(|arg| int_in(arg, 1, MAX_WINDOW, errors));
    let min_calls = args
        .min_calls
        .as_ref()
        .map(|arg| int_in(arg, 1, MAX_WINDOW, errors));
    if !uses_window {
        for key in [
            args.window.as_ref().map(|arg| &arg.key),
            args.min_calls.as_ref().map(|arg| &arg.key),
        ]
        .into_iter()
        .flatten()
        {
            errors.push_spanned(
                key,
                format!("`{key}` only applies to rate-based tripping; add `failure_rate = 0.5` (or `slow_call`), or remove `{key}`"),
            );
        }
    }
    if let (Some(Some(window)), Some(Some(min_calls)), Some(arg)) =
        (window, min_calls, &args.min_calls)
        && min_calls > window
    {
        errors.push_spanned(
            &arg.value,
            format!("`min_calls = {min_calls}` is above `window = {window}`, so rates would never be evaluated; lower `min_calls`"),
        );
    }
    let slow_call = args
        .slow_call
        .as_ref()
        .map(|arg| positive_duration(arg, errors));
    let open_period = open_period(args, errors);
    let half_open_calls = args
        .half_open_calls
        .as_ref()
        .map_or(Some(1), |arg| int_in(arg, 1, MAX_HALF_OPEN_CALLS, errors));
    let half_open_timeout = args
        .half_open_timeout
        .as_ref()
        .map(|arg| positive_duration(arg, errors));
    Some(ConfigPlan {
        failure_threshold: failure_threshold?,
        failure_rate: failure_rate.map_or(Some(None), |rate| rate.map(Some))?,
        window: window.map_or(Some(None), |window| window.map(Some))?,
        min_calls: min_calls.map_or(Some(None), |min| min.map(Some))?,
        slow_call: slow_call.map_or(Some(None), |slow| slow.map(Some))?,
        slow_call_rate: slow_call_rate.map_or(Some(None), |rate| rate.map(Some))?,
        open_period: open_period?,
        half_open_calls: half_open_calls?,
        half_open_timeout: half_open_timeout.map_or(Some(None), |timeout| timeout.map(Some))?,
    })
}

/// `open_for`, `open_for_factor` and `max_open_for`, checked together.
fn open_period(args: &BreakerArgs, errors: &mut Errors) -> Option<OpenPeriod> {
    let open_for = args
        .open_for
        .as_ref()
        .map_or(Some(DEFAULT_OPEN_FOR), |arg| positive_duration(arg, errors));
    let open_for_factor = args
        .open_for_factor
        .as_ref()
        .map_or(Some(DEFAULT_OPEN_FOR_FACTOR), |arg| factor(arg, errors));
    let max_open_for = match (&args.max_open_for, open_for) {
        (None, Some(open_for)) => Some(DEFAULT_MAX_OPEN_FOR.max(open_for)),
        (None, None) => None,
        (Some(arg), open_for) => {
            let max = positive_duration(arg, errors);
            if let (Some(max), Some(open_for)) = (max, open_for)
                && max < open_for
            {
                errors.push_spanned(
                    &arg.value,
                    format!(
                        "`max_open_for` ({}) is below `open_for` ({}); raise `max_open_for`",
                        describe(max),
                        describe(open_for)
                    ),
                );
            }
            max
        }
    };
    Some(OpenPeriod {
        open_for: open_for?,
        factor: open_for_factor?,
        max: max_open_for?,
    })
}

fn int_in(arg: &Arg<LitInt>, min: u32, max: u32, errors: &mut Errors) -> Option<u32> {
    match arg.value.base10_parse::<u32>() {
        Ok(value) if (min..=max).contains(&value) => Some(value),
        _ => {
            errors.push_spanned(
                &arg.value,
                format!("`{}` must be a whole number from {min} to {max}", arg.key),
            );
            None
        }
    }
}

fn number(literal: &Lit) -> Option<f64> {
    match literal {
        Lit::Int(int) => int.base10_parse().ok(),
        Lit::Float(float) => float.base10_parse().ok(),
        _ => None,
    }
}

fn rate(arg: &Arg<Lit>, errors: &mut Errors) -> Option<f64> {
    match number(&arg.value) {
        Some(rate) if rate > 0.0 && rate <= 1.0 => Some(rate),
        _ => {
            errors.push_spanned(
                &arg.value,
                format!(
                    "`{}` is a share of calls, above 0 and at most 1: `{} = 0.5` trips at half the calls",
                    arg.key, arg.key
                ),
            );
            None
        }
    }
}

fn factor(arg: &Arg<Lit>, errors: &mut Errors) -> Option<f64> {
    match number(&arg.value) {
        Some(factor) if factor.is_finite() && factor >= 1.0 => Some(factor),
        _ => {
            errors.push_spanned(
                &arg.value,
                "`open_for_factor` must be at least 1 (1 keeps `open_for` constant, 2 doubles it on each trip in a row)",
            );
            None
        }
    }
}

fn positive_duration(arg: &Arg<LitStr>, errors: &mut Errors) -> Option<Duration> {
    match parse_duration(&arg.value.value()) {
        Ok(duration) if duration.is_zero() => {
            errors.push_spanned(
                &arg.value,
                format!("`{}` is zero; give a positive duration", arg.key),
            );
            None
        }
        Ok(duration) => Some(duration),
        Err(reason) => {
            errors.push_spanned(&arg.value, format!("invalid `{}`: {reason}", arg.key));
            None
        }
    }
}

/// The fallback is called with the fn's own arguments, so each must be a plain name.
fn fallback_call(
    fallback: &Arg<Expr>,
    function: &RetryFn,
    errors: &mut Errors,
) -> Option<(Expr, Vec<TokenStream>)> {
    let mut arguments = Vec::new();
    for input in &function.sig.inputs {
        match input {
            FnArg::Receiver(receiver) => {
                let self_token = receiver.self_token;
                arguments.push(quote!(#self_token));
            }
            FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(ident) if ident.subpat.is_none() => {
                    let name = &ident.ident;
                    arguments.push(quote!(#name));
                }
                other => {
                    errors.push_spanned(
                        other,
                        "`fallback` is called with the fn's arguments, so each needs a plain name; bind this pattern inside the body instead",
                    );
                    return None;
                }
            },
        }
    }
    Some((fallback.value.clone(), arguments))
}
