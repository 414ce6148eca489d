//! Every semantic check of `#[circuit_breaker(...)]`, each error spanned at the offending token
//! and naming the fix; all of one attribute's errors are collected.

use proc_macro2::{Span, TokenStream};
use retry_settings::{BREAKER_KEYS, BreakerConfig, BreakerConfigError, Value};
use syn::{Expr, LitStr, Path};

use crate::breaker::args::BreakerArgs;
use crate::classify::{Classifier, classifier};
use crate::codegen::forwarded_arguments;
use crate::errors::Errors;
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
    /// `recover`, and the same arguments (the cause is added last).
    pub recover: Option<(Expr, Vec<TokenStream>)>,
    /// `on_result`: which values count as failures.
    pub on_result: Option<Expr>,
    /// `config = path`: the breaker's settings, instead of the tuning keys.
    pub named_config: Option<Expr>,
    /// Whether the fn returns a `Result` (see `FnShape`).
    pub returns_result: bool,
    /// Where the return type is, when it may be a `Result` behind a type alias: `on_result`
    /// judging the whole value there says so at the return type.
    pub hidden_result: Option<proc_macro2::Span>,
    /// `call_timeout`, and where it was written (for errors about the fn's error type).
    pub call_timeout: Option<(std::time::Duration, Span)>,
    /// `deadline = "refuse"`, where its value was written.
    pub refuse_past_deadline: Option<Span>,
}

/// The breaker's settings, validated by the settings model's builder: the keys to set on the
/// runtime's builder, in the model's order (the written ones, and those the attribute's rules
/// imply).
pub(crate) struct ConfigPlan {
    pub values: Vec<(&'static str, Value)>,
    /// `window = "10s"`: a time-based window.
    pub time_window: Option<std::time::Duration>,
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
    let fallback = args.fallback.as_ref().and_then(|fallback| {
        forwarded_arguments("fallback", function, errors)
            .map(|arguments| (fallback.value.clone(), arguments))
    });
    let recover = args.recover.as_ref().and_then(|recover| {
        forwarded_arguments("recover", function, errors)
            .map(|arguments| (recover.value.clone(), arguments))
    });
    if let (Some(fallback), Some(_)) = (&args.fallback, &args.recover) {
        errors.push_spanned(
            &fallback.key,
            "`fallback` and `recover` both answer a rejected call; keep `recover` (it also sees failures, and why it was called) or `fallback`",
        );
    }
    if !shape.returns_result {
        for key in [
            args.on.as_ref().map(|arg| &arg.key),
            args.when.as_ref().map(|arg| &arg.key),
        ]
        .into_iter()
        .flatten()
        {
            errors.push_spanned(
                key,
                format!("`{key}` selects errors, and this fn does not return a `Result`; say which values are failures with `on_result`"),
            );
        }
        if args.fallback.is_none() && args.recover.is_none() {
            errors.push(syn::Error::new(
                Span::call_site(),
                "a `#[circuit_breaker]` fn that does not return a `Result` needs a `fallback` (or `recover`): there is no `Err` to return when the breaker rejects a call",
            ));
        }
    }
    let call_timeout = args
        .call_timeout
        .as_ref()
        .and_then(|arg| call_timeout(arg, shape, errors));
    let refuse_past_deadline =
        crate::deadline::validate(args.deadline.as_ref(), shape.returns_result, errors);
    if let Some(config) = &args.config {
        for key in args.config_keys.keys() {
            errors.push_spanned(
                key,
                format!(
                    "`{key}` cannot be combined with `config = ...`: set it in the named `BreakerConfig`, or drop `config` and use inline keys"
                ),
            );
        }
        let _ = config;
    }
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
        recover,
        on_result: args
            .on_result
            .as_ref()
            .map(|on_result| on_result.value.clone()),
        named_config: args.config.as_ref().map(|config| config.value.clone()),
        call_timeout,
        returns_result: shape.returns_result,
        refuse_past_deadline,
        hidden_result: crate::codegen::hidden_result(shape),
    })
}

/// `call_timeout`: async fns returning a `Result` only, and a positive duration.
fn call_timeout(
    arg: &crate::keys::Arg<LitStr>,
    shape: &FnShape,
    errors: &mut Errors,
) -> Option<(std::time::Duration, Span)> {
    if matches!(shape.flavor, crate::signature::Flavor::Sync) {
        errors.push_spanned(
            &arg.key,
            "`call_timeout` needs an async fn: a sync call cannot be cut off; make the fn `async`, or bound the call itself (a socket timeout, say)",
        );
        return None;
    }
    if !shape.returns_result {
        errors.push_spanned(
            &arg.key,
            "`call_timeout` returns a timed-out call as an `Err`, and this fn does not return a `Result`",
        );
        return None;
    }
    match retry_settings::duration::parse(&arg.value.value()) {
        Ok(timeout) if timeout.is_zero() => {
            errors.push_spanned(
                &arg.value,
                "`call_timeout` is zero, so every call would time out at once; give a positive duration such as `call_timeout = \"2s\"`",
            );
            None
        }
        Ok(timeout) => Some((timeout, arg.value.span())),
        Err(reason) => {
            errors.push_spanned(&arg.value, format!("invalid `call_timeout`: {reason}"));
            None
        }
    }
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
    let mut time_window = None;
    if let Some(arg) = &args.time_window {
        if !uses_window {
            errors.push_spanned(
                &arg.key,
                "`window` only applies to rate-based tripping; add `failure_rate = 0.5` (or `slow_call`), or remove `window`",
            );
        }
        match retry_settings::duration::parse(&arg.value.value()) {
            Ok(length) => time_window = Some(length),
            Err(reason) => errors.push_spanned(
                &arg.value,
                format!("invalid `window`: {reason}; a time-based window is a duration such as `window = \"10s\"`, a count-based one a number such as `window = 20`"),
            ),
        }
    }
    let mut builder = settings.builder(BreakerConfig::builder());
    if let Some(length) = time_window {
        builder = builder.time_window(length);
    }
    if let (Some(arg), Some(error)) = (
        &args.time_window,
        builder
            .errors()
            .into_iter()
            .find(|error| matches!(error, BreakerConfigError::ZeroTimeWindow)),
    ) {
        errors.push_spanned(&arg.value, error.reason());
    }
    for error in builder
        .errors()
        .into_iter()
        .filter(|error| !matches!(error, BreakerConfigError::ZeroTimeWindow))
    {
        // This one is about a key missing, not about the value of the one written.
        let at_key = matches!(error, BreakerConfigError::SlowRateWithoutSlowCall);
        settings.report(error.fields(), error.reason(), at_key);
    }
    settings.check_bounds();
    settings.finish(errors).map(|values| ConfigPlan {
        values,
        time_window,
    })
}
