//! The arguments of `#[circuit_breaker(...)]`, parsed into typed values.

use proc_macro2::TokenStream;
use retry_settings::{BREAKER_KEYS, find};
use syn::parse::ParseStream;
use syn::{Expr, LitStr, Path};

use crate::errors::Errors;
use crate::keys::{
    Arg, OnArg, parse_entries, parse_key, parse_on, parse_path_like, parse_string, set,
};
use crate::settings::Written;

/// Every key of `#[circuit_breaker(...)]`, each at most once: the breaker's keys of the
/// settings model (`retry_settings::BREAKER_KEYS`, read by their kind), and the attribute's own.
#[derive(Default)]
pub(crate) struct BreakerArgs {
    pub name: Option<Arg<LitStr>>,
    /// `failure_threshold`, `open_for`, ...: the breaker's settings.
    pub config_keys: Written,
    pub on: Option<Arg<OnArg>>,
    pub when: Option<Arg<Expr>>,
    pub fallback: Option<Arg<Expr>>,
    pub on_result: Option<Arg<Expr>>,
    pub recover: Option<Arg<Expr>>,
    /// `config = path`: a named `BreakerConfig` instead of the tuning keys.
    pub config: Option<Arg<Expr>>,
    /// `call_timeout = "2s"`: async fns' calls are cut off after this long.
    pub call_timeout: Option<Arg<LitStr>>,
    /// `window = "10s"`: a time-based window (a count, `window = 20`, is a model key).
    pub time_window: Option<Arg<LitStr>>,
    pub krate: Option<Arg<Path>>,
    /// `deadline = "refuse"`.
    pub deadline: Option<Arg<LitStr>>,
}

/// Every key of `#[circuit_breaker(...)]`: `name`, the model's, then the attribute's own.
pub(crate) fn known_keys() -> Vec<&'static str> {
    std::iter::once("name")
        .chain(BREAKER_KEYS.iter().map(|key| key.name))
        .chain([
            "on",
            "when",
            "fallback",
            "on_result",
            "recover",
            "config",
            "call_timeout",
            "deadline",
            "crate",
        ])
        .collect()
}

impl BreakerArgs {
    /// Parses every `key = value`, recording each error and resuming at the next comma.
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> BreakerArgs {
        let mut args = BreakerArgs::default();
        parse_entries(tokens, errors, |input| args.parse_entry(input));
        args
    }

    fn parse_entry(&mut self, input: ParseStream) -> syn::Result<()> {
        let (key, name) = parse_key(input, &known_keys())?;
        if name == "window" && input.peek(LitStr) {
            if self.config_keys.get("window").is_some() {
                return Err(syn::Error::new(
                    key.span(),
                    "`window` is given twice; keep one (a number of calls, or a duration)",
                ));
            }
            return set(&mut self.time_window, key, input.parse()?);
        }
        if let Some(model) = find(BREAKER_KEYS, &name) {
            if name == "window" && self.time_window.is_some() {
                return Err(syn::Error::new(
                    key.span(),
                    "`window` is given twice; keep one (a number of calls, or a duration)",
                ));
            }
            return self.config_keys.parse(key, model, input);
        }
        match name.as_str() {
            "name" => set(&mut self.name, key, parse_string(input, "name")?),
            "on" => set(&mut self.on, key, parse_on(input)?),
            "when" => set(&mut self.when, key, parse_path_like(input, "when")?),
            "fallback" => set(&mut self.fallback, key, parse_path_like(input, "fallback")?),
            "on_result" => set(
                &mut self.on_result,
                key,
                parse_path_like(input, "on_result")?,
            ),
            "recover" => set(&mut self.recover, key, parse_path_like(input, "recover")?),
            "config" => set(&mut self.config, key, parse_path_like(input, "config")?),
            "call_timeout" => set(
                &mut self.call_timeout,
                key,
                crate::keys::parse_duration_literal(input, "call_timeout")?,
            ),
            "crate" => set(&mut self.krate, key, input.call(Path::parse_mod_style)?),
            "deadline" => set(&mut self.deadline, key, parse_string(input, "deadline")?),
            _ => unreachable!("every key of `known_keys` has an arm"),
        }
    }
}
