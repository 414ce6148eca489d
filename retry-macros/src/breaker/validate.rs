//! Every semantic check of `#[circuit_breaker(...)]`, each error spanned at the offending token
//! and naming the fix; all of one attribute's errors are collected.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use retry_settings::{BREAKER_KEYS, BreakerConfig, BreakerConfigError, Value};
use syn::{Expr, FnArg, LitStr, Pat, Path};

use crate::breaker::args::BreakerArgs;
use crate::classify::{Classifier, classifier};
use crate::errors::Errors;
use crate::keys::Arg;
use crate::settings::Settings;
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

/// The breaker's settings, validated by the settings model's builder: the keys to set on the
/// runtime's builder, in the model's order (the written ones, and those the attribute's rules
/// imply).
pub(crate) struct ConfigPlan {
    pub values: Vec<(&'static str, Value)>,
}

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

/// The breaker's keys, set on the settings model's builder and checked by it: each of its errors
/// is put on the key that caused it.
fn config(args: &BreakerArgs, errors: &mut Errors) -> Option<ConfigPlan> {
    let written = &args.config_keys;
    let mut settings = Settings::read(BREAKER_KEYS, written);
    let uses_window = ["failure_rate", "slow_call_rate", "slow_call"]
        .iter()
        .any(|key| written.get(key).is_some());
    // The attribute's rules: a rate alone trips the breaker (no threshold unless one is given),
    // and a long `open_for` raises the default cap on it rather than being refused by it.
    if uses_window && written.get("failure_threshold").is_none() {
        settings.imply("failure_threshold", Value::Count(0));
    }
    if let Some(Value::Duration(open_for)) = settings.value("open_for")
        && written.get("max_open_for").is_none()
        && open_for > BreakerConfig::DEFAULT.max_open_for()
    {
        settings.imply("max_open_for", Value::Duration(open_for));
    }
    if !uses_window {
        for key in ["window", "min_calls"] {
            if let Some(entry) = written.get(key) {
                settings.error_at(
                    key,
                    &entry.key,
                    format!("`{key}` only applies to rate-based tripping; add `failure_rate = 0.5` (or `slow_call`), or remove `{key}`"),
                );
            }
        }
    }
    let builder = settings.builder(BreakerConfig::builder());
    for error in builder.errors() {
        // This one is about a key missing, not about the value of the one written.
        let at_key = matches!(error, BreakerConfigError::SlowRateWithoutSlowCall);
        settings.report(error.fields(), error.reason(), at_key);
    }
    settings.check_bounds();
    settings.finish(errors).map(|values| ConfigPlan { values })
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
