//! Every semantic check of `#[retry(...)]`, each error spanned at the offending token and naming
//! the fix; all of one attribute's errors are collected. The output is a plan with only valid,
//! typed values, for `expand` to quote.

use retry_settings::{Backoff, PolicyError, RETRY_KEYS, RetryPolicy, Value, duration};
use syn::{Expr, Ident, LitStr, Pat, Path, Type};

use crate::classify::{Classifier, classifier, display_tokens};
use crate::errors::Errors;
use crate::keys::{Arg, edit_distance};
use crate::retry::args::RetryArgs;
use crate::settings::{Literal, Settings};
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
    /// `on_result`: which returned values are failures, retried like errors.
    pub on_result: Option<Expr>,
    /// `recover`, and the fn's arguments to call it with (the cause is added last).
    pub recover: Option<(Expr, Vec<proc_macro2::TokenStream>)>,
    /// Whether the fn returns a `Result` (see `FnShape`).
    pub returns_result: bool,
    /// `deadline = "refuse"`: a call whose deadline has passed runs no body; the span of the value.
    pub refuse_past_deadline: Option<proc_macro2::Span>,
    /// Where the return type is, when it may be a `Result` behind a type alias: `on_result`
    /// judging the whole value there says so at the return type.
    pub hidden_result: Option<proc_macro2::Span>,
}

pub(crate) enum PolicyPlan {
    Inline(InlinePolicy),
    /// `policy = path`; its values are only known to rustc, so some checks happen in const
    /// evaluation instead (see `expand`).
    Named(Expr),
}

/// A policy from inline keys, validated by the settings model's builder.
pub(crate) struct InlinePolicy {
    /// The policy the keys build.
    pub policy: RetryPolicy,
    /// The keys to set on the runtime's builder, in the model's order: the written ones, with
    /// `factor` folded into `backoff`.
    pub values: Vec<(&'static str, Value)>,
    /// The fn of `backoff = path`.
    pub custom_backoff: Option<Expr>,
    /// Where `attempt_timeout` was written, for errors about the fn's error type.
    pub attempt_timeout_span: proc_macro2::Span,
}

pub(crate) fn validate(
    args: RetryArgs,
    function: &RetryFn,
    shape: &FnShape,
    errors: &mut Errors,
) -> Option<RetryPlan> {
    let is_async = !matches!(shape.flavor, Flavor::Sync);
    if let Some(policy) = &args.policy {
        for key in args.policy_keys.keys() {
            errors.push_spanned(
                key,
                format!(
                    "`{key}` cannot be combined with `policy = ...`: set it in the named policy `{}`, or drop `policy` and use inline keys",
                    display_tokens(&policy.value)
                ),
            );
        }
    }
    if !is_async {
        if let Some(timeout) = args.policy_keys.get("attempt_timeout") {
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

    if !shape.returns_result {
        reject_error_keys(&args, errors);
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
    let recover = args.recover.as_ref().and_then(|recover| {
        crate::codegen::forwarded_arguments("recover", function, errors)
            .map(|arguments| (recover.value.clone(), arguments))
    });
    let refuse_past_deadline =
        crate::deadline::validate(args.deadline.as_ref(), shape.returns_result, errors);
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
        on_result: args.on_result.map(|on_result| on_result.value),
        recover,
        returns_result: shape.returns_result,
        refuse_past_deadline,
        hidden_result: crate::codegen::hidden_result(shape),
    })
}

/// Keys about errors, on a fn that returns values rather than a `Result`.
fn reject_error_keys(args: &RetryArgs, errors: &mut Errors) {
    for (key, why) in [
        (args.on.as_ref().map(|arg| &arg.key), "selects errors"),
        (args.when.as_ref().map(|arg| &arg.key), "selects errors"),
        (
            args.recover.as_ref().map(|arg| &arg.key),
            "is called with the last error",
        ),
        (
            args.policy_keys
                .get("attempt_timeout")
                .map(|entry| &entry.key),
            "turns a timeout into the error",
        ),
    ] {
        if let Some(key) = key {
            errors.push_spanned(
                key,
                format!("`{key}` {why}, and this fn does not return a `Result`; `on_result` says which values are failures"),
            );
        }
    }
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

/// The inline keys, set on the settings model's builder and checked by it: each of its errors
/// is put on the key that caused it.
fn inline_policy(args: &RetryArgs, errors: &mut Errors) -> Option<InlinePolicy> {
    let written = &args.policy_keys;
    let mut settings = Settings::read(RETRY_KEYS, written);
    if let (Some(factor), Some(Value::Backoff(backoff))) =
        (written.get("factor"), settings.value("backoff"))
        && !matches!(backoff, Backoff::Exponential { .. })
    {
        settings.fail_at(
            "factor",
            &factor.key,
            "`factor` only applies to `backoff = \"exponential\"`; remove `factor` or use exponential backoff",
        );
    }
    let builder = settings.builder(RetryPolicy::builder());
    for error in builder.errors() {
        match error {
            PolicyError::CapBelowBase { delay, max_delay }
                if settings.written("max_delay").is_none() =>
            {
                let Some(base) = settings.written("delay") else {
                    continue;
                };
                let Literal::Text(text) = &base.value else {
                    continue;
                };
                settings.report(
                    &["delay"],
                    format!(
                        "`delay` ({}) is above the default `max_delay` ({}); add `max_delay = \"{}\"` or more",
                        duration::describe(delay),
                        duration::describe(max_delay),
                        text.value()
                    ),
                    false,
                );
            }
            error => settings.report(error.fields(), error.reason(), false),
        }
    }
    settings.check_bounds();
    let policy = builder.build().ok();
    let mut values = settings.finish(errors)?;
    let policy = policy?;
    // `factor` is no builder method: it is part of the backoff it sets.
    if values.iter().any(|(name, _)| *name == "factor") {
        values.retain(|(name, _)| *name != "backoff");
        for (name, value) in &mut values {
            if *name == "factor" {
                *name = "backoff";
                *value = Value::Backoff(policy.backoff());
            }
        }
    }
    Some(InlinePolicy {
        policy,
        values,
        custom_backoff: match written.get("backoff") {
            Some(Arg {
                value: Literal::Path(path),
                ..
            }) => Some(path.clone()),
            _ => None,
        },
        attempt_timeout_span: written
            .get("attempt_timeout")
            .map_or_else(proc_macro2::Span::call_site, |arg| arg.key.span()),
    })
}
