//! Which errors `on` and `when` select: patterns completed with the error type's path at
//! compile time, and the expression that tests an error against them.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::{Expr, Ident, Pat, Path};

use crate::errors::Errors;
use crate::keys::{Arg, OnArg};
use crate::signature::{FnShape, RetryFn, is_type_parameter, variant_prefix};

/// `on` patterns (already completed with the error type's path) and the `when` predicate.
pub(crate) struct Classifier {
    pub patterns: Vec<TokenStream>,
    pub when: Option<Expr>,
}

/// The classifier of `on` and `when`, or `None` when neither is given (every error counts).
pub(crate) fn classifier(
    on: Option<&Arg<OnArg>>,
    when: Option<&Arg<Expr>>,
    function: &RetryFn,
    shape: &FnShape,
    errors: &mut Errors,
) -> Option<Classifier> {
    // A fn returning plain values has no errors to select: the attribute says so at the key.
    if (on.is_none() && when.is_none()) || !shape.returns_result {
        return None;
    }
    let mut patterns = Vec::new();
    if let Some(on) = on {
        if on.value.patterns.is_empty() {
            errors.push(syn::Error::new(
                on.value.bracket_span,
                "`on = []` would retry nothing; list the errors to retry (`on = [Timeout]`), or remove `on` to retry every error",
            ));
        }
        for pattern in &on.value.patterns {
            if let Some(completed) = complete_pattern(pattern, function, shape, errors) {
                patterns.push(completed);
            }
        }
    }
    Some(Classifier {
        patterns,
        when: when.map(|when| when.value.clone()),
    })
}

/// A single identifier names a variant of `E` (`Timeout` becomes `E::Timeout { .. }`, which
/// matches unit, tuple and struct variants alike); a bare path gets `{ .. }`. Inside full
/// patterns, single-segment variant paths (`Io(7)`, `Http { status, .. }`) get the `E::` prefix
/// too, through or-patterns; everything else is used as written.
fn complete_pattern(
    pattern: &Pat,
    function: &RetryFn,
    shape: &FnShape,
    errors: &mut Errors,
) -> Option<TokenStream> {
    match pattern {
        Pat::Ident(ident)
            if ident.by_ref.is_none() && ident.mutability.is_none() && ident.subpat.is_none() =>
        {
            let variant = &ident.ident;
            let prefix = error_prefix(variant, function, shape, errors)?;
            Some(quote!(#prefix::#variant { .. }))
        }
        Pat::Path(path) if path.qself.is_none() && path.path.get_ident().is_some() => {
            let variant = path.path.get_ident()?;
            let prefix = error_prefix(variant, function, shape, errors)?;
            Some(quote!(#prefix::#variant { .. }))
        }
        Pat::Path(path) => Some(quote!(#path { .. })),
        Pat::Or(or) => {
            let cases: Option<Vec<TokenStream>> = or
                .cases
                .iter()
                .map(|case| complete_pattern(case, function, shape, errors))
                .collect();
            let cases = cases?;
            Some(quote!(#(#cases)|*))
        }
        Pat::TupleStruct(tuple) if names_variant_of_error(&tuple.path, shape) => {
            let mut tuple = tuple.clone();
            tuple.path = prefixed(&tuple.path, shape)?;
            Some(tuple.to_token_stream())
        }
        Pat::Struct(fields) if names_variant_of_error(&fields.path, shape) => {
            let mut fields = fields.clone();
            fields.path = prefixed(&fields.path, shape)?;
            Some(fields.to_token_stream())
        }
        other => Some(other.to_token_stream()),
    }
}
/// A variant named without its enum's path (`Timeout`, `Io(_)`, `Http { .. }`, in an
/// or-pattern too), which only the error type written in the return type can complete.
pub(crate) fn bare_variant(pattern: &Pat) -> Option<&Ident> {
    match pattern {
        Pat::Ident(ident)
            if ident.by_ref.is_none() && ident.mutability.is_none() && ident.subpat.is_none() =>
        {
            Some(&ident.ident)
        }
        Pat::Path(path) if path.qself.is_none() => path.path.get_ident(),
        Pat::TupleStruct(tuple) if tuple.qself.is_none() => tuple.path.get_ident(),
        Pat::Struct(fields) if fields.qself.is_none() => fields.path.get_ident(),
        Pat::Or(or) => or.cases.iter().find_map(bare_variant),
        _ => None,
    }
}

/// A single-segment path that is not the error type itself: a variant written without `E::`.
fn names_variant_of_error(path: &Path, shape: &FnShape) -> bool {
    let Some(ident) = path.get_ident() else {
        return false;
    };
    let Some(prefix) = shape.error_type.as_ref().and_then(variant_prefix) else {
        return false;
    };
    prefix
        .segments
        .last()
        .is_some_and(|last| last.ident != *ident)
}

fn prefixed(path: &Path, shape: &FnShape) -> Option<Path> {
    let mut prefix = shape.error_type.as_ref().and_then(variant_prefix)?;
    prefix.segments.extend(path.segments.iter().cloned());
    Some(prefix)
}

/// `E`'s path, or an error at `variant` saying why a bare variant name cannot be completed.
fn error_prefix(
    variant: &Ident,
    function: &RetryFn,
    shape: &FnShape,
    errors: &mut Errors,
) -> Option<Path> {
    // A return type that hides `E` was reported at the return type before any key is read.
    let error_type = shape.error_type.as_ref()?;
    if is_type_parameter(&function.sig, error_type) {
        errors.push_spanned(
            variant,
            format!(
                "`{}` is a type parameter, so `{variant}` cannot name one of its variants; use `when = predicate` to classify a generic error",
                display_tokens(error_type)
            ),
        );
        return None;
    }
    let prefix = variant_prefix(error_type);
    if prefix.is_none() {
        errors.push_spanned(
            variant,
            format!(
                "`{}` is not an enum path, so `{variant}` cannot name one of its variants; write a full pattern, or use `when = predicate`",
                display_tokens(error_type)
            ),
        );
    }
    prefix
}

/// Tokens as a user writes them (`a::b<'c>`, not `a :: b < 'c >`), for error messages.
pub(crate) fn display_tokens(tokens: &impl ToTokens) -> String {
    let spaced = tokens.to_token_stream().to_string();
    let mut text = spaced
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" < ", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace("& ", "&");
    if text.starts_with(":: ") {
        text = text.replacen(":: ", "::", 1);
    }
    text
}

/// `true` when the error is selected: `matches!(error, patterns) || when(error)`, where `error`
/// is an expression of type `&E` (patterns then bind by reference and never move out of it).
pub(crate) fn selects(classifier: Option<&Classifier>, error: &TokenStream) -> TokenStream {
    let Some(Classifier { patterns, when }) = classifier else {
        return quote!(true);
    };
    let by_pattern = (!patterns.is_empty())
        .then(|| quote_spanned!(Span::mixed_site()=> ::core::matches!(#error, #(#patterns)|*)));
    let by_predicate = when.as_ref().map(|when| quote!((#when)(#error)));
    match (by_pattern, by_predicate) {
        (Some(pattern), Some(predicate)) => quote!(#pattern || #predicate),
        (Some(pattern), None) => pattern,
        (None, Some(predicate)) => predicate,
        (None, None) => quote!(false),
    }
}
