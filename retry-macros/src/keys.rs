//! Parsing shared by both attributes: `key = value` entries, typed values, and errors that name
//! the key and show how to write it.

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit, LitInt, LitStr, Pat, Token, bracketed};

use retry_settings::{BACKOFF_NAMES, BREAKER_KEYS, JITTER_NAMES, Kind, RETRY_KEYS, find};

use crate::errors::Errors;

/// The `key =` of one entry: a known key (else an error suggesting the closest), and its `=`.
pub(crate) fn parse_key(input: ParseStream, known: &[&str]) -> syn::Result<(Ident, String)> {
    let key = <Ident as syn::ext::IdentExt>::parse_any(input)?;
    let name = key.to_string();
    if !known.contains(&name.as_str()) {
        return Err(unknown_key(&key, known));
    }
    if !input.peek(Token![=]) {
        return Err(syn::Error::new(
            key.span(),
            format!("`{name}` needs a value: {}", example_for(&name)),
        ));
    }
    input.parse::<Token![=]>()?;
    Ok((key, name))
}

/// Parses `key = value, ...` with `entry` for each. An error in one entry is recorded and parsing
/// resumes at the next comma, so all of an attribute's errors are reported together.
pub(crate) fn parse_entries(
    tokens: TokenStream,
    errors: &mut Errors,
    mut entry: impl FnMut(ParseStream) -> syn::Result<()>,
) {
    let parser = |input: ParseStream| {
        while !input.is_empty() {
            if let Err(error) = entry(input) {
                errors.push(error);
                skip_to_next_entry(input);
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(())
    };
    if let Err(error) = parser.parse2(tokens) {
        errors.push(error);
    }
}

/// One `key = value`, remembering where the key was written.
pub(crate) struct Arg<T> {
    pub key: Ident,
    pub value: T,
}

/// `on = [A, B::C, B::D { code: 500..=599, .. }]`.
pub(crate) struct OnArg {
    pub bracket_span: Span,
    pub patterns: Vec<Pat>,
}

pub(crate) fn set<T>(slot: &mut Option<Arg<T>>, key: Ident, value: T) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(
            key.span(),
            format!("`{key}` is given twice; keep one of them"),
        ));
    }
    *slot = Some(Arg { key, value });
    Ok(())
}

fn skip_to_next_entry(input: ParseStream) {
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((token, next)) = rest.token_tree() {
            if let proc_macro2::TokenTree::Punct(punct) = &token
                && punct.as_char() == ','
            {
                return Ok(((), rest));
            }
            rest = next;
        }
        Ok(((), rest))
    });
}

pub(crate) fn parse_int(input: ParseStream, key: &str) -> syn::Result<LitInt> {
    if input.peek(LitInt) {
        return input.parse();
    }
    let found: TokenStream = input.fork().parse::<Expr>().map_or_else(
        |_| TokenStream::new(),
        |expr| quote::ToTokens::to_token_stream(&expr),
    );
    Err(syn::Error::new(
        if found.is_empty() {
            input.span()
        } else {
            found.span()
        },
        format!("`{key}` is an integer literal: {}", example_for(key)),
    ))
}

pub(crate) fn parse_string(input: ParseStream, key: &str) -> syn::Result<LitStr> {
    if input.peek(LitStr) {
        return input.parse();
    }
    Err(syn::Error::new(
        input.span(),
        format!("`{key}` is a string literal: {}", example_for(key)),
    ))
}

pub(crate) fn parse_duration_literal(input: ParseStream, key: &str) -> syn::Result<LitStr> {
    if input.peek(LitStr) {
        return input.parse();
    }
    if let Ok(number) = input.fork().parse::<Lit>()
        && matches!(number, Lit::Int(_) | Lit::Float(_))
    {
        return Err(syn::Error::new(
            number.span(),
            format!(
                "durations are strings with a unit: `{key} = \"{}ms\"` or `{key} = \"{}s\"`",
                literal_digits(&number),
                literal_digits(&number)
            ),
        ));
    }
    Err(syn::Error::new(
        input.span(),
        format!("`{key}` is a duration string: {}", example_for(key)),
    ))
}

pub(crate) fn literal_digits(literal: &Lit) -> String {
    match literal {
        Lit::Int(int) => int.base10_digits().to_owned(),
        Lit::Float(float) => float.base10_digits().to_owned(),
        _ => String::new(),
    }
}

pub(crate) fn parse_path_like(input: ParseStream, key: &str) -> syn::Result<Expr> {
    if input.peek(LitStr) {
        let literal: LitStr = input.parse()?;
        return Err(syn::Error::new(
            literal.span(),
            format!(
                "`{key}` takes a path, not a string: write `{key} = {}`",
                literal.value()
            ),
        ));
    }
    input.parse()
}

pub(crate) fn parse_on(input: ParseStream) -> syn::Result<OnArg> {
    if !input.peek(syn::token::Bracket) {
        let span = input.span();
        return Err(syn::Error::new(
            span,
            "`on` takes a list in brackets, even for one error: `on = [Timeout]`",
        ));
    }
    let content;
    let bracket = bracketed!(content in input);
    let patterns = Punctuated::<Pat, Token![,]>::parse_terminated_with(
        &content,
        Pat::parse_multi_with_leading_vert,
    )?;
    Ok(OnArg {
        bracket_span: bracket.span.join(),
        patterns: patterns.into_iter().collect(),
    })
}

/// How to write each key, for error messages: the settings model's example for its keys (with
/// the other names a backoff or jitter can take), the attributes' own for theirs.
pub(crate) fn example_for(key: &str) -> String {
    let model = find(RETRY_KEYS, key)
        .map(|model| (model.example, matches!(model.kind, Kind::Backoff { .. })))
        .or_else(|| find(BREAKER_KEYS, key).map(|model| (model.example, false)));
    if let Some((example, is_backoff)) = model {
        return match key {
            _ if is_backoff => format!(
                "`{example}` (or {}, or a fn path)",
                other_names(BACKOFF_NAMES, example)
            ),
            "jitter" => format!("`{example}` (or {})", other_names(JITTER_NAMES, example)),
            _ => format!("`{example}`"),
        };
    }
    match key {
        "on" => "`on = [Timeout, Io]`",
        "when" => "`when = StoreError::is_transient`",
        "on_retry" => "`on_retry = log_retry`",
        "name" => "`name = \"db\"`",
        "policy" => "`policy = crate::policies::NETWORK`",
        "crate" => "`crate = my_reexport::retry_runtime`",
        "sleeper" => "`sleeper = MySleeper`",
        "clone" => "`clone = [payload]`",
        "attempt_span" => "`attempt_span = true`",
        "budget" => "`budget = \"api\"`",
        "fallback" => "`fallback = Self::from_cache`",
        "on_result" => "`on_result = retry_runtime::http::is_transient`",
        "recover" => "`recover = Self::from_cache`",
        "config" => "`config = crate::breakers::PAYMENTS`",
        "call_timeout" => "`call_timeout = \"2s\"`",
        "max_concurrent" => "`max_concurrent = 10`",
        "max_wait" => "`max_wait = \"50ms\"`",
        "per_second" => "`per_second = 100`",
        "burst" => "`burst = 20`",
        "after" => "`after = \"50ms\"`, or a quantile of recent latencies: `after = \"p95\"`",
        "floor" => "`floor = \"20ms\"`",
        "max_hedges" => "`max_hedges = 2`",
        "k" => "`k = 2.0`",
        "algorithm" => "`algorithm = \"vegas\"` (or \"gradient2\", \"aimd\")",
        "initial_limit" => "`initial_limit = 20`",
        "min_limit" => "`min_limit = 1`",
        "max_limit" => "`max_limit = 200`",
        _ => "",
    }
    .to_owned()
}

/// The names of `table` but the one `example` writes, quoted: `"linear", "fixed"`.
fn other_names<T>(table: &[(&str, T)], example: &str) -> String {
    table
        .iter()
        .map(|(name, _)| format!("\"{name}\""))
        .filter(|quoted| !example.ends_with(quoted.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An unknown key, with the closest known one suggested.
pub(crate) fn unknown_key(key: &Ident, known: &[&str]) -> syn::Error {
    let name = key.to_string();
    let by_spelling = known
        .iter()
        .map(|candidate| (edit_distance(&name, candidate), *candidate))
        .min()
        .filter(|(distance, _)| *distance <= 3)
        .map(|(_, candidate)| candidate);
    let by_part = || {
        known
            .iter()
            .find(|candidate| name.len() >= 3 && candidate.contains(name.as_str()))
            .copied()
    };
    let message = match by_spelling.or_else(by_part) {
        Some(candidate) => format!("unknown key `{name}`; did you mean `{candidate}`?"),
        None => format!("unknown key `{name}`; the keys are: {}", known.join(", ")),
    };
    syn::Error::new(key.span(), message)
}

pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}
