//! The attribute's arguments, parsed into typed values: the syntax of each key, nothing more.
//! What the values mean and how they combine is checked in `validate`.

use proc_macro2::TokenStream;
use retry_settings::{RETRY_KEYS, find};
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Path, Token, Type, bracketed};

use crate::errors::Errors;
use crate::keys::{
    Arg, OnArg, parse_entries, parse_key, parse_on, parse_path_like, parse_string, set,
};
use crate::settings::Written;

/// Every key of `#[retry(...)]`, each at most once: the policy's keys of the settings model
/// (`retry_settings::RETRY_KEYS`, read by their kind), and the attribute's own.
#[derive(Default)]
pub(crate) struct RetryArgs {
    /// `max_attempts`, `backoff`, `delay`, ...: the keys a named `policy` replaces.
    pub policy_keys: Written,
    pub on: Option<Arg<OnArg>>,
    pub when: Option<Arg<Expr>>,
    pub on_retry: Option<Arg<Expr>>,
    pub on_result: Option<Arg<Expr>>,
    pub recover: Option<Arg<Expr>>,
    pub name: Option<Arg<LitStr>>,
    pub policy: Option<Arg<Expr>>,
    pub krate: Option<Arg<Path>>,
    pub sleeper: Option<Arg<Type>>,
    pub clone: Option<Arg<Vec<Ident>>>,
    pub attempt_span: Option<Arg<syn::LitBool>>,
    pub budget: Option<Arg<LitStr>>,
    pub deadline: Option<Arg<LitStr>>,
}

/// The attribute's own keys, after the model's.
const OWN_KEYS: &[&str] = &[
    "on",
    "when",
    "on_retry",
    "on_result",
    "recover",
    "name",
    "policy",
    "crate",
    "sleeper",
    "clone",
    "attempt_span",
    "budget",
    "deadline",
];

/// Every key of `#[retry(...)]`, the model's first.
pub(crate) fn known_keys() -> Vec<&'static str> {
    RETRY_KEYS
        .iter()
        .map(|key| key.name)
        .chain(OWN_KEYS.iter().copied())
        .collect()
}

impl RetryArgs {
    /// Parses every `key = value`; an error in one entry is recorded and parsing resumes at the
    /// next comma, so all of them are reported together.
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> RetryArgs {
        let mut args = RetryArgs::default();
        parse_entries(tokens, errors, |input| args.parse_entry(input));
        args
    }

    fn parse_entry(&mut self, input: ParseStream) -> syn::Result<()> {
        let (key, name) = parse_key(input, &known_keys())?;
        if let Some(model) = find(RETRY_KEYS, &name) {
            return self.policy_keys.parse(key, model, input);
        }
        match name.as_str() {
            "name" => set(&mut self.name, key, parse_string(input, "name")?),
            "on" => set(&mut self.on, key, parse_on(input)?),
            "when" => set(&mut self.when, key, parse_path_like(input, "when")?),
            "on_retry" => set(&mut self.on_retry, key, parse_path_like(input, "on_retry")?),
            "on_result" => set(
                &mut self.on_result,
                key,
                parse_path_like(input, "on_result")?,
            ),
            "recover" => set(&mut self.recover, key, parse_path_like(input, "recover")?),
            "policy" => set(&mut self.policy, key, parse_path_like(input, "policy")?),
            "crate" => set(&mut self.krate, key, input.call(Path::parse_mod_style)?),
            "sleeper" => set(&mut self.sleeper, key, input.parse()?),
            "clone" => set(&mut self.clone, key, parse_clone(input)?),
            "budget" => set(&mut self.budget, key, parse_string(input, "budget")?),
            "deadline" => set(&mut self.deadline, key, parse_string(input, "deadline")?),
            "attempt_span" => {
                if !input.peek(syn::LitBool) {
                    return Err(syn::Error::new(
                        input.span(),
                        "`attempt_span` is `true` or `false`: `attempt_span = true` runs each attempt in a tracing span",
                    ));
                }
                set(&mut self.attempt_span, key, input.parse()?)
            }
            _ => unreachable!("every key of `known_keys` has an arm"),
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
        let message = unknown_key(&key, &known_keys()).to_string();
        assert_eq!(
            message,
            "unknown key `max_attempt`; did you mean `max_attempts`?"
        );
        let key = Ident::new("zzzzzzzzzzzz", Span::call_site());
        assert!(
            unknown_key(&key, &known_keys())
                .to_string()
                .contains("the keys are")
        );
    }
}
