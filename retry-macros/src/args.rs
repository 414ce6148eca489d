//! The attribute's arguments, parsed into typed values: the syntax of each key, nothing more.
//! What the values mean and how they combine is checked in `validate`.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit, LitInt, LitStr, Pat, Path, Token, Type, bracketed};

use crate::errors::Errors;

/// One `key = value`, remembering where the key was written.
pub(crate) struct Arg<T> {
    pub key: Ident,
    pub value: T,
}

/// `backoff = "exponential"` or `backoff = path::to::custom_fn`.
pub(crate) enum BackoffArg {
    Named(LitStr),
    Custom(Expr),
}

/// `on = [A, B::C, B::D { code: 500..=599, .. }]`.
pub(crate) struct OnArg {
    pub bracket_span: Span,
    pub patterns: Vec<Pat>,
}

/// Every key of `#[retry(...)]`, each at most once.
#[derive(Default)]
pub(crate) struct RetryArgs {
    pub max_attempts: Option<Arg<LitInt>>,
    pub backoff: Option<Arg<BackoffArg>>,
    pub delay: Option<Arg<LitStr>>,
    pub max_delay: Option<Arg<LitStr>>,
    pub factor: Option<Arg<Lit>>,
    pub jitter: Option<Arg<LitStr>>,
    pub on: Option<Arg<OnArg>>,
    pub when: Option<Arg<Expr>>,
    pub max_elapsed: Option<Arg<LitStr>>,
    pub attempt_timeout: Option<Arg<LitStr>>,
    pub on_retry: Option<Arg<Expr>>,
    pub name: Option<Arg<LitStr>>,
    pub policy: Option<Arg<Expr>>,
    pub krate: Option<Arg<Path>>,
    pub sleeper: Option<Arg<Type>>,
    pub clone: Option<Arg<Vec<Ident>>>,
}

pub(crate) const RETRY_KEYS: &[&str] = &[
    "max_attempts",
    "backoff",
    "delay",
    "max_delay",
    "factor",
    "jitter",
    "on",
    "when",
    "max_elapsed",
    "attempt_timeout",
    "on_retry",
    "name",
    "policy",
    "crate",
    "sleeper",
    "clone",
];

/// The keys that describe a policy inline, which `policy = ...` replaces.
pub(crate) const POLICY_KEYS: &[&str] = &[
    "max_attempts",
    "backoff",
    "delay",
    "max_delay",
    "factor",
    "jitter",
    "max_elapsed",
    "attempt_timeout",
];

impl RetryArgs {
    /// Parses every `key = value`; an error in one entry is recorded and parsing resumes at the
    /// next comma, so all of them are reported together.
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> RetryArgs {
        let mut args = RetryArgs::default();
        let parser = |input: ParseStream| {
            while !input.is_empty() {
                if let Err(error) = args.parse_entry(input) {
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
        args
    }

    /// The keys written, in order, for checks such as "policy mixed with inline keys".
    pub(crate) fn written_keys(&self) -> Vec<&Ident> {
        let keys = [
            self.max_attempts.as_ref().map(|arg| &arg.key),
            self.backoff.as_ref().map(|arg| &arg.key),
            self.delay.as_ref().map(|arg| &arg.key),
            self.max_delay.as_ref().map(|arg| &arg.key),
            self.factor.as_ref().map(|arg| &arg.key),
            self.jitter.as_ref().map(|arg| &arg.key),
            self.on.as_ref().map(|arg| &arg.key),
            self.when.as_ref().map(|arg| &arg.key),
            self.max_elapsed.as_ref().map(|arg| &arg.key),
            self.attempt_timeout.as_ref().map(|arg| &arg.key),
            self.on_retry.as_ref().map(|arg| &arg.key),
            self.name.as_ref().map(|arg| &arg.key),
            self.policy.as_ref().map(|arg| &arg.key),
            self.krate.as_ref().map(|arg| &arg.key),
            self.sleeper.as_ref().map(|arg| &arg.key),
            self.clone.as_ref().map(|arg| &arg.key),
        ];
        keys.into_iter().flatten().collect()
    }

    fn parse_entry(&mut self, input: ParseStream) -> syn::Result<()> {
        let key = Ident::parse_any(input)?;
        let name = key.to_string();
        if !RETRY_KEYS.contains(&name.as_str()) {
            return Err(unknown_key(&key, RETRY_KEYS));
        }
        if !input.peek(Token![=]) {
            return Err(syn::Error::new(
                key.span(),
                format!("`{name}` needs a value: {}", example_for(&name)),
            ));
        }
        input.parse::<Token![=]>()?;
        match name.as_str() {
            "max_attempts" => set(
                &mut self.max_attempts,
                key,
                parse_int(input, "max_attempts")?,
            ),
            "backoff" => {
                let value = if input.peek(LitStr) {
                    BackoffArg::Named(input.parse()?)
                } else {
                    BackoffArg::Custom(parse_path_like(input, "backoff")?)
                };
                set(&mut self.backoff, key, value)
            }
            "delay" => set(
                &mut self.delay,
                key,
                parse_duration_literal(input, "delay")?,
            ),
            "max_delay" => set(
                &mut self.max_delay,
                key,
                parse_duration_literal(input, "max_delay")?,
            ),
            "max_elapsed" => set(
                &mut self.max_elapsed,
                key,
                parse_duration_literal(input, "max_elapsed")?,
            ),
            "attempt_timeout" => set(
                &mut self.attempt_timeout,
                key,
                parse_duration_literal(input, "attempt_timeout")?,
            ),
            "factor" => {
                let value = match input.parse::<Lit>()? {
                    literal @ (Lit::Int(_) | Lit::Float(_)) => literal,
                    other => {
                        return Err(syn::Error::new(
                            other.span(),
                            "`factor` is a number: `factor = 2` or `factor = 1.5`",
                        ));
                    }
                };
                set(&mut self.factor, key, value)
            }
            "jitter" => set(&mut self.jitter, key, parse_string(input, "jitter")?),
            "name" => set(&mut self.name, key, parse_string(input, "name")?),
            "on" => set(&mut self.on, key, parse_on(input)?),
            "when" => set(&mut self.when, key, parse_path_like(input, "when")?),
            "on_retry" => set(&mut self.on_retry, key, parse_path_like(input, "on_retry")?),
            "policy" => set(&mut self.policy, key, parse_path_like(input, "policy")?),
            "crate" => set(&mut self.krate, key, input.call(Path::parse_mod_style)?),
            "sleeper" => set(&mut self.sleeper, key, input.parse()?),
            "clone" => set(&mut self.clone, key, parse_clone(input)?),
            _ => unreachable!("every key of RETRY_KEYS has an arm"),
        }
    }
}

fn set<T>(slot: &mut Option<Arg<T>>, key: Ident, value: T) -> syn::Result<()> {
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

fn parse_int(input: ParseStream, key: &str) -> syn::Result<LitInt> {
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

fn parse_string(input: ParseStream, key: &str) -> syn::Result<LitStr> {
    if input.peek(LitStr) {
        return input.parse();
    }
    Err(syn::Error::new(
        input.span(),
        format!("`{key}` is a string literal: {}", example_for(key)),
    ))
}

fn parse_duration_literal(input: ParseStream, key: &str) -> syn::Result<LitStr> {
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

fn literal_digits(literal: &Lit) -> String {
    match literal {
        Lit::Int(int) => int.base10_digits().to_owned(),
        Lit::Float(float) => float.base10_digits().to_owned(),
        _ => String::new(),
    }
}

fn parse_path_like(input: ParseStream, key: &str) -> syn::Result<Expr> {
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

fn parse_on(input: ParseStream) -> syn::Result<OnArg> {
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

fn parse_clone(input: ParseStream) -> syn::Result<Vec<Ident>> {
    if !input.peek(syn::token::Bracket) {
        return Err(syn::Error::new(
            input.span(),
            "`clone` takes a list of argument names in brackets: `clone = [payload]`",
        ));
    }
    let content;
    bracketed!(content in input);
    let names = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
    Ok(names.into_iter().collect())
}

/// How to write each key, for error messages.
pub(crate) fn example_for(key: &str) -> &'static str {
    match key {
        "max_attempts" => "`max_attempts = 3`",
        "backoff" => {
            "`backoff = \"exponential\"` (or \"linear\", \"fixed\", \"fibonacci\", or a fn path)"
        }
        "delay" => "`delay = \"100ms\"`",
        "max_delay" => "`max_delay = \"10s\"`",
        "factor" => "`factor = 2`",
        "jitter" => "`jitter = \"full\"` (or \"none\", \"equal\", \"decorrelated\")",
        "on" => "`on = [Timeout, Io]`",
        "when" => "`when = StoreError::is_transient`",
        "max_elapsed" => "`max_elapsed = \"30s\"`",
        "attempt_timeout" => "`attempt_timeout = \"2s\"`",
        "on_retry" => "`on_retry = log_retry`",
        "name" => "`name = \"fetch_user\"`",
        "policy" => "`policy = crate::policies::NETWORK`",
        "crate" => "`crate = my_reexport::retry_runtime`",
        "sleeper" => "`sleeper = MySleeper`",
        "clone" => "`clone = [payload]`",
        _ => "",
    }
}

/// An unknown key, with the closest known one suggested.
pub(crate) fn unknown_key(key: &Ident, known: &[&str]) -> syn::Error {
    let name = key.to_string();
    let closest = known
        .iter()
        .map(|candidate| (edit_distance(&name, candidate), *candidate))
        .min();
    let message = match closest {
        Some((distance, candidate)) if distance <= 3 || candidate.contains(name.as_str()) => {
            format!("unknown key `{name}`; did you mean `{candidate}`?")
        }
        _ => format!("unknown key `{name}`; the keys are: {}", known.join(", ")),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_key() {
        let key = Ident::new("max_attempt", Span::call_site());
        let message = unknown_key(&key, RETRY_KEYS).to_string();
        assert_eq!(
            message,
            "unknown key `max_attempt`; did you mean `max_attempts`?"
        );
        let key = Ident::new("zzzzzzzzzzzz", Span::call_site());
        assert!(
            unknown_key(&key, RETRY_KEYS)
                .to_string()
                .contains("the keys are")
        );
    }
}
