//! Every semantic check of `#[retry(...)]`, each error spanned at the offending token and naming
//! the fix; all of one attribute's errors are collected. The output is a plan with only valid,
//! typed values, for `expand` to quote.

use std::time::Duration;

use syn::{Expr, Ident, Lit, LitStr, Pat, Path, Type};

use crate::classify::{Classifier, classifier, display_tokens};
use crate::duration::{describe, parse_duration};
use crate::errors::Errors;
use crate::keys::{Arg, edit_distance, example_for};
use crate::retry::args::{BackoffArg, POLICY_KEYS, RetryArgs};
use crate::signature::{Flavor, FnShape, RetryFn};

/// What `expand` generates from.
pub(crate) struct RetryPlan {
    pub krate: Path,
    pub name: Option<LitStr>,
    pub policy: PolicyPlan,
    /// `None`: every `Err` is retried.
    pub classifier: Option<Classifier>,
    pub on_retry: Option<Expr>,
    pub sleeper: Option<Type>,
    /// By-value arguments each attempt gets a fresh clone of.
    pub clone: Vec<Ident>,
    /// Runs each attempt in a `tracing` span.
    pub attempt_span: bool,
    /// The named retry budget that pays for retries.
    pub budget: Option<LitStr>,
}

pub(crate) enum PolicyPlan {
    Inline(InlinePolicy),
    /// `policy = path`; its values are only known to rustc, so some checks happen in const
    /// evaluation instead (see `expand`).
    Named(Expr),
}

pub(crate) struct InlinePolicy {
    pub max_attempts: u32,
    pub backoff: BackoffPlan,
    pub delay: Duration,
    pub max_delay: Duration,
    pub jitter: Ident,
    pub max_elapsed: Option<Duration>,
    pub attempt_timeout: Option<Duration>,
    /// Where `attempt_timeout` was written, for errors about the fn's error type.
    pub attempt_timeout_span: proc_macro2::Span,
}

pub(crate) enum BackoffPlan {
    Fixed,
    Linear,
    Exponential(f64),
    Fibonacci,
    Custom(Expr),
}

const DEFAULT_MAX_ATTEMPTS: u32 = 3;
const DEFAULT_DELAY: Duration = Duration::from_millis(100);
const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(10);
const DEFAULT_FACTOR: f64 = 2.0;

const BACKOFF_KINDS: &[&str] = &["exponential", "linear", "fixed", "fibonacci"];
const JITTER_KINDS: &[&str] = &["full", "equal", "decorrelated", "none"];

pub(crate) fn validate(
    args: RetryArgs,
    function: &RetryFn,
    shape: &FnShape,
    errors: &mut Errors,
) -> Option<RetryPlan> {
    let is_async = !matches!(shape.flavor, Flavor::Sync);
    if let Some(policy) = &args.policy {
        for key in args.written_keys() {
            if POLICY_KEYS.contains(&key.to_string().as_str()) {
                errors.push_spanned(
                    key,
                    format!(
                        "`{key}` cannot be combined with `policy = ...`: set it in the named policy `{}`, or drop `policy` and use inline keys",
                        display_tokens(&policy.value)
                    ),
                );
            }
        }
    }
    if !is_async {
        if let Some(timeout) = &args.attempt_timeout {
            errors.push_spanned(
                &timeout.key,
                "`attempt_timeout` needs an async fn: a sync attempt cannot be cut off; make the fn `async`, or bound the call itself (a socket timeout, say)",
            );
        }
        if let Some(sleeper) = &args.sleeper {
            errors.push_spanned(
                &sleeper.key,
                "`sleeper` applies to async fns; sync fns sleep with `std::thread::sleep` (pause it in tests with `retry_runtime::testing::pause_sync_time()`)",
            );
        }
    }

    let classifier = classifier(
        args.on.as_ref(),
        args.when.as_ref(),
        function,
        shape,
        errors,
    );
    let policy = match args.policy {
        Some(policy) => Some(PolicyPlan::Named(policy.value)),
        None => inline_policy(&args, errors).map(PolicyPlan::Inline),
    };
    if let Some(budget) = &args.budget
        && budget.value.value().trim().is_empty()
    {
        errors.push_spanned(
            &budget.value,
            "`budget` is empty; name the retry budget the site shares, such as `budget = \"api\"`",
        );
    }
    if let Some(name) = &args.name
        && name.value.value().trim().is_empty()
    {
        errors.push_spanned(
            &name.value,
            "`name` is empty; give the name metrics and logs should use, or drop `name` for `module::fn_name`",
        );
    }

    let clone = args
        .clone
        .as_ref()
        .map(|arg| cloned_arguments(arg, function, errors))
        .unwrap_or_default();

    if !errors.is_empty() {
        return None;
    }
    Some(RetryPlan {
        krate: args
            .krate
            .map_or_else(|| syn::parse_quote!(::retry_runtime), |krate| krate.value),
        name: args.name.map(|name| name.value),
        policy: policy?,
        classifier,
        on_retry: args.on_retry.map(|hook| hook.value),
        sleeper: args.sleeper.map(|sleeper| sleeper.value),
        clone,
        attempt_span: args
            .attempt_span
            .is_some_and(|attempt_span| attempt_span.value.value),
        budget: args.budget.map(|budget| budget.value),
    })
}

/// `clone = [a, b]`: each must name a by-value argument of the fn (`a: T`, not `&T`, not `self`).
fn cloned_arguments(arg: &Arg<Vec<Ident>>, function: &RetryFn, errors: &mut Errors) -> Vec<Ident> {
    if arg.value.is_empty() {
        errors.push_spanned(
            &arg.key,
            "`clone = []` clones nothing; list the by-value arguments the body moves, or remove `clone`",
        );
    }
    let mut seen: Vec<&Ident> = Vec::new();
    for name in &arg.value {
        if seen.contains(&name) {
            errors.push_spanned(name, format!("`{name}` is listed twice in `clone`"));
            continue;
        }
        seen.push(name);
        let argument = function.sig.inputs.iter().find_map(|input| match input {
            syn::FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(pat) if pat.ident == *name => Some(typed),
                _ => None,
            },
            syn::FnArg::Receiver(_) => None,
        });
        match argument {
            None => {
                let closest = function
                    .sig
                    .inputs
                    .iter()
                    .filter_map(|input| match input {
                        syn::FnArg::Typed(typed) => match &*typed.pat {
                            Pat::Ident(pat) => Some(pat.ident.to_string()),
                            _ => None,
                        },
                        syn::FnArg::Receiver(_) => None,
                    })
                    .map(|candidate| (edit_distance(&name.to_string(), &candidate), candidate))
                    .min()
                    .filter(|(distance, _)| *distance <= 2)
                    .map(|(_, candidate)| format!(" (did you mean `{candidate}`?)"))
                    .unwrap_or_default();
                errors.push_spanned(
                    name,
                    format!(
                        "`{name}` is not an argument of `{}`{closest}; `clone` lists by-value arguments the body moves",
                        function.sig.ident
                    ),
                );
            }
            Some(typed) if matches!(&*typed.ty, Type::Reference(_)) => errors.push_spanned(
                name,
                format!(
                    "`{name}` is a reference, which every attempt can share; remove it from `clone`"
                ),
            ),
            Some(_) => {}
        }
    }
    arg.value.clone()
}

fn inline_policy(args: &RetryArgs, errors: &mut Errors) -> Option<InlinePolicy> {
    let max_attempts = match &args.max_attempts {
        None => Some(DEFAULT_MAX_ATTEMPTS),
        Some(Arg { value, .. }) => match value.base10_parse::<u32>() {
            Ok(0) => {
                errors.push_spanned(
                    value,
                    "`max_attempts = 0` would never run the fn: it counts the first attempt; use `max_attempts = 1` to never retry",
                );
                None
            }
            Ok(attempts) => Some(attempts),
            Err(_) => {
                errors.push_spanned(
                    value,
                    format!(
                        "`max_attempts` must be a whole number from 1 to {}",
                        u32::MAX
                    ),
                );
                None
            }
        },
    };
    let delay = duration_or(args.delay.as_ref(), DEFAULT_DELAY, errors);
    let max_delay = duration_or(args.max_delay.as_ref(), DEFAULT_MAX_DELAY, errors);
    let max_elapsed = nonzero_duration(args.max_elapsed.as_ref(), errors);
    let attempt_timeout = nonzero_duration(args.attempt_timeout.as_ref(), errors);
    if let (Some(delay), Some(max_delay)) = (delay, max_delay)
        && max_delay < delay
    {
        match (&args.max_delay, &args.delay) {
            (Some(cap), _) => errors.push_spanned(
                &cap.value,
                format!(
                    "`max_delay` ({}) is below `delay` ({}); raise `max_delay` or lower `delay`",
                    describe(max_delay),
                    describe(delay)
                ),
            ),
            (None, Some(base)) => errors.push_spanned(
                &base.value,
                format!(
                    "`delay` ({}) is above the default `max_delay` ({}); add `max_delay = \"{}\"` or more",
                    describe(delay),
                    describe(max_delay),
                    literal_of(&base.value)
                ),
            ),
            (None, None) => {}
        }
    }
    let backoff = backoff(args, errors);
    let jitter = jitter(args.jitter.as_ref(), errors);
    Some(InlinePolicy {
        max_attempts: max_attempts?,
        backoff: backoff?,
        delay: delay?,
        max_delay: max_delay?,
        jitter: jitter?,
        max_elapsed: max_elapsed.ok()?,
        attempt_timeout: attempt_timeout.ok()?,
        attempt_timeout_span: args
            .attempt_timeout
            .as_ref()
            .map_or_else(proc_macro2::Span::call_site, |arg| arg.key.span()),
    })
}

fn literal_of(literal: &LitStr) -> String {
    literal.value()
}

fn duration_or(
    arg: Option<&Arg<LitStr>>,
    default: Duration,
    errors: &mut Errors,
) -> Option<Duration> {
    match arg {
        None => Some(default),
        Some(arg) => parse_spanned(arg, errors),
    }
}

/// An optional limit: `Ok(None)` when absent, `Ok(Some(d))` when valid, `Err(())` after an
/// error (already recorded).
fn nonzero_duration(
    arg: Option<&Arg<LitStr>>,
    errors: &mut Errors,
) -> Result<Option<Duration>, ()> {
    let Some(arg) = arg else {
        return Ok(None);
    };
    let duration = parse_spanned(arg, errors).ok_or(())?;
    if duration.is_zero() {
        errors.push_spanned(
            &arg.value,
            format!(
                "`{}` is zero, which would stop every call before it starts; give a positive duration such as {}",
                arg.key,
                example_for(&arg.key.to_string())
            ),
        );
        return Err(());
    }
    Ok(Some(duration))
}

fn parse_spanned(arg: &Arg<LitStr>, errors: &mut Errors) -> Option<Duration> {
    match parse_duration(&arg.value.value()) {
        Ok(duration) => Some(duration),
        Err(reason) => {
            errors.push_spanned(&arg.value, format!("invalid `{}`: {reason}", arg.key));
            None
        }
    }
}

fn backoff(args: &RetryArgs, errors: &mut Errors) -> Option<BackoffPlan> {
    let factor = match &args.factor {
        None => Some(None),
        Some(arg) => factor(&arg.value, errors).map(Some),
    };
    let plan = match &args.backoff {
        None => BackoffPlan::Exponential(factor?.unwrap_or(DEFAULT_FACTOR)),
        Some(Arg {
            value: BackoffArg::Custom(path),
            ..
        }) => BackoffPlan::Custom(path.clone()),
        Some(Arg {
            value: BackoffArg::Named(name),
            ..
        }) => match name.value().as_str() {
            "exponential" => BackoffPlan::Exponential(factor?.unwrap_or(DEFAULT_FACTOR)),
            "linear" => BackoffPlan::Linear,
            "fixed" => BackoffPlan::Fixed,
            "fibonacci" => BackoffPlan::Fibonacci,
            other => {
                errors.push_spanned(
                    name,
                    format!(
                        "unknown backoff \"{other}\"{}; use one of \"exponential\", \"linear\", \"fixed\", \"fibonacci\", or a path to a `fn(u32, Duration) -> Duration`",
                        suggestion(other, BACKOFF_KINDS)
                    ),
                );
                return None;
            }
        },
    };
    if let (Some(factor_arg), false) = (&args.factor, matches!(plan, BackoffPlan::Exponential(_))) {
        errors.push_spanned(
            &factor_arg.key,
            "`factor` only applies to `backoff = \"exponential\"`; remove `factor` or use exponential backoff",
        );
        return None;
    }
    Some(plan)
}

fn factor(literal: &Lit, errors: &mut Errors) -> Option<f64> {
    let parsed = match literal {
        Lit::Int(int) => int.base10_parse::<f64>(),
        Lit::Float(float) => float.base10_parse::<f64>(),
        _ => unreachable!("args only accepts number literals for `factor`"),
    };
    match parsed {
        Ok(factor) if factor.is_finite() && factor >= 1.0 => Some(factor),
        Ok(factor) => {
            errors.push_spanned(
                literal,
                format!(
                    "`factor = {factor}` would make delays shrink; use a factor of at least 1 (`factor = 2` doubles each delay)"
                ),
            );
            None
        }
        Err(error) => {
            errors.push_spanned(literal, format!("invalid `factor`: {error}"));
            None
        }
    }
}

fn jitter(arg: Option<&Arg<LitStr>>, errors: &mut Errors) -> Option<Ident> {
    let Some(arg) = arg else {
        return Some(Ident::new("Full", proc_macro2::Span::call_site()));
    };
    let variant = match arg.value.value().as_str() {
        "none" => "None",
        "full" => "Full",
        "equal" => "Equal",
        "decorrelated" => "Decorrelated",
        other => {
            errors.push_spanned(
                &arg.value,
                format!(
                    "unknown jitter \"{other}\"{}; use one of \"full\", \"equal\", \"decorrelated\", \"none\"",
                    suggestion(other, JITTER_KINDS)
                ),
            );
            return None;
        }
    };
    Some(Ident::new(variant, arg.value.span()))
}

fn suggestion(written: &str, known: &[&str]) -> String {
    let lowered = written.to_lowercase();
    known
        .iter()
        .find(|candidate| {
            lowered.starts_with(&candidate[..3.min(candidate.len())])
                || candidate.starts_with(&lowered)
        })
        .map(|candidate| format!(" (did you mean \"{candidate}\"?)"))
        .unwrap_or_default()
}
