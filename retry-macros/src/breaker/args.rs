//! The arguments of `#[circuit_breaker(...)]`, parsed into typed values.

use proc_macro2::TokenStream;
use syn::parse::ParseStream;
use syn::{Expr, Lit, LitInt, LitStr, Path};

use crate::errors::Errors;
use crate::keys::{
    Arg, OnArg, example_for, parse_duration_literal, parse_entries, parse_int, parse_key, parse_on,
    parse_path_like, parse_string, set,
};

/// Every key of `#[circuit_breaker(...)]`, each at most once.
#[derive(Default)]
pub(crate) struct BreakerArgs {
    pub name: Option<Arg<LitStr>>,
    pub failure_threshold: Option<Arg<LitInt>>,
    pub failure_rate: Option<Arg<Lit>>,
    pub window: Option<Arg<LitInt>>,
    pub min_calls: Option<Arg<LitInt>>,
    pub slow_call: Option<Arg<LitStr>>,
    pub slow_call_rate: Option<Arg<Lit>>,
    pub open_for: Option<Arg<LitStr>>,
    pub open_for_factor: Option<Arg<Lit>>,
    pub max_open_for: Option<Arg<LitStr>>,
    pub half_open_calls: Option<Arg<LitInt>>,
    pub half_open_timeout: Option<Arg<LitStr>>,
    pub on: Option<Arg<OnArg>>,
    pub when: Option<Arg<Expr>>,
    pub fallback: Option<Arg<Expr>>,
    pub krate: Option<Arg<Path>>,
}

pub(crate) const BREAKER_KEYS: &[&str] = &[
    "name",
    "failure_threshold",
    "failure_rate",
    "window",
    "min_calls",
    "slow_call",
    "slow_call_rate",
    "open_for",
    "open_for_factor",
    "max_open_for",
    "half_open_calls",
    "half_open_timeout",
    "on",
    "when",
    "fallback",
    "crate",
];

impl BreakerArgs {
    /// Parses every `key = value`, recording each error and resuming at the next comma.
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> BreakerArgs {
        let mut args = BreakerArgs::default();
        parse_entries(tokens, errors, |input| args.parse_entry(input));
        args
    }

    fn parse_entry(&mut self, input: ParseStream) -> syn::Result<()> {
        let (key, name) = parse_key(input, BREAKER_KEYS)?;
        match name.as_str() {
            "name" => set(&mut self.name, key, parse_string(input, "name")?),
            "failure_threshold" => set(
                &mut self.failure_threshold,
                key,
                parse_int(input, "failure_threshold")?,
            ),
            "failure_rate" => set(
                &mut self.failure_rate,
                key,
                parse_number(input, "failure_rate")?,
            ),
            "window" => set(&mut self.window, key, parse_int(input, "window")?),
            "min_calls" => set(&mut self.min_calls, key, parse_int(input, "min_calls")?),
            "slow_call" => set(
                &mut self.slow_call,
                key,
                parse_duration_literal(input, "slow_call")?,
            ),
            "slow_call_rate" => set(
                &mut self.slow_call_rate,
                key,
                parse_number(input, "slow_call_rate")?,
            ),
            "open_for" => set(
                &mut self.open_for,
                key,
                parse_duration_literal(input, "open_for")?,
            ),
            "open_for_factor" => set(
                &mut self.open_for_factor,
                key,
                parse_number(input, "open_for_factor")?,
            ),
            "max_open_for" => set(
                &mut self.max_open_for,
                key,
                parse_duration_literal(input, "max_open_for")?,
            ),
            "half_open_calls" => set(
                &mut self.half_open_calls,
                key,
                parse_int(input, "half_open_calls")?,
            ),
            "half_open_timeout" => set(
                &mut self.half_open_timeout,
                key,
                parse_duration_literal(input, "half_open_timeout")?,
            ),
            "on" => set(&mut self.on, key, parse_on(input)?),
            "when" => set(&mut self.when, key, parse_path_like(input, "when")?),
            "fallback" => set(&mut self.fallback, key, parse_path_like(input, "fallback")?),
            "crate" => set(&mut self.krate, key, input.call(Path::parse_mod_style)?),
            _ => unreachable!("every key of BREAKER_KEYS has an arm"),
        }
    }
}

fn parse_number(input: ParseStream, key: &str) -> syn::Result<Lit> {
    match input.parse::<Lit>() {
        Ok(literal @ (Lit::Int(_) | Lit::Float(_))) => Ok(literal),
        Ok(other) => Err(syn::Error::new(
            other.span(),
            format!("`{key}` is a number: {}", example_for(key)),
        )),
        Err(_) => Err(syn::Error::new(
            input.span(),
            format!("`{key}` is a number: {}", example_for(key)),
        )),
    }
}
