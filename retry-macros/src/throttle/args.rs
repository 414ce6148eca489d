//! The arguments of `#[throttle(...)]`, parsed into typed values.

use proc_macro2::TokenStream;
use retry_settings::{THROTTLE_KEYS, find};
use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::{Expr, Ident, Lit, LitStr, Path, Token};

use crate::errors::Errors;
use crate::keys::{
    Arg, OnArg, parse_entries, parse_key, parse_on, parse_path_like, parse_string, set,
};
use crate::settings::Written;

/// Every key of `#[throttle(...)]`, each at most once: the throttle's keys of the settings
/// model (`retry_settings::THROTTLE_KEYS`: `k` and `window`, read by their kind), and the
/// attribute's own.
#[derive(Default)]
pub(crate) struct ThrottleArgs {
    pub name: Option<Arg<LitStr>>,
    /// `k` and `window`: the throttle's settings.
    pub config_keys: Written,
    pub on: Option<Arg<OnArg>>,
    pub when: Option<Arg<Expr>>,
    pub on_result: Option<Arg<Expr>>,
    pub krate: Option<Arg<Path>>,
    pub deadline: Option<Arg<LitStr>>,
    /// `name` was written, even if its value did not parse (so "needs a name" is not said too).
    pub name_written: bool,
}

/// Every key of `#[throttle(...)]`: `name`, the model's, then the attribute's own.
pub(crate) fn known_keys() -> Vec<&'static str> {
    std::iter::once("name")
        .chain(THROTTLE_KEYS.iter().map(|key| key.name))
        .chain(["on", "when", "on_result", "deadline", "crate"])
        .collect()
}

impl ThrottleArgs {
    /// Parses every `key = value`, recording each error and resuming at the next comma.
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> ThrottleArgs {
        let mut args = ThrottleArgs::default();
        parse_entries(tokens, errors, |input| args.parse_entry(input));
        args
    }

    fn parse_entry(&mut self, input: ParseStream) -> syn::Result<()> {
        // The breaker's `window` is a count; a throttle's is a duration, so it says so itself.
        let ahead = input.fork();
        if let Ok(key) = ahead.call(Ident::parse_any)
            && key == "window"
            && !ahead.peek(Token![=])
        {
            return Err(syn::Error::new(
                key.span(),
                "`window` needs a value: `window = \"2m\"`",
            ));
        }
        let (key, name) = parse_key(input, &known_keys())?;
        if name == "window" && !input.peek(Lit) {
            return Err(syn::Error::new(
                input.span(),
                "`window` is a duration string: `window = \"2m\"`",
            ));
        }
        if let Some(model) = find(THROTTLE_KEYS, &name) {
            return self.config_keys.parse(key, model, input);
        }
        match name.as_str() {
            "name" => {
                self.name_written = true;
                set(&mut self.name, key, parse_string(input, "name")?)
            }
            "on" => set(&mut self.on, key, parse_on(input)?),
            "when" => set(&mut self.when, key, parse_path_like(input, "when")?),
            "on_result" => set(
                &mut self.on_result,
                key,
                parse_path_like(input, "on_result")?,
            ),
            "crate" => set(&mut self.krate, key, input.call(Path::parse_mod_style)?),
            "deadline" => set(&mut self.deadline, key, parse_string(input, "deadline")?),
            _ => unreachable!("every key of `known_keys` has an arm"),
        }
    }
}
