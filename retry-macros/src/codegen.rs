//! Generated code shared by both attributes.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{FnArg, Ident, Pat, Type};

use crate::errors::Errors;
use crate::signature::{Flavor, FnShape, RetryFn};

/// Rebuilds the fn with its body replaced by `wrap(body, is_async)`. For an `#[async_trait]`
/// method, the wrapped body is the inside of its `Box::pin(async move { .. })`, after the
/// argument rebindings.
pub(crate) fn wrap_fn(
    function: RetryFn,
    shape: &FnShape,
    wrap: impl FnOnce(&TokenStream, bool) -> TokenStream,
) -> TokenStream {
    let RetryFn {
        attrs,
        vis,
        sig,
        body,
    } = function;
    let new_body = match &shape.flavor {
        Flavor::Sync => wrap(&body, false),
        Flavor::Async => wrap(&body, true),
        Flavor::AsyncTrait {
            callee,
            before,
            rebindings,
            attempt,
        } => {
            let inner = wrap(&quote!(#(#attempt)*), true);
            let move_token = <syn::Token![move]>::default();
            quote! {
                #(#before)*
                #callee(async #move_token {
                    #(#rebindings)*
                    #inner
                })
            }
        }
    };
    quote! {
        #(#attrs)*
        #vis #sig {
            #new_body
        }
    }
}

/// `if false { let r: Output = loop {}; return r; }`: fixes the attempt's output type before
/// the body is checked, so `?` knows what to convert into and type errors point at user code.
pub(crate) fn fake_return(output: &Type) -> TokenStream {
    let fake = Ident::new("retry_fake_return", Span::mixed_site());
    quote! {
        #[allow(
            unknown_lints,
            unreachable_code,
            clippy::diverging_sub_expression,
            clippy::empty_loop,
            clippy::let_unit_value,
            clippy::let_with_type_underscore,
            clippy::needless_return,
            clippy::unreachable
        )]
        if false {
            let #fake: #output = loop {};
            return #fake;
        }
    }
}

/// The arguments to call `fallback` or `recover` with: the fn's own (`self` and each named
/// argument), so each must be a plain name.
pub(crate) fn forwarded_arguments(
    key: &str,
    function: &RetryFn,
    errors: &mut Errors,
) -> Option<Vec<TokenStream>> {
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
                        format!("`{key}` is called with the fn's arguments, so each needs a plain name; bind this pattern inside the body instead"),
                    );
                    return None;
                }
            },
        }
    }
    Some(arguments)
}

/// `tokens` with every span set to `span`, so that an error rustc finds in them (a missing
/// `From` impl) points at the user's token `span` comes from, not at the attribute.
pub(crate) fn respanned(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respanned(group.stream(), span));
                inner.set_span(span);
                token = proc_macro2::TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

/// `Err(<_ as krate::__private::FromRejection<_>>::from_rejection(value))`: a rejection or a timeout as the fn's `Result`,
/// the error type inferred from the fn's. Every span is `span`, so that a missing `From` impl is
/// reported there, with the message of `FromRejection`'s `#[diagnostic::on_unimplemented]`;
/// the trait is called directly (no generic fn with a bound), so the error names no path of the
/// runtime's private module.
pub(crate) fn converted_error(krate: &syn::Path, value: &Ident, span: Span) -> TokenStream {
    let convert = respanned(
        quote!(<_ as #krate::__private::FromRejection<_>>::from_rejection),
        span,
    );
    let mut value = value.clone();
    value.set_span(value.span().located_at(span));
    respanned(quote!(::core::result::Result::Err), span)
        .into_iter()
        .chain(quote::quote_spanned!(span=> (#convert(#value))))
        .collect()
}

/// Where a rejection's conversion into the fn's error type is reported: the error type's name as
/// written (`Error` in `io::Error`), else the return type.
pub(crate) fn error_type_span(shape: &crate::signature::FnShape) -> Span {
    use syn::spanned::Spanned;
    match &shape.error_type {
        Some(syn::Type::Path(path)) => path
            .path
            .segments
            .last()
            .map_or_else(|| path.span(), |segment| segment.ident.span()),
        Some(other) => other.span(),
        None => shape.output.span(),
    }
}

/// The return type's span when `on_result` judges the whole value of a type that may be a
/// `Result` behind an alias (see [`FnShape::hides_result`](crate::signature::FnShape)).
pub(crate) fn hidden_result(shape: &crate::signature::FnShape) -> Option<Span> {
    (!shape.returns_result && shape.hides_result).then(|| return_type_span(shape))
}

/// Where the return type is reported: its name as written (`Answer`, `Result` in
/// `io::Result<()>`), else the whole type.
pub(crate) fn return_type_span(shape: &crate::signature::FnShape) -> Span {
    use syn::spanned::Spanned;
    match &shape.output {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .map_or_else(|| path.span(), |segment| segment.ident.span()),
        other => other.span(),
    }
}

/// `on_result` applied to `value` (an expression of type `&T`). Where the whole return value
/// is judged and the return type may be a `Result` behind an alias, through a probe that
/// reports such a `Result` at the return type, naming the fix, instead of a type mismatch at
/// `on_result`.
pub(crate) fn judge_value(
    krate: &syn::Path,
    value: &TokenStream,
    on_result: &syn::Expr,
    hidden_result: Option<Span>,
) -> TokenStream {
    use syn::spanned::Spanned;
    let Some(return_type) = hidden_result else {
        return quote::quote_spanned! {on_result.span()=>
            #krate::__private::judge_value(#value, #on_result)
        };
    };
    // The call is located at the return type (keeping each token's hygiene), where a `Result`
    // behind an alias is reported.
    let call = located_at(
        quote::quote!(#krate::returned_value::ReturnedValue(#value).judge),
        return_type,
    );
    quote::quote! {{
        #[allow(unused_imports)]
        use #krate::returned_value::JudgeReturnedValue as _;
        #call(#on_result)
    }}
}

/// `tokens` shown at `span`, each resolving names as before.
fn located_at(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), located_at(group.stream(), span));
                inner.set_span(group.span().located_at(span));
                token = proc_macro2::TokenTree::Group(inner);
            } else {
                token.set_span(token.span().located_at(span));
            }
            token
        })
        .collect()
}

/// A `Duration` literal for the runtime: `Duration::from_nanos(n)`.
pub(crate) fn duration_tokens(krate: &syn::Path, duration: std::time::Duration) -> TokenStream {
    let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
    quote!(#krate::__private::Duration::from_nanos(#nanos))
}

/// A site's name: the one written (`name = "..."`), else `module::fn` at the call site.
pub(crate) fn site_name(written: Option<&syn::LitStr>, fn_name: &Ident) -> TokenStream {
    written.map_or_else(
        || {
            let fn_name = fn_name.to_string();
            quote!(::core::concat!(::core::module_path!(), "::", #fn_name))
        },
        quote::ToTokens::to_token_stream,
    )
}

/// `flag.store(true, Relaxed);` for the refusal flag of an outer `#[retry]`, `#[circuit_breaker]`,
/// `#[hedge]`, `#[throttle]` or `#[adaptive_limit]`, set before a refusal returns so that they
/// neither retry it nor count it as the dependency's outcome; nothing when no one reads it.
pub(crate) fn mark_rejected(rejected: Option<&Ident>) -> Option<TokenStream> {
    rejected.map(|flag| quote!(#flag.store(true, ::core::sync::atomic::Ordering::Relaxed);))
}

/// `{ mark the flag; return Err(value converted into the fn's error type); }`: a strategy's
/// refusal, the conversion reported at `span` when the error type lacks it.
pub(crate) fn refuse_with(
    krate: &syn::Path,
    value: &Ident,
    span: Span,
    rejected: Option<&Ident>,
) -> TokenStream {
    let mark = mark_rejected(rejected);
    let rejection = converted_error(krate, value, span);
    quote!({
        #mark
        return #rejection;
    })
}
