//! The attribute's arguments, parsed into typed values: the syntax of each key, nothing more.
//! What the values mean and how they combine is checked in `validate`.

use proc_macro2::TokenStream;
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Lit, LitInt, LitStr, Path, Token, Type, bracketed};

use crate::errors::Errors;
use crate::keys::{
    Arg, OnArg, parse_duration_literal, parse_entries, parse_int, parse_key, parse_on,
    parse_path_like, parse_string, set,
};

/// `backoff = "exponential"` or `backoff = path::to::custom_fn`.
pub(crate) enum BackoffArg {
    Named(LitStr),
    Custom(Expr),
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
    pub attempt_span: Option<Arg<syn::LitBool>>,
    pub budget: Option<Arg<LitStr>>,
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
    "attempt_span",
    "budget",
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
        parse_entries(tokens, errors, |input| args.parse_entry(input));
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
            self.attempt_span.as_ref().map(|arg| &arg.key),
            self.budget.as_ref().map(|arg| &arg.key),
        ];
        keys.into_iter().flatten().collect()
    }

    fn parse_entry(&mut self, input: ParseStream) -> syn::Result<()> {
        let (key, name) = parse_key(input, RETRY_KEYS)?;
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
            "budget" => set(&mut self.budget, key, parse_string(input, "budget")?),
            "attempt_span" => {
                if !input.peek(syn::LitBool) {
                    return Err(syn::Error::new(
                        input.span(),
                        "`attempt_span` is `true` or `false`: `attempt_span = true` runs each attempt in a tracing span",
                    ));
                }
                set(&mut self.attempt_span, key, input.parse()?)
            }
            _ => unreachable!("every key of RETRY_KEYS has an arm"),
        }
    }
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

#[cfg(test)]
mod tests {
    use proc_macro2::Span;

    use super::*;
    use crate::keys::unknown_key;

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
