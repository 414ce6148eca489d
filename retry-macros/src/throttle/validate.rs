//! Every semantic check of `#[throttle(...)]`, each error spanned at the offending token and
//! naming the fix; all of one attribute's errors are collected. `k` and `window` are the
//! settings model's keys, checked by its builder (`retry_settings::ThrottleConfig`), which the
//! expansion calls again in a `const`.

use retry_settings::{THROTTLE_KEYS, ThrottleConfig, Value};
use syn::{Expr, LitStr, Path};

use crate::classify::{Classifier, classifier};
use crate::errors::Errors;
use crate::limits;
use crate::settings::Settings;
use crate::signature::{FnShape, RetryFn};
use crate::throttle::args::ThrottleArgs;

/// What `expand` generates from.
pub(crate) struct ThrottlePlan {
    /// `deadline = "refuse"`, where its value was written.
    pub refuse_past_deadline: Option<proc_macro2::Span>,
    pub krate: Path,
    pub name: LitStr,
    /// `k` and `window` as written, validated, for the builder.
    pub config: Vec<(&'static str, Value)>,
    /// `None`: every `Err` is a failure (the backend did not accept the call).
    pub classifier: Option<Classifier>,
    /// `on_result`: which `Ok` values are failures.
    pub on_result: Option<Expr>,
}

pub(crate) fn validate(
    args: &ThrottleArgs,
    function: &RetryFn,
    shape: &FnShape,
    errors: &mut Errors,
) -> Option<ThrottlePlan> {
    let name = limits::name(
        args.name.as_ref(),
        args.name_written,
        "throttle",
        "throttle",
        "search",
        errors,
    );
    let config = config(args, errors);
    let classifier = classifier(
        args.on.as_ref(),
        args.when.as_ref(),
        function,
        shape,
        errors,
    );
    let refuse_past_deadline =
        crate::deadline::validate(args.deadline.as_ref(), shape.returns_result, errors);
    Some(ThrottlePlan {
        refuse_past_deadline,
        krate: args.krate.as_ref().map_or_else(
            || syn::parse_quote!(::retry_runtime),
            |krate| krate.value.clone(),
        ),
        name: name?,
        config: config?,
        classifier,
        on_result: args
            .on_result
            .as_ref()
            .map(|on_result| on_result.value.clone()),
    })
}

/// `k` and `window`, set on the settings model's builder and checked by it: each error is put
/// on the value that caused it.
fn config(args: &ThrottleArgs, errors: &mut Errors) -> Option<Vec<(&'static str, Value)>> {
    let mut settings = Settings::read(THROTTLE_KEYS, &args.config_keys);
    let builder = settings.builder(ThrottleConfig::builder());
    for error in builder.errors() {
        settings.report(error.fields(), error.reason(), false);
    }
    settings.check_bounds();
    settings.finish(errors)
}
