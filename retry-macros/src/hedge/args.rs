//! The arguments of `#[hedge(...)]`, parsed into typed values.

use proc_macro2::TokenStream;
use syn::parse::ParseStream;
use syn::{Expr, LitInt, LitStr, Path, Type};

use crate::errors::Errors;
use crate::keys::{
    Arg, OnArg, parse_duration_literal, parse_entries, parse_int, parse_key, parse_on,
    parse_path_like, parse_string, set,
};

/// Every key of `#[hedge(...)]`, each at most once.
#[derive(Default)]
pub(crate) struct HedgeArgs {
    pub name: Option<Arg<LitStr>>,
    pub after: Option<Arg<LitStr>>,
    pub floor: Option<Arg<LitStr>>,
    pub max_hedges: Option<Arg<LitInt>>,
    pub on: Option<Arg<OnArg>>,
    pub when: Option<Arg<Expr>>,
    /// `on_result = path`: an `Ok` value that is a failure (it does not win the race).
    pub on_result: Option<Arg<Expr>>,
    pub budget: Option<Arg<LitStr>>,
    pub sleeper: Option<Arg<Type>>,
    pub krate: Option<Arg<Path>>,
    pub deadline: Option<Arg<LitStr>>,
    /// `after` was written, even if its value did not parse (so "needs `after`" is not said too).
    pub after_written: bool,
}

pub(crate) const HEDGE_KEYS: &[&str] = &[
    "after",
    "max_hedges",
    "floor",
    "name",
    "on",
    "when",
    "on_result",
    "budget",
    "sleeper",
    "deadline",
    "crate",
];

impl HedgeArgs {
    /// Parses every `key = value`, recording each error and resuming at the next comma.
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> HedgeArgs {
        let mut args = HedgeArgs::default();
        parse_entries(tokens, errors, |input| args.parse_entry(input));
        args
    }

    fn parse_entry(&mut self, input: ParseStream) -> syn::Result<()> {
        let (key, name) = parse_key(input, HEDGE_KEYS)?;
        match name.as_str() {
            "after" => {
                self.after_written = true;
                set(&mut self.after, key, parse_string(input, "after")?)
            }
            "floor" => set(
                &mut self.floor,
                key,
                parse_duration_literal(input, "floor")?,
            ),
            "max_hedges" => set(&mut self.max_hedges, key, parse_int(input, "max_hedges")?),
            "name" => set(&mut self.name, key, parse_string(input, "name")?),
            "on" => set(&mut self.on, key, parse_on(input)?),
            "when" => set(&mut self.when, key, parse_path_like(input, "when")?),
            "on_result" => set(
                &mut self.on_result,
                key,
                parse_path_like(input, "on_result")?,
            ),
            "budget" => set(&mut self.budget, key, parse_string(input, "budget")?),
            "sleeper" => set(&mut self.sleeper, key, input.parse()?),
            "crate" => set(&mut self.krate, key, input.call(Path::parse_mod_style)?),
            "deadline" => set(&mut self.deadline, key, parse_string(input, "deadline")?),
            _ => unreachable!("every key of HEDGE_KEYS has an arm"),
        }
    }
}
