//! The arguments of `#[adaptive_limit(...)]`, parsed into typed values.

use proc_macro2::TokenStream;
use syn::parse::ParseStream;
use syn::{LitInt, LitStr, Path};

use crate::errors::Errors;
use crate::keys::{
    Arg, parse_duration_literal, parse_entries, parse_int, parse_key, parse_string, set,
};

/// Every key of `#[adaptive_limit(...)]`, each at most once.
#[derive(Default)]
pub(crate) struct AdaptiveLimitArgs {
    pub name: Option<Arg<LitStr>>,
    pub algorithm: Option<Arg<LitStr>>,
    pub initial_limit: Option<Arg<LitInt>>,
    pub min_limit: Option<Arg<LitInt>>,
    pub max_limit: Option<Arg<LitInt>>,
    pub max_wait: Option<Arg<LitStr>>,
    pub krate: Option<Arg<Path>>,
    pub deadline: Option<Arg<LitStr>>,
    /// `name` was written, even if its value did not parse (so "needs a name" is not said too).
    pub name_written: bool,
}

pub(crate) const ADAPTIVE_LIMIT_KEYS: &[&str] = &[
    "name",
    "algorithm",
    "initial_limit",
    "min_limit",
    "max_limit",
    "max_wait",
    "deadline",
    "crate",
];

impl AdaptiveLimitArgs {
    /// Parses every `key = value`, recording each error and resuming at the next comma.
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> AdaptiveLimitArgs {
        let mut args = AdaptiveLimitArgs::default();
        parse_entries(tokens, errors, |input| args.parse_entry(input));
        args
    }

    fn parse_entry(&mut self, input: ParseStream) -> syn::Result<()> {
        let (key, name) = parse_key(input, ADAPTIVE_LIMIT_KEYS)?;
        match name.as_str() {
            "name" => {
                self.name_written = true;
                set(&mut self.name, key, parse_string(input, "name")?)
            }
            "algorithm" => set(&mut self.algorithm, key, parse_string(input, "algorithm")?),
            "initial_limit" => set(
                &mut self.initial_limit,
                key,
                parse_int(input, "initial_limit")?,
            ),
            "min_limit" => set(&mut self.min_limit, key, parse_int(input, "min_limit")?),
            "max_limit" => set(&mut self.max_limit, key, parse_int(input, "max_limit")?),
            "max_wait" => set(
                &mut self.max_wait,
                key,
                parse_duration_literal(input, "max_wait")?,
            ),
            "crate" => set(&mut self.krate, key, input.call(Path::parse_mod_style)?),
            "deadline" => set(&mut self.deadline, key, parse_string(input, "deadline")?),
            _ => unreachable!("every key of ADAPTIVE_LIMIT_KEYS has an arm"),
        }
    }
}
